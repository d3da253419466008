"""Turning a config sample entry into the image it names.

A sample is ``{fill: v}`` (every pixel v in [0, 1]), ``{split: train|test, index: i}`` (an
MNIST image) or ``{png: path}`` (a PNG of any size, mode and polarity, preprocessed as MNIST
made its digits by ``mnist_style``).
"""

import json
import math
import numbers
import os
import re
import stat
import warnings

import numpy as np

from .errors import InputError
from .keypaths import shown, where
from .mnist import SPLITS

__all__ = [
    "MAX_PNG_PIXELS",
    "MNIST_BOX",
    "MNIST_CENTRE",
    "NAME_RULE",
    "SPLIT_SIZES",
    "check",
    "describe",
    "file_problem",
    "fill_image",
    "kind",
    "mnist_image",
    "mnist_style",
    "name_clashes",
    "name_problem",
    "periodic_suffix",
    "png_image",
    "png_path_problem",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
# a name is part of file names such as ".<name>.png.<8 random>.tmp": 100 characters keep
# every one of them far below the 255 bytes (143 on eCryptfs) a file name may have
MAX_NAME = 100
# Snakemake refuses a wildcard value that ends in one piece repeated this many times or more
# (snakemake.io.PeriodicityDetector, min_repeat=20, max_repeat=100), taking it for a rule
# that feeds itself
PERIODIC_REPEATS = (20, 100)
_PERIODIC = re.compile(
    rf"((?P<value>.+)(?P=value){{{PERIODIC_REPEATS[0] - 1},{PERIODIC_REPEATS[1] - 1}}})$"
)
NAME_RULE = (
    "a sample name becomes a file name: letters, digits, '_', '-' and '.', starting with a "
    f"letter or digit, at most {MAX_NAME} characters, not ending in one piece repeated "
    f"{PERIODIC_REPEATS[0]} times or more (Snakemake refuses such names), and not the same as "
    "another sample's name but for upper and lower case"
)
SPLIT_SIZES = {split: count for split, (_, _, count) in SPLITS.items()}  # images per split
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# MNIST's preprocessing (see mnist_style)
MNIST_BOX = 20  # the longer side of the digit's bounding box, in pixels
# (row, column) of the centre of mass, pixel centres at whole numbers: the real images average
# (13.99, 14.01) over the test split and (14.00, 14.01) over the training split, spread
# 0.29 = 1/sqrt(12), the spread of rounding to whole pixels; (13.5, 13.5) is the frame's middle
MNIST_CENTRE = (14.0, 14.0)
MIN_CONTRAST = 0.02  # of the 0..1 range: less and the image holds no digit
NOISE_SIGMAS = 5.0  # background noise removed, in robust standard deviations of the border
INK_THRESHOLD = 0.01  # stretched values above this are ink, for the bounding box
# a row or column is inside the bounding box when it holds more than this fraction of the ink
# pixels of the fullest one, so a few specks of noise far from the digit do not widen the box
SPECKS = 0.02
RESAMPLE = "LANCZOS"  # the Pillow filter that resizes the digit (anti-aliasing when shrinking)
MAX_PNG_PIXELS = 50_000_000
TOO_LARGE = f"too large: at most {MAX_PNG_PIXELS // 1_000_000} megapixels; scale it down"


def kind(spec):
    """ "fill", "mnist" or "png"."""
    if "fill" in spec:
        return "fill"
    if "png" in spec:
        return "png"
    return "mnist"


def describe(spec):
    """A stable one-line JSON text of the sample source, for HDF5 attributes."""
    return json.dumps(spec, sort_keys=True)


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def periodic_suffix(name):
    """The piece that ``name`` ends in repeated 20 to 100 times, or None: Snakemake's rule."""
    m = _PERIODIC.search(name)
    return m.group("value") if m else None


def name_problem(name):
    """What is wrong with a sample name, or None (see ``NAME_RULE``)."""
    if not isinstance(name, str):
        return f"the sample name {shown(name)} is not text"
    # fullmatch: with re.match, "$" would also accept a name ending in a newline
    if not re.fullmatch(NAME_PATTERN, name):
        return f"sample name {shown(name)} is not allowed: {NAME_RULE}"
    if len(name) > MAX_NAME:
        return f"sample name {shown(name)} of {len(name)} characters is too long: {NAME_RULE}"
    piece = periodic_suffix(name)
    if piece is not None:
        return (
            f"sample name {name!r} ends in {piece!r} repeated "
            f"{len(_PERIODIC.search(name).group(0)) // len(piece)} times, which Snakemake "
            f"refuses: {NAME_RULE}"
        )
    return None


def name_clashes(names, labels=None):
    """Sample names given twice, or differing only in case (one file on macOS and Windows
    file systems), as messages naming both. ``labels``: how each name is named in a
    message (``config.samples.<name>`` unless given, e.g. a sample sheet's row)."""
    if labels is None:
        labels = [where(("samples", name)) for name in names]
    seen, found = {}, []
    for name, label in zip(names, labels, strict=True):
        key = str(name).casefold()
        if key not in seen:
            seen[key] = (name, label)
        elif seen[key][0] == name:
            found.append(
                f"{label}: the name {shown(name)} is taken by {seen[key][1]} too; each sample "
                "needs its own name: rename or remove one"
            )
        else:
            found.append(
                f"{label}: the same name as {seen[key][1]} but for upper and lower case; on a "
                "file system that ignores case (macOS, Windows) both would write one file: "
                "rename one"
            )
    return found


def file_problem(path, expected):
    """What stops ``path`` from being read as ``expected`` (e.g. "a PNG file"): "does not
    exist", "is a folder, expected ...", ...; None if nothing. Only a regular file is read:
    a named pipe would hang the reader."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except (OSError, ValueError) as e:  # ValueError: a NUL byte; OSError: name too long, ...
        return f"cannot be looked up ({getattr(e, 'strerror', None) or e})"
    if stat.S_ISDIR(info.st_mode):
        return f"is a folder, expected {expected}"
    if not stat.S_ISREG(info.st_mode):
        return f"is not a regular file (a pipe, socket or device), expected {expected}"
    if not os.access(path, os.R_OK):
        return "is not readable (permission denied)"
    return None


def png_path_problem(path):
    """What stops ``path`` from being read as a PNG sample (``file_problem``), or None."""
    return file_problem(path, "a PNG file")


def check(name, spec, path_problem=png_path_problem, sizes=SPLIT_SIZES):
    """Problems with one sample entry beyond what the JSON schema checks, as messages.

    ``path_problem(path)`` says what is wrong with a PNG sample's path (None: nothing);
    ``sizes``: the images of each split of the dataset (MNIST's unless given)."""
    problems = []
    key = where(("samples", name))
    problem = name_problem(name)
    if problem is not None:
        problems.append(f"config.samples: {problem}")
    k = kind(spec)
    if k == "mnist":
        size = sizes[spec["split"]]
        index = spec["index"]
        if not isinstance(index, int) or isinstance(index, bool):
            problems.append(
                f"{key}.index: {index!r} is not a whole number, expected an integer "
                f"0..{size - 1} written without a decimal point"
            )
        elif not 0 <= index < size:
            problems.append(
                f"{key}.index: {index} is out of range for the {spec['split']} split "
                f"(0..{size - 1})"
            )
    elif k == "png" and (problem := path_problem(spec["png"])) is not None:
        problems.append(f"{key}.png: {shown(spec['png'])} {problem}")
    elif k == "fill":
        value = spec["fill"]
        # NaN passes the schema's minimum/maximum (every comparison with it is false)
        if not _is_number(value) or math.isnan(value):
            problems.append(f"{key}.fill: {value!r} is not a number, expected a value in [0, 1]")
        elif not 0.0 <= value <= 1.0:
            problems.append(f"{key}.fill: {value} is outside [0, 1]")
    return problems


def fill_image(value):
    return np.full((28, 28), float(value), dtype=np.float64)


def mnist_style(gray, source="image"):
    """A grayscale image of any size as MNIST made its digits: 28x28 float64 in [0, 1].

    ``gray`` is a 2-D array: uint8 (0..255), another integer type (0..its maximum), bool, or
    float (0..1). The steps, after the MNIST paper and its web page:

    1. Polarity: the background is the median of the border pixels; when it lies nearer the
       brightest pixel than the darkest, the digit is dark on light and the image is inverted,
       so the digit is light on dark as in MNIST.
    2. Stretch: the background plus its noise (``NOISE_SIGMAS`` robust standard deviations of
       the border, 0 for a clean image) becomes 0 and the brightest ink 1, so a gray or noisy
       background is removed.
    3. Crop to the bounding box of the ink (stretched values above ``INK_THRESHOLD``; rows
       and columns with only a few specks of it, see ``SPECKS``, are left out).
    4. Resize, keeping the aspect ratio, so the longer side is ``MNIST_BOX`` (20) pixels, with
       Pillow's anti-aliasing ``RESAMPLE`` filter on a float image.
    5. Paste into 28x28 shifted by whole pixels so that the centre of mass lands as near
       ``MNIST_CENTRE`` (row, column; pixel centres at whole numbers) as whole pixels allow,
       within the frame: a digit whose mass sits far from its box's middle is moved only as
       far as the frame lets it, never cut.
    6. Clip to [0, 1].

    An image without a digit (uniform, or whose contrast above the noise is below
    ``MIN_CONTRAST``) is an InputError naming ``source``.
    """
    from PIL import Image

    a = np.asarray(gray)
    if a.ndim != 2 or a.size == 0:
        raise InputError(f"{source}: expected a 2-D image with pixels, got shape {a.shape}")
    if a.dtype == bool:
        a, scale = a.view(np.uint8), 1.0
    elif np.issubdtype(a.dtype, np.integer):
        scale = float(np.iinfo(a.dtype).max)
    elif np.issubdtype(a.dtype, np.floating):
        scale = 1.0
        if not np.isfinite(a).all():
            raise InputError(f"{source}: the image holds non-finite values (NaN or infinity)")
    else:
        raise InputError(f"{source}: pixels of type {a.dtype}, expected numbers")

    border = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]]).astype(np.float64) / scale
    background = float(np.median(border))
    lo, hi = float(a.min()) / scale, float(a.max()) / scale
    sign = -1.0 if background - lo > hi - background else 1.0  # -1: dark digit on light
    peak = hi - background if sign > 0 else background - lo  # the strongest ink
    noise = 1.4826 * float(np.median(np.abs(border - background)))  # robust std of the border
    floor = min(NOISE_SIGMAS * noise, peak)
    contrast = peak - floor
    if hi - lo < MIN_CONTRAST:
        values = f"every pixel {lo:.3g}" if hi == lo else f"pixel values {lo:.3g} to {hi:.3g}"
        raise InputError(
            f"{source}: no digit found: the image is uniform ({values} on a 0 to 1 scale); "
            "expected a digit that stands out from a plain background"
        )
    if contrast < MIN_CONTRAST:
        raise InputError(
            f"{source}: no digit found: the image is uniform apart from noise (no pixel stands "
            f"out from the background {background:.3g} by {MIN_CONTRAST} more than "
            f"{NOISE_SIGMAS:g} times the noise of the border, {noise:.3g}); expected a digit "
            "that stands out from a plain background"
        )

    # bounding box of the ink, compared in the input's own units (no full-size float copy)
    level = (floor + INK_THRESHOLD * contrast) * scale
    ink = a > background * scale + level if sign > 0 else a < background * scale - level
    rows, cols = (ink.sum(axis=axis, dtype=np.int64) for axis in (1, 0))
    rows, cols = (np.flatnonzero(n > SPECKS * n.max()) for n in (rows, cols))
    digit = a[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float64)
    digit -= background * scale  # in place: the crop of a large image is large too
    digit *= sign / scale
    digit -= floor
    digit /= contrast
    np.clip(digit, 0.0, 1.0, out=digit)

    h, w = digit.shape
    longer = max(h, w)
    size = (
        max(1, math.floor(h * MNIST_BOX / longer + 0.5)),
        max(1, math.floor(w * MNIST_BOX / longer + 0.5)),
    )
    if size != (h, w):
        resized = Image.fromarray(digit.astype(np.float32)).resize(
            size[::-1], getattr(Image.Resampling, RESAMPLE)
        )
        digit = np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)
    mass = digit.sum()
    if not mass > 0:
        raise InputError(f"{source}: no digit found: the image is uniform after resizing")
    com = [digit.sum(axis=1 - axis) @ np.arange(n) / mass for axis, n in enumerate(size)]
    out = np.zeros((28, 28), dtype=np.float64)
    start = [
        min(max(math.floor(target - c + 0.5), 0), 28 - n)
        for target, c, n in zip(MNIST_CENTRE, com, size, strict=True)
    ]
    out[start[0] : start[0] + size[0], start[1] : start[1] + size[1]] = digit
    return out


def _grayscale(img):
    """A decoded PNG of any mode as a 2-D array: uint8, or float32 in [0, 1].

    16-bit grayscale is scaled by 65535. Transparent pixels are laid on a plain background
    of the colour opposite to the opaque ones (white under a dark digit, black under a light
    one), so either polarity of digit drawn on a transparent layer keeps its strokes.
    """
    alpha = None
    if img.mode.startswith("I"):  # 16-bit grayscale ("I;16"; older Pillow: "I")
        values = np.asarray(img)
        gray = np.clip(values, 0, 65535).astype(np.float32) / np.float32(65535)
        key = img.info.get("transparency")
        if isinstance(key, int) and np.any(values == key):
            alpha = (values != key).astype(np.float32)
    elif img.has_transparency_data:
        la = np.asarray(img.convert("RGBA").convert("LA"))
        gray = la[..., 0]
        if la[..., 1].min() < 255:
            gray = gray.astype(np.float32) / np.float32(255)
            alpha = la[..., 1].astype(np.float32) / np.float32(255)
    else:
        gray = np.asarray(img.convert("L"))
    if alpha is not None:
        weight = float(alpha.sum(dtype=np.float64))
        ink = float(np.vdot(gray, alpha)) / weight if weight > 0 else 0.0
        gray *= alpha  # in place, as below: a large image holds tens of millions of pixels
        if ink < 0.5:  # a dark digit: white shows through; else black, adding nothing
            np.subtract(1, alpha, out=alpha)
            gray += alpha
    return gray


def png_image(path):
    """A PNG of any size and mode, preprocessed as MNIST (``mnist_style``): 28x28 float64.

    The size is checked from the header before any pixel is decoded, so an image over
    ``MAX_PNG_PIXELS`` is refused cheaply (Pillow's own ``Image.MAX_IMAGE_PIXELS`` limit
    applies as well), and every failure of Pillow becomes an InputError naming the file.
    """
    from PIL import Image

    problem = png_path_problem(path)
    if problem is not None:
        raise InputError(f"{path}: {problem}")
    try:
        with open(path, "rb") as f:
            start = f.read(len(PNG_SIGNATURE))
    except OSError as e:
        raise InputError(f"{path}: not a readable file ({e})") from None
    if not start:
        raise InputError(f"{path}: file is empty, expected a PNG image")
    if start != PNG_SIGNATURE:
        raise InputError(
            f"{path}: not a readable image: not a PNG file (it starts with {start!r}, "
            f"a PNG with {PNG_SIGNATURE!r})"
        )
    gray = None
    try:
        with warnings.catch_warnings():
            # Pillow's warnings about a damaged file (e.g. "Invalid APNG") are errors here
            warnings.filterwarnings("error", category=UserWarning, module=r"PIL\.")
            # an image between MAX_IMAGE_PIXELS and twice that is refused below by its size
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=["PNG"]) as img:
                size = img.size
                if size[0] * size[1] <= MAX_PNG_PIXELS:
                    img.load()
                    gray = _grayscale(img)
                    # free the decoded pixels (up to 4 bytes each) before mnist_style makes
                    # its copies; leaving the "with" closes only the file (measured: 190 MiB
                    # less for 50 megapixels of RGBA, see pixel_influence.resources)
                    img.close()
    except Image.DecompressionBombError as e:
        raise InputError(f"{path}: image is far {TOO_LARGE} ({e})") from None
    except Exception as e:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, ValueError, ...
        raise InputError(f"{path}: not a readable image ({str(e) or type(e).__name__})") from None
    if gray is None:
        raise InputError(f"{path}: image is {size[0]}x{size[1]} pixels, {TOO_LARGE}")
    return mnist_style(gray, source=path)


def mnist_image(images, index):
    """MNIST image ``index`` of a uint8 (n, 28, 28) array as float64 in [0, 1]."""
    return images[index].astype(np.float64) / 255.0
