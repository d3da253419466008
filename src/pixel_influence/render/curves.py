"""Line plots of faithfulness curves in colour: a band and a line per method (Okabe-Ito).

A hand-made plot engine on PIL; a later change replaces it with matplotlib.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from .canvas import font, vertical_text

__all__ = ["BAND_ALPHA", "CURVE_COLORS", "DASHED", "curve_colors", "curves_figure"]

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
        self.font = font(12)
        self.small = font(10)
        self.title_font = font(15)
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


@dataclass(frozen=True)
class _Frame:
    """The picture's size and the place of its legend rows and panels."""

    width: int
    height: int
    left: int  # from a panel's left edge to its plot
    panel_w: int
    panel_h: int
    legend_rows: list  # [[(method, x)]]
    legend_y: int
    top: int  # the first row of panels


@dataclass(frozen=True)
class _Axes:
    """A plot's corners (px) and its data ranges: maps data to pixels."""

    x0: int
    y0: int
    x1: int
    y1: int
    xlo: float
    xhi: float
    ylo: float
    yhi: float
    plot_w: int
    plot_h: int

    def px(self, v):
        return self.x0 + (v - self.xlo) / (self.xhi - self.xlo) * (self.plot_w - 1)

    def py(self, v):
        return self.y1 - (v - self.ylo) / (self.yhi - self.ylo) * (self.plot_h - 1)


def _frame(lay, panels, ticks, methods, title, subtitle):
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
    return _Frame(width, height, left, panel_w, panel_h, legend_rows, legend_y, top)


def _draw_curves(img, draw, panel, methods, colors, axes):
    """Each method's band between low and high, then its center line."""
    px, py = axes.px, axes.py
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


def _draw_axes(img, draw, lay, panel, axes, ticks, ox):
    """The plot's frame, its ticks and the axis labels."""
    x0, y0, x1, y1 = axes.x0, axes.y0, axes.x1, axes.y1
    xticks, yticks = ticks
    draw.rectangle([x0 - 1, y0 - 1, x1 + 1, y1 + 1], outline=(0, 0, 0))
    for v, text in xticks:
        x = axes.px(v)
        draw.line([(x, y1 + 1), (x, y1 + lay.tick)], fill=(0, 0, 0))
        draw.text((x, y1 + lay.tick + 1), text, fill=(0, 0, 0), font=lay.small, anchor="ma")
    for v, text in yticks:
        y = axes.py(v)
        draw.line([(x0 - lay.tick, y), (x0 - 1, y)], fill=(0, 0, 0))
        draw.text((x0 - lay.tick - 2, y), text, fill=(0, 0, 0), font=lay.small, anchor="rm")
    label_y = y1 + lay.tick + lay.small_line + 2
    xlabel = panel.get("xlabel", "")
    draw.text(((x0 + x1) / 2, label_y), xlabel, fill=(0, 0, 0), font=lay.small, anchor="ma")
    ylabel = panel.get("ylabel", "")
    if ylabel:
        vertical_text(img, (ox + lay.small_line / 2 + 1, (y0 + y1) / 2), ylabel, lay.small)


def _draw_notes(draw, lay, panel, methods, colors, axes):
    """Right of the plot, a swatch and the note of each method that has one."""
    note = panel.get("note") or {}
    ny = axes.y0 + 2
    for m in methods:
        if m in note:
            _swatch(draw, lay, axes.x1 + 10, ny + 2, colors[m], m in DASHED)
            nx = axes.x1 + 10 + lay.swatch + 4
            draw.text((nx, ny), note[m], fill=(0, 0, 0), font=lay.small)
            ny += lay.small_line + 2


def _draw_panel(img, draw, lay, panel, methods, colors, axes, ticks, ox, oy):
    draw.text((axes.x0, oy), panel["title"], fill=(0, 0, 0), font=lay.font)
    for v in (0.0, 1.0):
        if axes.ylo < v < axes.yhi:
            draw.line([(axes.x0, axes.py(v)), (axes.x1, axes.py(v))], fill=(215, 215, 215))
    _draw_curves(img, draw, panel, methods, colors, axes)
    _draw_axes(img, draw, lay, panel, axes, ticks, ox)
    _draw_notes(draw, lay, panel, methods, colors, axes)


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
    frame = _frame(lay, panels, ticks, methods, title, subtitle)

    img = Image.new("RGB", (frame.width, frame.height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.text((lay.margin, lay.margin), title, fill=(0, 0, 0), font=lay.title_font)
    if subtitle:
        draw.text((lay.margin, lay.margin + lay.line + 4), subtitle, fill=(0, 0, 0), font=lay.small)
    for k, row in enumerate(frame.legend_rows):
        y = frame.legend_y + k * lay.line
        for m, x in row:
            _swatch(draw, lay, lay.margin + x, y + 3, colors[m], m in DASHED)
            draw.text((lay.margin + x + lay.swatch + 6, y), m, fill=(0, 0, 0), font=lay.font)

    for r, row in enumerate(panels):
        for c, panel in enumerate(row):
            ox = lay.margin + c * (frame.panel_w + lay.gap)
            oy = frame.top + r * (frame.panel_h + lay.gap)
            (xlo, xhi), (ylo, yhi) = ranges[r][c]
            x0, y0 = ox + frame.left, oy + lay.line
            x1, y1 = x0 + lay.plot_w - 1, y0 + lay.plot_h - 1
            axes = _Axes(x0, y0, x1, y1, xlo, xhi, ylo, yhi, lay.plot_w, lay.plot_h)
            _draw_panel(img, draw, lay, panel, methods, colors, axes, ticks[r][c], ox, oy)
    return img
