"""Every method on networks other than the book's: random dense networks of depth 1 to 4,
several widths and each hidden activation, held to direct computation (central finite
differences, brute-force forward passes, completeness, exact Shapley values by
enumeration) and, for ReLU, to the rescale rule where units switch on or off."""

import math

import numpy as np
import pytest
from conftest import random_network, sparse_digit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixel_influence import methods, network
from pixel_influence.errors import InputError

ARCHITECTURES = {  # hidden and output widths; 784 inputs
    "L1": (10,),
    "L2": (50, 10),  # the book's ch05 TwoLayerNet
    "L3": (12, 7, 10),
    "L4": (9, 6, 5, 4),
}
NETWORKS = [(a, act) for a in ARCHITECTURES for act in network.ACTIVATIONS]
IDS = [f"{a}-{act}" for a, act in NETWORKS]
FIXED = {
    "derandomize": True,
    "database": None,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
}


def _case(name, activation, seed=2):
    """(params, x, baseline image, every layer) of one random network."""
    params = random_network(ARCHITECTURES[name], activation)
    x, b = sparse_digit(np.random.default_rng(seed)), np.full(784, 0.1)
    return params, x, b, network.layer_names(params)


def _change(params, x, b):
    value, baseline = network.forward(params, x), network.forward(params, b)
    return {layer: value[layer] - baseline[layer] for layer in value}


def _assert_complete(maps, change, layers, relative, absolute, err=""):
    """sum over pixels of every node's map = its change f(x) - f(baseline)."""
    for layer in layers:
        total = maps[layer].sum(axis=1)
        bound = relative * np.abs(change[layer]).max() + absolute
        np.testing.assert_allclose(
            total, change[layer], rtol=0, atol=bound, err_msg=f"{err}{layer}"
        )


def test_the_networks_are_of_the_intended_shapes_and_switch_relu_units():
    """The cases below are what they claim: each depth, each activation, and ReLU networks
    whose hidden units switch on or off between the baseline and the digit."""
    for name, activation in NETWORKS:
        params, x, b, layers = _case(name, activation)
        assert network.depth(params) == len(ARCHITECTURES[name])
        assert network.activation_of(params) == activation
        assert len(layers) == 2 * len(ARCHITECTURES[name])
        if activation == "relu" and name != "L1":
            value, baseline = network.forward(params, x), network.forward(params, b)
            hidden = [f"a{k}" for k in range(1, network.depth(params))]
            switched = sum(int(np.sum((value[a] > 0) != (baseline[a] > 0))) for a in hidden)
            assert switched >= 5, (name, switched)


# --- gradients ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "activation"), NETWORKS, ids=IDS)
def test_gradient_input_equals_central_differences(name, activation):
    params, x, _, layers = _case(name, activation)
    value = network.forward(params, x)
    if activation == "relu":  # no kink within the differences' reach: the slope is defined
        hidden = [np.abs(value[f"a{k}"]).min() for k in range(1, network.depth(params))]
        assert min(hidden, default=1.0) > 1e-3
    # baseline x - 1: every pixel has x - baseline = 1, gradient x input is the gradient
    got = methods.gradient_input(params, x, x - 1.0, layers)
    h = 1e-5
    eye = np.eye(784) * h
    up, down = network.forward(params, x + eye), network.forward(params, x - eye)
    for layer in layers:
        expected = ((up[layer] - down[layer]) / (2 * h)).T
        assert got[layer].shape == (value[layer].size, 784)
        scale = max(np.abs(expected).max(), 1.0)
        np.testing.assert_allclose(got[layer], expected, rtol=0, atol=1e-8 * scale, err_msg=layer)


# --- perturbation methods against brute-force forward passes ------------------------------


def _one_pixel_images(source, target):
    """784 images: image i is ``source`` with pixel i taken from ``target``."""
    return np.where(np.eye(784, dtype=bool), target[None, :], source[None, :])


@pytest.mark.parametrize(("name", "activation"), NETWORKS, ids=IDS)
def test_insertion_and_occlusion_equal_one_forward_pass_per_pixel(name, activation):
    params, x, b, layers = _case(name, activation)
    value, baseline = network.forward(params, x), network.forward(params, b)
    inserted = network.forward(params, _one_pixel_images(b, x))  # 784 full forward passes
    occluded = network.forward(params, _one_pixel_images(x, b))
    got_in = methods.insertion(params, x, b, layers)
    got_out = methods.occlusion(params, x, b, layers)
    for layer in layers:
        scale = max(np.abs(value[layer]).max(), 1.0)
        np.testing.assert_allclose(
            got_in[layer], (inserted[layer] - baseline[layer]).T, rtol=0, atol=1e-13 * scale
        )
        np.testing.assert_allclose(
            got_out[layer], (value[layer] - occluded[layer]).T, rtol=0, atol=1e-13 * scale
        )


# --- completeness -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "activation"), NETWORKS, ids=IDS)
def test_deeplift_is_complete_to_rounding(name, activation):
    params, x, b, layers = _case(name, activation)
    maps = methods.deeplift(params, x, b, layers)
    _assert_complete(maps, _change(params, x, b), layers, 1e-13, 1e-14)


SMOOTH = [(a, act) for a, act in NETWORKS if act in ("sigmoid", "tanh")]


@pytest.mark.parametrize(("name", "activation"), SMOOTH, ids=[f"{a}-{b}" for a, b in SMOOTH])
def test_integrated_gradients_is_complete_to_the_quadrature_error(name, activation):
    """Smooth activations: 64 Gauss-Legendre points leave ~1e-14 of the change (measured
    up to 1.1e-14 on these networks); 1e-11 allows for other BLAS summation orders."""
    params, x, b, layers = _case(name, activation)
    maps = methods.integrated_gradients(params, x, b, layers)
    _assert_complete(maps, _change(params, x, b), layers, 1e-11, 1e-14)


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_integrated_gradients_is_exact_on_linear_layers_with_any_points(name):
    """An identity network is linear up to the softmax: the gradient is constant on the
    path, so even 2 quadrature points give every linear layer's change exactly, and the
    smooth softmax is integrated to rounding with the default 64."""
    params, x, b, layers = _case(name, "identity")
    change = _change(params, x, b)
    coarse = methods.integrated_gradients(params, x, b, layers, points=2)
    _assert_complete(coarse, change, layers[:-1], 1e-13, 1e-14)
    _assert_complete(
        methods.integrated_gradients(params, x, b, layers), change, layers, 1e-13, 1e-14
    )


@pytest.mark.parametrize("name", [a for a in ARCHITECTURES if a != "L1"])
def test_integrated_gradients_on_relu_converges_to_completeness(name):
    """ReLU gradients jump where a unit switches on the path, so the quadrature converges
    slowly, not spectrally, and not monotonically: the residual falls as points are added
    (measured, of the largest change, at 64 and 512 points: L2 0.016 and 0.0012, L3 0.019
    and 0.0025, L4 0.43 and 0.026)."""
    params, x, b, layers = _case(name, "relu")
    change = _change(params, x, b)
    worst = []
    for points in (64, 512):
        maps = methods.integrated_gradients(params, x, b, layers, points=points)
        worst.append(
            max(
                np.abs(maps[layer].sum(axis=1) - change[layer]).max() / np.abs(change[layer]).max()
                for layer in layers
            )
        )
    assert worst[1] < worst[0] / 5 and worst[1] < 0.05, worst
    # the a1 layer is linear in x: exact whatever the points
    _assert_complete(maps, change, ["a1"], 1e-13, 1e-14)


@pytest.mark.parametrize(("name", "activation"), NETWORKS, ids=IDS)
def test_every_shapley_pair_of_orders_is_efficient(name, activation):
    """Each order telescopes to f(x) - f(baseline): one antithetic pair (permutations=2)
    or several, any seed, the values sum to the change to rounding."""
    params, x, b, layers = _case(name, activation)
    change = _change(params, x, b)
    for permutations, seed in ((2, 0), (2, 7), (6, 3)):
        maps = methods.shapley_sampling(params, x, b, layers, permutations=permutations, seed=seed)
        _assert_complete(maps, change, layers, 1e-12, 1e-14, err=f"{permutations}/{seed} ")


# --- exact Shapley values -----------------------------------------------------------------


def _few_pixels(rng, count):
    """A baseline of 0.1 and an image that differs from it in ``count`` pixels only."""
    b = np.full(784, 0.1)
    x = b.copy()
    where = rng.choice(784, count, replace=False)
    x[where] = rng.random(count) + 0.5
    return x, b, np.sort(where)


def _exact_shapley(params, x, b, where, layer):
    """Shapley values of the pixels ``where`` by enumerating all coalitions: (nodes, n)."""
    n = where.size
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    images = np.repeat(b[None, :], 2**n, axis=0)
    images[:, where] = np.where(masks, x[where], b[where])
    values = network.forward(params, images)[layer]  # (2^n, nodes)
    sizes = masks.sum(axis=1)
    fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=np.float64)
    phi = np.zeros((values.shape[1], n))
    for i in range(n):
        without = ~masks[:, i]
        s = sizes[without]
        weight = fact[s] * fact[n - s - 1] / fact[n]
        phi[:, i] = weight @ (values[np.flatnonzero(without) | (1 << i)] - values[without])
    return phi


@pytest.mark.parametrize(("name", "activation"), NETWORKS, ids=IDS)
def test_shapley_of_two_pixels_is_exact(name, activation):
    """With two changed pixels the one antithetic pair holds both orders: the estimate is
    the Shapley value itself."""
    params = random_network(ARCHITECTURES[name], activation)
    x, b, where = _few_pixels(np.random.default_rng(3), 2)
    layers = network.layer_names(params)
    maps = methods.shapley_sampling(params, x, b, layers, permutations=2, seed=5)
    for layer in layers:
        exact = _exact_shapley(params, x, b, where, layer)
        scale = max(np.abs(exact).max(), 1e-3)
        np.testing.assert_allclose(maps[layer][:, where], exact, rtol=0, atol=1e-13 * scale)
        assert np.all(np.delete(maps[layer], where, axis=1) == 0)


@pytest.mark.parametrize(("name", "activation"), NETWORKS, ids=IDS)
def test_shapley_of_six_pixels_is_within_its_standard_error(name, activation):
    """Six changed pixels, 2000 permutations: every value within 5 standard errors of the
    exact one (enumeration of the 64 coalitions); exact where the layer is linear."""
    params = random_network(ARCHITECTURES[name], activation)
    x, b, where = _few_pixels(np.random.default_rng(4), 6)
    layers = network.layer_names(params)
    maps, stderr = methods.shapley_sampling(
        params, x, b, layers, permutations=2000, seed=1, with_stderr=True
    )
    for layer in layers:
        exact = _exact_shapley(params, x, b, where, layer)
        error = np.abs(maps[layer][:, where] - exact)
        assert np.all(error <= 5 * stderr[layer][:, where] + 1e-13), layer
    # a1 is affine in x: every order credits pixel i with (x_i - b_i) W1[i]
    np.testing.assert_allclose(
        maps["a1"][:, where], ((x - b)[where, None] * params["W1"][where]).T, atol=1e-14
    )


# --- ReLU: the secant multiplier ----------------------------------------------------------


def _switching_relu():
    """A 784-4-3 ReLU network and a digit whose four hidden units go: off -> on, on -> off,
    on -> on, off -> off between the black baseline and the digit. Each W1 column is the
    digit's direction scaled so that a1(x) - a1(0) is exactly known."""
    rng = np.random.default_rng(5)
    x, b = sparse_digit(rng), np.zeros(784)
    rise = np.array([1.0, -1.0, 0.5, -0.5])  # a1(x) - a1(0) per unit
    W1 = (x / (x @ x))[:, None] * rise[None, :]
    params = {
        "W1": W1,
        "b1": np.array([-0.5, 0.5, 1.0, -1.0]),  # a1(0); a1(x) = (0.5, -0.5, 1.5, -1.5)
        "W2": rng.normal(0, 1.0, (4, 3)),
        "b2": rng.normal(0, 0.5, 3),
        "activation": "relu",
    }
    return params, x, b


def test_relu_deeplift_uses_the_secant_where_units_switch():
    params, x, b = _switching_relu()
    value, baseline = network.forward(params, x), network.forward(params, b)
    np.testing.assert_allclose(value["a1"], [0.5, -0.5, 1.5, -1.5], atol=1e-15)
    np.testing.assert_allclose(baseline["a1"], [-0.5, 0.5, 1.0, -1.0], atol=1e-15)
    layers = network.layer_names(params)
    got = methods.deeplift(params, x, b, layers)
    # secants (relu(a) - relu(a_ref)) / (a - a_ref): 0.5 for both switching units, 1 for
    # the unit on throughout, 0 for the unit off throughout
    secant = np.array([0.5, 0.5, 1.0, 0.0])
    np.testing.assert_allclose(got["z1"], secant[:, None] * got["a1"], rtol=0, atol=1e-16)
    np.testing.assert_allclose(got["z1"].sum(axis=1), [0.5, -0.5, 0.5, 0.0], atol=1e-14)
    assert np.all(got["z1"][3] == 0)
    _assert_complete(got, _change(params, x, b), layers, 1e-13, 1e-15)
    # gradient x input takes the slope at x (1, 0, 1, 0): it misses both switching units
    gradient = methods.gradient_input(params, x, b, layers)
    np.testing.assert_allclose(gradient["z1"].sum(axis=1), [1.0, 0.0, 0.5, 0.0], atol=1e-14)


def test_relu_secant_is_the_chord_for_deep_networks():
    """On the L3 and L4 ReLU networks DeepLIFT's z1 is the chord of the ReLU (computed
    here naively) times a1's contributions, and some units have a chord strictly between
    0 and 1 (they switch)."""
    for name in ("L3", "L4"):
        params, x, b, _ = _case(name, "relu")
        value, baseline = network.forward(params, x), network.forward(params, b)
        a, a_ref = value["a1"], baseline["a1"]
        chord = (np.maximum(a, 0) - np.maximum(a_ref, 0)) / (a - a_ref)
        assert np.any((chord > 0) & (chord < 1)), name
        got = methods.deeplift(params, x, b, ["a1", "z1"])
        np.testing.assert_allclose(got["z1"], chord[:, None] * got["a1"], rtol=1e-13, atol=1e-17)


def test_tanh_deeplift_at_z1_is_the_tanh_secant():
    params, x, b, _ = _case("L3", "tanh")
    a, a_ref = network.forward(params, x)["a1"], network.forward(params, b)["a1"]
    secant = (np.tanh(a) - np.tanh(a_ref)) / (a - a_ref)
    got = methods.deeplift(params, x, b, ["z1"])["z1"]
    expected = secant[:, None] * ((x - b)[:, None] * params["W1"]).T
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-16)


# --- linear networks: every method agrees --------------------------------------------------


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_every_method_gives_the_linear_contribution_on_identity_layers(name):
    """With the identity activation every layer but the softmax is linear in x: each
    method gives pixel i the change it causes alone, the same for all six."""
    params, x, b, layers = _case(name, "identity")
    linear = layers[:-1]
    reference = methods.insertion(params, x, b, linear)
    for method in methods.METHODS:
        settings = {"permutations": 4} if method == "shapley_sampling" else {}
        got = methods.METHODS[method].function(params, x, b, linear, **settings)
        for layer in linear:
            scale = max(np.abs(reference[layer]).max(), 1.0)
            np.testing.assert_allclose(
                got[layer], reference[layer], rtol=0, atol=1e-13 * scale, err_msg=method
            )


# --- any architecture (Hypothesis) ---------------------------------------------------------


@settings(max_examples=40, **FIXED)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=0, max_size=3).map(tuple),
    classes=st.integers(2, 10),
    activation=st.sampled_from(network.ACTIVATIONS),
    seed=st.integers(0, 2**16),
)
def test_deeplift_and_shapley_are_complete_for_any_architecture(sizes, classes, activation, seed):
    params = random_network(sizes + (classes,), activation, seed)
    rng = np.random.default_rng(seed)
    x, b = sparse_digit(rng), np.where(rng.random(784) < 0.5, 0.0, 0.2)
    layers = network.layer_names(params)
    change = _change(params, x, b)
    _assert_complete(methods.deeplift(params, x, b, layers), change, layers, 1e-12, 1e-14)
    shapley = methods.shapley_sampling(params, x, b, layers, permutations=2, seed=seed)
    _assert_complete(shapley, change, layers, 1e-12, 1e-14)


# --- the book's ch05 shape end to end ------------------------------------------------------


def test_a_two_layer_network_goes_through_compute():
    """784-50-10 sigmoid (the book's ch05 TwoLayerNet, no activation key): every method
    through ``compute`` with the layers a1, z1, a2, z2."""
    params = random_network((50, 10), "sigmoid")
    del params["activation"]
    rng = np.random.default_rng(6)
    image, b = sparse_digit(rng).reshape(28, 28), np.zeros((28, 28))
    layers = ["a1", "z1", "a2", "z2"]
    names = list(methods.METHODS)
    result = methods.compute(
        params, image, b, layers, names, {"shapley_sampling": {"permutations": 8}}
    )
    value, baseline = (
        network.forward(params, image.reshape(-1)),
        network.forward(params, b.reshape(-1)),
    )
    assert list(result["value"]) == layers and list(result["baseline"]) == layers
    for layer in layers:
        np.testing.assert_array_equal(result["value"][layer], value[layer])
        np.testing.assert_array_equal(result["baseline"][layer], baseline[layer])
    assert list(result["maps"]) == names and list(result["stderr"]) == ["shapley_sampling"]
    nodes = {"a1": 50, "z1": 50, "a2": 10, "z2": 10}
    for name in names:
        assert list(result["maps"][name]) == layers
        for layer in layers:
            assert result["maps"][name][layer].shape == (nodes[layer], 28, 28)
            residual = np.abs(result["residuals"][name][layer])
            assert residual.shape == (nodes[layer],)
            if methods.METHODS[name].complete:
                assert residual.max() < 1e-12, (name, layer)
            elif layer == "z2":  # the incomplete methods miss the interactions
                assert residual.max() > 1e-6, (name, layer)
    # the maps are the methods' own, reshaped
    direct = methods.deeplift(params, image.reshape(-1), b.reshape(-1), ["z2"])["z2"]
    np.testing.assert_array_equal(result["maps"]["deeplift"]["z2"], direct.reshape(10, 28, 28))
    assert result["stderr"]["shapley_sampling"]["z1"].shape == (50, 28, 28)
    assert result["parameters"]["shapley_sampling"] == {"permutations": 8, "seed": 0}


@pytest.mark.parametrize("name", list(methods.METHODS) + ["compute"])
def test_layers_outside_the_network_are_refused(name):
    params = random_network((50, 10), "relu")
    x, b = np.zeros(784), np.zeros(784)
    x[300:320] = 1.0

    def call(layers):
        if name == "compute":
            return methods.compute(params, x, b, layers, ["insertion"])
        return methods.METHODS[name].function(params, x, b, layers)

    message = "layer 'z3' is not a layer of this 2-layer network; its layers are a1, z1, a2, z2"
    with pytest.raises(InputError, match=message):
        call(["z1", "z3"])
    with pytest.raises(InputError, match="got the string 'z1'; the layers of this network"):
        call("z1")
    maps = call(["a2"])
    assert list(maps["maps"]["insertion"] if name == "compute" else maps) == ["a2"]


def test_the_meanings_follow_the_activation():
    """The book's words for the sigmoid (what its files carry), the network's own rule for
    the other activations, and no word of another activation."""
    for name in methods.METHODS:
        assert methods.method_meaning(name) == methods.METHOD_MEANING[name]
        assert methods.method_meaning(name, "sigmoid") == methods.METHOD_MEANING[name]
        for activation in network.ACTIVATIONS:
            text = methods.method_meaning(name, activation)
            others = [a for a in network.ACTIVATIONS if a not in (activation, "identity")]
            assert not any(other in text for other in others), (name, activation)
    assert "(relu(a) - relu(a_ref)) / (a - a_ref)" in methods.method_meaning("deeplift", "relu")
    assert "(tanh(a) - tanh(a_ref)) / (a - a_ref)" in methods.method_meaning("deeplift", "tanh")
    assert "multiplier 1" in methods.method_meaning("deeplift", "identity")
