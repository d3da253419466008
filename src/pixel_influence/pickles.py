"""Reading a pickle of numpy arrays without letting it execute anything.

The weights of the book come as a pickle, and unpickling runs whatever the file names. The
unpickler here allows only the handful of globals a pickle of plain numpy arrays names, and
even those are stand-ins that check every argument: numpy's own ``_reconstruct`` trusts the
flags and layout in a pickled dtype's state (a flipped byte makes a float array that numpy
believes holds Python objects), and object arrays would unpickle arbitrary objects.
"""

import io
import math
import pickle
import pickletools
import re
import warnings

import numpy as np

from .errors import InputError

__all__ = [
    "unpickle_arrays",
]

# The stand-ins build the arrays with np.frombuffer and keep no state between loads.

_DTYPE_CODE = re.compile(r"[biufc][0-9]{1,2}")  # how numpy pickles number dtypes: 'f4', 'i8', ...
_MAX_NDIM = 32


def _refuse(what):
    return InputError(f"{what}: the weights pickle may only hold plain numeric numpy arrays")


class _Stub:
    """Base of the stand-ins: no __dict__, so a pickle's BUILD cannot change one."""

    __slots__ = ()


class _NdarrayName(_Stub):
    """numpy.ndarray as named in a pickle: only an argument of _reconstruct, not callable."""


class _Dtype(_Stub):
    """numpy.dtype(code, align, copy): only plain numbers; objects, strings, records refused."""

    def __call__(self, code, align=False, copy=True):
        return _DtypeSpec(code)


class _DtypeSpec:
    """A dtype named by the pickle; BUILD may set only its byte order."""

    __slots__ = ("code", "dtype")

    def __init__(self, code):
        if not (isinstance(code, str) and _DTYPE_CODE.fullmatch(code)):
            raise _refuse(f"refusing to unpickle numpy dtype {code!r}")
        try:
            self.dtype = np.dtype(code)
        except TypeError:
            raise _refuse(f"refusing to unpickle numpy dtype {code!r}") from None
        self.code = code

    def __setstate__(self, state):
        # (version, byte order, subarray, names, fields, itemsize, alignment, flags): only the
        # byte order matters for a plain number type; anything describing a structure is refused
        if not (isinstance(state, tuple) and len(state) >= 5 and state[1] in ("<", ">", "|", "=")):
            raise _refuse(f"refusing to unpickle numpy dtype state {state!r}")
        if any(part is not None for part in state[2:5]):
            raise _refuse("refusing to unpickle a structured or subarray numpy dtype")
        if state[1] in "<>":
            self.dtype = np.dtype(state[1] + self.code)  # '<f4' is float32 on little-endian


def _shape(shape):
    if not (
        isinstance(shape, tuple)
        and len(shape) <= _MAX_NDIM
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise _refuse(f"refusing to unpickle array shape {shape!r}")
    return shape


def _array(data, spec, shape, fortran):
    """The array of ``shape`` whose bytes are ``data``, after checking every part."""
    if isinstance(data, str):  # numpy pickles made under Python 2 hold the bytes as latin-1 text
        data = data.encode("latin-1")
    if not isinstance(data, (bytes, bytearray)):
        raise _refuse(f"refusing array data of type {type(data).__name__}")
    if not isinstance(spec, _DtypeSpec):
        raise _refuse(f"refusing array dtype of type {type(spec).__name__}")
    shape = _shape(shape)
    need = math.prod(shape) * spec.dtype.itemsize
    if len(data) != need:
        raise InputError(
            f"array data is {len(data)} bytes but shape {shape} of {spec.dtype} needs {need}"
        )
    flat = np.frombuffer(data, dtype=spec.dtype).copy()  # a writable array of its own
    return flat.reshape(shape, order="F" if fortran else "C")


class _ArrayPlaceholder:
    """What _reconstruct returns; its BUILD state becomes ``array`` (see _resolve)."""

    __slots__ = ("array",)

    def __init__(self):
        self.array = None

    def __setstate__(self, state):
        # ndarray.__reduce__ state: ([version,] shape, dtype, is_fortran, raw data)
        if isinstance(state, tuple) and len(state) == 5 and state[0] == 1:
            state = state[1:]
        if not (isinstance(state, tuple) and len(state) == 4):
            raise _refuse(
                "refusing to unpickle a numpy array state that is not (shape, dtype, ...)"
            )
        shape, spec, fortran, data = state
        self.array = _array(data, spec, shape, bool(fortran))


class _Reconstruct(_Stub):
    """numpy's _reconstruct(ndarray, (0,), b'b'): an empty placeholder filled by BUILD."""

    def __call__(self, subtype, shape, typecode):
        if not isinstance(subtype, _NdarrayName):
            raise _refuse(f"refusing to reconstruct a {type(subtype).__name__} as numpy array")
        return _ArrayPlaceholder()


class _Frombuffer(_Stub):
    """numpy's _frombuffer(data, dtype, shape, order) of protocol-5 pickles."""

    def __call__(self, data, spec, shape, order):
        if order not in ("C", "F"):
            raise _refuse(f"refusing array order {order!r}")
        return _array(data, spec, shape, order == "F")


class _Encode(_Stub):
    """_codecs.encode(text, 'latin1'): how protocol-2 pickles of numpy arrays carry bytes."""

    def __call__(self, text, encoding="utf-8"):
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise _refuse(f"refusing _codecs.encode of {type(text).__name__} as {encoding!r}")
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError as e:
            raise InputError(f"array data is not latin-1 text ({e})") from None


# the only globals a pickle of plain numpy arrays needs; numpy 2 spells the modules _core
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _Reconstruct(),
    ("numpy._core.multiarray", "_reconstruct"): _Reconstruct(),
    ("numpy.core.numeric", "_frombuffer"): _Frombuffer(),
    ("numpy._core.numeric", "_frombuffer"): _Frombuffer(),
    ("numpy", "ndarray"): _NdarrayName(),
    ("numpy", "dtype"): _Dtype(),
    ("_codecs", "encode"): _Encode(),
}
_MEMO_PUTS = ("PUT", "BINPUT", "LONG_BINPUT")


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        stub = ALLOWED_GLOBALS.get((module, name))
        if stub is None:
            allowed = ", ".join(f"{m}.{n}" for m, n in ALLOWED_GLOBALS)
            raise InputError(
                f"refusing to unpickle global {module}.{name}: the weights pickle may only "
                f"reference numpy array reconstruction ({allowed})"
            )
        return stub


def _scan(data):
    """Walk the opcodes without running them: every length must fit in ``data``, and memo
    indices must be small (the C unpickler allocates and clears a memo table up to the
    largest index, so an 11-byte pickle could otherwise claim gigabytes)."""
    for op, arg, _ in pickletools.genops(data):
        if op.name in _MEMO_PUTS and arg > len(data):
            raise InputError(f"memo index {arg} is larger than the whole pickle")


def _resolve(params):
    """The unpickled dict with each array placeholder replaced by its array."""
    if not isinstance(params, dict):
        return params
    out = {}
    for key, value in params.items():
        if isinstance(value, _ArrayPlaceholder):
            if value.array is None:
                raise InputError(f"{key}: numpy array without its data")
            value = value.array
        out[key] = value
    return out


def unpickle_arrays(data, source="weights pickle"):
    """A pickled dict of plain numeric numpy arrays, rebuilt without running the pickle's code.

    Raises ``InputError`` naming ``source`` for anything else: other globals, object or
    structured dtypes, inconsistent array states, malformed or oversized pickles.
    """
    if not data:
        raise InputError(f"{source}: is empty, expected the pickled dict of weight arrays")
    try:
        with warnings.catch_warnings():
            # e.g. the DeprecationWarning of an invalid escape in a protocol-0 string
            warnings.simplefilter("error")
            _scan(data)
            params = _resolve(_ArrayUnpickler(io.BytesIO(data)).load())
    except InputError as e:
        raise InputError(f"{source}: {e}") from None
    except Exception as e:  # noqa: BLE001 - any malformed pickle
        raise InputError(f"{source}: not a readable pickle ({type(e).__name__}: {e})") from None
    return params
