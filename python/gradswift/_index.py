"""Encoding of ``__getitem__``/``__setitem__`` keys in the engine's format (4 int64 per item)."""
import operator
from ctypes import c_int64

import numpy as np

from ._abi import GS_INDEX_ITEM_ELLIPSIS as _ELLIPSIS
from ._abi import GS_INDEX_ITEM_INTEGER as _INTEGER
from ._abi import GS_INDEX_ITEM_NEWAXIS as _NEWAXIS
from ._abi import GS_INDEX_ITEM_SLICE as _SLICE
from ._abi import GS_INDEX_ITEM_TENSOR as _TENSOR
from ._convert import Owned, as_engine_array, new_handle

_INT64_MIN = -(1 << 63)  # also the "None" marker of a slice bound
_INT64_MAX = (1 << 63) - 1
_ONE_ITEM = c_int64 * 4


def _clamp(value):
    """An index as int64; values beyond the int64 range saturate (and are then out of range)."""
    if _INT64_MIN < value <= _INT64_MAX:
        return value
    return _INT64_MAX if value > 0 else _INT64_MIN + 1


def _bound(value):
    """A slice bound; ``None`` becomes INT64_MIN."""
    return _INT64_MIN if value is None else _clamp(operator.index(value))


def _signed(handle):
    """A uint64 handle bit-cast to int64."""
    return handle - (1 << 64) if handle > _INT64_MAX else handle


def _array_item(item):
    """An owned engine tensor for an array-like index: int64 indices or a bool mask."""
    arr = np.asarray(item)
    kind = arr.dtype.kind
    if kind not in "iub":
        if arr.size:
            raise IndexError("arrays used as indices must be of integer or boolean type, "
                             f"not {arr.dtype}")
        arr = arr.astype(np.int64)  # [] is an empty integer index, as in NumPy
    if kind == "u" and arr.size and arr.max() > _INT64_MAX:
        raise IndexError(f"index {arr.max()} is out of bounds (above the int64 range)")
    arr, code = as_engine_array(arr)
    return Owned(new_handle(arr, code))


def encode_key(key, tensor_type):
    """Encode ``key`` for ``gs_index``; return ``(buffer, nitems, keep)``.

    ``keep`` holds the tensors the buffer refers to; it must stay alive during the engine call.
    Python and NumPy booleans become 0-d bool masks, as in NumPy.
    """
    if type(key) is int:  # fast path for the most common key
        buf = _ONE_ITEM()
        buf[1] = _clamp(key)
        return buf, 1, None
    items = key if type(key) is tuple else (key,)
    buf = (c_int64 * (4 * len(items) or 4))()
    keep = []
    for i, item in enumerate(items):
        j = 4 * i
        if item is None:
            buf[j] = _NEWAXIS
        elif item is Ellipsis:
            buf[j] = _ELLIPSIS
        elif type(item) is slice:
            buf[j] = _SLICE
            buf[j + 1] = _bound(item.start)
            buf[j + 2] = _bound(item.stop)
            buf[j + 3] = _bound(item.step)
        elif isinstance(item, tensor_type):
            buf[j] = _TENSOR
            buf[j + 1] = _signed(item._h)
            keep.append(item)
        else:
            if not isinstance(item, (bool, np.bool_)):
                try:
                    buf[j + 1] = _clamp(operator.index(item))  # kind 0: integer
                    continue
                except TypeError:
                    pass
            owner = _array_item(item)
            buf[j] = _TENSOR
            buf[j + 1] = _signed(owner.handle)
            keep.append(owner)
    return buf, len(items), keep
