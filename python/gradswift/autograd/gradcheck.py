"""Finite-difference gradient checking, as ``torch.autograd.gradcheck`` and ``gradgradcheck``
offer.

    from gradswift.autograd import gradcheck
    x = pdn.randn(3, 4, dtype=np.float64, requires_grad=True)   # float64: see below
    gradcheck(lambda t: (t.exp() * t).sum(axis=0), (x,))

Every input that requires a gradient is perturbed one element at a time by +-eps; the central
differences of every output element form the numerical Jacobian, which must match the Jacobian
built from one backward pass per output element within ``atol + rtol * |numerical|``. Module
parameters are checked by passing them as extra inputs that ``func`` ignores: they are perturbed
in place through ``.data``, which the module reads.
"""
import warnings

import numpy as np

from .._modes import enable_grad, no_grad
from ..tensor import Tensor
from .graph import grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians of a gradcheck differ."""


def _as_tuple(values):
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)


def _outputs(func, inputs):
    """``func(*inputs)`` as a tuple of Tensors (a single Tensor is wrapped)."""
    outputs = _as_tuple(func(*inputs))
    for i, output in enumerate(outputs):
        if not isinstance(output, Tensor):
            raise TypeError(f"gradcheck: output {i} of func is {type(output).__name__}, not a Tensor")
    return outputs


def _numerical_jacobians(func, inputs, checked, eps):
    """For each checked input, the (output elements, input elements) Jacobian by central differences."""
    with no_grad():
        sizes = [output.data.size for output in _outputs(func, inputs)]
        jacobians = []
        for index in checked:
            values = inputs[index].data
            flat = values.reshape(-1)
            if not np.shares_memory(flat, values):
                raise ValueError(f"gradcheck: input {index} is not contiguous; pass a contiguous tensor")
            jacobian = np.zeros((sum(sizes), flat.size))
            for k in range(flat.size):
                original = flat[k]
                flat[k] = original + eps
                plus = np.concatenate([np.asarray(o.data, dtype=np.float64).reshape(-1) for o in _outputs(func, inputs)])
                flat[k] = original - eps
                minus = np.concatenate([np.asarray(o.data, dtype=np.float64).reshape(-1) for o in _outputs(func, inputs)])
                flat[k] = original
                jacobian[:, k] = (plus - minus) / (2 * eps)
            jacobians.append(jacobian)
    return jacobians


def _analytical_jacobians(func, inputs, checked):
    """For each checked input, the Jacobian built row by row from backward passes."""
    outputs = _outputs(func, inputs)
    sizes = [output.data.size for output in outputs]
    jacobians = [np.zeros((sum(sizes), inputs[i].data.size)) for i in checked]
    row = 0
    for output, size in zip(outputs, sizes):
        if not output.requires_grad:
            row += size  # an output that does not depend on the inputs has zero rows
            continue
        for j in range(size):
            selector = np.zeros(size, dtype=output.data.dtype)
            selector[j] = 1
            for i in checked:
                inputs[i].zero_grad()
            (output * Tensor(selector.reshape(output.shape))).sum().backward(retain_graph=True)
            for jacobian, i in zip(jacobians, checked):
                grad = inputs[i].grad
                if grad is not None:
                    jacobian[row + j] = np.asarray(grad, dtype=np.float64).reshape(-1)
        row += size
    for i in checked:
        inputs[i].zero_grad()
    return jacobians


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Checks the gradients of ``func`` at ``inputs`` against central finite differences.

    ``inputs`` is a Tensor or a tuple of them (other values are passed through); those with
    ``requires_grad`` are checked, and should be float64 (a warning says so otherwise, as in
    PyTorch). Returns True when every Jacobian entry agrees; otherwise raises GradcheckError
    naming the input, output element and values, or returns False when ``raise_exception`` is
    False.
    """
    inputs = _as_tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires a gradient")
    for i in checked:
        if inputs[i].data.dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} is {inputs[i].data.dtype}, not float64; "
                          "finite differences are only reliable in double precision")
    numerical = _numerical_jacobians(func, inputs, checked, eps)
    analytical = _analytical_jacobians(func, inputs, checked)
    for i, expected, actual in zip(checked, numerical, analytical):
        bad = np.abs(actual - expected) > atol + rtol * np.abs(expected)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            message = (f"gradcheck: Jacobian mismatch for input {i} at (output element {row}, input element "
                       f"{column}): analytical {float(actual[row, column])!r}, numerical {float(expected[row, column])!r} "
                       f"({int(bad.sum())} of {bad.size} entries differ; atol={atol}, rtol={rtol})")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Checks the second derivatives of ``func`` at ``inputs`` against finite differences of its
    first derivatives, as ``torch.autograd.gradgradcheck``.

    The function checked is ``(inputs, grad_outputs) -> grad(func(inputs), inputs,
    grad_outputs, create_graph=True)``, with ``gradcheck``: its derivatives with respect to both
    the inputs and ``grad_outputs`` (one Tensor per output of ``func`` that requires grad;
    random normal values requiring grad when not given) must match.
    """
    inputs = _as_tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input requires a gradient")
    differentiable = [o for o in _outputs(func, inputs) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor(rng.standard_normal(o.shape).astype(o.dtype), requires_grad=True)
                             for o in differentiable)
    grad_outputs = _as_tuple(grad_outputs)
    if len(grad_outputs) != len(differentiable):
        raise ValueError(f"gradgradcheck: got {len(grad_outputs)} grad_outputs for "
                         f"{len(differentiable)} outputs that require grad")
    count = len(inputs)

    def first_derivatives(*args):
        values, seeds = args[:count], args[count:]
        with enable_grad():  # gradcheck's finite differences run without grad mode
            outputs = [o for o in _outputs(func, values) if o.requires_grad]
            grads = grad(outputs, [values[i] for i in checked], seeds, create_graph=True, allow_unused=True)
        return tuple(Tensor(np.zeros(values[i].shape, dtype=values[i].dtype)) if g is None else g
                     for i, g in zip(checked, grads))

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
