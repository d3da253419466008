import numpy as np
import pytest
from conftest import needs_data

from pixel_influence import faithfulness, methods, network

LAYERS = network.LAYERS


def _digit(rng, pixels=784, on=120):
    x = np.zeros(pixels)
    idx = rng.choice(pixels, on, replace=False)
    x[idx] = rng.random(on)
    return x


def test_order_ranks_by_influence_on_the_oriented_node():
    influence = np.array([[0.5, -1.0, 2.0, 0.0, 2.0], [0.5, -1.0, 2.0, 0.0, 2.0]])
    changed = np.array([0, 1, 2, 4])  # pixel 3 equals the baseline: never moved
    ranked = faithfulness.order(influence, changed, np.array([1.0, -1.0]))
    # ties (pixels 2 and 4) keep pixel order; a node that fell is ranked by -influence
    assert ranked.tolist() == [[2, 4, 0, 1], [1, 0, 2, 4]]


def test_area_of_known_curves():
    assert faithfulness.area(np.array([[1.0, 0.5, 0.0]])).tolist() == [0.5]
    assert faithfulness.area(np.array([[0.0, 1.0, 1.0, 1.0, 1.0]])).tolist() == [0.875]
    assert np.isnan(faithfulness.area(np.array([[1.0]])))[0]


def test_normalised_runs_from_one_to_zero_and_skips_unmoved_nodes():
    curve = np.array([[3.0, 2.0, 1.0], [5.0, 5.0, 5.0 - 1e-6]])
    got = faithfulness.normalised(curve, np.array([3.0, 5.0]), np.array([1.0, 5.0 - 1e-6]))
    assert got[0].tolist() == [1.0, 0.5, 0.0]
    assert np.all(np.isnan(got[1]))


@pytest.mark.parametrize("source", ["random", "real"])
def test_curves_start_and_end_at_f_x_and_f_baseline(source, random_params, request):
    params = random_params if source == "random" else request.getfixturevalue("real_params")
    rng = np.random.default_rng(1)
    x, b = _digit(rng), np.zeros(784)
    fx, fb = network.forward(params, x), network.forward(params, b)
    maps = methods.deeplift(params, x, b, LAYERS)
    m = int(np.sum(x != b))
    for layer in LAYERS:
        got = faithfulness.curves(params, x, b, maps[layer], layer)
        assert got["deletion"].shape == got["insertion"].shape == (fx[layer].size, m + 1)
        for kind, first, last in (("deletion", fx, fb), ("insertion", fb, fx)):
            np.testing.assert_allclose(got[kind][:, 0], first[layer], rtol=0, atol=1e-13)
            np.testing.assert_allclose(got[kind][:, -1], last[layer], rtol=0, atol=1e-13)


def test_curve_states_equal_direct_passes_of_the_edited_images(random_params):
    """Independent check: build the image after k steps and run the network on it."""
    rng = np.random.default_rng(2)
    x, b = _digit(rng, on=30), np.full(784, 0.05)
    maps = methods.occlusion(random_params, x, b, LAYERS)
    changed = np.flatnonzero(x != b)
    fx, fb = network.forward(random_params, x), network.forward(random_params, b)
    for layer in ("a1", "z1", "a2", "z2", "a3", "z3"):
        got = faithfulness.curves(random_params, x, b, maps[layer], layer, memory=1)
        ranked = faithfulness.order(maps[layer], changed, np.sign(fx[layer] - fb[layer]))
        for node in (0, fx[layer].size - 1):
            for k in (1, 7, 29):
                deleted, inserted = x.copy(), b.copy()
                deleted[ranked[node, :k]] = b[ranked[node, :k]]
                inserted[ranked[node, :k]] = x[ranked[node, :k]]
                want_d = network.forward(random_params, deleted)[layer][node]
                want_i = network.forward(random_params, inserted)[layer][node]
                assert got["deletion"][node, k] == pytest.approx(want_d, abs=1e-12)
                assert got["insertion"][node, k] == pytest.approx(want_i, abs=1e-12)


def test_exact_ranking_is_optimal_where_the_node_is_linear(random_params):
    """At a1 contributions add up, so ranking by them gives the lowest possible deletion
    curve: its area is the closed form and below every other ranking's."""
    rng = np.random.default_rng(3)
    x, b = _digit(rng), np.zeros(784)
    fx, fb = network.forward(random_params, x)["a1"], network.forward(random_params, b)["a1"]
    exact = methods.insertion(random_params, x, b, ["a1"])["a1"]
    best = faithfulness.normalised(
        faithfulness.curves(random_params, x, b, exact, "a1")["deletion"], fx, fb, 0
    )
    changed = np.flatnonzero(x != b)
    for node in range(3):
        oriented = np.sign(fx[node] - fb[node]) * exact[node, changed]
        share = np.sort(oriented)[::-1] / abs(fx[node] - fb[node])
        expected = 1.0 - np.concatenate([[0.0], np.cumsum(share)])
        np.testing.assert_allclose(best[node], expected, atol=1e-12)
    for seed in range(3):
        noise = faithfulness.random_influence(50, 784, seed)
        other = faithfulness.normalised(
            faithfulness.curves(random_params, x, b, noise, "a1")["deletion"], fx, fb, 0
        )
        assert np.all(faithfulness.area(best) <= faithfulness.area(other) + 1e-12)


@needs_data
def test_real_digit_methods_beat_a_random_ranking(real_params, real_test_split):
    """On the real network every method ranks pixels far better than chance at z2."""
    x, b = real_test_split[0][0].reshape(-1) / 255.0, np.zeros(784)
    fx, fb = network.forward(real_params, x)["z2"], network.forward(real_params, b)["z2"]
    noise = faithfulness.random_influence(100, 784, 0)
    chance = faithfulness.curves(real_params, x, b, noise, "z2")["deletion"]
    chance = np.nanmedian(faithfulness.area(faithfulness.normalised(chance, fx, fb)))
    for name in methods.METHODS:
        maps = methods.compute(real_params, x, b, ["z2"], [name])["maps"][name]["z2"]
        curve = faithfulness.curves(real_params, x, b, maps.reshape(100, -1), "z2")["deletion"]
        got = np.nanmedian(faithfulness.area(faithfulness.normalised(curve, fx, fb)))
        assert got < chance - 0.5, name


def test_an_image_equal_to_the_baseline_has_single_point_curves(random_params):
    """Nothing differs from the baseline: every map is 0, curves have one point, areas NaN."""
    x = np.zeros(784)
    result = methods.compute(random_params, x, x, ["z2"], list(methods.METHODS))
    got = faithfulness.evaluate(
        random_params, x, x, result["maps"], result["value"], result["baseline"], ["z2"]
    )
    assert got["fraction"].tolist() == [0.0]
    for name in [*methods.METHODS, faithfulness.RANDOM]:
        assert got["curves"][name]["z2"]["deletion"].shape == (100, 1)
        assert np.all(np.isnan(got["areas"][name]["z2"]["insertion"]))
    assert np.isnan(faithfulness.nanmedian([np.nan])) and faithfulness.nanmedian([1, np.nan]) == 1


# ---------------------------------------------------------------- bounded scores


def _data(curves, value, baseline, layer="z2", methods=("m",), sample="s"):
    """A sample as ``h5io.read_faithfulness`` returns it, for one layer: ``curves``
    {method: {kind: (nodes, m+1)}} on the uniform fraction grid; areas normalised."""
    value, baseline = np.asarray(value, float), np.asarray(baseline, float)
    steps = next(iter(curves.values()))["deletion"].shape[1]
    return {
        "sample": sample,
        "layers": [layer],
        "methods": list(methods),
        "value": {layer: value},
        "baseline": {layer: baseline},
        "residuals": {m: {layer: np.zeros(value.size)} for m in methods if m != "random"},
        "fraction": np.arange(steps) / max(steps - 1, 1),
        "min_change": 1e-3,
        "curves": {m: {layer: curves[m]} for m in methods},
        "areas": {
            m: {
                layer: {
                    k: faithfulness.area(
                        faithfulness.normalised(curves[m][k], value, baseline, 1e-3)
                    )
                    for k in faithfulness.CURVES
                }
            }
            for m in methods
        },
    }


def test_areas_in_units_of_straight_curves():
    """A straight curve from f(x) to f(baseline) has the area |change| / 2 in units,
    whichever way the node moved, and the normalised area 1/2: units = |change| x it."""
    t = np.linspace(0.0, 1.0, 5)
    value, baseline = np.array([3.0, 1.0]), np.array([1.0, 3.0])  # one rose, one fell
    deletion = value[:, None] + (baseline - value)[:, None] * t  # x to baseline, straight
    insertion = deletion[:, ::-1]
    data = _data({"m": {"deletion": deletion, "insertion": insertion}}, value, baseline)
    np.testing.assert_allclose(faithfulness.oriented(deletion, value, baseline)[:, 0], [2, 2])
    assert faithfulness.unit_areas(data, "m", "z2", "deletion").tolist() == [1.0, 1.0]
    assert faithfulness.unit_areas(data, "m", "z2", "insertion").tolist() == [1.0, 1.0]
    assert data["areas"]["m"]["z2"]["deletion"].tolist() == [0.5, 0.5]


def test_a_node_that_hardly_changes_keeps_a_bounded_area_in_units():
    """f(x) - f(baseline) = 0.0012, but the curve dips 0.3 below the baseline on the way:
    the normalised area explodes to -187.4, the area in units stays -0.22485, within the
    node's swing; a node with no change at all (NaN normalised area) still has one."""
    value, baseline = np.array([0.5012, 0.5]), np.array([0.5, 0.5])
    # steps at 0, 1/4, 1/2, 3/4, 1: x, dip, dip, dip, baseline
    curve = np.array([[0.5012, 0.2, 0.2, 0.2, 0.5], [0.5, 0.3, 0.3, 0.3, 0.5]])
    data = _data({"m": {"deletion": curve, "insertion": curve[:, ::-1]}}, value, baseline)
    # trapezoids by hand: ((0.0012 - 0.3) / 2 - 0.3 - 0.3 + (-0.3 + 0) / 2) / 4
    units = ((0.0012 - 0.3) / 2 - 0.3 - 0.3 + (-0.3 + 0.0) / 2) / 4
    got = faithfulness.unit_areas(data, "m", "z2", "deletion")
    assert got[0] == pytest.approx(units, abs=1e-15) and units == pytest.approx(-0.22485)
    assert got[1] == pytest.approx(-0.15, abs=1e-15)  # unchanged: read as a node that rose
    normalised = data["areas"]["m"]["z2"]["deletion"]
    assert normalised[0] == pytest.approx(units / 0.0012) == pytest.approx(-187.375)
    assert np.isnan(normalised[1])


def test_log_odds_of_probabilities_and_of_stored_zeros_and_ones():
    assert faithfulness.log_odds(np.array([0.5, 0.75])).tolist() == [0.0, pytest.approx(np.log(3))]
    ends32 = faithfulness.log_odds(np.array([0.0, 1.0], dtype=np.float32))
    # float32: 1 is read as the largest value below it, 1 - 2**-24; 0 as 2**-149
    assert ends32[1] == pytest.approx(np.log(2.0**24 - 1), abs=1e-12)
    assert ends32[0] == pytest.approx(-149 * np.log(2), abs=1e-12)
    ends64 = faithfulness.log_odds(np.array([0.0, 1.0]))
    assert ends64[1] == pytest.approx(np.log(2.0**53), abs=1e-9)
    assert ends64[0] == pytest.approx(-1074 * np.log(2), abs=1e-9)


def test_areas_in_logit_space_of_a_straight_logit():
    """p = sigmoid(logit) with a logit straight from f(x) to f(baseline): the area in logit
    space is |logit change| / 2 exactly, for a node that rose and one that fell; the
    layers that are not z3 have none."""
    t = np.linspace(0.0, 1.0, 9)
    logit_x, logit_b = np.array([2.0, -3.0]), np.array([0.0, 1.0])
    logits = logit_x[:, None] + (logit_b - logit_x)[:, None] * t

    def p(v):
        return 1.0 / (1.0 + np.exp(-v))

    curves = {"m": {"deletion": p(logits), "insertion": p(logits[:, ::-1])}}
    data = _data(curves, p(logit_x), p(logit_b), layer="z3")
    got = faithfulness.logit_areas(data, "m", "z3", "deletion")
    np.testing.assert_allclose(got, [1.0, 2.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        faithfulness.logit_areas(data, "m", "z3", "insertion"), [1.0, 2.0], atol=1e-12
    )
    other = _data(curves, p(logit_x), p(logit_b), layer="z2")
    assert faithfulness.logit_areas(other, "m", "z2", "deletion") is None


def test_logit_areas_match_the_logits_of_direct_passes(random_params):
    """Independent check on the network: log(p_k / (1 - p_k)) of the softmax output is
    a3_k - log(sum over j != k of exp(a3_j)); rebuild every state's image, run the network
    and integrate that."""
    rng = np.random.default_rng(5)
    x, b = _digit(rng, on=25), np.zeros(784)
    result = methods.compute(random_params, x, b, ["z3"], ["deeplift"])
    got = faithfulness.evaluate(
        random_params, x, b, result["maps"], result["value"], result["baseline"], ["z3"]
    )
    data = {
        **got,
        "layers": ["z3"],
        "value": result["value"],
        "baseline": result["baseline"],
    }
    fx, fb = result["value"]["z3"], result["baseline"]["z3"]
    changed = np.flatnonzero(x != b)
    ranked = faithfulness.order(result["maps"]["deeplift"]["z3"], changed, np.sign(fx - fb))

    def odds(image):
        a3 = network.forward(random_params, image)["a3"]
        others = np.array([np.log(np.exp(np.delete(a3, k)).sum()) for k in range(10)])
        return a3 - others

    want = np.empty((10, changed.size + 1))
    for k in range(changed.size + 1):
        states = np.repeat(x[None], 10, axis=0)
        for node in range(10):
            states[node, ranked[node, :k]] = b[ranked[node, :k]]
        want[:, k] = [odds(states[node])[node] for node in range(10)]
    sign = np.where(fx < fb, -1.0, 1.0)
    oriented = sign[:, None] * (want - odds(b)[None, :].T)
    expected = (oriented[:, 1:] + oriented[:, :-1]).sum(axis=1) / (2 * changed.size)
    np.testing.assert_allclose(
        faithfulness.logit_areas(data, "deeplift", "z3", "deletion"), expected, atol=1e-9
    )


def test_resampled_is_linear_interpolation_on_the_fractions():
    rng = np.random.default_rng(7)
    fraction = np.concatenate([[0.0], np.sort(rng.random(12)), [1.0]])
    curves = rng.normal(size=(3, fraction.size))
    got = faithfulness.resampled(curves, fraction)
    want = [np.interp(faithfulness.FRACTIONS, fraction, row) for row in curves]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
    single = faithfulness.resampled(np.array([[2.0], [3.0]]), np.array([0.0]))
    assert single.shape == (2, 101) and np.all(single[1] == 3.0)


def _two_samples():
    """Two samples of a z3-free layer, straight curves: node changes 2, -1 and 0.5."""
    t = np.linspace(0.0, 1.0, 3)
    out = []
    for value, baseline, sample in (([3.0, 0.0], [1.0, 1.0], "a"), ([1.5], [1.0], "b")):
        value, baseline = np.array(value), np.array(baseline)
        straight = value[:, None] + (baseline - value)[:, None] * t
        # the method's curves reach their end at once; the random ones are straight
        fast = np.repeat(baseline[:, None], t.size, axis=1)
        fast[:, 0] = value
        rise = np.repeat(value[:, None], t.size, axis=1)
        rise[:, 0] = baseline
        curves = {
            "m": {"deletion": fast, "insertion": rise},
            "random": {"deletion": straight, "insertion": straight[:, ::-1].copy()},
        }
        data = _data(curves, value, baseline, methods=("m", "random"), sample=sample)
        out.append(data)
    return out


def test_pooled_curves_weigh_each_node_by_its_change():
    """Sum of oriented curves over sum of |change|: 3.5 in all. The method's curves fall
    from 1 to 0 in the first half step; its pooled area is (2 + 1 + 0.5) x 1/4 / 3.5."""
    samples = [faithfulness.condensed(d) for d in _two_samples()]
    curve, score = faithfulness.pooled(samples, "random", "z2", "deletion")
    np.testing.assert_allclose(curve, 1.0 - faithfulness.FRACTIONS, atol=1e-15)
    assert score == pytest.approx(0.5, abs=1e-15)
    curve, score = faithfulness.pooled(samples, "m", "z2", "deletion")
    np.testing.assert_allclose(curve, np.clip(1.0 - 2 * faithfulness.FRACTIONS, 0, 1), atol=1e-15)
    assert score == pytest.approx(0.25, abs=1e-15)
    curve, score = faithfulness.pooled(samples, "m", "z2", "insertion")
    assert curve[0] == 0.0 and curve[-1] == pytest.approx(1.0) and score == pytest.approx(0.75)
    still = [dict(s, change={"z2": np.zeros_like(s["change"]["z2"])}) for s in samples]
    curve, score = faithfulness.pooled(still, "m", "z2", "deletion")
    assert np.isnan(score) and np.all(np.isnan(curve))


def test_table_rows_add_the_areas_in_units_and_logits():
    data = _two_samples()[0]
    rows = faithfulness.table_rows(data)
    assert list(rows[0]) == list(faithfulness.COLUMNS)
    assert faithfulness.COLUMNS[:8] == (
        "sample",
        "method",
        "layer",
        "node",
        "residual",
        "deletion_auc",
        "insertion_auc",
        "change",
    )
    # node 0 of the method: change 2, deletion area 2 x 1/4, insertion 2 x 3/4
    first = rows[0]
    assert (first["change"], first["deletion_auc"]) == ("2.000000e+00", "0.250000")
    assert (first["deletion_auc_units"], first["insertion_auc_units"]) == (
        "5.000000e-01",
        "1.500000e+00",
    )
    assert first["deletion_auc_logit"] == first["insertion_auc_logit"] == ""
    assert rows[1]["change"] == "-1.000000e+00" and rows[1]["deletion_auc_units"] == "2.500000e-01"
    z3 = _data(
        {"m": {"deletion": np.array([[0.75, 0.5]]), "insertion": np.array([[0.5, 0.75]])}},
        [0.75],
        [0.5],
        layer="z3",
    )
    row = faithfulness.table_rows(z3)[0]
    assert row["deletion_auc_logit"] == f"{np.log(3) / 2:.6f}"
    assert row["insertion_auc_logit"] == f"{np.log(3) / 2:.6f}"


def test_summary_adds_pooled_areas_and_logit_medians():
    samples = [faithfulness.condensed(d) for d in _two_samples()]
    rows = faithfulness.summary(samples, ["m"], ["z2"])
    assert [list(r) for r in rows] == [list(faithfulness.SUMMARY_COLUMNS)] * 2
    m, chance = rows
    assert (m["pooled_deletion_auc"], m["pooled_insertion_auc"]) == ("0.250", "0.750")
    assert (chance["pooled_deletion_auc"], chance["pooled_insertion_auc"]) == ("0.500", "0.500")
    assert m["median_deletion_auc"] == "0.250" and m["nodes"] == 3
    assert m["median_deletion_auc_logit"] == m["median_insertion_auc_logit"] == ""
    curves = {
        name: {"deletion": np.array([[0.75, 0.5], [0.1, 0.5]]), "insertion": np.eye(2)[::-1]}
        for name in ("m", "random")
    }
    z3 = _data(curves, [0.75, 0.1], [0.5, 0.5], layer="z3", methods=("m", "random"))
    row = faithfulness.summary([faithfulness.condensed(z3)], ["m"], ["z3"])[0]
    # deletion in logit space: log(3) / 2 for the node that rose, log(9) / 2 for the other
    assert row["median_deletion_auc_logit"] == f"{(np.log(3) + np.log(9)) / 4:.3f}"


# ------------------------------------------------- against the straightforward computation


def _reference_node_values(params, a1, layer, nodes):
    """The straightforward node values (the first implementation): the whole forward pass
    from the states' a1, then the node's own column."""
    if layer in ("a1", "z1"):
        picked = np.take_along_axis(a1, nodes[:, None, None], axis=2)[..., 0]
        return picked if layer == "a1" else network.sigmoid(picked)
    if layer in ("a2", "z2"):
        a2 = np.einsum("ksh,hk->ks", network.sigmoid(a1), params["W2"][:, nodes])
        a2 += params["b2"][nodes][:, None]
        return a2 if layer == "a2" else network.sigmoid(a2)
    values = network.forward_from_a1(params, a1)[layer]
    return np.take_along_axis(values, nodes[:, None, None], axis=2)[..., 0]


def _reference_curves(params, x, baseline_image, influence, layer, memory=64e6):
    """The straightforward curves (the first implementation): every state's whole a1 for
    every node, deletion and insertion, in chunks of nodes."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    baseline_image = np.asarray(baseline_image, dtype=np.float64).reshape(-1)
    changed = np.flatnonzero(x != baseline_image)
    m = changed.size
    value, baseline = network.forward(params, x), network.forward(params, baseline_image)
    ranked = faithfulness.order(influence, changed, np.sign(value[layer] - baseline[layer]))
    value, baseline = value["a1"], baseline["a1"]
    step = (x - baseline_image)[:, None] * params["W1"]
    nodes_total = ranked.shape[0]
    chunk = max(1, int(memory // (8 * 3 * (m + 1) * value.size)))
    out = {kind: np.empty((nodes_total, m + 1)) for kind in faithfulness.CURVES}
    for first in range(0, nodes_total, chunk):
        nodes = np.arange(first, min(first + chunk, nodes_total))
        moved = np.cumsum(step[ranked[nodes]], axis=1)
        for kind, origin, target, sign in (
            ("deletion", value, baseline, -1.0),
            ("insertion", baseline, value, 1.0),
        ):
            a1 = np.empty((nodes.size, m + 1, value.size))
            a1[:, 0] = origin
            a1[:, 1:] = origin + sign * moved
            a1[:, m] = target
            out[kind][nodes] = _reference_node_values(params, a1, layer, nodes)
    return out


def _reference_evaluate(params, x, b, maps, value, baseline, layers, min_change, seed):
    """``faithfulness.evaluate`` as first written, on ``_reference_curves``."""
    rankings = dict(maps)
    rankings[faithfulness.RANDOM] = {
        layer: faithfulness.random_influence(len(value[layer]), 784, [seed, k])
        for k, layer in enumerate(layers)
    }
    curves, areas = {}, {}
    for name, per_layer in rankings.items():
        curves[name], areas[name] = {}, {}
        for layer in layers:
            influence = np.asarray(per_layer[layer]).reshape(len(value[layer]), -1)
            got = _reference_curves(params, x, b, influence, layer)
            curves[name][layer] = got
            areas[name][layer] = {
                kind: faithfulness.area(
                    faithfulness.normalised(got[kind], value[layer], baseline[layer], min_change)
                )
                for kind in faithfulness.CURVES
            }
    m = int(np.sum(x != b))
    return {"fraction": np.arange(m + 1) / max(m, 1), "curves": curves, "areas": areas}


def _images(rng, real_test_split=None):
    """(x, baseline) pairs: no, one, two and three changed pixels; a digit; a PNG-like
    image (levels k / 255) against a PNG-like baseline it equals at two pixels in three;
    the white image, all 784 pixels changed; a real digit."""
    zeros = np.zeros(784)
    png_b = rng.integers(0, 256, 784) / 255.0
    png_x = np.where(rng.random(784) < 2 / 3, png_b, rng.integers(0, 256, 784) / 255.0)
    images = {f"{on} changed": (_digit(rng, on=on), zeros) for on in (0, 1, 2, 3)}
    images["digit"] = (_digit(rng, on=60), zeros)
    images["png"] = (png_x, png_b)
    images["white"] = (np.ones(784), zeros)
    if real_test_split is not None:
        images["real digit"] = (real_test_split[0][1].reshape(-1) / 255.0, zeros)
    return images


# past layer 1 the states' exp(-a1) are products of the moved pixels' exp(step): the same
# values up to the rounding of at most 783 products, carried through the layers above
# (measured: 1.4e-14 of the value with the book's network, 1.2e-11 of the layer's largest
# value with the larger random weights)
PRODUCTS_RTOL = 1e-10


def _assert_same_bits(got, want, where, exact=True):
    """The curves equal the reference's bit for bit, or (``exact`` False: exponentials as
    products) within ``PRODUCTS_RTOL`` with both ends still bit for bit."""
    for kind in faithfulness.CURVES:
        assert got[kind].dtype == want[kind].dtype == np.float64, where
        assert got[kind].shape == want[kind].shape, where
        g, w = got[kind], want[kind]
        if not exact and g.shape[1]:
            assert np.array_equal(g[:, [0, -1]], w[:, [0, -1]]), (where, kind, "ends")
            scale = PRODUCTS_RTOL * float(np.max(np.abs(w)))
            assert np.allclose(g, w, rtol=PRODUCTS_RTOL, atol=scale), (
                where,
                kind,
                float(np.max(np.abs(g - w)) / float(np.max(np.abs(w)))),
            )
            continue
        assert np.array_equal(g, w), (where, kind, float(np.max(np.abs(g - w))))


@pytest.fixture(params=["products", "exponentials"])
def products(request, monkeypatch):
    """Both ways of computing exp(-a1): as products (the default) and, past the bound
    (forced here), as exponentials, the reference's operations bit for bit."""
    if request.param == "exponentials":
        monkeypatch.setattr(faithfulness, "PRODUCT_BOUND", 0.0)
    return request.param == "products"


@pytest.mark.parametrize("source", ["random", "real"])
def test_curves_are_the_straightforward_computations_bit_for_bit(
    source, random_params, request, products
):
    """The curves take shortcuts (layer 1: the node's own column of a1; z1 and z2 straight
    from -a; cumulative sums state by state; blocks of nodes; exp(-a1) as products): every
    value must still be the first implementation's, bit for bit (with exponentials; with
    products within ``PRODUCTS_RTOL``), on every layer, whatever the memory allows (every
    node at once, one at a time, uneven blocks)."""
    params = random_params if source == "random" else request.getfixturevalue("real_params")
    split = None if source == "random" else request.getfixturevalue("real_test_split")
    rng = np.random.default_rng(11)
    for name, (x, b) in _images(rng, split).items():
        small = int(np.sum(x != b)) <= 100
        for layer in LAYERS:
            influence = rng.normal(size=(network.LAYER_SIZES[layer], 784))
            for memory in (64e6, 1, 2e5) if small else (64e6,):
                want = _reference_curves(params, x, b, influence, layer, memory)
                got = faithfulness.curves(params, x, b, influence, layer, memory)
                exact = not products or layer in ("a1", "z1")
                _assert_same_bits(got, want, (name, layer, memory), exact)


def test_node_values_are_the_straightforward_computation_bit_for_bit(random_params):
    rng = np.random.default_rng(12)
    a1 = rng.normal(0, 3, size=(7, 13, 50))
    for layer in LAYERS:
        nodes = rng.integers(0, network.LAYER_SIZES[layer], 7)
        got = faithfulness.node_values(random_params, a1, layer, nodes)
        want = _reference_node_values(random_params, a1, layer, nodes)
        assert got.shape == (7, 13) and np.array_equal(got, want), layer


@pytest.mark.parametrize("source", ["random", "real"])
def test_evaluate_is_the_straightforward_computation_bit_for_bit(
    source, random_params, request, products
):
    """Curves, areas and fractions of two methods' maps and of the random ranking, on every
    layer (the white image and the rest: ``test_curves_are_the_straightforward_...``)."""
    if source == "random":
        params, b = random_params, np.full(784, 0.05)
        x = np.where(np.arange(784) % 9 == 0, np.random.default_rng(13).random(784), b)
    else:
        params = request.getfixturevalue("real_params")
        x, b = request.getfixturevalue("real_test_split")[0][2].reshape(-1) / 255.0, np.zeros(784)
    result = methods.compute(params, x, b, LAYERS, ["insertion", "deeplift"])
    args = (params, x, b, result["maps"], result["value"], result["baseline"], LAYERS)
    got = faithfulness.evaluate(*args, min_change=1e-3, seed=4)
    want = _reference_evaluate(*args, min_change=1e-3, seed=4)
    assert np.array_equal(got["fraction"], want["fraction"])
    assert list(got["curves"]) == list(got["areas"]) == ["insertion", "deeplift", "random"]
    for name in want["curves"]:
        for layer in LAYERS:
            exact = not products or layer in ("a1", "z1")
            _assert_same_bits(got["curves"][name][layer], want["curves"][name][layer], name, exact)
            for kind in faithfulness.CURVES:
                g, w = got["areas"][name][layer][kind], want["areas"][name][layer][kind]
                if exact:
                    assert np.array_equal(g, w, equal_nan=True), (name, layer, kind)
                else:
                    assert np.allclose(g, w, rtol=1e-8, atol=1e-10, equal_nan=True)
