"""Value -> gray level -> colour: the symmetric scales (per layer, node or shared), the colour
maps, the input's outline and the words that explain them.

Gray 128 is 0, brighter is positive and darker negative, up to +-scale (255 and 0). A colour
map is a 256-entry RGB table indexed by that gray level (``LUTS``): "gray" draws the level
itself, "diverging" the ColorBrewer RdBu ramp (blue, white at 0, red). This module is the one
place that knows the mapping: the pictures, their legend ramp, the explorer page's colours
(explorer.py embeds ``LUTS``) and the words that explain them all come from here.
"""

import numpy as np

from ..errors import InputError

__all__ = [
    "COLORMAPS",
    "LUTS",
    "OUTLINE",
    "RDBU",
    "SCALES",
    "SCALE_TEXT",
    "SHADING_TEXT",
    "colour_metadata",
    "colourize",
    "format_value",
    "legend_ramp",
    "lut",
    "nan_to_zero",
    "outline_over",
    "scale_of",
    "scale_text",
    "scales",
    "shading_text",
    "stroke_outline",
    "to_gray",
]

SCALES = ("layer", "node", "shared")
SCALE_TEXT = {
    "layer": "one scale per layer",
    "node": "one scale per node",
    "shared": "one scale per layer, shared by all samples",
}
SHADING_TEXT = "gray = 0, brighter = positive, darker = negative"
COLORMAPS = ("gray", "diverging")
# ColorBrewer RdBu, 11 classes, reversed: -scale (dark blue) .. 0 (white) .. +scale (dark red)
RDBU = (
    "053061",
    "2166ac",
    "4393c3",
    "92c5de",
    "d1e5f0",
    "f7f7f7",
    "fddbc7",
    "f4a582",
    "d6604d",
    "b2182b",
    "67001f",
)
# words per colour map: two-sided maps, and one-sided (non-negative) ones
_TEXT = {
    "gray": (SHADING_TEXT, "gray = 0, brighter = larger (non-negative values: 0 to +scale)"),
    "diverging": (
        "white = 0, red = positive, blue = negative",
        "white = 0, redder = larger (non-negative values: 0 to +scale)",
    ),
}
# the overlay's outline: a green that neither colour map holds, laid over the map's colour at
# 60 % (faint, the map still shows through), seen on mid-gray as on the diverging map's white
OUTLINE = (0, 150, 70)
STROKE = 0.5  # an input pixel at least this bright is part of the digit's strokes
OVERLAY_TEXT = "green outline = the input's strokes (pixels >= 0.5)"


def lut(colormap):
    """The colour map's table: (256, 3) uint8 RGB, row g the colour of gray level g."""
    if colormap not in COLORMAPS:
        raise InputError(f"unknown colormap {colormap!r}, expected one of {list(COLORMAPS)}")
    return LUTS[colormap]


def _gray_lut():
    return np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)


def _diverging_lut():
    """RdBu interpolated linearly between its 11 colours: level 0 is the first, 128 the
    middle (white), 255 the last; rounded half up (as JavaScript's Math.round)."""
    points = np.array([[int(h[i : i + 2], 16) for i in (0, 2, 4)] for h in RDBU], np.float64)
    g = np.arange(256, dtype=np.float64)
    p = (np.where(g < 128, (g - 128) / 128, (g - 128) / 127) + 1) * 5
    i = np.minimum(np.floor(p), 9).astype(int)
    f = (p - i)[:, None]
    return np.floor(points[i] + f * (points[i + 1] - points[i]) + 0.5).astype(np.uint8)


LUTS = {"gray": _gray_lut(), "diverging": _diverging_lut()}
for _table in LUTS.values():
    _table.flags.writeable = False


def _packed(table):
    """A colour map's table for ``colourize``: 512 colours (gray level g, then g under the
    outline: ``outline_over``'s mix), each RGB triple one 3-byte item, so that a picture's
    colours are one 1-D look-up into contiguous RGB (a look-up of (256, 3) rows is several
    times slower)."""
    both = np.concatenate([table, outline_over(table, np.ones(len(table), dtype=bool))])
    packed = np.ascontiguousarray(both).view("V3").reshape(-1)
    packed.flags.writeable = False
    return packed


def colourize(levels, colormap, outline=None):
    """RGB (..., 3) uint8 of gray ``levels`` (uint8) in the colour map; with ``outline``
    (bool, the shape of the last axes of ``levels``) those pixels of each picture mixed with
    the outline colour, as ``outline_over`` mixes them."""
    index = np.asarray(levels, dtype=np.uint8)
    if outline is not None:
        index = index.astype(np.uint16)
        index[..., outline] += 256
    lut(colormap)
    rgb = np.take(_PACKED[colormap], index.reshape(-1))
    return rgb.view(np.uint8).reshape(index.shape + (3,))


def shading_text(colormap, one_sided=False):
    """What the colours mean, for a subtitle: "white = 0, red = positive, ..."."""
    lut(colormap)
    return _TEXT[colormap][1 if one_sided else 0]


def colour_metadata(colormap, overlay):
    """PNG text entries that say how a picture is coloured: {"colormap", "overlay"}."""
    lut(colormap)
    words = {
        "gray": "gray: gray = 0, brighter = positive, darker = negative",
        "diverging": (
            "diverging: ColorBrewer RdBu (11 classes), white = 0, red = positive, blue = negative"
        ),
    }
    return {
        "colormap": words[colormap],
        "overlay": f"true: {OVERLAY_TEXT}" if overlay else "false: no outline",
    }


def outline_over(rgb, outline):
    """``rgb`` (..., h, w, 3) uint8 with the ``outline`` pixels (bool, h, w) of each of its
    pictures mixed 60 % OUTLINE, 40 % their own colour, rounded half up (integers: the same
    bytes everywhere)."""
    out = np.array(rgb, dtype=np.uint8)
    mixed = (2 * out[..., outline, :].astype(np.int32) + 3 * np.array(OUTLINE, np.int32) + 2) // 5
    out[..., outline, :] = mixed.astype(np.uint8)
    return out


_PACKED = {name: _packed(table) for name, table in LUTS.items()}


def stroke_outline(image, zoom):
    """Where the overlay's outline goes: bool (28 zoom, 28 zoom), the pixels just outside
    the strokes (input >= 0.5) at the picture's zoom, that touch a stroke pixel (8-neighbours)."""
    stroke = np.asarray(image, dtype=np.float64) >= STROKE
    stroke = stroke.repeat(zoom, axis=0).repeat(zoom, axis=1)
    padded = np.pad(stroke, 1)
    h, w = stroke.shape
    near = np.zeros_like(stroke)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            near |= padded[dy : dy + h, dx : dx + w]
    return near & ~stroke


def to_gray(maps, scale):
    """Gray levels (uint8) of ``maps`` on the symmetric scale [-scale, +scale].

    ``scale`` is a scalar or one value per map (leading axis). 0 maps to 128, +scale to 255
    and -scale to 0; values beyond the scale are clipped; a zero scale gives uniform gray.
    """
    maps = np.asarray(maps, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    scale = scale.reshape(scale.shape + (1,) * (maps.ndim - scale.ndim))
    # floor(128 + 127.5 clip(maps / scale, -1, 1)), in place: one array, not seven
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.divide(maps, scale)
    np.clip(t, -1.0, 1.0, out=t)
    t *= 127.5
    t += 128.0
    np.floor(t, out=t)
    np.clip(t, 0, 255, out=t)
    flat = ~(scale > 0)  # no scale: uniform gray, whatever the values (inf, NaN)
    if flat.any():
        t[np.broadcast_to(flat, t.shape)] = 128.0
    return t.astype(np.uint8)


def legend_ramp(width, one_sided=False):
    """Gray levels (uint8) of a legend bar ``width`` px wide, from -scale to +scale (or,
    ``one_sided``, from 0 to +scale: the upper half, levels 128 to 255)."""
    low = 128 if one_sided else 0
    return np.floor(np.linspace(low, 255.999, max(width, 2))).astype(np.uint8)


def scale_of(maps, mode):
    """Symmetric scale for a layer's maps (nodes, 28, 28): max |value| per layer or per node."""
    a = np.abs(np.asarray(maps, dtype=np.float64)).reshape(len(maps), -1).max(axis=1)
    return a if mode == "node" else float(a.max())


def scales(maps, mode, shared=None):
    """Scales of nested maps {method: {layer: maps}} for a scale mode; ``shared`` holds
    {(method, layer): value} from ``h5io.read_shared_scale`` for mode "shared"."""
    if mode == "shared":
        return {m: {layer: shared[m, layer] for layer in per} for m, per in maps.items()}
    return {m: {layer: scale_of(v, mode) for layer, v in per.items()} for m, per in maps.items()}


def nan_to_zero(nested):
    """Replace NaN by 0 in every array of a nested dict (a class with no image)."""
    if isinstance(nested, dict):
        return {k: nan_to_zero(v) for k, v in nested.items()}
    if isinstance(nested, np.ndarray) and nested.dtype.kind == "f":
        return np.nan_to_num(nested, nan=0.0)
    return nested


def format_value(v):
    """A scale or residual as short text: 3 significant digits."""
    return f"{v:.3g}"


def scale_text(scales):
    """The numeric scales of nested {method: {layer: float or (nodes,) array}} as text for
    a PNG's metadata: "insertion z1 +-0.067; ..." (per-node scales: their range)."""
    parts = []
    for method, per_layer in scales.items():
        for layer, value in per_layer.items():
            value = np.asarray(value, dtype=np.float64)
            text = (
                f"+-{format_value(value)}"
                if value.ndim == 0
                else f"+-{format_value(value.min())}..{format_value(value.max())} per node"
            )
            parts.append(f"{method} {layer} {text}")
    return "; ".join(parts)
