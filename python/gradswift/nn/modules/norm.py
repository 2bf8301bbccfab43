"""Normalization layers (PyDyNet 1.1's ``nn.modules.norm``) as engine modules.

Each layer's forward is one library call with a fused forward and backward. Parameter names,
shapes and initial values are PyDyNet's; two deliberate differences follow PyTorch:
``LayerNorm`` normalizes each sample over its trailing ``normalized_shape`` dims and has no
running statistics (PyDyNet's normalizes over the batch axes and keeps running statistics),
and BatchNorm's ``running_var`` accumulates the unbiased batch variance (PyDyNet the biased
one; both normalize with the biased variance). GroupNorm and InstanceNorm1d/2d, which PyDyNet
lacks, are PyTorch's: names ``weight`` and ``bias``, eps 1e-5.
"""

from ..._convert import dtype_code, int64_argument, shape_array
from ..._lib import lib
from ...cuda import Device
from ._engine import EngineModule, engine_new
from .._arguments import normalized_dims

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "RMSNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d"]


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


class GroupNorm(EngineModule):
    """PyTorch's GroupNorm: the ``num_channels`` channels split into ``num_groups`` groups, each
    sample's group normalized over its channels and positions; with ``affine``, ``weight``
    (ones) and ``bias`` (zeros) of shape (C,)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        super().__init__()
        Device(device)
        self.num_groups = int64_argument("GroupNorm: num_groups", num_groups)
        self.num_channels = int64_argument("GroupNorm: num_channels", num_channels)
        self.eps = eps
        self.affine = bool(affine)
        self._bind(engine_new(lib.gs_group_norm_new, self.num_groups, self.num_channels, float(eps),
                              self.affine, dtype_code(dtype)))


class _InstanceNorm(EngineModule):
    """Shared constructor of InstanceNorm1d and InstanceNorm2d."""

    _spatial_dims = 0
    _buffer_parameters = ("running_mean", "running_var")

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None):
        super().__init__()
        Device(device)
        self.num_features = int64_argument(f"{type(self).__name__}: num_features", num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self._bind(engine_new(lib.gs_instance_norm_new, self._spatial_dims, self.num_features, float(eps),
                              float(momentum), self.affine, self.track_running_stats, dtype_code(dtype)))


class InstanceNorm1d(_InstanceNorm):
    """PyTorch's InstanceNorm1d for (N, C, L) or (C, L) inputs: each sample's channel normalized
    over its positions; ``affine`` adds ``weight`` and ``bias``, ``track_running_stats`` the
    buffers ``running_mean`` and ``running_var`` (updated in training, used after ``eval()``)."""

    _spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """PyTorch's InstanceNorm2d for (N, C, H, W) or (C, H, W) inputs; as InstanceNorm1d."""

    _spatial_dims = 2
