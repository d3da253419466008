"""What every figure shares: fonts, ink, the canvas, text helpers, the map figures' parts and
save_png.

A map figure is a grayscale ("L") image with the gray colour map and no overlay, exactly as
before colour maps existed, else RGB (``figure``); its map panels and legend bar take their
colours from ``shading.LUTS``, everything else stays black on white.

A figure is drawn on a ``Canvas``: its pixels as one numpy array, made a PIL image once at
the end. Its text, rectangles and lines are Pillow's to the byte (the text's masks are
FreeType's, made once per text and place and kept, and blended with Pillow's arithmetic), so
the pictures are those that ``ImageDraw`` drew, in a fraction of the time: most of a
picture's texts (node numbers, scales) are the same in every picture.
"""

import functools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageText
from PIL.PngImagePlugin import PngInfo

from .. import SOFTWARE
from ..errors import InputError
from ..files import atomic_write
from .shading import colourize, legend_ramp, lut, stroke_outline

__all__ = [
    "BACKGROUND",
    "INK",
    "Canvas",
    "MapStyle",
    "check_class_names",
    "class_label",
    "draw_heading",
    "draw_input",
    "draw_scale_bar",
    "enlarge",
    "figure",
    "font",
    "input_outline",
    "map_panel",
    "save_png",
    "text_length",
    "vertical_text",
]

BACKGROUND = 255  # the gray pictures' white paper and black ink
INK = 0
TEXT_CACHE = 8192  # rendered texts kept (a few MB): the usual texts and many numbers
# an unsigned integer whose bytes are all one gray level: level * ONES, per zoom
_WIDE = {2: (np.uint16, 0x0101), 4: (np.uint32, 0x01010101), 8: (np.uint64, 0x0101010101010101)}


@functools.cache
def font(size):
    """The default font at ``size`` px (the same on every machine: no system fonts); one
    object per size, shared by every figure (and the key of the text caches)."""
    return ImageFont.load_default(size=size)


@functools.lru_cache(maxsize=TEXT_CACHE)
def text_length(text_font, text):
    """``text_font.getlength(text)``, measured once per font and text."""
    return text_font.getlength(text)


@functools.cache
def _blend_table(ink):
    """Pillow's blend of gray ``ink`` over a pixel through a text mask, for every (mask,
    pixel) pair: entry mask * 256 + pixel is (pixel * (255 - mask) + ink * mask) / 255,
    rounded as Pillow's DIV255 rounds."""
    mask = np.arange(256, dtype=np.uint32)[:, None]
    t = np.arange(256, dtype=np.uint32)[None, :] * (255 - mask) + ink * mask + 128
    table = (((t >> 8) + t) >> 8).astype(np.uint8).reshape(-1)
    table.flags.writeable = False
    return table


@functools.lru_cache(maxsize=TEXT_CACHE)
def _glyphs(text_font, text, anchor, start):
    """What ``ImageDraw.text`` blends for one line of text: FreeType's mask of ``text`` at
    the fractional ``start`` (as Pillow renders it) and its offset from the drawing point:
    (dx, dy, mask * 256), the mask as rows of ``_blend_table``."""
    core, (dx, dy) = text_font.getmask2(
        text, "L", None, None, None, 0, anchor, 0, start, stroke_filled=True
    )
    rows = np.asarray(Image.Image()._new(core), dtype=np.intp) << 8
    rows.flags.writeable = False
    return dx, dy, rows


def _lines(xy, text, text_font, anchor):
    """The lines of a text as ``ImageDraw.text`` places them: (x, y, anchor, text)."""
    if "\n" not in text:
        return ((xy[0], xy[1], anchor or "la", text),)
    return tuple(ImageText.Text(text, text_font, "L")._split(xy, anchor, "left"))


class Canvas:
    """A figure being drawn: ``pixels``, (height, width) uint8 for "L" or (height, width, 3)
    for "RGB", drawn on in place; ``image`` makes it a PIL image. Text, rectangles and lines
    come out as ``ImageDraw`` draws them (ink and fills are gray levels)."""

    def __init__(self, width, height, mode, level=BACKGROUND):
        if mode not in ("L", "RGB"):
            raise ValueError(f"canvas mode must be 'L' or 'RGB', got {mode!r}")
        shape = (height, width) if mode == "L" else (height, width, 3)
        self.mode = mode
        self.pixels = np.full(shape, level, dtype=np.uint8)

    @property
    def size(self):
        """(width, height), as a PIL image's."""
        return self.pixels.shape[1], self.pixels.shape[0]

    def _clip(self, x, y, width, height):
        """The part of a width x height box at (x, y) inside the canvas: its slices in the
        canvas and in the box, or None when nothing of it is inside."""
        h, w = self.pixels.shape[:2]
        if x >= 0 and y >= 0 and x + width <= w and y + height <= h:
            return (slice(y, y + height), slice(x, x + width)), (slice(None), slice(None))
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + width, w), min(y + height, h)
        if x1 <= x0 or y1 <= y0:
            return None
        inside = (slice(y0, y1), slice(x0, x1))
        return inside, (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))

    def paste(self, pixels, xy):
        """Put ``pixels`` with their top left corner at ``xy`` (as ``Image.paste``): gray
        (h, w) levels, or RGB (h, w, 3) on an RGB canvas; what falls outside is cut off."""
        parts = self._clip(int(xy[0]), int(xy[1]), pixels.shape[1], pixels.shape[0])
        if parts is None:
            return
        inside, part = parts
        source = pixels[part]
        if self.mode == "RGB" and source.ndim == 2:
            source = source[..., None]
        self.pixels[inside] = source

    def text(self, xy, text, text_font, anchor=None, ink=INK):
        """Draw ``text`` in gray ``ink`` at ``xy`` exactly as ``ImageDraw.text(xy, text,
        fill=ink, font=text_font, anchor=anchor)`` does."""
        table = _blend_table(ink)
        for x, y, line_anchor, line in _lines(xy, text, text_font, anchor):
            start = (math.modf(x)[0], math.modf(y)[0])
            dx, dy, rows = _glyphs(text_font, line, line_anchor, start)
            parts = self._clip(int(x) + dx, int(y) + dy, rows.shape[1], rows.shape[0])
            if parts is None:
                continue
            inside, part = parts
            rows = rows[part] if self.mode == "L" else rows[part][..., None]
            region = self.pixels[inside]
            region[...] = table[rows + region]

    def rectangle(self, box, outline=None, fill=None):
        """``ImageDraw.rectangle(box, fill, outline)`` with gray levels: [x0, y0, x1, y1],
        both corners inside the rectangle; the fill first, then the 1 px outline."""
        x0, y0, x1, y1 = (int(v) for v in box)
        if fill is not None:
            self._fill(x0, y0, x1, y1, fill)
        if outline is not None and outline != fill:
            self._fill(x0, y0, x1, y0, outline)
            self._fill(x0, y1, x1, y1, outline)
            self._fill(x0, y0, x0, y1, outline)
            self._fill(x1, y0, x1, y1, outline)

    def line(self, start, end, ink=INK):
        """A horizontal or vertical 1 px line from ``start`` to ``end``, both included (as
        ``ImageDraw.line``)."""
        (x0, y0), (x1, y1) = start, end
        if x0 != x1 and y0 != y1:
            raise ValueError(f"only horizontal and vertical lines, got {start} to {end}")
        self._fill(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), ink)

    def _fill(self, x0, y0, x1, y1, level):
        parts = self._clip(int(x0), int(y0), int(x1) - int(x0) + 1, int(y1) - int(y0) + 1)
        if parts is not None:
            self.pixels[parts[0]] = level

    def image(self):
        """The picture as a PIL image ("L" or "RGB")."""
        return Image.fromarray(self.pixels)


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
        return math.ceil(
            max(text_length(self.title_font, title), text_length(self.small, subtitle))
        )


def check_class_names(class_names, nodes, layer, where):
    """``class_names`` as a tuple of ``nodes`` texts, one per node of the output layer
    ``layer`` (None stays None); a clear error naming ``where`` (the figure) otherwise."""
    if class_names is None:
        return None
    if isinstance(class_names, str) or not hasattr(class_names, "__len__"):
        raise InputError(
            f"{where}: class_names must be a sequence of texts, one per output node, got "
            f"{class_names!r}"
        )
    names = tuple(class_names)
    bad = [name for name in names if not isinstance(name, str) or not name.strip()]
    if bad:
        raise InputError(f"{where}: class names must be non-empty texts, got {bad[0]!r}")
    if len(names) != nodes:
        raise InputError(
            f"{where}: {len(names)} class names {names!r} for the {nodes} nodes of {layer}; "
            "expected one name per output node"
        )
    return names


def class_label(node, class_names=None):
    """An output node's label: its class name, or "digit j" without names (MNIST's)."""
    return f"digit {node}" if class_names is None else class_names[node]


def enlarge(levels, zoom):
    """Gray ``levels`` (uint8, (..., h, w)) with each pixel a zoom x zoom square: (...,
    h zoom, w zoom), as ``levels.repeat(zoom, -2).repeat(zoom, -1)`` (but several times
    faster for a zoom of 2, 4 or 8: a row is widened as integers of zoom equal bytes)."""
    levels = np.asarray(levels, dtype=np.uint8)
    if zoom == 1:
        return levels
    if zoom in _WIDE:
        wide, ones = _WIDE[zoom]
        rows = (levels.astype(wide) * wide(ones)).view(np.uint8)
    else:
        rows = levels.repeat(zoom, axis=-1)
    return rows.repeat(zoom, axis=-2)


def figure(width, height, colormap="gray", overlay=False):
    """A blank map figure's canvas: "L" for the gray colour map without overlay (the bytes
    of the pictures before colour maps), else "RGB"; white paper either way."""
    lut(colormap)
    return Canvas(width, height, "L" if colormap == "gray" and not overlay else "RGB")


def map_panel(levels, colormap="gray", outline=None):
    """The pixels of map panels from their gray ``levels`` (uint8, (..., h, w), at the
    picture's zoom): the levels themselves for the gray colour map without outline, else
    RGB (..., h, w, 3) from the colour map's table, with the ``outline`` pixels (bool,
    (h, w); ``shading.stroke_outline``) of every panel tinted as ``shading.outline_over``
    tints them."""
    levels = np.asarray(levels, dtype=np.uint8)
    if colormap == "gray" and outline is None:
        return levels
    return colourize(levels, colormap, outline)


def input_outline(image, style, overlay):
    """The overlay's outline of the input image at the figure's zoom, or None without."""
    return stroke_outline(image, style.zoom) if overlay else None


def draw_heading(canvas, style, title, subtitle):
    """The title and below it the subtitle, at the top left margin."""
    canvas.text((style.margin, style.margin), title, style.title_font)
    canvas.text((style.margin, style.margin + style.line + 2), subtitle, style.small)


def draw_input(canvas, style, image, y):
    """The label "input" at height y and below it the input image at twice the zoom."""
    canvas.text((style.margin, y), "input", style.font)
    big = np.clip(np.rint(np.asarray(image, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    big = enlarge(big, 2 * style.zoom)
    iy = y + style.line
    canvas.paste(big, (style.margin, iy))
    box = [style.margin - 1, iy - 1, style.margin + big.shape[1], iy + big.shape[0]]
    canvas.rectangle(box, outline=128)


def draw_scale_bar(canvas, style, x, y, width, ends, colormap="gray", one_sided=False):
    """The legend: a ramp from -scale to +scale in the colour map's colours, ``width`` px
    wide at (x, y), and below it the texts ``ends`` (left, right) at its ends and 0 in its
    middle; ``one_sided``: the ramp's upper half, from 0 (left) to +scale."""
    ramp = legend_ramp(width, one_sided)
    colours = ramp if canvas.mode == "L" else colourize(ramp, colormap)
    canvas.paste(np.broadcast_to(colours, (style.legend,) + colours.shape), (x, y))
    canvas.rectangle([x, y, x + width - 1, y + style.legend - 1], outline=INK)
    ty = y + style.legend + 1
    left, right = ends
    canvas.text((x, ty), left, style.small)
    if not one_sided:
        canvas.text((x + width / 2, ty), "0", style.small, anchor="ma")
    canvas.text((x + width, ty), right, style.small, anchor="ra")


def vertical_text(img, xy, text, text_font):
    """Paste ``text`` in black, rotated to read bottom-up, centred on ``xy`` (a PIL image)."""
    box = text_font.getbbox(text)
    label = Image.new("L", (box[2] + 2, box[3] + 2), 0)
    ImageDraw.Draw(label).text((1, 1), text, fill=255, font=text_font)
    label = label.transpose(Image.Transpose.ROTATE_90)
    x, y = xy
    img.paste((0, 0, 0), (round(x - label.width / 2), round(y - label.height / 2)), label)


# zlib's run-length strategy: the maps' flat panels on a white page compress as well as
# with the default strategy (6 % larger files) at half the time, which for a digit's six
# pictures is most of their cost (70 ms against 32 ms)
Z_RLE = 3


def save_png(img, path, metadata=None):
    """Write a PNG so that it appears at ``path`` whole or not at all, with ``metadata``
    {key: text} as PNG text chunks (what the picture shows: sample, method, layer,
    scale...) and the software that drew it. No time stamp: the bytes are reproducible."""
    info = PngInfo()
    info.add_text("Software", SOFTWARE)
    for key, value in (metadata or {}).items():
        info.add_text(key, str(value))
    with atomic_write(path) as tmp:
        img.save(tmp, format="PNG", pnginfo=info, compress_type=Z_RLE)
