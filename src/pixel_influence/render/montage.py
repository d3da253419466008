"""The montage of one sample: the input image and, per method and layer, a grid of node maps.

A layer of n nodes is a grid of ``grid_rows(n)`` rows: node j at row j % rows and column j
// rows (the article's 10 rows up to 100 nodes, about square beyond). Each layer's block
writes its scale and max |residual| above the grid and a legend bar below it; an output
layer (``output_layers``: a3, z3 for the book's network) labels each node with its class
(``class_names``; the digit j by default), the softmax probabilities beside its panels
when it is the section's last output layer. ``montage_layout`` places everything first;
``montage`` then draws from that layout, in the configured colour map and with the input's
outline over every panel when asked (``overlay``).
"""

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..network import OUTPUT_LAYERS
from .canvas import (
    MapStyle,
    check_class_names,
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
    "ROWS",
    "Block",
    "MontageLayout",
    "Section",
    "grid_rows",
    "montage",
    "montage_layout",
    "subtitle_of",
]

ROWS = 10  # a grid's rows come in tens: node j at row j % rows, column j // rows
PROBABILITY_WIDTH = 56  # the softmax column right of each output panel column
MIN_BLOCK_WIDTH = 130  # room for the block's texts
LABEL_PAD = 6  # a row label's room beyond its text: 4 px to the panel, 2 px before it


def grid_rows(nodes):
    """The rows of a layer's grid of ``nodes`` panels: ``min(nodes, R)`` with R the
    smallest multiple of ``ROWS`` (10) not below sqrt(nodes). Up to 100 nodes that is the
    article's 10 rows (50 nodes: 10 rows x 5 columns, 100: 10 x 10, 10 outputs: one column
    of 10; fewer than 10 nodes: one column of that many); beyond, the grid stays about
    square with at most as many columns as rows (101 to 400 nodes: 20 rows, 300 nodes 20 x
    15; 401 to 900: 30 rows, 784 nodes 30 x 27; 1,000 nodes 40 x 25). The columns are
    ceil(nodes / rows)."""
    if nodes <= 0:
        return 0
    side = math.isqrt(nodes - 1) + 1  # ceil(sqrt(nodes))
    return min(nodes, ROWS * max(1, -(-side // ROWS)))


@dataclass(frozen=True)
class Block:
    """One layer's grid of node maps: what it shows and where (px) each part goes."""

    layer: str
    nodes: int
    node_scale: bool  # one scale per node, written below each panel
    probabilities: bool  # the softmax probabilities beside the panels
    output: bool  # node j is class j: each panel labelled with its class, no column numbers
    x: int
    y: int
    width: int  # the room the block takes in its section
    height: int
    text_y: tuple  # the lines: layer name, scale, residual, column numbers
    grid_x: int  # the first column of panels (row labels to its left)
    grid_y: int  # the first row of panels
    pitch: int  # from one panel column to the next
    cell_height: int  # from one panel row to the next
    probability_x: int  # the first column's softmax texts (the next columns' a pitch on)
    legend_y: int
    legend_width: int
    rows: int  # ``grid_rows(nodes)``
    label_width: int  # the room left of a panel column for its labels
    labels: tuple  # the texts left of the panels: per row (hidden), per node (output)

    @property
    def columns(self):
        return math.ceil(self.nodes / self.rows) if self.nodes else 0

    def panel_xy(self, j):
        """Top left corner of node j's panel."""
        column, row = divmod(j, self.rows)
        return self.grid_x + column * self.pitch, self.grid_y + row * self.cell_height


@dataclass(frozen=True)
class Section:
    """One method: its name at (x, y) and its layers' blocks side by side below it."""

    method: str
    x: int
    y: int
    width: int
    height: int
    blocks: tuple


@dataclass(frozen=True)
class MontageLayout:
    """The picture's size, the input image's place and a section per method."""

    width: int
    height: int
    subtitle: str
    input_y: int
    sections: tuple


def _labels(nodes, rows, output, class_names):
    """The texts left of the panels: an output layer's class of every node (its number
    without ``class_names``), a hidden layer's row numbers."""
    if not output:
        return tuple(str(j) for j in range(rows))
    if class_names is None:
        return tuple(str(j) for j in range(nodes))
    return tuple(class_names)


def _label_width(style, labels, output):
    """The room for the labels: ``style.row_label``, or their widest text and its pad."""
    label_font = style.font if output else style.small
    widest = max((text_length(label_font, text) for text in labels), default=0)
    return max(style.row_label, math.ceil(widest) + LABEL_PAD)


def _block_width(style, columns, label_width, output, probabilities):
    """A block's width: its label room, its panel columns (an output layer's each with the
    softmax column, when reserved, and the next column's labels) and at least
    ``MIN_BLOCK_WIDTH`` (wider labels widen it, so that the legend keeps its room)."""
    column = style.panel + style.gap + (PROBABILITY_WIDTH if probabilities else 0)
    between = label_width if output else 0  # an output column's labels left of its panels
    grid = label_width + columns * column + max(columns - 1, 0) * between - style.gap
    return max(grid, MIN_BLOCK_WIDTH + label_width - style.row_label)


def _block(style, layer, nodes, flags, probability_column, probabilities, class_names, xy):
    """A layer's block at ``xy``; ``flags``: (node_scale, output); ``probability_column``
    reserves room for the probabilities, ``probabilities`` says whether they are drawn."""
    node_scale, output = flags
    x, y = xy
    rows = grid_rows(nodes)
    columns = math.ceil(nodes / rows) if nodes else 0
    labels = _labels(nodes, rows, output, class_names)
    label_width = _label_width(style, labels, output)
    pitch = style.panel + style.gap
    if output:
        pitch += (PROBABILITY_WIDTH if probability_column else 0) + label_width
    cell_height = style.panel + style.gap + (style.small_line if node_scale else 0)
    grid_x = x + label_width
    grid_y = y + 3 * style.line + style.small_line
    legend_y = grid_y + rows * cell_height + 2
    width = _block_width(style, columns, label_width, output, probability_column)
    drawn = _block_width(style, columns, label_width, output, probabilities)
    return Block(
        layer=layer,
        nodes=nodes,
        node_scale=node_scale,
        probabilities=probabilities,
        output=output,
        x=x,
        y=y,
        width=width,
        height=legend_y - y + style.legend + style.small_line + 2,
        text_y=tuple(y + k * style.line for k in range(4)),
        grid_x=grid_x,
        grid_y=grid_y,
        pitch=pitch,
        cell_height=cell_height,
        probability_x=grid_x + style.panel + style.gap + 4,
        legend_y=legend_y,
        legend_width=drawn - label_width,
        rows=rows,
        label_width=label_width,
        labels=labels,
    )


def _section(style, method, maps, scales, with_probabilities, xy, outputs):
    """A method's section at ``xy``: the probabilities go beside its last output layer;
    ``outputs``: (output layers, class names)."""
    output_layers, class_names = outputs
    x, y = xy
    drawn_outputs = [layer for layer in maps if layer in output_layers]
    probability_layer = drawn_outputs[-1] if drawn_outputs else None
    blocks, bx = [], x
    for layer, layer_maps in maps.items():
        beside = layer == probability_layer
        output = layer in output_layers
        nodes = len(layer_maps)
        names = check_class_names(class_names, nodes, layer, "montage") if output else None
        flags = (np.ndim(scales[layer]) == 1, output)
        drawn = beside and with_probabilities
        block = _block(style, layer, nodes, flags, beside, drawn, names, (bx, y + style.line))
        blocks.append(block)
        bx += block.width + style.block_gap
    height = style.line + max(block.height for block in blocks)
    return Section(method, x, y, bx - style.block_gap - x, height, tuple(blocks))


def subtitle_of(scale_mode, colormap="gray", overlay=False, one_sided=False, scale_note=None):
    """The line under the title: what the colours mean, the scale (``scale_note`` in place
    of the scale mode's usual words), the overlay."""
    subtitle = f"{shading_text(colormap, one_sided)}; {scale_note or SCALE_TEXT[scale_mode]}"
    return f"{subtitle}; {OVERLAY_TEXT}" if overlay else subtitle


def montage_layout(
    style,
    maps,
    scales,
    title,
    scale_mode,
    with_probabilities=True,
    colormap="gray",
    overlay=False,
    one_sided=False,
    scale_note=None,
    output_layers=OUTPUT_LAYERS,
    class_names=None,
):
    """Where everything of ``montage`` goes (arguments as for ``montage``)."""
    subtitle = subtitle_of(scale_mode, colormap, overlay, one_sided, scale_note)
    x = style.margin + style.input_width + style.block_gap
    y = style.margin + style.heading_height
    input_y = y + style.line
    outputs = (tuple(output_layers), class_names)
    sections = []
    for method, per_layer in maps.items():
        section = _section(
            style, method, per_layer, scales[method], with_probabilities, (x, y), outputs
        )
        sections.append(section)
        y += section.height + style.block_gap
    width = x + max(section.width for section in sections) + style.margin
    width = max(width, style.margin * 2 + style.heading_width(title, subtitle))
    return MontageLayout(width, y + style.margin, subtitle, input_y, tuple(sections))


def _sign(one_sided):
    """Before a scale's value: "0 to +" for one-sided maps, "\u00b1" (plus-minus) else."""
    return "0 to +" if one_sided else "\u00b1"


def _draw_block_texts(canvas, style, block, scale, residual, one_sided):
    """The lines above the grid: layer, scale, residual, "softmax" and column numbers."""
    name_y, scale_y, residual_y, numbers_y = block.text_y
    canvas.text((block.x, name_y), f"{block.layer}  ({block.nodes} nodes)", style.font)
    if block.node_scale:
        text = "scale: per node, below each"
    else:
        text = f"scale: {_sign(one_sided)}{format_value(scale)}"
    canvas.text((block.x, scale_y), text, style.small)
    if residual is not None:
        text = f"max |residual| {format_value(np.max(np.abs(residual)))}"
        canvas.text((block.x, residual_y), text, style.small)
    for c in range(block.columns):
        if block.probabilities:
            cx = block.probability_x + c * block.pitch
            canvas.text((cx, numbers_y), "softmax", style.small)
        if not block.output:
            cx = block.grid_x + c * block.pitch + style.panel / 2
            canvas.text((cx, numbers_y), str(c * block.rows), style.small, anchor="ma")


def _draw_nodes(canvas, style, block, maps, scale, probabilities, colours):
    """Each node's panel, its label (an output node's; a hidden layer's row numbers left of
    its first column), its scale (per node) and probability."""
    colormap, outline, one_sided = colours
    sign = "+" if one_sided else "\u00b1"  # before each node's scale
    panels = map_panel(enlarge(to_gray(maps, scale), style.zoom), colormap, outline)
    best = int(np.argmax(probabilities)) if block.probabilities else None
    half = style.panel / 2
    for j in range(block.nodes):
        px, py = block.panel_xy(j)
        canvas.paste(panels[j], (px, py))
        if block.output:
            canvas.text((px - 4, py + half), block.labels[j], style.font, anchor="rm")
        elif j < block.rows:  # the first column: row j is node j
            canvas.text((block.grid_x - 4, py + half), block.labels[j], style.small, anchor="rm")
        if block.node_scale:
            text = f"{sign}{format_value(scale[j])}"
            canvas.text((px + half, py + style.panel + 1), text, style.small, anchor="ma")
        if block.probabilities:
            font = style.title_font if j == best else style.font
            text = f"{probabilities[j]:.3f}"
            canvas.text((px + style.panel + 6, py + half), text, font, anchor="lm")


def _legend_ends(block, scale, one_sided):
    """The texts at the legend bar's ends: -scale and +scale, or 0 and +scale (one-sided)."""
    if block.node_scale:
        return ("0", "+max") if one_sided else ("-max", "+max")
    if one_sided:
        return ("0", f"+{format_value(scale)}")
    return (f"-{format_value(scale)}", f"+{format_value(scale)}")


def _draw_block(canvas, style, block, maps, scale, probabilities, residual, colours):
    colormap, _, one_sided = colours
    _draw_block_texts(canvas, style, block, scale, residual, one_sided)
    _draw_nodes(canvas, style, block, maps, scale, probabilities, colours)
    ends = _legend_ends(block, scale, one_sided)
    x, y, width = block.grid_x, block.legend_y, block.legend_width
    draw_scale_bar(canvas, style, x, y, width, ends, colormap, one_sided)


def _check_probabilities(layout, probabilities):
    """A clear error when the probabilities do not match the layer they are written beside."""
    for section in layout.sections:
        for block in section.blocks:
            if block.probabilities and len(probabilities) != block.nodes:
                raise InputError(
                    f"montage: {len(probabilities)} probabilities for the {block.nodes} nodes "
                    f"of {block.layer} (method {section.method}); expected one per node"
                )


def montage(
    image,
    maps,
    scales,
    probabilities,
    title,
    scale_mode,
    residuals=None,
    zoom=2,
    colormap="gray",
    overlay=False,
    one_sided=False,
    scale_note=None,
    output_layers=OUTPUT_LAYERS,
    class_names=None,
):
    """Draw one picture: the input image, then per method a row of layer blocks.

    image: (28, 28) values in [0, 1]; maps: {method: {layer: (nodes, 28, 28)}};
    scales: the same nesting with a float (one scale for the layer) or a (nodes,) array;
    probabilities: the sample's softmax output (one per class), written beside the last
    output layer; residuals: optional {method: {layer: (nodes,)}} whose max |.| is written
    per layer; colormap: "gray" or "diverging" (``shading.COLORMAPS``); overlay: the input's
    strokes outlined over every panel; one_sided: the maps are non-negative (a standard
    deviation), the legends go from 0 to +scale and the subtitle says so; scale_note: the
    subtitle's words for the scale when the scale mode's usual ones do not fit;
    output_layers: the network's output layers (aL, zL; ``network.output_layers``), whose
    nodes are classes; class_names: one name per output node that labels its panel (None:
    the node's number, the digit for MNIST). Each layer is laid out by ``grid_rows``.
    Returns a PIL image: grayscale ("L") for the gray colour map without overlay, else RGB.
    """
    style = MapStyle(zoom)
    layout = montage_layout(
        style,
        maps,
        scales,
        title,
        scale_mode,
        probabilities is not None,
        colormap,
        overlay,
        one_sided,
        scale_note,
        output_layers,
        class_names,
    )
    if probabilities is not None:
        _check_probabilities(layout, probabilities)
    canvas = figure(layout.width, layout.height, colormap, overlay)
    colours = (colormap, input_outline(image, style, overlay), one_sided)
    draw_heading(canvas, style, title, layout.subtitle)
    draw_input(canvas, style, image, layout.input_y)
    for section in layout.sections:
        method = section.method
        canvas.text((section.x, section.y), f"method: {method}", style.title_font)
        for block in section.blocks:
            layer = block.layer
            _draw_block(
                canvas,
                style,
                block,
                maps[method][layer],
                scales[method][layer],
                probabilities if block.probabilities else None,
                None if residuals is None else residuals[method][layer],
                colours,
            )
    return canvas.image()
