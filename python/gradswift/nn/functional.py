"""Functional forms of the layers (PyDyNet 1.1's ``pydynet.nn.functional``).

Each function is one library call with a fused forward and backward in the engine.
"""
from ..tensor import Tensor, as_tensor, call  # noqa: F401
from .._lib import lib  # noqa: F401

__all__ = []

# ---- activations, linear, embedding, dropout ----------------------------------------------

# ---- softmax and losses -------------------------------------------------------------------

# ---- convolution and pooling --------------------------------------------------------------

from .modules.conv import size_argument as _size  # noqa: E402


def conv1d(x, kernel, padding=0, stride=1, *, bias=None):
    """1-D convolution of ``x`` (N, in_channels, L) with ``kernel`` (out_channels, in_channels,
    kernel_size), zero ``padding`` on both sides; ``bias`` (out_channels elements) is added when
    given (a gradswift extra)."""
    x, kernel, bias = as_tensor(x), as_tensor(kernel), None if bias is None else as_tensor(bias)
    return call(lib.gs_conv1d, x._h, kernel._h, 0 if bias is None else bias._h, _size("stride", stride),
                _size("padding", padding))


def conv2d(x, kernel, padding=0, stride=1, *, bias=None):
    """2-D convolution of ``x`` (N, in_channels, H, W) with ``kernel`` (out_channels,
    in_channels, kH, kW), the same stride and zero padding on both axes; ``bias``
    (out_channels elements) is added when given (a gradswift extra)."""
    x, kernel, bias = as_tensor(x), as_tensor(kernel), None if bias is None else as_tensor(bias)
    return call(lib.gs_conv2d, x._h, kernel._h, 0 if bias is None else bias._h, _size("stride", stride),
                _size("padding", padding))


def _pool(cfn, x, kernel_size, stride, padding):
    x, kernel_size = as_tensor(x), _size("kernel_size", kernel_size)  # x stays referenced during the call
    stride = kernel_size if stride is None else _size("stride", stride)
    return call(cfn, x._h, kernel_size, stride, _size("padding", padding))


def max_pool1d(x, kernel_size, stride=None, padding=0):
    """Max pooling of (N, C, L) (stride defaults to kernel_size). As PyTorch, the padding
    counts as -inf (PyDyNet pads zeros) and the gradient goes to the first maximum."""
    return _pool(lib.gs_max_pool1d, x, kernel_size, stride, padding)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling of (N, C, H, W) over square windows (stride defaults to kernel_size); the
    padding counts as -inf, as in PyTorch."""
    return _pool(lib.gs_max_pool2d, x, kernel_size, stride, padding)


def avg_pool1d(x, kernel_size, stride=None, padding=0):
    """Average pooling of (N, C, L), padded zeros counted (stride defaults to kernel_size)."""
    return _pool(lib.gs_avg_pool1d, x, kernel_size, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling of (N, C, H, W) over square windows, padded zeros counted (stride
    defaults to kernel_size)."""
    return _pool(lib.gs_avg_pool2d, x, kernel_size, stride, padding)


__all__ += ["conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"]

# ---- normalization ------------------------------------------------------------------------

# ---- recurrent cells ----------------------------------------------------------------------
