"""Tensor creation: constant and random tensors, and the engine's random seed.

Random tensors come from the engine's generator: ``np.random.seed`` does not affect them,
``manual_seed`` does.
"""
import operator

from ._convert import dtype_code, shape_array
from ._lib import check, lib
from ._modes import is_grad_enable
from .cuda import Device
from .tensor import call, dims

__all__ = ["zeros", "ones", "empty", "rand", "randn", "uniform", "manual_seed"]


def _create(cfn, shape, dtype, device, requires_grad, *params):
    """Call a creation function ``cfn(dtype, shape, ndim, *params, requires_grad, &out)``."""
    Device(device)
    shape = dims(shape)
    return call(cfn, dtype_code(dtype), shape_array(shape), len(shape), *params,
                bool(requires_grad) and is_grad_enable())


def zeros(shape, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros (float64 unless ``dtype`` says otherwise)."""
    return _create(lib.gs_tensor_full, (shape,), dtype, device, requires_grad, 0.0)


def ones(shape, dtype=None, device=None, requires_grad=False):
    """A tensor of ones (float64 unless ``dtype`` says otherwise)."""
    return _create(lib.gs_tensor_full, (shape,), dtype, device, requires_grad, 1.0)


def empty(shape, dtype=None, device=None, requires_grad=False):
    """An uninitialized tensor in NumPy's API; the engine fills it with zeros."""
    return _create(lib.gs_tensor_full, (shape,), dtype, device, requires_grad, 0.0)


def rand(*shape, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1): ``rand(2, 3)`` (float64 unless ``dtype`` says otherwise)."""
    return _create(lib.gs_tensor_uniform, shape, dtype, device, requires_grad, 0.0, 1.0)


def randn(*shape, dtype=None, device=None, requires_grad=False):
    """Standard normal samples: ``randn(2, 3)`` (float64 unless ``dtype`` says otherwise)."""
    return _create(lib.gs_tensor_normal, shape, dtype, device, requires_grad, 0.0, 1.0)


def uniform(low, high, shape=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [low, high); ``shape`` None gives a 0-d tensor."""
    return _create(lib.gs_tensor_uniform, (() if shape is None else shape,), dtype, device,
                   requires_grad, float(low), float(high))


def manual_seed(seed):
    """Seed the engine's random generator (used by rand, randn and uniform)."""
    seed = operator.index(seed)
    if seed < 0:
        raise ValueError("seed must be non-negative")
    check(lib.gs_manual_seed(seed))
