"""The pixel interactions on networks other than the book's: random dense networks of depth
1 to 4, small widths and each hidden activation, with a handful of changed pixels so that
every reference is brute force: one plain ``network.forward`` pass of a whole image per set
of pixels, the Moebius terms by inclusion-exclusion over itertools subsets, the Shapley
interaction index by enumerating every coalition. Nothing expected comes from the module.

The games (baseline b, changed pixels C, a node's value f): from the insertion end
v(S) = f(x on S, b elsewhere) - f(b); from the occlusion end v*(S) = f(x) - f(x with S at
b); m_T = sum over U in T of (-1)^(|T|-|U|) v(U); r_k = v(C) - sum of m_T over |T| <= k.
Tolerances as in tests/test_interactions.py: the module reaches a set's a1 by adding steps
where the reference multiplies the whole image by W1 (some 1e-15 per set).
"""

import itertools
import math

import numpy as np
import pytest

from pixel_influence import interactions, methods, network
from pixel_influence.errors import InputError

ARCHITECTURES = {  # hidden and output widths; 784 inputs
    "L1": (5,),
    "L2": (6, 4),
    "L3": (6, 5, 4),
    "L4": (5, 4, 4, 3),
}
NETWORKS = [(a, act) for a in ARCHITECTURES for act in network.ACTIVATIONS]
IDS = [f"{a}-{act}" for a, act in NETWORKS]
ENDS = interactions.ENDS
TOL = 1e-12  # absolute, times the layer's scale (logits can exceed 1)
PIXELS = [40, 41, 300, 301, 555, 700]  # the changed pixels of ``_image``


def _network(sizes, activation, seed=1):
    """A random network 784-sizes, checked as the pipeline checks one. The rows of W1 of
    the changed pixels (``PIXELS``) move a1 by about 1 each, the others little: sigmoid and
    tanh curve, ReLU units switch on and off between the sets of pixels."""
    rng = np.random.default_rng(seed)
    params, width = {}, 784
    for k, nodes in enumerate(sizes, start=1):
        scale = 0.02 if k == 1 else 1.5 / math.sqrt(width)
        params[f"W{k}"] = rng.normal(0, scale, (width, nodes))
        params[f"b{k}"] = rng.normal(0, 0.5, nodes)
        width = nodes
    params["W1"][PIXELS] = rng.normal(0, 1.0, (len(PIXELS), sizes[0]))
    params["activation"] = activation
    return network.check_network(params, "test network")


def _image(changes=len(PIXELS)):
    """x and a gray baseline b that differ in the first ``changes`` of ``PIXELS``: some
    brighter, one darker (x_i < b_i)."""
    b = np.full(784, 0.1)
    x = b.copy()
    x[PIXELS[:changes]] = [1.0, 0.0, 0.75, 1.0, 0.4, 0.9][:changes]
    return x, b


def _case(name, activation, changes=len(PIXELS)):
    params = _network(ARCHITECTURES[name], activation)
    return (params, *_image(changes), list(network.layer_names(params)))


# --- independent references ---------------------------------------------------------------


def _games(params, x, b, end, subsets):
    """{layer: (len(subsets), nodes)}: v(S) of one end's game, a whole forward pass each."""
    start, other = (b, x) if end == "insertion" else (x, b)
    images = np.tile(start, (len(subsets), 1))
    for row, subset in enumerate(subsets):
        images[row, list(subset)] = other[list(subset)]
    passes = network.forward(params, images)
    if end == "insertion":
        origin = network.forward(params, b)
        return {layer: passes[layer] - origin[layer] for layer in passes}
    value = network.forward(params, x)
    return {layer: value[layer] - passes[layer] for layer in passes}


def _total(params, x, b):
    value, baseline = network.forward(params, x), network.forward(params, b)
    return {layer: value[layer] - baseline[layer] for layer in value}


def _brute(params, x, b, end):
    """Every subset S of the changed pixels (sorted tuples) with v(S), and the Moebius
    terms {T: {layer: (nodes,)}} by inclusion-exclusion over the subsets of T."""
    changed = np.flatnonzero(x != b).tolist()
    subsets = [s for k in range(len(changed) + 1) for s in itertools.combinations(changed, k)]
    v = _games(params, x, b, end, subsets)
    row = {s: r for r, s in enumerate(subsets)}
    terms = {}
    for t in subsets:
        terms[t] = {
            layer: sum(
                (-1) ** (len(t) - k) * v[layer][row[u]]
                for k in range(len(t) + 1)
                for u in itertools.combinations(t, k)
            )
            for layer in v
        }
    return changed, terms


def _residuals(params, x, b, terms, upto):
    """{layer: (nodes, upto)}: r_k = v(C) - sum of the terms of order 1..k."""
    total = _total(params, x, b)
    out = {}
    for layer, change in total.items():
        per_order = [
            sum((terms[t][layer] for t in terms if len(t) == k), np.zeros(change.size))
            for k in range(1, upto + 1)
        ]
        out[layer] = (change[None, :] - np.cumsum(per_order, axis=0)).T
    return out


def _pairs(terms, changed, layer):
    """(nodes, m, m): the pair terms m_ij, zero diagonal."""
    m = len(changed)
    nodes = terms[()][layer].size
    out = np.zeros((nodes, m, m))
    for a, c in itertools.combinations(range(m), 2):
        out[:, a, c] = out[:, c, a] = terms[(changed[a], changed[c])][layer]
    return out


def _sii(params, x, b):
    """{layer: (nodes, m, m)}: SII_ij = sum over S in C \\ {i,j} of |S|! (m-|S|-2)! /
    (m-1)! (v(S+ij) - v(S+i) - v(S+j) + v(S)), every coalition enumerated."""
    changed = np.flatnonzero(x != b).tolist()
    m = len(changed)
    subsets = [s for k in range(m + 1) for s in itertools.combinations(changed, k)]
    v = _games(params, x, b, "insertion", subsets)
    row = {s: r for r, s in enumerate(subsets)}
    out = {layer: np.zeros((part.shape[1], m, m)) for layer, part in v.items()}
    for a, c in itertools.combinations(range(m), 2):
        i, j = changed[a], changed[c]
        rest = [p for p in changed if p not in (i, j)]
        for k in range(len(rest) + 1):
            weight = math.factorial(k) * math.factorial(m - k - 2) / math.factorial(m - 1)
            for s in itertools.combinations(rest, k):

                def at(*extra, s=s):
                    return row[tuple(sorted(s + extra))]

                for layer, part in v.items():
                    delta = part[at(i, j)] - part[at(i)] - part[at(j)] + part[at()]
                    out[layer][:, a, c] += weight * delta
        for layer in out:
            out[layer][:, c, a] = out[layer][:, a, c]
    return out


def _sii_moebius(terms, changed, layers):
    """The same index from the Moebius terms: sum over T containing i, j of m_T / (|T|-1)."""
    m = len(changed)
    out = {layer: np.zeros((terms[()][layer].size, m, m)) for layer in layers}
    for t, term in terms.items():
        for i, j in itertools.combinations(t, 2):
            a, c = changed.index(i), changed.index(j)
            for layer in layers:
                out[layer][:, a, c] += term[layer] / (len(t) - 1)
                out[layer][:, c, a] += term[layer] / (len(t) - 1)
    return out


def _scale(params, x, b):
    """Per layer, the largest |node value| at x or b (at least 1): logits can exceed 1."""
    both = network.forward(params, np.stack([x, b]))
    return {layer: max(1.0, float(np.abs(both[layer]).max())) for layer in both}


def _close(got, expected, scale=1.0, tol=TOL, err=""):
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * scale, err_msg=err)


def _all_nodes(params):
    return {layer: list(range(n)) for layer, n in network.layer_sizes(params).items()}


# --- the cases are what they claim ----------------------------------------------------------


def test_the_cases_interact_and_switch_relu_units():
    """Every case has real pair terms at its output (the tests below have teeth), and the
    ReLU networks have hidden units that switch on or off between the subsets."""
    for name, activation in NETWORKS:
        params, x, b, layers = _case(name, activation)
        changed, terms = _brute(params, x, b, "insertion")
        assert len(changed) == len(PIXELS)
        out = layers[-1]
        assert max(np.abs(terms[t][out]).max() for t in terms if len(t) == 2) > 1e-3, name
        if activation == "relu" and len(layers) > 2:
            subsets = list(terms)
            a1 = _games(params, x, b, "insertion", subsets)["a1"] + network.forward(params, b)["a1"]
            assert np.any((a1 > 0).any(axis=0) & (a1 <= 0).any(axis=0)), name


# --- 1. the full Moebius expansion ----------------------------------------------------------


@pytest.mark.parametrize("end", ENDS)
@pytest.mark.parametrize("name, activation", NETWORKS, ids=IDS)
def test_every_moebius_term_matches_brute_force(name, activation, end):
    """exact_expansion: every term of the 2^6 sets, the residuals r_1 .. r_6 (r_6 = 0) and
    the terms summing to v(C), for every node of every layer."""
    params, x, b, layers = _case(name, activation)
    changed, terms = _brute(params, x, b, end)
    m = len(changed)
    residuals = _residuals(params, x, b, terms, m)
    total = _total(params, x, b)
    scale = _scale(params, x, b)
    got = interactions.exact_expansion(params, x, b, layers, end=end)
    np.testing.assert_array_equal(got["changed"], changed)
    for layer in layers:
        expected = np.zeros((2**m, total[layer].size))
        for t, term in terms.items():
            expected[sum(1 << changed.index(i) for i in t)] = term[layer]
        _close(got["terms"][layer], expected, scale[layer], err=layer)
        _close(got["terms"][layer].sum(axis=0), total[layer], scale[layer], err=layer)
        _close(got["residuals"][layer], residuals[layer], scale[layer], err=layer)
        _close(got["residuals"][layer][:, -1], 0.0, scale[layer], err=layer)


@pytest.mark.parametrize("end", ENDS)
@pytest.mark.parametrize("name, activation", NETWORKS, ids=IDS)
def test_the_truncated_expansion_matches_brute_force(name, activation, end):
    """expansion to order 3 with the pair matrices of every node: the order-1 maps are the
    insertion resp. occlusion maps bit for bit, the pair terms and r_1, r_2, r_3 those of
    brute force, and the module's identities hold: order2 = m_i + 1/2 sum_j m_ij, pair
    strength = sum_j |m_ij|, the order-2 map sums to v(C) - r_2, the pair matrices are
    symmetric bit for bit with a zero diagonal."""
    params, x, b, layers = _case(name, activation)
    changed, terms = _brute(params, x, b, end)
    residuals = _residuals(params, x, b, terms, 3)
    total = _total(params, x, b)
    scale = _scale(params, x, b)
    got = interactions.expansion(params, x, b, layers, end, 3, _all_nodes(params))
    assert got["order3"] and got["triples"] == math.comb(6, 3)
    single = (methods.insertion if end == "insertion" else methods.occlusion)(params, x, b, layers)
    off = np.setdiff1d(np.arange(784), changed)
    for layer in layers:
        order1, order2 = got["order1"][layer], got["order2"][layer]
        pairs, strength = got["pairs"][layer], got["pair_strength"][layer]
        assert np.array_equal(order1, single[layer]), layer
        _close(pairs, _pairs(terms, changed, layer), scale[layer], err=layer)
        assert np.array_equal(pairs, pairs.transpose(0, 2, 1)), layer
        assert np.all(np.diagonal(pairs, axis1=1, axis2=2) == 0), layer
        _close(got["residuals"][layer], residuals[layer], scale[layer], err=layer)
        _close(order2[:, changed], order1[:, changed] + pairs.sum(axis=2) / 2, scale[layer])
        _close(strength[:, changed], np.abs(pairs).sum(axis=2), scale[layer])
        _close(order2.sum(axis=1), total[layer] - got["residuals"][layer][:, 1], scale[layer])
        _close(order1.sum(axis=1), total[layer] - got["residuals"][layer][:, 0], scale[layer])
        assert np.all(order2[:, off] == 0) and np.all(strength[:, off] == 0)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_affine_layers_have_no_interactions(name):
    """a1 is affine in the pixels, and with the identity activation so is every layer below
    the softmax: no term of order 2 or more, r_1 = 0; the softmax zL still interacts."""
    params, x, b, layers = _case(name, "identity")
    scale = _scale(params, x, b)
    for end in ENDS:
        got = interactions.expansion(params, x, b, layers, end, 3, _all_nodes(params))
        for layer in layers[:-1]:
            _close(got["pairs"][layer], 0.0, scale[layer], err=layer)
            _close(got["residuals"][layer], 0.0, scale[layer], err=layer)
        assert np.abs(got["pairs"][layers[-1]]).max() > 1e-3


# --- 2. the Shapley interaction index -----------------------------------------------------


@pytest.mark.parametrize("changes", [2, 3])
@pytest.mark.parametrize("name, activation", NETWORKS, ids=IDS)
def test_shapley_interaction_of_two_or_three_pixels_is_exact(name, activation, changes):
    """With two or three changed pixels every antithetic sample is the exact index (see
    tests/test_interactions.py): the estimate is the enumeration's, its error 0; every
    layer, the output layers included."""
    params, x, b, layers = _case(name, activation, changes)
    exact = _sii(params, x, b)
    estimate, changed, stderr = interactions.shapley_interaction(
        params, x, b, layers, permutations=4, seed=0, with_stderr=True
    )
    np.testing.assert_array_equal(changed, PIXELS[:changes])
    scale = _scale(params, x, b)
    for layer in layers:
        _close(estimate[layer], exact[layer], scale[layer], err=layer)
        _close(stderr[layer], 0.0, scale[layer], err=layer)
    assert np.abs(exact[layers[-1]]).max() > 1e-4


@pytest.mark.parametrize("name, activation", NETWORKS, ids=IDS)
def test_shapley_interaction_within_its_standard_error(name, activation):
    """Six changed pixels, 300 permutations: the estimate of the output layers' index lies
    within a few of its standard errors of the enumerated index (itself checked against
    its Moebius form), symmetric with a zero diagonal."""
    params, x, b, layers = _case(name, activation)
    exact = _sii(params, x, b)
    changed, terms = _brute(params, x, b, "insertion")
    other = _sii_moebius(terms, changed, layers)
    scale = _scale(params, x, b)
    for layer in layers:
        _close(exact[layer], other[layer], scale[layer], err=layer)
    outputs = list(network.output_layers(params))
    estimate, _, stderr = interactions.shapley_interaction(
        params, x, b, outputs, permutations=300, seed=4, with_stderr=True
    )
    off = ~np.eye(len(changed), dtype=bool)
    z = []
    for layer in outputs:
        assert np.array_equal(estimate[layer], estimate[layer].transpose(0, 2, 1))
        assert np.all(np.diagonal(estimate[layer], axis1=1, axis2=2) == 0)
        err, se = (estimate[layer] - exact[layer])[:, off], stderr[layer][:, off]
        zero = se < 1e-14  # every sample alike: the estimate is then exact
        _close(err[zero], 0.0, scale[layer])
        z.append(err[~zero] / se[~zero])
    z = np.concatenate(z)
    assert z.size > 30 and np.mean(z**2) < 2.5 and np.abs(z).max() < 5.0, (
        np.mean(z**2),
        np.abs(z).max(),
    )


# --- 3. interactions(): the network's own output layers ------------------------------------


@pytest.mark.parametrize("name, activation", NETWORKS, ids=IDS)
def test_interactions_takes_the_networks_output_layers(name, activation):
    """Every node of aL and zL gets its pair matrices and the index; hidden layers only the
    listed nodes; both ends' pair terms are brute force's."""
    params, x, b, layers = _case(name, activation)
    sizes = network.layer_sizes(params)
    outputs = list(network.output_layers(params))
    hidden = {layer: [1, 0, 1] for layer in layers[:-2]}
    out = interactions.interactions(
        params,
        x,
        b,
        layers,
        nodes=hidden,
        order=2,
        shapley_interaction_parameters={"permutations": 2, "seed": 0, "max_pairs": 15},
    )
    expected_nodes = {layer: [0, 1] for layer in layers[:-2]}
    expected_nodes.update({layer: list(range(sizes[layer])) for layer in outputs})
    assert out["nodes"] == expected_nodes
    assert list(out["shapley_interaction"]) == outputs and out["skipped"] is None
    scale = _scale(params, x, b)
    for end in ENDS:
        changed, terms = _brute(params, x, b, end)
        for layer, picked in expected_nodes.items():
            _close(out["ends"][end]["pairs"][layer], _pairs(terms, changed, layer)[picked])
            assert out["ends"][end]["residuals"][layer].shape == (sizes[layer], 2)
    exact = _sii(params, x, b)
    for layer in outputs:
        assert out["shapley_interaction"][layer].shape == (sizes[layer], 6, 6)
        assert np.abs(out["shapley_interaction"][layer] - exact[layer]).max() < 1.0 * scale[layer]
    few = interactions.interactions(
        params, x, b, layers[:-2] or layers, shapley_interaction_parameters={"permutations": 2}
    )
    if len(layers) > 2:
        assert few["skipped"] == "no output layer among the layers"
        assert few["nodes"] == {}


def test_a_layer_the_network_lacks_is_named():
    params, x, b, layers = _case("L2", "relu")
    message = r"layers \['a3'\] are not among the network's \['a1', 'z1', 'a2', 'z2'\]"
    with pytest.raises(InputError, match=r"interactions\.layers: " + message):
        interactions.interactions(params, x, b, ["z2", "a3"])
    with pytest.raises(InputError, match=r"interactions: " + message):
        interactions.expansion(params, x, b, ["a3"])
    with pytest.raises(InputError, match=r"exact_expansion: " + message):
        interactions.exact_expansion(params, x, b, ["a3"])
    with pytest.raises(InputError, match=r"shapley_interaction: " + message):
        interactions.shapley_interaction(params, x, b, ["a3"], permutations=2)
    with pytest.raises(InputError, match=r"z1 has nodes 0\.\.5, not \[6\]"):
        interactions.expansion(params, x, b, ["z1"], nodes={"z1": [6]})


# --- 4. the first layer's paths --------------------------------------------------------------


def test_a_named_sigmoid_is_the_book_bit_for_bit():
    """The book's shapes with random weights: "activation": "sigmoid" given or left out,
    every array of interactions() is the same bytes (the exponentials' shortcut both times)."""
    rng = np.random.default_rng(11)
    plain = {k: rng.normal(0, 1.0, shape) for k, shape in network.PARAM_SHAPES.items()}
    named = dict(plain, activation="sigmoid")
    x = np.zeros(784)
    x[rng.choice(784, 12, replace=False)] = rng.uniform(0.1, 1.0, 12)
    b = np.zeros(784)
    settings = {"permutations": 4, "seed": 1}
    got = [
        interactions.interactions(
            p, x, b, list(network.LAYERS), {"z1": [2], "z2": [5]}, 3, None, settings
        )
        for p in (plain, named)
    ]

    def arrays(found):
        for end in ENDS:
            for key in ("order1", "order2", "pair_strength", "residuals", "pairs"):
                for layer, value in found["ends"][end][key].items():
                    yield (end, key, layer), value
        for key in ("shapley_interaction", "stderr"):
            for layer, value in found[key].items():
                yield (key, layer), value

    one, two = dict(arrays(got[0])), dict(arrays(got[1]))
    assert list(one) == list(two) and len(one) == 2 * (4 * 6 + 4) + 4
    for key, value in one.items():
        assert value.tobytes() == two[key].tobytes(), key


@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_huge_first_layer_steps_match_brute_force(activation):
    """Single pixels move a1 by +-800 (the products of exp(-s_i) would overflow): the sigmoid
    falls back to exp(-a1) itself, the other activations never take exponentials of a1;
    every term stays finite and exact to rounding."""
    params = _network(ARCHITECTURES["L3"], activation, seed=5)
    params["W1"][PIXELS[:4], 0] = [800.0, 1.0 - 800.0, 400.0, -0.5 - 400.0]
    x, b = _image()
    changed, layers = PIXELS, list(network.layer_names(params))
    scale = _scale(params, x, b)
    for end in ENDS:
        _, terms = _brute(params, x, b, end)
        residuals = _residuals(params, x, b, terms, 3)
        got = interactions.expansion(params, x, b, layers, end, 3, _all_nodes(params))
        for layer in layers:
            assert np.all(np.isfinite(got["residuals"][layer])), (end, layer)
            _close(got["pairs"][layer], _pairs(terms, changed, layer), scale[layer], err=layer)
            _close(got["residuals"][layer], residuals[layer], scale[layer], err=layer)
    estimate, _, stderr = interactions.shapley_interaction(
        params, x, b, layers, permutations=4, seed=0, with_stderr=True
    )
    for layer in layers:
        assert np.all(np.isfinite(estimate[layer])) and np.all(np.isfinite(stderr[layer]))


@pytest.mark.parametrize("memory", [64e6, 1.0], ids=["one block", "1-row blocks"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_row_blocks_and_triple_chunks_do_not_change_the_result(activation, memory, monkeypatch):
    """Pairs in blocks of one row and triples in chunks of 3 give the terms of one block,
    to rounding (a row's place in the matrix product, the order of the triples' sums)."""
    params, x, b, layers = _case("L4", activation)
    whole = interactions.expansion(params, x, b, layers, "insertion", 3, _all_nodes(params))
    monkeypatch.setattr(interactions, "TRIPLE_CHUNK", 3)
    cut = interactions.expansion(
        params, x, b, layers, "insertion", 3, _all_nodes(params), memory=memory
    )
    scale = _scale(params, x, b)
    for layer in layers:
        _close(cut["pairs"][layer], whole["pairs"][layer], scale[layer], err=layer)
        _close(cut["residuals"][layer], whole["residuals"][layer], scale[layer], err=layer)


def test_the_summary_names_the_networks_layers():
    """The summary's rows are the interactions' layers of any network, in their order, each
    from both ends; its numbers those of the residuals (median |r_k| over nodes and samples)."""
    params, x, b, layers = _case("L4", "tanh")
    picked = layers[1::2] + ["a4"]  # z1, z2, z3, z4, a4: the file's order, as configured
    samples = [
        interactions.interactions(params, image, b, picked, order=3)["ends"]
        for image in (x, _image(4)[0])
    ]
    residuals = [{end: s[end]["residuals"] for end in ENDS} for s in samples]
    rows = interactions.summary(residuals, picked)
    assert [(row["layer"], row["end"]) for row in rows] == [
        (layer, end) for layer in picked for end in ENDS
    ]
    for row in rows:
        stack = np.concatenate([r[row["end"]][row["layer"]] for r in residuals])
        assert row["samples"] == 2 and row["nodes"] == stack.shape[0]
        assert row["median_abs_r2"] == f"{np.median(np.abs(stack[:, 1])):.6g}"
        assert row["samples_with_r3"] == 2
