"""Readable summaries of this project's HDF5 files, as lines of text.

``python -m pixel_influence inspect FILE`` prints what ``summary_lines`` returns: the root
attributes, a tree of the groups and datasets (shape with named axes, dtype, units and
meaning) and, for a sample's influence file or a sweep's classes.h5, the top pixels per node:
the pixels of largest |influence| with their (row, col) and value, next to the node's
f(x) - f(baseline) and residual. Every function here returns strings and prints nothing.
"""

import json
import textwrap

import h5py
import numpy as np

from . import h5io
from .errors import InputError
from .hdf5 import open_checked
from .interactions import ENDS
from .network import LAYER_MEANING
from .provenance import short

__all__ = [
    "FOREIGN",
    "INDENT",
    "OUTPUT_LAYERS",
    "SCALE_ATTRS",
    "TOP",
    "WIDTH",
    "attribute_lines",
    "attribute_text",
    "axis_names",
    "class_count_lines",
    "clip",
    "default_layer",
    "influence_index",
    "inspect_hint",
    "interaction_lines",
    "is_scale",
    "number",
    "output_layers_of",
    "shape_text",
    "summary_lines",
    "top_lines",
    "top_pixels",
    "tree_lines",
    "wrap",
]

WIDTH = 100  # columns of the output
TOP = 3  # pixels per node by default
INDENT = "  "
# attributes that HDF5 dimension scales keep for themselves (h5py: ds.dims, make_scale)
SCALE_ATTRS = {"CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST", "DIMENSION_LABELS"}
OUTPUT_LAYERS = ("a3", "z3")  # node j is digit j: the largest f(x) is the prediction


# ---- text helpers ---------------------------------------------------------------------


def clip(text, width, squeeze=True):
    """``text`` cut to ``width`` characters with an ellipsis; ``squeeze``: on one line, runs
    of white space as one space (leading indentation kept)."""
    text = str(text)
    if squeeze:
        indent = text[: len(text) - len(text.lstrip(" "))]
        text = indent + " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def wrap(label, text, width=WIDTH, indent=""):
    """``label`` then ``text`` wrapped to ``width``, continuation lines aligned under it."""
    lines = textwrap.wrap(
        " ".join(str(text).split()) or "''",
        width=width,
        initial_indent=indent + label,
        subsequent_indent=indent + " " * (len(label) if len(label) <= 40 else 4),
        break_on_hyphens=False,
    )
    return lines or [indent + label]


def number(value):
    """A float in 9 characters: sign and three significant digits."""
    value = float(value)
    return f"{value:+.2e}" if np.isfinite(value) else f"{value:>9}"


def _plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, h5py.Reference | h5py.RegionReference):
        return "<reference>"
    if isinstance(value, np.generic):
        return value.item()
    return value


def attribute_text(value, full=False):
    """An attribute's value as text: arrays of strings joined by commas, sha256 digests
    cut to 12 hex digits (unless ``full``)."""
    value = _plain(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OSU":
            text = ", ".join(str(_plain(v)) for v in value.ravel())
        else:
            text = np.array2string(value, separator=", ", threshold=20 if not full else 10**9)
    else:
        text = str(value)
    return text if full else short(text)


def _flatten(value, prefix=""):
    """A parsed JSON config as key=value items: nested keys joined by dots."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield f"{prefix}={_json_text(value)}"


def _json_text(value):
    """A JSON value compactly: strings and lists of strings without quotes."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(map(_json_text, value)) + "]"
    return json.dumps(value, separators=(", ", ": "))


def attribute_lines(attrs, full=False, width=WIDTH, indent=INDENT, skip=()):
    """One wrapped ``key: value`` entry per attribute; a JSON object (``config``) is shown
    as dotted key=value items."""
    lines = []
    for key in attrs:
        if key in SCALE_ATTRS or key in skip:
            continue
        try:
            value = attrs[key]
        except (OSError, TypeError):  # a type h5py cannot read
            lines.append(f"{indent}{key}: <unreadable>")
            continue
        text = attribute_text(value, full)
        if text.startswith("{"):
            try:
                parsed = json.loads(attribute_text(value, full=True))
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                items = [attribute_text(item, full) for item in _flatten(parsed)]
                text = ", ".join(items) if items else "{}"
        if not full and len(text) > 4 * width:
            text = text[: 3 * width] + f"… ({len(text)} characters; --full shows them all)"
        lines += wrap(f"{key}: ", text, width, indent)
    return lines


# ---- the tree of groups and datasets --------------------------------------------------


def _dimension_attr_ok(ds, name):
    """Whether the HDF5 dimension-scale attribute ``name`` of ``ds`` is absent or has the
    form the HDF5 library expects: its dimension-scale functions trust it, and one of
    another type or shape crashes the whole process instead of raising an error."""
    if name not in ds.attrs:
        return True
    try:
        attr = ds.attrs.get_id(name)
        kind, shape = attr.get_type().get_class(), attr.shape
    except (OSError, KeyError, RuntimeError, ValueError):
        return False
    if name == "DIMENSION_LABELS":
        return kind == h5py.h5t.STRING and shape == (ds.ndim,)
    if name == "DIMENSION_LIST":
        return kind == h5py.h5t.VLEN and shape == (ds.ndim,)
    if name == "REFERENCE_LIST":
        return kind == h5py.h5t.COMPOUND and len(shape) == 1
    if name in ("CLASS", "NAME"):
        return kind == h5py.h5t.STRING and shape == ()
    return True


def _dims_ok(ds, *names):
    return ds.ndim > 0 and all(_dimension_attr_ok(ds, n) for n in names)


def axis_names(ds):
    """Names of the dimensions of a dataset: its dimension labels, else its ``axes``
    attribute ("node, row, col (pixel of the input image)" -> node, row, col)."""
    labels = []
    if _dims_ok(ds, "DIMENSION_LABELS"):
        try:
            labels = [d.label for d in ds.dims]
        except (OSError, RuntimeError, KeyError, ValueError, TypeError):
            labels = []
    if labels and all(labels):
        return labels
    axes = ds.attrs.get("axes")
    if isinstance(axes, bytes):
        axes = axes.decode("utf-8", "replace")
    if isinstance(axes, str) and ds.ndim:
        names = [part.split("(")[0].strip() for part in axes.split(",")]
        if len(names) == ds.ndim and all(names):
            return names
    return None


def shape_text(ds):
    """``{node 10, row 28, col 28}`` (or ``{10, 28, 28}`` without axis names), ``scalar``."""
    if ds.shape is None:
        return "empty"
    if ds.ndim == 0:
        return "scalar"
    names = axis_names(ds)
    if names is None:
        return "{" + ", ".join(map(str, ds.shape)) + "}"
    return "{" + ", ".join(f"{n} {s}" for n, s in zip(names, ds.shape, strict=True)) + "}"


def is_scale(ds):
    if not _dimension_attr_ok(ds, "CLASS") or not _dimension_attr_ok(ds, "REFERENCE_LIST"):
        return False
    try:
        return bool(h5py.h5ds.is_scale(ds.id))
    except (TypeError, ValueError, RuntimeError, OSError, KeyError):
        return False


def _is_index_scale(ds):
    """A dimension scale that only numbers its axis: 0, 1, ..., n-1."""
    if not is_scale(ds) or ds.ndim != 1 or ds.dtype.kind not in "iu" or ds.size > 10**5:
        return False
    return bool(np.array_equal(ds[()], np.arange(ds.shape[0])))


def _text_attr(obj, key):
    value = obj.attrs.get(key)
    return None if value is None else attribute_text(value)


def _signature(group):
    """What a group holds (names, shapes, dtypes, recursively): equal for groups laid out
    alike, such as the method groups of an influence file."""
    out = []
    for name, obj in group.items():
        if isinstance(obj, h5py.Group):
            out.append((name, _signature(obj)))
        elif isinstance(obj, h5py.Dataset):
            out.append((name, obj.shape, str(obj.dtype)))
    return tuple(out)


def _count_datasets(group):
    found = []
    group.visititems(lambda _, obj: found.append(1) if isinstance(obj, h5py.Dataset) else None)
    return len(found)


def _storage(ds):
    parts = []
    if ds.compression:
        parts.append(f"{ds.compression} {ds.compression_opts}")
    if ds.shuffle:
        parts.append("shuffle")
    if ds.chunks:
        parts.append(f"chunks {ds.chunks}")
    return ", ".join(parts) or "contiguous"


def _dataset_lines(name, ds, pads, depth, parent_meaning, full, width):
    indent = INDENT * depth
    name_pad, shape_pad, dtype_pad = pads
    head = (
        f"{indent}{name:<{name_pad}}  {shape_text(ds):<{shape_pad}}  {str(ds.dtype):<{dtype_pad}}"
    )
    head = head.rstrip()
    units = _text_attr(ds, "units")
    meaning = _text_attr(ds, "meaning") or ""
    if not full:
        if parent_meaning and meaning.startswith(parent_meaning + "; "):
            meaning = meaning[len(parent_meaning) + 2 :]  # said on the group's line
        rest = " ".join(filter(None, [f"[{units}]" if units else "", meaning]))
        room = width - len(head) - 2
        if rest and room >= 12:
            return [f"{head}  {clip(rest, room)}"]
        return [head] + ([clip(f"{indent}{INDENT * 2}{rest}", width)] if rest else [])
    lines = [head]
    inner = indent + INDENT * 2
    if is_scale(ds):
        lines.append(f"{inner}dimension scale")
    lines += attribute_lines(ds.attrs, True, width, inner)
    try:
        attached = []
        if _dims_ok(ds, "DIMENSION_LIST"):
            attached = [", ".join(str(s.name) for s in d.values()) for d in ds.dims]
    except (OSError, RuntimeError, KeyError):
        attached = []
    if any(attached):
        names = axis_names(ds) or [str(i) for i in range(ds.ndim)]
        lines += wrap(
            "dimension scales: ",
            "; ".join(f"{n}: {a or '-'}" for n, a in zip(names, attached, strict=True)),
            width,
            inner,
        )
    lines.append(f"{inner}storage: {_storage(ds)}")
    return lines


def _group_line(name, group, depth, full, width, parent_meaning=None):
    """``name/`` with the group's attributes other than its meaning, then the meaning."""
    indent = INDENT * depth
    params = [
        f"{k}={attribute_text(group.attrs[k])}"
        for k in group.attrs
        if k != "meaning" and k not in SCALE_ATTRS
    ]
    meaning = _text_attr(group, "meaning")
    if meaning and meaning == parent_meaning:
        meaning = None
    text = " ".join(filter(None, [" ".join(params), f"— {meaning}" if meaning else ""]))
    if full:
        return wrap(f"{name}/  ", text, width, indent) if text else [f"{indent}{name}/"]
    return [clip(f"{indent}{name}/  {text}", width).rstrip()]


def tree_lines(group, full=False, width=WIDTH, depth=0):
    """The groups and datasets under ``group``, one line each (``full``: every attribute,
    wrapped). Unless ``full``, a group laid out like an earlier sibling is one line, and the
    dimension scales that only number an axis (/row, /col, /node_<layer>) share one line."""
    lines, seen, scales = [], {}, []
    items = list(group.items())
    shown = [(n, o) for n, o in items if isinstance(o, h5py.Dataset) and not _is_index_scale(o)]
    pads = (
        min(max((len(n) for n, _ in shown), default=0), 22),
        min(max((len(shape_text(o)) for _, o in shown), default=0), 40),
        max((len(str(o.dtype)) for _, o in shown), default=0),
    )
    group_meaning = _text_attr(group, "meaning")
    for name, obj in items:
        if isinstance(obj, h5py.Group):
            lines += _group_line(name, obj, depth, full, width, group_meaning)
            signature = _signature(obj)
            if not full and signature and signature in seen:
                lines.append(
                    f"{INDENT * (depth + 1)}{_count_datasets(obj)} datasets, laid out as in "
                    f"{seen[signature]}/"
                )
                continue
            seen.setdefault(signature, name)
            lines += tree_lines(obj, full, width, depth + 1)
        elif isinstance(obj, h5py.Dataset):
            if not full and _is_index_scale(obj):
                scales.append(f"{name} {obj.shape[0]}")
                continue
            lines += _dataset_lines(name, obj, pads, depth, group_meaning, full, width)
        else:  # a dangling link or an external file that is not there
            lines.append(f"{INDENT * depth}{name}  (unresolved link)")
    if scales:
        lines += wrap(
            "dimension scales (indices 0..n-1): ", ", ".join(scales), width, INDENT * depth
        )
    return lines


# ---- influence maps and their top pixels ----------------------------------------------


def top_pixels(maps, k=TOP):
    """The ``k`` pixels of largest |value| of each map, largest first (ties by pixel index).

    ``maps`` (nodes, rows, cols). Returns rows, cols and values, each (nodes, k) with k at
    most rows * cols.
    """
    maps = np.asarray(maps)
    n, width = maps.shape[0], maps.shape[-1]
    flat = maps.reshape(n, -1)
    k = max(min(int(k), flat.shape[1]), 0)
    if k == 0 or n == 0:
        empty = np.zeros((n, k), dtype=np.intp)
        return empty, empty, np.zeros((n, k), dtype=flat.dtype)
    size = np.abs(flat)
    size = np.where(np.isnan(size), -np.inf, size)  # NaN last
    candidates = np.argpartition(-size, k - 1, axis=1)[:, :k]
    order = np.lexsort((candidates, -np.take_along_axis(size, candidates, axis=1)))
    index = np.take_along_axis(candidates, order, axis=1)
    rows, cols = np.divmod(index, width)
    return rows, cols, np.take_along_axis(flat, index, axis=1)


def influence_index(f):
    """The influence maps of a file: ("sample" | "classes" | None, {method: {layer: path}}),
    methods and layers in the order of the file (``h5io.map_index``: a sample's maps, node
    by node, or a sweep's class mean maps, class by class and node by node)."""
    return h5io.map_index(f, attribute_text)


def _cell(values, *index):
    """``values[index]`` as a table cell; n/a where there is none."""
    if values is None or any(i >= n for i, n in zip(index, values.shape, strict=False)):
        return f"{'n/a':>9}"
    return number(values[index])


def _is_numeric(ds):
    return isinstance(ds, h5py.Dataset) and ds.dtype.kind in "iuf"


def _numbers(ndim, where, f, *names):
    """The numeric dataset ``where(f, *names)`` (an accessor of ``h5io``) with ``ndim``
    dimensions, read; None for anything else (missing, a group, text), which the tables show
    as n/a."""
    try:
        ds = where(f, *names)
    except KeyError:  # nothing there
        return None
    if not _is_numeric(ds) or ds.ndim != ndim:
        return None
    return ds[()]


def _choose(given, valid, what):
    """The chosen names in the file's order; an unknown one is an InputError naming it."""
    if not given:
        return list(valid)
    for name in given:
        if name not in valid:
            raise InputError(f"unknown {what} {name!r}; {what}s in this file: {', '.join(valid)}")
    return list(dict.fromkeys(given))


def _indices(given, size, what, option):
    """Integer indices within 0..size-1, from ints or strings such as "3" or "1,4"."""
    out = []
    for item in given:
        for part in str(item).split(","):
            part = part.strip()
            try:
                index = int(part)
            except ValueError:
                raise InputError(f"{option} {part!r} is not an integer ({what} 0..{size - 1})")
            if not 0 <= index < size:
                raise InputError(f"{option} {index} is out of range: {what} 0..{size - 1}")
            out.append(index)
    return list(dict.fromkeys(out))


def _names(given):
    """Names from strings that may hold comma-separated lists."""
    if not given:
        return []
    return [p.strip() for item in given for p in str(item).split(",") if p.strip()]


def default_layer(layers, outputs=OUTPUT_LAYERS):
    """The network's output probabilities (``outputs[-1]``: z3 for the book's) if there are
    maps of them, else the last layer with maps."""
    return outputs[-1] if outputs[-1] in layers else layers[-1]


def output_layers_of(f):
    """The output layers (aL, zL) of the network a file was computed with: the last two of
    its node values (/value, a sweep's class means of them), the book's for a file without
    them."""
    for layers_of in (h5io.class_layers_of, h5io.network_layers_of):
        try:
            layers = layers_of(f)
        except KeyError:
            continue
        if len(layers) >= 2:
            return tuple(layers[-2:])
    return OUTPUT_LAYERS


def _pixel_cells(rows, cols, values):
    return [f"({r:2d},{c:2d}) {number(v)}" for r, c, v in zip(rows, cols, values, strict=True)]


def _table(head, rows, cells, width):
    """Rows of fixed columns then pixel cells, wrapped under the first cell if too long."""
    lines = [head]
    for start, row_cells in zip(rows, cells, strict=True):
        line = start
        for cell in row_cells:
            if len(line) + 2 + len(cell) > width and line.strip() and line != start:
                lines.append(line)
                line = " " * len(start)
            line += "  " + cell
        lines.append(line)
    return lines


def _layer_title(layer, ds):
    """The layer and what it holds: as the file's own node values say (a network of any
    depth and activation), else the book's words, else the dataset's meaning."""
    try:
        own = attribute_text(h5io.values_of(ds.file, layer).attrs.get("meaning", ""))
    except KeyError:
        own = ""
    if "; " in own:
        meaning = own.split("; ", 1)[1]
    else:
        meaning = LAYER_MEANING.get(layer) or attribute_text(ds.attrs.get("meaning", ""))
    return f"{layer}: {meaning}"


def _sample_lines(f, index, methods, layer, nodes, top, width):
    value = _numbers(1, h5io.values_of, f, layer)
    base = _numbers(1, h5io.baseline_values_of, f, layer)
    change = value - base if value is not None and base is not None else None
    outputs = output_layers_of(f)
    predicted = int(np.argmax(value)) if value is not None and layer in outputs else None
    lines = []
    for method in methods:
        ds = f[index[method][layer]]
        chosen = nodes if nodes is not None else list(range(ds.shape[0]))
        maps = ds[()][np.array(chosen, dtype=np.intp)]
        rows, cols, values = top_pixels(maps, top)
        residual = _numbers(1, h5io.residuals_of, f, method, layer)
        lines.append(clip(f"{method} on {_layer_title(layer, ds)}", width))
        starts = []
        for node in chosen:
            mark = "*" if node == predicted else " "
            cells = [_cell(a, node) for a in (value, change, residual)]
            starts.append(f"{node:5d}{mark} " + "  ".join(cells))
        head = f" node {'f(x)':>9}  {'f(x)-f(b)':>9}  {'residual':>9}  " + (
            f"top {min(top, rows.shape[1])} pixels by |influence|: (row,col) value"
        )
        lines += _table(
            clip(head, width, squeeze=False), starts, map(_pixel_cells, rows, cols, values), width
        )
        lines.append("")
    if predicted is not None and predicted in chosen:
        lines.append(f"* the largest f(x) of {layer}: the predicted digit")
    return lines


def _class_lines(f, index, methods, layer, nodes, classes, top, width):
    value = _numbers(2, h5io.class_values_of, f, layer)
    lines = []
    for method in methods:
        ds = f[index[method][layer]]
        count, size = ds.shape[:2]
        chosen_classes = classes if classes is not None else list(range(count))
        if nodes is not None:
            pairs = [(c, n) for c in chosen_classes for n in nodes]
        elif classes is None and layer in output_layers_of(f) and size == count:
            pairs = [(c, c) for c in chosen_classes]  # each class's own output node
        else:
            pairs = [(c, n) for c in chosen_classes for n in range(size)]
        maps = np.stack([ds[c, n] for c, n in pairs]) if pairs else np.zeros((0, 1, 1))
        rows, cols, values = top_pixels(maps, top)
        residual = _numbers(2, h5io.class_residuals_of, f, method, layer)
        lines.append(clip(f"{method} on {_layer_title(layer, ds)}", width))
        starts = []
        for c, n in pairs:
            cells = [_cell(a, c, n) for a in (value, residual)]
            starts.append(f"{c:5d} {n:5d}  " + "  ".join(cells))
        head = f"class  node  {'mean f(x)':>9}  {'mean res.':>9}  " + (
            f"top {min(top, rows.shape[1])} pixels of the class mean map: (row,col) value"
        )
        lines += _table(
            clip(head, width, squeeze=False), starts, map(_pixel_cells, rows, cols, values), width
        )
        lines.append("")
    return lines


def class_count_lines(f):
    """Images per class and how many of them the network predicts right."""
    count = _numbers(1, h5io.class_counts, f)
    confusion = _numbers(2, h5io.confusion_of, f) if count is not None else None
    if confusion is None:
        return []
    names = h5io.class_names_of(f)
    lines = ["class  images  predicted right"]
    for c, n in enumerate(count):
        right = int(confusion[c, c]) if c < len(confusion) else 0
        share = f"({100 * right / n:.1f}%)" if n else ""
        name = f"  {names[c]}" if names is not None and c < len(names) else ""
        lines.append(f"{c:5d}  {int(n):6d}  {right:6d} {share}{name}".rstrip())
    total, right = int(count.sum()), int(np.trace(confusion))
    share = f"({100 * right / total:.2f}%)" if total else ""
    lines.append(f"  all  {total:6d}  {right:6d} {share}")
    return lines


def top_lines(f, methods=None, layers=None, nodes=None, classes=None, top=TOP, width=WIDTH):
    """The top pixels per node of the chosen methods (default all), layers (default z3,
    else the last layer with maps), nodes (default all) and, for a classes.h5, classes
    (default: each class's own digit on an output layer, else all). Unknown names and
    indices are InputErrors that list the valid choices."""
    if int(top) < 1:
        raise InputError(f"--top {top}: must be at least 1")
    kind, index = influence_index(f)
    methods, layers = _names(methods), _names(layers)
    if kind is None:
        if methods or layers or nodes or classes:
            raise InputError(
                f"{f.filename}: no influence maps to choose from (no /<method>/<layer>)"
            )
        return []
    if classes and kind != h5io.CLASS_MAPS:
        raise InputError(
            f"--class applies to a sweep's classes.h5; {f.filename} holds one sample's maps"
        )
    methods = _choose(methods, list(index), "method")
    available = list(dict.fromkeys(layer for m in methods for layer in index[m]))
    outputs = output_layers_of(f)
    layers = _choose(layers, available, "layer") if layers else [default_layer(available, outputs)]
    for method in methods:
        missing = [layer for layer in layers if layer not in index[method]]
        if missing:
            raise InputError(
                f"method {method!r} has no maps of layer {missing[0]!r}; it has: "
                f"{', '.join(index[method])}"
            )
    lines = []
    for layer in layers:
        ds = f[index[methods[0]][layer]]
        size = ds.shape[-3]
        chosen = _indices(nodes, size, f"nodes of {layer}", "--node") if nodes else None
        if kind == h5io.SAMPLE_MAPS:
            lines += _sample_lines(f, index, methods, layer, chosen, top, width)
        else:
            picked = _indices(classes, ds.shape[0], "classes", "--class") if classes else None
            lines += _class_lines(f, index, methods, layer, chosen, picked, top, width)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def interaction_lines(f, top=TOP, width=WIDTH):
    """A sample's pixel interactions: per layer and end the median |r_k| of the expansion
    truncated at order k, then, for the predicted digit's z3 (or a3) node, its strongest
    pairs of pixels from each end; [] for a file without them."""
    try:
        g = h5io.interactions_of(f)
    except KeyError:
        return []
    layers = [str(v) for v in g.attrs["layers"]]
    order = int(g.attrs["order"])
    head = f"{'layer':6s}{'end':10s}" + "".join(
        f"{f'median |r{k}|':>14s}" for k in range(1, order + 1)
    )
    lines = [clip(head, width, squeeze=False)]
    for layer in layers:
        for end in ENDS:
            r = np.abs(h5io.expansion_of(f, end, layer, "residuals")[()])
            cells = "".join(
                f"{'n/a' if np.isnan(r[:, k]).all() else number(np.nanmedian(r[:, k])):>14s}"
                for k in range(order)
            )
            lines.append(f"{layer:6s}{end:10s}{cells}")
    for note in ("order3_skipped", "shapley_interaction_skipped"):
        if note in g.attrs:
            lines.append(clip(f"{note.replace('_', ' ')}: {attribute_text(g.attrs[note])}", width))
    outputs = [layer for layer in output_layers_of(f)[::-1] if layer in h5io.pair_node_layers(f)]
    changed = h5io.changed_pixels_of(f)[()]
    if outputs and order >= 2 and len(changed) >= 2:
        layer = outputs[0]
        node = int(np.argmax(_numbers(1, h5io.values_of, f, layer)))
        lines.append("")
        lines.append(
            clip(
                f"strongest pairs of pixels for {layer} node {node} (the predicted digit): "
                "(row,col)+(row,col) pair term",
                width,
            )
        )
        position = list(h5io.pair_nodes_of(f, layer)[()]).index(node)
        i, j = np.triu_indices(len(changed), 1)
        for end in ENDS:
            terms = h5io.expansion_of(f, end, layer, "pairs")[position][i, j]
            best = np.argsort(-np.abs(terms), kind="stable")[:top]
            cells = [
                f"({changed[i[b]] // 28:2d},{changed[i[b]] % 28:2d})+"
                f"({changed[j[b]] // 28:2d},{changed[j[b]] % 28:2d}) {number(terms[b])}"
                for b in best
            ]
            lines.append(clip(f"  {end:10s}" + "  ".join(cells), width))
    return lines


# ---- the whole summary ----------------------------------------------------------------

FOREIGN = "inspect reads the HDF5 files this workflow writes (results/**/*.h5)"


def inspect_hint(path):
    """The advice for a damaged or outdated file: re-create it if the workflow made it (a
    file of the user's own is never to be deleted on our word)."""
    return f"if the workflow wrote it, re-create it with: snakemake --cores 8 --forcerun {path}"


def _heading(text, width=WIDTH):
    return ["", f"== {text} " + "=" * max(width - len(text) - 4, 0)]


def summary_lines(
    path,
    methods=None,
    layers=None,
    nodes=None,
    classes=None,
    top=TOP,
    full=False,
    tree=True,
    pixels=True,
    width=WIDTH,
):
    """The summary of an HDF5 file of this project, as lines: its root attributes, the tree
    of its datasets (unless not ``tree``) and the top pixels per node of its influence maps
    (unless not ``pixels``). ``full``: every attribute and meaning in full. Raises
    InputError for a file that is not one of this project's (``hdf5.open_checked``) and for
    a choice that is not in the file."""
    with open_checked(path, hint=inspect_hint, foreign=FOREIGN) as f:
        lines = [f"{path}", "== attributes " + "=" * (width - 14)]
        lines += attribute_lines(f.attrs, full, width)
        top_section = top_lines(f, methods, layers, nodes, classes, top, width) if pixels else []
        if tree:
            lines += _heading("groups and datasets: name  {axis size, ...}  dtype  [units] meaning")
            lines += tree_lines(f, full, width)
        kind, _ = influence_index(f)
        if pixels and kind == h5io.CLASS_MAPS and not classes:
            lines += _heading("classes")
            lines += class_count_lines(f)
        if top_section:
            lines += _heading("top pixels per node (pixel = (row, col), 0-based from top left)")
            lines += top_section
        interactions = interaction_lines(f, top, width) if pixels else []
        if interactions:
            lines += _heading("pixel interactions (docs/interactions.md)")
            lines += interactions
    return lines
