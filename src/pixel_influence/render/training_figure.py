"""The training curves with matplotlib: the loss, and the train and test accuracy, per epoch.

Two panels side by side over the epochs 1, 2, ...: the mean loss of each epoch's
mini-batches, and the fraction of the training and of the test images classified right
after it (their last values in the legend). Drawn like the faithfulness figure (its ``RC``:
matplotlib's default style and its bundled DejaVu fonts whatever a matplotlibrc says; the
Agg canvas, no pyplot) and saved as an RGB PNG with fixed metadata (no date), so that the
bytes are reproducible.
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from PIL import Image

from .canvas import save_png
from .faithfulness_figure import DPI
from .faithfulness_figure import style as matplotlib_style

__all__ = ["COLORS", "KEYS", "figure", "save"]

KEYS = ("loss", "train_accuracy", "test_accuracy")  # the history's curves the figure draws
COLORS = {"loss": "#000000", "train_accuracy": "#0072B2", "test_accuracy": "#D55E00"}  # Okabe-Ito


def _curves(history):
    """The history's curves as float64 arrays of one length (at least one epoch)."""
    missing = [key for key in KEYS if key not in history]
    if missing:
        raise ValueError(f"history lacks {', '.join(missing)}")
    curves = {key: np.asarray(history[key], dtype=np.float64) for key in KEYS}
    lengths = {curve.shape for curve in curves.values()}
    if len(lengths) != 1 or len(next(iter(lengths))) != 1 or not len(curves["loss"]):
        raise ValueError(f"history curves must be 1-dimensional, of one length, got {lengths}")
    return curves


def figure(history, title, subtitle="", weight_decay=False):
    """The training figure of ``history`` ({"loss", "train_accuracy", "test_accuracy"}:
    one value per epoch, as ``training.train`` returns it): a matplotlib Figure on the Agg
    canvas, ``title`` above and ``subtitle`` (the settings, say) under it; ``weight_decay``
    true says that the loss holds the L2 term."""
    curves = _curves(history)
    epochs = np.arange(1, len(curves["loss"]) + 1)
    marker = "o" if len(epochs) <= 30 else None
    with matplotlib_style():
        fig = Figure(figsize=(9.0, 3.8), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        loss_axes, accuracy_axes = fig.subplots(1, 2)
        loss_axes.plot(
            epochs, curves["loss"], color=COLORS["loss"], marker=marker, markersize=4, lw=1.5
        )
        loss_axes.set_title("loss: mean over the epoch's mini-batches", loc="left")
        loss_axes.set_ylabel("cross-entropy (+ L2 term)" if weight_decay else "cross-entropy")
        for key, name, style in (
            ("train_accuracy", "train", "solid"),
            ("test_accuracy", "test", (0, (5, 2))),
        ):
            accuracy_axes.plot(
                epochs,
                curves[key],
                color=COLORS[key],
                linestyle=style,
                marker=marker,
                markersize=4,
                lw=1.5,
                label=f"{name} ({curves[key][-1]:.4f})",
            )
        accuracy_axes.set_title("accuracy after each epoch", loc="left")
        accuracy_axes.set_ylabel("fraction classified right")
        accuracy_axes.legend(loc="lower right", frameon=False, title="last epoch")
        for axes in (loss_axes, accuracy_axes):
            axes.set_xlabel("epoch")
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.set_xlim(0.5, len(epochs) + 0.5)
            axes.grid(True, color="#EEEEEE", linewidth=0.6)
        fig.suptitle(f"{title}\n{subtitle}" if subtitle else title, fontsize=11)
    return fig


def save(fig, png, metadata):
    """Write ``fig`` as an RGB PNG atomically (``canvas.save_png``: Software and the
    ``metadata`` text entries, no time stamp)."""
    with matplotlib_style():
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        save_png(Image.fromarray(rgba[..., :3].copy(), mode="RGB"), png, metadata)
