"""The faithfulness figure with matplotlib: a panel per layer and curve kind, a line per method.

Every method has its own Okabe-Ito colour (colour-blind safe), line style and marker, so the
lines tell apart in colour, in grayscale and where they coincide (the markers of
overlapping lines sit at different places); the reference ranking is a plain gray dashed
line. Beside each panel, its legend lists every method with the panel's score, best first.
Drawn on a ``matplotlib.figure.Figure`` with the Agg canvas, without pyplot, with
matplotlib's default style and its bundled DejaVu fonts whatever a matplotlibrc says, and
saved with fixed metadata (no date) so that the PNG and the SVG bytes are reproducible.
"""

import contextlib
import io
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from .. import SOFTWARE
from ..files import atomic_write
from .canvas import save_png

__all__ = ["DPI", "RC", "STYLES", "Style", "figure", "save", "style", "styles"]


@dataclass(frozen=True)
class Style:
    """How one method's line is drawn: colour, dash pattern and marker."""

    color: str
    linestyle: object  # a matplotlib line style: a name or (offset, (on, off, ...))
    marker: str


# Okabe-Ito colours; six dash patterns and six markers; the random ranking gray and dashed,
# without markers
STYLES = {
    "insertion": Style("#0072B2", "solid", "o"),
    "occlusion": Style("#E69F00", (0, (5, 2)), "s"),
    "gradient_input": Style("#56B4E9", (0, (1, 1.5)), "^"),
    "integrated_gradients": Style("#009E73", (0, (6, 1.5, 1, 1.5)), "D"),
    "deeplift": Style("#D55E00", (0, (4, 1.5, 1, 1.5, 1, 1.5)), "v"),
    "shapley_sampling": Style("#CC79A7", (0, (9, 1.5, 3, 1.5)), "P"),
    "random": Style("#6E6E6E", (0, (3, 3)), ""),
}
_SPARE = (
    Style("#000000", (0, (2, 1, 2, 4)), "X"),
    Style("#F0E442", "solid", "*"),
    Style("#000000", (0, (8, 3)), "h"),
)

DPI = 100
# matplotlib's defaults, then these: the bundled DejaVu fonts (in SVG named first, then the
# generic family: "'DejaVu Sans', sans-serif"), no date or random ids in SVG, text kept as
# text in SVG (searchable, and small)
RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.monospace": ["DejaVu Sans Mono"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "svg.fonttype": "none",
    "svg.hashsalt": "pixel_influence",
    "path.simplify": False,
}
NBSP = "\u00a0"
_MONO = {"family": "monospace", "size": 7.5}


@contextlib.contextmanager
def style():
    """matplotlib's default style with ``RC``, restored on exit (the training figure's too)."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(RC)
        yield


def styles(methods):
    """Style per method: the fixed one for known names, unused spare ones for others."""
    out = {m: STYLES[m] for m in methods if m in STYLES}
    spare = [s for s in (*_SPARE, *STYLES.values()) if s not in out.values()]
    for i, m in enumerate(m for m in methods if m not in out):
        out[m] = spare[i % len(spare)]
    return out


def _line_kwargs(style, k, reference):
    """Line2D keywords of a method's style; ``k`` staggers the markers of method k."""
    if reference:
        return {"color": style.color, "linestyle": style.linestyle, "linewidth": 1.4}
    return {
        "color": style.color,
        "linestyle": style.linestyle,
        "linewidth": 1.5,
        "marker": style.marker or None,
        "markersize": 4.5,
        "markevery": (2 + 3 * k, 20),
    }


def _score_labels(panel, names, reference):
    """The panel's legend rows: method and score in aligned columns, best first and the
    reference last; methods without a finite score after the others."""
    scores = panel["scores"]
    sign = 1.0 if panel["lower_is_better"] else -1.0
    ranked = [m for m in names if m != reference]
    ranked.sort(key=lambda m: (not np.isfinite(scores[m]), sign * np.nan_to_num(scores[m])))
    if reference in names:
        ranked.append(reference)
    width = max(len(m) for m in ranked)
    # no-break spaces: an SVG viewer collapses runs of plain ones, and the columns with them
    return ranked, [f"{m:<{width}} {scores[m]:6.3f}".replace(" ", NBSP) for m in ranked]


def figure(panels, methods, x, title, subtitle, ylabel, reference="random"):
    """The faithfulness figure: ``panels`` rows (one per layer) of panels (one per curve
    kind) {"title", "xlabel", "curves": {method: (len(x),)}, "scores": {method: float},
    "score_title", "lower_is_better"}; every panel shares both axes. ``methods`` gives the
    order of the figure's legend and, with ``styles``, each line's look; ``reference`` (the
    random ranking) is drawn as the gray dashed reference line. Returns a matplotlib Figure
    on the Agg canvas."""
    known = styles(methods)
    for row in panels:
        for panel in row:
            unknown = sorted(set(panel["curves"]) - set(known))
            if unknown:
                raise ValueError(f"curves {unknown} of panel {panel['title']!r} not in methods")
    nrows, ncols = len(panels), max(len(row) for row in panels)
    with style():
        fig = Figure(figsize=(5.6 * ncols, 1.1 + 2.35 * nrows), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        head, body = fig.subfigures(2, 1, height_ratios=[1.1, 2.35 * nrows])
        axes = body.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        handles = {}
        for r, row in enumerate(panels):
            for c, panel in enumerate(row):
                ax = axes[r][c]
                for v in (0.0, 1.0):
                    ax.axhline(v, color="#BBBBBB", linewidth=0.8, zorder=0)
                lines = {}
                names = [m for m in methods if m in panel["curves"]]
                # the reference first (below), then the methods, the first on top
                order = [m for m in names if m == reference]
                order += [m for m in reversed(names) if m != reference]
                for m in order:
                    k = methods.index(m)
                    kwargs = _line_kwargs(known[m], k, m == reference)
                    (line,) = ax.plot(x, panel["curves"][m], label=m, **kwargs)
                    lines[m] = line
                    handles.setdefault(m, line)
                ranked, labels = _score_labels(panel, names, reference)
                ax.legend(
                    [lines[m] for m in ranked],
                    labels,
                    title=panel["score_title"],
                    loc="upper left",
                    bbox_to_anchor=(1.01, 1.0),
                    prop=_MONO,
                    title_fontsize=8,
                    frameon=False,
                    handlelength=3.2,
                    borderaxespad=0.0,
                    alignment="left",
                )
                ax.set_title(panel["title"], loc="left", fontsize=10)
                ax.set_xlim(float(x[0]), float(x[-1]))
                ax.grid(True, axis="x", color="#EEEEEE", linewidth=0.6)
                if r == nrows - 1:
                    ax.set_xlabel(panel["xlabel"])
                if c == 0:
                    ax.set_ylabel(ylabel)
        head.suptitle(title, fontsize=13, y=0.97, va="top")
        labels = {m: f"{m} (chance level)" if m == reference else m for m in methods}
        head.legend(
            [handles[m] for m in methods if m in handles],
            [labels[m] for m in methods if m in handles],
            loc="upper center",
            bbox_to_anchor=(0.5, 0.74),
            ncols=min(4, len(handles)) or 1,
            title=subtitle,
            title_fontsize=8.5,
            frameon=False,
            handlelength=3.2,
        )
    return fig


def _png_image(fig):
    """The figure drawn by Agg, as an RGB PIL image (no alpha: white paper)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return Image.fromarray(rgba[..., :3].copy(), mode="RGB")


def save(fig, png, svg, metadata):
    """Write ``fig`` as an RGB PNG (``canvas.save_png``: Software and the ``metadata`` text
    entries, no time stamp) and as SVG (Creator, Title and the other entries as its
    Description, no Date, ids from the fixed ``svg.hashsalt``), each atomically."""
    with style():
        save_png(_png_image(fig), png, metadata)
        # the layout is done: the SVG keeps it rather than computing it again (seconds)
        fig.set_layout_engine("none")
        described = {k: v for k, v in metadata.items() if k != "Title"}
        svg_metadata = {
            "Creator": f"{SOFTWARE}, matplotlib {matplotlib.__version__}",
            "Date": None,
            "Title": str(metadata.get("Title", "")),
            "Description": "; ".join(f"{k}: {v}" for k, v in described.items()),
        }
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata=svg_metadata)
        with atomic_write(svg) as tmp, open(tmp, "wb") as f:
            f.write(buffer.getvalue())
