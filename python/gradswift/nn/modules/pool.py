"""Pooling layers (PyDyNet 1.1's MaxPool1d/2d and AvgPool1d/2d), computed by the engine.

As in PyTorch, ``stride`` defaults to ``kernel_size`` and ``padding`` to 0 (PyDyNet requires
both), and max pooling pads with -inf rather than PyDyNet's zeros.
"""
from ..._convert import int64_argument
from ..._lib import lib
from ..functional import adaptive_sizes
from ._engine import EngineModule, engine_new

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d"]


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


class _AdaptivePoolNd(EngineModule):
    """Shared constructor of PyTorch's adaptive pooling layers: ``output_size`` an int or a
    tuple whose None entries keep the input's size; printed as PyTorch prints it."""

    _new = None
    _dims = 1

    def __init__(self, output_size):
        super().__init__()
        self.output_size = tuple(output_size) if isinstance(output_size, list) else output_size
        self._bind(engine_new(type(self)._new, *adaptive_sizes(output_size, type(self)._dims)))

    def __repr__(self):
        return f"{type(self).__name__}(output_size={self.output_size!r})"


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size, return_indices=False):
        if return_indices:
            raise ValueError(f"{type(self).__name__} with return_indices=True is not supported by gradswift")
        super().__init__(output_size)
        self.return_indices = False


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling of (N, C, L) or (C, L) to output_size windows."""

    _new = lib.gs_adaptive_max_pool1d_new


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Adaptive max pooling of (N, C, H, W) or (C, H, W) to output_size windows."""

    _new = lib.gs_adaptive_max_pool2d_new
    _dims = 2


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Adaptive average pooling of (N, C, L) or (C, L) to output_size windows."""

    _new = lib.gs_adaptive_avg_pool1d_new


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Adaptive average pooling of (N, C, H, W) or (C, H, W) to output_size windows."""

    _new = lib.gs_adaptive_avg_pool2d_new
    _dims = 2
