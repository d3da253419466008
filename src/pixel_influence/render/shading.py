"""Value -> gray level: the symmetric scales (per layer, node or shared) and their text.

Gray 128 is 0, brighter is positive and darker negative, up to +-scale (255 and 0). This
module is the one place that knows the mapping: the pictures, their legend ramp and the
words that explain them all come from here.
"""

import numpy as np

__all__ = [
    "SCALES",
    "SCALE_TEXT",
    "SHADING_TEXT",
    "format_value",
    "legend_ramp",
    "nan_to_zero",
    "scale_of",
    "scale_text",
    "scales",
    "to_gray",
]

SCALES = ("layer", "node", "shared")
SCALE_TEXT = {
    "layer": "one scale per layer",
    "node": "one scale per node",
    "shared": "one scale per layer, shared by all samples",
}
SHADING_TEXT = "gray = 0, brighter = positive, darker = negative"


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


def legend_ramp(width):
    """Gray levels (uint8) of a legend bar ``width`` px wide, from -scale to +scale."""
    return np.floor(np.linspace(0, 255.999, max(width, 2))).astype(np.uint8)


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
