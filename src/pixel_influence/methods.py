"""Influence (attribution) methods: how much each pixel moves each node.

Every method has the signature ``method(params, x, baseline_image, layers, **parameters) ->
{layer: (nodes, pixels)}`` with x and baseline_image flat float64 images and computes all nodes of
all requested layers together: shared forward passes, and Jacobians propagated for all
pixels at once (never one pass per node). Pixels equal to the baseline get exactly 0 from
every method, so only the changed pixels are computed. ``METHODS`` maps the config name to
the method, its default parameters and its meaning, so a new method plugs in here without
touching the workflow rules; it is the one definition of the names and defaults, which the
schema, config/config.yaml, config/README.md and the figure colours must follow
(tests/test_names.py).

Any dense network of ``pixel_influence.network`` works: any depth L, any widths, any hidden
activation, its layers ``network.layer_names`` (a1, z1, ..., aL, zL). The book's network
goes through the same numpy operations in the same order as before the generalisation, so
its maps keep their bits.
"""

import functools
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .network import (
    activation_of,
    activation_secant,
    activation_slope,
    depth,
    forward,
    forward_from_a1,
    layer_names,
    sigmoid,
    softmax,
)

__all__ = [
    "METHODS",
    "METHOD_MEANING",
    "Method",
    "compute",
    "deeplift",
    "gauss_legendre",
    "gradient_input",
    "insertion",
    "integrated_gradients",
    "method_meaning",
    "occlusion",
    "parameters_of",
    "residual",
    "shapley_sampling",
    "sigmoid_secant",
    "softmax_secant",
]


def _checked_layers(params, layers):
    """``layers`` as a tuple, after checking that each is a layer of this network."""
    valid = layer_names(params)
    if isinstance(layers, str):
        raise InputError(
            f"layers must be a list of layer names, got the string {layers!r}; "
            f"the layers of this network are {', '.join(valid)}"
        )
    layers = tuple(layers)
    for layer in layers:
        if layer not in valid:
            raise InputError(
                f"layer {layer!r} is not a layer of this {len(valid) // 2}-layer network; "
                f"its layers are {', '.join(valid)}"
            )
    return layers


def _flat(x):
    return np.asarray(x, dtype=np.float64).reshape(-1)


def _changed(x, baseline_image):
    """Indices of the pixels that differ from the baseline and their differences."""
    changed = np.flatnonzero(x != baseline_image)
    return changed, (x - baseline_image)[changed]


def _spread(per_changed, changed, pixels, layers):
    """{layer: (nodes, m)} on the changed pixels -> {layer: (nodes, pixels)}, zeros elsewhere."""
    out = {}
    for layer in layers:
        values = per_changed[layer]
        full = np.zeros(values.shape[:-1] + (pixels,))
        full[..., changed] = values
        out[layer] = full
    return out


def _deltas(params, rows, baseline, layers, sign):
    """Node changes of one-pixel edits: row r is ``sign * (f(image r) - f(reference))``.

    ``rows`` (m, hidden) are the a1 of the edited images; returns {layer: (nodes, m)}.
    """
    values = forward_from_a1(params, rows)
    out = {}
    for layer in layers:
        delta = values[layer] - baseline[layer]
        out[layer] = (delta if sign > 0 else np.negative(delta, out=delta)).T
    return out


def insertion(params, x, baseline_image, layers):
    """The original article's method: f(baseline with only pixel i of x) - f(baseline).

    With the all-zero baseline this is ``f(x_i e_i) - f(0)``. The a1 of "baseline with pixel
    i from x" is a1(baseline) + (x_i - b_i) W1[i], so the m inserted images cost one
    broadcast and one batched pass instead of m full passes.
    """
    layers = _checked_layers(params, layers)
    x, baseline_image = _flat(x), _flat(baseline_image)
    changed, d = _changed(x, baseline_image)
    baseline = forward(params, baseline_image)
    rows = baseline["a1"][None, :] + d[:, None] * params["W1"][changed]
    return _spread(_deltas(params, rows, baseline, layers, 1.0), changed, x.size, layers)


def occlusion(params, x, baseline_image, layers):
    """Leave-one-out: f(x) - f(x with pixel i set to the baseline), all pixels in one batch."""
    layers = _checked_layers(params, layers)
    x, baseline_image = _flat(x), _flat(baseline_image)
    changed, d = _changed(x, baseline_image)
    full = forward(params, x)
    rows = full["a1"][None, :] - d[:, None] * params["W1"][changed]
    return _spread(_deltas(params, rows, full, layers, -1.0), changed, x.size, layers)


def _sigmoid_slope(a):
    s = sigmoid(a)
    return s * (1.0 - s)


def _slope(activation, a):
    """The hidden activation's derivative at a (the sigmoid's as the book computes it)."""
    return _sigmoid_slope(a) if activation == "sigmoid" else activation_slope(activation, a)


def _secant(activation, a, b):
    """The hidden activation's rescale multiplier (act(a) - act(b)) / (a - b): the book's
    ``sigmoid_secant`` for the sigmoid, ``network.activation_secant`` for the others (for
    ReLU the chord of the ReLU, 0 or 1 unless the unit switches between b and a)."""
    return sigmoid_secant(a, b) if activation == "sigmoid" else activation_secant(activation, a, b)


def _softmax_jacobian(s):
    """d softmax / d logits for probabilities s (..., k): diag(s) - s s^T."""
    return s[..., :, None] * (np.eye(s.shape[-1]) - s[..., None, :])


def _chain(params, contributions, slopes, jacobian):
    """Carry per-pixel contributions to a1 through the network with given local multipliers.

    ``contributions`` (n1, m): column i is pixel i's share of the change of a1.
    ``slopes[k - 1]`` (..., nk), for the hidden layers k = 1 ... L-1, multiplies the changes
    of ak to give those of zk; ``jacobian`` (..., nL, nL) maps changes of aL to changes of zL
    (the softmax). With the local derivatives at one point this is gradient x input; with
    the rescale multipliers it is DeepLIFT. Leading axes of the multipliers are batch axes
    (quadrature points). Returns {layer: (..., nodes, m)} for every layer.
    """
    a = np.broadcast_to(contributions, jacobian.shape[:-2] + contributions.shape)
    out = {"a1": a}
    for k, slope in enumerate(slopes, start=1):
        z = slope[..., :, None] * a
        a = np.matmul(params[f"W{k + 1}"].T, z)
        out[f"z{k}"], out[f"a{k + 1}"] = z, a
    out[f"z{len(slopes) + 1}"] = np.matmul(jacobian, a)
    return out


def _local_multipliers(params, values):
    """The derivatives of the hidden activations and of the softmax at the node values of
    one forward pass: (slopes of z1 ... z(L-1), Jacobian of zL)."""
    count, activation = depth(params), activation_of(params)
    slopes = [_slope(activation, values[f"a{k}"]) for k in range(1, count)]
    return slopes, _softmax_jacobian(values[f"z{count}"])


def gradient_input(params, x, baseline_image, layers):
    """Gradient of each node at x times (x - baseline), the Jacobian of all nodes at once."""
    layers = _checked_layers(params, layers)
    x, baseline_image = _flat(x), _flat(baseline_image)
    changed, d = _changed(x, baseline_image)
    contributions = params["W1"][changed].T * d[None, :]
    per_changed = _chain(params, contributions, *_local_multipliers(params, forward(params, x)))
    return _spread(per_changed, changed, x.size, layers)


@functools.lru_cache(maxsize=16)
def gauss_legendre(points):
    """Abscissae and weights of the ``points``-point Gauss-Legendre rule on [0, 1] (float64),
    read-only. Kept once computed: numpy's ``leggauss`` solves an eigenvalue problem of
    points x points (256 MiB and seconds at 4096), which a sweep would repeat for every image."""
    t, w = np.polynomial.legendre.leggauss(points)
    t, w = (t + 1.0) / 2.0, w / 2.0
    t.setflags(write=False)
    w.setflags(write=False)
    return t, w


def integrated_gradients(params, x, baseline_image, layers, points=64, batch=16):
    """Path integral of the gradient from the baseline to x, times (x - baseline).

    The integral over the straight path is taken with ``points``-point Gauss-Legendre
    quadrature in float64 (weights included: a float32 weight alone limits completeness to
    ~1e-9). The gradients of all nodes at all pixels are propagated together, ``batch``
    quadrature points at a time.
    """
    layers = _checked_layers(params, layers)
    x, baseline_image = _flat(x), _flat(baseline_image)
    changed, d = _changed(x, baseline_image)
    contributions = params["W1"][changed].T * d[None, :]
    abscissae, weights = gauss_legendre(points)
    total = None
    for start in range(0, points, batch):
        t, w = abscissae[start : start + batch], weights[start : start + batch]
        values = forward(
            params, baseline_image[None, :] + t[:, None] * (x - baseline_image)[None, :]
        )
        per_point = _chain(params, contributions, *_local_multipliers(params, values))
        part = {layer: np.tensordot(w, per_point[layer], axes=1) for layer in layers}
        total = part if total is None else {k: total[k] + part[k] for k in layers}
    return _spread(total, changed, x.size, layers)


def sigmoid_secant(a, b):
    """(sigmoid(a) - sigmoid(b)) / (a - b), the rescale multiplier, without cancellation.

    From sigmoid(u) = (1 + tanh(u/2)) / 2 and tanh p - tanh q = sinh(p-q) / (cosh p cosh q):
    the secant is sinhc((a-b)/2) / (4 cosh(a/2) cosh(b/2)) with sinhc(t) = sinh(t)/t, which
    is accurate for any a - b and tends to sigmoid'(a) as b -> a.
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    half = (a - b) / 2.0
    with np.errstate(over="ignore", invalid="ignore"):
        sinhc = np.where(half == 0, 1.0, np.sinh(half) / np.where(half == 0, 1.0, half))
        out = sinhc / (4.0 * np.cosh(a / 2.0) * np.cosh(b / 2.0))
    return np.where(np.isfinite(out), out, 0.0)


def softmax_secant(logits, reference, tolerance=1e-14, max_points=4096):
    """The mean Jacobian of softmax on the segment from ``reference`` to ``logits``.

    This is the rescale rule generalised to a function of several inputs: for a function of
    one input the mean derivative over the segment IS the rescale multiplier
    (f(x) - f(b)) / (x - b). The matrix M satisfies M @ (logits - reference) =
    softmax(logits) - softmax(reference) exactly (fundamental theorem of calculus), depends
    only on this one input and its reference (not on other images of a batch), and is
    symmetric in the logits. The 10-dimensional integral is cheap, so Gauss-Legendre points
    are doubled until the identity holds to ``tolerance``.
    """
    logits, reference = _flat(logits), _flat(reference)
    change = logits - reference
    target = softmax(logits) - softmax(reference)
    points = 32
    while True:
        t, w = gauss_legendre(points)
        s = softmax(reference[None, :] + t[:, None] * change[None, :])
        mean = np.tensordot(w, _softmax_jacobian(s), axes=1)
        if np.abs(mean @ change - target).max() <= tolerance or points >= max_points:
            return mean
        points *= 2


def deeplift(params, x, baseline_image, layers):
    """DeepLIFT with the rescale rule, complete at every layer including the softmax.

    Each hidden activation passes a change on with the multiplier (act(a) - act(a_ref)) /
    (a - a_ref) (``sigmoid_secant`` for the sigmoid, ``network.activation_secant`` for tanh,
    ReLU and identity), linear layers with their weights, and the softmax with its mean
    Jacobian on the segment between the reference and the input logits
    (``softmax_secant``). Every step reproduces its layer's change exactly, so the pixel
    contributions of every node sum to f(x) - f(baseline).
    """
    layers = _checked_layers(params, layers)
    x, baseline_image = _flat(x), _flat(baseline_image)
    changed, d = _changed(x, baseline_image)
    value, baseline = forward(params, x), forward(params, baseline_image)
    contributions = params["W1"][changed].T * d[None, :]
    count, activation = depth(params), activation_of(params)
    slopes = [_secant(activation, value[f"a{k}"], baseline[f"a{k}"]) for k in range(1, count)]
    jacobian = softmax_secant(value[f"a{count}"], baseline[f"a{count}"])
    per_changed = _chain(params, contributions, slopes, jacobian)
    return _spread(per_changed, changed, x.size, layers)


def _merge(count, mean, m2, batch):
    """Chan's parallel update of a running mean and sum of squared deviations."""
    n = batch.shape[0]
    batch_mean = batch.mean(axis=0)
    batch_m2 = ((batch - batch_mean) ** 2).sum(axis=0)
    total = count + n
    delta = batch_mean - mean
    mean = mean + delta * (n / total)
    m2 = m2 + batch_m2 + delta**2 * (count * n / total)
    return total, mean, m2


def shapley_sampling(
    params,
    x,
    baseline_image,
    layers,
    permutations=256,
    seed=0,
    memory=64e6,
    with_stderr=False,
    progress=None,
):
    """Shapley values estimated from antithetic permutations of the changed pixels.

    For each random order of the pixels, pixels are switched from the baseline to x one at
    a time and each is credited with the change it causes; each order is paired with its
    reverse (antithetic sampling), and the estimate is the mean over the pairs. Every order
    telescopes to f(x) - f(baseline), so the estimate is exactly efficient. Random orders
    come from ``numpy.random.default_rng(seed)``. With ``with_stderr`` also returns the
    standard error of each value (standard deviation of the pair means / sqrt(pairs)).
    ``progress(done, total, seconds)`` is called with the permutations done after each
    chunk and the seconds since the start.
    """
    if permutations < 2 or permutations % 2:
        raise InputError(
            f"shapley_sampling: permutations must be even and >= 2, got {permutations}"
        )
    layers = _checked_layers(params, layers)
    began = time.perf_counter()
    x, baseline_image = _flat(x), _flat(baseline_image)
    changed, d = _changed(x, baseline_image)
    m = changed.size
    every = layer_names(params)
    baseline, value = forward(params, baseline_image), forward(params, x)
    steps = d[:, None] * params["W1"][changed]  # (m, hidden): pixel i's change of a1
    pairs = permutations // 2
    width = sum(v.shape[-1] for v in baseline.values())
    # a chunk of n pairs holds about four (2n, m, width) float64 arrays at once
    chunk = max(1, int(memory // (4 * 8 * 2 * max(m, 1) * (width + steps.shape[1]))))
    rng = np.random.default_rng(seed)
    count, mean, m2 = 0, np.zeros((m, width)), np.zeros((m, width))
    if m:
        for first in range(0, pairs, chunk):
            n = min(chunk, pairs - first)
            orders = np.argsort(rng.random((n, m)), axis=1)
            both = np.concatenate([orders, orders[:, ::-1]])  # (2n, m)
            a1 = baseline["a1"] + np.cumsum(steps[both], axis=1)
            a1[:, -1] = value["a1"]  # the last state is x itself, bit for bit
            values = forward_from_a1(params, a1)
            credit = np.concatenate(
                [
                    np.diff(
                        values[layer],
                        axis=1,
                        prepend=np.broadcast_to(baseline[layer], (2 * n, 1, baseline[layer].size)),
                    )
                    for layer in every
                ],
                axis=2,
            )  # (2n, m, width): credit of the pixel at each position
            back = np.argsort(both, axis=1)
            per_pixel = np.take_along_axis(credit, back[:, :, None], axis=1)
            count, mean, m2 = _merge(count, mean, m2, (per_pixel[:n] + per_pixel[n:]) / 2.0)
            if progress is not None:
                progress(2 * (first + n), permutations, time.perf_counter() - began)
    bounds = np.cumsum([0] + [baseline[layer].shape[-1] for layer in every])
    values = {layer: mean[:, bounds[k] : bounds[k + 1]].T for k, layer in enumerate(every)}
    maps = _spread(values, changed, x.size, layers)
    if not with_stderr:
        return maps
    spread = np.sqrt(m2 / (count - 1) / count) if count > 1 else np.full_like(m2, np.nan)
    stderr = {layer: spread[:, bounds[k] : bounds[k + 1]].T for k, layer in enumerate(every)}
    return maps, _spread(stderr, changed, x.size, layers)


@dataclass(frozen=True)
class Method:
    """A method of the registry: its function, default parameters and meaning.

    ``complete``: the pixels' values of every node sum to f(x) - f(baseline) (integrated
    gradients up to its quadrature error); tests/test_methods.py holds the complete methods
    to that identity and the others to a residual, so the flag cannot drift from the truth.
    ``meaning`` is said for the book's sigmoid network (the words its files carry);
    ``meanings`` {activation: meaning} replaces it where the hidden activation changes it.
    """

    function: object
    meaning: str
    complete: bool
    parameters: dict = field(default_factory=dict)
    stderr: bool = False
    progress: bool = False  # takes a progress(done, total, seconds) callback: the slow ones
    meanings: dict = field(default_factory=dict)


# DeepLIFT's multiplier through the hidden activation, in words, per activation
_DEEPLIFT = (
    "DeepLIFT rescale rule (Shrikumar et al. 2017): {rule} and the mean softmax Jacobian "
    "on the reference-to-input segment through the softmax; exactly complete"
)
_RESCALE = {
    "sigmoid": "multipliers (sigmoid(a) - sigmoid(a_ref)) / (a - a_ref) through the sigmoids",
    "tanh": "multipliers (tanh(a) - tanh(a_ref)) / (a - a_ref) through the tanh activations",
    "relu": "multipliers (relu(a) - relu(a_ref)) / (a - a_ref) through the ReLUs (1 or 0 "
    "unless the unit switches on or off between the reference and the input)",
    "identity": "the multiplier 1 through the identity activations",
}


METHODS = {
    "insertion": Method(
        insertion,
        "f(baseline with only pixel i taken from x) - f(baseline): the change of the node "
        "when pixel i alone is inserted into the baseline image (single-pixel insertion, the "
        "original article's method; ignores interactions between pixels)",
        complete=False,
    ),
    "occlusion": Method(
        occlusion,
        "f(x) - f(x with pixel i set to the baseline): the change of the node when pixel i "
        "alone is removed from the image (leave-one-out; ignores interactions)",
        complete=False,
    ),
    "gradient_input": Method(
        gradient_input,
        "d node / d pixel i at x, times (x_i - baseline_i): the first-order Taylor term "
        "(exact only where the node is linear in the pixels)",
        complete=False,
    ),
    "integrated_gradients": Method(
        integrated_gradients,
        "integral over t in [0, 1] of d node / d pixel i at baseline + t (x - baseline), times "
        "(x_i - baseline_i), by Gauss-Legendre quadrature (Sundararajan et al. 2017); complete "
        "up to the quadrature error",
        complete=True,
        parameters={"points": 64},
    ),
    "deeplift": Method(
        deeplift,
        _DEEPLIFT.format(rule=_RESCALE["sigmoid"]),
        complete=True,
        meanings={act: _DEEPLIFT.format(rule=rule) for act, rule in _RESCALE.items()},
    ),
    "shapley_sampling": Method(
        shapley_sampling,
        "Shapley value of pixel i (its change of the node averaged over all orders of "
        "switching pixels from the baseline to x), estimated from antithetic random "
        "permutations; exactly efficient, with a standard error per pixel",
        complete=True,
        parameters={"permutations": 256, "seed": 0},
        stderr=True,
        progress=True,
    ),
}

METHOD_MEANING = {name: method.meaning for name, method in METHODS.items()}  # the book's


def method_meaning(name, activation="sigmoid"):
    """What a method computes, in words, for a network with this hidden activation
    (``network.activation_of(params)``); ``METHOD_MEANING[name]`` for the sigmoid."""
    method = METHODS[name]
    return method.meanings.get(activation, method.meaning)


def parameters_of(name, configured=None):
    """A method's parameters: its defaults updated with the configured ones."""
    return {**METHODS[name].parameters, **(configured or {}).get(name, {})}


def residual(value, baseline, influence):
    """Per node ``f(x) - f(baseline) - sum over pixels of influence``.

    Zero for a complete method; for insertion it measures the pixel interactions that
    single-pixel insertion ignores. ``influence`` is (nodes, pixels...).
    """
    influence = np.asarray(influence, dtype=np.float64)
    return value - baseline - influence.reshape(influence.shape[0], -1).sum(axis=1)


def compute(params, image, baseline_image, layers, methods, parameters=None, progress=None):
    """Everything a sample's influence file holds, for the requested layers and methods.

    ``parameters``: {method: {name: value}} overriding the defaults of ``METHODS``.
    ``progress(method, done, total, seconds)``: called by the slow methods as they go.
    ``layers``: any of the network's layers (``network.layer_names``).
    Returns {"value": f(x) per layer, "baseline": f(baseline) per layer (every layer),
    "maps": {method: {layer: (nodes, 28, 28)}}, "residuals": {method: {layer: (nodes,)}},
    "stderr": {method: {layer: (nodes, 28, 28)}} for sampled methods,
    "parameters": {method: {name: value}}}.
    """
    layers = _checked_layers(params, layers)
    x, b = _flat(image), _flat(baseline_image)
    shape = np.shape(image)
    value, baseline = forward(params, x), forward(params, b)
    out = {
        "value": value,
        "baseline": baseline,
        "maps": {},
        "residuals": {},
        "stderr": {},
        "parameters": {},
    }
    for name in methods:
        method = METHODS[name]
        settings = parameters_of(name, parameters)
        extra = {"with_stderr": True} if method.stderr else {}
        if method.progress and progress is not None:
            extra["progress"] = lambda *state, name=name: progress(name, *state)
        result = method.function(params, x, b, layers, **settings, **extra)
        if method.stderr:
            result, stderr = result
            out["stderr"][name] = {layer: stderr[layer].reshape((-1,) + shape) for layer in layers}
        out["maps"][name] = {layer: result[layer].reshape((-1,) + shape) for layer in layers}
        out["residuals"][name] = {
            layer: residual(value[layer], baseline[layer], result[layer]) for layer in layers
        }
        out["parameters"][name] = settings
    return out
