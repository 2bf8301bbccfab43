"""Normalization layers (PyDyNet 1.1's ``nn.modules.norm``) as engine modules.

Each layer's forward is one library call with a fused forward and backward. Parameter names,
shapes and initial values are PyDyNet's; two deliberate differences follow PyTorch:
``LayerNorm`` normalizes each sample over its trailing ``normalized_shape`` dims and has no
running statistics (PyDyNet's normalizes over the batch axes and keeps running statistics),
and BatchNorm's ``running_var`` accumulates the unbiased batch variance (PyDyNet the biased
one; both normalize with the biased variance).
"""

from ..._convert import dtype_code, int64_argument, shape_array
from ..._lib import lib
from ...cuda import Device
from ._engine import EngineModule, engine_new
from .._arguments import normalized_dims

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "RMSNorm"]


class _BatchNorm(EngineModule):
    """Shared constructor of BatchNorm1d and BatchNorm2d."""

    _new = None
    _buffer_parameters = ("running_mean", "running_var")

    def __init__(self, num_features, eps=1e-6, momentum=0.1, device=None, dtype=None):
        super().__init__()
        Device(device)
        self.num_features = int64_argument(f"{type(self).__name__}: num_features", num_features)
        self.eps = eps
        self.momentum = momentum
        self._bind(engine_new(type(self)._new, self.num_features, float(eps), float(momentum), dtype_code(dtype)))


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs over each channel C.

    Parameters ``running_mean`` (zeros) and ``running_var`` (ones), not trainable (PyTorch's
    buffers: ``buffers()`` reports them too), ``scale`` (ones) and ``shift`` (zeros), all of
    shape (C,). Training normalizes with the batch statistics and updates the running ones;
    ``eval()`` normalizes with the running ones.
    """

    _new = lib.gs_batch_norm1d_new


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs over each channel C; parameters as
    BatchNorm1d's with PyDyNet's shape (1, C, 1, 1)."""

    _new = lib.gs_batch_norm2d_new


class LayerNorm(EngineModule):
    """Layer normalization as PyTorch's: each sample normalized over its trailing
    ``normalized_shape`` dims, then scaled by ``scale`` (ones) and shifted by ``shift`` (zeros).
    ``momentum`` is accepted for PyDyNet compatibility and unused (no running statistics)."""

    def __init__(self, normalized_shape, eps=1e-6, momentum=0.1, device=None, dtype=None):
        super().__init__()
        Device(device)
        self.normalized_shape = normalized_dims(normalized_shape)
        self.eps = eps
        self.momentum = momentum
        dims = self.normalized_shape
        self._bind(engine_new(lib.gs_layer_norm_new, shape_array(dims), len(dims), float(eps), dtype_code(dtype)))


class RMSNorm(EngineModule):
    """RMS normalization: ``x / sqrt(mean(x**2) + eps) * weight`` over the trailing
    ``normalized_shape`` dims; ``weight`` starts at ones."""

    def __init__(self, normalized_shape, eps=1e-6, device=None, dtype=None):
        super().__init__()
        Device(device)
        self.normalized_shape = normalized_dims(normalized_shape)
        self.sum_axis = tuple(-(i + 1) for i in range(len(self.normalized_shape)))
        self.eps = eps
        dims = self.normalized_shape
        self._bind(engine_new(lib.gs_rms_norm_new, shape_array(dims), len(dims), float(eps), dtype_code(dtype)))
