"""interactions.py against direct computations: every expected value comes from plain
``network.forward`` passes of whole images, itertools subset enumeration or closed forms,
never from the module itself.

The games (baseline b, changed pixels C, a node's value f): from the insertion end
v(S) = f(x on S, b elsewhere) - f(b); from the occlusion end the dual game
v*(S) = f(x) - f(x with S at b). Both have v(C) = f(x) - f(b); their Moebius terms are
m_T = sum over U in T of (-1)^(|T|-|U|) v(U), and r_k = v(C) - sum of m_T over |T| <= k.

Tolerances: the module reaches a set's a1 by adding steps (or multiplying exponentials)
where the references multiply whole images by W1, so one set's value differs by some
1e-14 (measured: at most 1.4e-14 for the logits, 2e-15 for values of order 1). A single
term is held to 1e-12 absolute, times the largest |node value| of its layer where that
exceeds 1 (logits); a residual, which adds up every set up to its order, to 2e-15 per set
(``_sum_tol``: the 6,787 sets of a real digit's r_2 give 1.4e-11, measured 4e-12).
"""

import itertools
import math

import numpy as np
import pytest

from pixel_influence import interactions, methods, network
from pixel_influence.errors import InputError

LAYERS = network.LAYERS
ENDS = ("insertion", "occlusion")
TOL = 1e-12  # absolute, for values of order 1


# --- independent references -----------------------------------------------------------


def _widths(params):
    hidden1, hidden2, outputs = (params[w].shape[1] for w in ("W1", "W2", "W3"))
    return {
        "a1": hidden1,
        "z1": hidden1,
        "a2": hidden2,
        "z2": hidden2,
        "a3": outputs,
        "z3": outputs,
    }


def _stack(values):
    """{layer: (..., nodes)} -> (..., width) with the layers of LAYERS side by side."""
    return np.concatenate([values[layer] for layer in LAYERS], axis=-1)


def _split(stacked, params):
    """(..., width) -> {layer: (..., nodes)}: the inverse of ``_stack``."""
    bounds = np.cumsum([0] + [_widths(params)[layer] for layer in LAYERS])
    return {layer: stacked[..., bounds[k] : bounds[k + 1]] for k, layer in enumerate(LAYERS)}


def _f(params, images):
    return _stack(network.forward(params, images))


def _game(params, x, b, end, subsets):
    """v(S) (len(subsets), width) of one end's game: one plain forward pass of a whole
    image per subset S (a tuple of flat pixel indices)."""
    start, other = (b, x) if end == "insertion" else (x, b)
    images = np.tile(start, (len(subsets), 1))
    rows = [r for r, subset in enumerate(subsets) for _ in subset]
    cols = [i for subset in subsets for i in subset]
    images[rows, cols] = other[cols]
    if end == "insertion":
        return _f(params, images) - _f(params, b)
    return _f(params, x) - _f(params, images)


def _total(params, x, b):
    """v(C) = f(x) - f(b), the same from both ends."""
    return _f(params, x) - _f(params, b)


def _brute(params, x, b, end, top):
    """Moebius terms {T: (width,)} of every set T of changed pixels with 1 <= |T| <= top
    (T a sorted tuple of flat indices) by inclusion-exclusion over itertools subsets, and
    the residuals r_1 .. r_top, (width, top)."""
    changed = np.flatnonzero(x != b).tolist()
    subsets = [s for k in range(top + 1) for s in itertools.combinations(changed, k)]
    v = dict(zip(subsets, _game(params, x, b, end, subsets), strict=True))
    terms = {}
    for t in subsets[1:]:
        terms[t] = sum(
            (-1) ** (len(t) - k) * v[u]
            for k in range(len(t) + 1)
            for u in itertools.combinations(t, k)
        )
    total = _total(params, x, b)
    width = total.size
    per_order = [
        sum((terms[t] for t in terms if len(t) == k), np.zeros(width)) for k in range(1, top + 1)
    ]
    residuals = (total[None, :] - np.cumsum(per_order, axis=0)).T if top else np.zeros((width, 0))
    return terms, residuals


def _pairs_by_layer(terms, changed, params):
    """{layer: (nodes, m, m)}: the pair terms m_ij of the changed pixels, zero diagonal."""
    stacked = np.zeros((len(changed), len(changed), sum(_widths(params).values())))
    for a, c in itertools.combinations(range(len(changed)), 2):
        stacked[a, c] = stacked[c, a] = terms[(changed[a], changed[c])]
    return {layer: np.moveaxis(part, -1, 0) for layer, part in _split(stacked, params).items()}


def _scale(params, x, b):
    """Per layer, the largest |node value| at x or b (at least 1): logits can exceed 1."""
    both = network.forward(params, np.stack([x, b]))
    return {layer: max(1.0, float(np.abs(both[layer]).max())) for layer in LAYERS}


def _sum_tol(m, top):
    """Tolerance for a sum over every set of at most ``top`` of ``m`` pixels (a residual):
    each set's value carries some 10 eps (times the scale) of rounding, as the module
    reaches a set's a1 by adding steps where the reference multiplies the image by W1."""
    return max(TOL, 2e-15 * sum(math.comb(m, k) for k in range(top + 1)))


def _close(got, expected, scale=1.0, tol=TOL):
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * scale)


def _all_nodes(params, layers=LAYERS):
    return {layer: list(range(_widths(params)[layer])) for layer in layers}


# --- networks and images --------------------------------------------------------------


def _random_params(rng, inputs, hidden1, hidden2, outputs, scale):
    shapes = {
        "W1": (inputs, hidden1),
        "b1": (hidden1,),
        "W2": (hidden1, hidden2),
        "b2": (hidden2,),
        "W3": (hidden2, outputs),
        "b3": (outputs,),
    }
    return {k: rng.normal(0, scale, shape) for k, shape in shapes.items()}


@pytest.fixture(scope="module")
def mlp():
    """The real shapes 784-50-100-10, random weights large enough for strong interactions."""
    return _random_params(np.random.default_rng(11), 784, 50, 100, 10, 1.0)


@pytest.fixture(scope="module")
def image():
    """20 changed pixels of a zero image: 1.0 and grays; the baseline is all zero."""
    rng = np.random.default_rng(12)
    x = np.zeros(784)
    on = rng.choice(784, 20, replace=False)
    x[on[:12]] = 1.0
    x[on[12:]] = rng.uniform(0.1, 0.9, 8)
    return x


@pytest.fixture(scope="module")
def small():
    """An 8-input network 8-5-4-3 (the functions accept any shapes) with large weights."""
    return _random_params(np.random.default_rng(1), 8, 5, 4, 3, 2.0)


def _small_image(baseline):
    """x with 7 changed pixels (pixel 2 equals the baseline) and the baseline: zeros or gray."""
    rng = np.random.default_rng(2)
    x = rng.random(8)
    b = np.zeros(8) if baseline == "zero" else np.round(rng.uniform(0, 0.5, 8), 3)
    x[2] = b[2]
    return x, b


# --- 1. every pair term from four plain forward passes --------------------------------


def _check_pairs_and_order1(params, x, b, end, nodes, order, top, memory=64e6):
    got = interactions.expansion(
        params, x, b, LAYERS, end=end, order=order, nodes=nodes, memory=memory
    )
    changed = np.flatnonzero(x != b)
    m = changed.size
    np.testing.assert_array_equal(got["changed"], changed)
    terms, residuals = _brute(params, x, b, end, top)
    expected = _pairs_by_layer(terms, changed.tolist(), params)
    scale = _scale(params, x, b)
    assert set(got["pairs"]) == set(nodes)
    for layer, picked in nodes.items():
        pairs = got["pairs"][layer]
        assert pairs.shape == (len(picked), changed.size, changed.size)
        _close(pairs, expected[layer][picked], scale[layer])
        assert np.all(np.diagonal(pairs, axis1=1, axis2=2) == 0)
    method = methods.insertion if end == "insertion" else methods.occlusion
    single = method(params, x, b, LAYERS)
    r = _split(residuals.T, params)
    for layer in LAYERS:
        assert np.array_equal(got["order1"][layer], single[layer]), layer
        _close(got["residuals"][layer][:, :top], r[layer].T, scale[layer], _sum_tol(m, top))
    return got, expected


ROW_BLOCKS = {"one block": 64e6, "3-row blocks": 3 * 8 * 4 * 20 * (50 + 320)}


@pytest.mark.parametrize("memory", ROW_BLOCKS.values(), ids=ROW_BLOCKS.keys())
@pytest.mark.parametrize("end", ENDS)
def test_pairs_match_four_forward_passes_random_weights(mlp, image, end, memory, monkeypatch):
    """All pairs of 20 changed pixels, every node, and r_1..r_3 against subset enumeration;
    also with the pairs in blocks of 3 rows and the triples in chunks of 7."""
    if memory < 1e6:
        monkeypatch.setattr(interactions, "TRIPLE_CHUNK", 7)
    nodes = {"z2": [99, 0, 7], "z3": list(range(10)), "a1": [3], "z1": [49, 0], "a3": [2]}
    got, expected = _check_pairs_and_order1(mlp, image, np.zeros(784), end, nodes, 3, 3, memory)
    assert got["order3"] and got["triples"] == math.comb(20, 3)
    assert np.abs(expected["z2"]).max() > 1e-2  # the test has teeth: real interactions


@pytest.mark.parametrize("end", ENDS)
def test_pairs_match_four_forward_passes_real_weights(real_params, real_test_split, end):
    """The book's network on the test split's first digit (a 7, 116 changed pixels)."""
    images, labels = real_test_split
    assert labels[0] == 7
    x = images[0].reshape(-1) / 255.0
    nodes = {"z3": list(range(10)), "a3": list(range(10)), "z2": [0, 50, 99], "z1": [10]}
    got, expected = _check_pairs_and_order1(real_params, x, np.zeros(784), end, nodes, 2, 2)
    assert got["changed"].size == 116
    assert np.abs(expected["z3"]).max() > 1e-4  # occlusion: about 3e-4


@pytest.mark.parametrize("memory", ROW_BLOCKS.values(), ids=ROW_BLOCKS.keys())
@pytest.mark.parametrize("end", ENDS)
def test_pair_matrices_are_exactly_symmetric(mlp, image, end, memory):
    """m_ij and m_ji are one number (the docstring promises "symmetric bit for bit"),
    with a zero diagonal, whatever the row blocks."""
    got = interactions.expansion(
        mlp, image, np.zeros(784), LAYERS, end=end, order=2, nodes=_all_nodes(mlp), memory=memory
    )
    for layer, pairs in got["pairs"].items():
        asymmetric = np.argwhere(pairs != pairs.transpose(0, 2, 1))
        assert asymmetric.size == 0, (layer, len(asymmetric), asymmetric[:3].tolist())
        assert np.all(np.diagonal(pairs, axis1=1, axis2=2) == 0)


# --- 2. the order-2 map and the pair strength ------------------------------------------


@pytest.mark.parametrize("memory", ROW_BLOCKS.values(), ids=ROW_BLOCKS.keys())
@pytest.mark.parametrize("end", ENDS)
def test_order2_map_and_pair_strength(mlp, image, end, memory):
    b = np.zeros(784)
    got = interactions.expansion(
        mlp, image, b, LAYERS, end=end, order=2, nodes=_all_nodes(mlp), memory=memory
    )
    changed = np.flatnonzero(image != b)
    terms, residuals = _brute(mlp, image, b, end, 2)
    expected = _pairs_by_layer(terms, changed.tolist(), mlp)
    total = _split(_total(mlp, image, b), mlp)
    scale = _scale(mlp, image, b)
    for layer in LAYERS:
        order1, order2 = got["order1"][layer], got["order2"][layer]
        pairs, strength = got["pairs"][layer], got["pair_strength"][layer]
        r2 = got["residuals"][layer][:, 1]
        # sums to v(C) - r_2 per node
        _close(order2.sum(axis=1), total[layer] - r2, scale[layer], _sum_tol(20, 2))
        # the module's own identities
        _close(order2[:, changed], order1[:, changed] + pairs.sum(axis=2) / 2, scale[layer])
        _close(strength[:, changed], np.abs(pairs).sum(axis=2), scale[layer])
        # and the direct ones: m_i + 1/2 sum_j m_ij, sum_j |m_ij| from subset enumeration
        singles = np.stack([terms[(i,)] for i in changed.tolist()], axis=1)
        singles = _split(singles.T, mlp)[layer].T
        _close(order2[:, changed], singles + expected[layer].sum(axis=2) / 2, scale[layer])
        _close(strength[:, changed], np.abs(expected[layer]).sum(axis=2), scale[layer])
        off = np.setdiff1d(np.arange(784), changed)
        assert np.all(order2[:, off] == 0) and np.all(strength[:, off] == 0)


# --- 3. the full Moebius expansion on an 8-input network ------------------------------


def _mask(subset, changed):
    return sum(1 << changed.index(i) for i in subset)


@pytest.mark.parametrize("baseline", ["zero", "gray"])
@pytest.mark.parametrize("end", ENDS)
def test_exact_expansion_and_residuals_on_8_inputs(small, end, baseline):
    x, b = _small_image(baseline)
    changed = np.flatnonzero(x != b).tolist()
    m = len(changed)
    assert m == 7
    terms, residuals = _brute(small, x, b, end, m)
    total = _split(_total(small, x, b), small)
    exact = interactions.exact_expansion(small, x, b, LAYERS, end=end)
    truncated = interactions.expansion(small, x, b, LAYERS, end=end, order=3)
    np.testing.assert_array_equal(exact["changed"], changed)
    scale = _scale(small, x, b)
    expected_terms = np.zeros((2**m, residuals.shape[0]))
    for t, term in terms.items():
        expected_terms[_mask(t, changed)] = term
    expected_terms = _split(expected_terms, small)
    r = _split(residuals.T, small)
    for layer in LAYERS:
        got = exact["terms"][layer]
        assert got.shape == (2**m, _widths(small)[layer])
        _close(got, expected_terms[layer], scale[layer])
        _close(got.sum(axis=0), total[layer], scale[layer])  # the terms reproduce v(C)
        assert exact["residuals"][layer].shape == (_widths(small)[layer], m)
        _close(exact["residuals"][layer], r[layer].T, scale[layer])
        _close(exact["residuals"][layer][:, -1], 0.0, scale[layer])  # r_m = 0
        _close(truncated["residuals"][layer], r[layer].T[:, :3], scale[layer])
    # a1 is affine: no term above order 1
    assert np.abs(expected_terms["a1"][[t for t in range(2**m) if t.bit_count() > 1]]).max() < TOL
    assert np.abs(r["z3"][1]).max() > 1e-3  # interactions beyond pairs at the softmax


# --- 4. the Shapley interaction index ---------------------------------------------------


def _sii_exact(params, x, b):
    """SII_ij = sum over S in C \\ {i,j} of |S|! (m-|S|-2)! / (m-1)! delta_ij(S), by
    enumeration: {layer: (nodes, m, m)}."""
    changed = np.flatnonzero(x != b).tolist()
    m = len(changed)
    subsets = [s for k in range(m + 1) for s in itertools.combinations(changed, k)]
    v = dict(zip(subsets, _game(params, x, b, "insertion", subsets), strict=True))
    out = np.zeros((m, m, next(iter(v.values())).size))
    for a, c in itertools.combinations(range(m), 2):
        i, j = changed[a], changed[c]
        rest = [p for p in changed if p not in (i, j)]
        for k in range(len(rest) + 1):
            weight = math.factorial(k) * math.factorial(m - k - 2) / math.factorial(m - 1)
            for s in itertools.combinations(rest, k):

                def key(*extra, s=s):
                    return tuple(sorted(s + extra))

                delta = v[key(i, j)] - v[key(i)] - v[key(j)] + v[key()]
                out[a, c] += weight * delta
        out[c, a] = out[a, c]
    return {layer: np.moveaxis(part, -1, 0) for layer, part in _split(out, params).items()}


def _sii_moebius(params, x, b):
    """The same index in Moebius terms: sum over T containing i, j of m_T / (|T| - 1)."""
    changed = np.flatnonzero(x != b).tolist()
    terms, _ = _brute(params, x, b, "insertion", len(changed))
    m = len(changed)
    out = np.zeros((m, m, next(iter(terms.values())).size))
    for t, term in terms.items():
        for i, j in itertools.combinations(t, 2):
            a, c = changed.index(i), changed.index(j)
            out[a, c] += term / (len(t) - 1)
            out[c, a] += term / (len(t) - 1)
    return {layer: np.moveaxis(part, -1, 0) for layer, part in _split(out, params).items()}


def _antithetic_law(params, x, b):
    """Mean and variance over all m! orders of one sample of the documented estimator: for
    an order and its reverse, each pixel of the pair in turn represents it, S = the pixels
    before the representative without the partner, and the sample is the mean of the four
    delta_ij(S). Returns {layer: (nodes, m, m)} twice."""
    changed = np.flatnonzero(x != b).tolist()
    m = len(changed)
    by_mask = [tuple(changed[k] for k in range(m) if mask >> k & 1) for mask in range(2**m)]
    v = _game(params, x, b, "insertion", by_mask)  # row = bit mask of the set
    orders = np.array(list(itertools.permutations(range(m))))
    samples = np.zeros((len(orders), m, m, v.shape[1]))
    for order in (orders, orders[:, ::-1]):
        position = np.argsort(order, axis=1)
        before = position[:, None, :] < position[:, :, None]  # [p, i, k]: k comes before i
        prefix = (before * (1 << np.arange(m))).sum(axis=2)
        for i, j in itertools.permutations(range(m), 2):  # i represents the pair
            s = prefix[:, i] & ~(1 << j)
            delta = v[s | 1 << i | 1 << j] - v[s | 1 << i] - v[s | 1 << j] + v[s]
            samples[:, i, j] += delta / 4
            samples[:, j, i] += delta / 4

    def split(part):
        return {layer: np.moveaxis(p, -1, 0) for layer, p in _split(part, params).items()}

    return split(samples.mean(axis=0)), split(samples.var(axis=0))


def _z_scores(estimate, stderr, exact, layers):
    z = []
    for layer in layers:
        off = ~np.eye(estimate[layer].shape[1], dtype=bool)
        err, se = (estimate[layer] - exact[layer])[:, off], stderr[layer][:, off]
        zero = se == 0  # every sample alike (saturated nodes): then the estimate is exact
        assert np.abs(err[zero]).max(initial=0) < TOL, layer
        z.append(err[~zero] / se[~zero])
    return np.concatenate(z)


def test_shapley_interaction_within_its_standard_error(small):
    x, b = _small_image("zero")
    exact = _sii_exact(small, x, b)
    other = _sii_moebius(small, x, b)
    scale = _scale(small, x, b)
    for layer in LAYERS:  # the two exact forms agree: the reference is right
        _close(exact[layer], other[layer], scale[layer])
    layers = ["z1", "a2", "z2", "a3", "z3"]
    estimate, changed, stderr = interactions.shapley_interaction(
        small, x, b, ["a1"] + layers, permutations=400, seed=5, with_stderr=True
    )
    np.testing.assert_array_equal(changed, np.flatnonzero(x != b))
    for layer in ["a1"] + layers:
        assert estimate[layer].shape == stderr[layer].shape == (_widths(small)[layer], 7, 7)
        assert np.all(np.diagonal(estimate[layer], axis1=1, axis2=2) == 0)
        np.testing.assert_array_equal(estimate[layer], estimate[layer].transpose(0, 2, 1))
    _close(estimate["a1"], 0.0, scale["a1"])  # affine: no interactions
    z = _z_scores(estimate, stderr, exact, layers)
    assert z.size > 100
    assert np.mean(z**2) < 2.0, np.mean(z**2)
    assert np.abs(z).max() < 5.0, np.abs(z).max()
    assert max(float(np.abs(exact[layer]).max()) for layer in layers) > 1e-2
    # the scheme is unbiased, exactly, and the standard error estimates its true spread
    mean, variance = _antithetic_law(small, x, b)
    ratios = []
    for layer in LAYERS:
        _close(mean[layer], exact[layer], scale[layer])
        true = np.sqrt(variance[layer] / 200)  # 400 permutations: 200 antithetic pairs
        spread = true > TOL
        _close(stderr[layer][~spread], 0.0)
        ratios.append(stderr[layer][spread] / true[spread])
    ratios = np.concatenate(ratios)
    assert ratios.size > 700 and 0.9 < np.median(ratios) < 1.1, np.median(ratios)
    assert 0.6 < ratios.min() and ratios.max() < 1.5, (ratios.min(), ratios.max())


@pytest.mark.parametrize("memory", [64e6, 1.0], ids=["one block", "1-row blocks"])
@pytest.mark.parametrize("changes", [2, 3])
def test_shapley_interaction_of_two_or_three_pixels_is_exact(small, changes, memory):
    """Two pixels: the index is their pair term. Three: every antithetic pair of orders
    (with both representatives) puts the third pixel before and after the pair equally
    often, which are the exact weights 1/2, 1/2, so every sample is the exact value."""
    x, b = _small_image("zero")
    keep = [0, 1, 3][:changes]  # pixel 2 is unchanged already
    x[np.setdiff1d(np.arange(8), keep)] = 0.0
    exact = _sii_exact(small, x, b)
    if changes == 2:
        terms, _ = _brute(small, x, b, "insertion", 2)
        pair = _split(terms[(0, 1)], small)
        for layer in LAYERS:
            _close(exact[layer][:, 0, 1], pair[layer])
    estimate, changed, stderr = interactions.shapley_interaction(
        small, x, b, LAYERS, permutations=4, seed=0, memory=memory, with_stderr=True
    )
    np.testing.assert_array_equal(changed, keep)
    for layer in LAYERS:
        _close(estimate[layer], exact[layer])
        _close(stderr[layer], 0.0)  # every sample the same, exact value


def test_shapley_interaction_is_seeded(small):
    x, b = _small_image("gray")
    runs = [
        interactions.shapley_interaction(
            small, x, b, ["z2", "z3"], permutations=6, seed=seed, with_stderr=True
        )
        for seed in (3, 3, 4)
    ]
    for layer in ("z2", "z3"):
        assert runs[0][0][layer].tobytes() == runs[1][0][layer].tobytes()
        assert runs[0][2][layer].tobytes() == runs[1][2][layer].tobytes()
        off = ~np.eye(7, dtype=bool)
        assert np.all(runs[0][0][layer][:, off] != runs[2][0][layer][:, off])


@pytest.mark.parametrize("permutations", [3, 1, 0, -2])
def test_shapley_interaction_rejects_odd_or_too_few_permutations(small, permutations):
    x, b = _small_image("zero")
    with pytest.raises(
        InputError, match=rf"permutations must be even and >= 2, got {permutations}$"
    ):
        interactions.shapley_interaction(small, x, b, ["z3"], permutations=permutations)


# --- 5. closed forms at the first layer --------------------------------------------------


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@pytest.mark.parametrize("end", ENDS)
def test_z1_pairs_follow_the_sigmoid_of_a_sum(mlp, image, end):
    """Insertion: sigmoid(a + t_i + t_j) - sigmoid(a + t_i) - sigmoid(a + t_j) + sigmoid(a)
    with a = a1(b), t_i = (x_i - b_i) W1[i]; occlusion: the same from a = a1(x) with
    t_i = -(x_i - b_i) W1[i], and the sign flipped."""
    b = np.zeros(784)
    got = interactions.expansion(
        mlp, image, b, ["a1", "z1"], end=end, order=2, nodes=_all_nodes(mlp, ["a1", "z1"])
    )
    changed = np.flatnonzero(image != b)
    t = (image - b)[changed, None] * mlp["W1"][changed]  # (m, 50)
    a = b @ mlp["W1"] + mlp["b1"]
    sign = 1.0
    if end == "occlusion":
        a, t, sign = image @ mlp["W1"] + mlp["b1"], -t, -1.0
    ti, tj = t[:, None, :], t[None, :, :]
    closed = sign * (_sigmoid(a + ti + tj) - _sigmoid(a + ti) - _sigmoid(a + tj) + _sigmoid(a))
    closed[np.arange(changed.size), np.arange(changed.size)] = 0.0
    _close(got["pairs"]["z1"], np.moveaxis(closed, -1, 0))
    assert np.abs(closed).max() > 1e-2
    assert np.abs(got["pairs"]["a1"]).max() < 1e-13  # a1 is affine
    assert np.abs(got["residuals"]["a1"]).max() < 1e-13


# --- 6. max_triples, orders and bad input -------------------------------------------------


def test_max_triples_skips_order_3_only(mlp, image):
    b = np.zeros(784)
    full = interactions.expansion(mlp, image, b, LAYERS, order=3)
    triples = math.comb(20, 3)
    assert full["triples"] == triples and full["order3"]
    skipped = interactions.expansion(mlp, image, b, LAYERS, order=3, max_triples=triples - 1)
    assert skipped["triples"] == triples and skipped["order3"] is False
    enough = interactions.expansion(mlp, image, b, LAYERS, order=3, max_triples=triples)
    assert enough["order3"] is True
    two = interactions.expansion(mlp, image, b, LAYERS, order=2)
    one = interactions.expansion(mlp, image, b, LAYERS, order=1)
    _, residuals = _brute(mlp, image, b, "insertion", 3)
    expected = _split(residuals.T, mlp)
    scale = _scale(mlp, image, b)
    for layer in LAYERS:
        nodes = _widths(mlp)[layer]
        assert skipped["residuals"][layer].shape == (nodes, 3)
        assert np.all(np.isnan(skipped["residuals"][layer][:, 2]))
        np.testing.assert_array_equal(
            skipped["residuals"][layer][:, :2], full["residuals"][layer][:, :2]
        )
        np.testing.assert_array_equal(enough["residuals"][layer], full["residuals"][layer])
        assert two["residuals"][layer].shape == (nodes, 2)
        assert one["residuals"][layer].shape == (nodes, 1)
        _close(two["residuals"][layer], expected[layer].T[:, :2], scale[layer], _sum_tol(20, 2))
        _close(one["residuals"][layer], expected[layer].T[:, :1], scale[layer], _sum_tol(20, 1))
        np.testing.assert_array_equal(one["order2"][layer], one["order1"][layer])  # no pairs
        assert np.all(one["pair_strength"][layer] == 0)
        assert not one["order3"] and not two["order3"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"order": 0}, r"order must be one of \[1, 2, 3\], got 0"),
        ({"order": 4}, r"order must be one of \[1, 2, 3\], got 4"),
        ({"end": "middle"}, r"end must be one of \['insertion', 'occlusion'\], got 'middle'"),
        ({"nodes": {"z2": [3, 100]}}, r"z2 has nodes 0\.\.99, not \[100\]"),
        ({"nodes": {"z3": [-1, 0]}}, r"z3 has nodes 0\.\.9, not \[-1\]"),
        ({"nodes": {"a2": [0]}}, r"nodes of a2, which is not among \['z2', 'z3'\]"),
    ],
)
def test_bad_input_is_named(mlp, image, kwargs, message):
    with pytest.raises(InputError, match=message):
        interactions.expansion(mlp, image, np.zeros(784), ["z2", "z3"], **kwargs)


def test_exact_expansion_bad_input_is_named(small, mlp, image):
    x, b = _small_image("zero")
    with pytest.raises(InputError, match=r"end must be one of .*, got 'both'"):
        interactions.exact_expansion(small, x, b, ["z3"], end="both")
    with pytest.raises(InputError, match=r"20 changed pixels need 2\^20 passes; at most 16"):
        interactions.exact_expansion(mlp, image, np.zeros(784), ["z3"])


def test_pair_matrices_in_float32(mlp, image):
    """dtype: the pair matrices stored in float32 are the float64 terms rounded once."""
    b = np.zeros(784)
    nodes = {"z2": [5], "z3": list(range(10))}
    got = interactions.expansion(
        mlp, image, b, ["z2", "z3"], order=2, nodes=nodes, dtype=np.float32
    )
    terms, _ = _brute(mlp, image, b, "insertion", 2)
    expected = _pairs_by_layer(terms, np.flatnonzero(image).tolist(), mlp)
    for layer, picked in nodes.items():
        assert got["pairs"][layer].dtype == np.float32
        np.testing.assert_allclose(
            got["pairs"][layer], expected[layer][picked].astype(np.float32), rtol=0, atol=1e-7
        )
    assert got["residuals"]["z3"].dtype == np.float64  # only the matrices are stored small


def test_interactions_picks_the_nodes_and_names_strangers(mlp, image):
    b = np.zeros(784)
    out = interactions.interactions(
        mlp,
        image,
        b,
        ["z2", "z3"],
        nodes={"z2": [7, 0, 7]},
        order=2,
        shapley_interaction_parameters={"permutations": 2, "seed": 0},
    )
    assert out["nodes"] == {"z2": [0, 7], "z3": list(range(10))}
    assert set(out["ends"]) == set(ENDS) and set(out["shapley_interaction"]) == {"z3"}
    changed = np.flatnonzero(image != b).tolist()
    for end in ENDS:
        terms, _ = _brute(mlp, image, b, end, 2)
        expected = _pairs_by_layer(terms, changed, mlp)
        _close(out["ends"][end]["pairs"]["z2"], expected["z2"][[0, 7]])
        _close(out["ends"][end]["pairs"]["z3"], expected["z3"])
    with pytest.raises(InputError, match=r"interactions\.nodes: \['a1'\] not among"):
        interactions.interactions(mlp, image, b, ["z2", "z3"], nodes={"a1": [0]})


# --- 7. the exponential shortcut's fallback ----------------------------------------------


def _huge(size):
    """Pixels 0..3 move node 0 of a1 by +-size and +-size/2, summing to moderate values
    (1, 0.5): at size 800 the products of exp(-s_i) would overflow to inf and underflow to
    0 (inf * 0 = NaN)."""
    params = _random_params(np.random.default_rng(7), 8, 5, 4, 3, 2.0)
    params["W1"][:4, 0] = [size, 1.0 - size, size / 2, -0.5 - size / 2]
    x, _ = _small_image("zero")
    x[:4] = 1.0
    return params, x, np.zeros(8)


@pytest.mark.parametrize("size", [800.0, 90.0], ids=["direct path", "shortcut at its bound"])
def test_huge_weights_match_brute_force_on_both_paths(size):
    """Past EXP_SAFE the module must use exp(-a1) itself; just below, the products of
    exponentials reach e^+-270 and must still be exact to rounding."""
    params, x, b = _huge(size)
    steps = (x - b)[:, None] * params["W1"]
    bound = np.abs(b @ params["W1"] + params["b1"]).max() + 3 * np.abs(steps).max()
    assert (bound > interactions.EXP_SAFE) == (size > 100), bound
    changed = np.flatnonzero(x != b).tolist()
    scale = _scale(params, x, b)
    for end in ENDS:
        got = interactions.expansion(
            params, x, b, LAYERS, end=end, order=3, nodes=_all_nodes(params)
        )
        terms, residuals = _brute(params, x, b, end, 3)
        expected = _pairs_by_layer(terms, changed, params)
        r = _split(residuals.T, params)
        for layer in LAYERS:
            assert np.all(np.isfinite(got["residuals"][layer])), (end, layer)
            _close(got["pairs"][layer], expected[layer], scale[layer])
            _close(got["residuals"][layer], r[layer].T, scale[layer])
        assert abs(got["pairs"]["z1"][0, 0, 1]) > 0.2  # sigmoid(1) - 1/2: a real interaction
    exact = _sii_exact(params, x, b)
    estimate, _, stderr = interactions.shapley_interaction(
        params, x, b, ["z1", "z2", "z3"], permutations=200, seed=1, with_stderr=True
    )
    z = _z_scores(estimate, stderr, exact, ["z1", "z2", "z3"])
    assert np.all(np.isfinite(z)) and np.abs(z).max() < 5.0


# --- 8. no, one and two changed pixels ---------------------------------------------------


@pytest.mark.parametrize("changes", [0, 1, 2])
@pytest.mark.parametrize("end", ENDS)
def test_few_changed_pixels(mlp, image, changes, end):
    b = np.zeros(784)
    x = b.copy()
    picked = np.flatnonzero(image)[:changes]
    x[picked] = image[picked]
    got = interactions.expansion(mlp, x, b, LAYERS, end=end, order=3, nodes=_all_nodes(mlp))
    np.testing.assert_array_equal(got["changed"], picked)
    assert got["triples"] == 0 and got["order3"]
    terms, residuals = _brute(mlp, x, b, end, 3)
    expected = _pairs_by_layer(terms, picked.tolist(), mlp)
    r = _split(residuals.T, mlp)
    scale = _scale(mlp, x, b)
    for layer in LAYERS:
        nodes = _widths(mlp)[layer]
        assert got["pairs"][layer].shape == (nodes, changes, changes)
        _close(got["pairs"][layer], expected[layer], scale[layer])
        assert got["residuals"][layer].shape == (nodes, 3)
        _close(got["residuals"][layer], r[layer].T, scale[layer])
        for name in ("order1", "order2", "pair_strength"):
            assert got[name][layer].shape == (nodes, 784)
    if changes < 2:
        for layer in LAYERS:  # nothing to interact: every residual vanishes
            _close(got["residuals"][layer], 0.0, scale[layer])
    exact = interactions.exact_expansion(mlp, x, b, LAYERS, end=end)
    for layer in LAYERS:
        assert exact["terms"][layer].shape == (2**changes, _widths(mlp)[layer])
        _close(exact["terms"][layer][0], 0.0)  # the empty set
        for t, term in terms.items():
            _close(exact["terms"][layer][_mask(t, picked.tolist())], _split(term, mlp)[layer])
        assert exact["residuals"][layer].shape == (_widths(mlp)[layer], changes)
    estimate, changed, stderr = interactions.shapley_interaction(
        mlp, x, b, ["z3"], permutations=2, with_stderr=True
    )
    assert estimate["z3"].shape == stderr["z3"].shape == (10, changes, changes)
    if changes == 2:  # the index is of the game from the baseline: its pair term
        terms, _ = _brute(mlp, x, b, "insertion", 2)
        _close(estimate["z3"][:, 0, 1], _split(terms[tuple(picked.tolist())], mlp)["z3"])
