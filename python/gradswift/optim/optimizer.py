"""Optimizers. The built-in ones are engine objects: ``step()`` and ``zero_grad()`` are one
library call for all parameters, and their state lives in the engine.

Formulas are PyDyNet's, except where PyDyNet is wrong (then PyTorch's, documented on the class).
Parameters without a gradient are skipped by ``step()``, as in PyTorch.
"""
from ctypes import c_double, c_int64, c_uint64

import numpy as np

from .._convert import Owned, int64_argument, read_string
from .._lib import check, error, lib
from ..tensor import Tensor, call

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "Adam"]


class _OptimizerHandle(Owned):
    """Owns one optimizer handle."""

    __slots__ = ()
    release = staticmethod(lib.gs_optim_release)


class Optimizer:
    """Base class: holds ``params`` (a list of Tensors) and zeroes their gradients.

    Subclass it and define ``step()`` for a pure-Python optimizer, as in PyDyNet.
    """

    def __init__(self, params):
        self.params = list(params)
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a Tensor")

    def step(self):
        """Updates the parameters from their gradients."""
        raise NotImplementedError(f"{type(self).__name__} does not define step()")

    def zero_grad(self, set_to_none=True):
        """Zeroes the gradient of every parameter.

        ``set_to_none`` (PyTorch 2's default) is accepted, but the engine keeps each leaf's
        gradient buffer: gradients become zeros either way, never None (as in PyDyNet). A step
        after it therefore sees zero gradients where PyTorch would skip the parameters, so
        momentum and weight decay still move them.
        """
        for p in self.params:
            p.zero_grad()


class _EngineOptimizer(Optimizer):
    """An optimizer implemented in the engine (constructed by the subclasses)."""

    def __init__(self, params, constructor, *settings):
        super().__init__(params)
        handles = (c_uint64 * max(len(self.params), 1))(*[p._h for p in self.params])
        out = c_uint64()
        st = constructor(handles, len(self.params), *settings, out)
        if st:
            raise error(st)
        self._engine = _OptimizerHandle(out.value)

    @property
    def lr(self):
        """The learning rate of the next step (settable)."""
        out = c_double()
        check(lib.gs_optim_lr(self._engine.handle, out))
        return out.value

    @lr.setter
    def lr(self, value):
        check(lib.gs_optim_set_lr(self._engine.handle, float(value)))

    def step(self):
        """Updates every parameter that has a gradient (one library call)."""
        check(lib.gs_optim_step(self._engine.handle))

    def zero_grad(self, set_to_none=True):
        """Zeroes every parameter's gradient (one library call); ``set_to_none`` as in
        ``Optimizer.zero_grad``."""
        check(lib.gs_optim_zero_grad(self._engine.handle))

    def _state_names(self):
        count = c_int64()
        check(lib.gs_optim_state_count(self._engine.handle, count))
        return [read_string(lib.gs_optim_state_name, self._engine.handle, c_int64(i)) for i in range(count.value)]

    def _state_tensor(self, name):
        return call(lib.gs_optim_state, self._engine.handle, name.encode())

    def state_dict(self):
        """``{"kind", "lr", "step", "state": {parameter index: {buffer: array}}}`` (copies)."""
        steps = c_int64()
        check(lib.gs_optim_step_count(self._engine.handle, steps))
        state = {}
        for name in self._state_names():
            index, buffer = name.split(".", 1)
            state.setdefault(int(index), {})[buffer] = self._state_tensor(name).numpy().copy()
        return {"kind": type(self).__name__, "lr": self.lr, "step": steps.value, "state": state}

    def load_state_dict(self, state_dict):
        """Restores a ``state_dict()`` of the same optimizer class over parameters of the same
        shapes; everything is checked before anything changes."""
        kind = state_dict.get("kind")
        if kind != type(self).__name__:
            raise ValueError(f"load_state_dict: the state is for {kind}, this optimizer is {type(self).__name__}")
        staged = []
        for name in self._state_names():
            index, buffer = name.split(".", 1)
            try:
                value = np.asarray(state_dict["state"][int(index)][buffer])
            except (KeyError, TypeError):
                raise KeyError(f"load_state_dict: missing state '{buffer}' of parameter {index}") from None
            target = self._state_tensor(name)
            if value.shape != target.shape:
                raise ValueError(f"load_state_dict: state '{buffer}' of parameter {index} has shape "
                                 f"{target.shape}, the checkpoint has {value.shape}")
            staged.append((target, value))
        step = int64_argument("load_state_dict: step", state_dict["step"])
        if step < 0:
            raise ValueError(f"load_state_dict: step {step} is negative")
        self.lr = state_dict["lr"]
        check(lib.gs_optim_set_step_count(self._engine.handle, step))
        for target, value in staged:
            target.data[...] = value


class SGD(_EngineOptimizer):
    """``SGD(params, lr, momentum=0.5, weight_decay=0., nesterov=True)`` (PyDyNet's defaults).

    Momentum as PyTorch: ``b = momentum*b + g``, ``p -= lr*b`` — the same steps as PyDyNet's
    ``v = momentum*v + lr*g`` at a fixed rate. Nesterov as PyTorch, ``p -= lr*(g + momentum*b)``:
    PyDyNet's Nesterov step (``p -= v + lr*g``) is not Nesterov's method.
    """

    def __init__(self, params, lr, momentum=.5, weight_decay=0., nesterov=True):
        super().__init__(params, lib.gs_sgd_new, float(lr), float(momentum), float(weight_decay), bool(nesterov))
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov


class Adagrad(_EngineOptimizer):
    """``Adagrad(params, lr=1e-2, weight_decay=0, eps=1e-10)``: ``G += g²``, ``p -= lr*g/sqrt(G + eps)``."""

    def __init__(self, params, lr=1e-2, weight_decay=0, eps=1e-10):
        super().__init__(params, lib.gs_adagrad_new, float(lr), float(weight_decay), float(eps))
        self.weight_decay, self.eps = weight_decay, eps


class Adadelta(_EngineOptimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, weight_decay=0, eps=1e-6)``, Zeiler's method as
    PyTorch implements it (PyDyNet's Adadelta keeps no running average of the updates, which
    makes it RMSprop)."""

    def __init__(self, params, lr=1.0, rho=0.9, weight_decay=0, eps=1e-6):
        super().__init__(params, lib.gs_adadelta_new, float(lr), float(rho), float(weight_decay), float(eps))
        self.rho, self.weight_decay, self.eps = rho, weight_decay, eps


class Adam(_EngineOptimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)`` with PyDyNet's
    formula: ``p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        beta1, beta2 = betas
        super().__init__(params, lib.gs_adam_new, float(lr), float(beta1), float(beta2), float(eps),
                         float(weight_decay))
        self.beta1, self.beta2, self.eps, self.weight_decay = beta1, beta2, eps, weight_decay
