"""Learning-rate schedules, per parameter group (``get_last_lr()`` gives one rate per group).

ExponentialLR, StepLR, MultiStepLR and CosineAnnealingLR run in the engine with PyTorch's
closed forms (PyDyNet's ExponentialLR and StepLR multiply the current rate again at every step,
so their decay compounds; ours do not). The others follow PyTorch 2's definitions in Python:
LambdaLR and MultiplicativeLR call user functions, ReduceLROnPlateau reacts to metrics, and the
composite SequentialLR and ChainedScheduler drive other schedules. LinearLR, ConstantLR,
CosineAnnealingWarmRestarts and OneCycleLR use PyTorch's closed forms (its documented formulas),
so ChainedScheduler composes schedules by multiplying the factor each applies to its base rate.
"""
import math
from bisect import bisect_right
from ctypes import c_double, c_int64, c_uint64

from .._convert import Owned, int64_argument
from .._lib import check, error, lib
from .optimizer import _EngineOptimizer

__all__ = ["LRScheduler", "_LRScheduler", "ExponentialLR", "StepLR", "MultiStepLR", "CosineAnnealingLR",
           "LambdaLR", "MultiplicativeLR", "LinearLR", "ConstantLR", "CosineAnnealingWarmRestarts",
           "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler"]


class _SchedulerHandle(Owned):
    """Owns one scheduler handle."""

    __slots__ = ()
    release = staticmethod(lib.gs_scheduler_release)


def _per_group(optimizer, name, value):
    """``value`` repeated for each group, or a list with one value per group (PyTorch's rule)."""
    count = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != count:
            raise ValueError(f"expected {count} values for {name}, got {len(value)}")
        return list(value)
    return [value] * count


class LRScheduler:
    """Base class: subclass it and define ``get_lr()`` (the rates at ``self.last_epoch``, a list
    with one per group or one number for all) for a custom schedule. Construction records each
    group's ``initial_lr`` (unless present) and takes the first step, to epoch 0."""

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        self._record_initial_rates(last_epoch)
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def _record_initial_rates(self, last_epoch):
        groups = self.optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        elif any("initial_lr" not in group for group in groups):
            raise ValueError(f"last_epoch={last_epoch} resumes a schedule, but the optimizer has no initial "
                             "learning rate (no schedule was attached to it before)")

    @property
    def base_lr(self):
        """The first group's initial rate (PyDyNet's attribute)."""
        return self.base_lrs[0]

    def get_lr(self):
        """The rates at ``self.last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def _closed_form_lr(self):
        """The rates at ``self.last_epoch`` when it was set by ``step(epoch)``."""
        return self.get_lr()

    def step(self, epoch=None):
        """Advances one epoch (or moves to ``epoch``) and sets each group's rate."""
        if epoch is None:
            self.last_epoch += 1
            rates = self.get_lr()
        else:
            self.last_epoch = epoch
            rates = self._closed_form_lr()
        groups = self.optimizer.param_groups
        rates = list(rates) if isinstance(rates, (list, tuple)) else [rates] * len(groups)
        for group, rate in zip(groups, rates):
            group["lr"] = rate
        self._last_lr = [group["lr"] for group in groups]

    def get_last_lr(self):
        """The rate each group got at the last step."""
        return list(self._last_lr)

    def state_dict(self):
        """The schedule's state: every attribute but the optimizer (and user functions)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict):
        """Restores a ``state_dict()``."""
        self.__dict__.update(state_dict)


_LRScheduler = LRScheduler  # PyDyNet's and older PyTorch's name


class _EngineScheduler(LRScheduler):
    """A schedule computed by the engine; ``optimizer`` must be a built-in optimizer."""

    def __init__(self, optimizer, last_epoch, constructor, *settings):
        if not isinstance(optimizer, _EngineOptimizer):
            raise TypeError(f"{type(self).__name__} needs a gradswift optimizer (SGD, Adam, ...), "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:  # the engine starts from the rates now set: each group's initial_lr
            for group in optimizer.param_groups:
                if "initial_lr" in group:
                    group["lr"] = group["initial_lr"]
        out = c_uint64()
        st = constructor(optimizer._engine.handle, *settings, int64_argument("last_epoch", last_epoch), out)
        if st:
            raise error(st)
        self._engine = _SchedulerHandle(out.value)
        self._record_initial_rates(-1)
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    @property
    def last_epoch(self):
        """The current epoch (0 after construction)."""
        out = c_int64()
        check(lib.gs_scheduler_last_epoch(self._engine.handle, out))
        return out.value

    def get_lr(self):
        """The scheduled rate of each group at the current epoch."""
        rates, epoch = [], self.last_epoch
        for g in range(len(self.base_lrs)):
            out = c_double()
            check(lib.gs_scheduler_group_rate(self._engine.handle, g, epoch, out))
            rates.append(out.value)
        return rates

    def step(self, epoch=None):
        """Advances one epoch, or moves to ``epoch``, and sets the groups' rates (one library call)."""
        if epoch is None:
            check(lib.gs_scheduler_step(self._engine.handle))
        else:
            check(lib.gs_scheduler_jump(self._engine.handle, int64_argument("epoch", epoch)))
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """``{"last_epoch", "base_lrs", "_last_lr"}`` and the schedule's settings."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_engine")}
        return dict(state, last_epoch=self.last_epoch)

    def load_state_dict(self, state_dict):
        """Moves the engine schedule to the saved epoch (setting the groups' rates for it)."""
        self.step(state_dict["last_epoch"])
        self._last_lr = list(state_dict.get("_last_lr", self._last_lr))


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


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(epoch)``; ``lr_lambda`` is a function or one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group(optimizer, "lr_lambda", lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """``base * lr_lambda(last_epoch)`` per group."""
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]


class MultiplicativeLR(LRScheduler):
    """``lr = lr * lr_lambda(epoch)`` at each step after the first; ``lr_lambda`` is a function or
    one per group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group(optimizer, "lr_lambda", lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The current rates times ``lr_lambda(last_epoch)`` (unchanged at epoch 0)."""
        groups = self.optimizer.param_groups
        if self.last_epoch > 0:
            return [group["lr"] * f(self.last_epoch) for group, f in zip(groups, self.lr_lambdas)]
        return [group["lr"] for group in groups]


class LinearLR(LRScheduler):
    """``lr = initial_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters)``."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        if not 0 <= end_factor <= 1:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        if int64_argument("total_iters", total_iters) <= 0:
            raise ValueError(f"total_iters must be positive, got {total_iters}")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The closed form at ``last_epoch``."""
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base * factor for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """``lr = initial_lr * factor`` before epoch ``total_iters``, ``initial_lr`` from then on."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 <= factor <= 1:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor, self.total_iters = factor, int64_argument("total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The closed form at ``last_epoch``."""
        factor = self.factor if self.last_epoch < self.total_iters else 1.0
        return [base * factor for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: ``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``, ``T_cur``
    restarting at 0 after ``T_i`` epochs, ``T_i`` starting at ``T_0`` and multiplied by ``T_mult``
    at each restart. ``step(epoch)`` accepts fractional epochs (batch-level annealing)."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, float(eta_min)
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        """The rates at ``T_cur`` in the current period ``T_i``."""
        cosine = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]

    def step(self, epoch=None):
        """Advances one epoch, or moves to ``epoch`` (a float >= 0), and sets the rates."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        elif epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        elif epoch >= self.T_0:
            if self.T_mult == 1:
                self.T_cur = epoch % self.T_0
            else:
                n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                self.T_i = self.T_0 * self.T_mult ** n
        else:
            self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        for group, rate in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = rate
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin), PyTorch's phases: the rate rises from
    ``max_lr / div_factor`` to ``max_lr`` over ``pct_start`` of ``total_steps``, then anneals to
    ``initial_lr / final_div_factor`` (``three_phase``: back to the initial rate first), by
    cosine or linearly; with ``cycle_momentum``, SGD's and RMSprop's momentum or the Adam
    family's beta1 move inversely between ``max_momentum`` and ``base_momentum``."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, int) or value <= 0:
                    raise ValueError(f"Expected positive integer {name}, but got {value}")
            total_steps = epochs * steps_per_epoch
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        if not 0 <= pct_start <= 1 or not isinstance(pct_start, (int, float)):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self.total_steps, self.anneal_strategy, self.cycle_momentum = total_steps, anneal_strategy, cycle_momentum
        up = float(pct_start * total_steps) - 1
        if three_phase:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                            (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        groups = optimizer.param_groups
        for group, peak in zip(groups, _per_group(optimizer, "max_lr", max_lr)):
            group["initial_lr"] = peak / div_factor
            group["max_lr"] = peak
            group["min_lr"] = group["initial_lr"] / final_div_factor
        if cycle_momentum:
            defaults = getattr(optimizer, "defaults", {})
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
            self._use_beta1 = "betas" in defaults
            bases = _per_group(optimizer, "base_momentum", base_momentum)
            peaks = _per_group(optimizer, "max_momentum", max_momentum)
            if last_epoch == -1:
                for group, low, high in zip(groups, bases, peaks):
                    self._set_momentum(group, high)
                    group["base_momentum"], group["max_momentum"] = low, high
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group, value):
        if self._use_beta1:
            group["betas"] = (value, group["betas"][1])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        """The rates at ``last_epoch`` (and, with ``cycle_momentum``, sets the momentum)."""
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        rates = []
        for group in self.optimizer.param_groups:
            start = 0
            for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    rates.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m_from], group[m_to], pct))
                    break
                start = end
        return rates


class ReduceLROnPlateau(LRScheduler):
    """Multiplies each group's rate by ``factor`` (not below ``min_lr``) when the metric passed to
    ``step(metrics)`` has not improved for more than ``patience`` epochs, then waits ``cooldown``
    epochs. Improvement: ``mode`` "min"/"max", ``threshold_mode`` "rel" (by a factor
    ``1 -/+ threshold``) or "abs"; reductions smaller than ``eps`` are skipped."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if mode not in ("min", "max"):
            raise ValueError("mode " + str(mode) + " is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError("threshold mode " + str(threshold_mode) + " is unknown!")
        self.optimizer = optimizer
        self.min_lrs = _per_group(optimizer, "min_lr", min_lr)
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _is_better(self, value):
        if self.mode == "min":
            bound = self.best * (1 - self.threshold) if self.threshold_mode == "rel" else self.best - self.threshold
            return value < bound
        bound = self.best * (1 + self.threshold) if self.threshold_mode == "rel" else self.best + self.threshold
        return value > bound

    def step(self, metrics):
        """Records the epoch's metric and reduces the rates when it has stopped improving."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(group["lr"])
                new = max(old * self.factor, floor)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]


class SequentialLR(LRScheduler):
    """Runs ``schedulers[i]`` from ``milestones[i-1]`` on (restarted at its epoch 0 there)."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler, but got no scheduler.")
        for i, s in enumerate(schedulers):
            if s.optimizer is not optimizer:
                raise ValueError(f"{type(self).__name__} expects all schedulers to belong to the same optimizer, "
                                 f"but got scheduler at index {i} with a different optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError("Sequential Schedulers expects number of schedulers provided to be one more than the "
                             f"number of milestone points, but got number of schedulers {len(schedulers)} and the "
                             f"number of milestones to be equal to {len(milestones)}")
        self.optimizer, self._schedulers, self._milestones = optimizer, list(schedulers), list(milestones)
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._schedulers[0].step(0)
        self._last_lr = self._schedulers[0].get_last_lr()

    def step(self):
        """Advances one epoch with the scheduler in charge (restarting it at a milestone)."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler.step(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """Its epoch and milestones, and each scheduler's state."""
        return {"last_epoch": self.last_epoch, "_milestones": self._milestones, "_last_lr": self._last_lr,
                "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict):
        """Restores a ``state_dict()`` into this scheduler and its schedulers."""
        for s, saved in zip(self._schedulers, state_dict["_schedulers"]):
            s.load_state_dict(saved)
        self.last_epoch, self._milestones = state_dict["last_epoch"], list(state_dict["_milestones"])
        self._last_lr = list(state_dict["_last_lr"])


class ChainedScheduler(LRScheduler):
    """Steps every scheduler at each ``step()``; each group's rate is its initial rate times
    the product of the factors (rate over initial rate) the schedulers set."""

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler to be chained, but got no scheduler.")
        self.optimizer = optimizer if optimizer is not None else schedulers[0].optimizer
        for i, s in enumerate(schedulers):
            if s.optimizer is not self.optimizer:
                raise ValueError(f"{type(self).__name__} expects all schedulers to belong to the same optimizer, "
                                 f"but got scheduler at index {i} with a different optimizer")
        self._schedulers = list(schedulers)
        self._combine()

    def _combine(self):
        groups = self.optimizer.param_groups
        rates = []
        for g, group in enumerate(groups):
            base = group["initial_lr"]
            rate = base
            for s in self._schedulers:
                rate *= s.get_last_lr()[g] / base if base else 0.0
            rates.append(rate)
        for group, rate in zip(groups, rates):
            group["lr"] = rate
        self._last_lr = rates

    def step(self):
        """Steps every scheduler and sets the combined rates."""
        for s in self._schedulers:
            s.step()
        self._combine()

    def state_dict(self):
        """Each scheduler's state."""
        return {"_last_lr": self._last_lr, "_schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state_dict):
        """Restores a ``state_dict()`` into the schedulers."""
        for s, saved in zip(self._schedulers, state_dict["_schedulers"]):
            s.load_state_dict(saved)
        self._last_lr = list(state_dict["_last_lr"])
