"""The 784-50-100-10 sigmoid/softmax MLP of "Deep Learning from Scratch" ch03.

``a1 = x@W1+b1; z1 = sigmoid(a1); a2 = z1@W2+b2; z2 = sigmoid(a2); a3 = z2@W3+b3;
z3 = softmax(a3)`` with x = pixels / 255. Everything is computed in float64: influence
values are small differences of node values and float32 would lose their digits.
"""

import numpy as np

from .errors import InputError
from .pickles import unpickle_arrays

__all__ = [
    "LAYERS",
    "LAYER_MEANING",
    "LAYER_SIZES",
    "OUTPUT_LAYERS",
    "PARAM_MEANING",
    "PARAM_SHAPES",
    "accuracy",
    "check_params",
    "forward",
    "forward_from_a1",
    "load_pickle",
    "sigmoid",
    "softmax",
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


def check_params(params, source="weights"):
    """Check keys, shapes and dtypes of a weight dict; return it as float64 arrays."""
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
    out = {}
    for key, shape in PARAM_SHAPES.items():
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


def softmax(a):
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def forward(params, x):
    """All node values for a batch of flat images x (..., 784) in [0, 1].

    Returns a dict layer -> float64 array (..., nodes) for every layer in ``LAYERS``.
    """
    x = np.asarray(x, dtype=np.float64)
    return forward_from_a1(params, x @ params["W1"] + params["b1"])


def forward_from_a1(params, a1):
    """All node values given the first pre-activation a1 (..., 50); see ``forward``."""
    z1 = sigmoid(a1)
    a2 = z1 @ params["W2"]
    a2 += params["b2"]  # in place: large batches allocate (and page in) fewer buffers
    z2 = sigmoid(a2)
    a3 = z2 @ params["W3"]
    a3 += params["b3"]
    z3 = softmax(a3)
    return {"a1": a1, "z1": z1, "a2": a2, "z2": z2, "a3": a3, "z3": z3}


def accuracy(params, images, labels, batch=1000):
    """Fraction of images (uint8 (n, 28, 28)) whose argmax of z3 equals the label.

    Pixels are normalised as in the book (uint8 -> float32 / 255)."""
    correct = 0
    for start in range(0, len(images), batch):
        x = images[start : start + batch].reshape(-1, 784).astype(np.float32) / np.float32(255)
        pred = forward(params, x)["a3"].argmax(axis=1)  # argmax of softmax == argmax of logits
        correct += int(np.sum(pred == labels[start : start + batch]))
    return correct, len(images)
