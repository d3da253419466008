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
import re
import stat
from contextlib import ExitStack, contextmanager
from pathlib import Path

import h5py
import numpy as np

from . import SOFTWARE
from .errors import InputError
from .files import CRASH_VARIABLE, atomic_write, crash_point, sha256_of
from .network import LAYER_MEANING
from .provenance import differences, rerun_hint

__all__ = [
    "DIMENSION_SCALES",
    "describe_scales",
    "FORMAT_VERSION",
    "UNREADABLE",
    "USERBLOCK",
    "atomic_h5",
    "describe_layers",
    "dimension_scales",
    "is_layer",
    "map_chunks",
    "open_checked",
    "put",
    "seal",
    "set_attrs",
]

# 3: f(baseline) is /baseline/<layer> in baseline.h5 too; integrated_gradients' quadrature
# points are its attribute `points` (see CHANGELOG.md)
FORMAT_VERSION = 3
USERBLOCK = 512
SEAL = b"pixel_influence: sha256 of the bytes after this 512-byte HDF5 user block: "
SEAL_CHECK = b"check it with: tail -c +513 FILE | sha256sum\n"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

CRASH_AFTER = 5  # the "writing" crash point fires after this many datasets


class _Writing:
    """A file that ``atomic_h5`` is building: where it goes (for the crash tests), and the
    datasets ``put`` wrote, so that ``dimension_scales`` need not walk the file for them."""

    def __init__(self, path, tmp, buffer):
        self.path, self.tmp, self.buffer = Path(path), tmp, buffer
        self.written = 0  # datasets written so far
        self.shapes = {}  # full name -> shape of each dataset put wrote
        self.plists = {}  # (shape, dtype, compress) -> dataset creation property list
        self.layer_meanings = {}  # layer -> what it holds, for its node scale (the book's else)
        self.scale_meanings = {}  # axis -> its scale's meaning, instead of DIMENSION_SCALES


_writing = {}  # HDF5 file number (ObjectID.fileno) -> _Writing


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
            key = f.id.fileno
            _writing[key] = _Writing(path, tmp, buffer)
            set_attrs(f, {"format_version": FORMAT_VERSION, "software": SOFTWARE})
            set_attrs(f, root_attrs)
            try:
                yield f
                dimension_scales(f)
            finally:
                _writing.pop(key, None)
        data = buffer.getbuffer()[USERBLOCK:]
        with open(tmp, "wb") as out:
            out.write(_seal_block(data))
            out.write(data)


# ---- writing fast, byte for byte as h5py's high-level calls ------------------------------
# A sample's file has some sixty datasets and three hundred attributes: through h5py's
# high-level objects (which re-check and re-convert everything on every call) writing one
# took 200 ms, most of it Python. These helpers make the same HDF5 calls with the same
# arguments, in the same order, so that the bytes are those h5py writes (tests/test_h5io.py
# pins them); anything they are not sure of goes through h5py itself.

GZIP = {"compression": "gzip", "compression_opts": 4, "shuffle": True}
_TYPES = {}  # numpy dtype string -> HDF5 type of a dataset (h5py's py_create(dtype, logical))
_STRING = h5py.string_dtype()  # what h5py stores a str as: variable-length UTF-8
# (file type, memory type) of an attribute by dtype key, as h5py's attrs.create makes them
_ATTR_TYPES = {"str": (h5py.h5t.py_create(_STRING, logical=True), h5py.h5t.py_create(_STRING))}


def _encode(name):
    """A name as h5py passes it to HDF5 (``_e``): UTF-8 bytes (ASCII where it is)."""
    return name.encode("utf-8")


def _plist(shape, dtype, options):
    """The dataset creation property list h5py makes for ``create_dataset(name, data=...,
    track_times=False, **options)``."""
    plist = h5py._hl.filters.fill_dcpl(
        h5py.h5p.create(h5py.h5p.DATASET_CREATE),
        shape,
        dtype,
        options.get("chunks"),
        options.get("compression"),
        options.get("compression_opts"),
        options.get("shuffle"),
        None,
        None,
        None,
        None,
        False,
    )
    plist.set_obj_track_times(False)
    plist.set_attr_creation_order(0)  # h5py's default track_order: False
    return plist


def _create(group_id, name, data, options, plists=None):
    """The DatasetID of a new dataset ``name`` in the group ``group_id`` holding ``data``
    (a numeric array): h5py's ``create_dataset(name, data=data, track_times=False,
    **options)`` without its Python overhead; ``plists``: property lists to reuse, by
    shape, dtype and options."""
    data = np.asarray(data, order="C")
    key = (data.shape, data.dtype.str, tuple(options.items()))
    plist = None if plists is None else plists.get(key)
    if plist is None:
        plist = _plist(data.shape, data.dtype, options)
        if plists is not None:
            plists[key] = plist
    tid = _TYPES.get(data.dtype.str)
    if tid is None:
        tid = _TYPES[data.dtype.str] = h5py.h5t.py_create(data.dtype, logical=1)
    space = h5py.h5s.create_simple(data.shape, None)
    dsid = h5py.h5d.create(group_id, _encode(name), tid, space, dcpl=plist, dapl=None)
    dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
    return dsid


def _fast_dataset(name, data):
    """Whether ``_create`` writes this dataset as h5py would: a plain name, numbers."""
    return bool(
        isinstance(name, str)
        and name
        and "/" not in name
        and data.dtype.kind in "biuf"
        and data.dtype.metadata is None
        and data.dtype.fields is None
        and data.dtype.subdtype is None
        and data.dtype.itemsize != 2  # h5py converts float16 data itself
    )


def _attr_types(dtype):
    """(file type, memory type) of an attribute of ``dtype`` as h5py's ``attrs.create``
    makes them, or None for a dtype left to h5py (structured, arrays, references...)."""
    if dtype.kind in "biuf" and dtype.metadata is None and dtype.fields is None:
        key = dtype.str
    elif dtype.kind == "O" and h5py.check_string_dtype(dtype) == h5py.check_string_dtype(_STRING):
        key = "str"
    else:
        return None
    if dtype.subdtype is not None or dtype.itemsize == 2:
        return None
    types = _ATTR_TYPES.get(key)
    if types is None:
        types = _ATTR_TYPES[key] = (
            h5py.h5t.py_create(dtype, logical=True),
            h5py.h5t.py_create(dtype),
        )
    return types


def _space(shape):
    """A dataspace of ``shape``; the scalar one made once (HDF5 copies what it is given)."""
    if shape == ():
        if None not in _SCALAR:
            _SCALAR[None] = h5py.h5s.create_simple(())
        return _SCALAR[None]
    return h5py.h5s.create_simple(shape)


_SCALAR = {}


def _attr_data(value):
    """``value`` as the array h5py's ``attrs.create`` writes (``array_for_new_object``) and
    its (file type, memory type), None for a value left to h5py."""
    kind = type(value)
    if kind is str:
        return np.asarray(value, dtype=_STRING), _ATTR_TYPES["str"]
    if kind is int or kind is float:
        data = np.asarray(value, order="C")
    else:
        data = h5py._hl.base.array_for_new_object(value)
    return data, _attr_types(data.dtype)


def set_attrs(obj, values, fresh=False):
    """``obj.attrs[name] = value`` for each item of ``values`` in order, with the bytes of
    h5py's ``attrs.create``; ``obj`` an h5py object or a low-level ObjectID. ``fresh``: the
    object was just created, so there is no attribute of that name to replace."""
    oid = _low(obj)
    for name, value in values.items():
        data, types = _attr_data(value)
        if types is None or type(name) is not str:
            _high(oid).attrs[name] = value
            continue
        bname = _encode(name)
        with h5py._objects.phil:
            if not fresh and h5py.h5a.exists(oid, bname):
                h5py.h5a.delete(oid, bname)
            attr = h5py.h5a.create(oid, bname, types[0], _space(data.shape))
            try:
                attr.write(data, mtype=types[1])
            finally:
                attr.close()


def _low(obj):
    """The low-level id of an h5py object (itself if it is one)."""
    return obj if isinstance(obj, h5py._objects.ObjectID) else obj.id


def _high(oid):
    """The h5py object of a low-level dataset or group id."""
    return h5py.Dataset(oid) if isinstance(oid, h5py.h5d.DatasetID) else h5py.Group(oid)


def _make_scale(ds, name):
    """``ds.make_scale(name)``: the dataset (h5py Dataset or DatasetID) becomes the
    dimension scale ``name``."""
    h5py.h5ds.set_scale(_low(ds), _encode(name))


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


def _attr(oid, name, default=None):
    """h5py's ``attrs.get(name, default)`` of the object ``oid``, with the same HDF5 reads:
    they matter, since reading a string moves its heap forward in HDF5's list of heaps with
    free space, where the strings written next go."""
    try:
        attr = h5py.h5a.open(oid, _encode(name))
    except KeyError:
        return default
    data = np.zeros((), dtype=_STRING)
    try:  # a str, as set_attrs writes it
        attr.read(data, mtype=_ATTR_TYPES["str"][1])
    except (TypeError, ValueError, OSError, RuntimeError):  # anything else, as h5py reads it
        return _high(oid).attrs.get(name, default)
    return data[()].decode("utf-8", "surrogateescape")


class _Dataset:
    """A dataset as ``dimension_scales`` sees it: open id, full name, shape."""

    __slots__ = ("id", "name", "shape")

    def __init__(self, dsid, name, shape=None):
        self.id, self.name = dsid, name
        self.shape = dsid.shape if shape is None else shape

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def group(self):
        """The full name of its group."""
        return self.name.rsplit("/", 1)[0] or "/"


def _axis_names(ds):
    """The axis names of a dataset: its dimension labels where ``put`` was given ``dims``,
    else from its ``axes`` attribute: "node, row, col (pixel of the input image)" ->
    [node, row, col]; None unless there is one name per dimension."""
    labels = [h5py.h5ds.get_label(ds.id, i).decode("utf-8") for i in range(ds.ndim)]
    if ds.ndim and all(labels):
        return labels
    axes = _attr(ds.id, "axes")
    if not isinstance(axes, str) or ds.ndim == 0:
        return None
    names = [part.split("(")[0].strip() for part in axes.split(",")]
    if len(names) != ds.ndim or not all(n.isidentifier() for n in names):
        return None
    return names


def _axis_detail(ds, i):
    """What the ``axes`` attribute says in parentheses about axis ``i``, or None."""
    parts = str(_attr(ds.id, "axes", "")).split(",")
    if len(parts) == ds.ndim and "(" in parts[i]:
        return parts[i].split("(", 1)[1].rstrip(") ").strip() or None
    return None


def is_layer(name):
    """A layer named by position: a1, z1, ..., aL, zL (the book's network: a1 to z3)."""
    return re.fullmatch(r"[az][1-9][0-9]*", name) is not None


def _layer_of(ds):
    layer = _attr(ds.id, "layer")
    if layer is None:  # /value/<layer>, /baseline/<layer>, /value/<layer>_mean
        layer = ds.name.rsplit("/", 1)[-1].split("_", 1)[0]
    return str(layer) if is_layer(str(layer)) else None


def _node_layer(name):
    """``a1`` for an axis named ``node_a1``, else None."""
    layer = name[len("node_") :] if name.startswith("node_") else None
    return layer if layer is not None and is_layer(layer) else None


def describe_layers(f, meanings):
    """Say what each layer of the network holds ({layer: words}, e.g. ``h5io.
    layer_meanings``) for the node scales of a file being written: a network other than the
    book's names its own activation and depth there (the book's words otherwise)."""
    _writing[f.id.fileno].layer_meanings.update(meanings)


def describe_scales(f, meanings):
    """Say what the named axes of a file being written mean ({axis: words}), instead of
    ``DIMENSION_SCALES`` (whose class axes are MNIST's ten digits and the book's z3): a
    dataset's named classes, another network's output layer."""
    _writing[f.id.fileno].scale_meanings.update(meanings)


def _members(shapes):
    """{group: its members} of the groups holding the datasets of ``shapes`` (full names)."""
    members = {}
    for name in shapes:
        parts = name.split("/")
        for i in range(1, len(parts)):
            members.setdefault("/".join(parts[:i]) or "/", set()).add(parts[i])
    return members


def _datasets(f, shapes=None):
    """Every dataset of the file, open, in the order of h5py's ``visititems`` (names sorted,
    depth first): a chunked dataset's data is placed in the file when it is closed, so
    when objects are open shapes the bytes. ``shapes``: {full name: shape} of the datasets
    ``put`` wrote; where they are all the file holds (each group has no other member),
    the file is not walked."""
    if shapes:
        groups = _members(shapes)
        if all(h5py.h5g.open(f.id, _encode(g)).get_num_objs() == len(m) for g, m in groups.items()):
            order = sorted(shapes, key=lambda name: name.split("/"))
            try:
                return [_Dataset(h5py.h5d.open(f.id, _encode(n)), n, shapes[n]) for n in order]
            except UNREADABLE:  # one was moved since: walk the file
                pass
    found = []

    def visit(name):
        obj = h5py.h5o.open(f.id, name)
        if isinstance(obj, h5py.h5d.DatasetID):
            found.append(_Dataset(obj, "/" + name.decode("utf-8")))

    h5py.h5o.visit(f.id, visit)
    return found


def _own_scale(f, ds, name, size):
    """A scale named ``name`` of length ``size`` that the writer made itself (with values of
    its own, e.g. the changed pixels' indices) in the dataset's group or one above it."""
    group = ds.group
    while True:
        found = f.get(f"{group.rstrip('/')}/{name}")
        if (
            isinstance(found, h5py.Dataset)
            and found.shape == (size,)
            and h5py.h5ds.is_scale(found.id)
        ):
            return found.id
        if group == "/":
            return None
        group = group.rsplit("/", 1)[0] or "/"


def dimension_scales(f):
    """Label every dimension of every dataset (``ds.dims[i].label``) from its ``axes``
    attribute and attach an HDF5 dimension scale to each, so that generic tools (HDFView,
    h5netcdf, xarray) show named, numbered axes: /row, /col, /pixel, /class, /label,
    /predicted, /node_<layer> (node indices), /faithfulness/fraction for the steps of the
    deletion/insertion curves, and for any other axis (the images of mnist.h5, the nodes
    of a sweep shard) an index scale of that name next to the dataset. netCDF readers such
    as h5netcdf refuse a dataset with some axes attached and others not, and name unattached
    axes phony_dim_<n>: hence a scale on every axis.

    Through HDF5's own calls, not h5py's objects (which took 100 ms for a sample's file),
    but the same calls in the same order as those objects made, reads included: the file's
    bytes depend on them."""
    state = _writing.get(f.id.fileno)
    plists = state.plists if state is not None else {}
    layer_meanings = state.layer_meanings if state is not None else {}
    scale_meanings = state.scale_meanings if state is not None else {}
    datasets = _datasets(f, state.shapes if state is not None else None)
    made = {}  # the scales created here: those a dataset of the same length may share

    def scale(group, name, meaning, size):
        """The id of the index scale ``name`` (0..size-1) in ``group`` (a full name);
        ``<name>_<size>`` where that name is taken by another dataset or a scale of
        another length."""
        for key in (name, f"{name}_{size}"):
            path = f"{group.rstrip('/')}/{key}"
            if path in made and made[path][0] == (size,):
                return made[path][1] or h5py.h5d.open(f.id, _encode(path))
            if key not in f[group]:
                options = GZIP if size >= BIG_SCALE else {}
                dsid = _create(f[group].id, key, np.arange(size), options, plists)
                set_attrs(dsid, {"meaning": meaning, "axes": key}, fresh=True)
                _make_scale(dsid, key)
                # h5py closed each scale after use: a compressed one's data goes into the
                # file when it is closed, so it is closed too; the others are kept open
                made[path] = ((size,), None if options else dsid)
                return dsid
        raise ValueError(f"{group}: no free name for a dimension scale {name!r}")

    fraction = f.get("faithfulness/fraction")
    if fraction is not None and not h5py.h5ds.is_scale(fraction.id):
        fraction.make_scale("fraction")
    for ds in datasets:
        names = _axis_names(ds)
        if names is None:
            continue
        for i, name in enumerate(names):
            h5py.h5ds.set_label(ds.id, i, _encode(name))
        if h5py.h5ds.is_scale(ds.id):  # /faithfulness/fraction: its own axis
            continue
        for i, name in enumerate(names):
            size = ds.shape[i]
            if name in scale_meanings:
                found = scale("/", name, scale_meanings[name], size)
            elif name in DIMENSION_SCALES and DIMENSION_SCALES[name][1] == size:
                found = scale("/", name, DIMENSION_SCALES[name][0], size)
            elif (layer := _node_layer(name)) is not None or (
                name == "node" and (layer := _layer_of(ds)) is not None
            ):
                words = layer_meanings.get(layer) or LAYER_MEANING.get(layer)
                meaning = f"node of {layer}" + (f": {words}" if words else "")
                found = scale("/", f"node_{layer}", meaning, size)
            elif name == "step" and fraction is not None and fraction.shape == (size,):
                found = fraction.id
            elif (own := _own_scale(f, ds, name, size)) is not None:
                found = own
            else:
                detail = _axis_detail(ds, i)
                meaning = f"index of the {name} axis" + (f" ({detail})" if detail else "")
                found = scale(ds.group, name, meaning, size)
            h5py.h5ds.attach_scale(ds.id, found, i)


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
        options = dict(GZIP)
        if compress == "maps":
            options["chunks"] = map_chunks(data.shape)
    state = _writing.get(group.id.fileno)
    if _fast_dataset(name, data):
        dsid = _create(group.id, name, data, options, state.plists if state else None)
    else:
        dsid = group.create_dataset(name, data=data, track_times=False, **options).id
    if state is not None:
        state.written += 1
        if (
            state.written == CRASH_AFTER
            and os.environ.get(CRASH_VARIABLE) == f"{state.path.name}:writing"
        ):
            group.file.flush()  # some datasets on disk, not all: a half-written file
            Path(state.tmp).write_bytes(state.buffer.getvalue())
            crash_point(state.path, "writing")
    set_attrs(dsid, {"meaning": meaning, "axes": axes, **attrs}, fresh=True)
    if state is not None:
        state.shapes[h5py.h5i.get_name(dsid).decode("utf-8")] = data.shape
    if dims and len(dims) != len(data.shape):
        raise ValueError(f"{name}: dims {list(dims)} for a dataset of shape {data.shape}")
    for i, label in enumerate(dims or ()):
        h5py.h5ds.set_label(dsid, i, _encode(label))
    return h5py.Dataset(dsid)


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
