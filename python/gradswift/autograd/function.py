"""Differentiable functions written by the user, as ``torch.autograd.Function``::

    class Cube(pdn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return grad * 3 * x ** 2

    y = Cube.apply(x)

``forward`` runs with grad mode off; ``apply`` records one node whose backward the engine calls
back (``gs_function_apply``). A backward written with gradswift ops is itself recorded under
``create_graph=True``, so the function can be differentiated again.
"""
from ctypes import c_uint64

from .._lib import CALLBACK_TYPES, defer_exception, error, lib
from .._modes import is_grad_enable, no_grad
from ..tensor import Tensor, as_tensor, wrap
from .graph import borrowed, handed_over, handles, register, release, _registry

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` a custom function's ``forward`` and ``backward`` share: tensors saved with
    ``save_for_backward``, ``needs_input_grad``, and any attribute the forward sets."""

    def __init__(self, needs_input_grad):
        self.needs_input_grad = needs_input_grad
        self._saved = ()

    def save_for_backward(self, *tensors):
        """Keep ``tensors`` (or None) for the backward, as ``saved_tensors``."""
        for k, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save tensors or None, got {type(t).__name__} at {k}")
        self._saved = tensors

    @property
    def saved_tensors(self):
        """The tensors given to ``save_for_backward``, in order."""
        return self._saved


class _Recorded:
    """One call of a custom function, as the engine calls its backward back."""

    def __init__(self, function, ctx, arguments):
        self.function, self.ctx = function, ctx
        self.tensor_positions = [k for k, a in enumerate(arguments) if isinstance(a, Tensor)]
        self.argument_count = len(arguments)

    def backward(self, grad_outputs):
        """The gradients of the tensor arguments, from the user's backward."""
        name = self.function.__name__
        grads = self.function.backward(self.ctx, *grad_outputs)
        grads = (grads,) if not isinstance(grads, (tuple, list)) else tuple(grads)
        # As PyTorch: trailing Nones beyond the arguments are allowed.
        while len(grads) > self.argument_count and grads[-1] is None:
            grads = grads[:-1]
        if len(grads) != self.argument_count:
            raise RuntimeError(f"function {name}Backward returned an incorrect number of gradients "
                               f"(expected {self.argument_count}, got {len(grads)})")
        for k, g in enumerate(grads):
            if g is not None and k not in self.tensor_positions:
                raise RuntimeError(f"function {name}Backward returned a gradient for argument {k}, "
                                   "which is not a Tensor; return None there")
        return [None if grads[k] is None else as_tensor(grads[k]) for k in self.tensor_positions]


@CALLBACK_TYPES["gs_function_backward_fn"]
def _run_backward(key, grad_outputs, output_count, grad_inputs, input_count):
    """gs_function_backward_fn: runs the backward of the call registered under ``key``."""
    try:
        recorded = _registry[key]
        grads = recorded.backward([borrowed(grad_outputs[k]) for k in range(output_count)])
        for k, g in enumerate(grads):
            grad_inputs[k] = handed_over(g)
        return 0
    except BaseException as exc:  # handed to the caller of backward(), not lost in ctypes
        defer_exception(exc)
        return 1


class Function:
    """Base class of differentiable functions with a hand-written backward.

    Subclasses define ``forward(ctx, *args)`` (or ``forward(*args)`` with
    ``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grad_outputs)`` returning one
    gradient per argument of ``forward`` (None for non-tensors and for inputs needing none), of
    each input's shape. Call ``apply(*args)``, never ``forward``.
    """

    @staticmethod
    def forward(ctx, *args):
        """The function's value, from tensors and other arguments."""
        raise NotImplementedError("subclasses of Function must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """The gradients of the arguments, given the gradient of each output."""
        raise NotImplementedError("subclasses of Function must implement backward")

    @classmethod
    def apply(cls, *args):
        """Run ``forward`` without recording its ops, and record one node for the result."""
        grad_mode = is_grad_enable()
        ctx = FunctionCtx(tuple(grad_mode and isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                result = cls.forward(*args)
                cls.setup_context(ctx, args, result)
            else:
                result = cls.forward(ctx, *args)
        single = isinstance(result, Tensor)
        if not single and not isinstance(result, (tuple, list)):
            raise TypeError(f"{cls.__name__}.forward must return Tensors, got {type(result).__name__}")
        outputs = (result,) if single else tuple(result)
        for k, output in enumerate(outputs):
            if not isinstance(output, Tensor):
                raise TypeError(f"{cls.__name__}.forward must return Tensors, got {type(output).__name__} at {k}")
        inputs = [a for a in args if isinstance(a, Tensor)]
        key = register(_Recorded(cls, ctx, args))
        results = (c_uint64 * len(outputs))()
        st = lib.gs_function_apply(f"{cls.__name__}Backward".encode(), handles(inputs), len(inputs),
                                   handles(outputs), len(outputs), _run_backward, key, release, results)
        if st:
            raise error(st)
        made = tuple(wrap(h) for h in results)
        return made[0] if single else made

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Optional: save what backward needs, when ``forward`` takes no ``ctx``."""
