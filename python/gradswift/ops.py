"""Module-level tensor functions of PyDyNet 1.1 (``pdn.add``, ``pdn.exp``, ``pdn.split`` ...).

Every argument that is not a Tensor is converted with ``Tensor(x)``, except Python scalars in
binary element-wise functions, which follow NumPy 2 promotion (they keep the tensor's float dtype).
"""
import operator
from ctypes import c_uint64

from . import _reductions
from ._convert import shape_array
from ._lib import error, lib
from .tensor import BINARY_CODES, Tensor, as_tensor, axes_array, binary, call, dims, weak_scalar, wrap

__all__ = ["add", "sub", "mul", "div", "pow", "matmul", "abs", "sum", "mean", "min", "max",
           "argmax", "argmin", "maximum", "minimum", "exp", "log", "sign", "reshape", "transpose",
           "swapaxes", "concat", "sigmoid", "tanh", "sqrt", "square", "vsplit", "hsplit",
           "dsplit", "split", "unsqueeze", "squeeze", "sin", "cos",
           "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
           "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "hypot",
           "log1p", "expm1", "log2", "log10", "exp2", "rsqrt", "reciprocal", "erf",
           "floor", "ceil", "trunc", "fix", "round", "clamp", "clip", "where", "lerp",
           "prod", "var", "std", "logsumexp", "norm", "all", "any", "cumsum", "cumprod", "sort", "argsort", "topk"]


def _binary_function(name, doc):
    """The module-level function of the elementwise binary op ``name`` (``gs_<name>``)."""
    cfn, code = getattr(lib, "gs_" + name), BINARY_CODES[name]

    def function(x, y):
        return binary(cfn, code, x, y)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


def _unary_function(name, doc):
    """The module-level function of the elementwise op ``name`` of one tensor (``gs_<name>``)."""
    cfn = getattr(lib, "gs_" + name)

    def function(x):
        return call(cfn, as_tensor(x)._h)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


add = _binary_function("add", "Element-wise ``x + y`` with broadcasting.")
sub = _binary_function("sub", "Element-wise ``x - y`` with broadcasting.")
mul = _binary_function("mul", "Element-wise ``x * y`` with broadcasting.")
div = _binary_function("div", "Element-wise true division ``x / y`` (int and bool operands give float64).")
pow = _binary_function("pow", "Element-wise power ``x ** y``.")
maximum = _binary_function("maximum", "Element-wise maximum with broadcasting.")
minimum = _binary_function("minimum", "Element-wise minimum with broadcasting.")
abs = _unary_function("abs", "Element-wise absolute value.")
exp = _unary_function("exp", "Element-wise exponential (int and bool give float64).")
log = _unary_function("log", "Element-wise natural logarithm (int and bool give float64).")
sign = _unary_function("sign", "Element-wise sign (-1, 0 or 1); its gradient is zero.")
sigmoid = _unary_function("sigmoid", "Element-wise logistic ``1 / (1 + exp(-x))``, stable for large ``|x|``.")
tanh = _unary_function("tanh", "Element-wise hyperbolic tangent.")
sqrt = _unary_function("sqrt", "Element-wise square root.")
square = _unary_function("square", "Element-wise square.")
sin = _unary_function("sin", "Element-wise sine (int and bool give float64).")
cos = _unary_function("cos", "Element-wise cosine (int and bool give float64).")
tan = _unary_function("tan", "Element-wise tangent (int and bool give float64).")
asin = arcsin = _unary_function("asin", "Element-wise inverse sine (NaN outside [-1, 1]).")
acos = arccos = _unary_function("acos", "Element-wise inverse cosine (NaN outside [-1, 1]).")
atan = arctan = _unary_function("atan", "Element-wise inverse tangent.")
sinh = _unary_function("sinh", "Element-wise hyperbolic sine.")
cosh = _unary_function("cosh", "Element-wise hyperbolic cosine.")
asinh = arcsinh = _unary_function("asinh", "Element-wise inverse hyperbolic sine.")
acosh = arccosh = _unary_function("acosh", "Element-wise inverse hyperbolic cosine (NaN below 1).")
atanh = arctanh = _unary_function("atanh", "Element-wise inverse hyperbolic tangent (NaN outside [-1, 1]).")
log1p = _unary_function("log1p", "Element-wise ln(1 + x), accurate for small x.")
expm1 = _unary_function("expm1", "Element-wise e^x - 1, accurate for small x.")
log2 = _unary_function("log2", "Element-wise base-2 logarithm.")
log10 = _unary_function("log10", "Element-wise base-10 logarithm.")
exp2 = _unary_function("exp2", "Element-wise 2^x.")
rsqrt = _unary_function("rsqrt", "Element-wise 1 / sqrt(x).")
reciprocal = _unary_function("reciprocal", "Element-wise 1 / x (int and bool give float64, as PyTorch).")
erf = _unary_function("erf", "Element-wise error function.")
floor = _unary_function("floor", "Element-wise largest integer <= x, in x's dtype (zero gradient).")
ceil = _unary_function("ceil", "Element-wise smallest integer >= x, in x's dtype (zero gradient).")
trunc = fix = _unary_function("trunc", "Element-wise rounding toward zero, in x's dtype (zero gradient).")


def atan2(input, other):
    """The angle of the point (other, input), in [-pi, pi], elementwise with broadcasting."""
    return as_tensor(input).atan2(other)


arctan2 = atan2


def hypot(input, other):
    """sqrt(input^2 + other^2) without overflow, elementwise with broadcasting."""
    return as_tensor(input).hypot(other)


def round(input, decimals=0):
    """``input`` rounded to ``decimals`` places, halves to even (see ``Tensor.round``)."""
    return as_tensor(input).round(decimals)


def clamp(input, min=None, max=None):
    """``input`` limited to [min, max] (see ``Tensor.clamp``)."""
    return as_tensor(input).clamp(min, max)


def clip(a, a_min=None, a_max=None):
    """NumPy's name for ``clamp``: ``a`` limited to [a_min, a_max]."""
    return as_tensor(a).clamp(a_min, a_max)


def where(condition, input, other):
    """``input`` where the bool tensor ``condition`` is true, ``other`` elsewhere, the three
    broadcast together; Python numbers take the other operand's dtype (as in ``x + 0.5``). The
    gradient goes to the operand chosen at each element."""
    condition = as_tensor(condition)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input, other = as_tensor(input), as_tensor(other)
    elif not isinstance(input, Tensor):
        input = weak_scalar(input, other)
    else:
        other = weak_scalar(other, input)
    return call(lib.gs_where, condition._h, input._h, other._h)


def lerp(input, end, weight):
    """``input + weight * (end - input)``, with broadcasting (``weight`` a number or a tensor)."""
    return as_tensor(input).lerp(end, weight)


def matmul(x, y):
    """Matrix product with NumPy's ``matmul`` rules (1-D operands, broadcast batch dims)."""
    x, y = as_tensor(x), as_tensor(y)
    return call(lib.gs_matmul, x._h, y._h)


def sum(x, axis=None, keepdims=None, *, dim=None, keepdim=None):
    """Sum over ``axis`` (None: all axes; int or tuple; also ``dim=``/``keepdim=``)."""
    return as_tensor(x).sum(axis, keepdims, dim=dim, keepdim=keepdim)


def mean(x, axis=None, keepdims=None, *, dim=None, keepdim=None):
    """Mean over ``axis`` (None: all axes; int or tuple; also ``dim=``/``keepdim=``)."""
    return as_tensor(x).mean(axis, keepdims, dim=dim, keepdim=keepdim)


def max(x, axis=None, keepdims=None, *, dim=None, keepdim=None):
    """Maximum over ``axis`` (None: all axes; int or tuple); with ``dim=``, PyTorch's
    ``(values, indices)``; with a tensor second argument, the elementwise maximum."""
    return as_tensor(x).max(axis, keepdims, dim=dim, keepdim=keepdim)


def min(x, axis=None, keepdims=None, *, dim=None, keepdim=None):
    """Minimum over ``axis``; ``dim=`` and a tensor argument as in ``max``."""
    return as_tensor(x).min(axis, keepdims, dim=dim, keepdim=keepdim)


def argmax(x, axis=None, keepdims=None, *, dim=None, keepdim=None):
    """Index of the maximum (int64), over the flattened tensor or along one axis."""
    return as_tensor(x).argmax(axis, keepdims, dim=dim, keepdim=keepdim)


def argmin(x, axis=None, keepdims=None, *, dim=None, keepdim=None):
    """Index of the minimum (int64), over the flattened tensor or along one axis."""
    return as_tensor(x).argmin(axis, keepdims, dim=dim, keepdim=keepdim)


def _tensor_first(method):
    """The module function of the Tensor method ``method``: ``f(x, ...)`` is ``x.f(...)``."""
    def function(x, *args, **kwargs):
        return method(as_tensor(x), *args, **kwargs)

    function.__name__ = function.__qualname__ = method.__name__
    function.__doc__ = method.__doc__
    return function


prod, var, std, logsumexp, norm, cumsum, cumprod, sort, argsort, topk = (
    _tensor_first(getattr(_reductions, name))
    for name in ("prod", "var", "std", "logsumexp", "norm", "cumsum", "cumprod", "sort", "argsort", "topk"))
all = _tensor_first(_reductions.all)
any = _tensor_first(_reductions.any)


def reshape(x, new_shape):
    """``x`` with a new shape (an int or a tuple; one dimension may be -1)."""
    return as_tensor(x).reshape(new_shape)


def transpose(x, axes=None):
    """Permute the axes of ``x`` (reverse them when ``axes`` is None)."""
    x = as_tensor(x)
    return x.transpose() if axes is None else x.transpose(axes)


def swapaxes(x, axis1, axis2):
    """Exchange two axes of ``x``."""
    return as_tensor(x).swapaxes(axis1, axis2)


def concat(tensors, axis=0):
    """Join a sequence of tensors along an existing axis."""
    tensors = [as_tensor(t) for t in tensors]
    handles = (c_uint64 * (len(tensors) or 1))(*[t._h for t in tensors])
    return call(lib.gs_concat, handles, len(tensors), operator.index(axis))


def _split_point(index, n):
    """A split index normalized like a slice bound on an axis of length ``n``."""
    index = operator.index(index)
    if index < 0:
        index += n
    return 0 if index < 0 else n if index > n else index


def split(x, indices_or_sections, axis=0):
    """Split ``x`` along ``axis`` into a list of tensors, like ``numpy.split``.

    An int gives that many equal parts (ValueError if the axis length is not divisible); a
    sequence gives the split indices, which must be non-decreasing once normalized.
    """
    x = as_tensor(x)
    shape = x.shape
    ax = operator.index(axis)
    if not -len(shape) <= ax < len(shape):
        raise ValueError(f"axis {axis} is out of bounds for a tensor of dimension {len(shape)}")
    n = shape[ax]
    try:
        sections = operator.index(indices_or_sections)
    except TypeError:
        points = [_split_point(i, n) for i in indices_or_sections]
    else:
        if sections <= 0:
            raise ValueError("number of sections must be larger than 0")
        if n % sections:
            raise ValueError(f"array split does not result in an equal division "
                             f"({n} into {sections} sections)")
        points = [i * (n // sections) for i in range(1, sections)]
    outs = (c_uint64 * (len(points) + 1))()
    st = lib.gs_split(x._h, shape_array(points), len(points), ax, outs)
    if st:
        raise error(st)
    return [wrap(h) for h in outs]


def vsplit(x, indices_or_sections):
    """``split`` along axis 0."""
    return split(x, indices_or_sections, 0)


def hsplit(x, indices_or_sections):
    """``split`` along axis 1, or axis 0 of a 1-D tensor (as ``numpy.hsplit``; PyDyNet's fails on 1-D)."""
    x = as_tensor(x)
    return split(x, indices_or_sections, 0 if x.ndim == 1 else 1)


def dsplit(x, indices_or_sections):
    """``split`` along axis 2."""
    return split(x, indices_or_sections, 2)


def unsqueeze(x, axis):
    """Insert size-1 axes at the positions ``axis`` (int or tuple) of the result."""
    x = as_tensor(x)
    d = dims((axis,))
    return call(lib.gs_unsqueeze, x._h, shape_array(d), len(d))


def squeeze(x, axis=None):
    """Remove size-1 axes: all of them, or those in ``axis`` (ValueError if not size 1)."""
    x = as_tensor(x)
    axes, n = axes_array(axis)
    return call(lib.gs_squeeze, x._h, axes, n)
