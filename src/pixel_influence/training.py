"""A dense network trained with numpy by the book's recipe (chapters 4 to 6): softmax with
cross-entropy, backpropagation, mini-batches, SGD, momentum or Adam, Xavier or He weights.

``train(settings, train_images, train_labels, test_images, test_labels)`` returns the
network (``network.check_network``-valid: W1, b1, ..., WL, bL and, unless sigmoid, its
``"activation"``) and its history per epoch. Pixels are normalised as the book does
(uint8 -> float32 / 255). Training runs in float32 by default (its steps about twice as
fast as float64's; the book trains in float64, its pickle holds float32), every update
computed in that dtype: the weights come back in it and the pipeline reads them into
float64. float64 training is there for the gradient checks.

One generator ``numpy.random.default_rng(seed)`` draws the initial weights (layer by layer)
and then, at the start of every epoch, the permutation that cuts the training images into
mini-batches (the last one smaller when the batch size does not divide them). Nothing global
is set, so the same settings on the same machine give the same weights bit for bit. Another
machine, numpy or BLAS, or another BLAS thread count, may change the last bits of a matrix
product and so the weights (the pipeline runs its jobs with ``OPENBLAS_NUM_THREADS=1``).

The loss is the mean cross-entropy of a batch, log-sum-exp(a) - a[label], which is the
book's ``SoftmaxWithLoss`` without its 1e-7 guard inside the log (not needed in this form,
and it would make the loss disagree with its gradient (y - t) / n); with ``weight_decay``
lambda the book's L2 term 0.5 lambda sum(W^2) over the weights (not the biases) is added to
it and lambda W to their gradients, before the optimiser's step.
"""

import math
import numbers
import time

import numpy as np

from . import network
from .errors import InputError
from .keypaths import shown, where

__all__ = [
    "ADAM_EPSILON",
    "BETA1",
    "BETA2",
    "DEFAULTS",
    "INITS",
    "LEARNING_RATES",
    "MAX_EPOCHS",
    "MAX_HIDDEN",
    "MAX_SEED",
    "MAX_WIDTH",
    "MOMENTUM",
    "OPTIMIZERS",
    "PATH",
    "check_settings",
    "describe",
    "initial_network",
    "loss_and_gradients",
    "normalise",
    "optimizer",
    "train",
]

PATH = ("network", "train")  # where the settings sit in the config, for messages
INITS = {"xavier": 1.0, "he": 2.0}  # weights ~ N(0, gain / fan-in) (book ch06); biases 0
OPTIMIZERS = ("sgd", "momentum", "adam")
# the default learning rate of each optimiser: ch05's SGD, the book's Momentum and Adam
LEARNING_RATES = {"sgd": 0.1, "momentum": 0.01, "adam": 0.001}
MOMENTUM = 0.9  # the book's Momentum: v = 0.9 v - lr g; W += v
BETA1 = 0.9  # the book's Adam
BETA2 = 0.999
ADAM_EPSILON = 1e-7  # the book's Adam: W -= lr_t m / (sqrt(v) + 1e-7)
MAX_WIDTH = 4096  # nodes of a hidden layer
MAX_HIDDEN = 8  # hidden layers
MAX_EPOCHS = 10_000
MAX_SEED = 2**63 - 1  # stored as a signed 64-bit attribute

# every setting and its default; learning_rate None: the optimiser's, LEARNING_RATES
DEFAULTS = {
    "hidden": [100],
    "activation": "relu",
    "init": "he",
    "optimizer": "sgd",
    "learning_rate": None,
    "batch_size": 100,
    "epochs": 5,
    "seed": 0,
    "weight_decay": 0.0,
}
EVALUATION_BATCH = 1000  # images per forward pass when the accuracies are measured


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _number_text_hint(value):
    """A hint for a number YAML read as text (``1e-3`` without a dot is text in YAML 1.1)."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return " (YAML reads a number like 1e-3 as text: write 1.0e-3 or 0.001)"
    return ""


def _integer(settings, key, low, high, what, path):
    value = settings[key]
    if not _is_int(value) or not low <= value <= high:
        raise InputError(
            f"{where((*path, key))}: {shown(value)} is not {what} (a whole number from "
            f"{low} to {high}){_number_text_hint(value)}"
        )
    return int(value)


def _positive(settings, key, what, path, zero=False):
    value = settings[key]
    if not _is_real(value) or not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        bound = "0 or more" if zero else "more than 0"
        raise InputError(
            f"{where((*path, key))}: {shown(value)} is not {what} (a finite number, {bound})"
            f"{_number_text_hint(value)}"
        )
    return float(value)


def _choice(settings, key, choices, path):
    value = settings[key]
    if not isinstance(value, str) or value not in choices:
        raise InputError(
            f"{where((*path, key))}: {shown(value)} is not one of {', '.join(choices)}"
        )
    return value


def check_settings(settings, path=PATH):
    """The training settings with every default filled in (``DEFAULTS``; learning_rate the
    optimiser's from ``LEARNING_RATES``), or InputError naming the key at ``path`` in the
    config (``config.network.train.hidden[1]: 0 is not a layer width ...``)."""
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise InputError(
            f"{where(path)}: expected a mapping of training settings, got {shown(settings)}"
        )
    unknown = [key for key in settings if key not in DEFAULTS]
    if unknown:
        raise InputError(
            f"{where((*path, unknown[0]))}: not a training setting; the settings are "
            f"{', '.join(DEFAULTS)}"
        )
    given = {**DEFAULTS, **settings}
    out = {}
    hidden = given["hidden"]
    if not isinstance(hidden, (list, tuple)) or len(hidden) > MAX_HIDDEN:
        raise InputError(
            f"{where((*path, 'hidden'))}: {shown(hidden)} is not a list of at most "
            f"{MAX_HIDDEN} hidden layer widths ([] for none: softmax regression)"
        )
    for i, width in enumerate(hidden):
        if not _is_int(width) or not 1 <= width <= MAX_WIDTH:
            raise InputError(
                f"{where((*path, 'hidden', i))}: {shown(width)} is not a layer width (a whole "
                f"number of nodes from 1 to {MAX_WIDTH})"
            )
    out["hidden"] = [int(width) for width in hidden]
    out["activation"] = _choice(given, "activation", network.ACTIVATIONS, path)
    init = given["init"]
    if isinstance(init, str) and init in INITS:
        out["init"] = init
    elif _is_real(init) and math.isfinite(init) and init > 0:
        out["init"] = float(init)
    else:
        raise InputError(
            f"{where((*path, 'init'))}: {shown(init)} is not one of {', '.join(INITS)} "
            f"or a standard deviation (a finite number more than 0, e.g. 0.01 as in the "
            f"book's ch04){_number_text_hint(init)}"
        )
    out["optimizer"] = _choice(given, "optimizer", OPTIMIZERS, path)
    if given["learning_rate"] is None:
        out["learning_rate"] = LEARNING_RATES[out["optimizer"]]
    else:
        out["learning_rate"] = _positive(given, "learning_rate", "a learning rate", path)
    out["batch_size"] = _integer(given, "batch_size", 1, 2**31 - 1, "a batch size", path)
    out["epochs"] = _integer(given, "epochs", 1, MAX_EPOCHS, "a number of epochs", path)
    out["seed"] = _integer(given, "seed", 0, MAX_SEED, "a seed", path)
    out["weight_decay"] = _positive(given, "weight_decay", "a weight decay", path, zero=True)
    return out


def describe(settings, inputs=network.INPUT_SIZE, classes=10):
    """The settings in one line: ``784-100-10 relu, he init, sgd lr 0.1, batch 100, 5
    epochs, seed 0`` (and the weight decay when not 0)."""
    sizes = "-".join(str(n) for n in (inputs, *settings["hidden"], classes))
    init = settings["init"]
    init = f"{init} init" if isinstance(init, str) else f"init std {init:g}"
    text = (
        f"{sizes} {settings['activation']}, {init}, {settings['optimizer']} lr "
        f"{settings['learning_rate']:g}, batch {settings['batch_size']}, "
        f"{settings['epochs']} epoch{'s' if settings['epochs'] != 1 else ''}, "
        f"seed {settings['seed']}"
    )
    if settings["weight_decay"]:
        text += f", weight decay {settings['weight_decay']:g}"
    return text


def initial_network(settings, rng, inputs=network.INPUT_SIZE, classes=10, dtype=np.float32):
    """The untrained network of checked ``settings``: every Wk drawn from ``rng`` (in order
    W1, W2, ...) as std * standard normal in float64, then cast to ``dtype``; std
    sqrt(1 / fan-in) (xavier), sqrt(2 / fan-in) (he) or the given number; biases 0."""
    widths = [inputs, *settings["hidden"], classes]
    params = {}
    for k, (fan_in, nodes) in enumerate(zip(widths, widths[1:]), start=1):
        init = settings["init"]
        std = math.sqrt(INITS[init] / fan_in) if isinstance(init, str) else init
        params[f"W{k}"] = (std * rng.standard_normal((fan_in, nodes))).astype(dtype)
        params[f"b{k}"] = np.zeros(nodes, dtype=dtype)
    if settings["activation"] != "sigmoid":
        params[network.ACTIVATION] = settings["activation"]
    return params


def normalise(images, dtype=np.float32):
    """uint8 images (n, 28, 28) or (n, 784) as the book feeds them: float32 / 255, flat,
    then in ``dtype``."""
    x = np.asarray(images).reshape(len(images), -1).astype(np.float32) / np.float32(255)
    return x if x.dtype == dtype else x.astype(dtype)


def _activate_in_place(activation, a):
    """act(a), overwriting a where the activation allows (the backward pass needs only
    the outputs: every slope is a function of them)."""
    if activation == "relu":
        return np.maximum(a, 0, out=a)
    if activation == "tanh":
        return np.tanh(a, out=a)
    if activation == "sigmoid":
        return network.sigmoid(a)
    return a  # identity


def _times_slope(activation, d, z):
    """d * act'(a) in place, the slope from the output z = act(a): sigmoid z (1 - z) (the
    book's dout (1 - out) out), tanh 1 - z^2, ReLU 1 where z > 0 (0 at a = 0, as
    ``network.activation_slope``)."""
    if activation == "relu":
        np.multiply(d, z > 0, out=d)
    elif activation == "tanh":
        d *= 1 - z * z
    elif activation == "sigmoid":
        d *= 1 - z
        d *= z
    return d


def loss_and_gradients(params, x, labels, weight_decay=0.0):
    """(loss, {"W1": dL/dW1, "b1": ..., "WL": ..., "bL": ...}) of a network on a batch of
    flat inputs ``x`` (n, inputs) and integer ``labels`` (n,): L the mean cross-entropy of
    softmax(aL) (plus the L2 term 0.5 weight_decay sum(W^2)). Computed in x's dtype, which
    must be the weights'; every array of any depth and width (the gradient checks use tiny
    ones)."""
    count = network.depth(params)
    activation = network.activation_of(params)
    outputs = [x]  # x, z1, ..., z(L-1): the inputs of the layers
    for k in range(1, count + 1):
        a = outputs[-1] @ params[f"W{k}"]
        a += params[f"b{k}"]
        if k < count:
            outputs.append(_activate_in_place(activation, a))
    n = len(x)
    rows = np.arange(n)
    a -= a.max(axis=1, keepdims=True)  # softmax and log-sum-exp without overflow
    e = np.exp(a)
    total = e.sum(axis=1)
    loss = float(np.mean(np.log(total) - a[rows, labels]))
    e /= total[:, None]  # y = softmax(aL)
    e[rows, labels] -= 1
    d = e
    d /= n  # dL/daL = (y - t) / n, the book's SoftmaxWithLoss backward
    grads = {}
    for k in range(count, 0, -1):
        grads[f"W{k}"] = outputs[k - 1].T @ d
        grads[f"b{k}"] = d.sum(axis=0)
        if k > 1:
            d = _times_slope(activation, d @ params[f"W{k}"].T, outputs[k - 1])
    if weight_decay:
        squares = sum(float(np.sum(params[f"W{k}"] ** 2)) for k in range(1, count + 1))
        loss += 0.5 * weight_decay * squares
        for k in range(1, count + 1):
            grads[f"W{k}"] += weight_decay * params[f"W{k}"]
    return loss, {key: grads[key] for key in network.weight_keys(count)}


def optimizer(name, learning_rate):
    """``update(params, grads)``: one step of the book's optimiser ``name`` (ch06
    common/optimizer.py), changing the arrays of ``params`` in place and keeping its state
    (momentum's v, Adam's m, v and step count) between calls.

    sgd: W -= lr g. momentum: v = 0.9 v - lr g; W += v. adam: t += 1; lr_t = lr sqrt(1 -
    0.999^t) / (1 - 0.9^t); m += 0.1 (g - m); v += 0.001 (g^2 - v); W -= lr_t m / (sqrt(v)
    + 1e-7). Each in the weights' dtype."""
    if name not in OPTIMIZERS:
        raise InputError(f"optimizer {name!r} is not one of {', '.join(OPTIMIZERS)}")
    state = {}

    def sgd(params, grads):
        for key, g in grads.items():
            params[key] -= learning_rate * g

    def momentum(params, grads):
        for key, g in grads.items():
            if key not in state:
                state[key] = np.zeros_like(params[key])
            v = state[key]
            v *= MOMENTUM
            v -= learning_rate * g
            params[key] += v

    def adam(params, grads):
        state["t"] = step = state.get("t", 0) + 1
        # a Python float: the step is computed in the weights' dtype (float32 arithmetic
        # for float32 training, as the book's code did under numpy 1; under numpy 2 its
        # np.sqrt makes lr_t a float64 that lifts the step to float64). The book's
        # operations, in place: the same bits, a third of the time
        lr_t = learning_rate * math.sqrt(1.0 - BETA2**step) / (1.0 - BETA1**step)
        for key, g in grads.items():
            if ("m", key) not in state:
                state["m", key] = np.zeros_like(params[key])
                state["v", key] = np.zeros_like(params[key])
            m, v = state["m", key], state["v", key]
            change = g - m
            change *= 1 - BETA1
            m += change
            change = np.square(g)
            change -= v
            change *= 1 - BETA2
            v += change
            scale = np.sqrt(v)
            scale += ADAM_EPSILON
            update = lr_t * m
            update /= scale
            params[key] -= update

    return {"sgd": sgd, "momentum": momentum, "adam": adam}[name]


def _check_split(images, labels, classes, what):
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 3:
        raise InputError(
            f"{what} images: expected uint8 images (n, 28, 28), got "
            f"{getattr(images, 'dtype', type(images).__name__)} {getattr(images, 'shape', '')}"
        )
    if images.shape[1:] != (28, 28) or len(images) == 0:
        raise InputError(f"{what} images: expected (n, 28, 28) with n > 0, got {images.shape}")
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
        raise InputError(
            f"{what} labels: expected {len(images)} integer labels, got {labels.dtype} "
            f"{labels.shape}"
        )
    if labels.min() < 0 or labels.max() >= classes:
        bad = int(np.argmax((labels < 0) | (labels >= classes)))
        raise InputError(
            f"{what} labels: label {int(labels[bad])} (item {bad}) is not a class 0 to "
            f"{classes - 1}"
        )
    return labels.astype(np.intp)


def _accuracy(params64, images, labels):
    correct, total = network.accuracy(params64, images, labels, EVALUATION_BATCH)
    return correct / total


def train(
    settings,
    train_images,
    train_labels,
    test_images,
    test_labels,
    classes=10,
    dtype=np.float32,
    path=PATH,
    on_epoch=None,
):
    """Train a network by ``settings`` (``check_settings``; messages name the keys at
    ``path``) on uint8 images (n, 28, 28) and their labels 0 to ``classes`` - 1, in
    ``dtype`` (float32 or float64).

    Returns (params, history): the network's arrays in ``dtype`` (and its activation unless
    sigmoid), and per epoch {"loss": mean of the epoch's batch losses, "train_accuracy",
    "test_accuracy": the fraction right after the epoch, "seconds": the epoch's wall time,
    with the accuracies} as float64 arrays (epochs,). The accuracies are those of
    ``network.accuracy`` on the weights in float64: what the pipeline's accuracy job
    finds for the saved network. ``on_epoch(epoch, record)``, if given, is called after
    every epoch with its number (1, 2, ...) and its row of the history (to log progress).
    A loss that stops being finite (too large a learning rate) is an InputError naming
    learning_rate."""
    settings = check_settings(settings, path)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, not {dtype}")
    if not _is_int(classes) or classes < 2:
        raise InputError(f"classes: {shown(classes)} is not a number of classes (2 or more)")
    labels = _check_split(train_images, train_labels, classes, "training")
    test = _check_split(test_images, test_labels, classes, "test")
    flat = train_images.reshape(len(train_images), -1)
    rng = np.random.default_rng(settings["seed"])
    params = initial_network(settings, rng, flat.shape[1], classes, dtype)
    update = optimizer(settings["optimizer"], settings["learning_rate"])
    size, n = settings["batch_size"], len(flat)
    history = {key: [] for key in ("loss", "train_accuracy", "test_accuracy", "seconds")}
    for epoch in range(1, settings["epochs"] + 1):
        start = time.perf_counter()
        order = rng.permutation(n)
        losses = []
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for first in range(0, n, size):
                batch = order[first : first + size]
                loss, grads = loss_and_gradients(
                    params, normalise(flat[batch], dtype), labels[batch], settings["weight_decay"]
                )
                if not math.isfinite(loss):
                    raise InputError(
                        f"{where((*path, 'learning_rate'))}: training diverged at epoch {epoch}, "
                        f"batch {first // size + 1} (the loss is {loss}); lower the learning "
                        f"rate {settings['learning_rate']:g}"
                    )
                losses.append(loss)
                update(params, grads)
        weights64 = {
            key: value.astype(np.float64) if key != network.ACTIVATION else value
            for key, value in params.items()
        }
        record = {
            "loss": math.fsum(losses) / len(losses),
            "train_accuracy": _accuracy(weights64, train_images, labels),
            "test_accuracy": _accuracy(weights64, test_images, test),
            "seconds": time.perf_counter() - start,
        }
        for key, value in record.items():
            history[key].append(value)
        if on_epoch is not None:
            on_epoch(epoch, record)
    return params, {key: np.array(values, dtype=np.float64) for key, values in history.items()}
