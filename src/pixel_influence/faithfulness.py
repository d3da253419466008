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
state are computed only for the node the curve belongs to.
"""

import numpy as np

from .network import forward, forward_from_a1, sigmoid

__all__ = [
    "COLUMNS",
    "CURVES",
    "FRACTIONS",
    "RANDOM",
    "SUMMARY_COLUMNS",
    "SUMMARY_TEXT",
    "area",
    "band",
    "condensed",
    "curves",
    "evaluate",
    "nanmedian",
    "node_values",
    "normalised",
    "order",
    "random_influence",
    "resampled",
    "summary",
    "table_rows",
]

CURVES = ("deletion", "insertion")  # the two curves of every node


def order(influence, changed, direction):
    """Changed pixels of each node by decreasing influence on the oriented node.

    ``influence`` (nodes, pixels); ``direction`` (nodes,) the sign of each node's change
    f(x) - f(baseline): a node that fell is read as its negative, so its first pixels are
    those credited with most of its fall. Ties keep pixel order. Returns (nodes, m) indices.
    """
    values = np.asarray(influence, dtype=np.float64)[:, changed]
    oriented = np.where(np.asarray(direction) < 0, -1.0, 1.0)[:, None] * values
    return changed[np.argsort(-oriented, axis=1, kind="stable")]


def node_values(params, a1, layer, nodes):
    """Value of node ``nodes[k]`` of ``layer`` at the states a1[k] (k, states, hidden1)."""
    if layer in ("a1", "z1"):
        picked = np.take_along_axis(a1, nodes[:, None, None], axis=2)[..., 0]
        return picked if layer == "a1" else sigmoid(picked)
    if layer in ("a2", "z2"):
        # only the column of W2 of each curve's own node: (k, states, 50) . (k, 50)
        a2 = np.einsum("ksh,hk->ks", sigmoid(a1), params["W2"][:, nodes])
        a2 += params["b2"][nodes][:, None]
        return a2 if layer == "a2" else sigmoid(a2)
    values = forward_from_a1(params, a1)[layer]
    return np.take_along_axis(values, nodes[:, None, None], axis=2)[..., 0]


def curves(params, x, baseline_image, influence, layer, memory=64e6):
    """Deletion and insertion curves of every node of ``layer`` for its map.

    ``influence`` (nodes, pixels); returns {"deletion": (nodes, m+1), "insertion":
    (nodes, m+1)} node values after 0..m pixels moved (m = number of changed pixels).
    The first and last states are x and the baseline image themselves, bit for bit.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    baseline_image = np.asarray(baseline_image, dtype=np.float64).reshape(-1)
    changed = np.flatnonzero(x != baseline_image)
    m = changed.size
    value, baseline = forward(params, x), forward(params, baseline_image)
    ranked = order(influence, changed, np.sign(value[layer] - baseline[layer]))
    value, baseline = value["a1"], baseline["a1"]
    step = (x - baseline_image)[:, None] * params["W1"]  # pixel i's share of the change of a1
    nodes_total = ranked.shape[0]
    chunk = max(1, int(memory // (8 * 3 * (m + 1) * value.size)))
    out = {kind: np.empty((nodes_total, m + 1)) for kind in CURVES}
    for first in range(0, nodes_total, chunk):
        nodes = np.arange(first, min(first + chunk, nodes_total))
        moved = np.cumsum(step[ranked[nodes]], axis=1)  # (k, m, hidden1)
        for kind, origin, target, sign in (
            ("deletion", value, baseline, -1.0),
            ("insertion", baseline, value, 1.0),
        ):
            a1 = np.empty((nodes.size, m + 1, value.size))
            a1[:, 0] = origin
            a1[:, 1:] = origin + sign * moved
            a1[:, m] = target
            out[kind][nodes] = node_values(params, a1, layer, nodes)
    return out


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
    curves_out, areas = {}, {}
    for name, per_layer in rankings.items():
        curves_out[name], areas[name] = {}, {}
        for layer in layers:
            influence = np.asarray(per_layer[layer]).reshape(len(value[layer]), -1)
            got = curves(params, x, baseline_image, influence, layer)
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
)


def table_rows(data):
    """CSV rows (dicts keyed by ``COLUMNS``) of one sample's ``h5io.read_faithfulness``."""
    rows = []
    for method in data["methods"]:
        for layer in data["layers"]:
            change = data["value"][layer] - data["baseline"][layer]
            residual = data["residuals"].get(method, {}).get(layer)
            areas = data["areas"][method][layer]
            for node in range(change.size):
                rows.append(
                    {
                        "sample": data["sample"],
                        "method": method,
                        "layer": layer,
                        "node": node,
                        "residual": "" if residual is None else f"{residual[node]:.6e}",
                        "deletion_auc": f"{areas['deletion'][node]:.6f}",
                        "insertion_auc": f"{areas['insertion'][node]:.6f}",
                        "change": f"{change[node]:.6e}",
                    }
                )
    return rows


FRACTIONS = np.linspace(0.0, 1.0, 101)  # where curves are resampled to be compared


def resampled(data, method, layer, kind):
    """One sample's normalised curves of a method and layer on ``FRACTIONS``; NaN rows dropped."""
    curve = normalised(
        data["curves"][method][layer][kind],
        data["value"][layer],
        data["baseline"][layer],
        data["min_change"],
    )
    curve = curve[~np.isnan(curve).any(axis=1)]
    if len(data["fraction"]) < 2:
        return np.empty((0, FRACTIONS.size))
    return np.array([np.interp(FRACTIONS, data["fraction"], row) for row in curve]).reshape(
        -1, FRACTIONS.size
    )


def condensed(data):
    """What the summary and the figure need of one sample's ``h5io.read_faithfulness``: its
    name, layers, methods, residuals and areas, and its curves resampled on ``FRACTIONS`` as
    float32 (``resampled``, {method: {layer: {kind: (nodes, 101)}}}), without the full
    curves, so that the faithfulness job's memory grows by about 100 kB per sample and
    method rather than by the curves themselves."""
    kept = {k: data[k] for k in ("sample", "layers", "methods", "residuals", "areas")}
    kept["resampled"] = {
        m: {
            layer: {k: resampled(data, m, layer, k).astype(np.float32) for k in CURVES}
            for layer in data["layers"]
        }
        for m in data["methods"]
    }
    return kept


def band(curves, low=25, high=75):
    """Median and percentile band over curves (n, points); NaNs if there are none."""
    if len(curves) == 0:
        nan = np.full(FRACTIONS.size, np.nan)
        return nan, nan, nan
    lo, mid, hi = np.percentile(np.asarray(curves, np.float64), [low, 50, high], axis=0)
    return mid, lo, hi


SUMMARY_TEXT = (
    "Per layer and method, over every sample and node whose change is at least min_change: "
    "median_abs_residual is the median |f(x) - f(baseline) - sum of the map| (0 for a "
    "complete method); median_deletion_auc, lower is better; median_insertion_auc, higher is "
    "better; best_deletion_share and best_insertion_share, the share of nodes on which the "
    "method has the best area (a tie splits the node). The random rows are the chance level."
)
SUMMARY_COLUMNS = (
    "layer",
    "method",
    "nodes",
    "median_abs_residual",
    "median_deletion_auc",
    "median_insertion_auc",
    "best_deletion_share",
    "best_insertion_share",
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
    """Per layer and method: medians of the areas and how often each method is best.

    ``samples`` are ``h5io.read_faithfulness`` results; ``methods`` the compared methods
    (the chance level ``RANDOM`` is reported but not ranked). Returns rows keyed by
    ``SUMMARY_COLUMNS``.
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
            rows.append(
                {
                    "layer": layer,
                    "method": method,
                    "nodes": int(np.isfinite(deletion).sum()),
                    "median_abs_residual": residual,
                    "median_deletion_auc": f"{nanmedian(deletion):.3f}",
                    "median_insertion_auc": f"{nanmedian(insertion):.3f}",
                    "best_deletion_share": ""
                    if method == RANDOM
                    else f"{shares['deletion'][k]:.3f}",
                    "best_insertion_share": ""
                    if method == RANDOM
                    else f"{shares['insertion'][k]:.3f}",
                }
            )
    return rows
