"""The montage of one sample: the input image and, per method and layer, a grid of node maps.

Node j of a layer is at row j % 10 and column j // 10 (as in the article); each layer's
block writes its scale and max |residual| above the grid and a legend bar below it, the
softmax probabilities beside the last output layer. ``montage_layout`` places everything
first; ``montage`` then draws from that layout, in the configured colour map and with the
input's outline over every panel when asked (``overlay``).
"""

import math
from dataclasses import dataclass

import numpy as np

from ..network import OUTPUT_LAYERS
from .canvas import (
    MapStyle,
    draw_heading,
    draw_input,
    draw_scale_bar,
    enlarge,
    figure,
    input_outline,
    map_panel,
)
from .shading import OVERLAY_TEXT, SCALE_TEXT, format_value, shading_text, to_gray

__all__ = [
    "ROWS",
    "Block",
    "MontageLayout",
    "Section",
    "montage",
    "montage_layout",
    "subtitle_of",
]

ROWS = 10  # node j at row j % ROWS and column j // ROWS
PROBABILITY_WIDTH = 56  # the softmax column right of the output layer's grid
MIN_BLOCK_WIDTH = 130  # room for the block's texts


@dataclass(frozen=True)
class Block:
    """One layer's grid of node maps: what it shows and where (px) each part goes."""

    layer: str
    nodes: int
    node_scale: bool  # one scale per node, written below each panel
    probabilities: bool  # the softmax probabilities beside the panels
    output: bool  # node j is digit j: rows labelled in the larger font, no column numbers
    x: int
    y: int
    width: int  # the room the block takes in its section
    height: int
    text_y: tuple  # the lines: layer name, scale, residual, column numbers
    grid_x: int  # the first column of panels (row numbers to its left)
    grid_y: int  # the first row of panels
    pitch: int  # from one panel column to the next
    cell_height: int  # from one panel row to the next
    probability_x: int  # the softmax column
    legend_y: int
    legend_width: int

    @property
    def columns(self):
        return math.ceil(self.nodes / ROWS)

    def panel_xy(self, j):
        """Top left corner of node j's panel."""
        return self.grid_x + j // ROWS * self.pitch, self.grid_y + j % ROWS * self.cell_height


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


def _block_width(style, nodes, probabilities):
    grid = style.row_label + math.ceil(nodes / ROWS) * (style.panel + style.gap) - style.gap
    return max(grid + (PROBABILITY_WIDTH if probabilities else 0), MIN_BLOCK_WIDTH)


def _block(style, layer, nodes, node_scale, probability_column, probabilities, x, y):
    """A layer's block at (x, y); ``probability_column`` reserves room for the
    probabilities, ``probabilities`` says whether they are drawn there."""
    pitch = style.panel + style.gap
    cell_height = pitch + (style.small_line if node_scale else 0)
    rows = min(nodes, ROWS)
    grid_x = x + style.row_label
    grid_y = y + 3 * style.line + style.small_line
    legend_y = grid_y + rows * cell_height + 2
    return Block(
        layer=layer,
        nodes=nodes,
        node_scale=node_scale,
        probabilities=probabilities,
        output=layer in OUTPUT_LAYERS and nodes == 10,
        x=x,
        y=y,
        width=_block_width(style, nodes, probability_column),
        height=legend_y - y + style.legend + style.small_line + 2,
        text_y=tuple(y + k * style.line for k in range(4)),
        grid_x=grid_x,
        grid_y=grid_y,
        pitch=pitch,
        cell_height=cell_height,
        probability_x=grid_x + math.ceil(nodes / ROWS) * pitch + 4,
        legend_y=legend_y,
        legend_width=_block_width(style, nodes, probabilities) - style.row_label,
    )


def _section(style, method, maps, scales, with_probabilities, x, y):
    """A method's section at (x, y): the probabilities go beside its last output layer."""
    outputs = [layer for layer in maps if layer in OUTPUT_LAYERS]
    probability_layer = outputs[-1] if outputs else None
    blocks, bx = [], x
    for layer, layer_maps in maps.items():
        beside = layer == probability_layer
        node_scale = np.ndim(scales[layer]) == 1
        drawn = beside and with_probabilities
        block = _block(style, layer, len(layer_maps), node_scale, beside, drawn, bx, y + style.line)
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
):
    """Where everything of ``montage`` goes (arguments as for ``montage``)."""
    subtitle = subtitle_of(scale_mode, colormap, overlay, one_sided, scale_note)
    x = style.margin + style.input_width + style.block_gap
    y = style.margin + style.heading_height
    input_y = y + style.line
    sections = []
    for method, per_layer in maps.items():
        section = _section(style, method, per_layer, scales[method], with_probabilities, x, y)
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
    if block.probabilities:
        canvas.text((block.probability_x, numbers_y), "softmax", style.small)
    for c in range(block.columns):
        if not block.output:
            cx = block.grid_x + c * block.pitch + style.panel / 2
            canvas.text((cx, numbers_y), str(c * ROWS), style.small, anchor="ma")


def _draw_nodes(canvas, style, block, maps, scale, probabilities, colours):
    """Each node's panel, its row number, its scale (per node) and probability."""
    colormap, outline, one_sided = colours
    sign = "+" if one_sided else "\u00b1"  # before each node's scale
    panels = map_panel(enlarge(to_gray(maps, scale), style.zoom), colormap, outline)
    best = int(np.argmax(probabilities)) if block.probabilities else None
    half = style.panel / 2
    for j in range(block.nodes):
        px, py = block.panel_xy(j)
        canvas.paste(panels[j], (px, py))
        if j < ROWS:  # the first column: row j is node j
            font = style.font if block.output else style.small
            canvas.text((block.grid_x - 4, py + half), str(j), font, anchor="rm")
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
):
    """Draw one picture: the input image, then per method a row of layer blocks.

    image: (28, 28) values in [0, 1]; maps: {method: {layer: (nodes, 28, 28)}};
    scales: the same nesting with a float (one scale for the layer) or a (nodes,) array;
    probabilities: the sample's softmax output (10,), written beside the last output layer;
    residuals: optional {method: {layer: (nodes,)}} whose max |.| is written per layer;
    colormap: "gray" or "diverging" (``shading.COLORMAPS``); overlay: the input's strokes
    outlined over every panel; one_sided: the maps are non-negative (a standard deviation),
    the legends go from 0 to +scale and the subtitle says so; scale_note: the subtitle's
    words for the scale when the scale mode's usual ones do not fit. Returns a PIL image:
    grayscale ("L") for the gray colour map without overlay, else RGB.
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
    )
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
