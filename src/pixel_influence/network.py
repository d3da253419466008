"""Dense networks: the book's 784-50-100-10 sigmoid/softmax MLP ("Deep Learning from
Scratch" ch03) and any chain of dense layers like it.

A network is its parameters ``{"W1", "b1", ..., "WL", "bL"}`` (W1 (784, n1), Wk (n(k-1),
nk)) and, under the key ``"activation"``, the name of the hidden layers' activation (absent:
sigmoid, the book's). ``a1 = x@W1+b1; z1 = act(a1); ...; aL = z(L-1)@WL+bL; zL =
softmax(aL)`` with x = pixels / 255; for the book ``a1, z1, a2, z2, a3, z3``. Everything
is computed in float64: influence values are small differences of node values and
float32 would lose their digits.
"""

import numpy as np

from .errors import InputError
from .pickles import unpickle_arrays

__all__ = [
    "ACTIVATION",
    "ACTIVATIONS",
    "INPUT_SIZE",
    "LAYERS",
    "LAYER_MEANING",
    "LAYER_SIZES",
    "OUTPUT_LAYERS",
    "PARAM_MEANING",
    "PARAM_SHAPES",
    "accuracy",
    "activate",
    "activation_of",
    "activation_secant",
    "activation_slope",
    "check_network",
    "check_params",
    "depth",
    "forward",
    "forward_from_a1",
    "layer_meaning",
    "layer_names",
    "layer_sizes",
    "load_pickle",
    "output_layers",
    "sigmoid",
    "softmax",
    "weight_keys",
]

LAYERS = ("a1", "z1", "a2", "z2", "a3", "z3")
OUTPUT_LAYERS = ("a3", "z3")  # node j is digit j: the largest value is the prediction
LAYER_SIZES = {"a1": 50, "z1": 50, "a2": 100, "z2": 100, "a3": 10, "z3": 10}
LAYER_MEANING = {
    "a1": "pre-activation of hidden layer 1: a1 = x @ W1 + b1",
    "z1": "hidden layer 1 output: z1 = sigmoid(a1)",
    "a2": "pre-activation of hidden layer 2: a2 = z1 @ W2 + b2",
    "z2": "hidden layer 2 output: z2 = sigmoid(a2)",
    "a3": "output logits: a3 = z2 @ W3 + b3 (node j is digit j)",
    "z3": "output probabilities: z3 = softmax(a3) (node j is digit j)",
}
PARAM_SHAPES = {
    "W1": (784, 50),
    "b1": (50,),
    "W2": (50, 100),
    "b2": (100,),
    "W3": (100, 10),
    "b3": (10,),
}
PARAM_MEANING = {
    "W1": ("weights of layer 1 (a1 = x @ W1 + b1)", "input pixel (row-major 28x28), layer-1 node"),
    "b1": ("biases of layer 1", "layer-1 node"),
    "W2": ("weights of layer 2 (a2 = z1 @ W2 + b2)", "layer-1 node, layer-2 node"),
    "b2": ("biases of layer 2", "layer-2 node"),
    "W3": ("weights of layer 3 (a3 = z2 @ W3 + b3)", "layer-2 node, output node (digit)"),
    "b3": ("biases of layer 3", "output node (digit)"),
}


ACTIVATION = "activation"  # the key of the hidden layers' activation in a network's dict
ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
INPUT_SIZE = 784  # 28x28 pixels, row-major


def depth(params):
    """The number L of dense layers of a network: its weights are W1 ... WL."""
    count = 0
    while f"W{count + 1}" in params:
        count += 1
    return count


def weight_keys(params_or_depth):
    """("W1", "b1", ..., "WL", "bL") of a network (or of its depth)."""
    count = params_or_depth if isinstance(params_or_depth, int) else depth(params_or_depth)
    return tuple(f"{kind}{k}" for k in range(1, count + 1) for kind in ("W", "b"))


def layer_names(params_or_depth):
    """("a1", "z1", ..., "aL", "zL"): every layer's pre-activation and output, in order."""
    count = params_or_depth if isinstance(params_or_depth, int) else depth(params_or_depth)
    return tuple(f"{kind}{k}" for k in range(1, count + 1) for kind in ("a", "z"))


def output_layers(params_or_depth):
    """The output layer's logits and probabilities (aL, zL): node j is class j."""
    return layer_names(params_or_depth)[-2:]


def layer_sizes(params):
    """{layer: nodes} of every layer of a network."""
    return {
        f"{kind}{k}": params[f"b{k}"].shape[0]
        for k in range(1, depth(params) + 1)
        for kind in ("a", "z")
    }


def activation_of(params):
    """The hidden layers' activation of a network: sigmoid unless it names another."""
    return params.get(ACTIVATION, "sigmoid")


def layer_meaning(layer, params_or_depth, activation="sigmoid"):
    """What a layer holds, in words, as the files and pictures describe it."""
    count = params_or_depth if isinstance(params_or_depth, int) else depth(params_or_depth)
    if not isinstance(params_or_depth, int):
        activation = activation_of(params_or_depth)
    if count == 3 and activation == "sigmoid":
        return LAYER_MEANING[layer]
    kind, k = layer[0], int(layer[1:])
    last = k == count
    if kind == "a":
        source = "x" if k == 1 else f"z{k - 1}"
        what = "output logits" if last else f"pre-activation of hidden layer {k}"
        return f"{what}: a{k} = {source} @ W{k} + b{k}" + (" (node j is class j)" if last else "")
    if last:
        return f"output probabilities: z{k} = softmax(a{k}) (node j is class j)"
    return f"hidden layer {k} output: z{k} = {activation}(a{k})"


def check_network(params, source="weights"):
    """Check a network of any depth: W1 (784, n1), b1 (n1,), Wk (n(k-1), nk), bk (nk,),
    at least two output classes, finite float32/float64 values, and an ``"activation"``
    among ``ACTIVATIONS`` if given. Returns it with float64 arrays (and the activation)."""
    if not isinstance(params, dict):
        raise InputError(f"{source}: expected a dict of arrays, got {type(params).__name__}")
    count = depth(params)
    if count == 0:
        raise InputError(f"{source}: no weights W1 (expected W1, b1, ..., WL, bL)")
    expected = set(weight_keys(count)) | {ACTIVATION}
    extra = sorted(map(str, set(params) - expected))
    missing = [k for k in weight_keys(count) if k not in params]
    if extra or missing:
        raise InputError(
            f"{source}: expected the keys W1, b1, ..., W{count}, b{count} of a {count}-layer "
            f"network; missing {missing}, unexpected {extra}"
        )
    activation = params.get(ACTIVATION, "sigmoid")
    if activation not in ACTIVATIONS:
        raise InputError(
            f"{source}: activation {activation!r} is not one of {', '.join(ACTIVATIONS)}"
        )
    width = INPUT_SIZE
    shapes = {}
    for k in range(1, count + 1):
        for key in (f"W{k}", f"b{k}"):
            if not isinstance(params[key], np.ndarray) or params[key].ndim != (
                2 if key[0] == "W" else 1
            ):
                raise InputError(
                    f"{source}: {key} must be a {2 if key[0] == 'W' else 1}-dimensional "
                    f"numpy array, got {_describe(params[key])}"
                )
        nodes = params[f"b{k}"].shape[0]  # a transposed W is then named as such
        shapes[f"W{k}"] = (width, nodes)
        shapes[f"b{k}"] = (nodes,)
        width = nodes
    if width < 2:
        raise InputError(
            f"{source}: the output layer has {width} node; a classifier needs 2 or more"
        )
    out = _checked_arrays(params, shapes, source)
    if ACTIVATION in params:
        out[ACTIVATION] = activation
    return out


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _checked_arrays(params, shapes, source):
    out = {}
    for key, shape in shapes.items():
        value = params[key]
        if not isinstance(value, np.ndarray):
            raise InputError(f"{source}: {key} is a {type(value).__name__}, not a numpy array")
        if value.shape != shape:
            raise InputError(f"{source}: {key} has shape {value.shape}, expected {shape}")
        if value.dtype.kind != "f" or value.dtype.itemsize not in (4, 8):
            raise InputError(
                f"{source}: {key} has dtype {value.dtype}, expected float32 or float64"
            )
        finite = np.isfinite(value)
        if not finite.all():
            where = tuple(int(i) for i in np.argwhere(~finite)[0])
            raise InputError(
                f"{source}: {key} holds {int(finite.size - finite.sum())} non-finite values "
                f"(NaN or infinity), the first at index {where}"
            )
        out[key] = np.ascontiguousarray(value, dtype=np.float64)
    return out


def check_params(params, source="weights"):
    """Check keys, shapes and dtypes of the book's weight dict; return it as float64 arrays."""
    if not isinstance(params, dict):
        raise InputError(f"{source}: expected a dict of arrays, got {type(params).__name__}")
    keys = set(params)
    if keys != set(PARAM_SHAPES):
        missing = sorted(set(PARAM_SHAPES) - keys)
        extra = sorted(map(str, keys - set(PARAM_SHAPES)))
        raise InputError(
            f"{source}: expected exactly the keys {sorted(PARAM_SHAPES)}; "
            f"missing {missing}, unexpected {extra}"
        )
    return _checked_arrays(params, PARAM_SHAPES, source)


def load_pickle(data, source="weights pickle"):
    """Load the book's ``sample_weight.pkl`` bytes without executing anything in them.

    Returns the arrays as stored (float32), after checking keys, shapes and values.
    """
    params = unpickle_arrays(data, source)
    check_params(params, source)
    return {k: params[k] for k in PARAM_SHAPES}


def sigmoid(a):
    """1 / (1 + exp(-a)), computed in one buffer (large batches: no temporaries)."""
    out = np.negative(a)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def activate(activation, a):
    """A hidden layer's output from its pre-activation, as a new array."""
    if activation == "sigmoid":
        return sigmoid(a)
    if activation == "tanh":
        return np.tanh(a)
    if activation == "relu":
        return np.maximum(a, 0.0)
    if activation == "identity":
        return np.array(a, dtype=np.float64, copy=True)
    raise InputError(f"activation {activation!r} is not one of {', '.join(ACTIVATIONS)}")


def activation_slope(activation, a):
    """The derivative of the activation at a (ReLU: 1 where a > 0, else 0)."""
    if activation == "sigmoid":
        s = sigmoid(a)
        return s * (1.0 - s)
    if activation == "tanh":
        return 1.0 - np.tanh(a) ** 2
    if activation == "relu":
        return (np.asarray(a) > 0).astype(np.float64)
    if activation == "identity":
        return np.ones_like(a, dtype=np.float64)
    raise InputError(f"activation {activation!r} is not one of {', '.join(ACTIVATIONS)}")


def activation_secant(activation, a, b):
    """(act(a) - act(b)) / (a - b), DeepLIFT's rescale multiplier, without cancellation;
    the slope where a == b. Tanh from tanh p - tanh q = sinh(p - q) / (cosh p cosh q), the
    sigmoid as (1 + tanh(u / 2)) / 2; ReLU: the chord, its slope where a == b."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if activation == "tanh":
        return _tanh_secant(a, b)
    if activation == "sigmoid":
        return 0.25 * _tanh_secant(0.5 * a, 0.5 * b)
    if activation == "relu":
        d = a - b
        with np.errstate(invalid="ignore", divide="ignore"):
            chord = (np.maximum(a, 0.0) - np.maximum(b, 0.0)) / np.where(d == 0, 1.0, d)
        return np.where(d == 0, (a > 0).astype(np.float64), chord)
    if activation == "identity":
        return np.ones(np.broadcast(a, b).shape)
    raise InputError(f"activation {activation!r} is not one of {', '.join(ACTIVATIONS)}")


def _tanh_secant(p, q):
    """(tanh p - tanh q) / (p - q) = (sinh d / d) / (cosh p cosh q), d = p - q, in logs so
    that nothing overflows however far apart p and q are."""
    d = p - q
    ad = np.abs(d)
    near = ad < 20.0
    safe = np.where(near & (d != 0), d, 1.0)
    with np.errstate(over="ignore", divide="ignore"):
        log_ratio = np.where(
            near,
            np.log(np.where(d == 0, 1.0, np.sinh(safe) / safe)),
            ad - np.log(2.0 * np.where(near, 1.0, ad)),
        )
    return np.exp(log_ratio - _log_cosh(p) - _log_cosh(q))


def _log_cosh(p):
    """log(cosh p) for any p without overflow: |p| + log1p(exp(-2|p|)) - log 2."""
    p = np.abs(p)
    return p + np.log1p(np.exp(-2.0 * p)) - np.log(2.0)


def softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward(params, x):
    """All node values for a batch of flat images x (..., 784) in [0, 1].

    Returns a dict layer -> float64 array (..., nodes) for every layer of the network
    (``layer_names``: ``LAYERS`` for the book's).
    """
    x = np.asarray(x, dtype=np.float64)
    return forward_from_a1(params, x @ params["W1"] + params["b1"])


def forward_from_a1(params, a1):
    """All node values given the first pre-activation a1 (..., n1); see ``forward``."""
    count = depth(params)
    activation = activation_of(params)
    values = {"a1": a1}
    a = a1
    for k in range(1, count + 1):
        if k > 1:
            a = values[f"z{k - 1}"] @ params[f"W{k}"]
            a += params[f"b{k}"]  # in place: large batches allocate (and page in) fewer buffers
            values[f"a{k}"] = a
        values[f"z{k}"] = softmax(a) if k == count else activate(activation, a)
    return values


def accuracy(params, images, labels, batch=1000):
    """Fraction of images (uint8 (n, 28, 28)) whose argmax of the output equals the label.

    Pixels are normalised as in the book (uint8 -> float32 / 255)."""
    correct = 0
    for start in range(0, len(images), batch):
        x = images[start : start + batch].reshape(-1, 784).astype(np.float32) / np.float32(255)
        logits = output_layers(params)[0]
        pred = forward(params, x)[logits].argmax(axis=1)  # argmax of softmax == of logits
        correct += int(np.sum(pred == labels[start : start + batch]))
    return correct, len(images)
