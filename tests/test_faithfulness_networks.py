"""Deletion and insertion curves on networks other than the book's: random networks of one
to four layers, of every hidden activation, against the images of every state built one by
one and run through ``network.forward``."""

import numpy as np
import pytest

from pixel_influence import faithfulness, network
from pixel_influence.errors import InputError

WIDTHS = {1: (10,), 2: (17, 6), 3: (13, 9, 5), 4: (11, 8, 7, 4)}
NETWORKS = [(depth, act) for depth in WIDTHS for act in network.ACTIVATIONS]


def _network(depth, activation, seed=0):
    """A random network of ``WIDTHS[depth]`` whose values stay within a few units."""
    rng = np.random.default_rng([seed, depth, network.ACTIVATIONS.index(activation)])
    params, rows = {"activation": activation}, 784
    for k, nodes in enumerate(WIDTHS[depth], start=1):
        scale = 0.3 if k == 1 else 1.5 / np.sqrt(rows)
        params[f"W{k}"] = rng.normal(0.0, scale, (rows, nodes))
        params[f"b{k}"] = rng.normal(0.0, 0.5, nodes)
        rows = nodes
    return network.check_network(params)


def _images(seed, on=25):
    """x and a baseline image that is not black: 0.1 on every 7th pixel, x differing from
    it at ``on`` pixels."""
    rng = np.random.default_rng(seed)
    baseline_image = np.where(np.arange(784) % 7 == 0, 0.1, 0.0)
    x = baseline_image.copy()
    x[rng.choice(784, on, replace=False)] = rng.random(on)
    return x, baseline_image


def _brute_force(params, x, baseline_image, influence, layer, states=None):
    """Every state's image built explicitly (x with its first j ranked pixels set to the
    baseline, or the baseline with them copied from x), run through ``network.forward``,
    the curve's own node taken: {kind: (nodes, len(states))}."""
    changed = np.flatnonzero(x != baseline_image)
    fx, fb = network.forward(params, x), network.forward(params, baseline_image)
    ranked = faithfulness.order(influence, changed, np.sign(fx[layer] - fb[layer]))
    nodes = ranked.shape[0]
    states = np.arange(changed.size + 1) if states is None else np.asarray(states)
    # position of each pixel in each node's ranking (unchanged pixels: never moved)
    position = np.full((nodes, 784), 784)
    position[np.arange(nodes)[:, None], ranked] = np.arange(changed.size)
    moved = position[:, None, :] < states[None, :, None]  # (nodes, states, 784)
    out = {}
    for kind, start, end in (("deletion", x, baseline_image), ("insertion", baseline_image, x)):
        images = np.where(moved, end, start)
        values = network.forward(params, images)[layer]  # (nodes, states, nodes)
        out[kind] = values[np.arange(nodes), :, np.arange(nodes)]
    return out


@pytest.mark.parametrize(("depth", "activation"), NETWORKS)
def test_every_state_is_a_direct_pass_of_its_image(depth, activation):
    """Every state of every node's curves on every layer within 1e-12 of the forward pass
    of its image; the ends f(x) and f(baseline) bit for bit; the same bits whatever the
    memory allows (every node at once, one node at a time)."""
    params = _network(depth, activation)
    x, b = _images(depth)
    fx, fb = network.forward(params, x), network.forward(params, b)
    rng = np.random.default_rng(1)
    m = int(np.sum(x != b))
    for layer in network.layer_names(params):
        influence = rng.normal(size=(fx[layer].size, 784))
        got = faithfulness.curves(params, x, b, influence, layer)
        want = _brute_force(params, x, b, influence, layer)
        for kind, first, last in (("deletion", fx, fb), ("insertion", fb, fx)):
            assert got[kind].shape == (fx[layer].size, m + 1)
            error = float(np.max(np.abs(got[kind] - want[kind])))
            assert error <= 1e-12, (layer, kind, error)
            assert np.array_equal(got[kind][:, 0], first[layer]), (layer, kind)
            assert np.array_equal(got[kind][:, -1], last[layer]), (layer, kind)
        one_by_one = faithfulness.curves(params, x, b, influence, layer, memory=1)
        for kind in faithfulness.CURVES:
            assert np.array_equal(one_by_one[kind], got[kind]), (layer, kind)


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_sigmoid_networks_with_exponentials_are_direct_passes(depth, monkeypatch):
    """A sigmoid layer 1 past the products' bound: exponentials, still the direct passes."""
    monkeypatch.setattr(faithfulness, "PRODUCT_BOUND", 0.0)
    params = _network(depth, "sigmoid")
    x, b = _images(10 + depth)
    assert not faithfulness._prepared(params, x, b)["products"]
    rng = np.random.default_rng(2)
    for layer in network.layer_names(params)[2:]:
        influence = rng.normal(size=(params[f"b{layer[1:]}"].size, 784))
        got = faithfulness.curves(params, x, b, influence, layer)
        want = _brute_force(params, x, b, influence, layer)
        for kind in faithfulness.CURVES:
            assert float(np.max(np.abs(got[kind] - want[kind]))) <= 1e-12, (layer, kind)


@pytest.mark.parametrize(("depth", "activation"), [(2, "tanh"), (3, "sigmoid"), (4, "relu")])
def test_every_pixel_changed(depth, activation):
    """The white image against the black one: 784 states, layer 1's sums (and the
    sigmoid's products) over all 784 pixels; states checked at both ends and the middle."""
    params = _network(depth, activation)
    x, b = np.ones(784), np.zeros(784)
    fx = network.forward(params, x)
    states = [0, 1, 2, 392, 782, 783, 784]
    rng = np.random.default_rng(3)
    for layer in network.layer_names(params):
        influence = rng.normal(size=(fx[layer].size, 784))
        got = faithfulness.curves(params, x, b, influence, layer)
        want = _brute_force(params, x, b, influence, layer, states)
        for kind in faithfulness.CURVES:
            error = float(np.max(np.abs(got[kind][:, states] - want[kind])))
            assert error <= 1e-12, (layer, kind, error)


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_node_values_are_direct_passes_from_a1(depth):
    params = _network(depth, "tanh")
    rng = np.random.default_rng(4)
    a1 = rng.normal(0, 2, size=(5, 6, WIDTHS[depth][0]))
    values = network.forward_from_a1(params, a1)
    for layer in network.layer_names(params):
        nodes = rng.integers(0, values[layer].shape[-1], 5)
        got = faithfulness.node_values(params, a1, layer, nodes)
        want = values[layer][np.arange(5), :, nodes]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13, err_msg=layer)


def test_a_relu_network_areas_are_nan_where_a_node_does_not_move():
    """A dead ReLU node (bias -100: z1 = 0 at every image) has the same value at x and at
    the baseline: NaN normalised areas, as a book's node that hardly changes; the others'
    areas are those of their normalised curves; an image equal to its baseline leaves
    single-point curves and NaN areas."""
    params = _network(2, "relu")
    params["b1"][0] = -100.0
    x, b = _images(5)
    fx, fb = network.forward(params, x), network.forward(params, b)
    layers = network.layer_names(params)
    rng = np.random.default_rng(6)
    maps = {"m": {layer: rng.normal(size=(fx[layer].size, 784)) for layer in layers}}
    got = faithfulness.evaluate(params, x, b, maps, fx, fb, layers, min_change=1e-3)
    assert list(got["areas"]) == ["m", faithfulness.RANDOM]
    for name in got["areas"]:
        for layer in layers:
            for kind in faithfulness.CURVES:
                curve = got["curves"][name][layer][kind]
                want = faithfulness.area(faithfulness.normalised(curve, fx[layer], fb[layer]))
                assert np.array_equal(got["areas"][name][layer][kind], want, equal_nan=True)
                moved = np.abs(fx[layer] - fb[layer]) >= 1e-3
                assert np.all(np.isfinite(want[moved])) and np.all(np.isnan(want[~moved]))
    # the dead node: a1 moves, z1 = 0 throughout
    assert fx["z1"][0] == fb["z1"][0] == 0.0
    assert np.isnan(got["areas"]["m"]["z1"]["deletion"][0])
    assert np.all(got["curves"]["m"]["z1"]["insertion"][0] == 0.0)
    still = faithfulness.evaluate(params, x, x, maps, fx, fx, layers)
    assert still["fraction"].tolist() == [0.0]
    for layer in layers:
        assert still["curves"]["m"][layer]["deletion"].shape == (fx[layer].size, 1)
        assert np.all(np.isnan(still["areas"]["m"][layer]["insertion"]))


def test_logit_layers_are_the_output_probabilities():
    assert faithfulness.LOGIT_LAYERS == faithfulness.logit_layers(3) == ("z3",)
    for depth in WIDTHS:
        assert faithfulness.logit_layers(_network(depth, "relu")) == (f"z{depth}",)
    assert "for z4, median_deletion_auc_logit" in faithfulness.summary_text(("z4",))
    assert "for z3, median_deletion_auc_logit" in faithfulness.SUMMARY_TEXT


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_logit_areas_of_the_output_layer_match_direct_passes(depth):
    """The softmax output zL's areas in logit space, log(p_k / (1 - p_k)) = aL_k -
    log(sum over j != k of exp(aL_j)) of every state's image; the layers below (z3 of a
    4-layer network included) have none, in the CSV rows and in the summary."""
    params = _network(depth, "tanh")
    x, b = _images(20 + depth)
    fx, fb = network.forward(params, x), network.forward(params, b)
    layers = network.layer_names(params)
    output = f"z{depth}"
    rng = np.random.default_rng(7)
    maps = {"m": {layer: rng.normal(size=(fx[layer].size, 784)) for layer in layers}}
    got = faithfulness.evaluate(params, x, b, maps, fx, fb, layers)
    data = {
        **got,
        "sample": "s",
        "layers": list(layers),
        "methods": ["m", faithfulness.RANDOM],
        "value": fx,
        "baseline": fb,
        "residuals": {"m": {layer: np.zeros(fx[layer].size) for layer in layers}},
        "logit_layers": faithfulness.logit_layers(params),
    }
    changed = np.flatnonzero(x != b)
    m = changed.size

    def odds(logits):
        k = logits.shape[-1]
        others = [np.log(np.exp(np.delete(logits, j, axis=-1)).sum(axis=-1)) for j in range(k)]
        return logits - np.stack(others, axis=-1)

    # the logits of every state's image (the ranking of zL's curves), their node's log-odds
    ranked_by = faithfulness.order(maps["m"][output], changed, np.sign(fx[output] - fb[output]))
    nodes = ranked_by.shape[0]
    position = np.full((nodes, 784), 784)
    position[np.arange(nodes)[:, None], ranked_by] = np.arange(m)
    moved = position[:, None, :] < np.arange(m + 1)[None, :, None]
    for kind, start, end in (("deletion", x, b), ("insertion", b, x)):
        logits = network.forward(params, np.where(moved, end, start))[f"a{depth}"]
        curve = odds(logits)[np.arange(nodes), :, np.arange(nodes)]
        sign = np.where(fx[output] < fb[output], -1.0, 1.0)
        oriented = sign[:, None] * (curve - odds(network.forward(params, b)[f"a{depth}"])[:, None])
        want = (oriented[:, 1:] + oriented[:, :-1]).sum(axis=1) / (2 * m)
        np.testing.assert_allclose(
            faithfulness.logit_areas(data, "m", output, kind), want, rtol=0, atol=1e-9
        )
    for layer in layers[:-1]:
        assert faithfulness.logit_areas(data, "m", layer, "deletion") is None
    rows = faithfulness.table_rows(data)
    with_logits = {r["layer"] for r in rows if r["deletion_auc_logit"] != ""}
    assert with_logits == {output}
    summary = faithfulness.summary([faithfulness.condensed(data)], ["m"], layers)
    assert {r["layer"] for r in summary if r["median_insertion_auc_logit"] != ""} == {output}
    # without "logit_layers" a sample is the book's: z3 (a hidden layer of this one) if any
    book = faithfulness.condensed({k: v for k, v in data.items() if k != "logit_layers"})
    assert list(book["logit"]["m"]) == (["z3"] if depth >= 3 else [])


def test_a_layer_the_network_does_not_have_is_refused():
    params = _network(2, "relu")
    x, b = _images(30)
    influence = np.zeros((10, 784))
    with pytest.raises(InputError, match=r"layer 'z3' is not a layer of this 2-layer network"):
        faithfulness.curves(params, x, b, influence, "z3")
    with pytest.raises(InputError, match=r"\(a1, z1, a2, z2\)"):
        faithfulness.node_values(params, np.zeros((1, 2, 17)), "a7", np.array([0]))


def test_only_the_book_keeps_the_ends_it_computes(random_params):
    """The book's network (its shapes, sigmoid) keeps the ends its curves compute past layer
    1, the bits of its earlier results (within 1e-13 of f(x) and f(baseline)); the same
    shapes with another activation end on f(x) and f(baseline) exactly."""
    x, b = _images(40)
    influence = np.random.default_rng(8).normal(size=(10, 784))
    for params, exact in ((random_params, False), ({**random_params, "activation": "tanh"}, True)):
        fx, fb = network.forward(params, x), network.forward(params, b)
        got = faithfulness.curves(params, x, b, influence, "a3")
        np.testing.assert_allclose(got["deletion"][:, 0], fx["a3"], rtol=0, atol=1e-13)
        np.testing.assert_allclose(got["insertion"][:, -1], fx["a3"], rtol=0, atol=1e-13)
        ends = np.array_equal(got["deletion"][:, [0, -1]], np.stack([fx["a3"], fb["a3"]], 1))
        assert ends == exact
