"""Optimizers and learning-rate schedules against PyDyNet 1.1, or against NumPy references of
PyTorch's formulas where PyDyNet is wrong (SGD with Nesterov, Adadelta, ExponentialLR, StepLR)."""
import math

import numpy as np
import pytest

import gradswift as gs
import gradswift.optim as gs_optim
from helpers import TOLERANCES, live_handles, pdn, reset_reference

import pydynet.optim as pd_optim  # noqa: E402  (helpers silences PyDyNet's import warning)

SHAPES = [(3, 4), (4,), (2, 1, 3)]


def problem(dtype, seed=0):
    """Initial parameters and fixed inputs of a small least-squares-like loss."""
    r = np.random.default_rng(seed)
    params = [r.standard_normal(s).astype(dtype) for s in SHAPES]
    targets = [r.standard_normal(s).astype(dtype) for s in SHAPES]
    return params, targets


def loss_of(mod, tensors, targets, step):
    """sum((p - t)^2 * (step + 1)) + sum(p^3): varying gradients from step to step."""
    total = None
    for p, t in zip(tensors, targets):
        term = (((p - mod.Tensor(t)) ** 2) * (step + 1)).sum() + (p * p * p).sum()
        total = term if total is None else total + term
    return total


def train(mod, optim_module, name, kwargs, dtype, steps=5, params_as=None):
    """Parameters after ``steps`` optimizer steps."""
    params, targets = problem(dtype)
    if mod is pdn:
        reset_reference()
    tensors = [mod.Tensor(p.copy(), requires_grad=True) for p in params]
    if params_as is not None:
        tensors = [params_as(t) for t in tensors]
    opt = getattr(optim_module, name)(tensors, **kwargs)
    for step in range(steps):
        opt.zero_grad()
        loss_of(mod, tensors, targets, step).backward()
        opt.step()
    return [t.numpy() for t in tensors]


PYDYNET_CASES = [
    ("SGD", dict(lr=0.01, momentum=0.0, nesterov=False)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=False)),
    ("SGD", dict(lr=0.01, momentum=0.5, weight_decay=0.1, nesterov=False)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.05, eps=1e-8)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", PYDYNET_CASES)
def test_matches_pydynet_after_five_steps(name, kwargs, dtype):
    ours = train(gs, gs_optim, name, kwargs, dtype)
    theirs = train(pdn, pd_optim, name, kwargs, dtype)
    for a, b in zip(ours, theirs):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, **TOLERANCES[np.dtype(dtype)])


def test_parameters_may_be_plain_tensors_or_parameters():
    as_parameter = gs.nn.Parameter
    a = train(gs, gs_optim, "Adam", dict(lr=0.01), np.float64)
    b = train(gs, gs_optim, "Adam", dict(lr=0.01), np.float64, params_as=as_parameter)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def numpy_reference(name, kwargs, dtype, steps=5):
    """PyTorch's SGD (Nesterov) and Adadelta in NumPy, on the same problem."""
    params, targets = problem(dtype)
    params = [p.astype(np.float64) for p in params]
    state = [dict() for _ in params]
    for step in range(steps):
        for i, (p, t) in enumerate(zip(params, targets)):
            g = 2 * (p - t) * (step + 1) + 3 * p * p + kwargs.get("weight_decay", 0) * p
            s = state[i]
            if name == "SGD":
                b = kwargs["momentum"] * s.get("b", 0) + g
                s["b"] = b
                p -= kwargs["lr"] * (g + kwargs["momentum"] * b)
            else:
                rho, eps, lr = kwargs.get("rho", 0.9), kwargs.get("eps", 1e-6), kwargs.get("lr", 1.0)
                s["v"] = rho * s.get("v", 0) + (1 - rho) * g * g
                delta = np.sqrt(s.get("u", 0) + eps) / np.sqrt(s["v"] + eps) * g
                s["u"] = rho * s.get("u", 0) + (1 - rho) * delta * delta
                p -= lr * delta
    return params


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.01, momentum=0.5, weight_decay=0.1, nesterov=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.02)),
])
def test_pytorch_formulas_where_pydynet_differs(name, kwargs, dtype):
    # PyDyNet's Nesterov step subtracts v + lr*g (not Nesterov's method) and its Adadelta has
    # no running average of updates (it is RMSprop): we follow PyTorch.
    ours = train(gs, gs_optim, name, kwargs, dtype)
    reference = numpy_reference(name, kwargs, dtype)
    tolerance = dict(rtol=2e-5, atol=1e-6) if dtype == np.float32 else TOLERANCES[np.dtype(dtype)]
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(a, b, **tolerance)


def test_defaults_are_pydynets():
    p = [gs.Tensor(np.ones(2), requires_grad=True)]
    sgd = gs_optim.SGD(p, lr=0.1)
    assert (sgd.momentum, sgd.weight_decay, sgd.nesterov) == (.5, 0., True)
    assert gs_optim.Adam(p).lr == pytest.approx(1e-3)
    assert gs_optim.Adagrad(p).lr == pytest.approx(1e-2)
    assert gs_optim.Adadelta(p).lr == pytest.approx(1.0)


def test_parameters_without_gradient_are_skipped():
    used = gs.Tensor(np.ones(3), requires_grad=True)
    unused = gs.Tensor(np.full(3, 5.0), requires_grad=True)
    opt = gs_optim.Adam([used, unused], lr=0.1)
    (used * 2).sum().backward()
    opt.step()
    np.testing.assert_array_equal(unused.numpy(), np.full(3, 5.0))
    assert np.all(used.numpy() < 1)


def test_zero_grad_zeroes_every_parameter():
    ps = [gs.Tensor(np.ones(3), requires_grad=True) for _ in range(2)]
    opt = gs_optim.SGD(ps, lr=0.1)
    (ps[0] * ps[1]).sum().backward()
    opt.zero_grad()
    for p in ps:
        np.testing.assert_array_equal(p.grad, np.zeros(3))


def test_lr_is_readable_and_settable():
    opt = gs_optim.SGD([gs.Tensor(np.ones(2), requires_grad=True)], lr=0.1, momentum=0)
    opt.lr = 0.5
    assert opt.lr == 0.5
    p = opt.params[0]
    p.sum().backward()
    opt.step()
    np.testing.assert_allclose(p.numpy(), [0.5, 0.5])


@pytest.mark.parametrize("make,message", [
    (lambda p: gs_optim.SGD(p, lr=-1), "learning rate"),
    (lambda p: gs_optim.SGD(p, lr=float("nan")), "learning rate"),
    (lambda p: gs_optim.SGD(p, lr=0.1, momentum=-0.5), "momentum"),
    (lambda p: gs_optim.Adam(p, betas=(1.0, 0.999)), "beta1"),
    (lambda p: gs_optim.Adam(p, betas=(0.9, 1.5)), "beta2"),
    (lambda p: gs_optim.Adam(p, eps=-1), "eps"),
    (lambda p: gs_optim.Adadelta(p, rho=2), "rho"),
    (lambda p: gs_optim.Adagrad(p, weight_decay=-1), "weight_decay"),
])
def test_bad_hyper_parameters_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make([gs.Tensor(np.ones(2), requires_grad=True)])


def test_bad_parameters_raise():
    with pytest.raises(TypeError, match="only float32 and float64"):
        gs_optim.Adam([gs.Tensor(np.ones(2, dtype=np.int64))])
    x = gs.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="not a leaf"):
        gs_optim.Adam([x * 2])
    with pytest.raises(ValueError, match="same tensor"):
        gs_optim.Adam([x, x])
    with pytest.raises(TypeError, match="not a Tensor"):
        gs_optim.Adam([np.ones(2)])


def test_rebinding_a_parameter_to_another_shape_fails_cleanly():
    p = gs.Tensor(np.ones(3), requires_grad=True)
    opt = gs_optim.Adam([p], lr=0.1)
    p.data = np.ones(4)
    p.sum().backward()
    with pytest.raises(RuntimeError, match="parameter 0 is now float64 \\(4,\\)"):
        opt.step()
    np.testing.assert_array_equal(p.numpy(), np.ones(4))


def test_state_dict_round_trip_continues_identically():
    def fresh():
        params, _ = problem(np.float64)
        ts = [gs.Tensor(p.copy(), requires_grad=True) for p in params]
        return ts, gs_optim.Adam(ts, lr=0.02)

    _, targets = problem(np.float64)
    a, opt_a = fresh()
    for step in range(3):
        opt_a.zero_grad()
        loss_of(gs, a, targets, step).backward()
        opt_a.step()
    b, opt_b = fresh()
    for pb, pa in zip(b, a):
        pb.data[...] = pa.numpy()
    state = opt_a.state_dict()
    assert state["step"] == 3 and set(state["state"]) == {0, 1, 2} and set(state["state"][0]) == {"m", "v"}
    opt_b.load_state_dict(state)
    for opt, ts in ((opt_a, a), (opt_b, b)):
        opt.zero_grad()
        loss_of(gs, ts, targets, 3).backward()
        opt.step()
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())


def test_load_state_dict_checks_before_writing():
    ts = [gs.Tensor(np.ones(3), requires_grad=True)]
    opt = gs_optim.Adam(ts, lr=0.1)
    good = opt.state_dict()
    with pytest.raises(ValueError, match="the state is for SGD"):
        opt.load_state_dict(dict(good, kind="SGD"))
    bad = dict(good, lr=7.0, state={0: {"m": np.ones(4), "v": np.ones(3)}})
    with pytest.raises(ValueError, match="has shape"):
        opt.load_state_dict(bad)
    assert opt.lr == pytest.approx(0.1)
    with pytest.raises(KeyError, match="missing state 'v'"):
        opt.load_state_dict(dict(good, state={0: {"m": np.ones(3)}}))


def test_optimizer_base_class_is_subclassable():
    class HalfStep(gs_optim.Optimizer):
        def step(self):
            for p in self.params:
                p.data -= 0.5 * p.grad

    p = gs.Tensor(np.full(2, 4.0), requires_grad=True)
    opt = HalfStep([p])
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_array_equal(p.numpy(), [0., 0.])
    opt.zero_grad()
    np.testing.assert_array_equal(p.grad, [0., 0.])
    with pytest.raises(NotImplementedError):
        gs_optim.Optimizer([p]).step()

    class Assigning(gs_optim.Optimizer):
        def __init__(self, params):  # PyDyNet-style: no super().__init__
            self.defaults = {}
            self.params = params

    q = gs.Tensor(np.ones(2), requires_grad=True)
    assert Assigning([q]).param_groups[0]["params"] == [q]


def test_optimizer_handles_are_released():
    before = live_handles()
    for _ in range(20):
        p = gs.Tensor(np.ones(3), requires_grad=True)
        opt = gs_optim.Adam([p], lr=0.1)
        sched = gs_optim.StepLR(opt, 2)
        p.sum().backward()
        opt.step()
        sched.step()
    del p, opt, sched
    assert live_handles() == before


# ---- schedules ---------------------------------------------------------------------------

def rates(scheduler_class, epochs=12, **kwargs):
    opt = gs_optim.SGD([gs.Tensor(np.ones(1), requires_grad=True)], lr=0.5)
    s = scheduler_class(opt, **kwargs)
    seen = []
    for _ in range(epochs):
        (rate,) = s.get_last_lr()
        seen.append(rate)
        assert opt.lr == rate
        s.step()
    return seen


def test_exponential_lr_is_pytorchs_closed_form():
    # PyDyNet multiplies the current rate by gamma**epoch at each step (compounding).
    np.testing.assert_allclose(rates(gs_optim.ExponentialLR, gamma=0.9), [0.5 * 0.9 ** e for e in range(12)])


def test_step_lr_is_pytorchs_closed_form():
    np.testing.assert_allclose(rates(gs_optim.StepLR, step_size=3, gamma=0.5),
                               [0.5 * 0.5 ** (e // 3) for e in range(12)])


def pydynet_rates(scheduler_class, epochs=12, **kwargs):
    reset_reference()
    opt = pd_optim.SGD([pdn.Tensor(np.ones(1), requires_grad=True)], lr=0.5)
    s = scheduler_class(opt, **kwargs)
    seen = []
    for _ in range(epochs):
        seen.append(opt.lr)
        s.step()
    return seen


def test_multistep_lr_matches_pydynet():
    kwargs = dict(milestones=[2, 5, 5, 9], gamma=0.5)
    np.testing.assert_allclose(rates(gs_optim.MultiStepLR, **kwargs), pydynet_rates(pd_optim.MultiStepLR, **kwargs))


def test_cosine_annealing_lr_is_pytorchs_closed_form():
    # PyDyNet's recursive form reads get_last_lr(), which returns the rate from before the
    # previous step, so from epoch 2 on its rates leave the cosine (0.297 instead of 0.255 here).
    kwargs = dict(T_max=4, eta_min=0.01)
    ours = rates(gs_optim.CosineAnnealingLR, epochs=12, **kwargs)
    np.testing.assert_allclose(ours, [0.01 + 0.49 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(12)])
    np.testing.assert_allclose(ours[:2], pydynet_rates(pd_optim.CosineAnnealingLR, epochs=2, **kwargs))


def test_scheduler_state_and_get_lr():
    opt = gs_optim.Adam([gs.Tensor(np.ones(1), requires_grad=True)], lr=1.0)
    s = gs_optim.StepLR(opt, step_size=2, gamma=0.1)
    assert s.last_epoch == 0 and s.get_lr() == [1.0] and opt.param_groups[0]["initial_lr"] == 1.0
    s.step()
    s.step()
    assert s.last_epoch == 2 and s.get_lr() == pytest.approx([0.1]) and s.get_last_lr() == pytest.approx([0.1])


def test_resuming_a_schedule_with_last_epoch():
    opt = gs_optim.Adam([gs.Tensor(np.ones(1), requires_grad=True)], lr=1.0)
    gs_optim.StepLR(opt, step_size=2, gamma=0.1)
    resumed = gs_optim.StepLR(opt, step_size=2, gamma=0.1, last_epoch=3)
    assert resumed.last_epoch == 4 and opt.lr == pytest.approx(0.01)
    fresh = gs_optim.Adam([gs.Tensor(np.ones(1), requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="no initial learning rate"):
        gs_optim.StepLR(fresh, step_size=2, last_epoch=3)


@pytest.mark.parametrize("make,message", [
    (lambda o: gs_optim.StepLR(o, step_size=0), "step_size"),
    (lambda o: gs_optim.ExponentialLR(o, gamma=-1), "gamma"),
    (lambda o: gs_optim.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: gs_optim.StepLR(o, step_size=2, last_epoch=-5), "last_epoch"),
])
def test_bad_schedule_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make(gs_optim.SGD([gs.Tensor(np.ones(1), requires_grad=True)], lr=0.1))


def test_custom_scheduler_subclass():
    class Halving(gs_optim._LRScheduler):
        def get_lr(self):
            return self.base_lr / 2 ** self.last_epoch

    opt = gs_optim.SGD([gs.Tensor(np.ones(1), requires_grad=True)], lr=0.8)
    s = Halving(opt)
    s.step()
    s.step()
    assert opt.lr == pytest.approx(0.2) and s.get_last_lr() == pytest.approx([0.2])


def test_engine_schedules_need_an_engine_optimizer():
    class Plain(gs_optim.Optimizer):
        lr = 0.1

        def step(self):
            pass

    with pytest.raises(TypeError, match="needs a gradswift optimizer"):
        gs_optim.StepLR(Plain([]), step_size=2)
