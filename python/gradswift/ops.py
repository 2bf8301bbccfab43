"""Module-level tensor functions of PyDyNet 1.1 (``pdn.add``, ``pdn.exp``, ``pdn.split`` ...).

Every argument that is not a Tensor is converted with ``Tensor(x)``, except Python scalars in
binary element-wise functions, which follow NumPy 2 promotion (they keep the tensor's float dtype).
"""
import operator
from ctypes import c_uint64

import numpy as np

from . import _reductions
from ._convert import int64_argument, shape_array
from ._lib import error, lib
from .tensor import BINARY_CODES, Tensor, as_tensor, axes_array, binary, call, dims, pick_dim, weak_scalar, wrap

__all__ = ["add", "sub", "mul", "div", "pow", "matmul", "abs", "sum", "mean", "min", "max",
           "argmax", "argmin", "maximum", "minimum", "exp", "log", "sign", "reshape", "transpose",
           "swapaxes", "concat", "sigmoid", "tanh", "sqrt", "square", "vsplit", "hsplit",
           "dsplit", "split", "unsqueeze", "squeeze", "sin", "cos",
           "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
           "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "hypot",
           "log1p", "expm1", "log2", "log10", "exp2", "rsqrt", "reciprocal", "erf",
           "floor", "ceil", "trunc", "fix", "round", "clamp", "clip", "where", "lerp",
           "stack", "flatten", "unflatten", "permute", "broadcast_to", "movedim", "moveaxis", "tile",
           "repeat", "repeat_interleave", "flip", "roll", "chunk", "tril", "triu",
           "gather", "scatter", "scatter_add", "index_select", "masked_fill", "take_along_dim",
           "take_along_axis", "nonzero", "argwhere",
           "einsum", "tensordot", "outer", "ger", "dot", "bmm", "diag", "diagonal", "trace",
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
        x = as_tensor(x)  # kept alive through the call: a temporary's handle would be released first
        return call(cfn, x._h)

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
exp = _unary_function("exp", "Element-wise exponential (int and bool give NumPy's float type).")
log = _unary_function("log", "Element-wise natural logarithm (int and bool give NumPy's float type).")
sign = _unary_function("sign", "Element-wise sign (-1, 0 or 1); its gradient is zero.")
sigmoid = _unary_function("sigmoid", "Element-wise logistic ``1 / (1 + exp(-x))``, stable for large ``|x|``.")
tanh = _unary_function("tanh", "Element-wise hyperbolic tangent.")
sqrt = _unary_function("sqrt", "Element-wise square root.")
square = _unary_function("square", "Element-wise square.")
sin = _unary_function("sin", "Element-wise sine (int and bool give NumPy's float type).")
cos = _unary_function("cos", "Element-wise cosine (int and bool give NumPy's float type).")
tan = _unary_function("tan", "Element-wise tangent (int and bool give NumPy's float type).")
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
reciprocal = _unary_function("reciprocal", "Element-wise 1 / x (int and bool give NumPy's float type).")
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


def stack(tensors, dim=None, *, axis=None):
    """Tensors of one shape joined along a new axis ``dim`` (default 0) of the result."""
    tensors = [as_tensor(t) for t in tensors]
    handles = (c_uint64 * (len(tensors) or 1))(*[t._h for t in tensors])
    return call(lib.gs_stack, handles, len(tensors), int64_argument("dim", pick_dim(dim, axis, 0)))


def flatten(input, start_dim=0, end_dim=-1):
    """Axes ``start_dim..end_dim`` (inclusive) of ``input`` merged into one."""
    return as_tensor(input).flatten(start_dim, end_dim)


def unflatten(input, dim, sizes):
    """Axis ``dim`` of ``input`` split into axes of ``sizes`` (one may be -1)."""
    return as_tensor(input).unflatten(dim, sizes)


def permute(input, dims):
    """The axes of ``input`` in the order ``dims``."""
    return as_tensor(input).permute(dims)


def broadcast_to(input, shape):
    """``input`` broadcast to ``shape`` with NumPy's rules, as a new tensor."""
    return as_tensor(input).broadcast_to(shape)


def movedim(input, source, destination):
    """Axes ``source`` of ``input`` moved to positions ``destination``, the others in order."""
    return as_tensor(input).movedim(source, destination)


moveaxis = movedim


def tile(input, dims):
    """``input`` repeated ``dims[i]`` times along each axis (NumPy's and PyTorch's ``tile``)."""
    return as_tensor(input).tile(dims)


def repeat_interleave(input, repeats, dim=None, *, output_size=None, axis=None):
    """Each entry of ``input`` along ``dim`` (None: flattened) repeated ``repeats`` times in a
    row (see ``Tensor.repeat_interleave``)."""
    return as_tensor(input).repeat_interleave(repeats, dim, output_size=output_size, axis=axis)


def repeat(a, repeats, axis=None):
    """NumPy's ``repeat``: ``repeat_interleave`` (PyTorch has no ``torch.repeat``; the Tensor
    method ``repeat`` is PyTorch's, which tiles)."""
    return as_tensor(a).repeat_interleave(repeats, axis)


def flip(input, dims=None, *, axis=None):
    """``input`` reversed along ``dims`` (NumPy's ``axis=None``: along every axis)."""
    input = as_tensor(input)
    dims = pick_dim(dims, axis, None)
    return input.flip(tuple(range(input.ndim)) if dims is None else dims)


def roll(input, shifts, dims=None, *, axis=None):
    """``input`` rolled by ``shifts`` along ``dims`` (None: the flattened tensor, reshaped back)."""
    return as_tensor(input).roll(shifts, pick_dim(dims, axis, None))


def chunk(input, chunks, dim=0):
    """A list of pieces of ``input`` along ``dim`` (see ``Tensor.chunk``)."""
    return as_tensor(input).chunk(chunks, dim)


def tril(input, diagonal=0, *, k=None):
    """``input`` with the entries above diagonal ``diagonal`` (NumPy: ``k``) of its last two
    axes set to zero."""
    return as_tensor(input).tril(diagonal if k is None else k)


def triu(input, diagonal=0, *, k=None):
    """``input`` with the entries below diagonal ``diagonal`` (NumPy: ``k``) of its last two
    axes set to zero."""
    return as_tensor(input).triu(diagonal if k is None else k)


# ---- indexing along a dimension (PyTorch's names; dim= or NumPy's axis=) ---------------------

def gather(input, dim=None, index=None, *, axis=None):
    """``out[p] = input[p with p[dim] = index[p]]`` over the positions of the int64 ``index``
    (``torch.gather``): index has input's rank and is no larger outside ``dim``."""
    return as_tensor(input).gather(pick_dim(dim, axis, None), index)


def scatter(input, dim=None, index=None, src=None, value=None, *, reduce=None, axis=None):
    """``input`` with ``src`` (a tensor or number, or ``value``) written at the positions ``index``
    names along ``dim`` (``torch.scatter``); ``reduce='add'`` or ``'multiply'`` combines."""
    return as_tensor(input).scatter(pick_dim(dim, axis, None), index, src, value, reduce=reduce)


def scatter_add(input, dim=None, index=None, src=None, *, axis=None):
    """``input`` plus ``src`` added at the positions ``index`` names along ``dim``
    (``torch.scatter_add``; repeated positions accumulate)."""
    return as_tensor(input).scatter_add(pick_dim(dim, axis, None), index, src)


def index_select(input, dim=None, index=None, *, axis=None):
    """The slices of ``input`` along ``dim`` at the 1-D int64 ``index`` (``torch.index_select``)."""
    return as_tensor(input).index_select(pick_dim(dim, axis, None), index)


def masked_fill(input, mask, value):
    """``input`` with ``value`` where the bool ``mask`` is true (``torch.masked_fill``)."""
    return as_tensor(input).masked_fill(mask, value)


def take_along_dim(input, indices, dim=None, *, axis=None):
    """Elements of ``input`` picked along ``dim`` by ``indices`` (flattened when ``dim`` is None;
    ``torch.take_along_dim``)."""
    return as_tensor(input).take_along_dim(indices, pick_dim(dim, axis, None))


def take_along_axis(arr, indices, axis=-1):
    """NumPy's name for ``take_along_dim`` (``axis=None`` flattens)."""
    return as_tensor(arr).take_along_dim(indices, axis)


def nonzero(input, *, as_tuple=False):
    """Coordinates of the nonzero elements: (n, ndim) int64, or a tuple of 1-D tensors with
    ``as_tuple`` (``torch.nonzero``; NumPy's ``nonzero`` is the tuple form)."""
    return as_tensor(input).nonzero(as_tuple=as_tuple)


def argwhere(a):
    """NumPy's name for ``nonzero(a)``: the (n, ndim) coordinates of the nonzero elements."""
    return as_tensor(a).nonzero()


# ---- linear algebra (PyTorch's names) -------------------------------------------------------

_SUBSCRIPT_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _sublist_equation(sublist):
    """The equation text of one einsum sublist: ints 0-51 for subscripts, ``...`` as Ellipsis."""
    parts = []
    for item in sublist:
        if item is Ellipsis:
            parts.append("...")
            continue
        index = operator.index(item)
        if not 0 <= index < 52:
            raise ValueError(f"einsum(): subscript in subscript list is not within the valid range [0, 52), got {index}")
        parts.append(_SUBSCRIPT_LETTERS[index])
    return "".join(parts)


def einsum(equation, *operands):
    """Einstein summation (``torch.einsum``): ``einsum("ij,jk->ik", a, b)``; operands may also
    come as one list, or in the sublist form ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Repeated
    letters take diagonals, ``...`` broadcasts; contracted pairwise through matrix products."""
    if not isinstance(equation, str):
        if isinstance(equation, (list, tuple)) and not operands:
            raise TypeError("einsum(): equation must be a str")
        if not isinstance(equation, (Tensor, np.ndarray)):
            raise TypeError(f"einsum(): equation must be a str, got {type(equation).__name__}")
        items = (equation, *operands)
        pairs, output = items[:len(items) // 2 * 2], items[len(items) // 2 * 2:]
        operands = pairs[0::2]
        equation = ",".join(_sublist_equation(s) for s in pairs[1::2])
        if output:
            equation += "->" + _sublist_equation(output[0])
    elif len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    tensors = [as_tensor(t) for t in operands]
    handles = (c_uint64 * (len(tensors) or 1))(*[t._h for t in tensors])
    return call(lib.gs_einsum, equation.encode("ascii", "replace"), handles, len(tensors))


def _tensordot_dims(dims, ndim_a, ndim_b):
    """``(dims of a, dims of b)`` of tensordot's ``dims``: an int n (the last n of a with the first
    n of b) or a pair of ints or of sequences."""
    try:
        n = operator.index(dims)
    except TypeError:
        pass
    else:
        if n < 0:
            raise ValueError(f"tensordot expects dims >= 0, but got dims={n}")
        if n > ndim_a or n > ndim_b:
            raise ValueError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={n}")
        return list(range(ndim_a - n, ndim_a)), list(range(n))
    if isinstance(dims, Tensor):
        dims = dims.numpy().tolist()
    if len(dims) != 2:
        raise ValueError("tensordot expects dims to be an int or a pair of dimension lists")
    pair = []
    for d in dims:
        try:
            pair.append([operator.index(d)])
        except TypeError:
            pair.append([operator.index(i) for i in d])
    return pair


def tensordot(a, b, dims=2, *, axes=None):
    """Sum of products over ``dims`` (an int n: the last n dims of ``a`` with the first n of ``b``;
    or a pair of dimension lists), as ``torch.tensordot`` (NumPy's ``axes=`` also accepted)."""
    a, b = as_tensor(a), as_tensor(b)
    da, db = _tensordot_dims(dims if axes is None else axes, a.ndim, b.ndim)
    return call(lib.gs_tensordot, a._h, b._h, shape_array(da), len(da), shape_array(db), len(db))


def outer(input, vec2):
    """The outer product of two 1-D tensors (``torch.outer``, ``np.outer`` for 1-D)."""
    return as_tensor(input).outer(vec2)


ger = outer


def dot(input, other):
    """The inner product of two 1-D tensors of one dtype (``torch.dot``; unlike ``np.dot``, 1-D only)."""
    return as_tensor(input).dot(other)


def bmm(input, mat2):
    """Batched matrix product of 3-D tensors (``torch.bmm``)."""
    return as_tensor(input).bmm(mat2)


def diag(input, diagonal=0):
    """A vector on a diagonal of a square zero matrix, or a matrix's diagonal (``torch.diag``)."""
    return as_tensor(input).diag(diagonal)


def diagonal(input, offset=0, dim1=None, dim2=None, *, axis1=None, axis2=None):
    """The diagonal over ``dim1``/``dim2`` (NumPy: ``axis1``/``axis2``) shifted by ``offset``, as a
    last dimension (``torch.diagonal``)."""
    return as_tensor(input).diagonal(offset, pick_dim(dim1, axis1, 0), pick_dim(dim2, axis2, 1))


def trace(input):
    """The sum of a matrix's main diagonal (``torch.trace``)."""
    return as_tensor(input).trace()
