"""Reading the MNIST IDX files (gzip-compressed, big-endian header, uint8 payload)."""

import gzip
import struct
import zlib

import numpy as np

from .errors import InputError

IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801
ROWS = COLS = 28

# name of each split's files and the number of items each must hold
SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}


def _read_gzip(path):
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise InputError(f"{path}: not a readable gzip file ({e})") from None


def parse_idx(data, kind, source="IDX data"):
    """Parse the decompressed bytes of an IDX file.

    ``kind`` is "images" (magic 0x803, returns uint8 (n, 28, 28)) or "labels" (magic 0x801,
    returns uint8 (n,)). Every header field and the payload length are checked.
    """
    if kind == "images":
        magic, header = IMAGE_MAGIC, 16
    elif kind == "labels":
        magic, header = LABEL_MAGIC, 8
    else:
        raise ValueError(f"kind must be 'images' or 'labels', not {kind!r}")
    if len(data) < header:
        raise InputError(
            f"{source}: {len(data)} bytes is shorter than the {header}-byte IDX {kind} header"
        )
    found = struct.unpack(">I", data[:4])[0]
    if found != magic:
        raise InputError(
            f"{source}: magic number 0x{found:08x}, expected 0x{magic:08x} for IDX {kind}"
        )
    if kind == "images":
        n, rows, cols = struct.unpack(">III", data[4:16])
        if (rows, cols) != (ROWS, COLS):
            raise InputError(f"{source}: images are {rows}x{cols}, expected {ROWS}x{COLS}")
        shape = (n, rows, cols)
    else:
        (n,) = struct.unpack(">I", data[4:8])
        shape = (n,)
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise InputError(
            f"{source}: header announces {n} {kind} ({expected} bytes in all) "
            f"but the file holds {len(data)} bytes"
        )
    out = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
    if kind == "labels" and out.size and out.max() > 9:
        raise InputError(f"{source}: label {int(out.max())} is outside 0..9")
    return out


def read_idx(path, kind):
    """Read a gzip-compressed IDX file; see ``parse_idx``."""
    return parse_idx(_read_gzip(path), kind, source=str(path))


def read_split(images_path, labels_path, expected_count=None):
    """Read one split's images and labels and check that their counts agree."""
    images = read_idx(images_path, "images")
    labels = read_idx(labels_path, "labels")
    if len(images) != len(labels):
        raise InputError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if expected_count is not None and len(images) != expected_count:
        raise InputError(f"{images_path}: {len(images)} images, expected {expected_count}")
    return images, labels
