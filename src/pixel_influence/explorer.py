"""The explorer: one self-contained HTML page where a person draws a digit and watches the
maps of every node change, computed live in the page.

The page is assembled from the template and scripts in ``pixel_influence/web`` (real
.html/.js/.css files) and a JSON block of data: the network's weights, the baseline, the
configured samples with their Shapley maps (too slow to recompute live) and, with a sweep,
the per-class means, and the colour maps of ``render.shading`` (so that the page draws the
pictures' very colours). Nothing is fetched when the page runs, so it works opened from disk.
Any network of ``pixel_influence.network`` works: its layers, widths, activation and meanings
travel with the weights, and the output nodes are labelled with the classes' names when given
(``class_names``; None: the digits 0..9, and the book's page keeps its bytes).
Arrays travel as base64 of little-endian bytes, described by ``encode`` (web/decode.js reads
them back):

- float64/float32/uint8/uint16 arrays exactly; Shapley maps as stored in the sample files
  with their bytes regrouped by significance ("shuffle") and deflated, which saves 20 %
  losslessly;
- the sweep's class-mean maps, 5 million values, as int8 on a symmetric scale per (class,
  layer), deflated: the 127 levels a side that the page's gray or colour scale can show.
  The exact numbers stay in classes.h5; the page says so where it shows them.
"""

import base64
import html
import json
import zlib
from importlib import resources
from pathlib import Path

import numpy as np

from . import SOFTWARE
from .errors import InputError
from .files import atomic_write
from .h5io import (
    class_counts,
    class_images_of,
    class_maps_of,
    class_names_of,
    class_residuals_of,
    class_values_of,
    image_of,
    maps_of,
    read_baseline,
    read_weights,
    values_of,
)
from .hdf5 import open_checked
from .methods import METHODS, method_meaning, parameters_of
from .network import (
    activation_of,
    forward,
    layer_meaning,
    layer_names,
    layer_sizes,
    weight_keys,
)
from .render.shading import COLORMAPS, LUTS

__all__ = [
    "FORMAT_VERSION",
    "LIVE_METHODS",
    "PRECOMPUTED_METHODS",
    "TEMPLATE_PARTS",
    "build",
    "check_class_names",
    "classes_data",
    "data_of",
    "decode",
    "encode",
    "network_data",
    "page",
    "quantize",
    "sample_data",
    "size_text",
    "sizes",
    "write",
]

FORMAT_VERSION = 1  # of the JSON block; web/explorer.js refuses any other
# methods the page computes itself, and the one it only shows from the samples' files
LIVE_METHODS = ("insertion", "occlusion", "gradient_input", "integrated_gradients", "deeplift")
PRECOMPUTED_METHODS = ("shapley_sampling",)
# the template's markers and the package files inlined in their place, in page order
TEMPLATE = "explorer.html"
TEMPLATE_PARTS = {
    "/*@explorer.css*/": "explorer.css",
    "/*@kernels.js*/": "kernels.js",
    "/*@decode.js*/": "decode.js",
    "/*@explorer.js*/": "explorer.js",
}
DATA_MARKER = "/*@data*/"
DATA_OPENING = '<script type="application/json" id="explorer-data">'  # in the template
TITLE_MARKER = "@title"
QUANTUM = 127  # int8 levels on each side of zero
# values of f(x) recomputed here from the embedded image and weights must match the file's
VALUE_TOLERANCE = 1e-9


def _web(name):
    return (resources.files(__package__) / "web" / name).read_text(encoding="utf-8")


def encode(array, dtype, shuffle=False, deflate=False, scale=None):
    """A JSON-able description of ``array`` stored as ``dtype`` (little-endian, C order).

    ``shuffle`` regroups the bytes by significance (all first bytes, then all second bytes,
    ...) before ``deflate`` compresses them; ``scale`` (one value per index of the first
    axis) says the values are ``stored / 127 * scale`` (see ``quantize``).
    """
    a = np.ascontiguousarray(np.asarray(array), dtype=np.dtype(dtype).newbyteorder("<"))
    data = a.tobytes()
    if shuffle and a.itemsize > 1:
        data = np.frombuffer(data, np.uint8).reshape(-1, a.itemsize).T.tobytes()
    if deflate:
        data = zlib.compress(data, 9)
    out = {"dtype": np.dtype(dtype).name, "shape": list(a.shape)}
    if shuffle:
        out["shuffle"] = True
    if deflate:
        out["deflate"] = True
    if scale is not None:
        out["scale"] = [float(s) for s in np.asarray(scale, dtype=np.float64).reshape(-1)]
    out["data"] = base64.b64encode(data).decode("ascii")
    return out


def decode(spec):
    """An array of the page's data back as numpy: the inverse of ``encode`` (and the Python
    twin of web/decode.js), for reading a built page."""
    data = base64.b64decode(spec["data"])
    if spec.get("deflate"):
        data = zlib.decompress(data)
    dtype = np.dtype(spec["dtype"]).newbyteorder("<")
    if spec.get("shuffle"):
        data = np.frombuffer(data, np.uint8).reshape(dtype.itemsize, -1).T.tobytes()
    values = np.frombuffer(data, dtype).reshape(spec["shape"])
    if "scale" in spec:
        scale = np.asarray(spec["scale"]).reshape((-1,) + (1,) * (values.ndim - 1))
        return values / QUANTUM * scale
    return values


def data_of(html_text):
    """The JSON block of a built page's HTML text, parsed."""
    start = html_text.index(DATA_OPENING) + len(DATA_OPENING)
    return json.loads(html_text[start : html_text.index("</script>", start)])


def quantize(values):
    """int8 values and one symmetric scale per index of the first axis: values[k] is
    ``q[k] / 127 * scale[k]`` to within half a level (scale / 254)."""
    values = np.asarray(values, dtype=np.float64)
    scale = np.abs(values.reshape(values.shape[0], -1)).max(axis=1)
    safe = np.where(scale > 0, scale, 1.0).reshape((-1,) + (1,) * (values.ndim - 1))
    return np.rint(values / safe * QUANTUM).astype(np.int8), scale


def _exact_float(values):
    """float32 when that holds every value exactly, else float64."""
    values = np.asarray(values)
    return "float32" if np.array_equal(values.astype(np.float32), values) else "float64"


def network_data(params, weights_sha256):
    """The weights and biases, in the narrowest float type that holds them exactly, with the
    network's layers (a1 ... zL), their widths and meanings and, when it is not the book's
    sigmoid, the hidden layers' ``activation``."""
    layers = layer_names(params)
    sizes = layer_sizes(params)
    out = {
        "layers": list(layers),
        "sizes": {layer: int(sizes[layer]) for layer in layers},
        "meaning": {layer: layer_meaning(layer, params) for layer in layers},
        "weights_sha256": weights_sha256,
        "params": {k: encode(params[k], _exact_float(params[k])) for k in weight_keys(params)},
    }
    if activation_of(params) != "sigmoid":  # absent: sigmoid (the book's page keeps its bytes)
        out["activation"] = activation_of(params)
    return out


def check_class_names(class_names, classes, source="explorer"):
    """``class_names`` as a list of str, one per output node (``classes`` of them), or None
    (the digits); anything else is refused with a message naming it."""
    if class_names is None:
        return None
    if isinstance(class_names, str) or not all(isinstance(n, str) for n in class_names):
        raise InputError(f"{source}: class_names must be a list of str, got {class_names!r}")
    names = list(class_names)
    if len(names) != classes:
        raise InputError(
            f"{source}: {len(names)} class names {names!r} for a network of {classes} "
            "output nodes; expected one name per output node"
        )
    return names


def sample_data(name, title, source, label, image, shapley=None):
    """One configured sample: its image (float64, exactly as in its file) and, if computed,
    its Shapley maps {layer: (nodes, 784)} on the pixels that differ from the baseline
    (the others are 0 by construction), in the narrowest float type that holds them."""
    image = np.asarray(image, dtype=np.float64).reshape(-1)
    out = {
        "name": name,
        "title": title,
        "source": source,
        "label": None if label is None or label < 0 else int(label),
        "image": encode(image, "float64"),
    }
    if shapley:
        changed = np.flatnonzero(np.any([np.any(m != 0, axis=0) for m in shapley.values()], 0))
        out["shapley_sampling"] = {
            "pixels": encode(changed, "uint16"),
            "maps": {
                layer: _exact_maps(np.asarray(maps).reshape(maps.shape[0], -1)[:, changed])
                for layer, maps in shapley.items()
            },
        }
    return out


def _exact_maps(values):
    """Maps as stored (float32, or float64 with ``influence_dtype: float64``), bit for bit."""
    return encode(values, _exact_float(values), shuffle=True, deflate=True)


def classes_data(split, count, image, values, maps, residuals):
    """A sweep's per-class means: ``image`` (class, 784); ``values`` {layer: (class,
    nodes)}; ``maps`` {method: {layer: (class, nodes, 784)}}, stored as int8 on a scale
    per (class, layer) (``quantize``); ``residuals`` {method: {layer: (class, nodes)}}."""
    return {
        "split": split,
        "count": [int(c) for c in count],
        "image": encode(np.asarray(image).reshape(len(count), -1), "float32"),
        "values": {layer: encode(v, "float32") for layer, v in values.items()},
        "maps": {
            method: {
                layer: _quantized(np.asarray(m).reshape(m.shape[0], m.shape[1], -1))
                for layer, m in by_layer.items()
            }
            for method, by_layer in maps.items()
        },
        "residuals": {
            method: {layer: encode(r, "float32") for layer, r in by_layer.items()}
            for method, by_layer in residuals.items()
        },
    }


def _quantized(values):
    q, scale = quantize(values)
    return encode(q, "int8", deflate=True, scale=scale)


def build(
    network,
    baseline_image,
    baseline_text,
    samples,
    layers,
    parameters,
    classes=None,
    class_names=None,
):
    """The page's JSON block: ``layers`` are selected first; ``parameters`` {method:
    {name: value}} override the defaults of the live methods (integrated gradients'
    quadrature points, as the pipeline used them); ``class_names``: one name per output
    node, or None for the digits (then the block holds no ``class_names``)."""
    every = network["layers"]
    for layer in layers:
        if layer not in every:
            raise InputError(f"explorer: unknown layer {layer!r}, expected one of {list(every)}")
    outputs = network["sizes"][every[-1]]
    class_names = check_class_names(class_names, outputs)
    if classes is not None and len(classes["count"]) != outputs:
        raise InputError(
            f"explorer: the sweep has {len(classes['count'])} classes, the network "
            f"{outputs} output nodes"
        )
    activation = network.get("activation", "sigmoid")
    methods = list(LIVE_METHODS) + [m for m in PRECOMPUTED_METHODS if any(m in s for s in samples)]
    data = {
        "format_version": FORMAT_VERSION,
        "created_by": SOFTWARE,
        "network": network,
        "baseline": {
            "image": encode(np.asarray(baseline_image).reshape(-1), "float64"),
            "description": baseline_text,
        },
        "layers": list(layers),
        "methods": methods,
        "live_methods": list(LIVE_METHODS),
        "method_meaning": {m: method_meaning(m, activation) for m in methods},
        "complete": {m: METHODS[m].complete for m in methods},
        "parameters": {m: parameters_of(m, parameters) for m in methods},
        "samples": samples,
        "classes": classes,
        # the pictures' colour maps (256 RGB rows, indexed by gray level): one definition
        "colormaps": {name: encode(LUTS[name], "uint8") for name in COLORMAPS},
    }
    if class_names is not None:  # absent: the digits (the default page keeps its bytes)
        data["class_names"] = class_names
    return data


def page(data, title="Pixel influence explorer"):
    """The HTML text: the template with its stylesheet, scripts and ``data`` inlined."""
    text = _web(TEMPLATE)
    for marker, name in TEMPLATE_PARTS.items():
        part = _web(name)
        if "</script" in part.lower() or "</style" in part.lower():
            raise InputError(f"web/{name} contains '</script' or '</style', which would end it")
        text = _replace_once(text, marker, part)
    # "<" escaped: no text of the data (a sample's title) can close the script element
    block = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    text = _replace_once(text, DATA_MARKER, block)
    return text.replace(TITLE_MARKER, html.escape(title))


def _replace_once(text, marker, part):
    if text.count(marker) != 1:
        raise InputError(f"web/{TEMPLATE}: expected the marker {marker} once")
    head, tail = text.split(marker)
    return head + part + tail


def sizes(data):
    """Bytes of the page's data by part, for the log and the README."""

    def length(x):
        return len(json.dumps(x, separators=(",", ":")))

    out = {"network": length(data["network"]), "baseline": length(data["baseline"])}
    out["samples"] = sum(
        length({k: v for k, v in s.items() if k != "shapley_sampling"}) for s in data["samples"]
    )
    out["shapley_sampling"] = sum(length(s.get("shapley_sampling", {})) for s in data["samples"])
    out["classes"] = length(data["classes"]) if data["classes"] else 0
    return out


def size_text(measured):
    """``sizes`` (with "page") as one line: "4.75 MB: network 0.24 MB, ..."."""
    parts = ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in measured.items() if k != "page")
    return f"{measured['page'] / 1e6:.2f} MB ({parts}, the rest the page's code)"


# ---- reading the pipeline's files --------------------------------------------------


def _sample_from_file(path, params, baseline, weights_sha256, expected=None):
    with open_checked(path, expected) as f:
        attrs = f.attrs
        if str(attrs["weights_sha256"]) != weights_sha256:
            raise InputError(
                f"{path}: computed with other weights (weights_sha256 "
                f"{attrs['weights_sha256']}, the page's weights {weights_sha256}); "
                "re-run the workflow so that every file comes from the same network"
            )
        image = image_of(f)[()]
        value = forward(params, image.reshape(-1))
        for layer in layer_names(params):
            stored = values_of(f, layer)[()]
            if not np.allclose(value[layer], stored, rtol=0, atol=VALUE_TOLERANCE):
                raise InputError(
                    f"{path}: its f(x) of layer {layer} is not what the page's network "
                    "computes for its image; re-run the workflow"
                )
        if not np.array_equal(f["baseline_image"][()], baseline):
            raise InputError(f"{path}: computed for another baseline image than the page's")
        methods = [str(m) for m in attrs["methods"]]
        layers = [str(layer) for layer in attrs["layers"]]
        shapley = None
        if "shapley_sampling" in methods:
            shapley = {layer: maps_of(f, "shapley_sampling", layer)[()] for layer in layers}
        parameters = {m: dict(f[m].attrs) for m in methods}
        return (
            sample_data(
                str(attrs["sample"]),
                str(attrs["title"]),
                str(attrs.get("source", "")),
                int(attrs["label"]) if "label" in attrs else None,
                image,
                shapley,
            ),
            parameters,
            layers,
        )


def _classes_from_file(path, params, weights_sha256, expected=None):
    """The sweep's class means for the page, and the class names the file holds (or None)."""
    with open_checked(path, expected) as f:
        if str(f.attrs["weights_sha256"]) != weights_sha256:
            raise InputError(
                f"{path}: the sweep was computed with other weights than the page's; re-run it"
            )
        methods = [str(m) for m in f.attrs["methods"]]
        layers = [str(layer) for layer in f.attrs["layers"]]
        out = classes_data(
            str(f.attrs["split"]),
            class_counts(f)[()],
            class_images_of(f)[()],
            {layer: class_values_of(f, layer)[()] for layer in layer_names(params)},
            {},
            {m: {layer: class_residuals_of(f, m, layer)[()] for layer in layers} for m in methods},
        )
        # one method and layer in memory at a time: a sweep of every method and layer holds
        # 60 MB of float32 maps
        for m in methods:
            out["maps"][m] = {}
            for layer in layers:
                maps = class_maps_of(f, m, layer)[()]
                out["maps"][m][layer] = _quantized(maps.reshape(maps.shape[0], maps.shape[1], -1))
        return out, class_names_of(f)


def _default_layers(params):
    """The layers a page of no sample files shows first: each hidden layer's output and the
    output's logits and probabilities (the book's z1, z2, a3, z3)."""
    every = layer_names(params)
    return [layer for layer in every[:-2] if layer[0] == "z"] + list(every[-2:])


def _method_parameters(found, configured):
    """Parameters of the live methods: the configured ones, else those in the files."""
    out = {}
    for parameters in found:
        for method, values in parameters.items():
            kept = {
                k: v.item() if hasattr(v, "item") else v
                for k, v in values.items()
                if k in METHODS[method].parameters
            }
            out.setdefault(method, kept)
    for method, values in (configured or {}).items():
        out[method] = dict(values)
    return out


def write(
    output,
    weights,
    baseline,
    influence,
    classes=None,
    layers=None,
    parameters=None,
    expected=None,
    class_names=None,
    source_sha256=None,
):
    """Build the page from the workflow's files and write it atomically to ``output``.

    ``weights``/``baseline``: results/network/weights.h5 and baseline.h5; ``influence``:
    sample files (results/influence/<sample>.h5), in the order the page lists them;
    ``classes``: a sweep's classes.h5 or None; ``layers``: the layers selected first
    (default: those of the samples' files); ``parameters``: the configured method
    parameters (default: as recorded in the files); ``expected``: {path: the root attributes
    that file must have} (the workflow's provenance checks); ``class_names``: one name per
    output node (None: those of ``classes`` if it names them, else the digits; names that
    differ from the sweep's are refused); ``source_sha256``: the sha256 of the network's
    source that ``weights`` must record (the workflow's configured network; None: the file's
    own, any network's weights.h5). Returns ``sizes`` of the data and of the whole page, in
    bytes.
    """
    expected = expected or {}
    if source_sha256 is None:
        with open_checked(weights) as f:
            source_sha256 = str(f.attrs["source_sha256"])
    params, weights_sha256 = read_weights(weights, source_sha256)
    baseline_image, _, baseline_text = read_baseline(baseline, weights_sha256)
    samples, found, file_layers = [], [], []
    for path in influence:
        sample, recorded, sample_layers = _sample_from_file(
            path, params, baseline_image, weights_sha256, expected.get(path)
        )
        samples.append(sample)
        found.append(recorded)
        file_layers += [layer for layer in sample_layers if layer not in file_layers]
    names = [s["name"] for s in samples]
    if len(set(names)) != len(names):
        raise InputError(f"explorer: two files hold the same sample name: {names}")
    sweep = None
    if classes:
        sweep, named = _classes_from_file(classes, params, weights_sha256, expected.get(classes))
        if named is not None and class_names is not None and list(named) != list(class_names):
            raise InputError(
                f"{classes}: the sweep's classes are named {list(named)}, the page's "
                f"{list(class_names)}; re-run the sweep for this dataset"
            )
        class_names = class_names if class_names is not None else named
    data = build(
        network_data(params, weights_sha256),
        baseline_image,
        baseline_text,
        samples,
        layers or file_layers or _default_layers(params),
        _method_parameters(found, parameters),
        sweep,
        class_names,
    )
    text = page(data)
    with atomic_write(output) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    measured = sizes(data)
    measured["page"] = len(text.encode("utf-8"))
    return measured
