"""Pixel interactions: the Moebius (Harsanyi) expansion of each node from both ends, and the
Shapley interaction index of the output nodes, for any dense network (``network``: layers a1,
z1, ..., aL, zL; the hidden layers' activation sigmoid, tanh, relu or identity, softmax at
the output).

For a node n and the changed pixels C (x != baseline), v(S) = f_n(x on S, baseline elsewhere)
- f_n(baseline). Its Moebius transform m_T (sum over U in T of (-1)^(|T|-|U|) v(U)) expands
v(C) = sum over T in C of m_T: order 1 is single-pixel insertion, order 2 the pair terms
m_ij = v(ij) - v(i) - v(j), order 3 the triple terms. The residual after order k is r_k =
v(C) - sum of m_T over |T| <= k. The other end (``occlusion``) expands the dual game
v*(S) = v(C) - v(C \\ S) (start at x, remove pixels): order 1 is occlusion, its pair term is
-(f(x) - f(x-i) - f(x-j) + f(x-ij)) (the sign makes the terms sum to v(C)), and its residuals
are those of occlusion and beyond.

Every set of pixels is one forward pass from a1: a1(S) = a1(start) + sum over i in S of
s_i with s_i = (x_i - b_i) W1[i]. Where the first layer is a sigmoid hidden layer (the
book's network), z1 = 1 / (1 + exp(-a1)) and exp(-a1(S)) = exp(-a1(start)) * prod
exp(-s_i), so a pair or a triple costs one product of exponentials and the passes above the
first layer (unless the products could overflow: then exp(-a1(S)) itself); any other first
layer takes its activation (softmax for a one-layer network) of a1(S). Triples are summed on
the fly, never stored.
"""

import time

import numpy as np

from .errors import InputError
from .network import (
    activate,
    activation_of,
    depth,
    forward,
    forward_from_a1,
    layer_names,
    layer_sizes,
    output_layers,
    softmax,
)

__all__ = [
    "ENDS",
    "END_MEANING",
    "ORDERS",
    "SUMMARY_COLUMNS",
    "SUMMARY_TEXT",
    "exact_expansion",
    "expansion",
    "interactions",
    "pair_count",
    "shapley_interaction",
    "summary",
    "triple_count",
]

ENDS = ("insertion", "occlusion")  # the expansion from the baseline, and from x
END_MEANING = {
    "insertion": "expansion from the baseline: terms of v(S) = f(x on S, baseline elsewhere) "
    "- f(baseline); order 1 is the insertion map",
    "occlusion": "expansion from x: terms of v*(S) = f(x) - f(x with S set to the baseline); "
    "order 1 is the occlusion map",
}
ORDERS = (1, 2, 3)
EXP_SAFE = 300.0  # |a1| bound under which products of exp(-s_i) neither overflow nor underflow
IN_PLACE = {"tanh": np.tanh, "relu": lambda a, out: np.maximum(a, 0.0, out=out)}
TRIPLE_CHUNK = 2048  # triples per pass: the arrays of a chunk stay in the CPU's caches


def triple_count(m):
    """Number of triples of m changed pixels."""
    return m * (m - 1) * (m - 2) // 6


def _flat(x):
    return np.asarray(x, dtype=np.float64).reshape(-1)


def _check_layers(params, layers, what="interactions"):
    """A clear error for a layer the network does not have."""
    names = layer_names(params)
    unknown = [layer for layer in layers if layer not in names]
    if unknown:
        raise InputError(f"{what}: layers {unknown} are not among the network's {list(names)}")
    return list(layers)


def _deepest(params, layers):
    """The position of the deepest of ``layers`` in a1, z1, ..., aL, zL."""
    names = layer_names(params)
    return max(names.index(layer) for layer in layers)


def _sigmoid_first(params):
    """Whether z1 = sigmoid(a1): a sigmoid hidden layer first, the exponentials' shortcut."""
    return depth(params) >= 2 and activation_of(params) == "sigmoid"


def _first_output(params, a1, e=None):
    """z1 from exp(-a1) ``e`` (sigmoid: 1 / (1 + e), in a new buffer) where given, else the
    first layer's activation of a1 (softmax for a one-layer network), a new array."""
    if e is not None:
        z1 = np.add(e, 1.0)
        return np.reciprocal(z1, out=z1)
    return softmax(a1) if depth(params) == 1 else activate(activation_of(params), a1)


def _above(params, values, deepest):
    """The layers a2, z2, ... above z1 into ``values`` ({layer: (..., nodes)}), up to the
    layer at position ``deepest``, as ``network.forward_from_a1`` computes them."""
    count, activation = depth(params), activation_of(params)
    z = values["z1"]
    for k in range(2, count + 1):
        if deepest < 2 * k - 2:
            break
        a = z @ params[f"W{k}"]
        a += params[f"b{k}"]
        values[f"a{k}"] = a
        if deepest < 2 * k - 1:
            break
        z = softmax(a) if k == count else activate(activation, a)  # a new array: a stays
        values[f"z{k}"] = z
    return values


def _stacked(params, layers, a1, e=None):
    """Node values (..., width) of ``layers`` side by side from a1 (..., hidden), or, for a
    sigmoid first layer, from exp(-a1) ``e``: then ``a1`` itself is needed only when it is
    one of the layers."""
    values = {"a1": a1, "z1": _first_output(params, a1, e)}
    _above(params, values, _deepest(params, layers))
    parts = [values[layer] for layer in layers]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)


def _widths(params, layers):
    sizes = layer_sizes(params)
    return [sizes[layer] for layer in layers]


def _split(stacked, params, layers):
    """(..., width) -> {layer: (..., nodes)}."""
    bounds = np.cumsum([0] + _widths(params, layers))
    return {layer: stacked[..., bounds[k] : bounds[k + 1]] for k, layer in enumerate(layers)}


class _Game:
    """v(S) = f(a1(start) + sum over S of steps) - f(start) for the requested layers; for a
    sigmoid first layer (``sigmoid_first``) with the exponentials of the first layer
    precomputed (``exp_ok``: their products are safe). ``origin``: f(start), stacked, as
    ``network.forward`` computed it."""

    def __init__(self, params, start, steps, layers, origin):
        self.params, self.start, self.steps, self.layers = params, start, steps, list(layers)
        self.sigmoid_first = _sigmoid_first(params)
        self.exp_start = self.exp_steps = None
        self.exp_ok = False
        if self.sigmoid_first:
            with np.errstate(over="ignore"):  # only used when exp_ok: then nothing overflows
                self.exp_start = np.exp(-start)
                self.exp_steps = np.exp(-steps)
            bound = np.abs(start).max(initial=0.0) + 3.0 * np.abs(steps).max(initial=0.0)
            self.exp_ok = bool(bound < EXP_SAFE)
        self.origin = np.concatenate([origin[layer] for layer in self.layers])

    def values(self, a1, e, exp_ok=None):
        """v of the sets whose a1 is ``a1()`` and whose exp(-a1) is ``e()`` (callables: only
        what is needed is computed); ``exp_ok`` overrides the game's own bound."""
        exp_ok = self.sigmoid_first and (self.exp_ok if exp_ok is None else exp_ok)
        rows = a1() if not exp_ok or "a1" in self.layers else None
        if self.sigmoid_first:
            with np.errstate(over="ignore"):  # exp(-a1) = inf is sigmoid 0, as network.sigmoid
                e = e() if exp_ok else np.exp(-rows)
        else:
            e = None
        out = _stacked(self.params, self.layers, rows, e)
        out -= self.origin
        return out


def _chunk_rows(memory, per_row):
    return max(1, int(memory // max(per_row, 1)))


def _pair_part(game, singles, columns, memory, dtype=np.float64):
    """Pair terms m_ij by blocks of rows, each pair computed once: per node the sum over
    partners, the sum of |m_ij|, the sum of v(ij) over i < j, and for each list of columns
    of ``columns`` the full matrices of those nodes (one array each, in ``dtype``, so that
    each can be freed on its own)."""
    m, width = singles.shape
    hidden = game.steps.shape[1]
    partner_sum = np.zeros((m, width))
    strength = np.zeros((m, width))
    pair_values = np.zeros(width)
    pairs = [np.zeros((len(picked), m, m), dtype=dtype) for picked in columns]
    block = _chunk_rows(memory, 8 * 4 * m * (hidden + width))
    for first in range(0, m, block):
        last = min(m, first + block)
        rows, cols = slice(first, last), slice(first, m)  # pairs with j < first came before
        v = game.values(
            lambda: game.start + (game.steps[rows, None, :] + game.steps[None, cols, :]),
            lambda: (
                game.exp_start * (game.exp_steps[rows, None, :] * game.exp_steps[None, cols, :])
            ),
        )  # (rows, m - first, width): v(ij), and pixel i inserted twice on the diagonal
        own = np.arange(last - first)
        v[own, own] = 0.0
        square, beyond = v[:, : last - first], v[:, last - first :]
        pair_values += square.sum(axis=(0, 1)) / 2.0 + beyond.sum(axis=(0, 1))
        v -= singles[rows, None, :]
        v -= singles[None, cols, :]
        v[own, own] = 0.0
        # (i, j) and (j, i) of the square block are two passes that may round apart (the
        # order of the subtractions, a row's place in the matrix product): one value for both
        upper = np.triu_indices(last - first, 1)
        v[upper[1], upper[0]] = v[upper[0], upper[1]]
        partner_sum[rows] += v.sum(axis=1)
        partner_sum[last:] += beyond.sum(axis=0)
        magnitude = np.abs(v)
        strength[rows] += magnitude.sum(axis=1)
        strength[last:] += magnitude[:, last - first :].sum(axis=0)
        for picked, matrix in zip(columns, pairs, strict=True):
            block_pairs = np.moveaxis(v[:, :, picked], 2, 0)  # (nodes, rows, m - first)
            matrix[:, rows, cols] = block_pairs
            matrix[:, last:, rows] = block_pairs[:, :, last - first :].transpose(0, 2, 1)
    return partner_sum, strength, pair_values, pairs


def _row_sums(params, layers, z1):
    """Sums over the rows of the node values of ``layers`` (not a1) from z1 (rows, hidden):
    the inner loop of the triples."""
    values = _above(params, {"z1": z1}, _deepest(params, layers))
    return np.concatenate([values[layer].sum(axis=0) for layer in layers])


def _first_in_place(game, first, part):
    """z1 of the sets whose a1 is first + part, in one new buffer (a chunk of the triples):
    from the products of exponentials, exp(-a1), or the activation of a1."""
    params = game.params
    if game.sigmoid_first:
        with np.errstate(over="ignore"):
            e = first * part if game.exp_ok else np.exp(-(first + part))
        z1 = np.add(e, 1.0, out=e)
        return np.reciprocal(z1, out=z1)
    a1 = first + part
    if depth(params) == 1:
        return softmax(a1)
    activation = activation_of(params)
    if activation in IN_PLACE:
        return IN_PLACE[activation](a1, out=a1)
    return a1  # identity


def _triple_values(game, params):
    """Sum over i < j < k of v(ijk) per node: for each first pixel i, the pairs (j, k) after
    it in chunks of ``TRIPLE_CHUNK``, summed on the fly. The pairs' products of exponentials
    (or sums of steps) are kept (one float64 per first-layer node a pair: 123 MB for the
    book's 50 and the white image's 306,936 pairs)."""
    steps, layers = game.steps, game.layers
    m, hidden = steps.shape
    widths = _widths(params, layers)
    if m < 3:
        return np.zeros(sum(widths))
    j, k = np.triu_indices(m, 1)  # pairs (j, k) ordered by j: those after i are a suffix
    offsets = np.concatenate([[0], np.cumsum(np.arange(m - 1, 0, -1))])
    computed = [layer for layer in layers if layer != "a1"]
    at = np.cumsum([0] + widths)
    origin = np.concatenate(
        [game.origin[at[n] : at[n + 1]] for n, layer in enumerate(layers) if layer != "a1"]
    )
    sums = np.zeros(origin.size)
    if computed:
        if game.exp_ok:
            pair_parts = game.exp_steps[j] * game.exp_steps[k]
        else:
            pair_parts = steps[j] + steps[k]
        chunk = TRIPLE_CHUNK
        for i in range(m - 2):  # a loop over chunks of triples, each one vectorized
            first = game.exp_start * game.exp_steps[i] if game.exp_ok else game.start + steps[i]
            for lo in range(offsets[i + 1], len(j), chunk):
                part = pair_parts[lo : lo + chunk]
                sums += _row_sums(params, computed, _first_in_place(game, first, part))
                sums -= len(part) * origin
    pieces, n = [], 0
    for layer, size in zip(layers, widths, strict=True):
        if layer == "a1":  # affine: the sum over triples of s_i + s_j + s_k, exactly
            pieces.append((m - 1) * (m - 2) / 2.0 * steps.sum(axis=0))
        else:
            pieces.append(sums[n : n + size])
            n += size
    return np.concatenate(pieces)


def expansion(
    params,
    x,
    baseline_image,
    layers,
    end="insertion",
    order=3,
    nodes=None,
    max_triples=None,
    memory=64e6,
    dtype=np.float64,
):
    """The Moebius expansion of every node of ``layers`` from one end, to ``order`` (1 to 3).

    Returns {"changed": flat indices (m,) of the changed pixels, "order1", "order2",
    "pair_strength": {layer: (nodes, pixels)}, "residuals": {layer: (nodes, order)} with
    r_1 .. r_order, "pairs": {layer: (len(nodes[layer]), m, m)} for the layers of
    ``nodes`` ({layer: [node, ...]}), "order3": whether the triples were summed (False when
    there are more than ``max_triples``: r_3 is then NaN), "triples": their number}; the
    pair matrices in ``dtype``.
    order2 = m_i + 1/2 sum_j m_ij; pair_strength = sum_j |m_ij|; the pair matrices have a
    zero diagonal and are symmetric bit for bit.
    """
    if end not in ENDS:
        raise InputError(f"interactions: end must be one of {list(ENDS)}, got {end!r}")
    if order not in ORDERS:
        raise InputError(f"interactions: order must be one of {list(ORDERS)}, got {order!r}")
    x, baseline_image = _flat(x), _flat(baseline_image)
    layers = _check_layers(params, layers)
    nodes = {layer: list(map(int, picked)) for layer, picked in (nodes or {}).items()}
    changed = np.flatnonzero(x != baseline_image)
    d = (x - baseline_image)[changed]
    m = changed.size
    value, baseline = forward(params, x), forward(params, baseline_image)
    steps = d[:, None] * params["W1"][changed]
    # the dual game from x is minus the game of removals: every term and residual flips sign
    sign = 1.0 if end == "insertion" else -1.0
    origin = baseline if end == "insertion" else value
    game = _Game(params, origin["a1"], sign * steps, layers, origin)
    total_of = {layer: value[layer] - baseline[layer] for layer in layers}
    total = np.concatenate([total_of[layer] for layer in layers]) * sign
    # singles exactly as methods.insertion / methods.occlusion compute them
    passes = forward_from_a1(params, game.start[None, :] + game.steps)
    singles = np.concatenate([passes[layer] - origin[layer] for layer in layers], axis=1)
    width = singles.shape[1]
    bounds = np.cumsum([0] + _widths(params, layers))
    at = {layer: bounds[k] for k, layer in enumerate(layers)}
    for layer, picked in nodes.items():
        if layer not in layers:
            raise InputError(f"interactions: nodes of {layer}, which is not among {layers}")
        size = bounds[layers.index(layer) + 1] - at[layer]
        bad = [n for n in picked if not 0 <= n < size]
        if bad:
            raise InputError(f"interactions: {layer} has nodes 0..{size - 1}, not {bad}")
    columns = [np.array([at[layer] + n for n in picked], int) for layer, picked in nodes.items()]
    residuals = np.full((width, order), np.nan)
    residuals[:, 0] = total - singles.sum(axis=0)
    partner_sum = strength = np.zeros((m, width))
    pairs = [np.zeros((len(picked), m, m), dtype=dtype) for picked in columns]
    triples = triple_count(m)
    summed3 = False
    if order >= 2:
        partner_sum, strength, pair_values, pairs = _pair_part(
            game, singles, columns, memory, dtype
        )
        pair_terms = partner_sum.sum(axis=0) / 2.0
        residuals[:, 1] = residuals[:, 0] - pair_terms
        if order >= 3 and (max_triples is None or triples <= max_triples):
            triple_values = _triple_values(game, params)
            single_values = singles.sum(axis=0)
            triple_terms = (
                triple_values - (m - 2) * pair_values + (m - 1) * (m - 2) / 2.0 * single_values
            )
            residuals[:, 2] = residuals[:, 1] - triple_terms
            summed3 = True
    order2 = singles + partner_sum / 2.0
    out = {"changed": changed, "order3": summed3, "triples": triples, "pairs": {}}
    for name, per_changed in (("order1", singles), ("order2", order2), ("pair_strength", strength)):
        full = np.zeros((width, x.size))
        full[:, changed] = per_changed.T * (sign if name != "pair_strength" else 1.0)
        out[name] = {layer: full[at[layer] : at[layer] + len(total_of[layer])] for layer in layers}
    residuals *= sign
    out["residuals"] = {
        layer: residuals[at[layer] : at[layer] + len(total_of[layer])] for layer in layers
    }
    for layer, matrix in zip(nodes, pairs, strict=True):
        if sign < 0:
            np.negative(matrix, out=matrix)
            matrix += 0.0  # -0.0 on the diagonal -> 0.0
        out["pairs"][layer] = matrix
    return out


def exact_expansion(params, x, baseline_image, layers, end="insertion", max_pixels=16):
    """Every Moebius term of the game of one end by enumerating all 2^m subsets of the m
    changed pixels (m <= ``max_pixels``): the reference the truncated expansion is checked
    against. Returns {"changed": (m,), "terms": {layer: (2^m, nodes)} with row ``mask``
    the term of the pixels whose bits are set (bit b = changed[b]), "residuals":
    {layer: (nodes, m)} with r_1 .. r_m (r_m = 0 up to rounding)}."""
    if end not in ENDS:
        raise InputError(f"interactions: end must be one of {list(ENDS)}, got {end!r}")
    x, baseline_image = _flat(x), _flat(baseline_image)
    _check_layers(params, layers, "exact_expansion")
    changed = np.flatnonzero(x != baseline_image)
    m = changed.size
    if m > max_pixels:
        raise InputError(
            f"exact_expansion: {m} changed pixels need 2^{m} passes; at most {max_pixels}"
        )
    masks = np.arange(2**m)
    bits = (masks[:, None] >> np.arange(m)[None, :]) & 1  # (2^m, m): which pixels are in
    value, baseline = forward(params, x), forward(params, baseline_image)
    if end == "insertion":
        images = np.where(bits, x[changed], baseline_image[changed])
        origin, sign = baseline, 1.0
    else:  # v*(S) = f(x) - f(x with S at the baseline)
        images = np.where(bits, baseline_image[changed], x[changed])
        origin, sign = value, -1.0
    full = np.broadcast_to(x if end == "occlusion" else baseline_image, (2**m, x.size)).copy()
    full[:, changed] = images
    passes = forward(params, full)
    sizes = bits.sum(axis=1)
    out = {"changed": changed, "terms": {}, "residuals": {}}
    for layer in layers:
        terms = sign * (passes[layer] - origin[layer])  # v(S), then its Moebius transform:
        for b in range(m):  # subtract v(S without b) from every S holding b, bit by bit
            holding = (masks >> b) & 1 == 1
            terms[holding] -= terms[masks[holding] ^ (1 << b)]
        total = value[layer] - baseline[layer]
        upto = np.cumsum([terms[sizes == k].sum(axis=0) for k in range(1, m + 1)], axis=0)
        out["terms"][layer] = terms
        out["residuals"][layer] = (total[None, :] - upto).T if m else np.zeros((total.size, 0))
    return out


def _welford(count, mean, m2, sample):
    """One more sample into a running mean and sum of squared deviations, in place."""
    count += 1
    delta = sample - mean
    mean += delta / count
    sample -= mean
    sample *= delta
    m2 += sample
    return count


def _squares(condensed, m, params, layers, dtype):
    """(pairs, width) over i < j -> {layer: (nodes, m, m)}, symmetric, zero diagonal, one
    array per layer."""
    i, j = np.triu_indices(m, 1)
    out = {}
    for layer, part in _split(condensed, params, layers).items():
        square = np.zeros((part.shape[1], m, m), dtype=dtype)
        square[:, i, j] = part.T
        square[:, j, i] = part.T
        out[layer] = square
    return out


def shapley_interaction(
    params,
    x,
    baseline_image,
    layers,
    permutations=16,
    seed=0,
    memory=64e6,
    with_stderr=False,
    progress=None,
    dtype=np.float64,
):
    """The pairwise Shapley interaction index (Grabisch and Roubens 1999) of every node of
    ``layers`` for every pair of changed pixels, estimated from antithetic permutations.

    SII_ij = sum over S in C \\ {i,j} of |S|! (|C|-|S|-2)! / (|C|-1)! (v(S+ij) - v(S+i) -
    v(S+j) + v(S)): the expected interaction of i and j given the pixels S before them when
    i and j are merged into one player and the players come in a random order. For one
    random order of all pixels, S = the pixels before i, without j, has exactly that law for
    every pair, and all pairs' differences come from the values of each prefix of the order
    with one pixel toggled: (m+1) m passes per order for m(m-1) unbiased samples (i and j
    each taking the merged player's place once). Each order is paired with its reverse; the
    estimate is the mean over the pairs, its standard error that of their means.

    Returns ({layer: (nodes, m, m)}, changed) or, ``with_stderr``, also the standard errors
    ({layer: (nodes, m, m)}), in ``dtype``; the diagonals are 0. The running statistics
    are kept for the pairs i < j only.
    """
    if permutations < 2 or permutations % 2:
        raise InputError(
            f"shapley_interaction: permutations must be even and >= 2, got {permutations}"
        )
    began = time.perf_counter()
    x, baseline_image = _flat(x), _flat(baseline_image)
    layers = _check_layers(params, layers, "shapley_interaction")
    changed = np.flatnonzero(x != baseline_image)
    d = (x - baseline_image)[changed]
    m = changed.size
    origin = forward(params, baseline_image)
    start = origin["a1"]
    game = _Game(params, start, d[:, None] * params["W1"][changed], layers, origin)
    width = game.origin.size
    hidden = game.steps.shape[1]
    rng = np.random.default_rng(seed)
    upper = np.triu_indices(m, 1)
    count, mean, m2 = 0, np.zeros((len(upper[0]), width)), np.zeros((len(upper[0]), width))
    block = _chunk_rows(memory, 8 * 4 * m * (hidden + width))
    flip = None
    if game.sigmoid_first:
        with np.errstate(over="ignore"):
            flip = np.exp(game.steps)  # exp(+s_j): takes pixel j back out of a prefix
    for first in range(permutations // 2) if m >= 2 else ():
        order = np.argsort(rng.random(m))
        both = np.zeros((m, m, width))
        for perm in (order, order[::-1]):
            position = np.empty(m, dtype=np.int64)
            position[perm] = np.arange(m)
            prefix = np.concatenate([np.zeros((1, hidden)), np.cumsum(game.steps[perm], axis=0)])
            a1_prefix = start + prefix  # (m+1, hidden): the a1 of each prefix
            e_prefix = None
            if game.sigmoid_first:
                with np.errstate(over="ignore"):
                    e_prefix = np.exp(-a1_prefix)
            prefix_values = _stacked(params, layers, a1_prefix, e_prefix) - game.origin
            # a prefix's a1 is not bounded by the game's start and 3 steps: its own bound
            safe = bool(np.abs(a1_prefix).max() + np.abs(game.steps).max() < EXP_SAFE)
            previous = None
            for lo in range(0, m + 1, block):
                t = np.arange(lo, min(m + 1, lo + block))
                inside = (position[None, :] < t[:, None])[..., None]  # (t, j, 1): j in P_t
                toggled = game.values(
                    lambda t=t, inside=inside: (
                        a1_prefix[t][:, None, :] + np.where(inside, -game.steps, game.steps)
                    ),
                    lambda t=t, inside=inside: (
                        e_prefix[t][:, None, :] * np.where(inside, flip, game.exp_steps)
                    ),
                    exp_ok=safe,
                )
                toggled -= prefix_values[t][:, None, :]  # G[t, j] = v(P_t ^ j) - v(P_t)
                if previous is not None:
                    toggled = np.concatenate([previous, toggled])
                    t = np.concatenate([[lo - 1], t])
                step = toggled[1:] - toggled[:-1]  # D[p, j] for p = t[0] .. t[-2]
                reps = perm[t[:-1]]  # the pixel added at position p
                after = position[None, :] > t[:-1, None]
                both[reps] += np.where(after[..., None], step, -step)
                previous = toggled[-1:]
        # both orders, both representatives: the mean of four unbiased samples of each pair
        sample = both[upper]
        sample += both[upper[1], upper[0]]
        sample /= 4.0
        del both
        count = _welford(count, mean, m2, sample)
        if progress is not None:
            progress(2 * (first + 1), permutations, time.perf_counter() - began)
    values = _squares(mean, m, params, layers, dtype)
    if not with_stderr:
        return values, changed
    del mean
    if count > 1:
        m2 /= (count - 1) * count
        spread = np.sqrt(m2, out=m2)
    else:
        spread = np.full_like(m2, np.nan)
    return values, changed, _squares(spread, m, params, layers, dtype)


def pair_count(m):
    """Number of pairs of m changed pixels."""
    return m * (m - 1) // 2


def interactions(
    params,
    x,
    baseline_image,
    layers,
    nodes=None,
    order=3,
    max_triples=None,
    shapley_interaction_parameters=None,
    memory=64e6,
    progress=None,
    dtype=np.float64,
):
    """Everything a sample's influence file holds under /interactions: the expansion of every
    node of ``layers`` from both ends (full pair matrices for the output layers' nodes and
    the hidden ``nodes``), and the Shapley interaction index of the output layers among
    ``layers``: none if ``shapley_interaction_parameters`` ({permutations, seed,
    max_pairs}) is None, or if the changed pixels have more than ``max_pairs`` pairs.

    Returns {"changed", "ends": {end: expansion}, "nodes": {layer: [node, ...]},
    "shapley_interaction": {layer: (nodes, m, m)} ({} when not computed), "stderr":
    likewise, "parameters", "skipped": why the index was not computed (or None),
    "seconds": {part: seconds}}. ``dtype``: the storage type of the pair matrices and the
    index (float32 halves a large image's memory).
    """
    layers = _check_layers(params, layers, "interactions.layers")
    unknown = sorted(set(nodes or {}) - set(layers))
    if unknown:
        raise InputError(f"interactions.nodes: {unknown} not among interactions.layers {layers}")
    output = output_layers(params)
    sizes = layer_sizes(params)
    picked = {}
    for layer in layers:
        if layer in output:
            picked[layer] = list(range(sizes[layer]))
        elif layer in (nodes or {}):
            picked[layer] = sorted(set(map(int, nodes[layer])))
    out = {"ends": {}, "nodes": picked, "seconds": {}, "shapley_interaction": {}, "stderr": {}}
    for end in ENDS:
        began = time.perf_counter()
        out["ends"][end] = expansion(
            params, x, baseline_image, layers, end, order, picked, max_triples, memory, dtype
        )
        out["seconds"][end] = time.perf_counter() - began
    out["changed"] = out["ends"][ENDS[0]]["changed"]
    outputs = [layer for layer in layers if layer in output]
    settings = dict(shapley_interaction_parameters or {})
    out["parameters"], out["skipped"] = settings, None
    max_pairs = settings.pop("max_pairs", None)
    pairs = pair_count(out["changed"].size)
    if shapley_interaction_parameters is None or not outputs:
        out["skipped"] = "not asked for" if outputs else "no output layer among the layers"
    elif max_pairs is not None and pairs > max_pairs:
        out["skipped"] = f"{pairs} pairs of changed pixels > max_pairs {max_pairs}"
    else:
        began = time.perf_counter()
        values, _, stderr = shapley_interaction(
            params,
            x,
            baseline_image,
            outputs,
            **settings,
            memory=memory,
            with_stderr=True,
            progress=progress,
            dtype=dtype,
        )
        out["shapley_interaction"], out["stderr"] = values, stderr
        out["seconds"]["shapley_interaction"] = time.perf_counter() - began
    return out


SUMMARY_COLUMNS = [
    "layer",
    "end",
    "samples",
    "nodes",
    "median_abs_r1",
    "median_abs_r2",
    "median_abs_r3",
    "pairs_explain",
    "triples_explain",
    "samples_with_r3",
]
SUMMARY_TEXT = (
    "Per layer and end of the expansion (insertion: from the baseline, occlusion: from x), "
    "over the samples and all their nodes: the median |r_k| of the expansion truncated at "
    "order k (r_1 is the residual of the insertion resp. occlusion map), and the share of "
    "|r_1| that the pair terms, then the pair and triple terms together, explain: 1 - "
    "sum |r_2| / sum |r_1| and 1 - sum |r_3| / sum |r_1| over every node and sample (r_3 "
    "over the samples that have it). 1 = explained entirely; a negative share means the "
    "truncated expansion moved away from f(x) - f(baseline) instead of towards it."
)


def summary(residuals, layers):
    """The rows of results/interactions_summary.csv: ``residuals`` is a list (one per sample)
    of {end: {layer: (nodes, order)}} residual arrays."""
    rows = []

    def text(value):
        return "" if not np.isfinite(value) else f"{value:.6g}"

    for layer in layers:
        for end in ENDS:
            r = [sample[end][layer] for sample in residuals]
            order = min(part.shape[1] for part in r)
            stack = np.abs(np.concatenate([part[:, :order] for part in r]))
            row = {"layer": layer, "end": end, "samples": len(r), "nodes": stack.shape[0]}
            full = stack[:, 0].sum()
            for k in (1, 2, 3):
                column = f"median_abs_r{k}"
                if k > order:
                    row[column] = ""
                    continue
                known = stack[:, k - 1][np.isfinite(stack[:, k - 1])]
                row[column] = text(np.median(known)) if known.size else ""
            row["pairs_explain"] = text(1.0 - stack[:, 1].sum() / full) if order >= 2 else ""
            with3 = [part for part in r if part.shape[1] >= 3 and np.isfinite(part[:, 2]).all()]
            row["samples_with_r3"] = len(with3)
            if with3:
                both = np.abs(np.concatenate(with3))
                row["triples_explain"] = text(1.0 - both[:, 2].sum() / both[:, 0].sum())
            else:
                row["triples_explain"] = ""
            rows.append(row)
    return rows
