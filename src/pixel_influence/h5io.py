"""HDF5 files that explain themselves, written atomically and sealed with their checksum.

Every dataset carries ``meaning`` and ``axes`` attributes (and ``units`` where there are
any); every file carries ``format_version`` and ``software`` at the root. A file is written
to a temporary name in the same folder and renamed into place, so a killed job never leaves
a half-written file at the final path. Its first 512 bytes (the HDF5 user block, which HDF5
tools skip) hold the sha256 of all the bytes after them: every reader checks it before it
reads a number, so a damaged or edited file is refused, never read as if it were the one the
workflow wrote; ``tail -c +513 FILE | sha256sum`` checks it by hand.
"""

import hashlib
import io
import os
import stat
from collections.abc import Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import h5py
import numpy as np

from . import SOFTWARE
from .download import FILES, WEIGHTS
from .errors import InputError
from .faithfulness import KINDS, RANDOM
from .files import CRASH_VARIABLE, atomic_write, crash_point, sha256_of
from .methods import METHOD_MEANING
from .network import LAYER_MEANING, LAYERS, PARAM_MEANING, PARAM_SHAPES, check_params
from .provenance import differences, rerun_hint
from .samples import SPLIT_SIZES
from .sweep import Exact, moments, split_layers

# 2: sealed with the sha256 of the file in a 512-byte user block (see CHANGELOG.md)
FORMAT_VERSION = 2
USERBLOCK = 512
SEAL = b"pixel_influence: sha256 of the bytes after this 512-byte HDF5 user block: "
SEAL_CHECK = b"check it with: tail -c +513 FILE | sha256sum\n"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
MNIST_SOURCES = [name for name in FILES if name.startswith("mnist/")]

_writing = {}  # HDF5 file id -> [final path, datasets written, temporary, buffer], for crash tests
CRASH_AFTER = 5  # the "writing" crash point fires after this many datasets


def _seal_block(data):
    """The user block that seals ``data``, the bytes after it."""
    block = SEAL + hashlib.sha256(data).hexdigest().encode() + b"\n" + SEAL_CHECK
    return block + b"\0" * (USERBLOCK - len(block))


def seal(path):
    """Write the sha256 of the bytes after the user block into the user block of ``path``."""
    with open(path, "r+b") as f:
        f.seek(USERBLOCK)
        block = _seal_block(f.read())
        f.seek(0)
        f.write(block)


@contextmanager
def atomic_h5(path, **root_attrs):
    """Open a new HDF5 file for writing; it appears at ``path``, sealed, only if the block
    succeeds.

    The file is built in memory and written in one go: a full disk then fails one plain
    write, which ``atomic_write`` explains, instead of the HDF5 library's flushes (which
    report it again from every object they free)."""
    with atomic_write(path) as tmp:
        buffer = io.BytesIO()
        with h5py.File(buffer, "w", track_order=True, userblock_size=USERBLOCK) as f:
            _writing[f.id.id] = [Path(path), 0, tmp, buffer]
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["software"] = SOFTWARE
            for key, value in root_attrs.items():
                f.attrs[key] = value
            try:
                yield f
                dimension_scales(f)
            finally:
                _writing.pop(f.id.id, None)
        data = buffer.getbuffer()[USERBLOCK:]
        with open(tmp, "wb") as out:
            out.write(_seal_block(data))
            out.write(data)


MAPS_PER_CHUNK = 10  # node maps stored (and decompressed) together: one output layer


SCALES = {
    "row": ("row of the 28x28 image, 0 = top", 28),
    "col": ("column of the 28x28 image, 0 = left", 28),
    "class": ("class: the digit label", 10),
    "label": ("class: the digit label", 10),
    "predicted": ("the predicted class: argmax of z3", 10),
}


def _axis_names(ds):
    """The axis names of a dataset from its ``axes`` attribute: "node, row, col (pixel of
    the input image)" -> [node, row, col]; None unless there is one name per dimension."""
    axes = ds.attrs.get("axes")
    if not isinstance(axes, str) or ds.ndim == 0:
        return None
    names = [part.split("(")[0].strip() for part in axes.split(",")]
    if len(names) != ds.ndim or not all(n.isidentifier() for n in names):
        return None
    return names


def _layer_of(ds):
    layer = ds.attrs.get("layer")
    if layer is None:  # /value/<layer>, /baseline/<layer>
        layer = ds.name.rsplit("/", 1)[-1]
    return str(layer) if str(layer) in LAYERS else None


def dimension_scales(f):
    """Label every dimension of every dataset (``ds.dims[i].label``) from its ``axes``
    attribute and attach HDF5 dimension scales, so that generic tools (HDFView, h5netcdf,
    xarray) show named, numbered axes: /row, /col, /class, /node_<layer> (node indices)
    and, for the deletion/insertion curves, /faithfulness/fraction for their steps."""
    datasets = []
    f.visititems(lambda _, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
    scales = {}

    def scale(name, meaning, size):
        if name not in scales:
            ds = f.create_dataset(name, data=np.arange(size), track_times=False)
            ds.attrs["meaning"] = meaning
            ds.attrs["axes"] = name
            ds.make_scale(name)
            scales[name] = ds
        return scales[name]

    for ds in datasets:
        names = _axis_names(ds)
        if names is None:
            continue
        for i, name in enumerate(names):
            ds.dims[i].label = name
            if name in SCALES:
                meaning, size = SCALES[name]
                key = "class" if name in ("label", "predicted") else name
                if ds.shape[i] == size:
                    ds.dims[i].attach_scale(scale(key, meaning, size))
            elif name == "node" and (layer := _layer_of(ds)) is not None:
                nodes = scale(
                    f"node_{layer}", f"node of {layer}: {LAYER_MEANING[layer]}", ds.shape[i]
                )
                ds.dims[i].attach_scale(nodes)
            elif (
                name == "step"
                and "faithfulness/fraction" in f
                and ds.name != "/faithfulness/fraction"
            ):
                fraction = f["faithfulness/fraction"]
                if not h5py.h5ds.is_scale(fraction.id):
                    fraction.make_scale("fraction")
                ds.dims[i].attach_scale(fraction)


def map_chunks(shape):
    """Chunks of a stack of maps (..., nodes, rows, cols): ``MAPS_PER_CHUNK`` whole maps,
    so reading one node decompresses little."""
    return (1,) * (len(shape) - 3) + (min(shape[-3], MAPS_PER_CHUNK),) + tuple(shape[-2:])


def put(group, name, data, meaning, axes, dtype=None, compress=False, **attrs):
    """Create dataset ``name`` with its describing attributes; returns the dataset.

    ``compress``: lossless gzip with byte shuffling, chunked as h5py chooses or, for a
    stack of maps (``compress="maps"``), by ``map_chunks``.
    """
    data = np.asarray(data, dtype=dtype)
    options = {}
    if compress:
        options = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
        if compress == "maps":
            options["chunks"] = map_chunks(data.shape)
    ds = group.create_dataset(name, data=data, track_times=False, **options)
    state = _writing.get(group.file.id.id)
    if state is not None:
        state[1] += 1
        if state[1] == CRASH_AFTER and os.environ.get(CRASH_VARIABLE) == f"{state[0].name}:writing":
            group.file.flush()  # some datasets on disk, not all: a half-written file
            Path(state[2]).write_bytes(state[3].getvalue())
            crash_point(state[0], "writing")
    ds.attrs["meaning"] = meaning
    ds.attrs["axes"] = axes
    for key, value in attrs.items():
        ds.attrs[key] = value
    return ds


def _version(f):
    version = f.attrs.get("format_version")
    if isinstance(version, np.generic):
        version = version.item()
    return version


def _unsealed_problem(handle):
    """Why an HDF5 file without this workflow's seal cannot be read, from its version."""
    try:
        with h5py.File(handle, "r") as f:
            version = _version(f)
    except UNREADABLE as e:
        return f"not a readable HDF5 file ({e})"
    if version is None:
        return "not a file of this workflow: it has no format_version attribute"
    return f"format_version {version!r}, this software ({SOFTWARE}) reads version {FORMAT_VERSION}"


def _check_seal(path, handle):
    """The problem of a file that is not sealed as this workflow seals its files, or None
    (then ``handle`` stands at the end of the file)."""
    head = handle.read(USERBLOCK + len(HDF5_SIGNATURE))
    if not head:
        return "the file is empty, expected an HDF5 file"
    if head.startswith(HDF5_SIGNATURE):
        handle.seek(0)
        return _unsealed_problem(handle)
    if not head.startswith(SEAL):
        if head[USERBLOCK:].startswith(HDF5_SIGNATURE):
            handle.seek(0)
            return _unsealed_problem(handle)
        return f"not an HDF5 file (it starts with {head[:16]!r})"
    recorded = head[len(SEAL) : len(SEAL) + 64].decode("ascii", "replace")
    handle.seek(USERBLOCK)
    actual = sha256_of(handle)
    if actual != recorded:
        return (
            "damaged: its bytes are not those the workflow wrote (their sha256 is "
            f"{actual[:12]}…, the file records {recorded[:12]}…)"
        )
    return None


@contextmanager
def open_checked(path, expected=None, hint=rerun_hint, foreign=None):
    """Open an HDF5 file of this workflow for reading, after checking that it is one.

    Only a regular file is opened (a named pipe would hang the reader); its seal must match
    its bytes; its ``format_version`` must be this software's; and the root attributes named
    in ``expected`` ({name: value}, a dict for a JSON record such as ``config``) must say
    what the reader is asked for. Any of these, and any failure to read the file inside the
    block, is an InputError naming the file and ending with ``hint(path)`` (the rerun that
    re-creates it), never a raw h5py error; ``foreign`` replaces that hint for a file that
    is not one of this workflow's at all (not HDF5, or without its format_version). The
    file is read through one open handle, so what was checked is what is read.
    """
    path = str(path)
    advice = f"; {hint(path)}" if hint else ""
    other = advice if foreign is None else f"; {foreign}"
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file{advice}") from None
    except (OSError, ValueError) as e:
        raise InputError(
            f"{path}: cannot be looked up ({getattr(e, 'strerror', None) or e})"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a folder, expected an HDF5 file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: is not a regular file (a pipe, socket or device)")
    with ExitStack() as stack:
        try:
            handle = stack.enter_context(open(path, "rb"))
            problem = _check_seal(path, handle)
        except OSError as e:
            raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None
        if problem is not None:
            ours = not problem.startswith(("not an HDF5 file", "not a file of this workflow"))
            raise InputError(f"{path}: {problem}{advice if ours else other}")
        try:
            f = stack.enter_context(h5py.File(handle, "r"))
        except UNREADABLE as e:
            raise InputError(f"{path}: not a readable HDF5 file ({e}){advice}") from None
        try:
            _check_version_and_expected(path, f, expected, advice)
            yield f
        except InputError:  # a ValueError too, but already a message for the user
            raise
        # what h5py raises for a missing, misshapen or unreadable object
        except UNREADABLE as e:
            reason = str(e).strip("'\"") or type(e).__name__
            raise InputError(
                f"{path}: does not hold what this workflow writes ({reason}){advice}"
            ) from None


# what h5py and numpy raise for an object that is missing, misshapen or unreadable
UNREADABLE = (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError, RuntimeError)


def _check_version_and_expected(path, f, expected, advice):
    version = _version(f)
    if version != FORMAT_VERSION or isinstance(version, bool):
        found = "no format_version attribute" if version is None else f"format_version {version!r}"
        raise InputError(
            f"{path}: {found}, this software ({SOFTWARE}) reads version {FORMAT_VERSION}{advice}"
        )
    if expected:
        found = differences(f.attrs, expected)
        if found:
            raise InputError(
                f"{path}: not what the config asks for: it {'; it '.join(found)}{advice}"
            )


def write_weights(path, params, source_sha256):
    """The network's weights and biases (as stored, float32) with the layer structure."""

    with atomic_h5(
        path,
        meaning="weights of the 784-50-100-10 MLP of 'Deep Learning from Scratch' ch03",
        architecture="784-50-100-10",
        forward=(
            "a1 = x@W1+b1; z1 = sigmoid(a1); a2 = z1@W2+b2; z2 = sigmoid(a2); "
            "a3 = z2@W3+b3; z3 = softmax(a3); x = pixels/255 flattened row-major"
        ),
        source="sample_weight.pkl (oreilly-japan/deep-learning-from-scratch, ch03)",
        source_sha256=source_sha256,
    ) as f:
        for key, (meaning, axes) in PARAM_MEANING.items():
            put(f, key, params[key], meaning, axes)


def read_weights(path):
    """Weights as float64 arrays, plus the sha256 of the pickle they came from (which must
    be the verified download)."""
    expected = {"source_sha256": FILES[WEIGHTS][1]}
    with open_checked(path, expected) as f:
        params = check_params({k: f[k][()] for k in PARAM_SHAPES}, str(path))
        return params, str(f.attrs["source_sha256"])


def write_mnist(path, splits, checksums):
    """``splits``: {split: (images uint8 (n, 28, 28), labels uint8 (n,))}."""
    with atomic_h5(
        path,
        meaning="the MNIST database of handwritten digits (LeCun, Cortes, Burges)",
        source_sha256=[f"{name} {digest}" for name, digest in sorted(checksums.items())],
    ) as f:
        for split, (images, labels) in splits.items():
            g = f.create_group(split, track_order=True)
            put(
                g,
                "images",
                images,
                f"MNIST {split} images, white digit on black",
                "image, row, col",
                compress=True,
                units="gray level 0..255 (the network sees value / 255)",
            )
            put(g, "labels", labels, f"MNIST {split} labels (the digit shown)", "image")


def mnist_sources():
    """The ``source_sha256`` attribute of an mnist.h5 made from the verified downloads."""
    return [
        f"{Path(name).name} {FILES[name][1]}"
        for name in sorted(MNIST_SOURCES, key=lambda n: Path(n).name)
    ]


@contextmanager
def _mnist_split(path, split):
    """The images and labels datasets of a split of an mnist.h5 made from the verified
    downloads, after checking their shapes."""
    with open_checked(path, {"source_sha256": mnist_sources()}) as f:
        images, labels = f[split]["images"], f[split]["labels"]
        size = SPLIT_SIZES[split]
        if images.shape != (size, 28, 28) or labels.shape != (size,):
            raise KeyError(
                f"/{split} holds images {images.shape} and labels {labels.shape}, expected "
                f"{(size, 28, 28)} and {(size,)}"
            )
        yield images, labels


def read_mnist_image(path, split, index):
    """One image (uint8 28x28) and its label."""
    with _mnist_split(path, split) as (images, labels):
        return images[index], int(labels[index])


def read_mnist_range(path, split, first, stop):
    """Images [first, stop) of a split (uint8 (n, 28, 28)) and their labels."""
    with _mnist_split(path, split) as (images, labels):
        return images[first:stop], labels[first:stop]


def read_mnist_split(path, split):
    with _mnist_split(path, split) as (images, labels):
        return images[()], labels[()]


def write_values(group, values, layers, meaning):
    """Node values per layer as datasets ``<group>/<layer>`` (nodes,)."""

    for layer in layers:
        put(group, layer, values[layer], f"{meaning}; {LAYER_MEANING[layer]}", "node")


def write_baseline(path, image, values, description, weights_sha256):
    with atomic_h5(
        path,
        meaning="node values of the network for the baseline image",
        baseline=description,
        weights_sha256=weights_sha256,
    ) as f:
        put(
            f,
            "image",
            image,
            f"the baseline image: {description}",
            "row, col",
            units="pixel value / 255",
        )
        write_values(f.create_group("value", track_order=True), values, LAYERS, "f(baseline)")


def read_baseline(path, weights_sha256=None):
    """The baseline image, its node values and its description; with ``weights_sha256``,
    the file must have been computed with those weights."""
    expected = {"weights_sha256": weights_sha256} if weights_sha256 else None
    with open_checked(path, expected) as f:
        return (
            f["image"][()],
            {layer: f["value"][layer][()] for layer in LAYERS},
            str(f.attrs["baseline"]),
        )


def read_influence(path, methods, layers, expected=None):
    """What the pictures need from a sample's influence file; ``expected``: the root
    attributes the file must have (see ``provenance.influence_expected``)."""
    with open_checked(path, expected) as f:
        return {
            "sample": str(f.attrs["sample"]),
            "title": str(f.attrs["title"]),
            "image": f["image"][()],
            "probabilities": f["value"]["z3"][()],
            "maps": {m: {layer: f[m][layer][()] for layer in layers} for m in methods},
            "residuals": {
                m: {layer: f[m][f"{layer}_residual"][()] for layer in layers} for m in methods
            },
        }


FAITHFULNESS_MEANING = (
    "deletion and insertion curves: the changed pixels (x != baseline) of each node ranked by "
    "decreasing influence on the node oriented by the sign of its change f(x) - f(baseline); "
    "deletion sets them back to the baseline one at a time starting from x, insertion copies "
    "them from x into the baseline one at a time"
)
AREA_MEANING = (
    "area under the normalised {kind} curve (f(state) - f(baseline)) / (f(x) - f(baseline)) "
    "over the fraction of changed pixels moved (trapezoidal rule on [0, 1]); {better}; NaN "
    "where |f(x) - f(baseline)| < min_change"
)
BETTER = {"deletion": "lower = more faithful", "insertion": "higher = more faithful"}
RANDOM_MEANING = "a random ranking of the pixels (independent uniform scores): the chance level"


def _write_method(f, method, result, layers, baseline, dtype):
    g = f.create_group(method, track_order=True)
    g.attrs["meaning"] = METHOD_MEANING[method]
    for key, value in result["parameters"][method].items():
        g.attrs[key] = value
    for layer in layers:
        common = {"units": f"change of {layer}", "method": method, "layer": layer}
        put(
            g,
            layer,
            result["maps"][method][layer],
            f"{METHOD_MEANING[method]}; node: {LAYER_MEANING[layer]}",
            "node, row, col (pixel of the input image)",
            dtype=dtype,
            compress="maps",
            **common,
            baseline=baseline,
            computed_in="float64",
        )
        put(
            g,
            f"{layer}_residual",
            result["residuals"][method][layer],
            "f(x) - f(baseline) - sum over pixels of the map: what the per-pixel values leave "
            "unexplained (0 for a complete method; pixel interactions for insertion)",
            "node",
            **common,
        )
        if method in result["stderr"]:
            put(
                g,
                f"{layer}_stderr",
                result["stderr"][method][layer],
                "standard error of each sampled value: standard deviation of the antithetic "
                "pair means / sqrt(number of pairs)",
                "node, row, col (pixel of the input image)",
                dtype=dtype,
                compress="maps",
                **common,
            )


def _write_faithfulness(f, faithfulness, layers, settings, dtype):
    g = f.create_group("faithfulness", track_order=True)
    g.attrs["meaning"] = FAITHFULNESS_MEANING
    g.attrs["changed_pixels"] = len(faithfulness["fraction"]) - 1
    for key, value in settings.items():
        g.attrs[key] = value
    put(
        g,
        "fraction",
        faithfulness["fraction"],
        "fraction of the changed pixels moved at each step of the curves",
        "step",
    )
    for method, per_layer in faithfulness["curves"].items():
        h = g.create_group(method, track_order=True)
        h.attrs["meaning"] = RANDOM_MEANING if method == RANDOM else METHOD_MEANING[method]
        for layer in layers:
            for kind in KINDS:
                put(
                    h,
                    f"{layer}_{kind}",
                    per_layer[layer][kind],
                    f"{kind} curve: node value after each step ({FAITHFULNESS_MEANING}); "
                    f"node: {LAYER_MEANING[layer]}",
                    "node, step",
                    dtype=dtype,
                    compress=True,
                    units=f"value of {layer}",
                    method=method,
                    layer=layer,
                )
                put(
                    h,
                    f"{layer}_{kind}_auc",
                    faithfulness["areas"][method][layer][kind],
                    AREA_MEANING.format(kind=kind, better=BETTER[kind]),
                    "node",
                    units="fraction of f(x) - f(baseline)",
                    method=method,
                    layer=layer,
                )


def write_influence(
    path, result, image, baseline_image, provenance, dtype="float32", faithfulness=None, **settings
):
    """A sample's influence file; ``result`` as returned by ``methods.compute``.

    ``provenance`` holds the root attributes: sample, title, source, label, baseline,
    weights_sha256 (every value a str, int or float). ``faithfulness`` as returned by
    ``faithfulness.evaluate``, written under /faithfulness with ``settings`` as attributes.
    """
    methods = list(result["maps"])
    layers = list(next(iter(result["maps"].values())))
    with atomic_h5(
        path,
        meaning="influence of every pixel of one image on every node of the network",
        methods=methods,
        layers=layers,
        **provenance,
    ) as f:
        put(f, "image", image, "the input image x", "row, col", units="pixel value / 255")
        put(
            f,
            "baseline_image",
            baseline_image,
            f"the baseline image: {provenance['baseline']}",
            "row, col",
            units="pixel value / 255",
        )
        write_values(
            f.create_group("value", track_order=True),
            result["value"],
            LAYERS,
            "f(x): node values for x",
        )
        write_values(
            f.create_group("baseline", track_order=True),
            result["baseline"],
            LAYERS,
            "f(baseline): node values for the baseline image",
        )
        for method in methods:
            _write_method(f, method, result, layers, provenance["baseline"], dtype)
        if faithfulness is not None:
            _write_faithfulness(f, faithfulness, layers, settings, dtype)


def read_faithfulness(path, expected=None):
    """A sample's faithfulness results: sample name, layers, methods (random last),
    f(x), f(baseline), residuals, the fraction axis, curves and areas; ``expected`` as
    for ``read_influence``."""
    with open_checked(path, expected) as f:
        layers = [str(v) for v in f.attrs["layers"]]
        g = f["faithfulness"]
        names = [str(m) for m in f.attrs["methods"]] + [RANDOM]
        return {
            "sample": str(f.attrs["sample"]),
            "layers": layers,
            "methods": names,
            "value": {layer: f["value"][layer][()] for layer in layers},
            "baseline": {layer: f["baseline"][layer][()] for layer in layers},
            "residuals": {
                m: {layer: f[m][f"{layer}_residual"][()] for layer in layers}
                for m in names
                if m != RANDOM
            },
            "fraction": g["fraction"][()],
            "min_change": float(g.attrs["min_change"]),
            "curves": {
                m: {layer: {k: g[m][f"{layer}_{k}"][()] for k in KINDS} for layer in layers}
                for m in names
            },
            "areas": {
                m: {layer: {k: g[m][f"{layer}_{k}_auc"][()] for k in KINDS} for layer in layers}
                for m in names
            },
        }


def write_shared_scale(path, scales, sources):
    """``scales``: {(method, layer): largest |value| over all samples}."""
    with atomic_h5(
        path,
        meaning="gray scale shared by all samples: the largest |influence| per method and layer",
        samples=sources,
    ) as f:
        for (method, layer), value in scales.items():
            g = f.require_group(method)
            put(
                g,
                layer,
                value,
                f"largest |{method} influence| on {layer} over all samples",
                "scalar",
                units=f"change of {layer}",
            )


def read_shared_scale(path, methods, layers, sources=None):
    """{(method, layer): scale} for the given methods and layers; with ``sources``, the
    scale must have been taken over exactly those influence files."""
    expected = {"samples": list(sources)} if sources is not None else None
    with open_checked(path, expected) as f:
        return {(m, layer): float(f[m][layer][()]) for m in methods for layer in layers}


LIMBS_MEANING = (
    "exact sum on a fixed-point grid: value = hi * 2**-11 + lo * 2**-62 "
    "(see pixel_influence.sweep.Exact)"
)


def write_sweep_shard(path, sums, provenance):
    """One shard's exact per-class sums (``sweep.Sums``), merged later by ``sweep_classes``."""
    with atomic_h5(path, meaning="exact per-class sums of one shard of a sweep", **provenance) as f:
        put(f, "count", sums.count, "images per class in this shard", "class")
        put(
            f,
            "confusion",
            sums.confusion,
            "images per (label, predicted class)",
            "label, predicted",
        )
        for key in sums.shapes:
            g = f.require_group(key)
            for stat, exact in (("sum", sums.sum[key]), ("sumsq", sums.sumsq[key])):
                for limb in ("hi", "lo"):
                    put(g, f"{stat}_{limb}", getattr(exact, limb), LIMBS_MEANING, "class, ...")


class _MergedStat(Mapping):
    """{key: Exact} merged over open shard files on access, one key in memory at a time."""

    def __init__(self, files, stat, keys):
        self.files, self.stat, self.keys_ = files, stat, keys

    def __getitem__(self, key):
        total = None
        for f in self.files:
            g = f[key]
            part = Exact.of(g[f"{self.stat}_hi"][()], g[f"{self.stat}_lo"][()])
            total = part if total is None else total.merge(part)
        return total

    def __iter__(self):
        return iter(self.keys_)

    def __len__(self):
        return len(self.keys_)


class MergedShards:
    """The exact sums of several shard files, read lazily key by key (bounded memory).

    Behaves like ``sweep.Sums`` for ``sweep.moments``. Checks that the shards were made
    with the same settings and tile the images [0, images) with no gap or overlap.
    """

    SAME = ("split", "images", "layers", "methods", "config", "weights_sha256", "baseline")

    RERUN = "re-create them with: snakemake --cores 8 --forcerun sweep_shard"

    def __init__(self, files, names=None):
        self.files = files
        names = names or [f.filename for f in files]
        attrs = [dict(f.attrs) for f in files]
        for name_, a in zip(names, attrs, strict=True):
            for name in self.SAME:
                if not np.array_equal(a[name], attrs[0][name]):
                    raise InputError(f"{name_}: its {name} differs from {names[0]}'s; {self.RERUN}")
        end = 0
        for name_, a in sorted(zip(names, attrs, strict=True), key=lambda na: int(na[1]["first"])):
            if int(a["first"]) != end:
                raise InputError(
                    f"{name_}: starts at image {int(a['first'])}, expected {end}; the shards "
                    f"do not tile the split; {self.RERUN}"
                )
            end = int(a["stop"])
        if end != int(attrs[0]["images"]):
            raise InputError(
                f"the shards end at image {end}, not at {int(attrs[0]['images'])}; {self.RERUN}"
            )
        self.attrs = attrs[0]
        self.shapes = {}

        def collect(name, obj):  # returns None: visititems stops at any other value
            if name.endswith("/sum_hi"):
                self.shapes[name.rsplit("/", 1)[0]] = obj.shape[1:]

        files[0].visititems(collect)
        self.count = sum(f["count"][()] for f in files)
        self.confusion = sum(f["confusion"][()] for f in files)
        self.sum = _MergedStat(files, "sum", list(self.shapes))
        self.sumsq = _MergedStat(files, "sumsq", list(self.shapes))


@contextmanager
def merged_sweep_shards(paths, expected=None):
    """Open the shard files of a sweep and yield their ``MergedShards``; ``expected``: the
    root attributes every shard must have (the sweep's ``config``, ``weights_sha256``)."""
    with ExitStack() as stack:
        files = [stack.enter_context(open_checked(p, expected)) for p in paths]
        yield MergedShards(files, [str(p) for p in paths])


def _put_moments(g, name, mean, std, meaning, axes, dtype, compress=False, **attrs):
    """Datasets ``<name>_mean`` and ``<name>_std`` of a per-class statistic."""
    put(
        g,
        f"{name}_mean",
        mean,
        f"mean over the class of: {meaning}",
        axes,
        dtype,
        compress,
        **attrs,
    )
    put(
        g,
        f"{name}_std",
        std,
        f"standard deviation (ddof=1) over the class of: {meaning}",
        axes,
        dtype,
        compress,
        **attrs,
    )


def write_classes(
    path, sums, layers, methods, provenance, dtype="float32", parameters=None, shape=(28, 28)
):
    """Per-class statistics of a sweep from its merged exact ``sums``; ``parameters``
    {method: {name: value}} become attributes of ``/<method>``, as in a sample's file."""
    classes = len(sums.count)
    with atomic_h5(
        path,
        meaning="influence of every pixel on every node, averaged per class (digit label) "
        "over a whole MNIST split",
        methods=list(methods),
        layers=list(layers),
        **provenance,
    ) as f:
        put(f, "count", sums.count, "images per class (label)", "class")
        put(
            f,
            "confusion",
            sums.confusion,
            "images per (label, predicted class = argmax of z3)",
            "label, predicted",
        )
        mean, std = moments(sums, "image")
        _put_moments(
            f,
            "image",
            mean.reshape((classes,) + shape),
            std.reshape((classes,) + shape),
            "the input image x",
            "class, row, col",
            dtype,
            units="pixel value / 255",
        )
        mean, std = moments(sums, "value")
        g = f.create_group("value", track_order=True)
        mean, std = split_layers(mean, LAYERS), split_layers(std, LAYERS)
        for layer in LAYERS:
            _put_moments(
                g,
                layer,
                mean[layer],
                std[layer],
                f"f(x); {LAYER_MEANING[layer]}",
                "class, node",
                dtype,
                units=f"value of {layer}",
            )
        for method in methods:
            g = f.create_group(method, track_order=True)
            g.attrs["meaning"] = METHOD_MEANING[method]
            for key, value in (parameters or {}).get(method, {}).items():
                g.attrs[key] = value
            maps_mean, maps_std = moments(sums, f"{method}/maps")
            # (class, pixel, node) -> (class, node, row, col)
            maps_mean, maps_std = (
                split_layers(a.transpose(0, 2, 1).reshape((classes, -1) + shape), layers)
                for a in (maps_mean, maps_std)
            )
            res_mean, res_std = (
                split_layers(a, layers) for a in moments(sums, f"{method}/residual")
            )
            for layer in layers:
                common = {"units": f"change of {layer}", "method": method, "layer": layer}
                _put_moments(
                    g,
                    layer,
                    maps_mean[layer],
                    maps_std[layer],
                    f"{METHOD_MEANING[method]}; node: {LAYER_MEANING[layer]}",
                    "class, node, row, col (pixel of the input image)",
                    dtype,
                    "maps",
                    **common,
                )
                _put_moments(
                    g,
                    f"{layer}_residual",
                    res_mean[layer],
                    res_std[layer],
                    "f(x) - f(baseline) - sum over pixels of the map",
                    "class, node",
                    dtype,
                    **common,
                )


def read_class(path, label, methods, layers, shared_scale=False, expected=None):
    """What the picture of one class needs from a sweep's classes.h5; with
    ``shared_scale``, also {(method, layer): largest |mean| over all classes}; ``expected``:
    the root attributes the file must have (the sweep's ``config``, ``weights_sha256``)."""
    with open_checked(path, expected) as f:
        out = {
            "split": str(f.attrs["split"]),
            "count": int(f["count"][label]),
            "predicted_right": int(f["confusion"][label, label]),
            "image": f["image_mean"][label],
            "probabilities": f["value"]["z3_mean"][label],
            "maps": {m: {layer: f[m][f"{layer}_mean"][label] for layer in layers} for m in methods},
            "residuals": {
                m: {layer: f[m][f"{layer}_residual_mean"][label] for layer in layers}
                for m in methods
            },
            "shared_scale": None,
        }
        if shared_scale:
            out["shared_scale"] = {
                (m, layer): float(np.nanmax(np.abs(f[m][f"{layer}_mean"][()]), initial=0.0))
                for m in methods
                for layer in layers
            }
        return out
