"""Parameter: a leaf tensor that modules register and optimizers update."""
from ctypes import c_uint64

from .._lib import check, lib
from ..tensor import Tensor, as_tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """``Parameter(data, requires_grad=True)``: a leaf sharing ``data``'s memory (as PyDyNet's,
    which does not copy). Assigning one to a Module attribute registers it."""

    def __init__(self, data, requires_grad=True):
        source = as_tensor(data)
        out = c_uint64()
        check(lib.gs_tensor_detach(source._h, out))  # a leaf over the same storage
        self._h = out.value
        self.requires_grad = requires_grad

    @classmethod
    def _adopt(cls, handle):
        """A Parameter owning the engine handle ``handle`` (used for layers' engine parameters)."""
        p = object.__new__(cls)
        p._h = handle
        return p

    def __repr__(self):
        return f"Parameter : \n{self.data}"
