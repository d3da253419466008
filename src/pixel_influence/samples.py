"""Turning a config sample entry into the image it names.

A sample is ``{fill: v}`` (every pixel v in [0, 1]), ``{split: train|test, index: i}`` (an
MNIST image) or ``{png: path}`` (a 28x28 8-bit grayscale PNG, white digit on black).
"""

import json
import math
import numbers
import os
import re
import warnings

import numpy as np

from .errors import InputError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
SPLIT_SIZES = {"train": 60000, "test": 10000}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


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


def check(name, spec, exists=lambda path: True):
    """Problems with one sample entry beyond what the JSON schema checks, as messages."""
    problems = []
    where = f"config.samples.{name}"
    # fullmatch: with re.match, "$" would also accept a name ending in a newline
    if not re.fullmatch(NAME_PATTERN, str(name)):
        problems.append(
            f"{where}: the sample name becomes a file name; use letters, digits, '_', '-' "
            "and '.', starting with a letter or digit"
        )
    k = kind(spec)
    if k == "mnist":
        size = SPLIT_SIZES[spec["split"]]
        index = spec["index"]
        if not isinstance(index, int) or isinstance(index, bool):
            problems.append(
                f"{where}.index: {index!r} is not a whole number, expected an integer "
                f"0..{size - 1} written without a decimal point"
            )
        elif not 0 <= index < size:
            problems.append(
                f"{where}.index: {index} is out of range for the {spec['split']} split "
                f"(0..{size - 1})"
            )
    elif k == "png" and not exists(spec["png"]):
        problems.append(f"{where}.png: file {spec['png']!r} does not exist")
    elif k == "fill":
        value = spec["fill"]
        # NaN passes the schema's minimum/maximum (every comparison with it is false)
        if not _is_number(value) or math.isnan(value):
            problems.append(f"{where}.fill: {value!r} is not a number, expected a value in [0, 1]")
        elif not 0.0 <= value <= 1.0:
            problems.append(f"{where}.fill: {value} is outside [0, 1]")
    return problems


def fill_image(value):
    return np.full((28, 28), float(value), dtype=np.float64)


def png_image(path):
    """A 28x28 8-bit grayscale PNG as float64 values in [0, 1] (pixel / 255).

    Size and mode are checked from the header before any pixel is decoded, so a huge image is
    refused cheaply (Pillow's own ``Image.MAX_IMAGE_PIXELS`` limit applies as well), and every
    failure of Pillow becomes an InputError naming the file.
    """
    from PIL import Image

    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, expected a PNG file")
    if not os.path.exists(path):
        raise InputError(f"{path}: file does not exist")
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
    pixels = None
    try:
        with warnings.catch_warnings():
            # Pillow's warnings about a damaged file (e.g. "Invalid APNG") are errors here
            warnings.filterwarnings("error", category=UserWarning, module=r"PIL\.")
            # an image between MAX_IMAGE_PIXELS and twice that is refused below by its size
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path, formats=["PNG"]) as img:
                mode, size = img.mode, img.size
                if size == (28, 28) and mode == "L":
                    img.load()
                    pixels = np.asarray(img)
    except Image.DecompressionBombError as e:
        raise InputError(f"{path}: image is far too large, expected 28x28 ({e})") from None
    except Exception as e:  # noqa: BLE001 - Pillow raises OSError, SyntaxError, ValueError, ...
        raise InputError(f"{path}: not a readable image ({str(e) or type(e).__name__})") from None
    if size != (28, 28):
        raise InputError(f"{path}: image is {size[0]}x{size[1]}, expected 28x28 as MNIST")
    if mode != "L":
        raise InputError(
            f"{path}: image mode {mode!r}, expected 8-bit grayscale ('L'), "
            "a white digit on black as MNIST"
        )
    return pixels.astype(np.float64) / 255.0


def mnist_image(images, index):
    """MNIST image ``index`` of a uint8 (n, 28, 28) array as float64 in [0, 1]."""
    return images[index].astype(np.float64) / 255.0
