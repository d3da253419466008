import pickle

import numpy as np
import pytest
from conftest import needs_data

from pixel_influence import network
from pixel_influence.errors import InputError


def _float32_params(params):
    return {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}


def test_restricted_unpickler_loads_plain_arrays(random_params):
    blob = pickle.dumps(_float32_params(random_params), protocol=3)
    loaded = network.load_pickle(blob)
    assert set(loaded) == set(network.PARAM_SHAPES)
    np.testing.assert_array_equal(loaded["W2"], np.float32(random_params["W2"]))


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_pickle_with_other_global_is_refused(random_params):
    params = _float32_params(random_params)
    params["W1"] = _Evil()
    with pytest.raises(InputError, match=r"refusing to unpickle global (posix|os)\.system"):
        network.load_pickle(pickle.dumps(params, protocol=3), source="evil.pkl")


@pytest.mark.parametrize("global_name", ["builtins.eval", "collections.OrderedDict"])
def test_any_other_global_is_refused(global_name):
    module, name = global_name.split(".")
    # protocol-0 GLOBAL opcode followed by STOP
    blob = f"c{module}\n{name}\n.".encode()
    with pytest.raises(InputError, match=f"evil.pkl: refusing to unpickle global {global_name}"):
        network.load_pickle(blob, source="evil.pkl")


def test_wrong_keys_shapes_and_dtypes(random_params):
    params = _float32_params(random_params)
    del params["b3"]
    with pytest.raises(InputError, match=r"missing \['b3'\]"):
        network.load_pickle(pickle.dumps(params))
    params = _float32_params(random_params)
    params["W2"] = params["W2"].T
    with pytest.raises(InputError, match=r"W2 has shape \(100, 50\), expected \(50, 100\)"):
        network.load_pickle(pickle.dumps(params))
    params = _float32_params(random_params)
    params["b1"] = params["b1"].astype(np.int32)
    with pytest.raises(InputError, match="b1 has dtype int32"):
        network.load_pickle(pickle.dumps(params))


def test_garbage_is_not_a_pickle():
    with pytest.raises(InputError, match="w.pkl: not a readable pickle"):
        network.load_pickle(b"\x89PNG not a pickle", source="w.pkl")


def test_forward_matches_a_direct_formula(random_params):
    rng = np.random.default_rng(1)
    x = rng.random((3, 784))
    p = random_params
    z1 = 1 / (1 + np.exp(-(x @ p["W1"] + p["b1"])))
    z2 = 1 / (1 + np.exp(-(z1 @ p["W2"] + p["b2"])))
    a3 = z2 @ p["W3"] + p["b3"]
    z3 = np.exp(a3) / np.exp(a3).sum(axis=1, keepdims=True)
    out = network.forward(p, x)
    np.testing.assert_allclose(out["z2"], z2, rtol=1e-14)
    np.testing.assert_allclose(out["z3"], z3, rtol=1e-13)
    assert all(out[layer].shape == (3, network.LAYER_SIZES[layer]) for layer in network.LAYERS)


@needs_data
def test_accuracy_on_the_real_test_set_is_the_books(real_params, real_test_split):
    images, labels = real_test_split
    assert network.accuracy(real_params, images, labels) == (9352, 10000)


def _chain(rng, widths, activation=None):
    """A random network 784 -> widths[0] -> ... -> widths[-1]."""
    params, rows = {}, 784
    for k, nodes in enumerate(widths, 1):
        params[f"W{k}"] = rng.normal(0.0, 0.3, (rows, nodes))
        params[f"b{k}"] = rng.normal(0.0, 0.3, nodes)
        rows = nodes
    if activation is not None:
        params["activation"] = activation
    return params


def _direct(params, x):
    """The forward pass written out from the definition, in long double."""
    act = {
        "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
        "tanh": np.tanh,
        "relu": lambda a: np.maximum(a, 0),
        "identity": lambda a: a,
    }[params.get("activation", "sigmoid")]
    z = np.asarray(x, dtype=np.longdouble)
    count = network.depth(params)
    out = {}
    for k in range(1, count + 1):
        a = z @ params[f"W{k}"].astype(np.longdouble) + params[f"b{k}"].astype(np.longdouble)
        z = np.exp(a - a.max()) / np.exp(a - a.max()).sum() if k == count else act(a)
        out[f"a{k}"], out[f"z{k}"] = a, z
    return out


@pytest.mark.parametrize("activation", [None, *network.ACTIVATIONS])
@pytest.mark.parametrize("widths", [(10,), (50, 10), (7, 30, 3), (20, 20, 20, 4)])
def test_forward_of_any_depth_and_activation(activation, widths):
    rng = np.random.default_rng(len(widths) * 10 + len(activation or ""))
    params = network.check_network(_chain(rng, widths, activation))
    x = rng.random(784)
    got = network.forward(params, x)
    want = _direct(params, x)
    assert tuple(got) == network.layer_names(params) == tuple(want)
    assert network.output_layers(params) == (f"a{len(widths)}", f"z{len(widths)}")
    assert network.layer_sizes(params)[f"z{len(widths)}"] == widths[-1]
    for layer in got:
        np.testing.assert_allclose(
            got[layer], want[layer].astype(np.float64), rtol=1e-12, atol=1e-13
        )


def test_the_books_depth_and_names(real_params):
    assert network.depth(real_params) == 3
    assert network.layer_names(real_params) == network.LAYERS
    assert network.output_layers(real_params) == network.OUTPUT_LAYERS
    assert network.layer_sizes(real_params) == network.LAYER_SIZES
    assert network.activation_of(real_params) == "sigmoid"
    assert network.weight_keys(real_params) == tuple(network.PARAM_SHAPES)
    for layer in network.LAYERS:
        assert network.layer_meaning(layer, real_params) == network.LAYER_MEANING[layer]
    assert network.layer_meaning("z2", 2, "relu") == (
        "output probabilities: z2 = softmax(a2) (node j is class j)"
    )
    assert network.layer_meaning("z1", 2, "relu") == "hidden layer 1 output: z1 = relu(a1)"


@pytest.mark.parametrize("activation", network.ACTIVATIONS)
def test_activation_secant_against_long_double(activation):
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 4, 2000), rng.normal(0, 4, 2000)
    b[:50] = a[:50]  # equal ends: the slope
    b[50:100] = a[50:100] + 1e-9  # nearly equal: no cancellation
    got = network.activation_secant(activation, a, b)
    la, lb = a.astype(np.longdouble), b.astype(np.longdouble)
    f = {
        "sigmoid": lambda u: 1 / (1 + np.exp(-u)),
        "tanh": np.tanh,
        "relu": lambda u: np.maximum(u, 0),
        "identity": lambda u: u,
    }[activation]
    far = slice(100, None)
    want = (f(la[far]) - f(lb[far])) / (la[far] - lb[far])
    np.testing.assert_allclose(got[far], want.astype(np.float64), rtol=1e-9, atol=1e-300)
    slope = {
        "sigmoid": lambda u: f(u) * (1 - f(u)),
        "tanh": lambda u: 1 / np.cosh(u) ** 2,
        "relu": lambda u: (u > 0).astype(np.longdouble),
        "identity": lambda u: np.ones_like(u),
    }[activation]
    np.testing.assert_allclose(got[:100], slope(la[:100]).astype(np.float64), rtol=1e-8)
    np.testing.assert_allclose(got[:50], slope(la[:50]).astype(np.float64), rtol=1e-13)
    # saturated ends: no overflow, no NaN
    far_apart = network.activation_secant(
        activation, np.array([900.0, -900.0]), np.array([-900.0, -890.0])
    )
    assert np.all(np.isfinite(far_apart))


def test_activation_secant_of_sigmoid_is_the_methods_rescale():
    from pixel_influence.methods import sigmoid_secant

    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 6, 1000), rng.normal(0, 6, 1000)
    np.testing.assert_allclose(
        network.activation_secant("sigmoid", a, b), sigmoid_secant(a, b), rtol=1e-14
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: p.pop("b2"), r"missing \['b2'\]"),
        (lambda p: p.update(W9=p["W1"]), r"unexpected \['W9'\]"),
        (lambda p: p.update(W2=p["W2"].T.copy()), r"W2 has shape \(10, 50\), expected \(50, 10\)"),
        (lambda p: p.update(W1=p["W1"][:100]), r"W1 has shape \(100, 50\), expected \(784, 50\)"),
        (lambda p: p.update(b1=p["b1"][:, None]), r"b1 must be a 1-dimensional numpy array"),
        (lambda p: p.update(activation="swish"), r"activation 'swish' is not one of sigmoid"),
        (lambda p: p.update(W2=p["W2"].astype(np.int64)), r"W2 has dtype int64"),
        (lambda p: p.update(W2=p["W2"][:, :1], b2=p["b2"][:1]), r"output layer has 1 node"),
        (lambda p: [p.pop(k) for k in list(p)], r"no weights W1"),
    ],
)
def test_check_network_names_the_problem(change, message):
    params = _chain(np.random.default_rng(0), (50, 10))
    params["W2"][0, 0] = params["W2"][0, 0]
    change(params)
    with pytest.raises(InputError, match=message):
        network.check_network(params, "net.npz")


def test_check_network_names_non_finite_values():
    params = _chain(np.random.default_rng(0), (5, 3))
    params["b2"][1] = np.nan
    with pytest.raises(InputError, match=r"net.npz: b2 holds 1 non-finite values .* index \(1,\)"):
        network.check_network(params, "net.npz")
