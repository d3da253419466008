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
