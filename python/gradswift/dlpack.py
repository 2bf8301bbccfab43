"""DLPack: tensors exchanged with NumPy, PyTorch and other libraries without copying.

``Tensor.__dlpack__`` lends a tensor's memory to a consumer (``np.from_dlpack(t)``,
``torch.from_dlpack(t)``): the consumer sees and changes the same bytes, and the tensor's memory
stays alive until the consumer lets go. ``from_dlpack(obj)`` does the reverse: the tensor it
returns uses the producer's memory in place (any engine dtype, C-contiguous) and
keeps the producer alive; other dtypes and layouts are copied (as NumPy converts them).
"""
import ctypes

import numpy as np

from ._lib import CALLBACK_TYPES, check, lib
from ._convert import dtype_code
from .tensor import Tensor, wrap

__all__ = ["from_dlpack"]

_CPU = 1  # kDLCPU
# (DLDataTypeCode, bits) of each engine dtype: kDLInt 0, kDLUInt 1, kDLFloat 2, kDLBool 6.
_DLPACK_CODES = {np.dtype(np.float16): (2, 16), np.dtype(np.float32): (2, 32), np.dtype(np.float64): (2, 64),
                 np.dtype(np.int8): (0, 8), np.dtype(np.int16): (0, 16), np.dtype(np.int32): (0, 32),
                 np.dtype(np.int64): (0, 64), np.dtype(np.uint8): (1, 8), np.dtype(np.bool_): (6, 8)}


class _Device(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _Device), ("ndim", ctypes.c_int32), ("dtype", _DataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


class _ManagedTensor(ctypes.Structure):
    pass


_Deleter = ctypes.CFUNCTYPE(None, ctypes.POINTER(_ManagedTensor))
_ManagedTensor._fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", _Deleter)]


class _Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class _VersionedTensor(ctypes.Structure):
    """DLPack 1.x's DLManagedTensorVersioned (its flags say whether the consumer may write)."""


_VersionedDeleter = ctypes.CFUNCTYPE(None, ctypes.POINTER(_VersionedTensor))
_VersionedTensor._fields_ = [("version", _Version), ("manager_ctx", ctypes.c_void_p), ("deleter", _VersionedDeleter),
                             ("flags", ctypes.c_uint64), ("dl_tensor", _DLTensor)]

_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype, _capsule_new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype, _capsule_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
_capsule_set_name = ctypes.pythonapi.PyCapsule_SetName
_capsule_set_name.restype, _capsule_set_name.argtypes = ctypes.c_int, [ctypes.py_object, ctypes.c_char_p]
# The destructor gets the dying capsule as a raw pointer (a py_object would revive it), so it
# reads it through prototypes that take raw pointers.
_CapsuleDestructor = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_raw_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))
_raw_capsule_is_valid = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p)(
    ("PyCapsule_IsValid", ctypes.pythonapi))

# What a lent tensor needs until its consumer calls the deleter: the struct, its shape array and
# a handle to the tensor, by the struct's address.
_lent = {}


def _forget_lent(managed):
    """The deleter of the managed tensors gradswift produces: the tensor's memory is free to go."""
    _lent.pop(ctypes.addressof(managed.contents), None)


# One deleter per struct type, both running _forget_lent.
_delete_lent, _delete_lent_versioned = _Deleter(_forget_lent), _VersionedDeleter(_forget_lent)


@_CapsuleDestructor
def _destroy_capsule(capsule):
    """A capsule dropped without being consumed still owns its managed tensor."""
    for name in (b"dltensor", b"dltensor_versioned"):
        if _raw_capsule_is_valid(capsule, name):
            _lent.pop(_raw_capsule_pointer(capsule, name), None)


def to_dlpack(tensor, copy=None, versioned=False):
    """A DLPack capsule lending ``tensor``'s memory (a copy when ``copy``): DLPack 1.0's
    ``"dltensor_versioned"``, writable, when ``versioned``, else the legacy ``"dltensor"``."""
    if tensor.requires_grad:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    if copy:
        tensor = tensor.astype(tensor.dtype)  # astype always copies
    owner = tensor.detach()  # a handle of its own to the same memory
    data = ctypes.c_void_p()
    check(lib.gs_tensor_data_ptr(owner._h, ctypes.byref(data)))
    shape = (ctypes.c_int64 * max(owner.ndim, 1))(*owner.shape)
    code, bits = _DLPACK_CODES[np.dtype(owner.dtype)]
    managed = _VersionedTensor(version=_Version(1, 0), flags=0) if versioned else _ManagedTensor()
    managed.dl_tensor = _DLTensor(data=data, device=_Device(_CPU, 0), ndim=owner.ndim, dtype=_DataType(code, bits, 1),
                                  shape=shape, strides=None, byte_offset=0)
    managed.deleter = _delete_lent_versioned if versioned else _delete_lent
    _lent[ctypes.addressof(managed)] = (managed, shape, owner)
    name = b"dltensor_versioned" if versioned else b"dltensor"
    return _capsule_new(ctypes.addressof(managed), name, ctypes.cast(_destroy_capsule, ctypes.c_void_p))


# Producers' DLManagedTensors that gradswift tensors use, by address, until the engine releases
# the memory.
_borrowed = {}


@CALLBACK_TYPES["gs_release_fn"]
def _release_borrowed(address):
    """gs_release_fn: no tensor uses the producer's memory any more; its deleter may free it."""
    managed = _borrowed.pop(address, None)
    if managed is not None and managed.contents.deleter:
        managed.contents.deleter(managed)


def from_dlpack(obj):
    """A gradswift Tensor over the memory of ``obj`` (anything with ``__dlpack__``, or a DLPack
    capsule): shared for C-contiguous CPU data of an engine dtype, copied
    otherwise (as ``Tensor(np.from_dlpack(obj))``)."""
    if isinstance(obj, Tensor):
        return obj.detach()
    array = np.from_dlpack(obj) if hasattr(obj, "__dlpack__") else np.from_dlpack(_CapsuleHolder(obj))
    aligned = array.ctypes.data % max(array.dtype.itemsize, 1) == 0
    if array.dtype not in _DLPACK_CODES or not array.flags.c_contiguous or not aligned:
        return Tensor(np.ascontiguousarray(array))
    capsule = array.__dlpack__()
    address = _capsule_pointer(capsule, b"dltensor")
    managed = ctypes.cast(address, ctypes.POINTER(_ManagedTensor))
    _capsule_set_name(capsule, b"used_dltensor")  # consumed: the capsule no longer deletes it
    dl = managed.contents.dl_tensor
    shape = (ctypes.c_int64 * max(dl.ndim, 1))(*array.shape)
    out = ctypes.c_uint64()
    _borrowed[address] = managed
    status = lib.gs_tensor_from_external(ctypes.c_void_p((dl.data or 0) + dl.byte_offset), dtype_code(array.dtype),
                                         shape, array.ndim, ctypes.c_void_p(address), _release_borrowed, out)
    if status:
        _release_borrowed(address)
        check(status)
    return wrap(out.value)


class _CapsuleHolder:
    """Presents a bare DLPack capsule through the ``__dlpack__`` protocol NumPy consumes."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (_CPU, 0)
