"""Drawing influence maps as gray pictures (gray = 0, brighter = positive, darker = negative).

``to_gray`` maps values to gray levels on a symmetric scale; ``montage`` lays out the input
image and, per method and layer, a labelled grid of node maps (10 rows, node j at row j % 10
and column j // 10, as in the article), writes the scale and a legend bar on the picture and
the softmax probabilities beside the output panels.
"""

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .files import atomic_write

OUTPUT_LAYERS = ("a3", "z3")
SCALES = ("layer", "node", "shared")
SCALE_TEXT = {
    "layer": "one scale per layer",
    "node": "one scale per node",
    "shared": "one scale per layer, shared by all samples",
}
BACKGROUND = 255
INK = 0
ROWS = 10


def to_gray(maps, scale):
    """Gray levels (uint8) of ``maps`` on the symmetric scale [-scale, +scale].

    ``scale`` is a scalar or one value per map (leading axis). 0 maps to 128, +scale to 255
    and -scale to 0; values beyond the scale are clipped; a zero scale gives uniform gray.
    """
    maps = np.asarray(maps, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    scale = scale.reshape(scale.shape + (1,) * (maps.ndim - scale.ndim))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(scale > 0, maps / scale, 0.0)
    return np.clip(np.floor(128.0 + 127.5 * np.clip(t, -1.0, 1.0)), 0, 255).astype(np.uint8)


def scale_of(maps, mode):
    """Symmetric scale for a layer's maps (nodes, 28, 28): max |value| per layer or per node."""
    a = np.abs(np.asarray(maps, dtype=np.float64)).reshape(len(maps), -1).max(axis=1)
    return a if mode == "node" else float(a.max())


def _font(size):
    return ImageFont.load_default(size=size)


def format_value(v):
    return f"{v:.3g}"


class _Layout:
    def __init__(self, zoom):
        self.zoom = zoom
        self.panel = 28 * zoom
        self.gap = 2
        self.margin = 12
        self.font = _font(11 + zoom)
        self.small = _font(8 + zoom)
        self.title_font = _font(13 + zoom)
        self.line = 14 + zoom
        self.small_line = 11 + zoom
        self.row_label = 22
        self.block_gap = 18 + 2 * zoom
        self.legend = 8


def _block_size(lay, n, with_probs, node_scale):
    cols = math.ceil(n / ROWS)
    rows = min(n, ROWS)
    cell_h = lay.panel + lay.gap + (lay.small_line if node_scale else 0)
    width = lay.row_label + cols * (lay.panel + lay.gap) - lay.gap + (56 if with_probs else 0)
    width = max(width, 130)
    height = 3 * lay.line + lay.small_line + rows * cell_h + lay.legend + lay.small_line + 4
    return width, height


def _draw_legend(draw, lay, x, y, width, scale_text):
    bar = np.floor(np.linspace(0, 255.999, max(width, 2))).astype(np.uint8)
    for i, g in enumerate(bar):
        draw.line([(x + i, y), (x + i, y + lay.legend - 1)], fill=int(g))
    draw.rectangle([x, y, x + width - 1, y + lay.legend - 1], outline=INK)
    ty = y + lay.legend + 1
    left, right = scale_text
    draw.text((x, ty), left, fill=INK, font=lay.small)
    draw.text((x + width / 2, ty), "0", fill=INK, font=lay.small, anchor="ma")
    draw.text((x + width, ty), right, fill=INK, font=lay.small, anchor="ra")


def _draw_block(img, draw, lay, x0, y0, layer, maps, scale, probabilities, residual):
    n = len(maps)
    node_scale = np.ndim(scale) == 1
    with_probs = probabilities is not None
    width, _ = _block_size(lay, n, with_probs, node_scale)
    draw.text((x0, y0), f"{layer}  ({n} nodes)", fill=INK, font=lay.font)
    y = y0 + lay.line
    if node_scale:
        draw.text((x0, y), "scale: per node, below each", fill=INK, font=lay.small)
    else:
        draw.text((x0, y), f"scale: \u00b1{format_value(scale)}", fill=INK, font=lay.small)
    y += lay.line
    if residual is not None:
        draw.text(
            (x0, y),
            f"max |residual| {format_value(np.max(np.abs(residual)))}",
            fill=INK,
            font=lay.small,
        )
    y += lay.line
    gx = x0 + lay.row_label
    cols = math.ceil(n / ROWS)
    output = layer in OUTPUT_LAYERS and n == 10
    if with_probs:
        px = gx + cols * (lay.panel + lay.gap) + 4
        draw.text((px, y), "softmax", fill=INK, font=lay.small)
    for c in range(cols):
        if not output:
            cx = gx + c * (lay.panel + lay.gap) + lay.panel / 2
            draw.text((cx, y), str(c * ROWS), fill=INK, font=lay.small, anchor="ma")
    y += lay.small_line
    gray = to_gray(maps, scale)
    if lay.zoom > 1:
        gray = gray.repeat(lay.zoom, axis=1).repeat(lay.zoom, axis=2)
    cell_h = lay.panel + lay.gap + (lay.small_line if node_scale else 0)
    best = int(np.argmax(probabilities)) if with_probs else None
    for j in range(n):
        r, c = j % ROWS, j // ROWS
        px = gx + c * (lay.panel + lay.gap)
        py = y + r * cell_h
        img.paste(Image.fromarray(gray[j], mode="L"), (px, py))
        if c == 0:
            label = str(j) if output else str(r)
            draw.text(
                (x0 + lay.row_label - 4, py + lay.panel / 2),
                label,
                fill=INK,
                font=lay.font if output else lay.small,
                anchor="rm",
            )
        if node_scale:
            draw.text(
                (px + lay.panel / 2, py + lay.panel + 1),
                f"\u00b1{format_value(scale[j])}",
                fill=INK,
                font=lay.small,
                anchor="ma",
            )
        if with_probs:
            text = f"{probabilities[j]:.3f}"
            font = lay.title_font if j == best else lay.font
            draw.text(
                (px + lay.panel + 6, py + lay.panel / 2), text, fill=INK, font=font, anchor="lm"
            )
    ly = y + min(n, ROWS) * cell_h + 2
    legend_w = width - lay.row_label
    if node_scale:
        ends = ("-max", "+max")
    else:
        ends = (f"-{format_value(scale)}", f"+{format_value(scale)}")
    _draw_legend(draw, lay, gx, ly, legend_w, ends)
    return width


def montage(image, maps, scales, probabilities, title, scale_mode, residuals=None, zoom=2):
    """Draw one picture: the input image, then per method a row of layer blocks.

    image: (28, 28) values in [0, 1]; maps: {method: {layer: (nodes, 28, 28)}};
    scales: the same nesting with a float (one scale for the layer) or a (nodes,) array;
    probabilities: the sample's softmax output (10,), written beside the last output layer;
    residuals: optional {method: {layer: (nodes,)}} whose max |.| is written per layer.
    Returns a grayscale PIL image.
    """
    lay = _Layout(zoom)
    methods = list(maps)
    sections = []
    for method in methods:
        layers = list(maps[method])
        outputs = [layer for layer in layers if layer in OUTPUT_LAYERS]
        prob_layer = outputs[-1] if outputs else None
        sizes = [
            _block_size(
                lay,
                len(maps[method][layer]),
                layer == prob_layer,
                np.ndim(scales[method][layer]) == 1,
            )
            for layer in layers
        ]
        sections.append((method, layers, prob_layer, sizes))
    input_w = max(lay.panel * 2, 90)
    width = (
        lay.margin * 2
        + input_w
        + lay.block_gap
        + max(sum(w for w, _ in s[3]) + lay.block_gap * (len(s[3]) - 1) for s in sections)
    )
    subtitle = f"gray = 0, brighter = positive, darker = negative; {SCALE_TEXT[scale_mode]}"
    text_width = max(lay.title_font.getlength(title), lay.small.getlength(subtitle))
    width = max(width, lay.margin * 2 + int(math.ceil(text_width)))
    header = lay.line * 2 + 4
    height = lay.margin * 2 + header
    height += sum(lay.line + max(h for _, h in s[3]) + lay.block_gap for s in sections)
    img = Image.new("L", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    draw.text((lay.margin, lay.margin), title, fill=INK, font=lay.title_font)
    draw.text((lay.margin, lay.margin + lay.line + 2), subtitle, fill=INK, font=lay.small)
    y = lay.margin + header
    draw.text((lay.margin, y + lay.line), "input", fill=INK, font=lay.font)
    big = np.clip(np.rint(np.asarray(image, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    big = big.repeat(2 * zoom, axis=0).repeat(2 * zoom, axis=1)
    iy = y + 2 * lay.line
    img.paste(Image.fromarray(big, mode="L"), (lay.margin, iy))
    draw.rectangle(
        [lay.margin - 1, iy - 1, lay.margin + big.shape[1], iy + big.shape[0]], outline=128
    )
    for method, layers, prob_layer, sizes in sections:
        x = lay.margin + input_w + lay.block_gap
        draw.text((x, y), f"method: {method}", fill=INK, font=lay.title_font)
        for layer, (w, _) in zip(layers, sizes, strict=True):
            _draw_block(
                img,
                draw,
                lay,
                x,
                y + lay.line,
                layer,
                maps[method][layer],
                scales[method][layer],
                probabilities if layer == prob_layer else None,
                None if residuals is None else residuals[method][layer],
            )
            x += w + lay.block_gap
        y += lay.line + max(h for _, h in sizes) + lay.block_gap
    return img


def save_png(img, path):
    """Write a PNG so that it appears at ``path`` whole or not at all."""
    with atomic_write(path) as tmp:
        img.save(tmp, format="PNG")
