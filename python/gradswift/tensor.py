"""The Tensor class: an engine tensor behind a handle, with PyDyNet 1.1's API.

Differences from PyDyNet, on purpose:

* Only leaves keep ``.grad`` (as in PyTorch); ``.grad`` of an intermediate result is None.
* A Python scalar operand follows NumPy 2 promotion (``int_tensor * 0.5`` is float64) instead of
  being cast to the tensor's dtype.
* Tensors are float16, float32, float64, int8, uint8, int16, int32, int64 or bool (uint16
  becomes int32, uint32 and uint64 int64, wider floats float64). float16 and the narrow
  integers are stored as such and computed in float32 or int64, rounded or wrapped back, so
  results match NumPy's.
"""
import builtins
import math
import operator
from ctypes import c_bool, c_int32, c_int64, c_uint64

import numpy as np

from ._abi import ENUMS, GS_BINARY_OP_MUL, GS_SCALAR_KIND_BOOL, GS_SCALAR_KIND_FLOAT, GS_SCALAR_KIND_INT
from ._convert import (DTYPES, as_engine_array, describe, dtype_code, int64_argument, new_handle, shape_array,
                       view)
from ._index import encode_key
from . import _reductions
from ._lib import bare, error, lib
from ._modes import is_grad_enable
from ._release import BATCH, pending, release_pending
from .cuda import CPU, Device

__all__ = ["Tensor"]

_new = object.__new__
_KINDS = {float: GS_SCALAR_KIND_FLOAT, int: GS_SCALAR_KIND_INT, bool: GS_SCALAR_KIND_BOOL}  # of Python scalars
_ALL_AXES = (c_int64 * 1)()  # pointer passed with a count of -1 ("every axis" / "reverse")

_EXACT_INT = 1 << 53  # Python ints up to this magnitude pass exactly through a C double
# The gs_binary_op code of each binary op, by name, and the tensor-tensor function of each code.
BINARY_CODES = ENUMS["gs_binary_op"]
_BINARY = {code: getattr(lib, "gs_" + name) for name, code in BINARY_CODES.items()}

_binary_scalar = lib.gs_binary_scalar
_inplace = lib.gs_inplace
_inplace_scalar = lib.gs_inplace_scalar
_release = lib.gs_tensor_release


def wrap(handle):
    """A Tensor owning ``handle`` (a new handle returned by the engine)."""
    t = _new(Tensor)
    t._h = handle
    return t


def call(cfn, *args):
    """Call ``cfn(*args, &out)`` and wrap the resulting handle."""
    out = c_uint64()
    st = cfn(*args, out)
    if st:
        raise error(st)
    t = _new(Tensor)
    t._h = out.value
    return t


def as_tensor(x):
    """``x`` itself when it is a Tensor, else a new Tensor built from it."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _flag(cfn, handle):
    """Read a boolean property of a tensor through ``cfn(handle, &out)``."""
    out = c_bool()
    st = cfn(handle, out)
    if st:
        raise error(st)
    return out.value


def exact_int(t, value):
    """A 0-d int64 Tensor for a Python int that a C double cannot hold exactly, when it meets
    the int or bool tensor ``t`` (None when the double path is exact or ``t`` is float).
    Ints beyond the range of ``t``'s type (int64 for bool) raise OverflowError, as in NumPy 2."""
    if -_EXACT_INT <= value <= _EXACT_INT or t.dtype.kind == "f":
        return None
    kept = np.int64 if t.dtype.kind == "b" else t.dtype  # the scalar takes the int tensor's type
    info = np.iinfo(kept)
    if not info.min <= value <= info.max:
        raise OverflowError(f"Python integer {value} out of bounds for {np.dtype(kept).name}")
    return Tensor(np.int64(value))


def scalar_op(code, t, scalar, kind, scalar_first):
    """``t <op> scalar`` (or ``scalar <op> t``) with a Python scalar of the given kind."""
    if kind == _KINDS[int]:
        exact = exact_int(t, scalar)
        if exact is not None:
            a, b = (exact, t) if scalar_first else (t, exact)
            return call(_BINARY[code], a._h, b._h)
    out = c_uint64()
    st = _binary_scalar(code, t._h, scalar, kind, scalar_first, out)
    if st:
        raise error(st)
    r = _new(Tensor)
    r._h = out.value
    return r


def binary(cfn, code, a, b):
    """``a <op> b`` for any operands; Python scalars take the engine's scalar path."""
    ka = _KINDS.get(type(a))
    kb = _KINDS.get(type(b))
    if ka is None:
        a = as_tensor(a)
        if kb is not None:
            return scalar_op(code, a, b, kb, False)
        b = as_tensor(b)
    elif kb is None:
        return scalar_op(code, as_tensor(b), a, ka, True)
    else:  # two Python scalars
        a, b = Tensor(a), Tensor(b)
    return call(cfn, a._h, b._h)


def weak_scalar(value, t):
    """A 0-d Tensor for the Python scalar ``value`` meeting the tensor ``t``, in the dtype NumPy
    2's weak promotion gives it: ``t``'s own, unless a float meets an int or bool tensor
    (float64) or an int meets a bool tensor (int64)."""
    if isinstance(value, Tensor):
        return value
    kind = t.dtype.kind
    if isinstance(value, float) and kind != "f":
        return Tensor(np.float64(value))
    if isinstance(value, int) and not isinstance(value, bool) and kind == "b":
        return Tensor(np.int64(value))
    if type(value) in _KINDS:
        return Tensor(np.asarray(value, dtype=t.dtype))
    return as_tensor(value)


def axes_array(axis):
    """``(int64 array, count)`` for an axis argument: None (count -1), an int or a sequence."""
    if axis is None:
        return _ALL_AXES, -1
    if isinstance(axis, (tuple, list)):
        return shape_array([operator.index(a) for a in axis]), len(axis)
    return shape_array((operator.index(axis),)), 1


def dims(args):
    """Normalize ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])`` arguments to a list of ints."""
    if len(args) == 1:
        try:
            return [operator.index(args[0])]
        except TypeError:
            args = args[0]
    return [operator.index(a) for a in args]


def dims_of(args):
    """``dims`` for arguments given as ints or one sequence, where an empty call means no
    dims (``t.flip()``, ``t.permute()``)."""
    return dims(args) if args else []


def pick_dim(dim, axis, default):
    """The one of PyTorch's ``dim=`` and NumPy's ``axis=`` that was given (both: TypeError)."""
    if dim is not None and axis is not None:
        raise TypeError("give dim or axis, not both")
    return axis if dim is None and axis is not None else (default if dim is None else dim)


def reduce(cfn, x, axis, keepdims):
    """Apply the reduction ``cfn`` over ``axis`` (None, int or tuple)."""
    axes, n = axes_array(axis)
    return call(cfn, x._h, axes, n, bool(keepdims))


def _reduce_either(cfn, name, x, axis, keepdims, dim, keepdim):
    """``reduce`` with the axis and keep flag given in NumPy's or PyTorch's spelling."""
    return reduce(cfn, x, _reductions.pick(name, "dim", dim, "axis", axis),
                  _reductions.pick(name, "keepdim", keepdim, "keepdims", keepdims, False))


def _rebuild(cls, data, requires_grad, state):
    """Unpickle/copy helper: a new leaf of type ``cls`` holding ``data``."""
    t = _new(cls)
    arr, code = as_engine_array(data)
    t._h = new_handle(arr, code, requires_grad)
    t.__dict__.update(state)
    return t


_OutHandle = c_uint64 * 1  # an out-parameter passed without argtypes (an array passes as its address)


def _reduce_all(cfn, x):
    """``x`` reduced by ``cfn`` (a ``bare`` ``gs_sum``-like function) over every axis, without
    keeping them: ``x.sum()``'s one C call, without the axis and keep arguments' conversions.
    The handle is passed as a ``c_uint64`` (``_c`` when an operator made one) and not kept: a
    reduced tensor is usually fresh (a loss), and a helper call and the attribute store cost
    more than the conversion saves (docs/performance.md, "The small graph")."""
    out = _OutHandle()
    st = cfn(c_uint64(x._h) if x._c is None else x._c, _ALL_AXES, -1, False, out)
    if st:
        raise error(st)
    t = _new(Tensor)
    t._h = out[0]
    return t


_sum_all, _mean_all = bare("gs_sum"), bare("gs_mean")
_backward = bare("gs_backward")


def _binary_methods(name, symbol):
    """The forward and reflected operator methods of the binary op ``name`` (``gs_<name>``)."""
    cfn, code = getattr(lib, "gs_" + name), BINARY_CODES[name]
    # The same C function without argtypes for the tensor-tensor path (each tensor's handle
    # kept as a c_uint64 in ``_c``, made on first use: a Tensor's handle never changes):
    # argtypes' conversions are most of a 1-element op's time.
    bare_cfn = bare("gs_" + name)

    def forward(self, other):
        if isinstance(other, Tensor):
            a = self._c
            if a is None:
                a = self._c = c_uint64(self._h)
            b = other._c
            if b is None:
                b = other._c = c_uint64(other._h)
            out = _OutHandle()
            st = bare_cfn(a, b, out)
            if st:
                raise error(st)
            t = _new(Tensor)
            t._h = out[0]
            return t
        return binary(cfn, code, self, other)

    def reflected(self, other):
        return binary(cfn, code, other, self)

    forward.__doc__ = f"``self {symbol} other``."
    reflected.__doc__ = f"``other {symbol} self``."
    return forward, reflected


def _inplace_method(name, symbol):
    """The in-place operator method ``self <op>= other`` (the target keeps its dtype)."""
    code = BINARY_CODES[name]

    def method(self, other):
        kind = _KINDS.get(type(other))
        if kind == _KINDS[int]:
            exact = exact_int(self, other)
            if exact is not None:
                other, kind = exact, None
        if kind is None:
            other = as_tensor(other)
            st = _inplace(code, self._h, other._h)
        else:
            st = _inplace_scalar(code, self._h, other, kind)
        if st:
            raise error(st)
        return self

    method.__doc__ = f"``self {symbol}= other`` in place (forbidden on a tensor requiring grad " \
                     "while grad mode is on)."
    return method


def _unary_method(cfn, doc):
    """A method applying the unary engine function ``cfn``."""

    def method(self):
        return call(cfn, self._h)

    method.__doc__ = doc
    return method



_SCATTER_REDUCE = {None: ENUMS["gs_scatter_reduce"]["none"], "add": ENUMS["gs_scatter_reduce"]["add"],
                   "multiply": ENUMS["gs_scatter_reduce"]["multiply"]}


def _scatter_reduce_code(reduce):
    """The gs_scatter_reduce code of scatter's ``reduce`` argument."""
    try:
        return _SCATTER_REDUCE[reduce]
    except (KeyError, TypeError):
        raise ValueError(f"reduce argument must be either add or multiply, got {reduce!r}") from None


def _conversion(dtype):
    """A Tensor method returning a copy converted to ``dtype`` (``half``, ``byte``, ...)."""
    def convert(self):
        return self.astype(dtype)
    convert.__doc__ = f"A {np.dtype(dtype).name} copy."
    return convert


class Tensor:
    """A multi-dimensional array stored in the gradswift engine, with automatic differentiation.

    ``Tensor(data, dtype=None, copy=True, device=None, requires_grad=False)``: ``data`` is
    anything ``np.asarray`` accepts (not a Tensor: that raises ValueError). The engine stores
    float16, float32, float64, int8, uint8, int16, int32, int64 and bool (uint16 becomes int32,
    uint32 and uint64 int64).
    The engine always keeps its own copy, so ``copy`` has no effect. ``device`` must be the CPU.
    ``requires_grad`` is honoured only in grad mode, and only float tensors may require grad
    (TypeError otherwise).

    ``data`` and ``grad`` are writable NumPy views of the engine's memory: ``x.data -= lr * x.grad``
    updates the tensor in place. Only leaves keep a gradient (intermediate results have
    ``grad`` None, as in PyTorch).
    """

    __array_ufunc__ = None  # NumPy defers to our reflected operators: array + tensor -> Tensor
    device = CPU
    xp = np
    _h = 0          # engine handle (0: none)
    _c = None       # the handle as a c_uint64, made when a fast path first needs it
    _meta = None    # (shape, dtype code), read lazily
    _data = None    # cached view of the data
    _grad = None    # cached view of the gradient

    def __init__(self, data, dtype=None, copy=True, device=None, requires_grad=False):
        if isinstance(data, Tensor):
            raise ValueError("Tensor assignment with another tensor is forbidden; "
                             "use Tensor(t.numpy()) to copy one")
        Device(device)
        arr, code = as_engine_array(data, dtype)
        self._h = new_handle(arr, code, bool(requires_grad) and is_grad_enable())

    def __del__(self, _queue=pending.append, _pending=pending, _batch=BATCH, _flush=release_pending,
                _release=_release):
        h = self._h
        if not h:
            return
        try:  # never raise from a finalizer (e.g. at interpreter shutdown)
            if h >> 63:  # a large storage (_release.py): freed at once
                _release(h)
                return
            _queue(h)  # released with others, in one call
            if len(_pending) >= _batch:
                _flush()
        except Exception:
            pass

    def __reduce__(self):
        """Pickling and ``copy.copy``/``copy.deepcopy`` give an independent leaf with a copy of the data."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("_h", "_c", "_meta", "_data", "_grad")}
        return _rebuild, (type(self), self.numpy(), self.requires_grad, state)

    # ---- metadata -------------------------------------------------------------------------
    def _describe(self):
        meta = self._meta
        if meta is None:
            meta = self._meta = describe(self._h)
        return meta

    @property
    def shape(self):
        """The shape, a tuple of ints."""
        return self._describe()[0]

    @property
    def dtype(self):
        """The NumPy dtype (one of the nine engine dtypes)."""
        return DTYPES[self._describe()[1]]

    @property
    def ndim(self):
        """The number of dimensions."""
        return len(self._describe()[0])

    @property
    def size(self):
        """The number of elements."""
        return math.prod(self._describe()[0])

    @property
    def strides(self):
        """Byte strides of the (C-contiguous) data."""
        return self.data.strides

    @property
    def T(self):
        """The tensor with its axes reversed."""
        return self.transpose()

    def __len__(self):
        shape = self._describe()[0]
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __repr__(self):
        return f"Tensor({self.data}, requires_grad={self.requires_grad})"

    # ---- data and gradient ----------------------------------------------------------------
    @property
    def data(self):
        """The data as a writable NumPy view of the engine's memory (zero copy).

        Assigning an array rebinds the tensor to a copy of it in fresh memory (its shape and dtype
        may change; views taken before keep the old memory).
        """
        d = self._data
        if d is None:
            out = c_uint64()
            st = lib.gs_tensor_detach(self._h, out)
            if st:
                raise error(st)
            d = self._data = view(out.value)
        return d

    @data.setter
    def data(self, value):
        cached = self._data
        if value is cached and cached is not None:
            return  # `x.data -= ...` already wrote through the view
        if isinstance(value, Tensor):
            value = value.data
        arr, code = as_engine_array(value)
        st = lib.gs_tensor_set_data(self._h, arr.ctypes.data, code, shape_array(arr.shape), arr.ndim)
        if st:
            raise error(st)
        self._meta = self._data = self._grad = None

    @property
    def grad(self):
        """The gradient as a writable NumPy view (None when the tensor has none).

        Assigning None zeroes the gradient (the engine keeps the buffer of a leaf); assigning an
        array copies it into the gradient buffer.
        """
        g = self._grad
        if g is None:
            out = c_uint64()
            st = lib.gs_tensor_grad(self._h, out)
            if st:
                raise error(st)
            if not out.value:
                return None
            g = self._grad = view(out.value)
        return g

    @grad.setter
    def grad(self, value):
        g = self.grad
        if value is None:
            if g is not None:
                self.zero_grad()
        elif value is not g:
            if g is None:
                raise ValueError("this tensor has no gradient buffer (it is not a leaf requiring grad)")
            g[...] = value.data if isinstance(value, Tensor) else value

    @property
    def requires_grad(self):
        """Whether gradients are computed for this tensor. Settable on float leaves."""
        return _flag(lib.gs_tensor_requires_grad, self._h)

    @requires_grad.setter
    def requires_grad(self, value):
        st = lib.gs_tensor_set_requires_grad(self._h, bool(value))
        if st:
            raise error(st)
        self._grad = None

    @property
    def is_leaf(self):
        """Whether the tensor is a leaf of the graph (not the result of a recorded op)."""
        return _flag(lib.gs_tensor_is_leaf, self._h)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    def detach(self):
        """A new tensor sharing this one's memory, outside any graph."""
        return call(lib.gs_tensor_detach, self._h)

    @property
    def grad_fn(self):
        """The op that made this tensor (a ``autograd.graph.Node`` with ``name()`` and
        ``next_functions``), or None for a leaf."""
        from .autograd.graph import Node
        return Node.of(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient whenever a backward computes it; a
        Tensor it returns replaces the gradient. Returns a handle whose ``remove()`` undoes it."""
        from .autograd.graph import register_hook
        return register_hook(self, hook)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        st = lib.gs_tensor_retain_grad(self._h)
        if st:
            raise error(st)

    @property
    def retains_grad(self):
        """Whether this non-leaf tensor keeps its gradient (``retain_grad``)."""
        return _flag(lib.gs_tensor_retains_grad, self._h)

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Back-propagate from this tensor; leaves accumulate into ``.grad`` (as PyTorch).

        ``gradient`` (an array or Tensor of this tensor's shape) is required unless the tensor
        has one element. A bool in its place means ``retain_graph``, as PyDyNet's
        ``backward(retain_graph)``. Without ``retain_graph`` (which defaults to
        ``create_graph``) the graph is freed, and a second backward raises RuntimeError. With
        ``create_graph`` the backward is recorded (hooks see gradients that can be differentiated
        again), but ``.grad`` gets values only: differentiate gradients with ``autograd.grad``.
        A backward that raises adds nothing to any ``.grad`` (see ``autograd.detect_anomaly``).
        """
        if isinstance(gradient, (bool, np.bool_)):  # PyDyNet's backward(retain_graph)
            gradient, retain_graph = None, gradient
        if gradient is None and not create_graph:
            # (the handle passed as in ``_reduce_all``)
            st = _backward(c_uint64(self._h) if self._c is None else self._c, True if retain_graph else False)
        else:
            seed = None if gradient is None else as_tensor(gradient)
            retain = create_graph if retain_graph is None else retain_graph
            st = lib.gs_backward_with(self._h, 0 if seed is None else seed._h, bool(retain), bool(create_graph))
        if st:
            raise error(st)

    def zero_grad(self):
        """Set the gradient to zero."""
        st = lib.gs_tensor_zero_grad(self._h)
        if st:
            raise error(st)

    def item(self):
        """The single element as a Python scalar."""
        return self.data.item()

    def tolist(self):
        """The data as (nested) Python lists of Python scalars; a 0-d tensor gives a scalar."""
        return self.data.tolist()

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule lending this tensor's memory (``np.from_dlpack(t)``, ``torch.from_dlpack(t)``
        share it); a tensor that requires grad must be detached first, as in PyTorch."""
        from .dlpack import to_dlpack
        if dl_device not in (None, (1, 0)):
            raise BufferError(f"gradswift tensors live on the CPU (1, 0), not on device {dl_device}")
        return to_dlpack(self, copy, versioned=max_version is not None and tuple(max_version) >= (1, 0))

    def __dlpack_device__(self):
        """``(device_type, device_id)``: DLPack's CPU, ``(1, 0)``."""
        return (1, 0)

    def numpy(self):
        """A copy of the data as a NumPy array."""
        return self.data.copy()

    def __array__(self, dtype=None, copy=None):
        """NumPy conversion (``np.asarray(t)`` views the data; ``copy=True`` copies it)."""
        return np.array(self.data, dtype=dtype, copy=copy)

    def astype(self, new_type):
        """A copy converted to ``new_type`` (mapped to an engine dtype)."""
        return call(lib.gs_tensor_astype, self._h, dtype_code(new_type))

    # ---- devices --------------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, copy=False):
        """PyTorch's ``to(device)``, ``to(dtype)``, ``to(device, dtype)`` and ``to(other)``: a
        copy converted to the dtype (self when it already has it and ``copy`` is false). Only
        the CPU exists, so a device changes nothing (CUDA raises)."""
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif _is_dtype(arg):
                dtype = arg
            else:
                device = arg
        if device is not None:
            Device(device)
        if dtype is None and not copy:
            return self
        target = self.dtype if dtype is None else DTYPES[dtype_code(dtype)]
        return self if target == self.dtype and not copy else self.astype(target)

    def cpu(self):
        """Return self (tensors live on the CPU)."""
        return self

    def cuda(self, id=0):
        """Raise RuntimeError: gradswift has no CUDA support."""
        return self.to(f"cuda:{id}")

    # ---- shape ----------------------------------------------------------------------------
    def reshape(self, *shape):
        """A tensor with the same data and a new shape (one dimension may be -1)."""
        d = dims(shape)
        return call(lib.gs_reshape, self._h, shape_array(d), len(d))

    def transpose(self, *axes):
        """Permute the axes (reverse them when none are given)."""
        if not axes or (len(axes) == 1 and axes[0] is None):
            return call(lib.gs_transpose, self._h, _ALL_AXES, -1)
        d = dims(axes)
        return call(lib.gs_transpose, self._h, shape_array(d), len(d))

    def swapaxes(self, axis1, axis2):
        """Exchange two axes."""
        return call(lib.gs_swapaxes, self._h, operator.index(axis1), operator.index(axis2))

    def permute(self, *dims):
        """The axes in the order ``dims`` (PyTorch's name for ``transpose(axes)``)."""
        d = dims_of(dims)
        return call(lib.gs_transpose, self._h, shape_array(d), len(d))

    def view(self, *shape):
        """``reshape``: the same data in a new shape (one dimension may be -1)."""
        return self.reshape(*shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Axes ``start_dim..end_dim`` (inclusive) merged into one; a 0-d tensor becomes 1-D."""
        return call(lib.gs_flatten, self._h, int64_argument("start_dim", start_dim), int64_argument("end_dim", end_dim))

    def unflatten(self, dim, sizes):
        """Axis ``dim`` split into axes of ``sizes`` (one may be -1)."""
        d = dims_of((sizes,))
        return call(lib.gs_unflatten, self._h, int64_argument("dim", dim), shape_array(d), len(d))

    def expand(self, *sizes):
        """Broadcast to ``sizes``: -1 keeps a dimension, extra leading sizes add dimensions. A
        new tensor (PyTorch returns a view); the gradient sums over the copies."""
        d = dims_of(sizes)
        return call(lib.gs_expand, self._h, shape_array(d), len(d))

    def expand_as(self, other):
        """``expand(other.shape)``."""
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        """Broadcast to ``shape`` with NumPy's rules, as a new tensor."""
        d = dims_of((shape,))
        return call(lib.gs_broadcast_to, self._h, shape_array(d), len(d))

    def movedim(self, source, destination):
        """Axes ``source`` (an int or a sequence) moved to positions ``destination``."""
        s, d = dims_of((source,)), dims_of((destination,))
        return call(lib.gs_movedim, self._h, shape_array(s), len(s), shape_array(d), len(d))

    moveaxis = movedim

    def tile(self, *dims):
        """Repeated ``dims[i]`` times along each axis (NumPy's ``tile``: missing leading counts
        are 1, extra ones add axes)."""
        d = dims_of(dims)
        return call(lib.gs_tile, self._h, shape_array(d), len(d))

    def repeat(self, *sizes):
        """Repeated ``sizes[i]`` times along each axis, as PyTorch's ``Tensor.repeat`` (at least
        one count per axis; extra leading counts add axes). NumPy's ``repeat`` is
        ``repeat_interleave``."""
        d = dims_of(sizes)
        return call(lib.gs_repeat, self._h, shape_array(d), len(d))

    def repeat_interleave(self, repeats, dim=None, *, output_size=None, axis=None):
        """Each entry along ``dim`` (None: of the flattened tensor) repeated ``repeats`` times in
        a row; ``repeats`` is an int or an int tensor with one count per entry (or one for all).
        ``output_size``, when given, must be the length of the result along ``dim``."""
        dim = pick_dim(dim, axis, None)
        ax, every = (0, True) if dim is None else (int64_argument("dim", dim), False)
        if isinstance(repeats, Tensor) or not isinstance(repeats, (int, np.integer)):
            repeats = as_tensor(repeats)
            out = call(lib.gs_repeat_interleave_tensor, self._h, repeats._h, ax, every)
        else:
            out = call(lib.gs_repeat_interleave, self._h, int64_argument("repeats", repeats), ax, every)
        if output_size is not None and out.shape[0 if every else ax] != output_size:
            raise ValueError(f"repeat_interleave: output_size {output_size} does not match the result's "
                             f"length {out.shape[0 if every else ax]}")
        return out

    def flip(self, *dims):
        """Entries reversed along the axes ``dims`` (an int, ints, or a sequence)."""
        d = dims_of(dims)
        return call(lib.gs_flip, self._h, shape_array(d), len(d))

    def roll(self, shifts, dims=None):
        """Entries moved ``shifts`` places forward along ``dims``, wrapping around (ints or
        sequences of equal length); with ``dims`` None, the flattened tensor is rolled."""
        s = dims_of((shifts,))
        d = [] if dims is None else dims_of((dims,))
        return call(lib.gs_roll, self._h, shape_array(s), len(s), shape_array(d), len(d))

    def chunk(self, chunks, dim=0):
        """A list of pieces along ``dim`` of ceil(n / chunks) entries each (the last may be
        smaller, and there may be fewer than ``chunks``)."""
        chunks, dim = int64_argument("chunks", chunks), int64_argument("dim", dim)
        shape = self.shape
        length = shape[dim] if -len(shape) <= dim < len(shape) else 0
        capacity = max(1, min(chunks, length or chunks, 1 << 16))  # room for every piece there can be
        outs = (c_uint64 * capacity)()
        count = c_int32()
        st = lib.gs_chunk(self._h, chunks, dim, outs, capacity, count)
        if st:
            raise error(st)
        return [wrap(outs[i]) for i in range(count.value)]

    def tril(self, diagonal=0):
        """Entries above diagonal ``diagonal`` of the last two axes set to zero."""
        return call(lib.gs_tril, self._h, int64_argument("diagonal", diagonal))

    def triu(self, diagonal=0):
        """Entries below diagonal ``diagonal`` of the last two axes set to zero."""
        return call(lib.gs_triu, self._h, int64_argument("diagonal", diagonal))

    # ---- reductions (PyDyNet's axis=/keepdims= and PyTorch's dim=/keepdim=) ------------------
    def sum(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """Sum over ``axis`` (None: all; int or tuple). Bool and int sums are int64."""
        if axis is None and dim is None and keepdims is None and keepdim is None:
            return _reduce_all(_sum_all, self)
        return _reduce_either(lib.gs_sum, "sum", self, axis, keepdims, dim, keepdim)

    def mean(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """Mean over ``axis`` (None: all; int or tuple)."""
        if axis is None and dim is None and keepdims is None and keepdim is None:
            return _reduce_all(_mean_all, self)
        return _reduce_either(lib.gs_mean, "mean", self, axis, keepdims, dim, keepdim)

    def max(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """Maximum over ``axis`` (None: all; int or tuple), ties sharing the gradient. With
        ``dim=`` (PyTorch), the named tuple ``(values, indices)`` along that axis, the gradient
        going to the index; with a tensor, the elementwise maximum."""
        return _reductions.extremum("max", self, axis, keepdims, dim, keepdim)

    def min(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """Minimum over ``axis``; ``dim=`` and a tensor argument as in ``max``."""
        return _reductions.extremum("min", self, axis, keepdims, dim, keepdim)

    def argmax(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """Index (int64) of the maximum, over the flattened tensor or along one axis."""
        return _reduce_either(lib.gs_argmax, "argmax", self, axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=None, *, dim=None, keepdim=None):
        """Index (int64) of the minimum, over the flattened tensor or along one axis."""
        return _reduce_either(lib.gs_argmin, "argmin", self, axis, keepdims, dim, keepdim)

    prod = _reductions.prod
    var = _reductions.var
    std = _reductions.std
    logsumexp = _reductions.logsumexp
    norm = _reductions.norm
    all = _reductions.all
    any = _reductions.any
    cumsum = _reductions.cumsum
    cumprod = _reductions.cumprod
    sort = _reductions.sort
    argsort = _reductions.argsort
    topk = _reductions.topk

    # ---- elementwise functions (also module-level: gradswift.exp(x) is x.exp()) --------------
    exp = _unary_method(lib.gs_exp, "e^x, elementwise (ints give NumPy's float type).")
    log = _unary_method(lib.gs_log, "Natural logarithm, elementwise (ints give NumPy's float type).")
    sqrt = _unary_method(lib.gs_sqrt, "Square root, elementwise (ints give NumPy's float type).")
    square = _unary_method(lib.gs_square, "x * x, elementwise.")
    abs = _unary_method(lib.gs_abs, "Absolute value, elementwise.")
    sign = _unary_method(lib.gs_sign, "-1, 0 or 1, elementwise (zero gradient).")
    sigmoid = _unary_method(lib.gs_sigmoid, "1 / (1 + e^-x), elementwise (ints give NumPy's float type).")
    tanh = _unary_method(lib.gs_tanh, "Hyperbolic tangent, elementwise (ints give NumPy's float type).")
    sin = _unary_method(lib.gs_sin, "Sine, elementwise (ints give NumPy's float type).")
    cos = _unary_method(lib.gs_cos, "Cosine, elementwise (ints give NumPy's float type).")
    tan = _unary_method(lib.gs_tan, "Tangent, elementwise (ints give NumPy's float type).")
    asin = arcsin = _unary_method(lib.gs_asin, "Inverse sine, elementwise (NaN outside [-1, 1]).")
    acos = arccos = _unary_method(lib.gs_acos, "Inverse cosine, elementwise (NaN outside [-1, 1]).")
    atan = arctan = _unary_method(lib.gs_atan, "Inverse tangent, elementwise.")
    sinh = _unary_method(lib.gs_sinh, "Hyperbolic sine, elementwise.")
    cosh = _unary_method(lib.gs_cosh, "Hyperbolic cosine, elementwise.")
    asinh = arcsinh = _unary_method(lib.gs_asinh, "Inverse hyperbolic sine, elementwise.")
    acosh = arccosh = _unary_method(lib.gs_acosh, "Inverse hyperbolic cosine, elementwise (NaN below 1).")
    atanh = arctanh = _unary_method(lib.gs_atanh, "Inverse hyperbolic tangent, elementwise (NaN outside [-1, 1]).")
    log1p = _unary_method(lib.gs_log1p, "ln(1 + x), accurate for small x.")
    expm1 = _unary_method(lib.gs_expm1, "e^x - 1, accurate for small x.")
    log2 = _unary_method(lib.gs_log2, "Base-2 logarithm, elementwise.")
    log10 = _unary_method(lib.gs_log10, "Base-10 logarithm, elementwise.")
    exp2 = _unary_method(lib.gs_exp2, "2^x, elementwise.")
    rsqrt = _unary_method(lib.gs_rsqrt, "1 / sqrt(x), elementwise.")
    reciprocal = _unary_method(lib.gs_reciprocal, "1 / x, elementwise (ints give NumPy's float type, not its truncating integer reciprocal).")
    erf = _unary_method(lib.gs_erf, "The error function, elementwise.")
    floor = _unary_method(lib.gs_floor, "The largest integer <= x, elementwise, in x's dtype (zero gradient).")
    ceil = _unary_method(lib.gs_ceil, "The smallest integer >= x, elementwise, in x's dtype (zero gradient).")
    trunc = fix = _unary_method(lib.gs_trunc, "x rounded toward zero, elementwise, in x's dtype (zero gradient).")

    def round(self, decimals=0):
        """x rounded to ``decimals`` decimal places, halves to even (NumPy's and PyTorch's
        rule), in x's dtype, with a zero gradient. Int tensors take only ``decimals=0``."""
        decimals = min(max(operator.index(decimals), -2 ** 63), 2 ** 63 - 1)  # saturate; the engine checks
        return call(lib.gs_round, self._h, decimals)

    def clamp(self, min=None, max=None):
        """``self`` limited to [min, max] (either None: no bound; at least one is needed): max(x,
        min), then min(., max), so min > max gives max (PyTorch's rule). Bounds are Python
        numbers (promoting as in ``x + 0.5``) or tensors broadcasting with ``self``. The gradient
        goes to ``self`` where min <= x <= max, and to a tensor bound where it applied."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must not be None")
        scalars = [b for b in (min, max) if b is not None and type(b) in _KINDS]
        if len(scalars) == (min is not None) + (max is not None):
            kind = _KINDS[float] if any(isinstance(b, float) for b in scalars) else _KINDS[int]
            return call(lib.gs_clamp_scalar, self._h, float(0 if min is None else min), min is not None,
                        float(0 if max is None else max), max is not None, kind)
        low = None if min is None else weak_scalar(min, self)
        high = None if max is None else weak_scalar(max, self)
        return call(lib.gs_clamp, self._h, 0 if low is None else low._h, 0 if high is None else high._h)

    clip = clamp

    def lerp(self, end, weight):
        """``self + weight * (end - self)``; ``weight`` a number or a tensor, all broadcast."""
        end = weak_scalar(end, self)
        weight = weak_scalar(weight, self)
        return call(lib.gs_lerp, self._h, end._h, weight._h)

    def atan2(self, other):
        """The angle of the point (other, self), in [-pi, pi], with broadcasting."""
        other = weak_scalar(other, self)
        return call(lib.gs_atan2, self._h, other._h)

    arctan2 = atan2

    def hypot(self, other):
        """sqrt(self^2 + other^2) without overflow, with broadcasting."""
        other = weak_scalar(other, self)
        return call(lib.gs_hypot, self._h, other._h)

    # ---- operators ------------------------------------------------------------------------
    __add__, __radd__ = _binary_methods("add", "+")
    __sub__, __rsub__ = _binary_methods("sub", "-")
    __mul__, __rmul__ = _binary_methods("mul", "*")
    __truediv__, __rtruediv__ = _binary_methods("div", "/")
    __pow__, __rpow__ = _binary_methods("pow", "**")
    __lt__ = _binary_methods("lt", "<")[0]
    __le__ = _binary_methods("le", "<=")[0]
    __gt__ = _binary_methods("gt", ">")[0]
    __ge__ = _binary_methods("ge", ">=")[0]
    eq = _binary_methods("eq", "==")[0]
    ne = _binary_methods("ne", "!=")[0]
    __iadd__ = _inplace_method("add", "+")
    __isub__ = _inplace_method("sub", "-")
    __imul__ = _inplace_method("mul", "*")
    __itruediv__ = _inplace_method("div", "/")
    __neg__ = _unary_method(lib.gs_neg, "``-self``.")
    __abs__ = _unary_method(lib.gs_abs, "``abs(self)``.")

    def __pos__(self):
        """``+self``: a copy (computed as ``1 * self``)."""
        return scalar_op(GS_BINARY_OP_MUL, self, 1, _KINDS[int], True)

    def __matmul__(self, other):
        """``self @ other`` (NumPy matmul rules, with broadcasting of batch dimensions)."""
        other = as_tensor(other)  # keep a converted operand alive during the call
        return call(lib.gs_matmul, self._h, other._h)

    def __imatmul__(self, other):
        """``self @= other`` in place: the product must keep ``self``'s shape; forbidden on a
        tensor requiring grad while grad mode is on (as the other in-place operators)."""
        product = self @ other
        if product.shape != self.shape:
            raise ValueError(f"matmul: in-place product of shape {product.shape} does not fit the "
                             f"target of shape {self.shape}")
        self[...] = product
        return self

    def __rmatmul__(self, other):
        """``other @ self``."""
        other = as_tensor(other)
        return call(lib.gs_matmul, other._h, self._h)

    # ---- indexing -------------------------------------------------------------------------
    def __getitem__(self, key):
        """NumPy indexing: ints, slices, None, Ellipsis, integer arrays and boolean masks."""
        buf, n, keep = encode_key(key, Tensor)
        return call(lib.gs_index, self._h, buf, n)

    def __setitem__(self, key, value):
        """Assign ``value`` (a scalar or anything broadcastable) to ``self[key]`` in place."""
        buf, n, keep = encode_key(key, Tensor)
        if isinstance(value, (int, np.integer)) and not -_EXACT_INT <= value <= _EXACT_INT:
            value = Tensor(np.int64(value))  # exact (a double would round it); OverflowError past int64
        if type(value) in _KINDS or isinstance(value, np.generic):
            st = lib.gs_index_put_scalar(self._h, buf, n, float(value))
        else:
            value = as_tensor(value)
            st = lib.gs_index_put(self._h, buf, n, value._h)
        if st:
            raise error(st)

    # ---- indexing along a dimension (PyTorch's) ---------------------------------------------
    def gather(self, dim, index):
        """``out[p] = self[p with p[dim] = index[p]]`` for every position of the int64 ``index``
        (``torch.gather``); the gradient scatter-adds back."""
        index = as_tensor(index)
        return call(lib.gs_gather, self._h, operator.index(dim), index._h)

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        """``self`` with ``src[p]`` (or the number ``value``) written at ``p with p[dim] =
        index[p]`` (``torch.scatter``); ``reduce`` ``'add'`` or ``'multiply'`` combines instead of
        overwriting. Differentiable in ``self`` and ``src`` (``'multiply'``: in ``self`` only)."""
        code = _scatter_reduce_code(reduce)
        if (src is None) == (value is None):
            raise TypeError("scatter() takes either src (a tensor or number) or value, not both or neither")
        if src is not None and not isinstance(src, Tensor) and np.ndim(src) == 0:
            src, value = None, src
        index = as_tensor(index)
        if src is None:
            if isinstance(value, Tensor):
                raise TypeError("scatter(): value must be a number; pass a tensor as src")
            return call(lib.gs_scatter_value, self._h, operator.index(dim), index._h, float(value), code)
        src = as_tensor(src)
        return call(lib.gs_scatter, self._h, operator.index(dim), index._h, src._h, code)

    def scatter_add(self, dim, index, src):
        """``self`` plus ``src``'s elements added at ``p with p[dim] = index[p]``
        (``torch.scatter_add``; repeated positions accumulate)."""
        index, src = as_tensor(index), as_tensor(src)
        return call(lib.gs_scatter_add, self._h, operator.index(dim), index._h, src._h)

    def index_select(self, dim, index):
        """The slices of ``self`` along ``dim`` at the positions of the 1-D int64 ``index``
        (``torch.index_select``)."""
        index = as_tensor(index)
        return call(lib.gs_index_select, self._h, operator.index(dim), index._h)

    def masked_fill(self, mask, value):
        """``self`` with ``value`` (a number or a 0-d tensor, converted to this dtype) where the
        bool ``mask`` is true; mask broadcasts (``torch.masked_fill``). A tensor value gets the
        gradient summed over the filled positions."""
        if not isinstance(value, Tensor):
            value = Tensor(np.asarray(value))
        mask = as_tensor(mask)
        return call(lib.gs_masked_fill, self._h, mask._h, value._h)

    def take_along_dim(self, indices, dim=None):
        """Elements picked along ``dim`` by ``indices`` (same rank, broadcast outside ``dim``);
        with ``dim=None`` from the flattened tensor (``torch.take_along_dim``)."""
        flat, indices = dim is None, as_tensor(indices)
        return call(lib.gs_take_along_dim, self._h, indices._h, 0 if flat else operator.index(dim), flat)

    def nonzero(self, *, as_tuple=False):
        """The int64 coordinates of the nonzero elements: an (n, ndim) tensor, or with
        ``as_tuple`` one 1-D tensor per dimension (``torch.nonzero``; not differentiable)."""
        if not as_tuple:
            return call(lib.gs_nonzero, self._h)
        count = builtins.max(self.ndim, 1)
        outs, n = (c_uint64 * count)(), c_int32()
        st = lib.gs_nonzero_tuple(self._h, outs, count, n)
        if st:
            raise error(st)
        return tuple(wrap(h) for h in outs[:n.value])

    # ---- linear algebra (PyTorch's) ----------------------------------------------------------
    def dot(self, other):
        """The inner product of two 1-D tensors of one dtype (``torch.dot``), 0-d."""
        other = as_tensor(other)
        return call(lib.gs_dot, self._h, other._h)

    def outer(self, vec2):
        """The outer product of two 1-D tensors (``torch.outer``)."""
        vec2 = as_tensor(vec2)
        return call(lib.gs_outer, self._h, vec2._h)

    ger = outer

    def bmm(self, mat2):
        """Batched matrix product of 3-D tensors (b, n, k) @ (b, k, m) (``torch.bmm``)."""
        mat2 = as_tensor(mat2)
        return call(lib.gs_bmm, self._h, mat2._h)

    def diag(self, diagonal=0):
        """A 1-D tensor on the ``diagonal``-th diagonal of a square matrix, or a 2-D tensor's
        ``diagonal``-th diagonal (``torch.diag``)."""
        return call(lib.gs_diag, self._h, operator.index(diagonal))

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal over ``dim1`` and ``dim2`` (shifted by ``offset``) as a last dimension
        (``torch.diagonal``)."""
        return call(lib.gs_diagonal, self._h, operator.index(offset), operator.index(dim1), operator.index(dim2))

    def trace(self):
        """The sum of a matrix's main diagonal (``torch.trace``)."""
        return call(lib.gs_trace, self._h)

    # ---- PyTorch's dtype conversions (last in the class: they are named like builtins) ------
    half = _conversion(np.float16)
    float = _conversion(np.float32)
    double = _conversion(np.float64)
    char = _conversion(np.int8)
    byte = _conversion(np.uint8)
    short = _conversion(np.int16)
    int = _conversion(np.int32)
    long = _conversion(np.int64)
    bool = _conversion(np.bool_)


def _is_dtype(value):
    """Whether ``value`` names a NumPy dtype (a type, a dtype or a string such as "float16";
    "cpu" and "cuda" do not)."""
    if isinstance(value, str) and value.split(":")[0] in ("cpu", "cuda"):
        return False
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True
