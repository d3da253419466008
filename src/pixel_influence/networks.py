"""A user's dense network read from a file: a pickle of the book's format, an .npz, or ONNX.

Each reader returns a ``NetworkFile(params, info)``: ``params`` is the checked network of
``network.check_network`` (float64 arrays ``W1, b1, ..., WL, bL``; the key ``"activation"``
only when the hidden layers' activation is not sigmoid, the network's default, so that the
book's pickle gives exactly ``network.check_params(network.load_pickle(...))``), and ``info``
is a dict of strings for provenance (``INFO_KEYS``):

- ``format``: "pickle", "npz" or "onnx"; ``source``: the name the messages use;
- ``sha256``: of the file's bytes; ``sizes``: the layer widths, "784-50-100-10";
- ``activation``: the hidden layers' activation (one of ``network.ACTIVATIONS``; sigmoid for
  a network of one layer, which has no hidden layer);
- ``output``: "softmax" if the file's network ends in a softmax, "logits" if it ends in the
  last dense layer (ONNX only: the pickle and npz formats are defined, as the book's, with a
  softmax at the output); the pipeline puts the softmax on top either way;
- ``opset``, ``producer``: the ONNX operator sets ("ai.onnx 17") and the program that wrote
  the file ("pytorch 2.3.0"); ``ignored``: the ONNX nodes read as no-ops (Dropout,
  Identity); empty strings for the other formats.

ONNX: a chain of nodes, each reading the previous one's output (its other inputs constants:
initializers or Constant nodes): optionally Flatten or Reshape of the image input ((N, 784),
(N, 28, 28), (N, 1, 28, 28) or the same without N) to rows of 784 pixels, then per dense
layer MatMul (+ Add of the bias) or Gemm (transA=0, transB 0 or 1, alpha=beta=1), an
elementwise Sigmoid, Tanh or Relu after every hidden layer (all the same; none at all reads
as identity), and a Softmax over the last axis or nothing after the last layer. Dropout (in
inference, training_mode absent or false) and Identity are no-ops and accepted anywhere.
Anything else is refused naming the node by its position in ``graph.node`` (from 0) and its
name. The network must take the pixels as the book does, scaled to [0, 1]: a normalisation
done outside the graph is not in the file.
"""

import hashlib
import io
import math
import os
import zipfile
from typing import NamedTuple

import numpy as np

from . import network
from .errors import InputError
from .pickles import unpickle_arrays

__all__ = [
    "INFO_KEYS",
    "ONNX_OPERATORS",
    "NetworkFile",
    "read_npz",
    "read_onnx",
    "read_pickle",
]

INFO_KEYS = (
    "format",
    "source",
    "sha256",
    "sizes",
    "activation",
    "output",
    "opset",
    "producer",
    "ignored",
)
# the operators read_onnx accepts, in the order its messages list them
ONNX_OPERATORS = (
    "MatMul",
    "Gemm",
    "Add",
    "Sigmoid",
    "Tanh",
    "Relu",
    "Softmax",
    "Flatten",
    "Reshape",
    "Dropout",
    "Identity",
)
_SUPPORTED = (
    "only MatMul, Gemm, Add, Sigmoid, Tanh, Relu, Softmax, Flatten, Reshape (of the input), "
    "Dropout and Identity are supported"
)
_ACTIVATION_OPS = {"Sigmoid": "sigmoid", "Tanh": "tanh", "Relu": "relu"}
_IMAGE_SHAPES = ((784,), (28, 28), (1, 28, 28))  # one image; a leading batch axis may come first
_INPUT_SHAPES = "(N, 784), (N, 28, 28) or (N, 1, 28, 28)"
_ONNX_DOMAINS = ("", "ai.onnx")


class NetworkFile(NamedTuple):
    """A network read from a file: its checked ``params`` and the ``info`` strings
    (``INFO_KEYS``) that say what the file held."""

    params: dict
    info: dict


def read_pickle(data, activation="sigmoid", source=None):
    """A pickle of the book's format of any depth (a dict ``W1, b1, ..., WL, bL`` of numpy
    arrays, as ``sample_weight.pkl`` or ch05's ``TwoLayerNet.params``), read without running
    it (``pickles.unpickle_arrays``); ``activation`` is the hidden layers' (the book's:
    sigmoid)."""
    data, source = _bytes_of(data, source, "network pickle")
    activation = _activation(activation, source)
    params = unpickle_arrays(data, source)
    _weights_only(params, source)
    return _result(params, activation, "pickle", source, data)


def read_npz(data, activation="sigmoid", source=None):
    """An .npz archive (``numpy.savez``) of ``W1, b1, ..., WL, bL`` and nothing else, read
    without pickles; ``activation`` is the hidden layers'."""
    data, source = _bytes_of(data, source, "network npz")
    activation = _activation(activation, source)
    if data.startswith(b"\x93NUMPY"):
        raise InputError(
            f"{source}: is a single .npy array; expected an .npz archive of W1, b1, ..., WL, bL "
            "(numpy.savez(path, W1=..., b1=..., ...))"
        )
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise InputError(
            f"{source}: is not an .npz file (a zip archive of .npy arrays, as numpy.savez "
            "writes it)"
        )
    params = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            for key in archive.files:
                params[key] = _npz_member(archive, key, source)
    except InputError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise InputError(f"{source}: not a readable .npz file ({type(e).__name__}: {e})") from None
    _weights_only(params, source)
    return _result(params, activation, "npz", source, data)


def _npz_member(archive, key, source):
    try:
        return archive[key]
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise InputError(
                f"{source}: {key} holds Python objects (a pickled array); expected a float array"
            ) from None
        raise InputError(f"{source}: {key} is not a readable array ({e})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise InputError(
            f"{source}: {key} is not readable ({type(e).__name__}: {e}); the file may be truncated"
        ) from None


def read_onnx(data, source=None):
    """A dense network from an ONNX model (the module docstring says which graphs)."""
    data, source = _bytes_of(data, source, "network ONNX file")
    model = _onnx_model(data, source)
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    chain = _Chain(source, opsets.get("ai.onnx", 0))
    graph = model.graph
    chain.constants = _initializers(graph, source)
    chain.start(_image_input(graph, chain.constants, source))
    for index, node in enumerate(graph.node):
        chain.read(index, node)
    chain.finish([o.name for o in graph.output])
    params = {}
    for k, layer in enumerate(chain.layers, 1):
        params[f"W{k}"] = layer.weights
        params[f"b{k}"] = layer.bias if layer.bias is not None else np.zeros(layer.width)
    producer = f"{model.producer_name} {model.producer_version}".strip()
    return _result(
        params,
        chain.activation(),
        "onnx",
        source,
        data,
        output="softmax" if chain.softmax else "logits",
        opset=", ".join(f"{domain} {version}" for domain, version in sorted(opsets.items())),
        producer=producer,
        ignored=", ".join(chain.ignored),
    )


def _bytes_of(data, source, kind):
    """(bytes, source) of a file given as bytes or as a path."""
    if isinstance(data, (str, os.PathLike)):
        source = source or str(data)
        try:
            with open(data, "rb") as f:
                data = f.read()
        except OSError as e:
            raise InputError(f"{source}: cannot read the {kind} ({e.strerror or e})") from None
    elif isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        source = source or kind
    else:
        raise InputError(f"{source or kind}: expected bytes or a path, got {type(data).__name__}")
    if not data:
        raise InputError(f"{source}: is empty")
    return data, source


def _activation(activation, source):
    if activation not in network.ACTIVATIONS:
        raise InputError(
            f"{source}: activation {activation!r} is not one of {', '.join(network.ACTIVATIONS)}"
        )
    return activation


def _weights_only(params, source):
    """A pickle or npz holds arrays; the activation is the reader's argument, not a key."""
    if isinstance(params, dict) and network.ACTIVATION in params:
        raise InputError(
            f"{source}: holds a key {network.ACTIVATION!r}; the file must hold only the arrays "
            "W1, b1, ..., WL, bL (the activation is given beside the file, in the config)"
        )


def _result(params, activation, kind, source, data, output="softmax", **onnx_info):
    if isinstance(params, dict) and activation != "sigmoid":
        params = {**params, network.ACTIVATION: activation}
    params = network.check_network(params, source)
    sizes = [
        network.INPUT_SIZE,
        *(params[f"b{k}"].shape[0] for k in range(1, network.depth(params) + 1)),
    ]
    info = {
        "format": kind,
        "source": source,
        "sha256": hashlib.sha256(data).hexdigest(),
        "sizes": "-".join(map(str, sizes)),
        "activation": activation,
        "output": output,
        "opset": "",
        "producer": "",
        "ignored": "",
        **onnx_info,
    }
    return NetworkFile(params, info)


# ONNX


def _onnx():
    """The onnx package, imported when a file is first read as ONNX: importing it takes 2 to
    4 s (ml_dtypes), which every reading of the config (each Snakemake run, each cluster
    job) would pay, ONNX network or not."""
    import onnx  # noqa: PLC0415
    import onnx.checker  # noqa: PLC0415
    import onnx.helper  # noqa: PLC0415
    import onnx.numpy_helper  # noqa: PLC0415

    return onnx


def _onnx_model(data, source):
    try:
        model = _onnx().load_model_from_string(data)
    except Exception as e:  # noqa: BLE001 - protobuf raises its own DecodeError, among others
        raise InputError(
            f"{source}: not an ONNX model (the protobuf does not parse: {e}); the file may be "
            "truncated or of another format"
        ) from None
    for tensor in model.graph.initializer:  # before the checker, whose message says less
        _external(tensor, f"initializer {tensor.name!r}", source)
    try:
        _onnx().checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - onnx's ValidationError and what the checker raises
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"{source}: not a valid ONNX model ({first})") from None
    return model


def _external(tensor, what, source):
    if tensor.data_location == _onnx().TensorProto.EXTERNAL:
        raise InputError(
            f"{source}: {what} keeps its values in an external file; save the model with every "
            "tensor inside it (onnx.save_model(model, path, save_as_external_data=False))"
        )


def _tensor(tensor, what, source):
    _external(tensor, what, source)
    try:
        return _onnx().numpy_helper.to_array(tensor)
    except Exception as e:  # noqa: BLE001 - unsupported or malformed tensor data
        raise InputError(f"{source}: {what} is not a readable tensor ({e})") from None


def _initializers(graph, source):
    """{name: array} of the graph's initializers (the weights of exported models)."""
    if graph.sparse_initializer:
        raise InputError(
            f"{source}: sparse initializer {graph.sparse_initializer[0].values.name!r} is not "
            "supported; store the weights as dense tensors"
        )
    return {t.name: _tensor(t, f"initializer {t.name!r}", source) for t in graph.initializer}


def _image_input(graph, constants, source):
    """(name, dims) of the one input that is not an initializer: the image."""
    inputs = [i for i in graph.input if i.name not in constants]
    if len(inputs) != 1:
        names = ", ".join(repr(i.name) for i in inputs) or "none"
        raise InputError(
            f"{source}: the graph has {len(inputs)} inputs besides its weights ({names}); "
            "expected one, the image"
        )
    tensor = inputs[0].type.tensor_type
    name = inputs[0].name
    if not inputs[0].type.HasField("tensor_type") or tensor.elem_type not in (
        _onnx().TensorProto.FLOAT,
        _onnx().TensorProto.DOUBLE,
    ):
        kind = (
            _onnx().TensorProto.DataType.Name(tensor.elem_type) if tensor.elem_type else "unknown"
        )
        raise InputError(
            f"{source}: input {name!r} has element type {kind}; expected FLOAT or DOUBLE "
            "(the pixels scaled to [0, 1])"
        )
    if not tensor.HasField("shape"):
        raise InputError(
            f"{source}: input {name!r} has no declared shape; expected {_INPUT_SHAPES}"
        )
    dims = tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)
    if not any(dims == image or dims[1:] == image for image in _IMAGE_SHAPES):
        raise InputError(
            f"{source}: input {name!r} has shape {_shape_text(dims)}; expected the 784 pixels "
            f"of one 28x28 image per row: {_INPUT_SHAPES}"
        )
    return name, dims


def _shape_text(dims):
    return (
        "("
        + ", ".join("N" if d is None else str(d) for d in dims)
        + (",)" if len(dims) == 1 else ")")
    )


class _Layer:
    """A dense layer as the chain reads it: weights (in, out), bias or None, and what came
    after it ("dense", "bias", "activated" or "softmax")."""

    def __init__(self, weights, node):
        self.weights = weights
        self.width = weights.shape[1]
        self.bias = None
        self.node = node
        self.stage = "dense"
        self.activation = None  # (operator, node) after it, if any


class _Chain:
    """Walks the nodes of an ONNX graph in order, each reading the previous one's output."""

    def __init__(self, source, opset):
        self.source = source
        self.opset = opset
        self.constants = {}
        self.current = None  # the name of the tensor the next node must read
        self.dims = None  # its shape (None for an axis of unknown size)
        self.layers = []
        self.softmax = None
        self.ignored = []

    def start(self, image):
        self.current, self.dims = image

    def fail(self, message):
        raise InputError(f"{self.source}: {message}")

    def read(self, index, node):
        label = f"node {index} {node.name!r}" if node.name else f"node {index} (no name)"
        op = node.op_type
        if node.domain not in _ONNX_DOMAINS:
            self.fail(f"{label} is a {node.domain}.{op}; {_SUPPORTED}")
        if op == "Constant":
            self.constants[node.output[0]] = self._constant(node, label)
            return
        if op not in ONNX_OPERATORS:
            self.fail(f"{label} is a {op}; {_SUPPORTED}")
        if self.softmax and op not in ("Dropout", "Identity"):
            self.fail(
                f"{label} ({op}) comes after {self.softmax}; the network must end with its Softmax"
            )
        label = f"{label} ({op})"
        data, constants = self._inputs(node, label)
        attributes = {a.name: _onnx().helper.get_attribute_value(a) for a in node.attribute}
        getattr(self, f"_{op.lower()}")(label, data, constants, attributes)
        self.current = node.output[0]

    def _constant(self, node, label):
        attribute = node.attribute[0] if len(node.attribute) == 1 else None
        name = attribute.name if attribute is not None else ""
        if name == "value":
            return _tensor(attribute.t, f"{label} (Constant)", self.source)
        if name in ("value_float", "value_floats"):
            return np.array(_onnx().helper.get_attribute_value(attribute), dtype=np.float32)
        if name in ("value_int", "value_ints"):
            return np.array(_onnx().helper.get_attribute_value(attribute), dtype=np.int64)
        self.fail(f"{label} is a Constant of {name or 'no value'}; expected a numeric tensor")

    def _inputs(self, node, label):
        """The positions of the chain's tensor among the node's inputs, and its constants."""
        data, constants = [], {}
        for position, name in enumerate(node.input):
            if not name:  # an optional input left out
                continue
            if name == self.current:
                data.append(position)
            elif name in self.constants:
                constants[position] = self.constants[name]
            else:
                self.fail(
                    f"{label} reads {name!r}, which is neither the output of the node before "
                    f"it ({self.current!r}) nor a constant; only a chain of layers, each "
                    "reading the one before, is supported"
                )
        if len(data) != 1:
            self.fail(
                f"{label} reads the output of the node before it ({self.current!r}) "
                f"{len(data)} times; expected once"
            )
        return data[0], constants

    def _front(self, label):
        if self.layers:
            self.fail(
                f"{label} comes after a dense layer; Flatten and Reshape are supported only "
                "on the input"
            )

    def _flatten(self, label, data, constants, attributes):
        self._front(label)
        axis = attributes.get("axis", 1)
        axis = axis + len(self.dims) if axis < 0 else axis
        rows, image = self.dims[:axis], self.dims[axis:]
        if None in image or math.prod(image) != network.INPUT_SIZE:
            self.fail(
                f"{label} with axis {attributes.get('axis', 1)} makes rows of the axes "
                f"{_shape_text(image)} of the input {_shape_text(self.dims)}; expected rows of "
                f"the {network.INPUT_SIZE} pixels of an image"
            )
        self.dims = (None if None in rows else math.prod(rows), network.INPUT_SIZE)

    def _reshape(self, label, data, constants, attributes):
        self._front(label)
        if data != 0 or 1 not in constants:
            self.fail(f"{label} must reshape the input by a constant shape")
        target = [int(d) for d in np.asarray(constants[1]).ravel()]
        if None not in self.dims:  # fully known: the shape the reshape makes, as ONNX does
            shape = [
                self.dims[i] if d == 0 and not attributes.get("allowzero") else d
                for i, d in enumerate(target)
            ]
            try:
                target = list(np.empty(self.dims, np.uint8).reshape(shape).shape)
            except ValueError:
                self.fail(f"{label} cannot reshape {_shape_text(self.dims)} to {tuple(target)}")
        if not target or target[-1] != network.INPUT_SIZE:
            self.fail(
                f"{label} reshapes the input to {tuple(target)}; expected rows of the "
                f"{network.INPUT_SIZE} pixels of an image, e.g. (-1, {network.INPUT_SIZE})"
            )
        self.dims = tuple(d if d > 0 else None for d in target)

    def _weights(self, array, label, transpose=False):
        if array.ndim != 2:
            self.fail(f"{label} has weights of shape {array.shape}; expected a matrix")
        weights = array.T if transpose else array
        self._check_values(weights, "weights", label)
        rows = weights.shape[0]
        if not self.layers and (self.dims[-1] != network.INPUT_SIZE or rows != network.INPUT_SIZE):
            self.fail(
                f"{label} multiplies the input of shape {_shape_text(self.dims)} by weights of "
                f"shape {weights.shape}; the first dense layer must take the "
                f"{network.INPUT_SIZE} pixels of each image (flatten the 28x28 image first, "
                "with Flatten or Reshape)"
            )
        if self.dims[-1] != rows:
            self.fail(
                f"{label} has weights of shape {weights.shape}, which do not fit the "
                f"{self.dims[-1]} values of the layer before"
            )
        self.layers.append(_Layer(weights, label))
        self.dims = (*self.dims[:-1], weights.shape[1])

    def _check_values(self, array, what, label):
        if array.dtype not in (np.float32, np.float64):
            self.fail(f"{label} has {what} of dtype {array.dtype}; expected float32 or float64")
        if not np.isfinite(array).all():
            self.fail(f"{label} has {what} holding non-finite values (NaN or infinity)")

    def _matmul(self, label, data, constants, attributes):
        if data != 0:
            self.fail(f"{label} multiplies a constant by the data; expected data @ weights")
        self._weights(constants[1], label)

    def _gemm(self, label, data, constants, attributes):
        for name in ("alpha", "beta"):
            if attributes.get(name, 1.0) != 1.0:
                self.fail(f"{label} has {name}={attributes[name]:g}; only {name}=1 is supported")
        if attributes.get("transA", 0) != 0:
            self.fail(f"{label} has transA={attributes['transA']}; only transA=0 is supported")
        if data != 0 or 1 not in constants:
            self.fail(f"{label} must read the data as A and its weights as B (data @ B + C)")
        if len(self.dims) != 2:
            self.fail(f"{label} needs rows of data, got shape {_shape_text(self.dims)}")
        self._weights(constants[1], label, transpose=attributes.get("transB", 0) == 1)
        if 2 in constants:
            self._bias(constants[2], label)

    def _bias(self, array, label):
        layer = self.layers[-1]
        shape = array.shape
        leading, last = shape[:-1], shape[-1:] or (1,)
        if (
            len(shape) > len(self.dims)
            or any(d != 1 for d in leading)
            or last[0]
            not in (
                1,
                layer.width,
            )
        ):
            self.fail(
                f"{label} adds a bias of shape {shape} to the {layer.width} nodes of the layer; "
                f"expected ({layer.width},) or (1, {layer.width}), one value per node"
            )
        self._check_values(array, "a bias", label)
        layer.bias = np.broadcast_to(array.reshape(-1), (layer.width,)).copy()
        layer.stage = "bias"

    def _add(self, label, data, constants, attributes):
        layer = self.layers[-1] if self.layers else None
        if layer is None or layer.stage != "dense":
            self.fail(
                f"{label} is not the bias of a dense layer: an Add must follow a MatMul, or a "
                "Gemm without C"
            )
        self._bias(constants[1 - data], label)

    def _activate(self, label, op):
        layer = self.layers[-1] if self.layers else None
        if layer is None or layer.stage not in ("dense", "bias"):
            self.fail(f"{label} does not follow a dense layer")
        layer.activation = (op, label)
        layer.stage = "activated"

    def _sigmoid(self, label, data, constants, attributes):
        self._activate(label, "Sigmoid")

    def _tanh(self, label, data, constants, attributes):
        self._activate(label, "Tanh")

    def _relu(self, label, data, constants, attributes):
        self._activate(label, "Relu")

    def _softmax(self, label, data, constants, attributes):
        layer = self.layers[-1] if self.layers else None
        if layer is None or layer.stage not in ("dense", "bias"):
            self.fail(f"{label} does not follow a dense layer")
        default = 1 if self.opset < 13 else -1  # opset 13 changed Softmax's axis
        axis = attributes.get("axis", default)
        if axis not in (-1, len(self.dims) - 1):
            self.fail(
                f"{label} has axis {axis} on a tensor of shape {_shape_text(self.dims)}; "
                "expected the softmax over the nodes, the last axis (-1)"
            )
        layer.stage = "softmax"
        self.softmax = label

    def _dropout(self, label, data, constants, attributes):
        if data != 0:
            self.fail(f"{label} must read the data as its first input")
        if 2 in constants and bool(np.asarray(constants[2]).ravel()[0]):
            self.fail(f"{label} has training_mode true; only inference (no dropout) is supported")
        self.ignored.append(label)

    def _identity(self, label, data, constants, attributes):
        self.ignored.append(label)

    def finish(self, outputs):
        if not self.layers:
            self.fail("the graph has no dense layer (MatMul or Gemm)")
        if outputs != [self.current]:
            names = ", ".join(map(repr, outputs)) or "none"
            self.fail(
                f"the graph's outputs are {names}; expected one, the end of the chain "
                f"({self.current!r})"
            )
        last = self.layers[-1]
        if last.activation is not None:
            op, label = last.activation
            self.fail(
                f"the last dense layer is followed by {label}; the network must end in logits "
                "or a Softmax"
            )
        found = {}  # activation: where it is first seen
        for k, layer in enumerate(self.layers[:-1], 1):
            if layer.activation:
                op, label = layer.activation
                found.setdefault(op, label)
            else:
                found.setdefault(None, f"no activation after layer {k}, {layer.node}")
        if len(found) > 1:
            first, second = list(found.values())[:2]
            self.fail(
                f"the hidden layers use different activations: {first}, but {second}; all "
                "hidden layers must use the same one"
            )

    def activation(self):
        """The hidden layers' activation: sigmoid for a network of one layer."""
        if len(self.layers) == 1:
            return "sigmoid"
        op = self.layers[0].activation
        return _ACTIVATION_OPS[op[0]] if op else "identity"
