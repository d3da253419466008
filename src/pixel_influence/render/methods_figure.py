"""The methods side by side on one sample: a row per method, a column per chosen node.

Each row is labelled with its method, max |residual| over the shown nodes and the layer
scales; each panel shows its own completeness residual r (and its scale when scaled per
node); the columns are grouped by layer under the layer's name, an output node's column
headed by its class (``class_names``; "digit j" by default), with the softmax probability
above each column of the last output layer (z3 for the book's network; ``output_layers``).
``labels`` makes every text once, ``methods_layout`` places everything from them, and
``methods_figure`` draws from that layout, in the configured colour map and with the
input's outline over every panel when asked.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..network import OUTPUT_LAYERS
from .canvas import (
    MapStyle,
    check_class_names,
    class_label,
    draw_heading,
    draw_input,
    draw_scale_bar,
    enlarge,
    figure,
    input_outline,
    map_panel,
    text_length,
)
from .shading import OVERLAY_TEXT, SCALE_TEXT, format_value, shading_text, to_gray

__all__ = [
    "Column",
    "Group",
    "Labels",
    "MethodsLayout",
    "labels",
    "methods_figure",
    "methods_layout",
]

MIN_LEGEND_WIDTH = 120


@dataclass(frozen=True)
class Labels:
    """Every text of the figure, made once: the layout measures them, the drawing writes them."""

    columns: tuple  # (layer, node) per column, in drawing order
    headers: tuple  # per column: "digit 3" (or its class name) or "z2 #17"
    probabilities: tuple  # per column: (text, is the largest) above a zL column, or None
    panels: dict  # {method: per column, the texts below its panel}
    rows: dict  # {method: the texts below the method's name}


@dataclass(frozen=True)
class Column:
    """One node's column: its left edge and width (px)."""

    layer: str
    node: int
    x: int
    width: int


@dataclass(frozen=True)
class Group:
    """A run of consecutive columns of one layer, under the layer's name: x0 to x1 (px)."""

    layer: str
    x0: int
    x1: int


@dataclass(frozen=True)
class MethodsLayout:
    """Where everything of ``methods_figure`` goes (px)."""

    width: int
    height: int
    subtitle: str
    top: int  # the input label and the layer names
    head_y: int  # the column headers
    probability_y: int  # the probabilities below the headers
    groups: tuple
    columns: tuple
    label_x: int  # the methods' names and row texts
    row_y: tuple  # per method, the top of its row
    grid_x: int
    legend_y: int
    legend_width: int


def _compact(v):
    """Short text for a small number such as a residual: 1.2e-3 (0 stays 0)."""
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    mantissa, exponent = f"{v:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _column_header(layer, node, output_layers, class_names):
    return class_label(node, class_names) if layer in output_layers else f"{layer} #{node}"


def _panel_texts(residuals, scales, layer, node):
    texts = [f"r={_compact(residuals[layer][node])}"]
    if np.ndim(scales[layer]) == 1:
        texts.append(f"\u00b1{format_value(scales[layer][node])}")
    return texts


def _row_texts(columns, residuals, scales):
    layers = list(dict.fromkeys(layer for layer, _ in columns))
    shown = [residuals[layer][node] for layer, node in columns]
    lines = [f"max |residual| {format_value(np.max(np.abs(shown)))}"]
    for layer in layers:
        if np.ndim(scales[layer]) == 0:
            lines.append(f"{layer} scale \u00b1{format_value(scales[layer])}")
    if any(np.ndim(scales[layer]) == 1 for layer in layers):
        lines.append("scale: per node, below each")
    return lines


def labels(
    columns, scales, residuals, probabilities, output_layers=OUTPUT_LAYERS, class_names=None
):
    """The figure's texts (arguments as for ``methods_figure``, columns as (layer, int));
    the probabilities go above the columns of the last output layer."""
    output_layers = tuple(output_layers)
    probability_layer = output_layers[-1]
    _check_columns(columns, output_layers, class_names, probabilities)
    with_probabilities = probabilities is not None and any(
        layer == probability_layer for layer, _ in columns
    )
    best = int(np.argmax(probabilities)) if probabilities is not None else None
    above = [
        (f"p={probabilities[node]:.3f}", node == best)
        if with_probabilities and layer == probability_layer
        else None
        for layer, node in columns
    ]
    return Labels(
        columns=tuple(columns),
        headers=tuple(
            _column_header(layer, node, output_layers, class_names) for layer, node in columns
        ),
        probabilities=tuple(above),
        panels={
            m: [_panel_texts(residuals[m], scales[m], layer, node) for layer, node in columns]
            for m in scales
        },
        rows={m: _row_texts(columns, residuals[m], scales[m]) for m in scales},
    )


def _check_columns(columns, output_layers, class_names, probabilities):
    """A clear error for an output column with no class name or no probability (a node
    past the names or the probabilities)."""
    for layer, node in columns:
        if layer not in output_layers:
            continue
        for what, values in (("class name", class_names), ("probability", probabilities)):
            if values is not None and not 0 <= node < len(values):
                raise InputError(
                    f"methods figure: column ({layer!r}, {node}) has no {what}: "
                    f"{len(values)} given, for nodes 0..{len(values) - 1}"
                )


def _probability_font(style, best):
    return style.title_font if best else style.small


def _layer_groups(columns):
    """Runs of consecutive columns of the same layer: [(layer, [column indices])]."""
    groups = []
    for i, (layer, _) in enumerate(columns):
        if groups and groups[-1][0] == layer:
            groups[-1][1].append(i)
        else:
            groups.append((layer, [i]))
    return groups


def _column_widths(style, texts, groups):
    """Per column, the panel or its widest text, whichever is wider; the last column of a
    group widened so that the group is at least as wide as its layer's name."""
    widths = []
    for i in range(len(texts.columns)):
        lengths = [text_length(style.small, texts.headers[i])]
        lengths += [text_length(style.small, t) for per in texts.panels.values() for t in per[i]]
        if texts.probabilities[i] is not None:
            text, best = texts.probabilities[i]
            lengths.append(text_length(_probability_font(style, best), text))
        widths.append(max(style.panel, math.ceil(max(lengths)) + 4))
    for layer, idx in groups:
        need = math.ceil(text_length(style.font, layer)) + 4
        span = sum(widths[i] for i in idx) + style.gap * (len(idx) - 1)
        widths[idx[-1]] += max(0, need - span)
    return widths


def _place_columns(style, texts, grid_x):
    """The columns and groups left to right from ``grid_x``, a wider gap between groups;
    returns them and the grid's width."""
    groups = _layer_groups(texts.columns)
    widths = _column_widths(style, texts, groups)
    xs, x = [], 0
    for g, (_, idx) in enumerate(groups):
        x += style.block_gap // 2 if g else 0
        for i in idx:
            xs.append(x)
            x += widths[i] + style.gap
    columns = tuple(
        Column(layer, node, grid_x + cx, w)
        for (layer, node), cx, w in zip(texts.columns, xs, widths, strict=True)
    )
    placed = tuple(
        Group(layer, grid_x + xs[idx[0]], grid_x + xs[idx[-1]] + widths[idx[-1]] - 1)
        for layer, idx in groups
    )
    return columns, placed, x - style.gap


def methods_layout(style, texts, node_scale, title, scale_mode, colormap="gray", overlay=False):
    """Where everything of ``methods_figure`` goes; ``node_scale``: some panel has its own
    scale (a second text line below the panels)."""
    methods = list(texts.rows)
    label_w = max(
        max(text_length(style.font, m) for m in methods),
        max(text_length(style.small, t) for m in methods for t in texts.rows[m]),
    )
    label_w = math.ceil(label_w) + style.block_gap // 2
    label_h = style.line + style.small_line * max(len(texts.rows[m]) for m in methods)
    cell_h = style.panel + style.small_line * (2 if node_scale else 1)
    row_h = max(cell_h, label_h) + style.block_gap // 2
    label_x = style.margin + style.input_width + style.block_gap
    grid_x = label_x + label_w
    columns, groups, grid_w = _place_columns(style, texts, grid_x)
    subtitle = f"{shading_text(colormap)}; {SCALE_TEXT[scale_mode]}; "
    subtitle += f"{OVERLAY_TEXT}; " if overlay else ""
    subtitle += "r = f(x) - f(baseline) - sum(map)"
    legend_w = max(grid_w, MIN_LEGEND_WIDTH)
    width = max(grid_x + legend_w, style.margin * 2 + style.heading_width(title, subtitle))
    top = style.margin + style.heading_height
    with_probabilities = any(p is not None for p in texts.probabilities)
    heads_h = style.line + style.small_line + 2 + (style.line + 4 if with_probabilities else 0)
    rows_y = top + heads_h
    legend_y = rows_y + len(methods) * row_h
    grid_bottom = legend_y + style.legend + style.small_line + 2
    input_bottom = top + style.line + 2 * style.panel + 2
    return MethodsLayout(
        width=width + style.margin,
        height=max(grid_bottom, input_bottom) + style.margin,
        subtitle=subtitle,
        top=top,
        head_y=top + style.line + 1,
        probability_y=top + style.line + 1 + style.small_line + 2,
        groups=groups,
        columns=columns,
        label_x=label_x,
        row_y=tuple(rows_y + r * row_h for r in range(len(methods))),
        grid_x=grid_x,
        legend_y=legend_y,
        legend_width=legend_w,
    )


def _draw_column_heads(canvas, style, layout, texts):
    """Each layer's name over its group of columns, each column's header and probability."""
    line_y = layout.top + style.line - 1
    for group in layout.groups:
        canvas.text((group.x0, layout.top), group.layer, style.font)
        canvas.line((group.x0, line_y), (group.x1, line_y))
    for i, column in enumerate(layout.columns):
        mid = column.x + column.width / 2
        canvas.text((mid, layout.head_y), texts.headers[i], style.small, anchor="ma")
        if texts.probabilities[i] is not None:
            text, best = texts.probabilities[i]
            font = _probability_font(style, best)
            canvas.text((mid, layout.probability_y), text, font, anchor="ma")


def _panels(style, layout, maps, scales, colours):
    """The pixels of a row's panels, one per column, from one gray conversion."""
    columns = layout.columns
    if not columns:
        return []
    values = np.stack([np.asarray(maps[c.layer][c.node], dtype=np.float64) for c in columns])
    per_column = [
        scales[c.layer][c.node] if np.ndim(scales[c.layer]) else scales[c.layer] for c in columns
    ]
    gray = to_gray(values, np.asarray(per_column, dtype=np.float64))
    return map_panel(enlarge(gray, style.zoom), *colours)


def _draw_row(canvas, style, layout, texts, method, y, maps, scales, colours):
    """A method's row at height y: its name and texts, then a panel per column."""
    canvas.text((layout.label_x, y), method, style.font)
    for k, text in enumerate(texts.rows[method]):
        canvas.text((layout.label_x, y + style.line + k * style.small_line), text, style.small)
    panels = _panels(style, layout, maps, scales, colours)
    for c, (column, panel_texts) in enumerate(
        zip(layout.columns, texts.panels[method], strict=True)
    ):
        canvas.paste(panels[c], (column.x + (column.width - style.panel) // 2, y))
        mid = column.x + column.width / 2
        for k, text in enumerate(panel_texts):
            canvas.text(
                (mid, y + style.panel + 1 + k * style.small_line), text, style.small, anchor="ma"
            )


def _legend_ends(scales, layers, node_scale):
    """The legend's end texts: the one scale's value if all rows share it."""
    flat = [per[layer] for per in scales.values() for layer in layers]
    if node_scale:
        return ("-max", "+max")
    if len({float(s) for s in flat}) == 1:
        return (f"-{format_value(flat[0])}", f"+{format_value(flat[0])}")
    return ("-scale", "+scale")


def methods_figure(
    image,
    columns,
    maps,
    scales,
    residuals,
    probabilities,
    title,
    scale_mode,
    zoom=2,
    colormap="gray",
    overlay=False,
    output_layers=OUTPUT_LAYERS,
    class_names=None,
):
    """Compare influence methods on one sample: one row per method, one column per node.

    image: (28, 28) values in [0, 1]; columns: [(layer, node)] drawn in that order, grouped
    by layer; maps, scales and residuals as for ``montage`` (scales a float per layer or a
    (nodes,) array); probabilities: softmax output (one per class) written above the columns
    of the last output layer. Each row is labelled with its method, max |residual| over the
    shown nodes and the layer scales; each panel shows its own residual (and its scale when
    scaled per node). colormap: "gray" or "diverging"; overlay: the input's strokes outlined
    over every panel; output_layers: the network's output layers (aL, zL;
    ``network.output_layers``), whose columns are headed by their class; class_names: one
    name per output node (None: "digit j").
    Returns a PIL image: grayscale ("L") for the gray colour map without overlay, else RGB.
    """
    style = MapStyle(zoom)
    output_layers = tuple(output_layers)
    columns = [(layer, int(node)) for layer, node in columns]
    for layer in dict.fromkeys(layer for layer, _ in columns):
        if layer in output_layers:
            nodes = len(next(iter(maps.values()))[layer])
            class_names = check_class_names(class_names, nodes, layer, "methods figure")
    scales = {m: scales[m] for m in maps}  # the rows in the order of ``maps``
    layers = list(dict.fromkeys(layer for layer, _ in columns))
    node_scale = any(np.ndim(per[layer]) == 1 for per in scales.values() for layer in layers)
    texts = labels(columns, scales, residuals, probabilities, output_layers, class_names)
    layout = methods_layout(style, texts, node_scale, title, scale_mode, colormap, overlay)
    canvas = figure(layout.width, layout.height, colormap, overlay)
    colours = (colormap, input_outline(image, style, overlay))
    draw_heading(canvas, style, title, layout.subtitle)
    draw_input(canvas, style, image, layout.top)
    _draw_column_heads(canvas, style, layout, texts)
    for method, y in zip(maps, layout.row_y, strict=True):
        _draw_row(canvas, style, layout, texts, method, y, maps[method], scales[method], colours)
    ends = _legend_ends(scales, layers, node_scale)
    x, y, width = layout.grid_x, layout.legend_y, layout.legend_width
    draw_scale_bar(canvas, style, x, y, width, ends, colormap)
    return canvas.image()
