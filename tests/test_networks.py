"""networks: a user's network read from a pickle, an .npz or an ONNX file, every file built
here; ONNX models are checked against onnx's own reference evaluator."""

import hashlib
import io
import itertools
import pickle

import numpy as np
import pytest
from conftest import DATA, needs_data
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from pixel_influence import network, networks
from pixel_influence.errors import InputError

SUPPORTED = (
    "only MatMul, Gemm, Add, Sigmoid, Tanh, Relu, Softmax, Flatten, Reshape (of the input), "
    "Dropout and Identity are supported"
)
ONNX_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "identity": None}
# front: the input's shape and the nodes that make rows of 784 pixels of it
FRONTS = {
    "none": (["N", 784], None),
    "flatten": (["N", 1, 28, 28], ("Flatten", {"axis": 1})),
    "reshape": (["N", 28, 28], ("Reshape", (-1, 784))),
    "flatten-2": (["N", 28, 28], ("Flatten", {"axis": -2})),
    "reshape-fixed": ([1, 1, 28, 28], ("Reshape", (1, 784))),
}
TENSOR_TYPE = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


def random_layers(rng, sizes, dtype=np.float32):
    """[(W (in, out), b (out,))] of a network of the given widths, 784 first."""
    return [
        (
            rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out)).astype(dtype),
            rng.normal(0, 0.5, n_out).astype(dtype),
        )
        for n_in, n_out in itertools.pairwise(sizes)
    ]


def onnx_model(
    layers,
    activation="sigmoid",
    style="gemm",
    front="none",
    softmax=True,
    constants=False,
    opset=17,
    no_ops=False,
):
    """An ONNX model of a dense chain, as an exporter writes one: ``style`` "gemm" (transB=0),
    "gemm-t" (transB=1, weights stored (out, in)), "matmul" (MatMul + Add) or "matmul-only"
    (no bias); weights as initializers or, with ``constants``, as Constant nodes."""
    dtype = layers[0][0].dtype
    shape, front_op = FRONTS[front]
    nodes, inits = [], []

    def constant(name, array):
        if constants:
            nodes.append(
                helper.make_node(
                    "Constant",
                    [],
                    [name],
                    name=f"const_{name}",
                    value=numpy_helper.from_array(array, name),
                )
            )
        else:
            inits.append(numpy_helper.from_array(array, name))
        return name

    current = "x"
    if front_op:
        op, arg = front_op
        if op == "Flatten":
            nodes.append(helper.make_node("Flatten", [current], ["rows"], name="flatten", **arg))
        else:
            target = constant("target", np.array(arg, dtype=np.int64))
            nodes.append(helper.make_node("Reshape", [current, target], ["rows"], name="reshape"))
        current = "rows"
    for k, (w, b) in enumerate(layers, 1):
        if style in ("gemm", "gemm-t"):
            weights = constant(f"w{k}", w.T.copy() if style == "gemm-t" else w)
            bias = constant(f"b{k}", b)
            attrs = {"transB": 1} if style == "gemm-t" else {}
            nodes.append(
                helper.make_node(
                    "Gemm", [current, weights, bias], [f"a{k}"], name=f"gemm{k}", **attrs
                )
            )
        else:
            weights = constant(f"w{k}", w)
            out = f"m{k}" if style == "matmul" else f"a{k}"
            nodes.append(helper.make_node("MatMul", [current, weights], [out], name=f"matmul{k}"))
            if style == "matmul":
                bias = constant(f"b{k}", b)
                nodes.append(helper.make_node("Add", [out, bias], [f"a{k}"], name=f"add{k}"))
        current = f"a{k}"
        if no_ops:
            nodes.append(helper.make_node("Identity", [current], [f"i{k}"], name=f"identity{k}"))
            nodes.append(helper.make_node("Dropout", [f"i{k}"], [f"d{k}"], name=f"dropout{k}"))
            current = f"d{k}"
        if k < len(layers) and ONNX_ACTIVATIONS[activation]:
            op = ONNX_ACTIVATIONS[activation]
            nodes.append(helper.make_node(op, [current], [f"z{k}"], name=f"act{k}"))
            current = f"z{k}"
    if softmax:
        nodes.append(helper.make_node("Softmax", [current], ["probabilities"], name="softmax"))
        current = "probabilities"
    return model_of(nodes, inits, shape, current, dtype=dtype, opset=opset)


def model_of(nodes, inits, shape=("N", 784), output="y", dtype=np.float32, opset=17, inputs=None):
    elem = TENSOR_TYPE[np.dtype(dtype)]
    graph = helper.make_graph(
        nodes,
        "dense",
        inputs or [helper.make_tensor_value_info("x", elem, list(shape))],
        [helper.make_tensor_value_info(output, elem, ["N", "nodes"])],
        inits,
    )
    return helper.make_model(
        graph,
        producer_name="tests",
        producer_version="1.0",
        opset_imports=[helper.make_opsetid("", opset)],
    )


def expected_params(layers, activation="sigmoid", bias=True):
    params = {}
    for k, (w, b) in enumerate(layers, 1):
        params[f"W{k}"] = w.astype(np.float64)
        params[f"b{k}"] = b.astype(np.float64) if bias else np.zeros(w.shape[1])
    if activation != "sigmoid" and len(layers) > 1:
        params["activation"] = activation
    return params


def assert_same_params(got, expected):
    assert list(got) == list(expected)
    for key, value in expected.items():
        if isinstance(value, str):
            assert got[key] == value
        else:
            assert got[key].dtype == np.float64 and got[key].flags.c_contiguous
            np.testing.assert_array_equal(got[key], value, strict=True)


def npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# every depth and activation, each style of dense layer, every front, with and without softmax
CASES = [
    (depth, activation, style, list(FRONTS)[i % len(FRONTS)], i % 2 == 0)
    for i, (depth, activation, style) in enumerate(
        itertools.product(
            (1, 2, 3, 4), ONNX_ACTIVATIONS, ("gemm", "gemm-t", "matmul", "matmul-only")
        )
    )
]


@pytest.mark.parametrize(("depth", "activation", "style", "front", "softmax"), CASES)
def test_onnx_chain_gives_the_graphs_own_values(depth, activation, style, front, softmax):
    rng = np.random.default_rng([depth, len(style), len(front), softmax])
    sizes = [784, *rng.integers(2, 40, depth)]
    layers = random_layers(rng, sizes, dtype=np.float64)
    model = onnx_model(layers, activation, style, front, softmax)

    params, info = networks.read_onnx(model.SerializeToString(), "net.onnx")

    act = activation if depth > 1 else "sigmoid"  # one layer: no hidden layer to activate
    assert_same_params(params, expected_params(layers, act, bias=style != "matmul-only"))
    assert info == {
        "format": "onnx",
        "source": "net.onnx",
        "sha256": info["sha256"],
        "sizes": "-".join(map(str, sizes)),
        "activation": act,
        "output": "softmax" if softmax else "logits",
        "opset": "ai.onnx 17",
        "producer": "tests 1.0",
        "ignored": "",
    }
    shape = FRONTS[front][0]
    images = rng.random((1 if shape[0] == 1 else 5, 784))
    reference = ReferenceEvaluator(model).run(None, {"x": images.reshape([-1, *shape[1:]])})[0]
    ours = network.forward(params, images)[f"{'z' if softmax else 'a'}{depth}"]
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)


def test_onnx_weights_as_constant_nodes_and_no_ops():
    rng = np.random.default_rng(1)
    layers = random_layers(rng, [784, 7, 5, 3])
    model = onnx_model(layers, "tanh", "matmul", "reshape", constants=True, no_ops=True)
    params, info = networks.read_onnx(model.SerializeToString(), "net.onnx")
    assert_same_params(params, expected_params(layers, "tanh"))
    # nodes 0 and 1: the reshape's target and the Reshape; per layer: Constant, MatMul,
    # Constant, Add, Identity, Dropout (and the activation but after the last)
    assert info["ignored"] == (
        "node 6 'identity1' (Identity), node 7 'dropout1' (Dropout), "
        "node 13 'identity2' (Identity), node 14 'dropout2' (Dropout), "
        "node 20 'identity3' (Identity), node 21 'dropout3' (Dropout)"
    )


def test_onnx_weights_listed_among_the_inputs_as_before_ir_4():
    layers = random_layers(np.random.default_rng(2), [784, 4, 3])
    model = onnx_model(layers, "relu")
    graph = model.graph
    graph.input.extend(
        helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in graph.initializer
    )
    params, _ = networks.read_onnx(model.SerializeToString(), "net.onnx")
    assert_same_params(params, expected_params(layers, "relu"))


def test_softmax_axis_1_of_opset_11_is_over_the_nodes():
    layers = random_layers(np.random.default_rng(3), [784, 4, 3])
    model = onnx_model(layers, "sigmoid", opset=11)  # Softmax's default axis is 1 before 13
    params, info = networks.read_onnx(model.SerializeToString(), "net.onnx")
    assert info["output"] == "softmax" and info["opset"] == "ai.onnx 11"
    assert_same_params(params, expected_params(layers))


def test_the_same_weights_as_npz_pickle_and_onnx_give_the_same_params():
    rng = np.random.default_rng(4)
    for dtype in (np.float32, np.float64):
        layers = random_layers(rng, [784, 30, 20, 10], dtype=dtype)
        arrays = {
            f"{kind}{k}": a for k, layer in enumerate(layers, 1) for kind, a in zip("Wb", layer)
        }
        from_npz = networks.read_npz(npz_bytes(arrays), "tanh", "net.npz")
        from_pickle = networks.read_pickle(pickle.dumps(arrays), "tanh", "net.pkl")
        from_onnx = networks.read_onnx(
            onnx_model(layers, "tanh", "gemm-t", "flatten").SerializeToString(), "net.onnx"
        )
        for read in (from_npz, from_pickle, from_onnx):
            assert_same_params(read.params, expected_params(layers, "tanh"))
            assert read.info["sizes"] == "784-30-20-10" and read.info["activation"] == "tanh"
        assert from_npz.info["format"] == "npz" and from_pickle.info["format"] == "pickle"
        assert from_npz.info["output"] == from_pickle.info["output"] == "softmax"
        assert from_npz.info["opset"] == from_npz.info["producer"] == from_npz.info["ignored"] == ""
        assert list(from_npz.info) == list(networks.INFO_KEYS) == list(from_onnx.info)


def test_the_books_ch05_two_layer_net_pickle():
    rng = np.random.default_rng(5)
    # TwoLayerNet(784, 50, 10).params: weight_init_std * randn, zero biases, float64
    params = {
        "W1": 0.01 * rng.standard_normal((784, 50)),
        "b1": np.zeros(50),
        "W2": 0.01 * rng.standard_normal((50, 10)),
        "b2": np.zeros(10),
    }
    data = pickle.dumps(params)
    read = networks.read_pickle(data, source="params.pkl")
    assert_same_params(read.params, params)
    assert read.info["activation"] == "sigmoid" and read.info["sizes"] == "784-50-10"
    assert read.info["sha256"] == hashlib.sha256(data).hexdigest()


@needs_data
def test_the_books_sample_weight_pickle_as_check_params_reads_it():
    data = (DATA / "dlfs" / "sample_weight.pkl").read_bytes()
    read = networks.read_pickle(data, "sigmoid", "sample_weight.pkl")
    expected = network.check_params(network.load_pickle(data))
    assert_same_params(read.params, expected)
    assert read.info["sizes"] == "784-50-100-10"


def test_npz_read_from_a_path(tmp_path):
    layers = random_layers(np.random.default_rng(6), [784, 6, 4])
    path = tmp_path / "net.npz"
    np.savez_compressed(path, W1=layers[0][0], b1=layers[0][1], W2=layers[1][0], b2=layers[1][1])
    params, info = networks.read_npz(path, "relu")
    assert_same_params(params, expected_params(layers, "relu"))
    assert info["source"] == str(path)
    with pytest.raises(InputError, match=r"^.*missing\.npz: cannot read the network npz \(No such"):
        networks.read_npz(tmp_path / "missing.npz")


def _npz_case(change):
    layers = random_layers(np.random.default_rng(7), [784, 6, 4])
    arrays = {"W1": layers[0][0], "b1": layers[0][1], "W2": layers[1][0], "b2": layers[1][1]}
    change(arrays)
    return npz_bytes(arrays)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda a: a.pop("b2"),
            r"net.npz: expected the keys W1, b1, ..., W2, b2 of a 2-layer "
            r"network; missing \['b2'\], unexpected \[\]",
        ),
        (
            lambda a: a.update(W3=np.ones((4, 2)), extra=np.ones(2)),
            r"net.npz: expected the keys "
            r"W1, b1, ..., W3, b3 of a 3-layer network; missing \['b3'\], unexpected \['extra'\]",
        ),
        (lambda a: a.update(activation=np.array("relu")), "net.npz: holds a key 'activation'"),
        (
            lambda a: a.update(b1=a["b1"][None]),
            r"net.npz: b1 must be a 1-dimensional numpy "
            r"array, got an array of shape \(1, 6\)",
        ),
        (lambda a: a.update(W2=a["W2"].T), r"net.npz: W2 has shape \(4, 6\), expected \(6, 4\)"),
        (
            lambda a: a.update(W1=a["W1"][:100]),
            r"net.npz: W1 has shape \(100, 6\), expected "
            r"\(784, 6\)",
        ),
        (
            lambda a: a.update(b2=np.arange(4)),
            "net.npz: b2 has dtype int64, expected float32 or float64",
        ),
        (
            lambda a: a["W2"].__setitem__((3, 1), np.nan),
            r"net.npz: W2 holds 1 non-finite values "
            r"\(NaN or infinity\), the first at index \(3, 1\)",
        ),
        (lambda a: a.update(b1=np.array([None] * 6)), "net.npz: b1 holds Python objects"),
    ],
)
def test_npz_refusals_name_the_file_and_the_key(change, message):
    with pytest.raises(InputError, match=f"^{message}"):
        networks.read_npz(_npz_case(change), source="net.npz")


def test_npz_refuses_other_files():
    data = _npz_case(lambda a: None)
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    cases = [
        (buffer.getvalue(), "net.npz: is a single .npy array"),
        (pickle.dumps({"W1": np.ones(3)}), "net.npz: is not an .npz file"),
        (b"", "net.npz: is empty"),
        (data[: len(data) // 2], "net.npz: not a readable .npz file"),
        (data[: len(data) - 30], "net.npz: not a readable .npz file"),
    ]
    for bad, message in cases:
        with pytest.raises(InputError, match=f"^{message}"):
            networks.read_npz(bad, source="net.npz")
    with pytest.raises(InputError, match="^net.npz: activation 'softplus' is not one of sigmoid"):
        networks.read_npz(data, "softplus", "net.npz")


def test_pickle_refusals():
    layers = random_layers(np.random.default_rng(8), [784, 6, 4])
    arrays = {"W1": layers[0][0], "b1": layers[0][1], "W2": layers[1][0], "b2": layers[1][1]}
    cases = [
        ({**arrays, "activation": "relu"}, "net.pkl: holds a key 'activation'"),
        ({**arrays, "W3": np.ones((4, 3))}, r"net.pkl: expected the keys W1, b1, ..., W3, b3"),
        ([arrays["W1"]], "net.pkl: expected a dict of arrays, got list"),
    ]
    for bad, message in cases:
        with pytest.raises(InputError, match=f"^{message}"):
            networks.read_pickle(pickle.dumps(bad), source="net.pkl")
    with pytest.raises(InputError, match="^net.pkl: refusing to unpickle global builtins.eval"):
        networks.read_pickle(b"cbuiltins\neval\n.", source="net.pkl")
    with pytest.raises(InputError, match="^net.pkl: activation 'gelu' is not one of"):
        networks.read_pickle(pickle.dumps(arrays), "gelu", "net.pkl")


def _refused(model, message):
    with pytest.raises(InputError) as caught:
        networks.read_onnx(model.SerializeToString(), "net.onnx")
    assert str(caught.value) == f"net.onnx: {message}"


def _init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def _gemm(name, inputs, output, **attrs):
    return helper.make_node("Gemm", inputs, [output], name=name, **attrs)


W1, B1 = np.full((784, 3), 0.1, np.float32), np.zeros(3, np.float32)
W2, B2 = np.full((3, 2), 0.1, np.float32), np.zeros(2, np.float32)
DENSE_INITS = [_init("w1", W1), _init("b1", B1), _init("w2", W2), _init("b2", B2)]


def test_onnx_refuses_unsupported_operators_naming_the_node():
    conv = [
        helper.make_node("Identity", ["x"], ["i"], name="id"),
        helper.make_node("Dropout", ["i"], ["d"], name="drop"),
        helper.make_node(
            "Constant",
            [],
            ["k"],
            name="kernel",
            value=_init("k", np.ones((2, 1, 3, 3), np.float32)),
        ),
        helper.make_node("Conv", ["d", "k"], ["y"], name="conv1"),
    ]
    _refused(model_of(conv, [], ["N", 1, 28, 28]), f"node 3 'conv1' is a Conv; {SUPPORTED}")
    log_softmax = [
        _gemm("gemm1", ["x", "w1", "b1"], "a1"),
        helper.make_node("LogSoftmax", ["a1"], ["y"]),
    ]
    _refused(model_of(log_softmax, DENSE_INITS), f"node 1 (no name) is a LogSoftmax; {SUPPORTED}")
    custom = [
        helper.make_node(
            "FusedGemm", ["x", "w1", "b1"], ["y"], name="fused", domain="com.microsoft"
        )
    ]
    model = model_of(custom, DENSE_INITS)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    _refused(model, f"node 0 'fused' is a com.microsoft.FusedGemm; {SUPPORTED}")


def test_onnx_refuses_what_is_not_a_chain():
    two_inputs = [
        _gemm("gemm1", ["x", "w1", "b1"], "a1"),
        helper.make_node("Add", ["a1", "extra"], ["y"], name="join"),
    ]
    inputs = [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 784]),
        helper.make_tensor_value_info("extra", TensorProto.FLOAT, ["N", 3]),
    ]
    _refused(
        model_of(two_inputs, DENSE_INITS, inputs=inputs),
        "the graph has 2 inputs besides its weights ('x', 'extra'); expected one, the image",
    )
    branch = [
        _gemm("gemm1", ["x", "w1", "b1"], "a1"),
        helper.make_node("Sigmoid", ["a1"], ["z1"], name="act1"),
        helper.make_node("Add", ["z1", "a1"], ["s"], name="skip"),
        _gemm("gemm2", ["s", "w2", "b2"], "y"),
    ]
    _refused(
        model_of(branch, DENSE_INITS),
        "node 2 'skip' (Add) reads 'a1', which is neither the output of the node before it "
        "('z1') nor a constant; only a chain of layers, each reading the one before, is supported",
    )
    twice = [
        _gemm("gemm1", ["x", "w1", "b1"], "a1"),
        helper.make_node("Add", ["a1", "a1"], ["y"], name="double"),
    ]
    _refused(
        model_of(twice, DENSE_INITS),
        "node 1 'double' (Add) reads the output of the node before it ('a1') 2 times; "
        "expected once",
    )
    extra_output = model_of([_gemm("gemm1", ["x", "w1", "b1"], "y")], DENSE_INITS)
    extra_output.graph.output.append(
        helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 784])
    )
    _refused(
        extra_output, "the graph's outputs are 'y', 'x'; expected one, the end of the chain ('y')"
    )


def test_onnx_refuses_dense_layers_it_cannot_read_exactly():
    cases = [
        (
            [_gemm("gemm1", ["x", "w1t", "b1"], "y", transA=1)],
            [_init("w1t", W1.T.copy()), _init("b1", B1)],
            "node 0 'gemm1' (Gemm) has transA=1; only transA=0 is supported",
        ),
        (
            [_gemm("gemm1", ["x", "w1", "b1"], "y", alpha=2.0)],
            DENSE_INITS,
            "node 0 'gemm1' (Gemm) has alpha=2; only alpha=1 is supported",
        ),
        (
            [_gemm("gemm1", ["x", "w1", "b1"], "y", beta=0.5)],
            DENSE_INITS,
            "node 0 'gemm1' (Gemm) has beta=0.5; only beta=1 is supported",
        ),
        (
            [_gemm("gemm1", ["x", "w1", "column"], "y")],
            [_init("w1", W1), _init("column", np.zeros((3, 1), np.float32))],
            "node 0 'gemm1' (Gemm) adds a bias of shape (3, 1) to the 3 nodes of the layer; "
            "expected (3,) or (1, 3), one value per node",
        ),
        (
            [helper.make_node("MatMul", ["w1t", "x"], ["y"], name="mm")],
            [_init("w1t", W1.T.copy())],
            "node 0 'mm' (MatMul) multiplies a constant by the data; expected data @ weights",
        ),
        (
            [
                _gemm("gemm1", ["x", "w1", "b1"], "a1"),
                helper.make_node("Add", ["a1", "b1"], ["y"], name="again"),
            ],
            DENSE_INITS,
            "node 1 'again' (Add) is not the bias of a dense layer: an Add must follow a "
            "MatMul, or a Gemm without C",
        ),
        (
            [_gemm("gemm1", ["x", "w1", "b1"], "a1"), _gemm("gemm2", ["a1", "w1", "b1"], "y")],
            DENSE_INITS,
            "node 1 'gemm2' (Gemm) has weights of shape (784, 3), which do not fit the 3 values "
            "of the layer before",
        ),
        (
            [_gemm("gemm1", ["x", "w1", "b1"], "y")],
            [_init("w1", W1.astype(np.float16)), _init("b1", B1.astype(np.float16))],
            "node 0 'gemm1' (Gemm) has weights of dtype float16; expected float32 or float64",
        ),
        (
            [_gemm("gemm1", ["x", "w1", "b1"], "y")],
            [_init("w1", W1), _init("b1", np.array([0, np.inf, 0], np.float32))],
            "node 0 'gemm1' (Gemm) has a bias holding non-finite values (NaN or infinity)",
        ),
    ]
    for nodes, inits, message in cases:
        _refused(model_of(nodes, inits), message)


def test_onnx_refuses_mixed_activations_naming_both():
    layers = random_layers(np.random.default_rng(9), [784, 5, 4, 3])
    model = onnx_model(layers, "relu")
    model.graph.node[3].op_type = "Tanh"  # gemm1, act1, gemm2, act2, gemm3, softmax
    _refused(
        model,
        "the hidden layers use different activations: node 1 'act1' (Relu), but node 3 'act2' "
        "(Tanh); all hidden layers must use the same one",
    )
    model = onnx_model(layers, "identity")
    model.graph.node.insert(2, helper.make_node("Sigmoid", ["a2"], ["z2"], name="act2"))
    model.graph.node[3].input[0] = "z2"  # gemm1, gemm2, act2, gemm3, softmax
    _refused(
        model,
        "the hidden layers use different activations: no activation after layer 1, node 0 "
        "'gemm1' (Gemm), but node 2 'act2' (Sigmoid); all hidden layers must use the same one",
    )


def test_onnx_refuses_what_does_not_end_in_logits_or_softmax():
    layers = random_layers(np.random.default_rng(10), [784, 5, 3])
    model = onnx_model(layers, "relu", softmax=False)
    model.graph.node.append(helper.make_node("Relu", ["a2"], ["y"], name="act2"))
    model.graph.output[0].name = "y"
    _refused(
        model,
        "the last dense layer is followed by node 3 'act2' (Relu); the network must end in "
        "logits or a Softmax",
    )
    model = onnx_model(layers, "relu")
    model.graph.node.append(helper.make_node("Softmax", ["probabilities"], ["y"], name="twice"))
    model.graph.output[0].name = "y"
    _refused(
        model,
        "node 4 'twice' (Softmax) comes after node 3 'softmax' (Softmax); the network must "
        "end with its Softmax",
    )
    for axis in (0, 2, -2):
        model = onnx_model(layers, "relu")
        model.graph.node[3].attribute.append(helper.make_attribute("axis", axis))
        _refused(
            model,
            f"node 3 'softmax' (Softmax) has axis {axis} on a tensor of shape (N, 3); expected "
            "the softmax over the nodes, the last axis (-1)",
        )
    _refused(
        model_of([helper.make_node("Flatten", ["x"], ["y"], name="flat")], [], ["N", 1, 28, 28]),
        "the graph has no dense layer (MatMul or Gemm)",
    )


def test_onnx_refuses_inputs_that_are_not_one_28x28_image_per_row():
    small = [_gemm("gemm1", ["x", "w", "b1"], "y")]
    inits = [_init("w", np.ones((100, 3), np.float32)), _init("b1", B1)]
    _refused(
        model_of(small, inits, ["N", 100]),
        "input 'x' has shape (N, 100); expected the 784 pixels of one 28x28 image per row: "
        "(N, 784), (N, 28, 28) or (N, 1, 28, 28)",
    )
    _refused(
        model_of(small, inits, ["N", 3, 28, 28]),
        "input 'x' has shape (N, 3, 28, 28); expected the 784 pixels of one 28x28 image per "
        "row: (N, 784), (N, 28, 28) or (N, 1, 28, 28)",
    )
    unflattened = [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")]
    _refused(
        model_of(unflattened, [_init("w", np.ones((28, 3), np.float32))], ["N", 28, 28]),
        "node 0 'mm' (MatMul) multiplies the input of shape (N, 28, 28) by weights of shape "
        "(28, 3); the first dense layer must take the 784 pixels of each image (flatten the "
        "28x28 image first, with Flatten or Reshape)",
    )
    flatten = [
        helper.make_node("Flatten", ["x"], ["rows"], name="flat", axis=3),
        _gemm("gemm1", ["rows", "w1", "b1"], "y"),
    ]
    _refused(
        model_of(flatten, DENSE_INITS, ["N", 1, 28, 28]),
        "node 0 'flat' (Flatten) with axis 3 makes rows of the axes (28,) of the input "
        "(N, 1, 28, 28); expected rows of the 784 pixels of an image",
    )
    reshape = [
        helper.make_node("Reshape", ["x", "shape"], ["rows"], name="rs"),
        _gemm("gemm1", ["rows", "w1", "b1"], "y"),
    ]
    _refused(
        model_of(reshape, [*DENSE_INITS, _init("shape", np.array([-1, 28], np.int64))], ["N", 784]),
        "node 0 'rs' (Reshape) reshapes the input to (-1, 28); expected rows of the 784 pixels "
        "of an image, e.g. (-1, 784)",
    )
    late = [
        _gemm("gemm1", ["x", "w1", "b1"], "a1"),
        helper.make_node("Flatten", ["a1"], ["y"], name="late"),
    ]
    _refused(
        model_of(late, DENSE_INITS),
        "node 1 'late' (Flatten) comes after a dense layer; Flatten and Reshape are supported "
        "only on the input",
    )
    ints = model_of([_gemm("gemm1", ["x", "w1", "b1"], "y")], DENSE_INITS)
    ints.graph.input[0].type.tensor_type.elem_type = TensorProto.UINT8
    _refused(
        ints,
        "input 'x' has element type UINT8; expected FLOAT or DOUBLE (the pixels scaled to [0, 1])",
    )


def test_onnx_refuses_dropout_in_training_and_external_weights():
    training = [
        helper.make_node("Dropout", ["x", "ratio", "training"], ["d"], name="drop"),
        _gemm("gemm1", ["d", "w1", "b1"], "y"),
    ]
    inits = [*DENSE_INITS, _init("ratio", np.float32(0.5)), _init("training", np.array(True))]
    _refused(
        model_of(training, inits),
        "node 0 'drop' (Dropout) has training_mode true; only inference (no dropout) is supported",
    )
    model = model_of([_gemm("gemm1", ["x", "w1", "b1"], "y")], DENSE_INITS)
    weights = model.graph.initializer[0]
    weights.ClearField("raw_data")
    weights.data_location = TensorProto.EXTERNAL
    weights.external_data.add(key="location", value="weights.bin")
    _refused(
        model,
        "initializer 'w1' keeps its values in an external file; save the model with every "
        "tensor inside it (onnx.save_model(model, path, save_as_external_data=False))",
    )


def test_onnx_refuses_malformed_bytes_at_every_cut():
    layers = random_layers(np.random.default_rng(11), [784, 4, 3])
    data = onnx_model(layers, "sigmoid").SerializeToString()
    for cut in range(len(data)):  # every truncation is refused, none read as a smaller network
        with pytest.raises(
            InputError, match=r"^net\.onnx: (is empty|not an ONNX model|not a valid ONNX)"
        ):
            networks.read_onnx(data[:cut], "net.onnx")
    with pytest.raises(InputError) as caught:
        networks.read_onnx(b"not an onnx file", "net.onnx")
    assert str(caught.value) == (
        "net.onnx: not an ONNX model (the protobuf does not parse: Error parsing message with "
        "type 'onnx.ModelProto': Wire format was corrupt); the file may be truncated or of "
        "another format"
    )
    with pytest.raises(InputError) as caught:
        networks.read_onnx(data[:2], "net.onnx")  # the ir_version field alone parses
    assert str(caught.value) == (
        "net.onnx: not a valid ONNX model (model with IR version >= 3 must specify opset_import "
        "for ONNX)"
    )
    with pytest.raises(InputError, match=r"^net\.onnx: expected bytes or a path, got int"):
        networks.read_onnx(3, "net.onnx")
