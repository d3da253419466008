"""What every figure shares: fonts, ink, text helpers, the map figures' parts and save_png."""

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from .. import SOFTWARE
from ..files import atomic_write
from .shading import legend_ramp

__all__ = [
    "BACKGROUND",
    "INK",
    "MapStyle",
    "draw_heading",
    "draw_input",
    "draw_scale_bar",
    "font",
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
        [style.margin - 1, iy - 1, style.margin + big.shape[1], iy + big.shape[0]], outline=128
    )


def draw_scale_bar(draw, style, x, y, width, ends):
    """The legend: a ramp from -scale to +scale, ``width`` px wide at (x, y), and below it
    the texts ``ends`` (left, right) at its ends and 0 in its middle."""
    for i, g in enumerate(legend_ramp(width)):
        draw.line([(x + i, y), (x + i, y + style.legend - 1)], fill=int(g))
    draw.rectangle([x, y, x + width - 1, y + style.legend - 1], outline=INK)
    ty = y + style.legend + 1
    left, right = ends
    draw.text((x, ty), left, fill=INK, font=style.small)
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
