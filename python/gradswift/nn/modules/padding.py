"""PyTorch's padding layers (``ZeroPad1d`` ... ``CircularPad2d``): Python modules over
``functional.pad`` (no parameters, nothing for the engine's module system to keep). An int
``padding`` pads every side by it; a tuple gives (left, right[, top, bottom])."""
from .. import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
           "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d"]


class _Pad(Module):
    """A padding layer of ``_dims`` dimensions in mode ``_mode``."""

    _dims = 1
    _mode = "constant"

    def __init__(self, padding, value=None):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self._dims)
        padding = tuple(padding)
        if len(padding) != 2 * self._dims:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of {2 * self._dims} ints, "
                             f"got {padding!r}")
        self.padding, self.value = padding, value

    def forward(self, input):
        return F.pad(input, self.padding, self._mode, self.value)

    def __repr__(self):
        return f"{type(self).__name__}({self.padding})"


class _ConstantPad(_Pad):
    def __init__(self, padding, value):
        super().__init__(padding, value)

    def __repr__(self):
        return f"{type(self).__name__}(padding={self.padding}, value={self.value})"


class ZeroPad1d(_Pad):
    """Layer: the last dimension padded with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(ZeroPad1d):
    """Layer: the last two dimensions padded with zeros."""

    _dims = 2


class ConstantPad1d(_ConstantPad):
    """Layer: the last dimension padded with ``value``."""


class ConstantPad2d(_ConstantPad):
    """Layer: the last two dimensions padded with ``value``."""

    _dims = 2


class ReflectionPad1d(_Pad):
    """Layer: the last dimension padded with its entries mirrored about the edges."""

    _mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Layer: the last two dimensions padded with their entries mirrored about the edges."""

    _dims = 2


class ReplicationPad1d(_Pad):
    """Layer: the last dimension padded with copies of its edge entries."""

    _mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Layer: the last two dimensions padded with copies of their edge entries."""

    _dims = 2


class CircularPad1d(_Pad):
    """Layer: the last dimension padded by wrapping around."""

    _mode = "circular"


class CircularPad2d(CircularPad1d):
    """Layer: the last two dimensions padded by wrapping around."""

    _dims = 2
