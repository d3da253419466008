"""Influence (attribution) methods: how much each pixel moves each node.

Every method has the signature ``method(params, x, baseline, layers) -> {layer: (nodes, 784)}``
with x and baseline flat float64 images (784,) and computes all nodes of all requested layers
in shared, vectorized forward passes. ``METHODS`` maps the config name to the function, so a
new method plugs in here without touching the workflow rules.
"""

import numpy as np

from .network import LAYERS, forward, forward_from_a1


def insertion(params, x, baseline, layers):
    """The original article's method: f(baseline with only pixel i of x) - f(baseline).

    With the all-zero baseline this is ``f(x_i e_i) - f(0)``. The 784 inserted images go
    through the network as one batch (row i: the baseline with pixel i taken from x).
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    baseline = np.asarray(baseline, dtype=np.float64).reshape(-1)
    reference = forward(params, baseline)
    # only pixels that differ from the baseline move anything: elsewhere the inserted image
    # IS the baseline and the influence is exactly 0
    changed = np.flatnonzero(x != baseline)
    # a1 of "baseline with pixel i from x" is a1(baseline) + (x_i - b_i) W1[i]: one
    # broadcast instead of a 784x784 product with a mostly-zero batch
    a1 = reference["a1"][None, :] + (x - baseline)[changed, None] * params["W1"][changed]
    values = forward_from_a1(params, a1)
    out = {}
    for layer in layers:
        delta = np.zeros((reference[layer].size, x.size))
        delta[:, changed] = (values[layer] - reference[layer]).T
        out[layer] = delta
    return out


METHODS = {"insertion": insertion}

METHOD_MEANING = {
    "insertion": (
        "f(baseline with only pixel i taken from x) - f(baseline): the change of the node "
        "when pixel i alone is inserted into the baseline image (single-pixel insertion; "
        "ignores interactions between pixels)"
    ),
}


def residual(value, reference, influence):
    """Per node ``f(x) - f(baseline) - sum over pixels of influence``.

    Zero for a method that is complete; for insertion it measures the pixel interactions
    that single-pixel insertion ignores. ``influence`` is (nodes, pixels...).
    """
    influence = np.asarray(influence, dtype=np.float64)
    return value - reference - influence.reshape(influence.shape[0], -1).sum(axis=1)


def compute(params, image, baseline_image, layers, methods):
    """Everything a sample's influence file holds, for the requested layers and methods.

    Returns {"value": f(x) per layer, "baseline": f(baseline) per layer (all six layers),
    "maps": {method: {layer: (nodes, 28, 28)}}, "residuals": {method: {layer: (nodes,)}}}.
    """
    x = np.asarray(image, dtype=np.float64).reshape(-1)
    b = np.asarray(baseline_image, dtype=np.float64).reshape(-1)
    value, reference = forward(params, x), forward(params, b)
    maps, residuals = {}, {}
    for name in methods:
        flat = METHODS[name](params, x, b, layers)
        maps[name] = {layer: flat[layer].reshape(-1, 28, 28) for layer in layers}
        residuals[name] = {
            layer: residual(value[layer], reference[layer], flat[layer]) for layer in layers
        }
    return {
        "value": {layer: value[layer] for layer in LAYERS},
        "baseline": {layer: reference[layer] for layer in LAYERS},
        "maps": maps,
        "residuals": residuals,
    }
