"""Deletion and insertion curves: how faithfully a map ranks the pixels for its node.

For one node and its influence map, the changed pixels (those where x differs from the
baseline; the others cannot move anything) are ranked by decreasing influence. The deletion
curve records the node while those pixels are set back to the baseline one at a time,
starting from x and ending at the baseline; the insertion curve records it while they are
copied from x into the baseline in the same order, ending at x. A faithful map makes the
node fall fast under deletion (small area) and rise fast under insertion (large area).

Areas are normalised: the curve is expressed as (f(state) - f(baseline)) / (f(x) -
f(baseline)), which runs from 1 to 0 (deletion) or 0 to 1 (insertion), and integrated over
the fraction of changed pixels moved (trapezoidal rule on [0, 1]). Nodes whose change
|f(x) - f(baseline)| is below ``min_change`` get NaN areas: the ratio means nothing there.
All curves of a layer come from shared batched passes; the hidden-layer node values of each
state are computed only for the node the curve belongs to. Any network of ``network`` works:
any depth L, any widths, any hidden activation, layers a1, z1, ..., aL, zL.

The normalised area explodes for a node that hardly changes (a change near ``min_change``
divides a curve that swings far more on the way). Two scores stay bounded: the area in the
node's own units, sign(f(x) - f(baseline)) (f(state) - f(baseline)) integrated the same way
(``oriented``; bounded by the node's range, and equal to the normalised area times
|f(x) - f(baseline)|), and for the softmax output zL (``logit_layers``: z3 for the book's
network) the same in logit space, log(p / (1 - p)) (``log_odds``; bounded by the logits'
range). Pooled over nodes and samples, the sum of the areas in units over the sum of
|f(x) - f(baseline)| is the area of the pooled curve (``pooled``): every node's normalised
curve weighted by its change, so a node that hardly changes hardly counts.
"""

import numpy as np

from .errors import InputError
from .network import (
    LAYER_SIZES,
    activate,
    activation_of,
    depth,
    forward,
    layer_names,
    layer_sizes,
    output_layers,
    softmax,
)

__all__ = [
    "COLUMNS",
    "CURVES",
    "FRACTIONS",
    "LOGIT_LAYERS",
    "PRODUCT_BOUND",
    "RANDOM",
    "SUMMARY_COLUMNS",
    "SUMMARY_TEXT",
    "area",
    "condensed",
    "curves",
    "evaluate",
    "figure_panels",
    "log_odds",
    "logit_areas",
    "logit_layers",
    "nanmedian",
    "node_values",
    "normalised",
    "order",
    "oriented",
    "pooled",
    "random_influence",
    "resampled",
    "summary",
    "summary_text",
    "table_rows",
    "unit_areas",
]

CURVES = ("deletion", "insertion")  # the two curves of every node
# the largest |a1| a product of exponentials may reach: exp(600) is 1e260, inside float64
PRODUCT_BOUND = 600.0


def order(influence, changed, direction):
    """Changed pixels of each node by decreasing influence on the oriented node.

    ``influence`` (nodes, pixels); ``direction`` (nodes,) the sign of each node's change
    f(x) - f(baseline): a node that fell is read as its negative, so its first pixels are
    those credited with most of its fall. Ties keep pixel order. Returns (nodes, m) indices.
    """
    values = np.asarray(influence, dtype=np.float64)[:, changed]
    oriented = np.where(np.asarray(direction) < 0, -1.0, 1.0)[:, None] * values
    return changed[np.argsort(-oriented, axis=1, kind="stable")]


def _sigmoid_of_negated(negated):
    """sigmoid(a) = 1 / (1 + exp(-a)) in place, given -a: ``network.sigmoid``'s operations
    after its negation, so its bits. -a is formed by the caller without a pass of its own:
    -(u + v) as (-u) - v, the same bits (rounding is symmetric; only a zero's sign may
    differ, and exp(-0) = exp(0) = 1)."""
    with np.errstate(over="ignore"):
        np.exp(negated, out=negated)
    negated += 1.0
    return np.reciprocal(negated, out=negated)


def _activated(activation, a):
    """A hidden layer's output from its pre-activation ``a``, in a's buffer: the operations
    of ``network.activate``, so its bits (the sigmoid from -a, ``_sigmoid_of_negated``)."""
    if activation == "sigmoid":
        return _sigmoid_of_negated(np.negative(a, out=a))
    if activation == "tanh":
        return np.tanh(a, out=a)
    if activation == "relu":
        return np.maximum(a, 0.0, out=a)
    if activation == "identity":
        return a
    return activate(activation, a)  # not an activation: its error


def _hidden(activation, a, bias):
    """act(a + bias) of a hidden layer in a's buffer; the sigmoid straight from -(a + bias),
    formed as (-bias) - a (``_sigmoid_of_negated``)."""
    if activation == "sigmoid":
        return _sigmoid_of_negated(np.subtract(-bias, a, out=a))
    a += bias
    return _activated(activation, a)


def _checked_layer(params, layer):
    """The position k of a layer ak or zk of the network; an error naming it otherwise."""
    names = layer_names(params)
    if layer not in names:
        raise InputError(
            f"layer {layer!r} is not a layer of this {depth(params)}-layer network "
            f"({', '.join(names)})"
        )
    return int(layer[1:])


def _from_z1(params, z1, layer, nodes):
    """Value of node ``nodes[k]`` of a layer past layer 1 at the states z1[k] (k, states,
    n1) of layer 1's output (of a one-layer network: its a1, below the softmax z1).

    The operations of ``network.forward_from_a1`` after layer 1, each node's states one
    stack of the matmuls (one BLAS call per stack, as on a1 of that shape), so the same
    bits: the hidden layers below the node's own at full width, then at a hidden layer only
    the column of its weights of each curve's own node, at the output every node (the
    softmax needs them all); aL without the softmax, which aL does not need."""
    count, activation = depth(params), activation_of(params)
    k = _checked_layer(params, layer)
    z = z1
    for j in range(2, k):
        z = _hidden(activation, z @ params[f"W{j}"], params[f"b{j}"])
    if k < count:
        # only the column of Wk of each curve's own node: (k, states, n) . (n, k)
        a = np.einsum("ksh,hk->ks", z, params[f"W{k}"][:, nodes])
        a += params[f"b{k}"][nodes][:, None]
        return a if layer[0] == "a" else activate(activation, a)
    a = z
    if k > 1:
        a = z @ params[f"W{k}"]
        a += params[f"b{k}"]
    values = a if layer[0] == "a" else softmax(a)
    return np.take_along_axis(values, nodes[:, None, None], axis=2)[..., 0]


def _first_layer_column(params, layer):
    """Whether a layer's node values come from its own column of a1: a1, and z1 where
    layer 1 is hidden (a one-layer network's z1 is the softmax of the whole a1)."""
    return layer == "a1" or (layer == "z1" and depth(params) > 1)


def node_values(params, a1, layer, nodes):
    """Value of node ``nodes[k]`` of ``layer`` at the states a1[k] (k, states, n1)."""
    _checked_layer(params, layer)
    if _first_layer_column(params, layer):
        picked = np.take_along_axis(a1, nodes[:, None, None], axis=2)[..., 0]
        return picked if layer == "a1" else activate(activation_of(params), picked)
    first = a1 if depth(params) == 1 else activate(activation_of(params), a1)
    return _from_z1(params, first, layer, nodes)


def _prepared(params, x, baseline_image):
    """What every curve of an image shares: its changed pixels, f(x) and f(baseline) of
    every layer and each pixel's share of the change of a1."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    baseline_image = np.asarray(baseline_image, dtype=np.float64).reshape(-1)
    changed = np.flatnonzero(x != baseline_image)
    value, baseline = forward(params, x), forward(params, baseline_image)
    step = (x - baseline_image)[:, None] * params["W1"]
    # a sigmoid hidden layer 1: exp(-a1) of every state is exp(-a1) of an end times the
    # product of the moved pixels' exp(step): products instead of an exponential per state
    # and hidden unit, most of the curves' cost. Safe while no product can leave float64's
    # range, far beyond any realistic network (MNIST digits: |a1| < 50); past the bound,
    # exponentials again.
    products = False
    if activation_of(params) == "sigmoid" and depth(params) > 1:
        reach = np.abs(step[changed]).sum(axis=0) + np.maximum(
            np.abs(value["a1"]), np.abs(baseline["a1"])
        )
        products = bool(np.all(reach < PRODUCT_BOUND))
    with np.errstate(over="ignore"):
        return {
            "changed": changed,
            "value": value,
            "baseline": baseline,
            "step": step,
            "products": products,
            "grow": np.exp(step) if products else None,
            "shrink_value": np.exp(-value["a1"]) if products else None,
            "shrink_baseline": np.exp(-baseline["a1"]) if products else None,
        }


def _computed_ends(params):
    """Whether the curves keep the ends they compute: the book's network only, whose earlier
    results hold those bits (past layer 1 they differ from f(x) and f(baseline) by rounding,
    about 1e-15). Every other network's curves end on f(x) and f(baseline) exactly."""
    return activation_of(params) == "sigmoid" and layer_sizes(params) == LAYER_SIZES


def _ends(params, out, value, baseline, layer):
    """``out`` with its first and last states f(x) and f(baseline) themselves (deletion;
    the other way round for insertion), but the book's (``_computed_ends``)."""
    if not _computed_ends(params):
        for kind, (first, last) in zip(CURVES, ((value, baseline), (baseline, value))):
            out[kind][:, 0] = first[layer]
            out[kind][:, -1] = last[layer]
    return out


def _curves(params, prepared, influence, layer, memory=64e6):
    """``curves`` of one image's ``_prepared``.

    State j (0 < j < m) of a node's curve has a1 = origin -/+ (the sum of its first j
    ranked pixels' steps, added one by one), the origin being x's a1 (deletion) or the
    baseline's (insertion); states 0 and m are the ends' own values. Only what the node
    needs is computed: for layer 1 its own column of a1, for another hidden layer its own
    column of its weights (the layers below at full width: ``_from_z1``); a sigmoid layer
    is formed straight from -a (``_sigmoid_of_negated``), layer 1's from products."""
    changed, value, baseline, step = (prepared[k] for k in ("changed", "value", "baseline", "step"))
    count, activation = depth(params), activation_of(params)
    k = _checked_layer(params, layer)
    m = changed.size
    ranked = order(influence, changed, np.sign(value[layer] - baseline[layer]))
    nodes_total = ranked.shape[0]
    inner = ranked[:, : max(m - 1, 0)]  # the pixels of states 1..m-1 (state m is the end)
    out = {kind: np.empty((nodes_total, m + 1)) for kind in CURVES}
    if _first_layer_column(params, layer):
        # a cumulative sum of one column is that column of the cumulative sum, bit for bit
        nodes = np.arange(nodes_total)
        moved = np.cumsum(step[inner, nodes[:, None]], axis=1)  # (nodes, m-1)
        for kind, origin, target, sign in (
            ("deletion", value["a1"][nodes], baseline["a1"][nodes], -1.0),
            ("insertion", baseline["a1"][nodes], value["a1"][nodes], 1.0),
        ):
            a1 = out[kind]
            a1[:, 0] = origin
            a1[:, 1:m] = origin[:, None] + sign * moved
            a1[:, m] = target
            if layer == "z1":
                out[kind] = activate(activation, a1)
        return _ends(params, out, value, baseline, layer)
    widths = [params[f"b{j}"].shape[0] for j in range(1, count + 1)]
    hidden = widths[0]
    column = k < count  # a hidden layer: its own column; the output layer: every node
    # per node and state: the cumulative sums and layer 1's states, the full-width layers
    # between (the book's 100 of z2), and at the output its values and the softmax's three
    # temporaries (the book's 10 + 30)
    per_state = 2 * hidden + sum(widths[1 : k - 1]) + (2 if column else 4 * widths[-1])
    chunk = max(1, int(memory // (8 * (m + 1) * per_state)))
    # the states' layer-1 values: z1, or a one-layer network's a1 (below its softmax)
    first_layer = "z1" if count > 1 else "a1"
    for first in range(0, nodes_total, chunk):
        nodes = np.arange(first, min(first + chunk, nodes_total))
        # state-major (m-1, k, hidden): each step of the cumulative sum adds whole rows,
        # and the states' layer-1 values are one contiguous block
        if prepared["products"]:
            # exp(moved) of states 1..m-1, state-major: each step multiplies whole rows
            moved = prepared["grow"][inner[nodes].T]
            for j in range(1, moved.shape[0]):
                np.multiply(moved[j - 1], moved[j], out=moved[j])
        else:
            moved = step[inner[nodes].T]
            for j in range(1, moved.shape[0]):
                np.add(moved[j - 1], moved[j], out=moved[j])
        states = np.empty((m + 1, nodes.size, hidden))
        for kind in CURVES:
            origin, target = (value, baseline) if kind == "deletion" else (baseline, value)
            states[0] = origin[first_layer]
            middle = states[1:m]
            if prepared["products"]:
                # exp(-a1) of states 1..m-1: exp(-a1(x)) exp(moved) (deletion),
                # exp(-a1(baseline)) / exp(moved) (insertion); then z1 = 1 / (1 + exp(-a1))
                if kind == "deletion":
                    np.multiply(moved, prepared["shrink_value"], out=middle)
                else:
                    np.divide(prepared["shrink_baseline"], moved, out=middle)
                middle += 1.0
                np.reciprocal(middle, out=middle)
            elif activation == "sigmoid" and count > 1:
                # -a1 of states 1..m-1: moved - x's a1 (deletion), -baseline's a1 - moved
                if kind == "deletion":
                    np.subtract(moved, value["a1"], out=middle)
                else:
                    np.subtract(-baseline["a1"], moved, out=middle)
                _sigmoid_of_negated(middle)
            else:
                # a1 of states 1..m-1: x's a1 - moved (deletion), baseline's a1 + moved
                if kind == "deletion":
                    np.subtract(value["a1"], moved, out=middle)
                else:
                    np.add(baseline["a1"], moved, out=middle)
                if count > 1:
                    _activated(activation, middle)
            states[m] = target[first_layer]
            z1 = states.transpose(1, 0, 2)  # (k, m+1, hidden)
            if not (column and k == 2):
                # contiguous stacks: BLAS multiplies them faster, and exactly as ever
                z1 = np.ascontiguousarray(z1)
            out[kind][nodes] = _from_z1(params, z1, layer, nodes)
    return _ends(params, out, value, baseline, layer)


def curves(params, x, baseline_image, influence, layer, memory=64e6):
    """Deletion and insertion curves of every node of ``layer`` for its map.

    ``influence`` (nodes, pixels); returns {"deletion": (nodes, m+1), "insertion":
    (nodes, m+1)} node values after 0..m pixels moved (m = number of changed pixels).
    The first and last states are x and the baseline image themselves (their values f(x)
    and f(baseline) bit for bit, but past layer 1 of the book's network, within rounding).
    Nodes are taken in blocks whose working arrays stay within ``memory`` bytes.
    """
    return _curves(params, _prepared(params, x, baseline_image), influence, layer, memory)


def normalised(curve, value, baseline, min_change=1e-3):
    """(curve - f(baseline)) / (f(x) - f(baseline)) per node; NaN rows where the change is small."""
    change = np.asarray(value, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    ok = np.abs(change) >= min_change
    safe = np.where(ok, change, 1.0)
    return np.where(ok[:, None], (curve - np.asarray(baseline)[:, None]) / safe[:, None], np.nan)


def area(curve_normalised):
    """Trapezoidal area of normalised curves (nodes, m+1) over the fraction moved in [0, 1]."""
    c = np.asarray(curve_normalised, dtype=np.float64)
    m = c.shape[1] - 1
    if m == 0:
        return np.full(c.shape[0], np.nan)
    return (c[:, 1:] + c[:, :-1]).sum(axis=1) / (2.0 * m)


def oriented(curve, value, baseline):
    """Curves (nodes, m+1) in the node's own units, oriented by the sign of its change:
    sign(f(x) - f(baseline)) (curve - f(baseline)), so that every deletion curve runs from
    |f(x) - f(baseline)| to 0 and every insertion curve from 0 to it. A node that did not
    change counts as one that rose, as ``order`` ranks it."""
    baseline = np.asarray(baseline, dtype=np.float64)
    change = np.asarray(value, dtype=np.float64) - baseline
    sign = np.where(change < 0, -1.0, 1.0)
    return sign[:, None] * (np.asarray(curve, dtype=np.float64) - baseline[:, None])


def log_odds(p):
    """log(p / (1 - p)) of probabilities, in float64. ``p`` is first clipped into the open
    interval (0, 1) that its own float type holds (from its smallest subnormal to the
    largest value below 1), so that a probability stored as 0 or 1 gives a finite value:
    within float32 curves, -103.3 to 16.6."""
    p = np.asarray(p)
    info = np.finfo(p.dtype if p.dtype in (np.float32, np.float64) else np.float64)
    q = np.clip(p.astype(np.float64), float(info.smallest_subnormal), 1.0 - float(info.epsneg))
    return np.log(q) - np.log1p(-q)


def logit_layers(params_or_depth):
    """The layers whose areas are also taken in logit space: a network's softmax output zL
    (of its parameters or of its depth L)."""
    return (output_layers(params_or_depth)[1],)


LOGIT_LAYERS = logit_layers(3)  # the book's network: ("z3",)


def _logit_layers_of(data):
    """A sample's ``"logit_layers"`` (``logit_layers`` of its network); the book's
    ``LOGIT_LAYERS`` where it names none."""
    return tuple(data.get("logit_layers", LOGIT_LAYERS))


def unit_areas(data, method, layer, kind):
    """Areas in the node's own units (``oriented``) of one sample's curves (``h5io.
    read_faithfulness``): |f(x) - f(baseline)| times the normalised area, bounded by the
    node's range however little it changed; NaN where no pixel changed."""
    value, baseline = data["value"][layer], data["baseline"][layer]
    return area(oriented(data["curves"][method][layer][kind], value, baseline))


def logit_areas(data, method, layer, kind):
    """Areas in logit space of one sample's curves of its softmax output (``data``'s
    ``"logit_layers"``, ``logit_layers`` of its network; the book's ``LOGIT_LAYERS`` if
    absent): the curve of log(p / (1 - p)) (``log_odds``), oriented by the sign of the
    node's change, minus its baseline value, integrated over the fraction moved; None for
    another layer."""
    if layer not in _logit_layers_of(data):
        return None
    value, baseline = data["value"][layer], data["baseline"][layer]
    curve = log_odds(data["curves"][method][layer][kind])
    sign = np.where(np.asarray(value, np.float64) - np.asarray(baseline, np.float64) < 0, -1, 1)
    return area(sign[:, None] * (curve - log_odds(baseline)[:, None]))


def random_influence(nodes, pixels, seed):
    """A random ranking (the chance level of the curves): independent uniform scores."""
    return np.random.default_rng(seed).random((nodes, pixels))


RANDOM = "random"


def evaluate(params, x, baseline_image, maps, value, baseline, layers, min_change=1e-3, seed=0):
    """Curves and areas of every method's maps, plus a random ranking as the chance level.

    ``maps``: {method: {layer: (nodes, ...)}}; ``value``/``baseline``: f(x) and f(baseline)
    per layer. Returns {"fraction": (m+1,), "curves": {method: {layer: {kind: (nodes, m+1)}}},
    "areas": {method: {layer: {kind: (nodes,)}}}} with method ``RANDOM`` added last.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    m = int(np.sum(x != np.asarray(baseline_image, dtype=np.float64).reshape(-1)))
    rankings = dict(maps)
    rankings[RANDOM] = {
        layer: random_influence(len(value[layer]), x.size, [seed, k])
        for k, layer in enumerate(layers)
    }
    prepared = _prepared(params, x, baseline_image)
    curves_out, areas = {}, {}
    for name, per_layer in rankings.items():
        curves_out[name], areas[name] = {}, {}
        for layer in layers:
            influence = np.asarray(per_layer[layer]).reshape(len(value[layer]), -1)
            got = _curves(params, prepared, influence, layer)
            curves_out[name][layer] = got
            areas[name][layer] = {
                kind: area(normalised(got[kind], value[layer], baseline[layer], min_change))
                for kind in CURVES
            }
    fraction = np.arange(m + 1) / max(m, 1)
    return {"fraction": fraction, "curves": curves_out, "areas": areas}


COLUMNS = (
    "sample",
    "method",
    "layer",
    "node",
    "residual",
    "deletion_auc",
    "insertion_auc",
    "change",
    "deletion_auc_units",
    "insertion_auc_units",
    "deletion_auc_logit",
    "insertion_auc_logit",
)


def table_rows(data):
    """CSV rows (dicts keyed by ``COLUMNS``) of one sample's ``h5io.read_faithfulness``.

    ``*_auc`` are the stored normalised areas, ``*_auc_units`` the areas in the node's own
    units (``unit_areas``), ``*_auc_logit`` those in logit space (``logit_areas``; empty
    outside the softmax output)."""
    rows = []
    for method in data["methods"]:
        for layer in data["layers"]:
            change = data["value"][layer] - data["baseline"][layer]
            residual = data["residuals"].get(method, {}).get(layer)
            areas = data["areas"][method][layer]
            units = {k: unit_areas(data, method, layer, k) for k in CURVES}
            logit = {k: logit_areas(data, method, layer, k) for k in CURVES}
            for node in range(change.size):
                row = {
                    "sample": data["sample"],
                    "method": method,
                    "layer": layer,
                    "node": node,
                    "residual": "" if residual is None else f"{residual[node]:.6e}",
                    "deletion_auc": f"{areas['deletion'][node]:.6f}",
                    "insertion_auc": f"{areas['insertion'][node]:.6f}",
                    "change": f"{change[node]:.6e}",
                }
                for k in CURVES:
                    row[f"{k}_auc_units"] = f"{units[k][node]:.6e}"
                for k in CURVES:
                    row[f"{k}_auc_logit"] = "" if logit[k] is None else f"{logit[k][node]:.6f}"
                rows.append(row)
    return rows


FRACTIONS = np.linspace(0.0, 1.0, 101)  # where curves are resampled to be compared


def resampled(curves, fraction):
    """Curves (nodes, m+1) given at ``fraction`` (increasing, from 0 to 1) linearly
    interpolated at ``FRACTIONS``: (nodes, 101). A single-point curve (no changed pixel)
    stays constant."""
    curves = np.asarray(curves, dtype=np.float64)
    fraction = np.asarray(fraction, dtype=np.float64)
    if fraction.size < 2:
        return np.repeat(curves[:, :1], FRACTIONS.size, axis=1)
    right = np.clip(np.searchsorted(fraction, FRACTIONS, side="right"), 1, fraction.size - 1)
    left = right - 1
    weight = (FRACTIONS - fraction[left]) / (fraction[right] - fraction[left])
    return curves[:, left] * (1.0 - weight) + curves[:, right] * weight


def condensed(data):
    """What the summary and the figure need of one sample's ``h5io.read_faithfulness``: its
    name, layers, methods, residuals, the change f(x) - f(baseline) of every node, the
    areas per node (``areas`` normalised as stored, ``units``, ``logit`` for the softmax
    output, ``logit_areas``) and per method, layer and curve kind the sum over nodes of the
    ``oriented`` curves resampled on ``FRACTIONS`` (``sums``: the numerator of ``pooled``).
    Without the curves themselves: the faithfulness job keeps about 20 kB per sample,
    whatever the number of pixels."""
    layers, methods = data["layers"], data["methods"]
    kept = {k: data[k] for k in ("sample", "layers", "methods", "residuals", "areas")}
    kept["change"] = {layer: data["value"][layer] - data["baseline"][layer] for layer in layers}
    kept["units"] = {
        m: {layer: {k: unit_areas(data, m, layer, k) for k in CURVES} for layer in layers}
        for m in methods
    }
    kept["logit"] = {
        m: {
            layer: {k: logit_areas(data, m, layer, k) for k in CURVES}
            for layer in layers
            if layer in _logit_layers_of(data)
        }
        for m in methods
    }
    kept["sums"] = {
        m: {
            layer: {
                k: resampled(
                    oriented(
                        data["curves"][m][layer][k], data["value"][layer], data["baseline"][layer]
                    ),
                    data["fraction"],
                ).sum(axis=0)
                for k in CURVES
            }
            for layer in layers
        }
        for m in methods
    }
    return kept


def pooled(samples, method, layer, kind):
    """The pooled curve on ``FRACTIONS`` and its area over ``condensed`` samples: the sum
    over every node and sample of the ``oriented`` curves over the sum of |f(x) -
    f(baseline)|. It runs from 1 (x) to 0 (the baseline) like a normalised curve, and is
    the mean of the nodes' normalised curves weighted by their change: a node that hardly
    changes adds a small curve and hardly any weight. The area is the sum of the areas in
    units over the same sum (so it is exact, not that of the resampled curve). NaN if no
    node changed."""
    total = sum(float(np.abs(s["change"][layer]).sum()) for s in samples)
    curve = sum(s["sums"][method][layer][kind] for s in samples)
    units = sum(float(np.nansum(s["units"][method][layer][kind])) for s in samples)
    if total == 0:
        return np.full(FRACTIONS.size, np.nan), float("nan")
    return curve / total, units / total


MOVED = {"deletion": "removed", "insertion": "added"}


def figure_panels(samples, methods, layers):
    """The faithfulness figure's panels (``render.faithfulness_figure.figure``): a row per
    layer, a panel per curve kind, each method's ``pooled`` curve and its area."""
    rows = []
    for layer in layers:
        row = []
        for kind in CURVES:
            got = {m: pooled(samples, m, layer, kind) for m in methods}
            lower = kind == "deletion"
            row.append(
                {
                    "title": f"{layer}, {kind}",
                    "xlabel": f"fraction of changed pixels {MOVED[kind]}",
                    "curves": {m: curve for m, (curve, _) in got.items()},
                    "scores": {m: score for m, (_, score) in got.items()},
                    "score_title": f"area ({'lower' if lower else 'higher'} = better)",
                    "lower_is_better": lower,
                }
            )
        rows.append(row)
    return rows


def summary_text(logit_layers=LOGIT_LAYERS):
    """The summary table's explanation, naming the network's softmax output (``logit_layers``)."""
    return _SUMMARY_TEXT.format(", ".join(logit_layers))


_SUMMARY_TEXT = (
    "Per layer and method, over every sample and node whose change is at least min_change: "
    "median_abs_residual is the median |f(x) - f(baseline) - sum of the map| (0 for a "
    "complete method); median_deletion_auc, lower is better; median_insertion_auc, higher is "
    "better; best_deletion_share and best_insertion_share, the share of nodes on which the "
    "method has the best area (a tie splits the node). Over every node: pooled_deletion_auc "
    "and pooled_insertion_auc, the sum of the nodes' areas in their own units over the sum "
    "of |f(x) - f(baseline)| (each node weighted by its change, so nodes that hardly change "
    "cannot dominate; the areas of the curves in results/faithfulness.png); for {}, "
    "median_deletion_auc_logit and median_insertion_auc_logit, the median areas in logit "
    "space log(p / (1 - p)). The random rows are the chance level."
)
SUMMARY_TEXT = summary_text()  # the book's network
SUMMARY_COLUMNS = (
    "layer",
    "method",
    "nodes",
    "median_abs_residual",
    "median_deletion_auc",
    "median_insertion_auc",
    "best_deletion_share",
    "best_insertion_share",
    "pooled_deletion_auc",
    "pooled_insertion_auc",
    "median_deletion_auc_logit",
    "median_insertion_auc_logit",
)


def _best_share(areas, lower_is_better):
    """Per method the share of nodes where it is best; ties split the node evenly.

    ``areas`` (methods, nodes); nodes where any method has NaN are left out.
    """
    areas = areas[:, np.isfinite(areas).all(axis=0)]
    if areas.shape[1] == 0:
        return np.full(areas.shape[0], np.nan)
    best = areas.min(axis=0) if lower_is_better else areas.max(axis=0)
    # areas within 1e-9 of the best tie: identical rankings give identical curves
    winners = np.abs(areas - best) <= 1e-9
    return (winners / winners.sum(axis=0)).sum(axis=1) / areas.shape[1]


def nanmedian(values):
    """Median of the finite values; NaN (without a warning) if there are none."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def summary(samples, methods, layers):
    """Per layer and method: medians of the areas, how often each method is best, and the
    pooled areas (``pooled``).

    ``samples`` are ``condensed`` samples; ``methods`` the compared methods (the chance
    level ``RANDOM`` is reported but not ranked). Returns rows keyed by ``SUMMARY_COLUMNS``.
    """
    rows = []
    for layer in layers:
        gathered = {
            kind: {
                m: np.concatenate([s["areas"][m][layer][kind] for s in samples])
                for m in [*methods, RANDOM]
            }
            for kind in CURVES
        }
        shares = {
            kind: _best_share(np.array([gathered[kind][m] for m in methods]), kind == "deletion")
            for kind in CURVES
        }
        for k, method in enumerate([*methods, RANDOM]):
            if method == RANDOM:
                residual = ""
            else:
                r = np.concatenate([s["residuals"][method][layer] for s in samples])
                residual = f"{np.median(np.abs(r)):.3g}"
            deletion, insertion = gathered["deletion"][method], gathered["insertion"][method]
            row = {
                "layer": layer,
                "method": method,
                "nodes": int(np.isfinite(deletion).sum()),
                "median_abs_residual": residual,
                "median_deletion_auc": f"{nanmedian(deletion):.3f}",
                "median_insertion_auc": f"{nanmedian(insertion):.3f}",
                "best_deletion_share": "" if method == RANDOM else f"{shares['deletion'][k]:.3f}",
                "best_insertion_share": "" if method == RANDOM else f"{shares['insertion'][k]:.3f}",
            }
            for kind in CURVES:
                row[f"pooled_{kind}_auc"] = f"{pooled(samples, method, layer, kind)[1]:.3f}"
            for kind in CURVES:
                logit = [
                    s["logit"][method][layer][kind] for s in samples if layer in s["logit"][method]
                ]
                row[f"median_{kind}_auc_logit"] = (
                    f"{nanmedian(np.concatenate(logit)):.3f}" if logit else ""
                )
            rows.append(row)
    return rows
