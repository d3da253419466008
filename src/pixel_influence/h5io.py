"""HDF5 files that explain themselves, written atomically.

Every dataset carries ``meaning`` and ``axes`` attributes (and ``units`` where there are
any); every file carries ``format_version`` and ``software`` at the root. A file is written
to a temporary name in the same folder and renamed into place, so a killed job never leaves
a half-written file at the final path.
"""

import os
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

from . import SOFTWARE
from .errors import InputError
from .files import CRASH_VARIABLE, atomic_write, crash_point
from .faithfulness import KINDS, RANDOM
from .methods import METHOD_MEANING
from .network import LAYER_MEANING, LAYERS, PARAM_MEANING, PARAM_SHAPES, check_params

FORMAT_VERSION = 1

_writing = {}  # temporary file name -> [final path, datasets written], for crash tests
CRASH_AFTER = 5  # the "writing" crash point fires after this many datasets


@contextmanager
def atomic_h5(path, **root_attrs):
    """Open a new HDF5 file for writing; it appears at ``path`` only if the block succeeds."""
    with atomic_write(path) as tmp, h5py.File(tmp, "w", track_order=True) as f:
        _writing[f.filename] = [Path(path), 0]
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["software"] = SOFTWARE
        for key, value in root_attrs.items():
            f.attrs[key] = value
        try:
            yield f
        finally:
            _writing.pop(f.filename, None)


def put(group, name, data, meaning, axes, dtype=None, compress=False, **attrs):
    """Create dataset ``name`` with its describing attributes; returns the dataset."""
    data = np.asarray(data, dtype=dtype)
    options = {"compression": "gzip", "compression_opts": 4, "shuffle": True} if compress else {}
    ds = group.create_dataset(name, data=data, track_times=False, **options)
    state = _writing.get(group.file.filename)
    if state is not None:
        state[1] += 1
        if state[1] == CRASH_AFTER and os.environ.get(CRASH_VARIABLE) == f"{state[0].name}:writing":
            group.file.flush()  # some datasets on disk, not all: a half-written file
            crash_point(state[0], "writing")
    ds.attrs["meaning"] = meaning
    ds.attrs["axes"] = axes
    for key, value in attrs.items():
        ds.attrs[key] = value
    return ds


def open_checked(path):
    """Open an HDF5 file of this project for reading, refusing other format versions."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(
            f"{path}: not a readable HDF5 file ({e}); delete it and re-run the workflow"
        ) from None
    version = f.attrs.get("format_version")
    if isinstance(version, np.generic):
        version = version.item()
    if version != FORMAT_VERSION or isinstance(version, bool):
        f.close()
        found = (
            "has no format_version attribute (not written by this workflow?)"
            if version is None
            else f"format_version {version!r}"
        )
        raise InputError(
            f"{path}: {found}, this software ({SOFTWARE}) reads version "
            f"{FORMAT_VERSION}; re-run the workflow to regenerate it"
        )
    return f


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
    """Weights as float64 arrays, plus the sha256 of the pickle they came from."""

    with open_checked(path) as f:
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


def read_mnist_image(path, split, index):
    """One image (uint8 28x28) and its label."""
    with open_checked(path) as f:
        return f[split]["images"][index], int(f[split]["labels"][index])


def read_mnist_split(path, split):
    with open_checked(path) as f:
        return f[split]["images"][()], f[split]["labels"][()]


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


def read_baseline(path):

    with open_checked(path) as f:
        return (
            f["image"][()],
            {layer: f["value"][layer][()] for layer in LAYERS},
            str(f.attrs["baseline"]),
        )


def read_influence(path, methods, layers):
    """What the pictures need from a sample's influence file."""
    with open_checked(path) as f:
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
        put(
            g,
            layer,
            result["maps"][method][layer],
            f"{METHOD_MEANING[method]}; node: {LAYER_MEANING[layer]}",
            "node, row, col (pixel of the input image)",
            dtype=dtype,
            units=f"change of {layer}",
            method=method,
            layer=layer,
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
            units=f"change of {layer}",
            method=method,
            layer=layer,
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
                units=f"change of {layer}",
                method=method,
                layer=layer,
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


def read_faithfulness(path):
    """A sample's faithfulness results: sample name, layers, methods (random last),
    f(x), f(baseline), residuals, the fraction axis, curves and areas."""
    with open_checked(path) as f:
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


def read_shared_scale(path):
    with open_checked(path) as f:
        return {(m, layer): float(f[m][layer][()]) for m in f for layer in f[m]}
