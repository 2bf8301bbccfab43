"""Pooling layers (PyDyNet 1.1's MaxPool1d/2d and AvgPool1d/2d), computed by the engine.

As in PyTorch, ``stride`` defaults to ``kernel_size`` and ``padding`` to 0 (PyDyNet requires
both), and max pooling pads with -inf rather than PyDyNet's zeros.
"""
from ..._convert import int64_argument
from ..._lib import lib
from ._engine import EngineModule, engine_new

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"]


class _PoolNd(EngineModule):
    """Shared constructor: PyDyNet's attributes, then the engine layer."""

    _new = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = int64_argument("kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else int64_argument("stride", stride)
        self.padding = int64_argument("padding", padding)
        self._bind(engine_new(type(self)._new, self.kernel_size, self.stride, self.padding))


class MaxPool1d(_PoolNd):
    """Max pooling of (N, C, L) over windows of kernel_size elements."""

    _new = lib.gs_max_pool1d_new


class MaxPool2d(_PoolNd):
    """Max pooling of (N, C, H, W) over kernel_size x kernel_size windows."""

    _new = lib.gs_max_pool2d_new


class AvgPool1d(_PoolNd):
    """Average pooling of (N, C, L), padded zeros counted."""

    _new = lib.gs_avg_pool1d_new


class AvgPool2d(_PoolNd):
    """Average pooling of (N, C, H, W), padded zeros counted."""

    _new = lib.gs_avg_pool2d_new
