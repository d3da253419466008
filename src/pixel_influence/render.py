"""Drawing influence maps as gray pictures (gray = 0, brighter = positive, darker = negative).

``to_gray`` maps values to gray levels on a symmetric scale; ``montage`` lays out the input
image and, per method and layer, a labelled grid of node maps (10 rows, node j at row j % 10
and column j // 10, as in the article), writes the scale and a legend bar on the picture and
the softmax probabilities beside the output panels. ``methods_figure`` compares methods on
one sample (a row per method, a column per chosen node, with completeness residuals) and
``curves_figure`` draws line plots of faithfulness curves in colour (Okabe-Ito palette).
"""

import itertools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from . import SOFTWARE
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


def _draw_input(img, draw, lay, image, y):
    """The label "input" at height y and below it the input image at twice the zoom."""
    draw.text((lay.margin, y), "input", fill=INK, font=lay.font)
    big = np.clip(np.rint(np.asarray(image, dtype=np.float64) * 255), 0, 255).astype(np.uint8)
    big = big.repeat(2 * lay.zoom, axis=0).repeat(2 * lay.zoom, axis=1)
    iy = y + lay.line
    img.paste(Image.fromarray(big, mode="L"), (lay.margin, iy))
    draw.rectangle(
        [lay.margin - 1, iy - 1, lay.margin + big.shape[1], iy + big.shape[0]], outline=128
    )


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
    width = max(width, lay.margin * 2 + math.ceil(text_width))
    header = lay.line * 2 + 4
    height = lay.margin * 2 + header
    height += sum(lay.line + max(h for _, h in s[3]) + lay.block_gap for s in sections)
    img = Image.new("L", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    draw.text((lay.margin, lay.margin), title, fill=INK, font=lay.title_font)
    draw.text((lay.margin, lay.margin + lay.line + 2), subtitle, fill=INK, font=lay.small)
    y = lay.margin + header
    _draw_input(img, draw, lay, image, y + lay.line)
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


def _compact(v):
    """Short text for a small number such as a residual: 1.2e-3 (0 stays 0)."""
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    mantissa, exponent = f"{v:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _column_header(layer, node):
    return f"digit {node}" if layer in OUTPUT_LAYERS else f"{layer} #{node}"


def _layer_groups(columns):
    """Runs of consecutive columns of the same layer: [(layer, [column indices])]."""
    groups = []
    for i, (layer, _) in enumerate(columns):
        if groups and groups[-1][0] == layer:
            groups[-1][1].append(i)
        else:
            groups.append((layer, [i]))
    return groups


def methods_figure(
    image, columns, maps, scales, residuals, probabilities, title, scale_mode, zoom=2
):
    """Compare influence methods on one sample: one row per method, one column per node.

    image: (28, 28) values in [0, 1]; columns: [(layer, node)] drawn in that order, grouped
    by layer; maps, scales and residuals as for ``montage`` (scales a float per layer or a
    (nodes,) array); probabilities: softmax output (10,) written above the z3 columns.
    Each row is labelled with its method, max |residual| over the shown nodes and the layer
    scales; each panel shows its own residual (and its scale when scaled per node).
    Returns a grayscale PIL image.
    """
    lay = _Layout(zoom)
    methods = list(maps)
    columns = [(layer, int(node)) for layer, node in columns]
    groups = _layer_groups(columns)
    layers = list(dict.fromkeys(layer for layer, _ in columns))
    node_scale = any(np.ndim(scales[m][layer]) == 1 for m in methods for layer in layers)
    with_probs = probabilities is not None and any(layer == "z3" for layer, _ in columns)
    best = int(np.argmax(probabilities)) if probabilities is not None else None

    def prob_text(layer, node):
        if not with_probs or layer != "z3":
            return None
        return f"p={probabilities[node]:.3f}", lay.title_font if node == best else lay.small

    def panel_texts(method, layer, node):
        texts = [f"r={_compact(residuals[method][layer][node])}"]
        scale = scales[method][layer]
        if np.ndim(scale) == 1:
            texts.append(f"\u00b1{format_value(scale[node])}")
        return texts

    # column widths: the panel or the widest text of that column, whichever is wider
    widths = []
    for layer, node in columns:
        texts = [lay.small.getlength(_column_header(layer, node))]
        texts += [lay.small.getlength(t) for m in methods for t in panel_texts(m, layer, node)]
        p = prob_text(layer, node)
        if p is not None:
            texts.append(p[1].getlength(p[0]))
        widths.append(max(lay.panel, math.ceil(max(texts)) + 4))
    for layer, idx in groups:  # a group at least as wide as its layer name
        need = math.ceil(lay.font.getlength(layer)) + 4
        span = sum(widths[i] for i in idx) + lay.gap * (len(idx) - 1)
        widths[idx[-1]] += max(0, need - span)
    group_gap = lay.block_gap // 2
    xs, x = [], 0
    for g, (_, idx) in enumerate(groups):
        x += group_gap if g else 0
        for i in idx:
            xs.append(x)
            x += widths[i] + lay.gap
    grid_w = x - lay.gap

    def row_lines(method):
        shown = [residuals[method][layer][node] for layer, node in columns]
        lines = [f"max |residual| {format_value(np.max(np.abs(shown)))}"]
        for layer in layers:
            scale = scales[method][layer]
            if np.ndim(scale) == 0:
                lines.append(f"{layer} scale \u00b1{format_value(scale)}")
        if any(np.ndim(scales[method][layer]) == 1 for layer in layers):
            lines.append("scale: per node, below each")
        return lines

    label_w = max(
        max(lay.font.getlength(m) for m in methods),
        max(lay.small.getlength(t) for m in methods for t in row_lines(m)),
    )
    label_w = math.ceil(label_w) + lay.block_gap // 2
    label_h = lay.line + lay.small_line * max(len(row_lines(m)) for m in methods)
    cell_h = lay.panel + lay.small_line * (2 if node_scale else 1)
    row_h = max(cell_h, label_h) + lay.block_gap // 2

    input_w = max(lay.panel * 2, 90)
    gx = lay.margin + input_w + lay.block_gap + label_w
    subtitle = (
        f"gray = 0, brighter = positive, darker = negative; {SCALE_TEXT[scale_mode]}; "
        "r = f(x) - f(baseline) - sum(map)"
    )
    text_width = max(lay.title_font.getlength(title), lay.small.getlength(subtitle))
    legend_w = max(grid_w, 120)
    width = max(gx + legend_w, lay.margin * 2 + math.ceil(text_width)) + lay.margin
    header = lay.line * 2 + 4
    top = lay.margin + header
    heads_h = lay.line + lay.small_line + 2 + (lay.line + 4 if with_probs else 0)
    rows_y = top + heads_h
    legend_y = rows_y + len(methods) * row_h
    grid_bottom = legend_y + lay.legend + lay.small_line + 2
    input_bottom = top + lay.line + 56 * zoom + 2
    height = max(grid_bottom, input_bottom) + lay.margin

    img = Image.new("L", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    draw.text((lay.margin, lay.margin), title, fill=INK, font=lay.title_font)
    draw.text((lay.margin, lay.margin + lay.line + 2), subtitle, fill=INK, font=lay.small)
    _draw_input(img, draw, lay, image, top)

    for layer, idx in groups:
        x0, x1 = gx + xs[idx[0]], gx + xs[idx[-1]] + widths[idx[-1]] - 1
        draw.text((x0, top), layer, fill=INK, font=lay.font)
        draw.line([(x0, top + lay.line - 1), (x1, top + lay.line - 1)], fill=INK)
    for (layer, node), cx, w in zip(columns, xs, widths, strict=True):
        mid = gx + cx + w / 2
        y = top + lay.line + 1
        draw.text((mid, y), _column_header(layer, node), fill=INK, font=lay.small, anchor="ma")
        p = prob_text(layer, node)
        if p is not None:
            draw.text((mid, y + lay.small_line + 2), p[0], fill=INK, font=p[1], anchor="ma")

    for r, method in enumerate(methods):
        y = rows_y + r * row_h
        lx = lay.margin + input_w + lay.block_gap
        draw.text((lx, y), method, fill=INK, font=lay.font)
        for k, text in enumerate(row_lines(method)):
            draw.text((lx, y + lay.line + k * lay.small_line), text, fill=INK, font=lay.small)
        for (layer, node), cx, w in zip(columns, xs, widths, strict=True):
            scale = scales[method][layer]
            gray = to_gray(maps[method][layer][node], scale[node] if np.ndim(scale) else scale)
            gray = gray.repeat(zoom, axis=0).repeat(zoom, axis=1)
            px = gx + cx + (w - lay.panel) // 2
            img.paste(Image.fromarray(gray, mode="L"), (px, y))
            for k, text in enumerate(panel_texts(method, layer, node)):
                ty = y + lay.panel + 1 + k * lay.small_line
                draw.text((gx + cx + w / 2, ty), text, fill=INK, font=lay.small, anchor="ma")

    flat = [scales[m][layer] for m in methods for layer in layers]
    if node_scale:
        ends = ("-max", "+max")
    elif len({float(s) for s in flat}) == 1:
        ends = (f"-{format_value(flat[0])}", f"+{format_value(flat[0])}")
    else:
        ends = ("-scale", "+scale")
    _draw_legend(draw, lay, gx, legend_y, legend_w, ends)
    return img


# Okabe-Ito colours (colour-blind friendly); random is the gray, dashed reference
CURVE_COLORS = {
    "insertion": (0, 114, 178),
    "occlusion": (230, 159, 0),
    "gradient_input": (86, 180, 233),
    "integrated_gradients": (0, 158, 115),
    "deeplift": (213, 94, 0),
    "shapley_sampling": (204, 121, 167),
    "random": (128, 128, 128),
}
_SPARE_COLORS = ((0, 0, 0), (240, 228, 66), *CURVE_COLORS.values())
DASHED = ("random",)
BAND_ALPHA = 51  # about 0.2: the band between low and high, blended over white


def curve_colors(methods):
    """RGB colour per method: the fixed one for known names, unused spare ones for others."""
    colors = {m: CURVE_COLORS[m] for m in methods if m in CURVE_COLORS}
    spare = [c for c in _SPARE_COLORS if c not in colors.values()]
    for i, m in enumerate(m for m in methods if m not in colors):
        colors[m] = spare[i % len(spare)]
    return colors


class _CurveLayout:
    def __init__(self):
        self.margin = 12
        self.font = _font(12)
        self.small = _font(10)
        self.title_font = _font(15)
        self.line = 16
        self.small_line = 13
        self.plot_w = 240
        self.plot_h = 150
        self.tick = 4
        self.gap = 20
        self.swatch = 18


def _nice_step(span, count=6):
    """The smallest of 1, 2, 2.5, 5 x 10^k giving at most about ``count`` steps over ``span``."""
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw * (1 - 1e-9))


def _ticks(lo, hi):
    """Round tick values in [lo, hi] and their labels, with as many decimals as the step."""
    step = _nice_step(hi - lo)
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    decimals = next((d for d in range(12) if abs(step * 10**d - round(step * 10**d)) < 1e-6), 12)
    return [(k * step, f"{k * step + 0.0:.{decimals}f}") for k in range(first, last + 1)]


def _y_range(series):
    """y limits from all finite center/low/high values, padded 5%; 0 and 1 are included
    when they lie within one data span of the data (so curves read against 0 and 1)."""
    values = [np.ravel(np.asarray(a, dtype=np.float64)) for s in series for a in s]
    values = np.concatenate(values) if values else np.zeros(0)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return -0.05, 1.05
    lo, hi = float(values.min()), float(values.max())
    reach = max(hi - lo, 0.5)
    for v in (0.0, 1.0):
        if lo - reach <= v <= hi + reach:
            lo, hi = min(lo, v), max(hi, v)
    if hi - lo == 0:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def _x_range(x):
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return 0.0, 1.0
    lo, hi = float(x.min()), float(x.max())
    return (lo - 0.5, hi + 0.5) if hi == lo else (lo, hi)


def _runs(ok):
    """Index runs [start, stop) where ``ok`` is true."""
    runs, start = [], None
    for i, good in enumerate(ok):
        if good and start is None:
            start = i
        elif not good and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(ok)))
    return runs


def _dashed(draw, points, fill, width, dash=7, space=4):
    """A polyline drawn as dashes of ``dash`` px separated by ``space`` px."""
    period, s = dash + space, 0.0
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        t = 0.0
        while t < length:
            phase = (s + t) % period
            step = min((dash - phase) if phase < dash else (period - phase), length - t)
            if phase < dash:
                a, b = t / length, (t + step) / length
                draw.line(
                    [
                        (x0 + a * (x1 - x0), y0 + a * (y1 - y0)),
                        (x0 + b * (x1 - x0), y0 + b * (y1 - y0)),
                    ],
                    fill=fill,
                    width=width,
                )
            t += step
        s += length


def _polyline(draw, points, fill, dashed):
    if len(points) == 1:
        (x, y), r = points[0], 1.5
        draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
    elif dashed:
        _dashed(draw, points, fill, 2)
    else:
        draw.line(points, fill=fill, width=2, joint="curve")


def _swatch(draw, lay, x, y, color, dashed):
    """A legend mark: the band colour as a box with the line across it."""
    band = tuple(round(255 + (c - 255) * BAND_ALPHA / 255) for c in color)
    draw.rectangle([x, y, x + lay.swatch - 1, y + 9], fill=band)
    _polyline(draw, [(x, y + 4.5), (x + lay.swatch - 1, y + 4.5)], color, dashed)


def _vertical_text(img, xy, text, font):
    """Paste ``text`` rotated to read bottom-up, centred on ``xy``."""
    box = font.getbbox(text)
    label = Image.new("L", (box[2] + 2, box[3] + 2), 0)
    ImageDraw.Draw(label).text((1, 1), text, fill=255, font=font)
    label = label.transpose(Image.Transpose.ROTATE_90)
    x, y = xy
    img.paste((0, 0, 0), (round(x - label.width / 2), round(y - label.height / 2)), label)


def curves_figure(panels, methods, title, subtitle=""):
    """Line plots of faithfulness curves: rows of panels, one line and band per method.

    panels: rows of {"title", "x": (n,), "series": {method: (center, low, high)},
    "note": {method: str} (optional), "xlabel", "ylabel"}; each method's band between low
    and high is blended over white and its center drawn as a 2 px line (random dashed).
    methods: the order and (via ``curve_colors``) the colour of the methods; non-finite
    values are skipped. Returns an RGB PIL image.
    """
    lay = _CurveLayout()
    colors = curve_colors(methods)
    for row in panels:
        for panel in row:
            unknown = [m for m in panel["series"] if m not in colors]
            if unknown:
                raise ValueError(f"series {unknown} of panel {panel['title']!r} not in methods")
    ranges = [
        [(_x_range(p["x"]), _y_range(list(p["series"].values()))) for p in row] for row in panels
    ]
    ticks = [[(_ticks(*xr), _ticks(*yr)) for xr, yr in row] for row in ranges]
    y_label_w = max([lay.small.getlength(t) for row in ticks for _, yt in row for _, t in yt] + [0])
    notes = [f"{text}" for row in panels for p in row for text in (p.get("note") or {}).values()]
    note_w = max([lay.small.getlength(t) for t in notes] + [0])
    note_w = math.ceil(note_w) + lay.swatch + 14 if notes else 0
    left = lay.small_line + 4 + math.ceil(y_label_w) + lay.tick + 3
    panel_w = left + lay.plot_w + note_w
    panel_h = lay.line + lay.plot_h + lay.tick + lay.small_line + lay.small_line + 6
    ncols = max([len(row) for row in panels] + [1])
    width = lay.margin * 2 + ncols * panel_w + (ncols - 1) * lay.gap

    entries = [(m, lay.swatch + 6 + math.ceil(lay.font.getlength(m)) + 16) for m in methods]
    text_w = max(lay.title_font.getlength(title), lay.small.getlength(subtitle))
    width = max(width, lay.margin * 2 + math.ceil(text_w))
    legend_rows, x = [[]], 0
    for m, w in entries:
        if legend_rows[-1] and x + w > width - 2 * lay.margin:
            legend_rows.append([])
            x = 0
        legend_rows[-1].append((m, x))
        x += w
    head = lay.margin + lay.line + 4 + (lay.small_line + 2 if subtitle else 0)
    legend_y = head
    top = legend_y + len(legend_rows) * lay.line + 8
    height = top + len(panels) * panel_h + max(len(panels) - 1, 0) * lay.gap + lay.margin

    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.text((lay.margin, lay.margin), title, fill=(0, 0, 0), font=lay.title_font)
    if subtitle:
        draw.text((lay.margin, lay.margin + lay.line + 4), subtitle, fill=(0, 0, 0), font=lay.small)
    for k, row in enumerate(legend_rows):
        y = legend_y + k * lay.line
        for m, x in row:
            _swatch(draw, lay, lay.margin + x, y + 3, colors[m], m in DASHED)
            draw.text((lay.margin + x + lay.swatch + 6, y), m, fill=(0, 0, 0), font=lay.font)

    for r, row in enumerate(panels):
        for c, panel in enumerate(row):
            ox = lay.margin + c * (panel_w + lay.gap)
            oy = top + r * (panel_h + lay.gap)
            (xlo, xhi), (ylo, yhi) = ranges[r][c]
            xticks, yticks = ticks[r][c]
            x0, y0 = ox + left, oy + lay.line
            x1, y1 = x0 + lay.plot_w - 1, y0 + lay.plot_h - 1

            def px(v, x0=x0, xlo=xlo, xhi=xhi):
                return x0 + (v - xlo) / (xhi - xlo) * (lay.plot_w - 1)

            def py(v, y1=y1, ylo=ylo, yhi=yhi):
                return y1 - (v - ylo) / (yhi - ylo) * (lay.plot_h - 1)

            draw.text((x0, oy), panel["title"], fill=(0, 0, 0), font=lay.font)
            for v in (0.0, 1.0):
                if ylo < v < yhi:
                    draw.line([(x0, py(v)), (x1, py(v))], fill=(215, 215, 215))
            xs = np.asarray(panel["x"], dtype=np.float64)
            order = [m for m in methods if m in panel["series"]]
            blend = ImageDraw.Draw(img, "RGBA")  # fills blend over what is drawn already
            for m in order:  # bands first, so that every line stays visible
                _, low, high = (np.asarray(a, dtype=np.float64) for a in panel["series"][m])
                ok = np.isfinite(xs) & np.isfinite(low) & np.isfinite(high)
                for a, b in _runs(ok):
                    if b - a > 1:
                        upper = [(px(xs[i]), py(high[i])) for i in range(a, b)]
                        lower = [(px(xs[i]), py(low[i])) for i in range(b - 1, a - 1, -1)]
                        blend.polygon(upper + lower, fill=(*colors[m], BAND_ALPHA))
            for m in reversed(order):  # lines last, the first method on top
                center = np.asarray(panel["series"][m][0], dtype=np.float64)
                ok = np.isfinite(xs) & np.isfinite(center)
                for a, b in _runs(ok):
                    points = [(px(xs[i]), py(center[i])) for i in range(a, b)]
                    _polyline(draw, points, colors[m], m in DASHED)
            draw.rectangle([x0 - 1, y0 - 1, x1 + 1, y1 + 1], outline=(0, 0, 0))
            for v, text in xticks:
                x = px(v)
                draw.line([(x, y1 + 1), (x, y1 + lay.tick)], fill=(0, 0, 0))
                draw.text((x, y1 + lay.tick + 1), text, fill=(0, 0, 0), font=lay.small, anchor="ma")
            for v, text in yticks:
                y = py(v)
                draw.line([(x0 - lay.tick, y), (x0 - 1, y)], fill=(0, 0, 0))
                draw.text((x0 - lay.tick - 2, y), text, fill=(0, 0, 0), font=lay.small, anchor="rm")
            label_y = y1 + lay.tick + lay.small_line + 2
            xlabel = panel.get("xlabel", "")
            draw.text(((x0 + x1) / 2, label_y), xlabel, fill=(0, 0, 0), font=lay.small, anchor="ma")
            ylabel = panel.get("ylabel", "")
            if ylabel:
                _vertical_text(img, (ox + lay.small_line / 2 + 1, (y0 + y1) / 2), ylabel, lay.small)
            note = panel.get("note") or {}
            ny = y0 + 2
            for m in methods:
                if m in note:
                    _swatch(draw, lay, x1 + 10, ny + 2, colors[m], m in DASHED)
                    nx = x1 + 10 + lay.swatch + 4
                    draw.text((nx, ny), note[m], fill=(0, 0, 0), font=lay.small)
                    ny += lay.small_line + 2
    return img


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
