"""Optimizers. The built-in ones are engine objects: ``step()`` and ``zero_grad()`` are one
library call for all parameters of all groups, and their state lives in the engine.

Formulas are PyDyNet's for SGD, Adam and Adagrad, and PyTorch's elsewhere and where PyDyNet is
wrong (documented on the class). Parameters without a gradient are skipped by ``step()``, as in
PyTorch. ``params`` is an iterable of Tensors or of dicts (parameter groups:
``{"params": [...], "lr": ..., other options}``, the constructor's values filling the missing
options); ``param_groups`` holds one mapping per group whose ``"lr"`` and options read and write
the engine's, so ``group["lr"] = x`` takes effect at the next step.
"""
from collections.abc import MutableMapping
from ctypes import c_double, c_int64, c_uint64

import numpy as np

from .._convert import Owned, int64_argument, read_string
from .._lib import check, error, lib
from .._modes import enable_grad
from ..tensor import Tensor, call

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "Adam", "AdamW", "RMSprop", "Adamax", "NAdam"]

_FLAGS = {"nesterov", "amsgrad", "centered", "maximize"}


class _OptimizerHandle(Owned):
    """Owns one optimizer handle."""

    __slots__ = ()
    release = staticmethod(lib.gs_optim_release)


def _as_groups(params):
    """``params`` as a list of group dicts (PyTorch's rules: Tensors or dicts, in an ordered collection)."""
    if isinstance(params, (Tensor, set)):
        raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                        f"but got {type(params).__name__}")
    params = list(params)
    if params and all(isinstance(p, dict) for p in params):
        return [dict(g) for g in params]
    if any(isinstance(p, dict) for p in params):
        raise TypeError("params must be all Tensors or all dicts (parameter groups)")
    return [{"params": params}]


class Optimizer:
    """Base class: holds ``param_groups`` (dicts with ``"params"`` and options, ``defaults``
    filling missing options) and zeroes gradients.

    Subclass it and define ``step()`` for a pure-Python optimizer, as in PyDyNet; ``params`` is
    the list of every group's tensors.
    """

    def __init__(self, params, defaults=None):
        self.defaults = dict(defaults or {})
        self.param_groups = []
        for group in _as_groups(params):
            self.add_param_group(group)

    @property
    def params(self):
        """Every group's tensors, group after group."""
        return [p for group in self.param_groups for p in group["params"]]

    @params.setter
    def params(self, tensors):
        """Replaces the groups by one group of ``tensors`` (PyDyNet subclasses assign it)."""
        self.param_groups = []
        self.add_param_group({"params": list(tensors)})

    def _checked_group(self, group):
        """``group`` with its tensors checked and the defaults filled in (PyTorch's errors)."""
        if not isinstance(group, dict):
            raise TypeError(f"param_group must be a dict, got {type(group).__name__}")
        params = group.get("params")
        if params is None:
            raise KeyError("param_group has no 'params'")
        params = [params] if isinstance(params, Tensor) else params
        if isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, not a set")
        params = list(params)
        start = len(self.params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {start + i} is a {type(p).__name__}, not a Tensor")
        existing = {id(p) for p in self.params}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        checked = dict(group, params=params)
        for name, default in self.defaults.items():
            checked.setdefault(name, default)
        return checked

    def add_param_group(self, param_group):
        """Adds a group (a dict with ``"params"``; missing options take ``defaults``)."""
        self.param_groups.append(self._checked_group(param_group))

    def step(self, closure=None):
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


class _Settings:
    """The option names of an engine optimizer and the conversions between its option arrays and
    PyTorch's group keys (``betas`` for ``beta1``/``beta2``, bools for flags). Held by the
    optimizer and its groups (so groups do not keep the optimizer in a reference cycle)."""

    __slots__ = ("_engine", "kind", "names", "keys")

    def __init__(self, engine, kind):
        self._engine, self.kind = engine, kind
        count = c_int64()
        check(lib.gs_optim_option_count(engine.handle, count))
        self.names = [read_string(lib.gs_optim_option_name, engine.handle, c_int64(i)) for i in range(count.value)]
        others = [n for n in self.names if n not in ("beta1", "beta2")]
        self.keys = (["betas"] if "beta1" in self.names else []) + others

    def array(self, options):
        """The engine's option array for a mapping of group keys."""
        if "betas" in self.keys and len(tuple(options["betas"])) != 2:
            raise ValueError(f"{self.kind}: betas must be a pair, got {options['betas']!r}")
        values = []
        for name in self.names:
            value = tuple(options["betas"])[name == "beta2"] if name in ("beta1", "beta2") else options[name]
            if name in _FLAGS and not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{self.kind}: {name} must be a bool, got {type(value).__name__}")
            values.append(float(value))
        return (c_double * len(values))(*values)

    def read(self, index):
        """Group ``index``'s options as group keys."""
        values = (c_double * len(self.names))()
        check(lib.gs_optim_group_options(self._engine.handle, index, values, len(values)))
        named = dict(zip(self.names, values))
        options = {"betas": (named.pop("beta1"), named.pop("beta2"))} if "beta1" in named else {}
        options.update((k, bool(v) if k in _FLAGS else v) for k, v in named.items())
        return options

    def write(self, index, options):
        """Sets group ``index``'s options (checked by the engine)."""
        array = self.array(options)
        check(lib.gs_optim_set_group_options(self._engine.handle, index, array, len(array)))

    def lr(self, index):
        """Group ``index``'s learning rate."""
        out = c_double()
        check(lib.gs_optim_group_lr(self._engine.handle, index, out))
        return out.value

    def set_lr(self, index, value):
        """Sets group ``index``'s learning rate."""
        check(lib.gs_optim_set_group_lr(self._engine.handle, index, float(value)))


class _ParamGroup(MutableMapping):
    """One group of an engine optimizer: ``"params"``, ``"lr"`` and the options read and write
    the engine; other keys (``"initial_lr"`` set by schedules, user keys) are kept here."""

    __slots__ = ("_settings", "_index", "_params", "_extra")

    def __init__(self, settings, index, params, extra):
        self._settings, self._index, self._params, self._extra = settings, index, params, dict(extra)

    def __getitem__(self, key):
        if key == "params":
            return self._params
        if key == "lr":
            return self._settings.lr(self._index)
        if key in self._settings.keys:
            return self._settings.read(self._index)[key]
        return self._extra[key]

    def __setitem__(self, key, value):
        if key == "params":
            raise TypeError("a parameter group's params are fixed when it is added (use add_param_group)")
        if key == "lr":
            self._settings.set_lr(self._index, value)
        elif key in self._settings.keys:
            options = self._settings.read(self._index)
            options[key] = value
            self._settings.write(self._index, options)
        else:
            self._extra[key] = value

    def __delitem__(self, key):
        if key in self._extra:
            del self._extra[key]
        elif key in ("params", "lr") or key in self._settings.keys:
            raise TypeError(f"'{key}' cannot be removed from a parameter group")
        else:
            raise KeyError(key)

    def __iter__(self):
        yield from ("params", "lr", *self._settings.keys, *self._extra)

    def __len__(self):
        return 2 + len(self._settings.keys) + len(self._extra)

    def __repr__(self):
        return repr(dict(self))


class _EngineOptimizer(Optimizer):
    """An optimizer implemented in the engine. Subclasses set ``_constructor`` (the first
    group's typed C constructor) and ``_constructor_args(group)``."""

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        groups = _as_groups(params)
        if not groups[0]["params"] and len(groups) == 1:
            raise ValueError("optimizer got an empty parameter list")
        first = self._checked_group(groups[0])
        handles = (c_uint64 * max(len(first["params"]), 1))(*[p._h for p in first["params"]])
        out = c_uint64()
        lr = first["lr"]
        st = self._constructor(handles, len(first["params"]), float(lr), *self._constructor_args(first), out)
        if st:
            raise error(st)
        self._engine = _OptimizerHandle(out.value)
        self._settings = _Settings(self._engine, type(self).__name__)
        self._settings.write(0, first)
        self.param_groups.append(_ParamGroup(self._settings, 0, first["params"], self._extra(first)))
        for group in groups[1:]:
            self.add_param_group(group)

    def _count(self, cfn):
        out = c_int64()
        check(cfn(self._engine.handle, out))
        return out.value

    def _extra(self, group):
        return {k: v for k, v in group.items() if k not in ("params", "lr") and k not in self._settings.keys}

    def add_param_group(self, param_group):
        """Adds a group (a dict with ``"params"``; missing options take ``defaults``)."""
        group = self._checked_group(param_group)
        handles = (c_uint64 * max(len(group["params"]), 1))(*[p._h for p in group["params"]])
        array = self._settings.array(group)
        check(lib.gs_optim_add_group(self._engine.handle, handles, len(group["params"]), float(group["lr"]),
                                     array, len(array)))
        self.param_groups.append(_ParamGroup(self._settings, len(self.param_groups), group["params"], self._extra(group)))

    @property
    def lr(self):
        """The first group's learning rate; setting it sets every group's."""
        out = c_double()
        check(lib.gs_optim_lr(self._engine.handle, out))
        return out.value

    @lr.setter
    def lr(self, value):
        check(lib.gs_optim_set_lr(self._engine.handle, float(value)))

    def step(self, closure=None):
        """Updates every parameter that has a gradient (one library call). ``closure``, when
        given, is called first (with gradients enabled) and its result returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        check(lib.gs_optim_step(self._engine.handle))
        return loss

    def zero_grad(self, set_to_none=True):
        """Zeroes every parameter's gradient (one library call); ``set_to_none`` as in
        ``Optimizer.zero_grad``."""
        check(lib.gs_optim_zero_grad(self._engine.handle))

    def _state_names(self):
        return [read_string(lib.gs_optim_state_name, self._engine.handle, c_int64(i))
                for i in range(self._count(lib.gs_optim_state_count))]

    def _state_tensor(self, name):
        return call(lib.gs_optim_state, self._engine.handle, name.encode())

    def state_dict(self):
        """``{"kind", "lr", "step", "state": {parameter index: {buffer: array}}, "param_groups":
        [group options with "params" as parameter indices]}`` (copies)."""
        steps = c_int64()
        check(lib.gs_optim_step_count(self._engine.handle, steps))
        state = {}
        for name in self._state_names():
            index, buffer = name.split(".", 1)
            state.setdefault(int(index), {})[buffer] = self._state_tensor(name).numpy().copy()
        groups, start = [], 0
        for group in self.param_groups:
            count = len(group["params"])
            groups.append(dict(group, params=list(range(start, start + count))))
            start += count
        return {"kind": type(self).__name__, "lr": self.lr, "step": steps.value, "state": state,
                "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restores a ``state_dict()`` of the same optimizer class over parameter groups of the
        same sizes and parameters of the same shapes; everything is checked before anything changes."""
        kind = state_dict.get("kind")
        if kind != type(self).__name__:
            raise ValueError(f"load_state_dict: the state is for {kind}, this optimizer is {type(self).__name__}")
        groups = state_dict.get("param_groups")
        if groups is not None:
            if len(groups) != len(self.param_groups):
                raise ValueError("loaded state dict has a different number of parameter groups")
            if any(len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group")
        previous = [{k: v for k, v in group.items() if k != "params"} for group in self.param_groups]
        try:
            if groups is None:
                self.lr = state_dict["lr"]
            else:
                for group, saved in zip(self.param_groups, groups):
                    for key, value in saved.items():
                        if key != "params":
                            group[key] = value
            staged = self._staged_state(state_dict)  # the options decide which buffers exist
            step = int64_argument("load_state_dict: step", state_dict["step"])
            if step < 0:
                raise ValueError(f"load_state_dict: step {step} is negative")
        except BaseException:
            for group, settings in zip(self.param_groups, previous):
                group.update(settings)
            raise
        check(lib.gs_optim_set_step_count(self._engine.handle, step))
        for target, value in staged:
            target.data[...] = value

    def _staged_state(self, state_dict):
        """(buffer tensor, checkpoint array) pairs, every name and shape checked."""
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
        return staged


class SGD(_EngineOptimizer):
    """``SGD(params, lr, momentum=0.5, weight_decay=0., nesterov=True, *, maximize=False)``
    (PyDyNet's defaults).

    Momentum as PyTorch: ``b = momentum*b + g``, ``p -= lr*b`` — the same steps as PyDyNet's
    ``v = momentum*v + lr*g`` at a fixed rate. Nesterov as PyTorch, ``p -= lr*(g + momentum*b)``:
    PyDyNet's Nesterov step (``p -= v + lr*g``) is not Nesterov's method.
    """

    _constructor = lib.gs_sgd_new

    def __init__(self, params, lr, momentum=.5, weight_decay=0., nesterov=True, *, maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov

    @staticmethod
    def _constructor_args(g):
        return float(g["momentum"]), float(g["weight_decay"]), bool(g["nesterov"])


class Adagrad(_EngineOptimizer):
    """``Adagrad(params, lr=1e-2, weight_decay=0, eps=1e-10, *, maximize=False)``:
    ``G += g²``, ``p -= lr*g/sqrt(G + eps)``."""

    _constructor = lib.gs_adagrad_new

    def __init__(self, params, lr=1e-2, weight_decay=0, eps=1e-10, *, maximize=False):
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, eps=eps, maximize=maximize))
        self.weight_decay, self.eps = weight_decay, eps

    @staticmethod
    def _constructor_args(g):
        return float(g["weight_decay"]), float(g["eps"])


class Adadelta(_EngineOptimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, weight_decay=0, eps=1e-6, *, maximize=False)``,
    Zeiler's method as PyTorch implements it (PyDyNet's Adadelta keeps no running average of the
    updates, which makes it RMSprop)."""

    _constructor = lib.gs_adadelta_new

    def __init__(self, params, lr=1.0, rho=0.9, weight_decay=0, eps=1e-6, *, maximize=False):
        super().__init__(params, dict(lr=lr, rho=rho, weight_decay=weight_decay, eps=eps, maximize=maximize))
        self.rho, self.weight_decay, self.eps = rho, weight_decay, eps

    @staticmethod
    def _constructor_args(g):
        return float(g["rho"]), float(g["weight_decay"]), float(g["eps"])


def _betas(g):
    betas = tuple(g["betas"])
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair, got {g['betas']!r}")
    return float(betas[0]), float(betas[1])


class Adam(_EngineOptimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
    maximize=False)`` with PyDyNet's formula: ``p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m /
    (sqrt(v) + eps)`` (``amsgrad``: the running maximum of ``v`` in the step)."""

    _constructor = lib.gs_adam_new

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))
        (self.beta1, self.beta2), self.eps, self.weight_decay = betas, eps, weight_decay

    @staticmethod
    def _constructor_args(g):
        return (*_betas(g), float(g["eps"]), float(g["weight_decay"]))


class AdamW(_EngineOptimizer):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
    maximize=False)``, PyTorch's formula: ``p *= 1 - lr*weight_decay``, then
    ``p -= lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)``."""

    _constructor = lib.gs_adamw_new

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    @staticmethod
    def _constructor_args(g):
        return (*_betas(g), float(g["eps"]), float(g["weight_decay"]), bool(g["amsgrad"]), bool(g["maximize"]))


class RMSprop(_EngineOptimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
    maximize=False)``, PyTorch's formula."""

    _constructor = lib.gs_rmsprop_new

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize))

    @staticmethod
    def _constructor_args(g):
        return (float(g["alpha"]), float(g["eps"]), float(g["weight_decay"]), float(g["momentum"]),
                bool(g["centered"]), bool(g["maximize"]))


class Adamax(_EngineOptimizer):
    """``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False)``,
    PyTorch's formula: ``u = max(b2*u, |g| + eps)``, ``p -= lr/(1 - b1^t) * m/u``."""

    _constructor = lib.gs_adamax_new

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    @staticmethod
    def _constructor_args(g):
        return (*_betas(g), float(g["eps"]), float(g["weight_decay"]), bool(g["maximize"]))


class NAdam(_EngineOptimizer):
    """``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, *,
    maximize=False)``, PyTorch's formula (momentum schedule ``mu_t = b1*(1 - 0.96^(t*momentum_decay)/2)``)."""

    _constructor = lib.gs_nadam_new

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3, *,
                 maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize))

    @staticmethod
    def _constructor_args(g):
        return (*_betas(g), float(g["eps"]), float(g["weight_decay"]), float(g["momentum_decay"]),
                bool(g["maximize"]))
