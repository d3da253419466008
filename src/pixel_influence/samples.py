"""Turning a config sample entry into the image it names.

A sample is ``{fill: v}`` (every pixel v in [0, 1]), ``{split: train|test, index: i}`` (an
MNIST image) or ``{png: path}`` (a 28x28 8-bit grayscale PNG, white digit on black).
"""

import json
import re

import numpy as np

from .errors import InputError

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
SPLIT_SIZES = {"train": 60000, "test": 10000}


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


def check(name, spec, exists=lambda path: True):
    """Problems with one sample entry beyond what the JSON schema checks, as messages."""
    problems = []
    where = f"config.samples.{name}"
    if not re.match(NAME_PATTERN, str(name)):
        problems.append(
            f"{where}: the sample name becomes a file name; use letters, digits, '_', '-' "
            "and '.', starting with a letter or digit"
        )
    k = kind(spec)
    if k == "mnist":
        size = SPLIT_SIZES[spec["split"]]
        if not 0 <= spec["index"] < size:
            problems.append(
                f"{where}.index: {spec['index']} is out of range for the {spec['split']} split "
                f"(0..{size - 1})"
            )
    elif k == "png" and not exists(spec["png"]):
        problems.append(f"{where}.png: file {spec['png']!r} does not exist")
    elif k == "fill" and not 0.0 <= spec["fill"] <= 1.0:
        problems.append(f"{where}.fill: {spec['fill']} is outside [0, 1]")
    return problems


def fill_image(value):
    return np.full((28, 28), float(value), dtype=np.float64)


def png_image(path):
    """A 28x28 8-bit grayscale PNG as float64 values in [0, 1] (pixel / 255)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            mode, size = img.mode, img.size
            pixels = np.asarray(img)
    except (UnidentifiedImageError, OSError) as e:
        raise InputError(f"{path}: not a readable image ({e})") from None
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
