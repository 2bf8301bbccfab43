"""Convolution layers (PyDyNet 1.1's Conv1d and Conv2d), computed by the engine."""

from ..._convert import dtype_code, int64_argument
from ..._lib import lib
from ...cuda import Device
from ._engine import EngineModule, engine_new

__all__ = ["Conv1d", "Conv2d"]

class _ConvNd(EngineModule):
    """Shared constructor: PyDyNet's attributes, then the engine layer with its parameters
    "weight" (out, in, k[, k]) and "bias" (1, out, 1[, 1]) or ``bias = None``."""

    _new = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 device=None, dtype=None):
        super().__init__()
        Device(device)  # only the CPU exists: a CUDA request raises
        self.in_channels = int64_argument("in_channels", in_channels)
        self.out_channels = int64_argument("out_channels", out_channels)
        self.kernel_size = int64_argument("kernel_size", kernel_size)
        self.padding = int64_argument("padding", padding)
        self.stride = int64_argument("stride", stride)
        if not bias:
            self.bias = None
        self._bind(engine_new(type(self)._new, self.in_channels, self.out_channels, self.kernel_size,
                              self.stride, self.padding, bool(bias), dtype_code(dtype)))


class Conv1d(_ConvNd):
    """1-D convolution: (N, in_channels, L) -> (N, out_channels, L_out)."""

    _new = lib.gs_conv1d_new


class Conv2d(_ConvNd):
    """2-D convolution with a square kernel: (N, in_channels, H, W) -> (N, out_channels, H_out, W_out)."""

    _new = lib.gs_conv2d_new
