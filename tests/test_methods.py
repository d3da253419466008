import itertools
import math

import numpy as np
import pytest
from conftest import needs_data

from pixel_influence import methods, network
from pixel_influence.errors import InputError


def _digit(rng):
    """A digit-like image: mostly zeros, some strokes at 1.0 and some gray pixels."""
    x = np.zeros(784)
    on = rng.choice(784, 150, replace=False)
    x[on[:90]] = 1.0
    x[on[90:]] = rng.random(60)
    return x


def _direct_insertion(params, x, baseline, layer):
    """Independent reference: one forward pass per pixel, in a plain loop."""
    reference = network.forward(params, baseline)[layer]
    out = np.empty((reference.size, x.size))
    for i in range(x.size):
        image = baseline.copy()
        image[i] = x[i]
        out[:, i] = network.forward(params, image)[layer] - reference
    return out


@pytest.mark.parametrize("baseline_value", [0.0, 0.3])
def test_insertion_equals_784_one_pixel_passes(random_params, baseline_value):
    rng = np.random.default_rng(2)
    x, b = _digit(rng), np.full(784, baseline_value)
    got = methods.insertion(random_params, x, b, network.LAYERS)
    for layer in network.LAYERS:
        expected = _direct_insertion(random_params, x, b, layer)
        assert got[layer].shape == (network.LAYER_SIZES[layer], 784)
        np.testing.assert_allclose(got[layer], expected, rtol=0, atol=1e-12)


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _closed_form_z1(params, x):
    """sigmoid(x_i W1[i,j] + b1[j]) - sigmoid(b1[j]), as (nodes, pixels)."""
    W1, b1 = params["W1"], params["b1"]
    return (_sigmoid(x[:, None] * W1 + b1[None, :]) - _sigmoid(b1)[None, :]).T


def test_z1_closed_form(random_params):
    x = _digit(np.random.default_rng(3))
    got = methods.insertion(random_params, x, np.zeros(784), ["z1"])["z1"]
    np.testing.assert_allclose(got, _closed_form_z1(random_params, x), rtol=1e-12, atol=1e-15)


def test_residual_vanishes_where_the_layer_is_linear_in_x(random_params):
    """a1 is affine in x, so single-pixel insertion is exact there; z1 is not."""
    x = _digit(np.random.default_rng(4))
    result = methods.compute(random_params, x, np.zeros(784), ["a1", "z1"], ["insertion"])
    assert np.abs(result["residuals"]["insertion"]["a1"]).max() < 1e-12
    assert np.abs(result["residuals"]["insertion"]["z1"]).max() > 1e-3


def test_pixels_at_zero_have_no_influence(random_params):
    x = _digit(np.random.default_rng(5))
    got = methods.insertion(random_params, x, np.zeros(784), network.LAYERS)
    for layer in network.LAYERS:
        assert np.all(got[layer][:, x == 0] == 0)


DEFAULT_DIGITS = (3, 2, 1, 18, 4, 8, 11, 0, 61, 7)  # first test image of each digit 0..9


@needs_data
def test_real_z1_closed_form_and_cut_out_identity(real_params, real_test_split):
    images, labels = real_test_split
    white = methods.insertion(real_params, np.ones(784), np.zeros(784), network.LAYERS)
    checked = 0
    for index in DEFAULT_DIGITS:
        x = images[index].reshape(-1) / 255.0
        got = methods.insertion(real_params, x, np.zeros(784), network.LAYERS)
        np.testing.assert_allclose(
            got["z1"], _closed_form_z1(real_params, x), rtol=1e-12, atol=1e-15
        )
        full = x == 1.0
        assert full.any()
        checked += int(full.sum())
        # the article's "cut-out": where the digit is fully white it equals the white image
        for layer in network.LAYERS:
            np.testing.assert_allclose(
                got[layer][:, full], white[layer][:, full], rtol=0, atol=1e-15
            )
            assert np.all(got[layer][:, x == 0] == 0)
    assert checked == 15


@needs_data
def test_real_insertion_matches_direct_loop_for_one_digit(real_params, real_test_split):
    images, _ = real_test_split
    x = images[0].reshape(-1) / 255.0
    got = methods.insertion(real_params, x, np.zeros(784), ["z2", "z3"])
    for layer in ("z2", "z3"):
        expected = _direct_insertion(real_params, x, np.zeros(784), layer)
        np.testing.assert_allclose(got[layer], expected, rtol=0, atol=1e-13)


@needs_data
def test_white_image_scales_match_the_calibration(real_params):
    """max |influence| per layer for the white image, computed independently in the notes."""
    white = methods.insertion(real_params, np.ones(784), np.zeros(784), ["z1", "z2", "a3", "z3"])
    maxima = {layer: float(np.abs(v).max()) for layer, v in white.items()}
    expected = {"z1": 0.113, "z2": 0.096, "a3": 1.25, "z3": 0.283}  # 3 significant digits
    assert maxima == pytest.approx(expected, rel=5e-3)


# --- the interaction-aware methods -------------------------------------------------------

ALL_METHODS = tuple(methods.METHODS)
# Method.complete decides which methods the completeness tests hold to sum(map) = f(x) - f(b)
COMPLETE = tuple(name for name, method in methods.METHODS.items() if method.complete)
INCOMPLETE = tuple(name for name in ALL_METHODS if name not in COMPLETE)
# how far from f(x) - f(baseline) a complete method's sum may be, on the real digits:
# integrated gradients is complete up to its quadrature error (64 points: 1e-6 of the
# change), every other complete method to rounding
REAL_TOLERANCE = {"integrated_gradients": (1e-6, 1e-13)}  # (of |change|, absolute)
EXACT = (0.0, 1e-12)


def _run(name, params, x, b, layers, **settings):
    defaults = methods.METHODS[name].parameters
    settings = {**defaults, **{k: v for k, v in settings.items() if k in defaults}}
    return methods.METHODS[name].function(params, x, b, layers, **settings)


def _small_params(rng, sizes=(8, 5, 4, 3)):
    """A network of the same structure with few inputs, for exact Shapley values."""
    shapes = [(sizes[0], sizes[1]), (sizes[1],), (sizes[1], sizes[2]), (sizes[2],)]
    shapes += [(sizes[2], sizes[3]), (sizes[3],)]
    names = ("W1", "b1", "W2", "b2", "W3", "b3")
    return {k: rng.normal(0, 1.5, s) for k, s in zip(names, shapes, strict=True)}


def _central_differences(params, x, layer, h=1e-5):
    """d node / d pixel by central differences, all pixels in one batch: (nodes, pixels)."""
    eye = np.eye(x.size) * h
    up = network.forward(params, x[None, :] + eye)[layer]
    down = network.forward(params, x[None, :] - eye)[layer]
    return ((up - down) / (2 * h)).T


@pytest.mark.parametrize("source", ["random", "real"])
def test_gradient_equals_central_differences(source, random_params, request):
    params = random_params if source == "random" else request.getfixturevalue("real_params")
    x = _digit(np.random.default_rng(6))
    # with baseline x - 1 every pixel has x - baseline = 1: gradient x input is the gradient
    got = methods.gradient_input(params, x, x - 1.0, network.LAYERS)
    for layer in network.LAYERS:
        expected = _central_differences(params, x, layer)
        scale = np.abs(expected).max()
        np.testing.assert_allclose(got[layer], expected, rtol=0, atol=1e-8 * max(scale, 1.0))


@pytest.mark.parametrize("name", ALL_METHODS)
def test_every_method_is_exact_where_the_network_is_linear(name, random_params):
    """a1 is affine in x: every method must give (x_i - b_i) W1[i, j] there."""
    rng = np.random.default_rng(7)
    x, b = _digit(rng), np.full(784, 0.2)
    got = _run(name, random_params, x, b, ["a1"], permutations=4)["a1"]
    np.testing.assert_allclose(got, ((x - b)[:, None] * random_params["W1"]).T, atol=1e-12)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_pixels_equal_to_the_baseline_get_exactly_zero(name, random_params):
    rng = np.random.default_rng(8)
    x, b = _digit(rng), np.zeros(784)
    b[:40] = x[:40]  # some stroke pixels equal to the baseline too
    got = _run(name, random_params, x, b, network.LAYERS, permutations=4)
    for layer in network.LAYERS:
        assert np.all(got[layer][:, x == b] == 0)


def test_occlusion_equals_784_one_pixel_removals(random_params):
    x, b = _digit(np.random.default_rng(9)), np.zeros(784)
    got = methods.occlusion(random_params, x, b, network.LAYERS)
    full = network.forward(random_params, x)
    for layer in ("z1", "z2", "z3"):
        expected = np.empty_like(got[layer])
        for i in range(784):
            image = x.copy()
            image[i] = b[i]
            expected[:, i] = full[layer] - network.forward(random_params, image)[layer]
        np.testing.assert_allclose(got[layer], expected, rtol=0, atol=1e-12)


def test_sigmoid_secant_is_the_rescale_multiplier_and_its_limit():
    a = np.array([-30.0, -2.0, 0.0, 0.5, 3.0, 40.0])
    b = np.array([1.0, -2.0 + 1e-9, 0.3, 0.5, -3.0, -40.0])
    got = methods.sigmoid_secant(a, b)
    s = _sigmoid
    far = np.abs(a - b) > 1e-3
    naive = (s(a[far]) - s(b[far])) / (a[far] - b[far])
    np.testing.assert_allclose(got[far], naive, rtol=1e-13)
    # where a == b (or nearly) it is the slope sigmoid'(a), computed without cancellation
    np.testing.assert_allclose(got[~far], (s(a) * (1 - s(a)))[~far], rtol=1e-9)
    assert np.all(np.isfinite(methods.sigmoid_secant(np.array([800.0]), np.array([-900.0]))))


def test_softmax_secant_reproduces_the_change_exactly():
    rng = np.random.default_rng(10)
    for spread in (0.1, 5.0, 40.0):
        a, b = rng.normal(0, spread, 10), rng.normal(0, spread, 10)
        mean = methods.softmax_secant(a, b)
        change = network.softmax(a) - network.softmax(b)
        np.testing.assert_allclose(mean @ (a - b), change, rtol=0, atol=1e-14)
        # each column sums to 0 (probabilities keep summing to 1) and M is symmetric
        np.testing.assert_allclose(mean.sum(axis=0), 0, atol=1e-15)
        np.testing.assert_allclose(mean, mean.T, atol=1e-15)


def _k(params, x, b):
    a1x, a1b = network.forward(params, x)["a1"], network.forward(params, b)["a1"]
    return (_sigmoid(a1x) - _sigmoid(a1b)) / (a1x - a1b)


@pytest.mark.parametrize("name", ["integrated_gradients", "deeplift"])
@pytest.mark.parametrize("source", ["random", "real"])
def test_z1_closed_form_of_ig_and_deeplift(name, source, random_params, request):
    """IG and DeepLIFT at z1: k_j x_i W1[i, j], k_j = (s(a1_j) - s(b1_j)) / (a1_j - b1_j)."""
    params = random_params if source == "random" else request.getfixturevalue("real_params")
    x, b = _digit(np.random.default_rng(11)), np.zeros(784)
    got = _run(name, params, x, b, ["z1"])["z1"]
    expected = _k(params, x, b)[:, None] * (x[:, None] * params["W1"]).T
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-14)


def test_the_completeness_flag_splits_the_methods():
    """``Method.complete`` is what the tests below go by: the complete methods are held to
    sum(map) = f(x) - f(baseline), the others to a real residual, so a flag set wrongly
    either way fails one of them."""
    assert COMPLETE and INCOMPLETE


@pytest.mark.parametrize("name", COMPLETE)
def test_complete_methods_on_random_weights(name, random_params):
    """sum over pixels of the map = f(x) - f(baseline) for every node, straight from the
    maps (not only through ``residual``)."""
    x, b = _digit(np.random.default_rng(12)), np.full(784, 0.1)
    result = methods.compute(random_params, x, b, network.LAYERS, [name])
    for layer in network.LAYERS:
        change = result["value"][layer] - result["baseline"][layer]
        total = result["maps"][name][layer].reshape(change.size, -1).sum(axis=1)
        np.testing.assert_allclose(total, change, rtol=0, atol=1e-11, err_msg=layer)
        assert np.abs(result["residuals"][name][layer]).max() < 1e-11, layer


@pytest.mark.parametrize("name", INCOMPLETE)
def test_incomplete_methods_leave_a_residual(name, random_params):
    """A method not flagged complete misses f(x) - f(baseline) somewhere by far more than
    rounding (a method that is complete must say so, and have its completeness tested)."""
    x, b = _digit(np.random.default_rng(12)), np.full(784, 0.1)
    result = methods.compute(random_params, x, b, network.LAYERS, [name])
    worst = max(np.abs(result["residuals"][name][layer]).max() for layer in network.LAYERS)
    assert worst > 1e-6, worst


@needs_data
def test_completeness_on_the_real_digits(real_params, real_test_split):
    """Every complete method: IG (default 64 points) within 1e-6 of |f(x) - f(0)|, the
    others exact."""
    images, _ = real_test_split
    inputs = [images[i].reshape(-1) / 255.0 for i in DEFAULT_DIGITS] + [np.ones(784)]
    b = np.zeros(784)
    for x in inputs:
        result = methods.compute(real_params, x, b, network.LAYERS, COMPLETE)
        for layer in network.LAYERS:
            change = np.abs(result["value"][layer] - result["baseline"][layer])
            for name in COMPLETE:
                relative, absolute = REAL_TOLERANCE.get(name, EXACT)
                residual = np.abs(result["residuals"][name][layer])
                assert np.all(residual <= relative * change + absolute), (name, layer)


@needs_data
def test_fewer_ig_points_are_less_complete(real_params, real_test_split):
    """The residual is real quadrature error: it falls as quadrature points are added."""
    x = real_test_split[0][18].reshape(-1) / 255.0
    b = np.zeros(784)
    value, reference = network.forward(real_params, x), network.forward(real_params, b)
    worst = []
    for points in (8, 16, 32, 64):
        got = methods.integrated_gradients(real_params, x, b, ["a3"], points=points)["a3"]
        worst.append(np.abs(methods.residual(value["a3"], reference["a3"], got)).max())
    assert worst[0] > 1e5 * worst[-1] and worst[-1] < 1e-10, worst
    assert all(later < earlier for earlier, later in itertools.pairwise(worst))


def _exact_shapley(params, x, b, layer):
    """Shapley values by enumerating all coalitions of the n inputs: (nodes, n)."""
    n = x.size
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    values = network.forward(params, np.where(masks, x, b))[layer]  # (2^n, nodes)
    sizes = masks.sum(axis=1)
    fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=np.float64)
    phi = np.zeros((values.shape[1], n))
    for i in range(n):
        without = ~masks[:, i]
        s = sizes[without]
        weight = fact[s] * fact[n - s - 1] / fact[n]
        gain = values[np.flatnonzero(without) | (1 << i)] - values[without]
        phi[:, i] = weight @ gain
    return phi


def test_exact_shapley_reference_is_efficient_and_symmetric():
    rng = np.random.default_rng(13)
    params = _small_params(rng)
    x, b = rng.random(8), np.zeros(8)
    phi = _exact_shapley(params, x, b, "z3")
    change = network.forward(params, x)["z3"] - network.forward(params, b)["z3"]
    np.testing.assert_allclose(phi.sum(axis=1), change, atol=1e-14)
    # two identical players get identical values
    params2 = {k: v.copy() for k, v in params.items()}
    params2["W1"][1] = params2["W1"][0]
    x2 = x.copy()
    x2[1] = x2[0]
    phi2 = _exact_shapley(params2, x2, b, "z2")
    np.testing.assert_allclose(phi2[:, 0], phi2[:, 1], atol=1e-14)


@pytest.mark.parametrize("layer", ["z1", "z2", "a3", "z3"])
def test_sampled_shapley_converges_to_exact_values(layer):
    rng = np.random.default_rng(14)
    params = _small_params(rng)
    x, b = rng.random(8), np.full(8, 0.1)
    exact = _exact_shapley(params, x, b, layer)
    errors = []
    for permutations in (20, 200, 2000, 20000):
        got = methods.shapley_sampling(params, x, b, [layer], permutations=permutations, seed=1)
        error = np.abs(got[layer] - exact)
        errors.append(error.max())
    assert errors[-1] < 0.05 * errors[0]
    assert errors[-1] < 2e-3 * np.abs(exact).max()


def test_shapley_standard_error_is_calibrated():
    """(estimate - exact) / stderr pooled over seeds behaves like a standard normal."""
    rng = np.random.default_rng(14)
    params = _small_params(rng)
    x, b = rng.random(8), np.full(8, 0.1)
    exact = _exact_shapley(params, x, b, "z3")
    z = []
    for seed in range(6):
        got, stderr = methods.shapley_sampling(
            params, x, b, ["z3"], permutations=2000, seed=seed, with_stderr=True
        )
        z.append(((got["z3"] - exact) / stderr["z3"]).ravel())
    z = np.concatenate(z)
    assert 0.8 < np.sqrt(np.mean(z**2)) < 1.25
    assert np.abs(z).max() < 5


def test_antithetic_pairs_are_exact_for_two_players():
    rng = np.random.default_rng(15)
    params = _small_params(rng, sizes=(2, 5, 4, 3))
    x, b = rng.random(2), np.zeros(2)
    got = methods.shapley_sampling(params, x, b, ["z3"], permutations=2, seed=3)["z3"]
    np.testing.assert_allclose(got, _exact_shapley(params, x, b, "z3"), atol=1e-15)


def test_shapley_sampling_is_seeded(random_params):
    x, b = _digit(np.random.default_rng(16)), np.zeros(784)
    one = methods.shapley_sampling(random_params, x, b, ["z2"], permutations=6, seed=4)
    two = methods.shapley_sampling(random_params, x, b, ["z2"], permutations=6, seed=4)
    other = methods.shapley_sampling(random_params, x, b, ["z2"], permutations=6, seed=5)
    assert np.array_equal(one["z2"], two["z2"])
    assert not np.array_equal(one["z2"], other["z2"])
    # the chunking of the permutations (memory budget) does not change the result
    small = methods.shapley_sampling(random_params, x, b, ["z2"], permutations=6, seed=4, memory=1)
    np.testing.assert_allclose(small["z2"], one["z2"], rtol=0, atol=1e-15)


def test_shapley_sampling_rejects_odd_permutations(random_params):
    with pytest.raises(InputError, match="permutations must be even"):
        methods.shapley_sampling(random_params, np.ones(784), np.zeros(784), ["z1"], 3)


def test_compute_stores_parameters_and_stderr(random_params):
    x, b = _digit(np.random.default_rng(17)), np.zeros(784)
    result = methods.compute(
        random_params,
        x.reshape(28, 28),
        b.reshape(28, 28),
        ["z3"],
        ["integrated_gradients", "shapley_sampling"],
        {"shapley_sampling": {"permutations": 8}},
    )
    assert result["parameters"] == {
        "integrated_gradients": {"points": 64},
        "shapley_sampling": {"permutations": 8, "seed": 0},
    }
    assert result["maps"]["shapley_sampling"]["z3"].shape == (10, 28, 28)
    stderr = result["stderr"]["shapley_sampling"]["z3"]
    assert stderr.shape == (10, 28, 28) and np.all(stderr[:, x.reshape(28, 28) == 0] == 0)
    assert np.all(stderr[:, x.reshape(28, 28) > 0] > 0)
    assert list(result["stderr"]) == ["shapley_sampling"]


def test_shapley_reports_progress_without_changing_its_result(random_params):
    x = np.zeros(784)
    x[300:340] = 0.8
    calls = []
    result = methods.compute(
        random_params,
        x,
        np.zeros(784),
        ["z3"],
        ["insertion", "shapley_sampling"],
        {"shapley_sampling": {"permutations": 64, "seed": 1}},
        progress=lambda *state: calls.append(state),
    )
    plain = methods.compute(
        random_params,
        x,
        np.zeros(784),
        ["z3"],
        ["shapley_sampling"],
        {"shapley_sampling": {"permutations": 64, "seed": 1}},
    )
    done = [d for _, d, _, _ in calls]
    assert {c[0] for c in calls} == {"shapley_sampling"} and done == sorted(done)
    assert done[-1] == 64 and all(total == 64 and s >= 0 for _, _, total, s in calls)
    np.testing.assert_array_equal(
        result["maps"]["shapley_sampling"]["z3"], plain["maps"]["shapley_sampling"]["z3"]
    )


# --- the book's network keeps its bits through the code for any network ------------------


def _book_chain(params, contributions, slope1, slope2, jacobian3):
    """The three-layer propagation exactly as methods.py wrote it before it took networks
    of any depth: the generic loop must perform these numpy operations in this order."""
    a1 = np.broadcast_to(contributions, slope1.shape[:-1] + contributions.shape)
    z1 = slope1[..., :, None] * a1
    a2 = np.matmul(params["W2"].T, z1)
    z2 = slope2[..., :, None] * a2
    a3 = np.matmul(params["W3"].T, z2)
    z3 = np.matmul(jacobian3, a3)
    return {"a1": a1, "z1": z1, "a2": a2, "z2": z2, "a3": a3, "z3": z3}


def _book_local(values):
    def slope(a):
        s = network.sigmoid(a)
        return s * (1.0 - s)

    s = values["z3"]
    return (
        slope(values["a1"]),
        slope(values["a2"]),
        s[..., :, None] * (np.eye(10) - s[..., None, :]),
    )


def _book_maps(name, params, x, b):
    """gradient x input, integrated gradients (64 points, 16 at a time) and DeepLIFT by
    the book-only formulas, {layer: (nodes, pixels)}."""
    changed = np.flatnonzero(x != b)
    contributions = params["W1"][changed].T * (x - b)[changed][None, :]
    if name == "gradient_input":
        per = _book_chain(params, contributions, *_book_local(network.forward(params, x)))
    elif name == "deeplift":
        value, baseline = network.forward(params, x), network.forward(params, b)
        per = _book_chain(
            params,
            contributions,
            methods.sigmoid_secant(value["a1"], baseline["a1"]),
            methods.sigmoid_secant(value["a2"], baseline["a2"]),
            methods.softmax_secant(value["a3"], baseline["a3"]),
        )
    else:
        t_all, w_all = methods.gauss_legendre(64)
        per = None
        for start in range(0, 64, 16):
            t, w = t_all[start : start + 16], w_all[start : start + 16]
            values = network.forward(params, b[None, :] + t[:, None] * (x - b)[None, :])
            point = _book_chain(params, contributions, *_book_local(values))
            part = {layer: np.tensordot(w, point[layer], axes=1) for layer in network.LAYERS}
            per = part if per is None else {k: per[k] + part[k] for k in network.LAYERS}
    out = {}
    for layer in network.LAYERS:
        full = np.zeros(per[layer].shape[:-1] + (x.size,))
        full[..., changed] = per[layer]
        out[layer] = full
    return out


@pytest.mark.parametrize("name", ["gradient_input", "integrated_gradients", "deeplift"])
@pytest.mark.parametrize("source", ["random", "real"])
def test_the_book_network_keeps_the_bits_of_the_three_layer_formulas(name, source, request):
    params = request.getfixturevalue(f"{source}_params")
    x, b = _digit(np.random.default_rng(18)), np.full(784, 0.05)
    got = methods.METHODS[name].function(params, x, b, network.LAYERS)
    expected = _book_maps(name, params, x, b)
    for layer in network.LAYERS:
        assert np.array_equal(got[layer], expected[layer]), (name, layer)


@pytest.mark.parametrize("name", ALL_METHODS)
def test_an_explicit_sigmoid_is_the_book_network_bit_for_bit(name, random_params):
    """``"activation": "sigmoid"`` goes through the book's code: the same bits as no key."""
    x, b = _digit(np.random.default_rng(19)), np.zeros(784)
    plain = _run(name, random_params, x, b, network.LAYERS, permutations=4)
    named = _run(
        name, {**random_params, "activation": "sigmoid"}, x, b, network.LAYERS, permutations=4
    )
    for layer in network.LAYERS:
        assert np.array_equal(plain[layer], named[layer]), layer
