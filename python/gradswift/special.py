"""Tensor creation: constant, evenly spaced and random tensors, and the engine's random seed.

Random tensors come from the engine's generator: ``np.random.seed`` does not affect them,
``manual_seed`` does. The default floating dtype is float64 (PyDyNet's and NumPy's; PyTorch's
is float32), so ``arange(0.5, 3)``, ``linspace`` and ``eye`` give float64 unless told otherwise.
"""
import operator

import numpy as np

from ._abi import GS_DTYPE_INT64
from ._convert import dtype_code, shape_array
from ._lib import check, lib
from ._modes import is_grad_enable
from .cuda import Device
from .tensor import Tensor, as_tensor, call, dims

__all__ = ["zeros", "ones", "empty", "full", "rand", "randn", "uniform", "randint", "randperm",
           "arange", "linspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like",
           "rand_like", "randn_like", "randint_like", "manual_seed"]


def _create(cfn, shape, dtype, device, requires_grad, *params):
    """Call a creation function ``cfn(dtype, shape, ndim, *params, requires_grad, &out)``."""
    Device(device)
    shape = dims(shape)
    return call(cfn, dtype_code(dtype), shape_array(shape), len(shape), *params,
                bool(requires_grad) and is_grad_enable())


def _size_and_options(args, dtype, device, requires_grad):
    """The shape and options of ``zeros((2, 3), dtype, ...)`` (PyDyNet: a shape, then the
    options by position) or ``zeros(2, 3, dtype=...)`` (PyTorch: the sizes as arguments)."""
    if not args:
        raise TypeError("missing the size argument")
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return list(args), dtype, device, requires_grad
    positional = list(args[1:]) + [None] * 3
    if len(args) > 4:
        raise TypeError(f"expected a shape and at most dtype, device and requires_grad, got {len(args)} arguments")
    dtype = positional[0] if len(args) > 1 else dtype
    device = positional[1] if len(args) > 2 else device
    requires_grad = positional[2] if len(args) > 3 else requires_grad
    return args[0], dtype, device, requires_grad


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros (float64 unless ``dtype`` says otherwise): ``zeros((2, 3))`` or ``zeros(2, 3)``."""
    shape, dtype, device, requires_grad = _size_and_options(size, dtype, device, requires_grad)
    return _create(lib.gs_tensor_full, (shape,), dtype, device, requires_grad, 0.0)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones (float64 unless ``dtype`` says otherwise): ``ones((2, 3))`` or ``ones(2, 3)``."""
    shape, dtype, device, requires_grad = _size_and_options(size, dtype, device, requires_grad)
    return _create(lib.gs_tensor_full, (shape,), dtype, device, requires_grad, 1.0)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialized tensor in NumPy's and PyTorch's API; the engine fills it with zeros."""
    shape, dtype, device, requires_grad = _size_and_options(size, dtype, device, requires_grad)
    return _create(lib.gs_tensor_full, (shape,), dtype, device, requires_grad, 0.0)


def _fill_dtype(fill_value):
    """PyTorch's dtype for ``full`` without one: bool, int64 for integers, float64 otherwise."""
    if isinstance(fill_value, (bool, np.bool_)):
        return np.bool_
    if isinstance(fill_value, (int, np.integer)):
        return np.int64
    if isinstance(fill_value, complex):
        raise TypeError("gradswift has no complex tensors")
    return np.float64


def _fill_number(fill_value):
    """``fill_value`` as the double the engine takes (an int64 beyond 2**53 would round: refused)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    value = float(fill_value)
    if isinstance(fill_value, (int, np.integer)) and not isinstance(fill_value, bool) and int(value) != fill_value:
        raise ValueError(f"fill value {fill_value} cannot be represented exactly (beyond 2**53)")
    return value


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of shape ``size`` filled with ``fill_value``; without ``dtype`` the value's kind
    decides it as in PyTorch (bool, int64, or float64 where PyTorch gives float32)."""
    dtype = _fill_dtype(fill_value) if dtype is None else dtype
    return _create(lib.gs_tensor_full, (size,), dtype, device, requires_grad, _fill_number(fill_value))


def _number(name, value):
    """A bound of arange/linspace: a Python or NumPy number or a one-element Tensor."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, not {type(value).__name__}")
    return value


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """``start, start + step, ...`` short of ``end`` (``arange(end)`` starts at 0), as torch.arange:
    int64 when every bound is an integer, float64 otherwise; ``step`` must not be 0 and must
    point from ``start`` toward ``end`` (ValueError otherwise, as PyTorch; NumPy gives an empty array)."""
    if end is None:
        start, end = 0, start
    bounds = [_number(n, v) for n, v in (("start", start), ("end", end), ("step", step))]
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in bounds)
        dtype = np.int64 if integral else np.float64
    for v in bounds:
        if isinstance(v, (int, np.integer)) and abs(int(v)) > 2 ** 53:
            raise ValueError(f"arange: bound {v} beyond 2**53 cannot be represented exactly")
    Device(device)
    return call(lib.gs_tensor_arange, dtype_code(dtype), *map(float, bounds),
                bool(requires_grad) and is_grad_enable())


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (float64 unless ``dtype``)."""
    start, end = float(_number("start", start)), float(_number("end", end))
    Device(device)
    return call(lib.gs_tensor_linspace, dtype_code(dtype), start, end, operator.index(steps),
                bool(requires_grad) and is_grad_enable())


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """An ``n x m`` matrix (``m`` defaults to ``n``) with ones on its diagonal (float64 unless ``dtype``)."""
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    Device(device)
    return call(lib.gs_tensor_eye, dtype_code(dtype), n, m, bool(requires_grad) and is_grad_enable())


def _like(input, dtype):
    """The shape of ``input`` and the dtype of a ``*_like`` result (``input``'s unless given)."""
    input = as_tensor(input)
    return input.shape, input.dtype if dtype is None else dtype


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    """Zeros with the shape (and, unless ``dtype`` says otherwise, the dtype) of ``input``."""
    shape, dtype = _like(input, dtype)
    return zeros(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    """Ones with the shape (and, unless ``dtype`` says otherwise, the dtype) of ``input``."""
    shape, dtype = _like(input, dtype)
    return ones(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False):
    """An uninitialized (here zero) tensor with the shape and dtype of ``input``."""
    shape, dtype = _like(input, dtype)
    return empty(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    """``fill_value`` everywhere, with the shape (and, unless ``dtype`` says otherwise, the dtype) of ``input``."""
    shape, dtype = _like(input, dtype)
    return full(shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


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


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1) with the shape and (float) dtype of ``input``."""
    shape, dtype = _like(input, dtype)
    return _create(lib.gs_tensor_uniform, (shape,), dtype, device, requires_grad, 0.0, 1.0)


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    """Standard normal samples with the shape and (float) dtype of ``input``."""
    shape, dtype = _like(input, dtype)
    return _create(lib.gs_tensor_normal, (shape,), dtype, device, requires_grad, 0.0, 1.0)


def _randint_bounds(args):
    """``(low, high)`` of ``randint(high)`` or ``randint(low, high)`` style bound arguments."""
    bounds = [operator.index(_number("bound", b)) for b in args]
    return (0, bounds[0]) if len(bounds) == 1 else tuple(bounds)


def randint(*args, size=None, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from ``[low, high)``: ``randint(high, size)`` or
    ``randint(low, high, size)`` as torch.randint (int64 unless ``dtype`` is a float type)."""
    if size is None:
        if len(args) not in (2, 3):
            raise TypeError("randint() expects (high, size) or (low, high, size)")
        *args, size = args
    elif len(args) not in (1, 2):
        raise TypeError("randint() expects high or low, high before size=")
    low, high = _randint_bounds(args)
    Device(device)
    shape = dims((size,))
    out = call(lib.gs_tensor_randint, GS_DTYPE_INT64 if dtype is None else dtype_code(dtype),
               shape_array(shape), len(shape), low, high)
    return out.requires_grad_() if requires_grad and is_grad_enable() else out


def randint_like(input, *args, dtype=None, device=None):
    """``randint(low, high)`` (or ``randint(high)``) with the shape and dtype of ``input``."""
    shape, dtype = _like(input, dtype)
    if len(args) not in (1, 2):
        raise TypeError("randint_like() expects high or low, high")
    return randint(*args, size=shape, dtype=dtype, device=device)


def randperm(n, *, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise)."""
    Device(device)
    out = call(lib.gs_tensor_randperm, GS_DTYPE_INT64 if dtype is None else dtype_code(dtype),
               operator.index(n))
    return out.requires_grad_() if requires_grad and is_grad_enable() else out


def manual_seed(seed):
    """Seed the engine's random generator (used by rand, randn and uniform)."""
    seed = operator.index(seed)
    if seed < 0:
        raise ValueError("seed must be non-negative")
    check(lib.gs_manual_seed(seed))
