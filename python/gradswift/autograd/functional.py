"""Derivatives of whole functions, as ``torch.autograd.functional``: ``vjp``, ``jvp``,
``jacobian``, ``hessian``, ``hvp`` and ``vhp``.

``inputs`` is a Tensor or a tuple of Tensors; the functions differentiate ``func`` at copies of
them that require grad, so the caller's tensors and their ``.grad`` are untouched. Results
have the structure of the arguments (a Tensor for a Tensor, a tuple for a tuple) and are plain
tensors, unless ``create_graph=True``, when they stay differentiable with respect to the
inputs. An input that the output does not use gets a zero derivative, or, with
``strict=True``, raises RuntimeError.
"""
import numpy as np

from ..ops import concat, reshape
from ..tensor import Tensor
from .graph import as_tensors, grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(values, what, fn):
    """``(values as a tuple, whether it was one Tensor)``, checking that it holds Tensors."""
    return as_tensors(values, what, fn), isinstance(values, Tensor)


def _variables(inputs, create_graph):
    """The points to differentiate at: with ``create_graph``, tensors still tied to the
    inputs' graphs; otherwise detached copies. Both require grad."""
    variables = []
    for x in inputs:
        if create_graph and x.requires_grad:
            v = x * 1  # a new node over x: derivatives at v reach x too
        else:
            v = x.detach()
            v.requires_grad = True
        variables.append(v)
    return tuple(variables)


def _finish(values, create_graph):
    """Results as the caller gets them: detached unless ``create_graph``."""
    return tuple(v if v is None or create_graph else v.detach() for v in values)


def _gradients(outputs, variables, seeds, create_graph, strict, fn):
    """``grad`` of the outputs that require grad, with zeros for unused variables (an error
    with ``strict``)."""
    pairs = [(o, s) for o, s in zip(outputs, seeds) if o.requires_grad]
    if not pairs:
        found = (None,) * len(variables)
    else:
        found = grad([o for o, _ in pairs], variables, [s for _, s in pairs], retain_graph=True,
                     create_graph=create_graph, allow_unused=True)
    results = []
    for k, (g, v) in enumerate(zip(found, variables)):
        if g is None:
            if strict:
                raise RuntimeError(f"{fn}: the output is independent of input {k}, which strict=True forbids")
            g = Tensor(np.zeros(v.shape, dtype=v.dtype))
        results.append(g)
    return tuple(results)


def _seeds(v, outputs, fn, what):
    """The vectors ``v`` given for ``outputs`` (None: 1 for one-element outputs)."""
    if v is None:
        for o in outputs:
            if o.size != 1:
                raise RuntimeError(f"{fn}: {what} must be given when the function's output has more than one element")
        return (None,) * len(outputs)
    given, _ = _as_tuple(v, what, fn)
    if len(given) != len(outputs):
        raise RuntimeError(f"{fn}: got {len(given)} tensors in {what} for {len(outputs)} outputs")
    for k, (g, o) in enumerate(zip(given, outputs)):
        if g.shape != o.shape:
            raise RuntimeError(f"{fn}: {what}[{k}] has shape {g.shape}, expected {o.shape}")
    return given


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product of ``func`` at ``inputs``."""
    inputs, single = _as_tuple(inputs, "inputs", "vjp")
    variables = _variables(inputs, create_graph)
    outputs, single_output = _as_tuple(func(*variables), "outputs of func", "vjp")
    product = _gradients(outputs, variables, _seeds(v, outputs, "vjp", "v"), create_graph, strict, "vjp")
    outputs, product = _finish(outputs, create_graph), _finish(product, create_graph)
    return (outputs[0] if single_output else outputs), (product[0] if single else product)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by differentiating a vjp (the
    "double backward" trick, as PyTorch does)."""
    inputs, single = _as_tuple(inputs, "inputs", "jvp")
    seeds = _seeds(v, inputs, "jvp", "v")
    variables = _variables(inputs, create_graph)
    outputs, single_output = _as_tuple(func(*variables), "outputs of func", "jvp")
    dummies = []
    for o in outputs:
        u = Tensor(np.zeros(o.shape, dtype=o.dtype))
        u.requires_grad = True
        dummies.append(u)
    pulled = _gradients(outputs, variables, dummies, True, strict, "jvp")
    live = [(p, s) for p, s in zip(pulled, seeds) if p.requires_grad]
    if live:
        product = grad([p for p, _ in live], dummies, [s for _, s in live], retain_graph=True,
                       create_graph=create_graph, allow_unused=True)
    else:
        product = (None,) * len(dummies)
    product = tuple(Tensor(np.zeros(o.shape, dtype=o.dtype)) if p is None else p for p, o in zip(product, outputs))
    outputs, product = _finish(outputs, create_graph), _finish(product, create_graph)
    return (outputs[0] if single_output else outputs), (product[0] if single_output else product)


def _jacobian_rows(output, variables, create_graph, strict, fn):
    """For each variable, d output / d variable of shape ``output.shape + variable.shape``."""
    rows = [[] for _ in variables]
    for j in range(output.size):
        selector = np.zeros(output.size, dtype=output.dtype)
        selector[j] = 1
        grads = _gradients((output,), variables, (Tensor(selector.reshape(output.shape)),), create_graph, strict, fn)
        for k, g in enumerate(grads):
            rows[k].append(reshape(g, (1, *g.shape)))
    jacobians = []
    for k, v in enumerate(variables):
        if not rows[k]:  # an output with no elements
            jacobians.append(Tensor(np.zeros((*output.shape, *v.shape), dtype=v.dtype)))
            continue
        stacked = concat(rows[k], axis=0) if create_graph else Tensor(np.concatenate([r.data for r in rows[k]]))
        jacobians.append(reshape(stacked, (*output.shape, *v.shape)))
    return jacobians


def jacobian(func, inputs, create_graph=False, strict=False):
    """The Jacobian of ``func`` at ``inputs``: for output i and input j, a tensor of shape
    ``outputs[i].shape + inputs[j].shape`` (a Tensor, tuple or tuple of tuples, as the
    structure of outputs and inputs)."""
    inputs, single = _as_tuple(inputs, "inputs", "jacobian")
    variables = _variables(inputs, create_graph)
    outputs, single_output = _as_tuple(func(*variables), "outputs of func", "jacobian")
    table = []
    for output in outputs:
        if not output.requires_grad:
            if strict:
                raise RuntimeError("jacobian: an output does not depend on the inputs, which strict=True forbids")
            row = [Tensor(np.zeros((*output.shape, *v.shape), dtype=v.dtype)) for v in variables]
        else:
            row = _jacobian_rows(output, variables, create_graph, strict, "jacobian")
        row = _finish(row, create_graph)
        table.append(row[0] if single else row)
    return table[0] if single_output else tuple(table)


def hessian(func, inputs, create_graph=False, strict=False):
    """The Hessian of the scalar function ``func`` at ``inputs``: for inputs i and j, a tensor
    of shape ``inputs[i].shape + inputs[j].shape``."""
    inputs, single = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*variables):
        output = func(*variables)
        if not isinstance(output, Tensor) or output.size != 1:
            raise RuntimeError("hessian: func must return a Tensor with a single element")
        found = _gradients((output,), variables, (None,), True, strict, "hessian")
        return found[0] if single else found

    return jacobian(gradient, inputs[0] if single else inputs, create_graph=create_graph, strict=strict)


def _second_order(func, inputs, v, create_graph, strict, fn):
    """``(func(inputs), H v)`` for the scalar function ``func``."""
    inputs, single = _as_tuple(inputs, "inputs", fn)
    seeds = _seeds(v, inputs, fn, "v")
    variables = _variables(inputs, create_graph)
    output = func(*variables)
    if not isinstance(output, Tensor) or output.size != 1:
        raise RuntimeError(f"{fn}: func must return a Tensor with a single element")
    first = _gradients((output,), variables, (None,), True, strict, fn)
    product = _gradients(first, variables, seeds, create_graph, strict, fn)
    output, = _finish((output,), create_graph)
    product = _finish(product, create_graph)
    return output, (product[0] if single else product)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)``: the Hessian-vector product of the scalar function ``func``."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)``: equal to ``hvp`` for the symmetric Hessian of a twice
    continuously differentiable ``func``."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")
