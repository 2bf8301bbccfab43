"""Reductions, scans and sorting with PyTorch's signatures, each one engine call.

Every function takes PyTorch's ``dim=``/``keepdim=`` and NumPy's (PyDyNet's) ``axis=``/
``keepdims=``; giving both spellings of one argument is a TypeError. The Tensor methods of
these names (``x.var(...)``) and the module functions (``gradswift.var(x, ...)``) call them.
"""
import numbers
import operator
from collections import namedtuple
from ctypes import c_uint64

from ._lib import error, lib

# tensor.py imports this module for its methods, so the functions here import from tensor.py
# when called, not at load time.

# PyTorch's torch.return_types: tuples whose fields are also attributes.
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])

_UNSET = object()


def pick(name, torch_name, torch_value, numpy_name, numpy_value, default=None):
    """The one of ``dim``/``axis`` (or ``keepdim``/``keepdims``) that was given, else ``default``."""
    if torch_value is not None and numpy_value is not None:
        raise TypeError(f"{name}() got both {torch_name}= and {numpy_name}=; pass one")
    if torch_value is not None:
        return torch_value
    return default if numpy_value is None else numpy_value


def one_axis(name, dim, axis, default=_UNSET):
    """A single axis from ``dim=``/``axis=``; TypeError when required and missing."""
    value = pick(name, "dim", dim, "axis", axis)
    if value is None:
        if default is _UNSET:
            raise TypeError(f"{name}() missing required argument 'dim'")
        value = default
    return _saturated(operator.index(value))


def _saturated(n):
    """``n`` clamped to int64 (the engine rejects any out-of-range axis or count itself)."""
    return min(max(n, -2 ** 63), 2 ** 63 - 1)


def correction_of(name, correction, unbiased, ddof):
    """The divisor correction from PyTorch's ``correction=``/``unbiased=`` or NumPy's ``ddof=``
    (at most one; default 1, PyTorch's unbiased estimate)."""
    given = [(n, v) for n, v in (("correction", correction), ("unbiased", unbiased), ("ddof", ddof)) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{name}() takes only one of correction=, unbiased= and ddof=; got {', '.join(n for n, _ in given)}")
    if not given:
        return 1.0
    n, v = given[0]
    if n == "unbiased":
        if not isinstance(v, bool):
            raise TypeError(f"{name}(): unbiased must be a bool, got {type(v).__name__}")
        return 1.0 if v else 0.0
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}(): {n} must be a number, got {type(v).__name__}")
    return float(v)


def order_of(name, p):
    """A norm order as a float: numbers, ``inf``/``-inf``, or ``'fro'`` (2)."""
    if isinstance(p, str):
        if p == "fro":
            return 2.0
        raise ValueError(f"{name}(): only vector norms are offered: order {p!r} is not supported")
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name}(): the order must be a number, inf or 'fro', got {type(p).__name__}")
    return float(p)


def _tensor_call(cfn, *args):
    from .tensor import call
    return call(cfn, *args)


def _pair(cfn, kind, *args):
    out = (c_uint64(), c_uint64())
    st = cfn(*args, out[0], out[1])
    if st:
        raise error(st)
    from .tensor import wrap
    return kind(wrap(out[0].value), wrap(out[1].value))


def _axes_reduce(cfn, name, x, dim, axis, keepdim, keepdims, before=(), after=()):
    """``cfn(x, *before, axes, naxes, *after, keep, &out)`` over the axes of ``dim``/``axis``."""
    from .tensor import axes_array
    axes, n = axes_array(pick(name, "dim", dim, "axis", axis))
    keep = bool(pick(name, "keepdim", keepdim, "keepdims", keepdims, False))
    return _tensor_call(cfn, x._h, *before, axes, n, *after, keep)


def prod(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """Product over ``dim`` (None: all; int or tuple). Bool and int give int64; the gradient is
    exact where elements are zero."""
    return _axes_reduce(lib.gs_prod, "prod", x, dim, axis, keepdim, keepdims)


def var(x, dim=None, unbiased=None, keepdim=None, *, correction=None, ddof=None, axis=None, keepdims=None):
    """Variance over ``dim``: Σ(x - mean)² / (N - correction), unbiased (correction 1) unless
    ``correction=``, ``unbiased=False`` or NumPy's ``ddof=`` says otherwise."""
    c = correction_of("var", correction, unbiased, ddof)
    return _axes_reduce(lib.gs_var, "var", x, dim, axis, keepdim, keepdims, after=(c,))


def std(x, dim=None, unbiased=None, keepdim=None, *, correction=None, ddof=None, axis=None, keepdims=None):
    """Standard deviation over ``dim``: the square root of ``var`` with the same arguments."""
    c = correction_of("std", correction, unbiased, ddof)
    return _axes_reduce(lib.gs_std, "std", x, dim, axis, keepdim, keepdims, after=(c,))


def logsumexp(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """log Σ exp(x) over ``dim`` (required, as in PyTorch; int or tuple), without overflow."""
    if dim is None and axis is None:
        raise TypeError("logsumexp() missing required argument 'dim'")
    return _axes_reduce(lib.gs_logsumexp, "logsumexp", x, dim, axis, keepdim, keepdims)


def norm(x, p="fro", dim=None, keepdim=None, *, axis=None, keepdims=None):
    """Vector p-norm over ``dim`` (None: every element, so the default is the Frobenius norm):
    (Σ|x|^p)^(1/p), max|x| for inf, min|x| for -inf, the count of nonzeros for 0."""
    return _axes_reduce(lib.gs_norm, "norm", x, dim, axis, keepdim, keepdims, before=(order_of("norm", p),))


def all(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """Whether every element over ``dim`` is nonzero (bool, no gradient)."""
    return _axes_reduce(lib.gs_all, "all", x, dim, axis, keepdim, keepdims)


def any(x, dim=None, keepdim=None, *, axis=None, keepdims=None):
    """Whether some element over ``dim`` is nonzero (bool, no gradient)."""
    return _axes_reduce(lib.gs_any, "any", x, dim, axis, keepdim, keepdims)


def cumsum(x, dim=None, *, axis=None):
    """Running sum along ``dim`` (required, as in PyTorch). Bool and int give int64."""
    return _tensor_call(lib.gs_cumsum, x._h, one_axis("cumsum", dim, axis))


def cumprod(x, dim=None, *, axis=None):
    """Running product along ``dim`` (required). Bool and int give int64; the gradient is exact
    where elements are zero."""
    return _tensor_call(lib.gs_cumprod, x._h, one_axis("cumprod", dim, axis))


def sort(x, dim=None, descending=False, stable=False, *, axis=None):
    """``(values, indices)`` of ``x`` sorted along ``dim`` (default -1). The sort is always
    stable (so ``stable=`` changes nothing); NaN sorts above every number."""
    return _pair(lib.gs_sort, sort_result, x._h, one_axis("sort", dim, axis, -1), bool(descending))


def argsort(x, dim=None, descending=False, stable=False, *, axis=None):
    """The int64 positions that sort ``x`` along ``dim`` (default -1; always stable)."""
    return _tensor_call(lib.gs_argsort, x._h, one_axis("argsort", dim, axis, -1), bool(descending))


def topk(x, k, dim=None, largest=True, sorted=True, *, axis=None):
    """``(values, indices)`` of the ``k`` largest (or smallest) elements along ``dim`` (default
    -1), always in sorted order."""
    k = _saturated(operator.index(k))
    return _pair(lib.gs_topk, topk_result, x._h, k, one_axis("topk", dim, axis, -1), bool(largest))


def extremum(name, x, axis, keepdims, dim, keepdim):
    """``max``/``min``: with ``dim=``, PyTorch's ``(values, indices)`` with the gradient going to
    the index; with a tensor, the elementwise maximum/minimum; otherwise PyDyNet's reduction
    over ``axis`` (ties share the gradient)."""
    from .tensor import BINARY_CODES, Tensor, binary, reduce
    if isinstance(axis, Tensor):
        op = "maximum" if name == "max" else "minimum"
        return binary(getattr(lib, "gs_" + op), BINARY_CODES[op], x, axis)
    keep = bool(pick(name, "keepdim", keepdim, "keepdims", keepdims, False))
    if dim is None:
        return reduce(getattr(lib, "gs_" + name), x, axis, keep)
    if axis is not None:
        raise TypeError(f"{name}() got both dim= and axis=; pass one")
    kind = max_result if name == "max" else min_result
    return _pair(getattr(lib, f"gs_{name}_dim"), kind, x._h, _saturated(operator.index(dim)), keep)


def vector_norm(x, ord=2, dim=None, keepdim=False):
    """``torch.linalg.vector_norm``: the ``ord``-norm of the elements over ``dim`` (None: all)."""
    return norm(x, ord, dim, keepdim)


def linalg_norm(x, ord=None, dim=None, keepdim=False):
    """``torch.linalg.norm`` where it is a vector norm: ``ord`` None (2-norm of the elements
    over ``dim``, the Frobenius norm for a matrix) or ``'fro'``; a number with a 1-D input or
    an int ``dim``. Matrix norms of other orders are not offered (NotImplementedError)."""
    if ord is None or ord == "fro":
        return norm(x, 2.0, dim, keepdim)
    if isinstance(dim, int) or (dim is None and x.ndim == 1):
        return norm(x, ord, dim, keepdim)
    raise NotImplementedError(f"linalg.norm: matrix norms of order {ord!r} are not offered; "
                              "use linalg.vector_norm for the norm of the elements")


