"""Per-class influence statistics over a whole split of the dataset, computed in shards.

A sweep computes every configured method for every image of a split and reduces the maps
to per-class sums: count, sum and sum of squares of the maps, the residuals and the node
values. Any dense network (``network.layer_sizes`` of its parameters lays out the nodes)
and any number of classes (``class_names``; None: the ten digits). The reduction is exact
and independent of how the split is cut into shards:

* images are summed in float64 within fixed blocks of ``BLOCK`` consecutive images (the
  block grid is global, shard boundaries fall on it, so a block's float sum is the same
  in every run), then
* each block sum is added to an exact fixed-point accumulator (``Exact``): two int64
  limbs holding the value on a grid of 2**-62. Integer addition is associative, so the
  shards can be merged in any grouping and give the same bits as one shard.

Only the block sums are rounded to the grid (2**-62 ~ 2e-19, far below float32 storage);
the means, standard deviations and contrasts (a class's mean minus the mean over the images
of every other class) are then derived from the exact sums.
"""

import json
import logging
import time

import numpy as np

from .errors import InputError
from .methods import compute, parameters_of
from .network import activation_of, layer_sizes, output_layers

__all__ = [
    "BLOCK",
    "CLASSES",
    "QUANTUM",
    "SHARD_RERUN",
    "Exact",
    "Sums",
    "blocks",
    "check_labels",
    "check_shards",
    "class_count",
    "class_image",
    "class_maps",
    "class_values",
    "contrast",
    "moments",
    "progress_logger",
    "provenance",
    "shard_range",
    "shard_sums",
    "split_layers",
    "statistics",
]

BLOCK = 500  # images per block: the grid on which shards are cut
CLASSES = 10  # the digits 0..9: the classes without class_names
HI_SHIFT = 11  # value = hi * 2**-11 + lo * 2**-62
LO_BITS = 51
QUANTUM = 2.0 ** -(HI_SHIFT + LO_BITS)  # the step of the fixed-point grid
LIMIT = 2.0**40  # largest |block sum| the limbs hold with room for 2**12 blocks


class Exact:
    """An exact sum of float64 arrays on the fixed-point grid of step ``QUANTUM``.

    ``hi`` counts units of 2**-11 (any sign), ``lo`` units of 2**-62, in [0, 2**51) once
    carried: the represented value is ``hi * 2**-11 + lo * 2**-62``. Each added value is
    rounded to the nearest grid point; everything after that is integer arithmetic.
    """

    def __init__(self, shape):
        self.hi = np.zeros(shape, dtype=np.int64)
        self.lo = np.zeros(shape, dtype=np.int64)
        self._pending = 0  # additions to lo since the last carry: 2**11 fit in int64

    @classmethod
    def of(cls, hi, lo):
        out = cls(np.shape(hi))
        out.hi[...], out.lo[...] = hi, lo
        out.carry()
        return out

    def add(self, x, what="value"):
        """Add the float64 array ``x`` (rounded to the grid): exact, in place."""
        x = np.asarray(x, dtype=np.float64)
        if not (x.max(initial=0.0) < LIMIT and x.min(initial=0.0) > -LIMIT):  # NaN: false
            bad = x[~(np.abs(x) < LIMIT)].flat[0]
            raise InputError(f"sweep: a {what} sum of {bad} cannot be accumulated exactly")
        y = x * 2.0**HI_SHIFT  # exact: a power of two
        whole = np.trunc(y)
        self.hi += whole.astype(np.int64)
        y -= whole  # exact: the fraction bits of y, in (-1, 1)
        y *= 2.0**LO_BITS
        self.lo += np.rint(y, out=y).astype(np.int64)  # the only rounding: to the grid
        self._pending += 1
        if self._pending >= 1 << 11:
            self.carry()
        return self

    def merge(self, other):
        """Add another exact sum: integer addition, so the grouping does not matter."""
        self.carry()
        other.carry()
        self.hi += other.hi
        self.lo += other.lo
        self.carry()
        return self

    def carry(self):
        """Normalise lo into [0, 2**51) (the represented value does not change)."""
        self.hi += self.lo >> LO_BITS
        self.lo &= (1 << LO_BITS) - 1
        self._pending = 0

    def value(self):
        """The sum as float64, correctly rounded from the exact value."""
        self.carry()
        return np.ldexp(self.hi.astype(np.float64), -HI_SHIFT) + np.ldexp(
            self.lo.astype(np.float64), -(HI_SHIFT + LO_BITS)
        )

    def longdouble(self):
        self.carry()
        return np.ldexp(self.hi.astype(np.longdouble), -HI_SHIFT) + np.ldexp(
            self.lo.astype(np.longdouble), -(HI_SHIFT + LO_BITS)
        )


def blocks(images, block=BLOCK):
    return -(-images // block)


def shard_range(images, shards, shard, block=BLOCK):
    """Images [start, stop) of shard ``shard`` (0-based) of ``shards``: whole blocks,
    as even as possible."""
    if not 0 <= shard < shards:
        raise InputError(f"sweep: shard {shard} is not in 0..{shards - 1}")
    n = blocks(images, block)
    first, last = shard * n // shards, (shard + 1) * n // shards
    return min(first * block, images), min(last * block, images)


def class_count(class_names=None):
    """The number of classes: one per name, the ten digits without ``class_names``."""
    return CLASSES if class_names is None else len(class_names)


def check_labels(labels, classes, first=0):
    """Refuse a label outside 0..classes-1, naming the image (its index in the split: the
    first of ``labels`` is image ``first``) and the label."""
    labels = np.asarray(labels)
    bad = np.flatnonzero((labels < 0) | (labels >= classes))
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"sweep: image {first + i} has label {labels[i]}, but the dataset has {classes} "
            f"classes (labels 0 to {classes - 1})"
        )


def _nodes(layers, sizes):
    missing = [layer for layer in layers if layer not in sizes]
    if missing:
        raise InputError(
            f"sweep: layer {missing[0]!r} is not a layer of the network, whose layers are "
            f"{', '.join(sizes)}"
        )
    return sum(sizes[layer] for layer in layers)


def statistics(layers, methods, sizes, pixels=784):
    """The quantities a sweep sums per class, with the shape of one image's contribution;
    ``sizes``: {layer: nodes} of every layer of the network (``network.layer_sizes``).

    Maps are kept as (pixels, nodes), so that the pixels an image changes are whole rows.
    """
    nodes = _nodes(layers, sizes)
    shapes = {"image": (pixels,), "value": (_nodes(sizes, sizes),)}
    for method in methods:
        shapes[f"{method}/maps"] = (pixels, nodes)
        shapes[f"{method}/residual"] = (nodes,)
    return shapes


def _contributions(result, image, changed, layers, methods, sizes):
    """One image's arrays keyed like ``statistics``; maps only on the ``changed`` pixels
    (rows): every method gives exactly 0 to a pixel equal to the baseline."""
    out = {
        "image": image.reshape(-1),
        "value": np.concatenate([result["value"][layer] for layer in sizes]),
    }
    for method in methods:
        maps = result["maps"][method]
        out[f"{method}/maps"] = np.concatenate(
            [maps[layer].reshape(len(maps[layer]), -1)[:, changed] for layer in layers]
        ).T
        out[f"{method}/residual"] = np.concatenate(
            [result["residuals"][method][layer] for layer in layers]
        )
    return out


class Sums:
    """Per-class exact sums (and sums of squares) of every statistic, plus the counts and
    the confusion matrix (label, predicted); ``sizes`` ({layer: nodes} of every layer of
    the network, in order) and ``activation`` (its hidden layers') say how the node axes
    of the statistics are laid out."""

    def __init__(self, shapes, classes=CLASSES, sizes=None, activation="sigmoid"):
        self.shapes = dict(shapes)
        self.sizes = None if sizes is None else dict(sizes)
        self.activation = activation
        self.count = np.zeros(classes, dtype=np.int64)
        self.confusion = np.zeros((classes, classes), dtype=np.int64)
        self.sum = {k: Exact((classes,) + s) for k, s in shapes.items()}
        self.sumsq = {k: Exact((classes,) + s) for k, s in shapes.items()}
        self.seconds = {}  # where the time went, filled by shard_sums

    def merge(self, other):
        if other.shapes != self.shapes or other.sizes != self.sizes:
            raise InputError(
                "sweep: shards of different networks, layers or methods cannot be merged"
            )
        if len(other.count) != len(self.count):
            raise InputError(
                f"sweep: shards of {len(self.count)} and of {len(other.count)} classes cannot "
                "be merged"
            )
        self.count += other.count
        self.confusion += other.confusion
        for k in self.shapes:
            self.sum[k].merge(other.sum[k])
            self.sumsq[k].merge(other.sumsq[k])
        return self


def shard_sums(
    params,
    images,
    labels,
    baseline_image,
    layers,
    methods,
    parameters=None,
    first=0,
    log=None,
    class_names=None,
):
    """Sums over ``images`` (n, 28, 28) uint8 with their ``labels``, whose first image has
    index ``first`` in the split (a multiple of ``BLOCK``: blocks follow the global grid).

    Each image goes through ``methods.compute`` exactly as a single sample would. The
    network's output layer has one node per class (``class_names``; None: the ten digits)
    and every label is one of them. ``log(done, total, seconds)`` is called after every
    block. ``sums.seconds`` says where the time went: the methods, the float block sums,
    the exact sums.
    """
    if first % BLOCK:
        raise InputError(f"sweep: a shard must start on a block boundary, not image {first}")
    images, labels = np.asarray(images), np.asarray(labels)
    classes = class_count(class_names)
    sizes = layer_sizes(params)
    output = output_layers(params)[1]
    if sizes[output] != classes:
        raise InputError(
            f"sweep: the network's output layer {output} has {sizes[output]} nodes, but the "
            f"dataset has {classes} classes"
        )
    check_labels(labels, classes, first)
    shapes = statistics(layers, methods, sizes, pixels=images[0].size if len(images) else 784)
    sums = Sums(shapes, classes, sizes, activation_of(params))
    baseline = np.asarray(baseline_image, dtype=np.float64).reshape(-1)
    seconds = dict.fromkeys(("methods", "block sums", "exact sums"), 0.0)
    start = time.perf_counter()
    for b0 in range(0, len(images), BLOCK):
        block_sum = {k: np.zeros((classes,) + s) for k, s in shapes.items()}
        block_sumsq = {k: np.zeros((classes,) + s) for k, s in shapes.items()}
        for i in range(b0, min(b0 + BLOCK, len(images))):
            x = images[i] / 255.0
            label = int(labels[i])
            t0 = time.perf_counter()
            result = compute(params, x, baseline_image, layers, methods, parameters)
            t1 = time.perf_counter()
            sums.count[label] += 1
            sums.confusion[label, int(np.argmax(result["value"][output]))] += 1
            changed = np.flatnonzero(x.reshape(-1) != baseline)
            for k, v in _contributions(result, x, changed, layers, methods, sizes).items():
                rows = (label, changed) if k.endswith("/maps") else label
                block_sum[k][rows] += v
                block_sumsq[k][rows] += v * v
            seconds["methods"] += t1 - t0
            seconds["block sums"] += time.perf_counter() - t1
        t0 = time.perf_counter()
        for k in shapes:
            sums.sum[k].add(block_sum[k], k)
            sums.sumsq[k].add(block_sumsq[k], k)
        seconds["exact sums"] += time.perf_counter() - t0
        if log is not None:
            log(min(b0 + BLOCK, len(images)), len(images), time.perf_counter() - start)
    sums.seconds = seconds
    return sums


def provenance(sweep, method_parameters, images):
    """The settings that shape a sweep's numbers, as stable text (not the shard count,
    which does not change a single bit of the result)."""
    methods = list(sweep["methods"])
    return json.dumps(
        {
            "split": sweep["split"],
            "images": images,
            "layers": list(sweep["layers"]),
            "methods": methods,
            "method_parameters": {m: parameters_of(m, method_parameters) for m in methods},
            "block": BLOCK,
        },
        sort_keys=True,
    )


def progress_logger(prefix):
    """A ``log`` callback for ``shard_sums`` that writes counts, rate and time left."""

    def log(done, total, seconds):
        rate = done / seconds if seconds > 0 else float("inf")
        left = (total - done) / rate if rate > 0 else 0.0
        logging.info(
            "%s: %d/%d images (%.0f%%), %.0f images/s, %.0f s left",
            prefix,
            done,
            total,
            100.0 * done / total,
            rate,
            left,
        )

    return log


def moments(sums, key):
    """Per-class mean and standard deviation (ddof=1) of statistic ``key`` from exact sums.

    Classes with no image get NaN; with one image the standard deviation is NaN.
    """
    return _moments(sums.count, sums.sum[key], sums.sumsq[key])


def _moments(count, total, sumsq):
    n = count.reshape((-1,) + (1,) * (total.hi.ndim - 1))
    ones = np.maximum(n, 1)
    mean = np.where(n > 0, total.value() / ones, np.nan)
    s1, s2 = total.longdouble(), sumsq.longdouble()
    # the sums are exact; the extended precision keeps s2 - s1^2/n from cancelling
    var = np.maximum(s2 - s1 * s1 / ones, 0) / np.maximum(n - 1, 1)
    std = np.where(n > 1, np.sqrt(var.astype(np.float64)), np.nan)
    return mean, std


def contrast(count, total):
    """What sets each class apart: its mean minus the mean over the images of every other
    class, image-weighted: ``total[c] / n[c] - (sum(total) - total[c]) / (N - n[c])``.

    ``count``: (classes,) images per class; ``total``: the ``Exact`` per-class sums
    (classes, ...) of one statistic. The other classes' sum is an exact integer difference
    of the limbs, so both means are correctly rounded float64 divisions (the class's is
    bit for bit the mean of ``moments``) and only their difference rounds once more.
    NaN where the class or all the other classes have no image. Returns (classes, ...).
    """
    count = np.asarray(count, dtype=np.int64)
    total.carry()
    others = Exact.of(total.hi.sum(axis=0) - total.hi, total.lo.sum(axis=0) - total.lo)
    n = count.reshape((-1,) + (1,) * (total.hi.ndim - 1))
    m = n.sum() - n  # images of the other classes
    with np.errstate(invalid="ignore"):
        out = total.value() / np.maximum(n, 1)
        out -= others.value() / np.maximum(m, 1)
    out[np.broadcast_to((n == 0) | (m == 0), out.shape)] = np.nan
    return out


def split_layers(flat, layers, sizes):
    """(classes, nodes_total, ...) -> {layer: (classes, nodes, ...)} in layer order;
    ``sizes``: {layer: nodes} of the network."""
    out, start = {}, 0
    for layer in layers:
        size = sizes[layer]
        out[layer] = flat[:, start : start + size]
        start += size
    return out


def class_image(sums, shape=(28, 28)):
    """Per-class mean and standard deviation of the input image, each (classes, *shape)."""
    mean, std = moments(sums, "image")
    return mean.reshape((len(sums.count),) + shape), std.reshape((len(sums.count),) + shape)


def class_values(sums):
    """Per-class mean and standard deviation of f(x): ({layer: (classes, nodes)}, same),
    every layer of the network (``sums.sizes``)."""
    mean, std = moments(sums, "value")
    return split_layers(mean, sums.sizes, sums.sizes), split_layers(std, sums.sizes, sums.sizes)


def class_maps(sums, method, layers, shape=(28, 28)):
    """Per-class mean, standard deviation and contrast (``contrast``) of a method's maps,
    and mean and standard deviation of its residuals: ``{"maps": ({layer: (classes, node,
    row, col)}, std), "contrast": {layer: (classes, node, row, col)}, "residual": ({layer:
    (classes, node)}, std)}``. One method at a time: a sweep's maps of every method need
    not be in memory at once; the exact sums of the maps are read once for all three."""
    classes = len(sums.count)

    def per_layer(a):  # (class, pixel, node) -> {layer: (class, node, row, col)}
        return split_layers(a.transpose(0, 2, 1).reshape((classes, -1) + shape), layers, sums.sizes)

    key = f"{method}/maps"
    total = sums.sum[key]
    maps = tuple(per_layer(a) for a in _moments(sums.count, total, sums.sumsq[key]))
    contrasts = per_layer(contrast(sums.count, total))
    del total
    residual = tuple(
        split_layers(a, layers, sums.sizes) for a in moments(sums, f"{method}/residual")
    )
    return {"maps": maps, "contrast": contrasts, "residual": residual}


# the settings every shard of one sweep shares
SHARD_SETTINGS = ("split", "images", "layers", "methods", "config", "weights_sha256", "baseline")
SHARD_RERUN = "re-create them with: snakemake --cores 8 --forcerun sweep_shard"


def check_shards(names, settings):
    """Refuse shards that cannot be merged: ``settings`` (one mapping per shard, named by
    ``names``, with ``SHARD_SETTINGS`` and its image range ``first``/``stop``) must agree,
    and the ranges must tile the images [0, images) with no gap or overlap."""
    for name, s in zip(names, settings, strict=True):
        for key in SHARD_SETTINGS:
            if not np.array_equal(s[key], settings[0][key]):
                raise InputError(f"{name}: its {key} differs from {names[0]}'s; {SHARD_RERUN}")
    end = 0
    for name, s in sorted(zip(names, settings, strict=True), key=lambda ns: int(ns[1]["first"])):
        if int(s["first"]) != end:
            raise InputError(
                f"{name}: starts at image {int(s['first'])}, expected {end}; the shards "
                f"do not tile the split; {SHARD_RERUN}"
            )
        end = int(s["stop"])
    if end != int(settings[0]["images"]):
        raise InputError(
            f"the shards end at image {end}, not at {int(settings[0]['images'])}; {SHARD_RERUN}"
        )
