"""HDF5 files that explain themselves, written atomically and sealed with their checksum.

The generic layer under every file kind of ``h5io``. Every dataset carries ``meaning`` and
``axes`` attributes (and ``units`` where there are any); every file carries
``format_version`` and ``software`` at the root. A file is built in memory and written to a
temporary name in the same folder, then renamed into place, so a killed job never leaves a
half-written file at the final path. Its first 512 bytes (the HDF5 user block, which HDF5
tools skip) hold the sha256 of all the bytes after them: ``open_checked`` checks it before
a reader reads a number, so a damaged or edited file is refused, never read as if it were
the one the workflow wrote; ``tail -c +513 FILE | sha256sum`` checks it by hand.
"""

import hashlib
import io
import os
import stat
from contextlib import ExitStack, contextmanager
from pathlib import Path

import h5py
import numpy as np

from . import SOFTWARE
from .errors import InputError
from .files import CRASH_VARIABLE, atomic_write, crash_point, sha256_of
from .network import LAYER_MEANING, LAYERS
from .provenance import differences, rerun_hint

__all__ = [
    "DIMENSION_SCALES",
    "FORMAT_VERSION",
    "UNREADABLE",
    "USERBLOCK",
    "atomic_h5",
    "dimension_scales",
    "map_chunks",
    "open_checked",
    "put",
    "seal",
]

# 3: f(baseline) is /baseline/<layer> in baseline.h5 too; integrated_gradients' quadrature
# points are its attribute `points` (see CHANGELOG.md)
FORMAT_VERSION = 3
USERBLOCK = 512
SEAL = b"pixel_influence: sha256 of the bytes after this 512-byte HDF5 user block: "
SEAL_CHECK = b"check it with: tail -c +513 FILE | sha256sum\n"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

_writing = {}  # HDF5 file id -> [final path, datasets written, temporary, buffer], for crash tests
CRASH_AFTER = 5  # the "writing" crash point fires after this many datasets


def _seal_block(data):
    """The user block that seals ``data``, the bytes after it."""
    block = SEAL + hashlib.sha256(data).hexdigest().encode() + b"\n" + SEAL_CHECK
    return block + b"\0" * (USERBLOCK - len(block))


def seal(path):
    """Write the sha256 of the bytes after the user block into the user block of ``path``."""
    with open(path, "r+b") as f:
        f.seek(USERBLOCK)
        block = _seal_block(f.read())
        f.seek(0)
        f.write(block)


@contextmanager
def atomic_h5(path, **root_attrs):
    """Open a new HDF5 file for writing; it appears at ``path``, sealed, only if the block
    succeeds.

    The file is built in memory and written in one go: a full disk then fails one plain
    write, which ``atomic_write`` explains, instead of the HDF5 library's flushes (which
    report it again from every object they free)."""
    with atomic_write(path) as tmp:
        buffer = io.BytesIO()
        with h5py.File(buffer, "w", track_order=True, userblock_size=USERBLOCK) as f:
            _writing[f.id.id] = [Path(path), 0, tmp, buffer]
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["software"] = SOFTWARE
            for key, value in root_attrs.items():
                f.attrs[key] = value
            try:
                yield f
                dimension_scales(f)
            finally:
                _writing.pop(f.id.id, None)
        data = buffer.getbuffer()[USERBLOCK:]
        with open(tmp, "wb") as out:
            out.write(_seal_block(data))
            out.write(data)


MAPS_PER_CHUNK = 10  # node maps stored (and decompressed) together: one output layer


DIMENSION_SCALES = {
    "row": ("row of the 28x28 image, 0 = top", 28),
    "col": ("column of the 28x28 image, 0 = left", 28),
    "pixel": ("pixel of the 28x28 image, row-major: row * 28 + col", 784),
    "class": ("class: the digit label", 10),
    "label": ("the true class: the digit label of the images", 10),
    "predicted": ("the predicted class: argmax of z3", 10),
}
BIG_SCALE = 1024  # an index scale at least this long is stored compressed (mnist's /image)


def _axis_names(ds):
    """The axis names of a dataset: its dimension labels where ``put`` was given ``dims``,
    else from its ``axes`` attribute: "node, row, col (pixel of the input image)" ->
    [node, row, col]; None unless there is one name per dimension."""
    labels = [dim.label for dim in ds.dims]
    if ds.ndim and all(labels):
        return labels
    axes = ds.attrs.get("axes")
    if not isinstance(axes, str) or ds.ndim == 0:
        return None
    names = [part.split("(")[0].strip() for part in axes.split(",")]
    if len(names) != ds.ndim or not all(n.isidentifier() for n in names):
        return None
    return names


def _axis_detail(ds, i):
    """What the ``axes`` attribute says in parentheses about axis ``i``, or None."""
    parts = str(ds.attrs.get("axes", "")).split(",")
    if len(parts) == ds.ndim and "(" in parts[i]:
        return parts[i].split("(", 1)[1].rstrip(") ").strip() or None
    return None


def _layer_of(ds):
    layer = ds.attrs.get("layer")
    if layer is None:  # /value/<layer>, /baseline/<layer>, /value/<layer>_mean
        layer = ds.name.rsplit("/", 1)[-1].split("_", 1)[0]
    return str(layer) if str(layer) in LAYERS else None


def _node_layer(name):
    """``a1`` for an axis named ``node_a1``, else None."""
    layer = name[len("node_") :] if name.startswith("node_") else None
    return layer if layer in LAYERS else None


def _own_scale(ds, name, size):
    """A scale named ``name`` of length ``size`` that the writer made itself (with values of
    its own, e.g. the changed pixels' indices) in the dataset's group or one above it."""
    group = ds.parent
    while True:
        found = group.get(name)
        if (
            isinstance(found, h5py.Dataset)
            and found.shape == (size,)
            and h5py.h5ds.is_scale(found.id)
        ):
            return found
        if group.name == "/":
            return None
        group = group.parent


def dimension_scales(f):
    """Label every dimension of every dataset (``ds.dims[i].label``) from its ``axes``
    attribute and attach an HDF5 dimension scale to each, so that generic tools (HDFView,
    h5netcdf, xarray) show named, numbered axes: /row, /col, /pixel, /class, /label,
    /predicted, /node_<layer> (node indices), /faithfulness/fraction for the steps of the
    deletion/insertion curves, and for any other axis (the images of mnist.h5, the nodes
    of a sweep shard) an index scale of that name next to the dataset. netCDF readers such
    as h5netcdf refuse a dataset with some axes attached and others not, and name unattached
    axes phony_dim_<n>: hence a scale on every axis."""
    datasets = []
    f.visititems(lambda _, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None)
    made = set()  # the scales created here: those a dataset of the same length may share

    def scale(group, name, meaning, size):
        """The index scale ``name`` (0..size-1) in ``group``; ``<name>_<size>`` where that
        name is taken by another dataset or a scale of another length."""
        for key in (name, f"{name}_{size}"):
            path = f"{group.name.rstrip('/')}/{key}"
            if path in made and group[key].shape == (size,):
                return group[key]
            if key not in group:
                options = {}
                if size >= BIG_SCALE:
                    options = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
                ds = group.create_dataset(key, data=np.arange(size), track_times=False, **options)
                ds.attrs["meaning"] = meaning
                ds.attrs["axes"] = key
                ds.make_scale(key)
                made.add(path)
                return ds
        raise ValueError(f"{group.name}: no free name for a dimension scale {name!r}")

    fraction = f.get("faithfulness/fraction")
    if fraction is not None and not h5py.h5ds.is_scale(fraction.id):
        fraction.make_scale("fraction")
    for ds in datasets:
        names = _axis_names(ds)
        if names is None:
            continue
        for i, name in enumerate(names):
            ds.dims[i].label = name
        if h5py.h5ds.is_scale(ds.id):  # /faithfulness/fraction: its own axis
            continue
        for i, name in enumerate(names):
            size = ds.shape[i]
            if name in DIMENSION_SCALES and DIMENSION_SCALES[name][1] == size:
                found = scale(f, name, DIMENSION_SCALES[name][0], size)
            elif (layer := _node_layer(name)) is not None or (
                name == "node" and (layer := _layer_of(ds)) is not None
            ):
                found = scale(f, f"node_{layer}", f"node of {layer}: {LAYER_MEANING[layer]}", size)
            elif name == "step" and fraction is not None and fraction.shape == (size,):
                found = fraction
            elif (own := _own_scale(ds, name, size)) is not None:
                found = own
            else:
                detail = _axis_detail(ds, i)
                meaning = f"index of the {name} axis" + (f" ({detail})" if detail else "")
                found = scale(ds.parent, name, meaning, size)
            ds.dims[i].attach_scale(found)


def map_chunks(shape):
    """Chunks of a stack of maps (..., nodes, rows, cols): ``MAPS_PER_CHUNK`` whole maps,
    so reading one node decompresses little."""
    return (1,) * (len(shape) - 3) + (min(shape[-3], MAPS_PER_CHUNK),) + tuple(shape[-2:])


def put(group, name, data, meaning, axes, dtype=None, compress=False, dims=None, **attrs):
    """Create dataset ``name`` with its describing attributes; returns the dataset.

    ``dims``: the names of its dimensions (and of their scales) where ``axes`` is prose,
    not one name per axis.

    ``compress``: lossless gzip with byte shuffling, chunked as h5py chooses or, for a
    stack of maps (``compress="maps"``), by ``map_chunks``.
    """
    data = np.asarray(data, dtype=dtype)
    options = {}
    if compress:
        options = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
        if compress == "maps":
            options["chunks"] = map_chunks(data.shape)
    ds = group.create_dataset(name, data=data, track_times=False, **options)
    state = _writing.get(group.file.id.id)
    if state is not None:
        state[1] += 1
        if state[1] == CRASH_AFTER and os.environ.get(CRASH_VARIABLE) == f"{state[0].name}:writing":
            group.file.flush()  # some datasets on disk, not all: a half-written file
            Path(state[2]).write_bytes(state[3].getvalue())
            crash_point(state[0], "writing")
    ds.attrs["meaning"] = meaning
    ds.attrs["axes"] = axes
    for key, value in attrs.items():
        ds.attrs[key] = value
    for dim, label in zip(ds.dims, dims or (), strict=bool(dims)):
        dim.label = label
    return ds


def _version(f):
    version = f.attrs.get("format_version")
    if isinstance(version, np.generic):
        version = version.item()
    return version


def _unsealed_problem(handle):
    """Why an HDF5 file without this workflow's seal cannot be read, from its version."""
    try:
        with h5py.File(handle, "r") as f:
            version = _version(f)
    except UNREADABLE as e:
        return f"not a readable HDF5 file ({e})"
    if version is None:
        return "not a file of this workflow: it has no format_version attribute"
    return f"format_version {version!r}, this software ({SOFTWARE}) reads version {FORMAT_VERSION}"


def _check_seal(path, handle):
    """The problem of a file that is not sealed as this workflow seals its files, or None
    (then ``handle`` stands at the end of the file)."""
    head = handle.read(USERBLOCK + len(HDF5_SIGNATURE))
    if not head:
        return "the file is empty, expected an HDF5 file"
    if head.startswith(HDF5_SIGNATURE):
        handle.seek(0)
        return _unsealed_problem(handle)
    if not head.startswith(SEAL):
        if head[USERBLOCK:].startswith(HDF5_SIGNATURE):
            handle.seek(0)
            return _unsealed_problem(handle)
        return f"not an HDF5 file (it starts with {head[:16]!r})"
    recorded = head[len(SEAL) : len(SEAL) + 64].decode("ascii", "replace")
    handle.seek(USERBLOCK)
    actual = sha256_of(handle)
    if actual != recorded:
        return (
            "damaged: its bytes are not those the workflow wrote (their sha256 is "
            f"{actual[:12]}…, the file records {recorded[:12]}…)"
        )
    return None


@contextmanager
def open_checked(path, expected=None, hint=rerun_hint, foreign=None):
    """Open an HDF5 file of this workflow for reading, after checking that it is one.

    Only a regular file is opened (a named pipe would hang the reader); its seal must match
    its bytes; its ``format_version`` must be this software's; and the root attributes named
    in ``expected`` ({name: value}, a dict for a JSON record such as ``config``) must say
    what the reader is asked for. Any of these, and any failure to read the file inside the
    block, is an InputError naming the file and ending with ``hint(path)`` (the rerun that
    re-creates it), never a raw h5py error; ``foreign`` replaces that hint for a file that
    is not one of this workflow's at all (not HDF5, or without its format_version). The
    file is read through one open handle, so what was checked is what is read.
    """
    path = str(path)
    advice = f"; {hint(path)}" if hint else ""
    other = advice if foreign is None else f"; {foreign}"
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file{advice}") from None
    except (OSError, ValueError) as e:
        raise InputError(
            f"{path}: cannot be looked up ({getattr(e, 'strerror', None) or e})"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a folder, expected an HDF5 file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: is not a regular file (a pipe, socket or device)")
    with ExitStack() as stack:
        try:
            handle = stack.enter_context(open(path, "rb"))
            problem = _check_seal(path, handle)
        except OSError as e:
            raise InputError(f"{path}: cannot be read ({e.strerror or e})") from None
        if problem is not None:
            ours = not problem.startswith(("not an HDF5 file", "not a file of this workflow"))
            raise InputError(f"{path}: {problem}{advice if ours else other}")
        try:
            f = stack.enter_context(h5py.File(handle, "r"))
        except UNREADABLE as e:
            raise InputError(f"{path}: not a readable HDF5 file ({e}){advice}") from None
        try:
            _check_version_and_expected(path, f, expected, advice)
            yield f
        except InputError:  # a ValueError too, but already a message for the user
            raise
        # what h5py raises for a missing, misshapen or unreadable object
        except UNREADABLE as e:
            reason = str(e).strip("'\"") or type(e).__name__
            raise InputError(
                f"{path}: does not hold what this workflow writes ({reason}){advice}"
            ) from None


# what h5py and numpy raise for an object that is missing, misshapen or unreadable
UNREADABLE = (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError, RuntimeError)


def _check_version_and_expected(path, f, expected, advice):
    version = _version(f)
    if version != FORMAT_VERSION or isinstance(version, bool):
        found = "no format_version attribute" if version is None else f"format_version {version!r}"
        raise InputError(
            f"{path}: {found}, this software ({SOFTWARE}) reads version {FORMAT_VERSION}{advice}"
        )
    if expected:
        found = differences(f.attrs, expected)
        if found:
            raise InputError(
                f"{path}: not what the config asks for: it {'; it '.join(found)}{advice}"
            )
