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
