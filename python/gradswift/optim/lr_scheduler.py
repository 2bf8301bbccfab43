"""Learning-rate schedules (PyDyNet 1.1's names). The built-in ones run in the engine with
PyTorch's closed forms: PyDyNet's ExponentialLR and StepLR multiply the current rate again at
every step, so their decay compounds; ours do not. ``get_last_lr()`` returns the rate now in
use (PyTorch's meaning; PyDyNet returns the one before the last step).
"""
from ctypes import c_double, c_int64, c_uint64

from .._convert import Owned, int64_argument
from .._lib import check, error, lib
from .optimizer import _EngineOptimizer

__all__ = ["_LRScheduler", "ExponentialLR", "StepLR", "MultiStepLR", "CosineAnnealingLR"]


class _SchedulerHandle(Owned):
    """Owns one scheduler handle."""

    __slots__ = ()
    release = staticmethod(lib.gs_scheduler_release)


class _LRScheduler:
    """Base class: subclass it and define ``get_lr()`` (the rate at ``self.last_epoch``) for a
    custom schedule, as in PyDyNet. Construction takes the first step (to epoch 0)."""

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        if last_epoch == -1:
            if not hasattr(optimizer, "initial_lr"):
                optimizer.initial_lr = optimizer.lr
        elif not hasattr(optimizer, "initial_lr"):
            raise ValueError(f"last_epoch={last_epoch} resumes a schedule, but the optimizer has no initial_lr")
        self.base_lr = optimizer.initial_lr
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        """The rate at ``self.last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def step(self):
        """Advances one epoch and sets the optimizer's rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.get_lr()

    def get_last_lr(self):
        """The rate now in use."""
        return self.optimizer.lr


class _EngineScheduler(_LRScheduler):
    """A schedule computed by the engine; ``optimizer`` must be a built-in optimizer."""

    def __init__(self, optimizer, last_epoch, constructor, *settings):
        if not isinstance(optimizer, _EngineOptimizer):
            raise TypeError(f"{type(self).__name__} needs a gradswift optimizer (SGD, Adam, ...), "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        out = c_uint64()
        st = constructor(optimizer._engine.handle, *settings, int64_argument("last_epoch", last_epoch), out)
        if st:
            raise error(st)
        self._engine = _SchedulerHandle(out.value)
        if not hasattr(optimizer, "initial_lr"):  # only reachable with last_epoch == -1
            optimizer.initial_lr = self.get_lr()
        self.base_lr = optimizer.initial_lr

    @property
    def last_epoch(self):
        """The current epoch (0 after construction)."""
        out = c_int64()
        check(lib.gs_scheduler_last_epoch(self._engine.handle, out))
        return out.value

    def get_lr(self):
        """The scheduled rate at the current epoch."""
        out = c_double()
        check(lib.gs_scheduler_rate(self._engine.handle, c_int64(self.last_epoch), out))
        return out.value

    def step(self):
        """Advances one epoch and sets the optimizer's rate (one library call)."""
        check(lib.gs_scheduler_step(self._engine.handle))


class ExponentialLR(_EngineScheduler):
    """``lr = initial_lr * gamma**epoch``."""

    def __init__(self, optimizer, gamma=0.1, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, lib.gs_exponential_lr_new, float(gamma))


class StepLR(_EngineScheduler):
    """``lr = initial_lr * gamma**(epoch // step_size)``."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch, lib.gs_step_lr_new, int64_argument("step_size", step_size), float(gamma))


class MultiStepLR(_EngineScheduler):
    """``lr = initial_lr * gamma**(number of milestones <= epoch)``."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(int64_argument("milestone", m) for m in milestones), gamma
        array = (c_int64 * max(len(self.milestones), 1))(*self.milestones)
        super().__init__(optimizer, last_epoch, lib.gs_multistep_lr_new, array, len(self.milestones), float(gamma))


class CosineAnnealingLR(_EngineScheduler):
    """``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``."""

    def __init__(self, optimizer, T_max, eta_min=0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch, lib.gs_cosine_annealing_lr_new, int64_argument("T_max", T_max), float(eta_min))
