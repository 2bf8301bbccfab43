"""Conversions between NumPy arrays and engine handles: dtype codes, tensor creation, zero-copy views."""
import operator
from ctypes import c_int32, c_int64, c_uint64, c_void_p, create_string_buffer

import numpy as np

from ._abi import ENUMS
from ._lib import check, error, lib

# The NumPy dtype of each engine dtype code (gs_dtype; same names, bool one byte, 0 or 1).
DTYPES = {code: np.dtype(name) for name, code in ENUMS["gs_dtype"].items()}
_CODES = {dtype.name: code for code, dtype in DTYPES.items()}
_TYPESTR = {code: dtype.str for code, dtype in DTYPES.items()}
_MAX_NDIM = 64  # NumPy's own limit
_INT64 = 1 << 63

_new = lib.gs_tensor_new
_describe = lib.gs_tensor_describe
_data_ptr = lib.gs_tensor_data_ptr
_release = lib.gs_tensor_release


def dtype_code(dtype):
    """Engine dtype code for a NumPy dtype-like (``None`` means float64).

    float16, float32, float64, int8, uint8, int16, int32, int64 and bool map to themselves;
    float128 to float64, uint16 to int32 and uint32 and uint64 to int64 (the narrowest engine
    type that holds every value); anything else raises TypeError.
    """
    dt = np.dtype(dtype)
    if dt.name in _CODES:
        return _CODES[dt.name]
    if dt.kind == "f":
        return _CODES["float64"]
    if dt.kind == "u":
        return _CODES["int32" if dt.itemsize == 2 else "int64"]
    raise TypeError(f"gradswift supports float16/32/64, int8/16/32/64, uint8 and bool tensors, not {dt}")


def as_engine_array(data, dtype=None):
    """Return ``(array, code)``: ``data`` as a C-contiguous NumPy array of an engine dtype."""
    arr = np.asarray(data) if dtype is None else np.asarray(data, dtype=dtype)
    code = dtype_code(arr.dtype)
    if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise OverflowError("uint64 values above 2**63 - 1 do not fit the engine's int64")
    return np.asarray(arr, dtype=DTYPES[code], order="C"), code


def shape_array(shape):
    """A ctypes int64 array holding ``shape`` (never empty, so never a NULL pointer); a value
    outside int64 raises OverflowError (ctypes would silently wrap it)."""
    arr = (c_int64 * (len(shape) or 1))()
    arr[:len(shape)] = shape  # faster than passing the values to the constructor
    if shape and not -_INT64 <= min(shape) <= max(shape) < _INT64:
        raise OverflowError(f"{tuple(shape)} has a value outside int64")
    return arr


def new_handle(arr, code, requires_grad=False):
    """Create an engine tensor holding a copy of the C-contiguous array ``arr``."""
    out = c_uint64()
    st = _new(arr.ctypes.data, code, shape_array(arr.shape), arr.ndim, requires_grad, out)
    if st:
        raise error(st)
    return out.value


def describe(handle):
    """Return ``(shape, dtype_code)`` of an engine tensor."""
    code = c_int32()
    ndim = c_int32()
    buf = (c_int64 * _MAX_NDIM)()
    st = _describe(handle, code, ndim, buf, _MAX_NDIM)
    if st:
        raise error(st)
    return tuple(buf[:ndim.value]), code.value


class Owned:
    """Owner of one engine tensor handle, released when this object is collected. Subclasses
    owning other kinds of handles set ``release`` to their release function."""

    __slots__ = ("handle",)
    release = staticmethod(_release)

    def __init__(self, handle):
        self.handle = handle

    def __del__(self):
        try:
            self.release(self.handle)
        except Exception:  # never raise from a finalizer (e.g. at interpreter shutdown)
            pass


class _Buffer(Owned):
    """Exposes an engine tensor's memory through ``__array_interface__``; owns that tensor."""

    __slots__ = ("__array_interface__",)

    def __init__(self, handle):
        super().__init__(handle)
        shape, code = describe(handle)
        ptr = c_void_p()
        st = _data_ptr(handle, ptr)
        if st:
            raise error(st)
        self.__array_interface__ = {
            "version": 3,
            "shape": shape,
            "typestr": _TYPESTR[code],
            "data": (ptr.value or 0, False),  # NULL is fine for zero-element tensors
        }


def view(handle):
    """A writable NumPy array over the memory of ``handle``; the array owns (and releases) it."""
    return np.asarray(_Buffer(handle))



def int64_argument(name, value):
    """``value`` (an int or NumPy integer) as a Python int that a C int64 holds: TypeError for
    non-integers, OverflowError out of range (ctypes would silently wrap it)."""
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if not -_INT64 <= v < _INT64:
        raise OverflowError(f"{name}={v} does not fit in int64")
    return v


def read_string(cfn, *args):
    """Reads a string from an snprintf-style ``cfn(*args, buffer, capacity, &length)``."""
    length = c_int64()
    check(cfn(*args, None, 0, length))
    buffer = create_string_buffer(length.value + 1)
    check(cfn(*args, buffer, len(buffer), length))
    return buffer.value.decode()
