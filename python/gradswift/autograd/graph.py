"""The recorded graph from Python: ``grad`` (``torch.autograd.grad``), the ``grad_fn`` nodes of
tensors, and the hooks that see gradients during backward.

Python functions the engine calls back (hooks here, custom functions' backwards in
``function.py``) are kept in a registry under an integer key passed as the callback's
``user_data``; the engine calls ``release`` with that key once it no longer needs the function,
which drops it. An exception raised in a callback is kept (``_lib.defer_exception``) and raised
by the library call that ran the backward, with the engine's state unchanged.
"""
import itertools
import re
import weakref
from ctypes import c_bool, c_char, c_int32, c_int64, c_uint64

from .._lib import CALLBACK_TYPES, defer_exception, error, lib
from .._release import release_pending
from ..tensor import Tensor, as_tensor, wrap

__all__ = ["grad", "Node", "AccumulateGrad", "RemovableHandle"]

_registry = {}
_keys = itertools.count(1)


def register(obj):
    """A key under which the engine can call back ``obj`` until it releases the key."""
    key = next(_keys)
    _registry[key] = obj
    return key


@CALLBACK_TYPES["gs_release_fn"]
def release(key):
    """gs_release_fn: the engine no longer needs the object registered under ``key``."""
    _registry.pop(key, None)


def borrowed(handle):
    """A Tensor of its own for a handle the engine lends to a callback."""
    out = c_uint64()
    st = lib.gs_tensor_share(handle, out)
    if st:
        raise error(st)
    return wrap(out.value)


def handed_over(tensor):
    """A new handle to ``tensor`` for the engine to take over (0 for None)."""
    if tensor is None:
        return 0
    out = c_uint64()
    st = lib.gs_tensor_share(tensor._h, out)
    if st:
        raise error(st)
    return out.value


def handles(tensors):
    """A C array of the handles of ``tensors``."""
    return (c_uint64 * len(tensors))(*(t._h for t in tensors))


def as_tensors(values, name, fn="grad"):
    """``values`` (a Tensor or a sequence of them) as a tuple of Tensors; anything else is a
    TypeError naming the function ``fn`` and the argument ``name``."""
    values = (values,) if isinstance(values, Tensor) else tuple(values)
    for k, value in enumerate(values):
        if not isinstance(value, Tensor):
            raise TypeError(f"{fn}: {name}[{k}] is {type(value).__name__}, not a Tensor")
    return values


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs`` as a tuple of Tensors (None for
    an unused input with ``allow_unused``), as ``torch.autograd.grad``; no ``.grad`` changes.

    ``grad_outputs`` gives each output's gradient (an array or Tensor of its shape; None where
    the output has one element, meaning 1). The graph is freed unless ``retain_graph``, which
    defaults to ``create_graph``; with ``create_graph`` the results are differentiable again.
    """
    outputs = as_tensors(outputs, "outputs")
    inputs = as_tensors(inputs, "inputs")
    seeds = None
    if grad_outputs is not None:
        given = (grad_outputs,) if isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (tuple, list)) \
            else tuple(grad_outputs)
        if len(given) != len(outputs):
            raise ValueError(f"grad: got {len(given)} grad_outputs for {len(outputs)} outputs")
        kept = tuple(None if g is None else as_tensor(g) for g in given)
        seeds = (c_uint64 * len(kept))(*(0 if g is None else g._h for g in kept))
    results = (c_uint64 * len(inputs))()
    retain = create_graph if retain_graph is None else retain_graph
    release_pending()
    st = lib.gs_grad(handles(outputs), len(outputs), seeds, handles(inputs), len(inputs),
                     bool(retain), bool(create_graph), bool(allow_unused), results)
    if st:
        raise error(st)
    return tuple(wrap(h) if h else None for h in results)


def _node_name(op):
    """PyTorch's spelling of a node's name: ``mul`` -> ``MulBackward0``; a custom function's
    node (named ``<Class>Backward``) keeps its name."""
    if op.endswith("Backward"):
        return op
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", op) if part) + "Backward0"


class Node:
    """The op that made a tensor (``tensor.grad_fn``), as ``torch.autograd.graph.Node``."""

    __slots__ = ("_tensor", "_name", "_inputs", "_index")

    def __init__(self, tensor, name, inputs, index):
        self._tensor, self._name, self._inputs, self._index = tensor, name, inputs, index

    @staticmethod
    def of(tensor):
        """The grad_fn of ``tensor``, or None for a leaf."""
        present, count, index = c_bool(), c_int32(), c_int32()
        name = (c_char * 128)()
        st = lib.gs_tensor_grad_fn(tensor._h, present, name, len(name), count, index)
        if st:
            raise error(st)
        if not present.value:
            return None
        return Node(tensor, _node_name(name.value.decode()), count.value, index.value)

    def name(self):
        """The node's name, such as ``MulBackward0``."""
        return self._name

    @property
    def next_functions(self):
        """For each input of the op: ``(node, output index)`` of the op that made it, an
        ``AccumulateGrad`` for a leaf requiring grad, or ``(None, 0)``."""
        found = []
        for k in range(self._inputs):
            out = c_uint64()
            st = lib.gs_tensor_grad_fn_input(self._tensor._h, k, out)
            if st:
                raise error(st)
            tensor = wrap(out.value)
            if not tensor.requires_grad:
                found.append((None, 0))
            elif tensor.is_leaf:
                found.append((AccumulateGrad(tensor), 0))
            else:
                node = Node.of(tensor)
                found.append((node, node._index))
        return tuple(found)

    def __eq__(self, other):
        return isinstance(other, Node) and self._tensor is other._tensor

    def __hash__(self):
        return id(self._tensor)

    def __repr__(self):
        return f"<{self._name} object>"


class AccumulateGrad:
    """The end of the graph at a leaf requiring grad: its gradient is added to ``variable.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        """``AccumulateGrad``."""
        return "AccumulateGrad"

    @property
    def next_functions(self):
        """Nothing comes after a leaf."""
        return ()

    def __repr__(self):
        return "<AccumulateGrad object>"


@CALLBACK_TYPES["gs_hook_fn"]
def _run_hook(key, gradient, replacement):
    """gs_hook_fn: calls the Python hook registered under ``key`` with the gradient."""
    try:
        hook = _registry.get(key)
        if hook is None:
            return 0  # removed from Python while the engine still held it
        result = hook(borrowed(gradient))
        if result is not None:
            replacement[0] = handed_over(as_tensor(result))
        return 0
    except BaseException as exc:  # handed to the caller of backward(), not lost in ctypes
        defer_exception(exc)
        return 1


class RemovableHandle:
    """What ``Tensor.register_hook`` returns: ``remove()`` takes the hook away."""

    def __init__(self, tensor, key, hook_id):
        self._tensor, self._key, self._id = weakref.ref(tensor), key, hook_id

    def remove(self):
        """Remove the hook (again: nothing happens). The hook stops running at once, even when
        the tensor lives on only inside a graph."""
        if self._key is None:
            return
        _registry.pop(self._key, None)
        self._key = None
        tensor = self._tensor()
        if tensor is not None:
            st = lib.gs_tensor_remove_hook(tensor._h, self._id, None)
            if st:
                raise error(st)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_hook(tensor, hook):
    """Register ``hook(grad) -> Tensor or None`` on ``tensor``; see ``Tensor.register_hook``."""
    if not callable(hook):
        raise TypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
    key = register(hook)
    hook_id = c_int64()
    st = lib.gs_tensor_register_hook(tensor._h, _run_hook, key, release, hook_id)
    if st:
        raise error(st)
    return RemovableHandle(tensor, key, hook_id.value)
