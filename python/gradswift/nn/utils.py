"""Gradient and parameter utilities with the names of PyTorch's ``torch.nn.utils``: gradient
clipping, parameters as one vector, and parameter counts.

Everything runs on engine ops, one library call per op and per tensor (never per element). A
gradient is reached as a Tensor sharing its memory, so clipping writes the ``.grad`` arrays in
place and views of them stay valid.
"""
import math
from ctypes import c_uint64

from .. import ops
from .._lib import check, lib
from .._modes import no_grad
from ..tensor import Tensor, wrap
from .modules.module import Module

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
           "parameter_count", "summary"]

_EPSILON = 1e-6  # added to the total norm before dividing by it (PyTorch's value)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales the gradients of ``parameters`` (a Tensor or an iterable of Tensors) in place so
    that their total norm is at most ``max_norm``, and returns the total norm from before the
    scaling as a 0-d Tensor.

    The total is the ``norm_type``-norm of all gradients taken as one vector (computed, as in
    PyTorch, as the norm of the per-tensor norms): ``(sum |g|**p)**(1/p)``, the largest ``|g|``
    for ``float('inf')``, the smallest for ``-inf``. Every gradient is multiplied by
    ``max_norm / (total + 1e-6)`` when that coefficient is below 1; a NaN total makes the
    gradients NaN, and a total of inf turns them into zeros and NaNs, as in PyTorch. With
    ``error_if_nonfinite`` a total of NaN or inf raises RuntimeError instead, before any
    gradient changes. Parameters without a gradient are skipped; with none at all the result
    is ``Tensor(0.0)``. ``foreach`` is accepted and ignored (each op already covers a whole
    tensor).
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    grads = [g for g in _gradients(parameters, "clip_grad_norm_") if g.size]
    if not grads:
        return Tensor(0.0)
    norms = [_vector_norm(g, norm_type).reshape(1) for g in grads]
    total = _vector_norm(ops.concat(norms), norm_type)
    total_value = total.item()
    if error_if_nonfinite and not math.isfinite(total_value):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"{total_value}, which cannot be clipped; pass error_if_nonfinite=False "
                           "to scale the gradients by it anyway")
    coefficient = max_norm / (total_value + _EPSILON)
    if not coefficient >= 1.0:  # below 1, or NaN (PyTorch spreads a NaN to the gradients)
        for g in grads:
            g *= coefficient
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element of ``parameters`` (a Tensor or an iterable of Tensors)
    into ``[-clip_value, clip_value]`` in place; NaN stays NaN. Returns None. ``foreach`` is
    accepted and ignored."""
    clip_value = float(clip_value)
    for g in _gradients(parameters, "clip_grad_value_"):
        g[...] = ops.minimum(ops.maximum(g, -clip_value), clip_value)


def parameters_to_vector(parameters):
    """The tensors of ``parameters`` flattened and joined, in order, into one new 1-D Tensor
    (differentiable with respect to them in grad mode, as the concatenation it is)."""
    tensors = _tensors(parameters, "parameters_to_vector")
    return ops.concat([t.reshape(-1) for t in tensors])


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of the 1-D Tensor ``vec`` into the tensors of ``parameters``,
    in order, each slice reshaped to its tensor's shape and converted to its dtype. The copies
    are made in place and are not recorded by autograd.

    Raises TypeError when ``vec`` is not a Tensor, and ValueError, before writing anything,
    when ``vec`` is not 1-D or its length differs from the parameters' total size (PyTorch
    fails on a short vector only, and ignores the rest of a long one).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: vec must be a Tensor, got {type(vec).__name__}")
    tensors = _tensors(parameters, "vector_to_parameters")
    total = sum(t.size for t in tensors)
    if vec.shape != (total,):
        raise ValueError(f"vector_to_parameters: vec has shape {vec.shape}, the parameters need a "
                         f"1-D vector of {total} elements")
    start = 0
    with no_grad():
        for t in tensors:
            t[...] = vec[start:start + t.size].reshape(t.shape)
            start += t.size


def parameter_count(module, trainable_only=False):
    """The number of parameter elements of ``module`` (a parameter shared by several
    sub-modules counted once), of the trainable ones only when ``trainable_only``.

    Counted as PyTorch's ``sum(p.numel() for p in module.parameters())`` counts: BatchNorm's
    running statistics are buffers, not parameters, though ``named_parameters()`` lists them
    too (as PyDyNet does).
    """
    return sum(p.size for _, p in _proper_parameters(module, "parameter_count")
               if p.requires_grad or not trainable_only)


def summary(module):
    """A readable table of the parameters of ``module``: one row per parameter with its dotted
    name, shape, element count and whether it is trainable, then the total, trainable and
    non-trainable counts (as ``parameter_count``) and the number of buffer elements. Print it."""
    named = _proper_parameters(module, "summary")
    header = ("Parameter", "Shape", "Count", "Trainable")
    rows = [(name, str(p.shape), f"{p.size:,}", "yes" if p.requires_grad else "no") for name, p in named]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        name, shape, count, trainable = cells
        return (f"{name:<{widths[0]}}  {shape:<{widths[1]}}  {count:>{widths[2]}}  "
                f"{trainable:<{widths[3]}}").rstrip()

    rule = "  ".join("-" * width for width in widths)
    total = sum(p.size for _, p in named)
    trainable = sum(p.size for _, p in named if p.requires_grad)
    buffers = list(module.buffers())
    return "\n".join([
        type(module).__name__, line(header), rule, *map(line, rows), rule,
        f"Total parameters: {total:,}",
        f"Trainable parameters: {trainable:,}",
        f"Non-trainable parameters: {total - trainable:,}",
        f"Buffer elements: {sum(b.size for b in buffers):,} in {len(buffers)} buffers",
    ])


# ---- helpers ---------------------------------------------------------------------------------

def _tensors(parameters, function):
    """``parameters`` (a Tensor or an iterable of Tensors) as a list; TypeError for other items."""
    if isinstance(parameters, Tensor):
        return [parameters]
    tensors = list(parameters)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{function}: parameter {i} is a {type(t).__name__}, not a Tensor")
    return tensors


def _gradients(parameters, function):
    """For each of ``parameters`` that has a gradient, a Tensor sharing that gradient's memory
    (writing it changes ``.grad``)."""
    grads = []
    for t in _tensors(parameters, function):
        handle = c_uint64()
        check(lib.gs_tensor_grad(t._h, handle))
        if handle.value:
            grads.append(wrap(handle.value))
    return grads


def _vector_norm(x, norm_type):
    """The ``norm_type``-norm of all the elements of the non-empty Tensor ``x``, as a 0-d Tensor
    (``torch.linalg.vector_norm``'s definition: ``0`` counts the non-zero elements)."""
    if norm_type == 2.0:
        return ops.sqrt(ops.square(x).sum())
    magnitude = ops.abs(x)
    if norm_type == math.inf:
        return magnitude.max()
    if norm_type == -math.inf:
        return magnitude.min()
    if norm_type == 0.0:
        return ops.sign(magnitude).sum()
    return (magnitude ** norm_type).sum() ** (1.0 / norm_type)


def _proper_parameters(module, function):
    """(dotted name, Parameter) of the parameters of ``module`` that are not buffers."""
    if not isinstance(module, Module):
        raise TypeError(f"{function}: expected a Module, got {type(module).__name__}")
    buffers = {id(b) for b in module.buffers()}
    return [(name, p) for name, p in module.named_parameters() if id(p) not in buffers]
