"""What every figure shares: fonts, ink, text helpers, the map figures' parts and save_png.

A map figure is a grayscale ("L") image with the gray colour map and no overlay, exactly as
before colour maps existed, else RGB (``figure``); its map panels and legend bar take their
colours from ``shading.LUTS``, everything else stays black on white.
"""

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from .. import SOFTWARE
from ..files import atomic_write
from .shading import colourize, legend_ramp, lut, outline_over, stroke_outline

__all__ = [
    "BACKGROUND",
    "INK",
    "MapStyle",
    "draw_heading",
    "draw_input",
    "draw_scale_bar",
    "figure",
    "font",
    "input_outline",
    "map_panel",
    "save_png",
    "vertical_text",
]

BACKGROUND = 255  # the gray pictures' white paper and black ink
INK = 0


def font(size):
    """The default font at ``size`` px (the same on every machine: no system fonts)."""
    return ImageFont.load_default(size=size)


class MapStyle:
    """Sizes (px) and fonts of the map figures (montage, methods figure) at a zoom."""

    def __init__(self, zoom):
        self.zoom = zoom
        self.panel = 28 * zoom  # one node map
        self.gap = 2  # between panels
        self.margin = 12
        self.font = font(11 + zoom)
        self.small = font(8 + zoom)
        self.title_font = font(13 + zoom)
        self.line = 14 + zoom  # height of a line of ``font``
        self.small_line = 11 + zoom  # height of a line of ``small``
        self.row_label = 22  # the row numbers left of a grid
        self.block_gap = 18 + 2 * zoom  # between blocks and sections
        self.legend = 8  # height of the legend bar
        self.input_width = max(self.panel * 2, 90)  # the input image's column
        self.heading_height = self.line * 2 + 4  # title and subtitle

    def heading_width(self, title, subtitle):
        """Width (px) that the title and the subtitle need."""
        return math.ceil(max(self.title_font.getlength(title), self.small.getlength(subtitle)))


def figure(width, height, colormap="gray", overlay=False):
    """A blank map figure: "L" for the gray colour map without overlay (the bytes of the
    pictures before colour maps), else "RGB"; white paper either way."""
    lut(colormap)
    if colormap == "gray" and not overlay:
        return Image.new("L", (width, height), BACKGROUND)
    return Image.new("RGB", (width, height), (BACKGROUND,) * 3)


def _gray(img, level):
    """Gray ``level`` as a fill of ``img`` (an int for "L", a triple for "RGB")."""
    return level if img.mode == "L" else (level,) * 3


def map_panel(levels, colormap="gray", outline=None):
    """A map panel from its gray ``levels`` (uint8, at the picture's zoom): an "L" image for
    the gray colour map without outline, else RGB from the colour map's table, with the
    ``outline`` pixels (bool, same shape; ``shading.stroke_outline``) tinted by
    ``shading.outline_over``."""
    levels = np.asarray(levels, dtype=np.uint8)
    if colormap == "gray" and outline is None:
        return Image.fromarray(levels, mode="L")
    rgb = colourize(levels, colormap)
    if outline is not None:
        rgb = outline_over(rgb, outline)
    return Image.fromarray(rgb, mode="RGB")


def input_outline(image, style, overlay):
    """The overlay's outline of the input image at the figure's zoom, or None without."""
    return stroke_outline(image, style.zoom) if overlay else None


def draw_heading(draw, style, title, subtitle):
    """The title and below it the subtitle, at the top left margin."""
    draw.text((style.margin, style.margin), title, fill=INK, font=style.title_font)
    y = style.margin + style.line + 2
    draw.text((style.margin, y), subtitle, fill=INK, font=style.small)


def draw_input(img, draw, style, image, y):
    """The label "input" at height y and below it the input image at twice the zoom."""
    draw.text((style.margin, y), "input", fill=INK, font=style.font)
    big = np.clip(np.rint(np.asarray(image, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    big = big.repeat(2 * style.zoom, axis=0).repeat(2 * style.zoom, axis=1)
    iy = y + style.line
    img.paste(Image.fromarray(big, mode="L"), (style.margin, iy))
    draw.rectangle(
        [style.margin - 1, iy - 1, style.margin + big.shape[1], iy + big.shape[0]],
        outline=_gray(img, 128),
    )


def draw_scale_bar(img, draw, style, x, y, width, ends, colormap="gray", one_sided=False):
    """The legend: a ramp from -scale to +scale in the colour map's colours, ``width`` px
    wide at (x, y), and below it the texts ``ends`` (left, right) at its ends and 0 in its
    middle; ``one_sided``: the ramp's upper half, from 0 (left) to +scale."""
    ramp = legend_ramp(width, one_sided)
    colours = ramp if img.mode == "L" else colourize(ramp, colormap)
    bar = np.broadcast_to(colours, (style.legend,) + colours.shape)
    img.paste(Image.fromarray(np.ascontiguousarray(bar), mode=img.mode), (x, y))
    draw.rectangle([x, y, x + width - 1, y + style.legend - 1], outline=INK)
    ty = y + style.legend + 1
    left, right = ends
    draw.text((x, ty), left, fill=INK, font=style.small)
    if not one_sided:
        draw.text((x + width / 2, ty), "0", fill=INK, font=style.small, anchor="ma")
    draw.text((x + width, ty), right, fill=INK, font=style.small, anchor="ra")


def vertical_text(img, xy, text, text_font):
    """Paste ``text`` in black, rotated to read bottom-up, centred on ``xy``."""
    box = text_font.getbbox(text)
    label = Image.new("L", (box[2] + 2, box[3] + 2), 0)
    ImageDraw.Draw(label).text((1, 1), text, fill=255, font=text_font)
    label = label.transpose(Image.Transpose.ROTATE_90)
    x, y = xy
    img.paste((0, 0, 0), (round(x - label.width / 2), round(y - label.height / 2)), label)


def save_png(img, path, metadata=None):
    """Write a PNG so that it appears at ``path`` whole or not at all, with ``metadata``
    {key: text} as PNG text chunks (what the picture shows: sample, method, layer,
    scale...) and the software that drew it. No time stamp: the bytes are reproducible."""
    info = PngInfo()
    info.add_text("Software", SOFTWARE)
    for key, value in (metadata or {}).items():
        info.add_text(key, str(value))
    with atomic_write(path) as tmp:
        img.save(tmp, format="PNG", pnginfo=info)
