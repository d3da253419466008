"""Reading the MNIST IDX files (gzip-compressed, big-endian header, uint8 payload)."""

import gzip
import math
import os
import struct
import zlib

import numpy as np

from .errors import InputError

__all__ = [
    "IMAGE_MAGIC",
    "LABEL_MAGIC",
    "SPLITS",
    "idx_count",
    "parse_idx",
    "read_idx",
    "read_split",
]

IMAGE_MAGIC = 0x00000803
LABEL_MAGIC = 0x00000801
ROWS = COLS = 28
# the header of each kind of IDX file: kind -> (magic number, header length in bytes)
HEADERS = {"images": (IMAGE_MAGIC, 16), "labels": (LABEL_MAGIC, 8)}
_CHUNK = 1 << 20  # decompressed bytes read at a time: memory follows the data, not the header

# name of each split's files and the number of items each must hold (the one definition of
# the split sizes: samples.SPLIT_SIZES is read from here)
SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}


def _header(data, kind, source):
    """Check the IDX header at the start of ``data``; return (shape, header length, file size)."""
    if kind not in HEADERS:
        raise ValueError(f"kind must be 'images' or 'labels', not {kind!r}")
    magic, header = HEADERS[kind]
    found = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else magic
    if found != magic:
        other = {m: k for k, (m, _) in HEADERS.items()}.get(found)
        hint = f" (this is an IDX {other} file)" if other else ""
        raise InputError(
            f"{source}: magic number 0x{found:08x}, expected 0x{magic:08x} for IDX {kind}{hint}"
        )
    if len(data) < header:
        raise InputError(
            f"{source}: {len(data)} bytes is shorter than the {header}-byte IDX {kind} header"
        )
    if kind == "images":
        n, rows, cols = struct.unpack(">III", data[4:16])
        if (rows, cols) != (ROWS, COLS):
            raise InputError(f"{source}: images are {rows}x{cols}, expected {ROWS}x{COLS}")
        shape = (n, rows, cols)
    else:
        (n,) = struct.unpack(">I", data[4:8])
        shape = (n,)
    return shape, header, header + math.prod(shape)


def parse_idx(data, kind, source="IDX data", classes=10):
    """Parse the decompressed bytes of an IDX file.

    ``kind`` is "images" (magic 0x803, returns uint8 (n, 28, 28)) or "labels" (magic 0x801,
    returns uint8 (n,), each below ``classes``). Every header field and the payload length
    are checked.
    """
    shape, header, expected = _header(data, kind, source)
    if len(data) != expected:
        raise InputError(
            f"{source}: header announces {shape[0]} {kind} ({expected} bytes in all) "
            f"but the file holds {len(data)} bytes"
        )
    out = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
    if kind == "labels" and out.size and out.max() >= classes:
        bad = int(np.argmax(out >= classes))
        raise InputError(
            f"{source}: label {int(out[bad])} is outside 0..{classes - 1} (item {bad})"
        )
    return out


def _read_up_to(f, limit, start=b""):
    """``start`` and what follows in ``f``, at most ``limit`` bytes in all, read in chunks so a
    huge ``limit`` allocates nothing."""
    parts, got = [start], len(start)
    while got < limit:
        part = f.read(min(_CHUNK, limit - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def read_idx(path, kind, classes=10):
    """Read a gzip-compressed IDX file; see ``parse_idx``.

    The header is checked first, then at most the size it announces plus one byte (to notice
    extra data) is decompressed in chunks: a header announcing billions of images costs
    nothing, and a stream holding more than announced is refused without reading it whole.
    """
    source = str(path)
    if kind not in HEADERS:
        raise ValueError(f"kind must be 'images' or 'labels', not {kind!r}")
    try:
        if os.path.getsize(path) == 0:
            raise InputError(f"{source}: file is empty, expected a gzip-compressed IDX file")
        with gzip.open(path, "rb") as f:
            head = _read_up_to(f, HEADERS[kind][1])
            shape, _, expected = _header(head, kind, source)
            data = _read_up_to(f, expected + 1, start=head)
    except IsADirectoryError:
        raise InputError(f"{source}: is a directory, expected a gzip-compressed IDX file") from None
    except FileNotFoundError:
        raise InputError(f"{source}: file does not exist") from None
    except (OSError, EOFError, zlib.error, struct.error) as e:
        raise InputError(f"{source}: not a readable gzip file ({e})") from None
    if len(data) > expected:
        raise InputError(
            f"{source}: header announces {shape[0]} {kind} ({expected} bytes in all) "
            "but the file holds more data"
        )
    return parse_idx(data, kind, source=source, classes=classes)


def idx_count(path, kind):
    """The number of items the header of a gzip-compressed IDX file announces, its header
    checked (as ``read_idx`` does) without reading the rest."""
    source = str(path)
    try:
        if os.path.getsize(path) == 0:
            raise InputError(f"{source}: file is empty, expected a gzip-compressed IDX file")
        with gzip.open(path, "rb") as f:
            head = _read_up_to(f, HEADERS[kind][1])
    except IsADirectoryError:
        raise InputError(f"{source}: is a directory, expected a gzip-compressed IDX file") from None
    except FileNotFoundError:
        raise InputError(f"{source}: file does not exist") from None
    except (OSError, EOFError, zlib.error, struct.error) as e:
        raise InputError(f"{source}: not a readable gzip file ({e})") from None
    return _header(head, kind, source)[0][0]


def read_split(images_path, labels_path, expected_count=None, classes=10):
    """Read one split's images and labels (each label below ``classes``) and check that
    their counts agree."""
    images = read_idx(images_path, "images")
    labels = read_idx(labels_path, "labels", classes=classes)
    if len(images) != len(labels):
        raise InputError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if expected_count is not None and len(images) != expected_count:
        raise InputError(f"{images_path}: {len(images)} images, expected {expected_count}")
    return images, labels
