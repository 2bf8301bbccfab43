"""Convolution layers (PyDyNet 1.1's Conv1d and Conv2d), computed by the engine."""

from ..._convert import dtype_code, int64_argument
from ..._lib import lib
from ...cuda import Device
from ..functional import conv_pair
from ._engine import EngineModule, engine_new

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

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


class _ConvTransposeNd(EngineModule):
    """PyTorch's transposed convolution layers: parameters "weight" (in, out, *kernel_size) and
    "bias" (out,) or ``bias = None``, initialised as PyTorch does; ints or tuples for the
    sizes (stored as tuples, as PyTorch); groups and dilation must be 1."""

    _new = None
    _dims = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        Device(device)  # only the CPU exists: a CUDA request raises
        name, dims = type(self).__name__, type(self)._dims
        if groups != 1 or dilation not in (1, (1,) * dims):
            raise ValueError(f"{name}: groups and dilation other than 1 are not supported by gradswift")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported for transposed convolutions")
        self.in_channels = int64_argument("in_channels", in_channels)
        self.out_channels = int64_argument("out_channels", out_channels)
        self.kernel_size = conv_pair("kernel_size", kernel_size, dims)
        self.stride = conv_pair("stride", stride, dims)
        self.padding = conv_pair("padding", padding, dims)
        self.output_padding = conv_pair("output_padding", output_padding, dims)
        self.groups, self.dilation, self.padding_mode, self.transposed = 1, (1,) * dims, padding_mode, True
        if not bias:
            self.bias = None
        self._bind(engine_new(type(self)._new, self.in_channels, self.out_channels, *self.kernel_size, *self.stride,
                              *self.padding, *self.output_padding, bool(bias), dtype_code(dtype)))


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution: (N, in_channels, L) -> (N, out_channels, L_out)."""

    _new = lib.gs_conv_transpose1d_new


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-D convolution: (N, in_channels, H, W) -> (N, out_channels, H_out, W_out)."""

    _new = lib.gs_conv_transpose2d_new
    _dims = 2
