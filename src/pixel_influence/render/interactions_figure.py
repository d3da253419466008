"""The pixel interactions of one sample: a row per node, the expansion's maps from both ends.

For each node (every output node, labelled with its class (``class_names``; "digit j" by
default), then the configured hidden nodes, grouped by layer under the layer's name; the
network's layers are ``layers``, a1, z1, ..., aL, zL, the last two its output layers) and
each end of the expansion (from the baseline = insertion, left; from x = occlusion,
right): the order-1 map m_i, the order-2 map m_i + 1/2 sum_j m_ij, the pair strength sum_j
|m_ij| (non-negative: 0 to +scale) and the partner map, the row m_i*j of the pair matrix
of the pixel i* with the largest pair strength, drawn over the changed pixels
(zero elsewhere), i* marked by ``marker``. Under the panels: the node's residuals r1, r2, r3
and the (row, col) of i*. ``plan`` makes every text once (``labels``) and places everything
(``interactions_layout``), ``interactions_figure`` draws from that plan, in the configured
colour map and with the input's outline over every panel when asked; ``metadata`` gives the
PNG's text for ``canvas.save_png``.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..network import LAYERS
from .canvas import (
    BACKGROUND,
    INK,
    MapStyle,
    check_class_names,
    class_label,
    draw_input,
    draw_scale_bar,
    enlarge,
    figure,
    input_outline,
    map_panel,
    text_length,
)
from .shading import (
    OVERLAY_TEXT,
    SCALES,
    colour_metadata,
    format_value,
    shading_text,
    to_gray,
)

__all__ = [
    "ENDS",
    "END_HEADINGS",
    "KINDS",
    "NOTES",
    "Column",
    "InteractionsLayout",
    "Labels",
    "Plan",
    "figure_title",
    "interactions_figure",
    "interactions_layout",
    "labels",
    "marker",
    "metadata",
    "panel_scales",
    "panel_values",
    "plan",
    "partner_maps",
    "rows_of",
    "short",
    "strongest_pixel",
]

ENDS = ("insertion", "occlusion")  # left and right
END_HEADINGS = {"insertion": "from the baseline (insertion)", "occlusion": "from x (occlusion)"}
KINDS = ("order1", "order2", "pair_strength", "partner")  # the panels of an end, left to right
HEADERS = {
    "order1": {"insertion": "insertion", "occlusion": "occlusion"},
    "order2": {"insertion": "order 2", "occlusion": "order 2"},
    "pair_strength": {"insertion": "pair strength", "occlusion": "pair strength"},
    "partner": {"insertion": "partner map", "occlusion": "partner map"},
}
ONE_SIDED = ("pair_strength",)  # non-negative: 0 to +scale, like the sweep's std pictures
NOTES = (
    "insertion, occlusion: the order-1 terms m_i; order 2: m_i + 1/2 sum_j m_ij; "
    "pair strength: sum_j |m_ij| (0 to +scale)",
    "partner map: m_ij of the pixel i with the largest pair strength (checkered, ticks at its "
    "row and column, (row, col) below)",
    "rk = v(C) - (sum of the terms of order <= k), n/a: not computed; v(C) = f(x) - f(baseline); "
    "the occlusion end removes pixels from x",
)
SCALE_WORDS = {
    "layer": "one scale per layer, end and panel kind over the nodes shown (above each column)",
    "node": "one scale per panel (below each)",
}
TITLE = "pixel interactions"
LEGEND_TEXTS = ("insertion, occlusion, order 2, partner map", "pair strength")
WHITE, BLACK = BACKGROUND, INK  # the partner pixel's checker and ticks


@dataclass(frozen=True)
class Labels:
    """Every text of the figure, made once: the layout measures them, the drawing writes them."""

    rows: tuple  # (layer, node) per row, in drawing order
    names: tuple  # per row: "digit 7" (or its class name) or "z1 #3"
    probabilities: tuple  # per row: (text, is the largest) for a zL row, or None
    below: dict  # {end: per row, the texts under its four panels (one or two lines each)}
    scales: dict  # {(end, kind, layer): "+-0.1"} above the columns (layer scale), or {}


@dataclass(frozen=True)
class Column:
    """One panel column: its end, its kind, its left edge and width (px)."""

    end: str
    kind: str
    x: int
    width: int
    panel_x: int  # the left edge of its panels, centred in the column


@dataclass(frozen=True)
class InteractionsLayout:
    """Where everything of ``interactions_figure`` goes (px)."""

    width: int
    height: int
    subtitle: str
    top: int  # the input's label and the ends' headings
    head_y: int  # the column headers
    groups: tuple  # (end, x0, x1) per end
    columns: tuple
    label_x: int  # the layers' names and the rows' labels
    layer_y: dict  # {layer: the top of its heading}
    row_y: tuple  # per row, the top of its panels
    legend_y: tuple  # the two legend bars' texts (bar below each)
    legend_x: int
    legend_width: int


def figure_title(data):
    """The picture's title: the sample's title and what it shows."""
    return f"{data['title']}: {TITLE}"


def rows_of(nodes, layers=LAYERS):
    """The figure's rows [(layer, node)]: the output layers' nodes first, then the hidden
    layers', each layer's nodes in the given order, the layers in the network's order
    (``layers``: all of them, a1, z1, ..., aL, zL, the last two the output layers)."""
    layers = tuple(layers)
    unknown = [layer for layer in nodes if layer not in layers]
    if unknown:
        raise InputError(f"interactions figure: unknown layers {unknown}, expected {list(layers)}")
    output = _output_layers(layers)
    outputs = [layer for layer in layers if layer in nodes and layer in output]
    hidden = [layer for layer in layers if layer in nodes and layer not in output]
    return [(layer, int(node)) for layer in outputs + hidden for node in nodes[layer]]


def _output_layers(layers):
    """The output layers (aL, zL) of a network's layers: the last two
    (``network.output_layers``): a3, z3 for the book's network."""
    return tuple(layers)[-2:]


def _map(maps, node):
    """Node ``node``'s map (28, 28) of a layer's maps, (nodes, 28, 28) or (nodes, 784)."""
    return np.asarray(maps[node], dtype=np.float64).reshape(28, 28)


def strongest_pixel(strength, changed):
    """Index into ``changed`` of the changed pixel with the largest pair strength (the
    first on a tie), or None when no pixel has any pair term (fewer than two changed
    pixels, or all pair terms 0). ``strength``: the node's pair-strength map (784 values)."""
    changed = np.asarray(changed, dtype=np.int64)
    if changed.size == 0:
        return None
    values = np.asarray(strength, dtype=np.float64).reshape(-1)[changed]
    k = int(np.argmax(values))
    return k if values[k] > 0 else None


def partner_maps(data, rows):
    """Per end and row, (the partner map (28, 28), the flat index of its pixel i* or None):
    row i* of the node's pair matrix over the changed pixels, zero elsewhere."""
    changed = np.asarray(data["changed"], dtype=np.int64).reshape(-1)
    position = {
        layer: {int(n): k for k, n in enumerate(picked)} for layer, picked in data["nodes"].items()
    }
    out = {}
    for end in ENDS:
        per_row = []
        for layer, node in rows:
            strength = data["ends"][end][layer]["pair_strength"][node]
            k = strongest_pixel(strength, changed)
            partner = np.zeros(28 * 28)
            if k is not None:  # one row read: the matrices may be h5py datasets
                partner[changed] = data["pairs"][end][layer][position[layer][node], k]
            per_row.append((partner.reshape(28, 28), None if k is None else int(changed[k])))
        out[end] = per_row
    return out


def panel_values(data, rows, partners):
    """{end: {kind: (rows, 28, 28)}}: every panel's values, in drawing order."""
    out = {}
    for end in ENDS:
        per = data["ends"][end]
        out[end] = {
            kind: np.stack([_map(per[layer][kind], node) for layer, node in rows])
            if rows
            else np.zeros((0, 28, 28))
            for kind in KINDS[:3]
        }
        out[end]["partner"] = (
            np.stack([m for m, _ in partners[end]]) if rows else np.zeros((0, 28, 28))
        )
    return out


def panel_scales(panels, rows, scale="layer"):
    """{end: {kind: (rows,)}}: each panel's scale, max |value| over the panels of its end,
    kind and layer (``scale`` "layer", or "shared": a sample's figure has no other samples)
    or over the panel alone ("node")."""
    if scale not in SCALES:
        raise InputError(f"interactions figure: unknown scale {scale!r}, expected one of {SCALES}")
    layers = np.array([layer for layer, _ in rows])
    out = {}
    for end, per in panels.items():
        out[end] = {}
        for kind, values in per.items():
            own = np.abs(values).reshape(len(values), -1).max(axis=1, initial=0.0)
            if scale != "node":
                for layer in dict.fromkeys(layers):
                    own[layers == layer] = own[layers == layer].max()
            out[end][kind] = own
    return out


def short(value):
    """A number in 3 significant digits, its exponent without "+" and leading zeros:
    0.123, -4.56e-5, 2.43e3."""
    text = format_value(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


def _residual_texts(residuals):
    """ "r1=0.123", "r2=-4.56e-5", "r3=n/a" (NaN, or an order not computed)."""
    residuals = np.asarray(residuals, dtype=np.float64).reshape(-1)
    texts = []
    for k in range(3):
        value = residuals[k] if k < residuals.size else math.nan
        texts.append(f"r{k + 1}={'n/a' if math.isnan(value) else short(value)}")
    return texts


def _scale_text(kind, value):
    return f"{'+' if kind in ONE_SIDED else chr(0xB1)}{short(value)}"


def _row_name(layer, node, output_layers, class_names):
    return class_label(node, class_names) if layer in output_layers else f"{layer} #{node}"


def labels(data, rows, scales, partners, scale="layer", layers=LAYERS, class_names=None):
    """The figure's texts (``scales`` from ``panel_scales``, ``partners`` from
    ``partner_maps``; ``layers`` and ``class_names`` as for ``interactions_figure``): the
    probabilities beside the rows of the last output layer."""
    output_layers = _output_layers(layers)
    probabilities = data.get("probabilities")
    best = int(np.argmax(probabilities)) if probabilities is not None else None
    above = tuple(
        (f"p={probabilities[node]:.3f}", node == best)
        if probabilities is not None and layer == output_layers[-1]
        else None
        for layer, node in rows
    )
    below = {}
    for end in ENDS:
        per_row = []
        for r, (layer, node) in enumerate(rows):
            texts = _residual_texts(data["ends"][end][layer]["residuals"][node])
            pixel = partners[end][r][1]
            texts.append("no pairs" if pixel is None else f"({pixel // 28}, {pixel % 28})")
            lines = [[t] for t in texts]
            if scale == "node":
                for lines_k, kind in zip(lines, KINDS, strict=True):
                    lines_k.append(_scale_text(kind, scales[end][kind][r]))
            per_row.append(lines)
        below[end] = tuple(per_row)
    layer_scales = {}
    if scale != "node":
        for r, (layer, _) in enumerate(rows):
            for end in ENDS:
                for kind in KINDS:
                    layer_scales[end, kind, layer] = _scale_text(kind, scales[end][kind][r])
    return Labels(
        rows=tuple(rows),
        names=tuple(_row_name(layer, node, output_layers, class_names) for layer, node in rows),
        probabilities=above,
        below=below,
        scales=layer_scales,
    )


def _probability_font(style, best):
    return style.title_font if best else style.small


def _subtitle(colormap, overlay, scale):
    mode = "node" if scale == "node" else "layer"
    subtitle = f"{shading_text(colormap)}; {SCALE_WORDS[mode]}"
    return f"{subtitle}; {OVERLAY_TEXT}" if overlay else subtitle


def _column_widths(style, texts):
    """Per end, the four columns' widths: the panel or the widest text, whichever is wider;
    the last column widened so that the end's heading fits."""
    layers = list(dict.fromkeys(layer for layer, _ in texts.rows))
    widths = {}
    for end in ENDS:
        per = []
        for k, kind in enumerate(KINDS):
            lengths = [text_length(style.small, HEADERS[kind][end])]
            lengths += [text_length(style.small, t) for row in texts.below[end] for t in row[k]]
            lengths += [
                text_length(style.small, texts.scales.get((end, kind, la), "")) for la in layers
            ]
            per.append(max(style.panel, math.ceil(max(lengths)) + 4))
        need = math.ceil(text_length(style.font, END_HEADINGS[end])) + 4
        per[-1] += max(0, need - (sum(per) + style.gap * (len(per) - 1)))
        widths[end] = per
    return widths


def interactions_layout(style, texts, title, colormap="gray", overlay=False, scale="layer"):
    """Where everything of ``interactions_figure`` goes."""
    subtitle = _subtitle(colormap, overlay, scale)
    layers = list(dict.fromkeys(layer for layer, _ in texts.rows))
    label_w = max(
        [text_length(style.font, "digit 0")]
        + [text_length(style.font, t) for t in texts.names]
        + [text_length(style.font, layer) for layer in layers]
        + [text_length(_probability_font(style, p[1]), p[0]) for p in texts.probabilities if p]
    )
    label_x = style.margin + style.input_width + style.block_gap
    grid_x = label_x + math.ceil(label_w) + style.block_gap // 2
    widths = _column_widths(style, texts)
    columns, groups, x = [], [], grid_x
    for e, end in enumerate(ENDS):
        x += style.block_gap if e else 0
        x0 = x
        for kind, w in zip(KINDS, widths[end], strict=True):
            columns.append(Column(end, kind, x, w, x + (w - style.panel) // 2))
            x += w + style.gap
        x -= style.gap  # the right edge of the end's last column, plus one
        groups.append((end, x0, x - 1))
    notes_h = len(NOTES) * style.small_line
    top = style.margin + style.heading_height + notes_h + 4
    head_y = top + style.line + 2
    y = head_y + style.small_line + 4
    lines_below = 2 if scale == "node" else 1
    label_h = style.line + (style.small_line + 4 if any(texts.probabilities) else 0)
    row_h = max(style.panel + 1 + lines_below * style.small_line, label_h) + 6
    layer_y, row_y = {}, []
    for layer, node in texts.rows:
        if layer not in layer_y:
            layer_y[layer] = y
            y += style.line + 4
        row_y.append(y)
        y += row_h
    grid_bottom = y
    legend_x = style.margin
    legend_w = style.input_width
    text_h = max(style.small_line * len(_wrap(style, t, legend_w)) for t in LEGEND_TEXTS)
    legend_y0 = top + style.line + 2 * style.panel + style.block_gap
    legend_step = text_h + style.legend + style.small_line + style.block_gap // 2
    legend_y = (legend_y0, legend_y0 + legend_step)
    input_bottom = legend_y[1] + legend_step
    notes_w = max(text_length(style.small, note) for note in NOTES)
    heading_w = max(style.heading_width(title, subtitle), notes_w)
    width = max(x, style.margin + heading_w)
    return InteractionsLayout(
        width=math.ceil(width) + style.margin,
        height=max(grid_bottom, input_bottom) + style.margin,
        subtitle=subtitle,
        top=top,
        head_y=head_y,
        groups=tuple(groups),
        columns=tuple(columns),
        label_x=label_x,
        layer_y=layer_y,
        row_y=tuple(row_y),
        legend_y=legend_y,
        legend_x=legend_x,
        legend_width=legend_w,
    )


def _wrap(style, text, width):
    """``text`` in lines of at most ``width`` px, split at spaces."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}".strip()
        if line and text_length(style.small, candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line]


def marker(pixel, zoom):
    """How the partner pixel is marked, in panel coordinates at ``zoom``: its own square (its
    pair term with itself is 0 by definition: nothing is hidden) as a 2 x 2 checker, black
    top left and bottom right (split at zoom // 2; all black at zoom 1), and two ticks
    outside the panel, 3 px above it over the pixel's column and 3 px right of it beside
    its row. Returns (black (panel, panel) bool, white likewise, ticks [x0, y0, x1, y1]
    x 2)."""
    row, col = divmod(int(pixel), 28)
    panel = 28 * zoom
    y, x = np.mgrid[0:panel, 0:panel]
    half = zoom // 2
    dy, dx = y - row * zoom, x - col * zoom
    square = (dy >= 0) & (dy < zoom) & (dx >= 0) & (dx < zoom)
    black = square & ((dy >= half) == (dx >= half))
    top = [col * zoom, -3, col * zoom + zoom - 1, -1]
    right = [panel + 1, row * zoom, panel + 3, row * zoom + zoom - 1]
    return black, square & ~black, (top, right)


def _draw_marker(canvas, style, pixel, px, py):
    """Mark the partner pixel of the panel at (px, py) (see ``marker``)."""
    black, white, ticks = marker(pixel, style.zoom)
    panel = canvas.pixels[py : py + style.panel, px : px + style.panel]
    panel[black], panel[white] = BLACK, WHITE
    for x0, y0, x1, y1 in ticks:
        canvas.rectangle([px + x0, py + y0, px + x1, py + y1], fill=BLACK)


def _draw_heads(canvas, style, layout):
    """Each end's heading over its four columns, and each column's header."""
    line_y = layout.top + style.line - 1
    for end, x0, x1 in layout.groups:
        canvas.text((x0, layout.top), END_HEADINGS[end], style.font)
        canvas.line((x0, line_y), (x1, line_y))
    for column in layout.columns:
        mid = column.x + column.width / 2
        canvas.text(
            (mid, layout.head_y), HEADERS[column.kind][column.end], style.small, anchor="ma"
        )


def _draw_layer_heading(canvas, style, layout, texts, layer):
    """The layer's name, a rule across the figure and its scales above the columns."""
    y = layout.layer_y[layer]
    canvas.text((layout.label_x, y), layer, style.font)
    right = layout.columns[-1].x + layout.columns[-1].width - 1
    canvas.line((layout.label_x, y + style.line), (right, y + style.line))
    for column in layout.columns:
        text = texts.scales.get((column.end, column.kind, layer))
        if text:
            canvas.text((column.x + column.width / 2, y + 2), text, style.small, anchor="ma")


def _panel_pixels(style, panels, scales, colours):
    """{(end, kind): the pixels of every row's panel}, from one gray conversion each."""
    out = {}
    for end, per in panels.items():
        for kind, values in per.items():
            gray = enlarge(to_gray(values, scales[end][kind]), style.zoom)
            out[end, kind] = map_panel(gray, *colours)
    return out


def _draw_row(canvas, style, layout, texts, r, pixels, partners):
    """Row r: its label, then per end the four panels and the texts under them."""
    y = layout.row_y[r]
    canvas.text((layout.label_x, y), texts.names[r], style.font)
    if texts.probabilities[r] is not None:
        text, best = texts.probabilities[r]
        canvas.text((layout.label_x, y + style.line + 2), text, _probability_font(style, best))
    for column in layout.columns:
        end, kind = column.end, column.kind
        px = column.panel_x
        canvas.paste(pixels[end, kind][r], (px, y))
        pixel = partners[end][r][1]
        if kind == "partner" and pixel is not None:
            _draw_marker(canvas, style, pixel, px, y)
        lines = texts.below[end][r][KINDS.index(kind)]
        mid = column.x + column.width / 2
        for k, text in enumerate(lines):
            canvas.text(
                (mid, y + style.panel + 1 + k * style.small_line), text, style.small, anchor="ma"
            )


def _draw_legends(canvas, style, layout, colormap, node_scale):
    """The two legend bars under the input: the two-sided maps and the pair strength."""
    for text, y, one_sided in zip(LEGEND_TEXTS, layout.legend_y, (False, True), strict=True):
        lines = _wrap(style, text, layout.legend_width)
        for k, line in enumerate(lines):
            canvas.text((layout.legend_x, y + k * style.small_line), line, style.small)
        bar_y = y + len(lines) * style.small_line + 2
        word = "max" if node_scale else "scale"
        ends = ("0", f"+{word}") if one_sided else (f"-{word}", f"+{word}")
        x, width = layout.legend_x, layout.legend_width
        draw_scale_bar(canvas, style, x, bar_y, width, ends, colormap, one_sided)


def _check(data, rows, zoom, layers=LAYERS, class_names=None):
    """A clear error for a zoom or data the figure cannot draw; returns the class names
    (checked against the output layers' nodes)."""
    if not isinstance(zoom, int | np.integer) or zoom < 1:
        raise InputError(f"interactions figure: zoom must be a whole number >= 1, got {zoom!r}")
    m = np.asarray(data["changed"]).size
    for end in ENDS:
        if end not in data["ends"] or end not in data["pairs"]:
            raise InputError(f"interactions figure: no expansion from the {end} end")
        for layer, node in rows:
            if layer not in data["ends"][end] or layer not in data["pairs"][end]:
                raise InputError(f"interactions figure: no {end} expansion of layer {layer}")
            size = len(data["ends"][end][layer]["order1"])
            if not 0 <= node < size:
                raise InputError(
                    f"interactions figure: {layer} has nodes 0..{size - 1}, not {node}"
                )
        for layer, picked in data["nodes"].items():
            shape = np.shape(data["pairs"][end][layer])
            if shape != (len(picked), m, m):
                raise InputError(
                    f"interactions figure: the {end} pair matrices of {layer} have shape "
                    f"{shape}, expected {(len(picked), m, m)} ({len(picked)} nodes, {m} "
                    "changed pixels)"
                )
    probabilities = data.get("probabilities")
    for layer in dict.fromkeys(layer for layer, _ in rows):
        if layer in _output_layers(layers):
            nodes = len(data["ends"][ENDS[0]][layer]["order1"])
            class_names = check_class_names(class_names, nodes, layer, "interactions figure")
            if probabilities is not None and len(probabilities) != nodes:
                raise InputError(
                    f"interactions figure: {len(probabilities)} probabilities for the {nodes} "
                    f"nodes of {layer}; expected one per node"
                )
    return class_names


@dataclass(frozen=True)
class Plan:
    """What ``interactions_figure`` draws and where: rows, partner pixels, panel values,
    scales, texts and layout."""

    style: MapStyle
    title: str
    rows: tuple
    partners: dict  # from ``partner_maps``
    panels: dict  # from ``panel_values``
    scales: dict  # from ``panel_scales``
    texts: Labels
    layout: InteractionsLayout


def plan(
    data, zoom=2, colormap="gray", overlay=False, scale="layer", layers=LAYERS, class_names=None
):
    """Everything of the figure but the pixels (arguments as for ``interactions_figure``)."""
    style = MapStyle(zoom)
    rows = rows_of(data["nodes"], layers)
    class_names = _check(data, rows, zoom, layers, class_names)
    partners = partner_maps(data, rows)
    panels = panel_values(data, rows, partners)
    scales = panel_scales(panels, rows, scale)
    texts = labels(data, rows, scales, partners, scale, layers, class_names)
    title = figure_title(data)
    layout = interactions_layout(style, texts, title, colormap, overlay, scale)
    return Plan(style, title, tuple(rows), partners, panels, scales, texts, layout)


def interactions_figure(
    data, zoom=2, colormap="gray", overlay=False, scale="layer", layers=LAYERS, class_names=None
):
    """Draw a sample's pixel interactions: a row per node, four panels per end.

    data: {"title", "image" (28, 28) in [0, 1], "probabilities" (one per class), "changed"
    (m,) flat indices of the changed pixels, "nodes" {layer: [node, ...]} (the rows: output
    layers first, then hidden layers, in the network's order), "ends" {end: {layer: {"order1",
    "order2", "pair_strength": (nodes, 28, 28) or (nodes, 784), "residuals": (nodes, K)}}}
    for every node of each layer, "pairs" {end: {layer: (len(nodes[layer]), m, m)}}}.
    colormap: "gray" or "diverging"; overlay: the input's strokes outlined over every panel;
    scale: "layer" (one scale per layer, end and panel kind over the rows shown; "shared"
    is taken as "layer": the figure shows one sample) or "node" (one per panel); layers:
    the network's layers a1, z1, ..., aL, zL in order (``network.layer_names``; the last two
    are its output layers, the last one's rows show the probabilities); class_names: one
    name per output node, the output rows' labels (None: "digit j"). Returns a PIL image:
    grayscale ("L") for the gray colour map without overlay, else RGB.
    """
    p = plan(data, zoom, colormap, overlay, scale, layers, class_names)
    style, layout, texts = p.style, p.layout, p.texts
    canvas = figure(layout.width, layout.height, colormap, overlay)
    colours = (colormap, input_outline(data["image"], style, overlay))
    canvas.text((style.margin, style.margin), p.title, style.title_font)
    y = style.margin + style.line + 2
    for line in (layout.subtitle, *NOTES):
        canvas.text((style.margin, y), line, style.small)
        y += style.small_line
    draw_input(canvas, style, data["image"], layout.top)
    _draw_heads(canvas, style, layout)
    for layer in layout.layer_y:
        _draw_layer_heading(canvas, style, layout, texts, layer)
    pixels = _panel_pixels(style, p.panels, p.scales, colours)
    for r in range(len(p.rows)):
        _draw_row(canvas, style, layout, texts, r, pixels, p.partners)
    _draw_legends(canvas, style, layout, colormap, scale == "node")
    return canvas.image()


def metadata(data, colormap="gray", overlay=False, scale="layer", layers=LAYERS):
    """The PNG text entries of the figure (for ``canvas.save_png``): its title, sample,
    rows, each end's meaning, the partner pixels (row, col), the scales and the colours
    (``layers`` as for ``interactions_figure``)."""
    p = plan(data, 1, colormap, overlay, scale, layers)
    rows, partners, scales = p.rows, p.partners, p.scales
    parts = []
    for end in ENDS:
        for kind in KINDS:
            values = scales[end][kind]
            if scale == "node":
                text = (
                    f"{format_value(values.min())}..{format_value(values.max())} per panel"
                    if len(values)
                    else "none"
                )
            else:
                per_layer = dict(zip((layer for layer, _ in rows), values, strict=True))
                text = ", ".join(f"{la} {format_value(v)}" for la, v in per_layer.items())
            parts.append(f"{end} {kind}: {text}")
    out = {"Title": p.title}
    if "sample" in data:
        out["sample"] = data["sample"]
    partner_text = "; ".join(
        f"{end} {layer}:{node} " + ("none" if pixel is None else f"({pixel // 28}, {pixel % 28})")
        for end in ENDS
        for (layer, node), (_, pixel) in zip(rows, partners[end], strict=True)
    )
    out.update(
        {
            "layer": ", ".join(dict.fromkeys(layer for layer, _ in rows)),
            "node": ", ".join(f"{layer}:{node}" for layer, node in rows),
            "end": "; ".join(f"{end}: {END_HEADINGS[end]}" for end in ENDS),
            "partner": partner_text,
            "scale": f"{'layer' if scale == 'shared' else scale}: " + "; ".join(parts),
            **colour_metadata(colormap, overlay),
        }
    )
    return out
