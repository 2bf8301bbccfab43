"""Learning-rate schedules against closed forms written from PyTorch's documented formulas,
per parameter group, with step(epoch), state_dict round trips and PyTorch's errors."""
import math

import numpy as np
import pytest

import gradswift as gs
from gradswift.optim import SGD, Adagrad, Adam, AdamW, lr_scheduler as sched
from helpers import live_handles


def optimizer(lrs=(1.0, 0.1), cls=SGD, **kwargs):
    """An optimizer with one group per rate."""
    groups = [{"params": [gs.Tensor(np.ones(1), requires_grad=True)], "lr": lr} for lr in lrs]
    return cls(groups, lr=lrs[0], **kwargs)


def run(scheduler, epochs, metric=None):
    """Each group's rate at epochs 0 .. epochs-1 (rows), read from the optimizer."""
    seen = []
    for _ in range(epochs):
        seen.append([g["lr"] for g in scheduler.optimizer.param_groups])
        assert scheduler.get_last_lr() == pytest.approx(seen[-1])
        scheduler.step()
    return np.array(seen)


def expect(rows, per_epoch, bases=(1.0, 0.1)):
    np.testing.assert_allclose(rows, [[b * per_epoch(e) for b in bases] for e in range(len(rows))], rtol=1e-12)


def test_lambda_lr_per_group_functions():
    opt = optimizer()
    s = sched.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: 1 / (e + 1)])
    rows = run(s, 8)
    np.testing.assert_allclose(rows, [[0.5 ** e, 0.1 / (e + 1)] for e in range(8)])


def test_multiplicative_lr_multiplies_from_epoch_one():
    rows = run(sched.MultiplicativeLR(optimizer(), lambda e: 0.9), 8)
    expect(rows, lambda e: 0.9 ** e)


def test_linear_lr():
    rows = run(sched.LinearLR(optimizer(), start_factor=0.25, end_factor=0.75, total_iters=4), 9)
    expect(rows, lambda e: 0.25 + 0.5 * min(e, 4) / 4)
    np.testing.assert_allclose(rows[:, 0], [0.25, 0.375, 0.5, 0.625, 0.75, 0.75, 0.75, 0.75, 0.75])


def test_constant_lr():
    rows = run(sched.ConstantLR(optimizer(), factor=0.5, total_iters=3), 6)
    np.testing.assert_allclose(rows[:, 0], [0.5, 0.5, 0.5, 1, 1, 1])
    expect(rows, lambda e: 0.5 if e < 3 else 1.0)


def sgdr(epoch, t0, t_mult, eta_min, base):
    """SGDR's closed form (Loshchilov & Hutter; PyTorch's docs)."""
    t_i, t_cur = t0, epoch
    while t_cur >= t_i:
        t_cur, t_i = t_cur - t_i, t_i * t_mult
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


@pytest.mark.parametrize("t_mult", [1, 2, 3])
def test_cosine_annealing_warm_restarts(t_mult):
    rows = run(sched.CosineAnnealingWarmRestarts(optimizer(), T_0=3, T_mult=t_mult, eta_min=0.01), 30)
    np.testing.assert_allclose(rows, [[sgdr(e, 3, t_mult, 0.01, b) for b in (1.0, 0.1)] for e in range(30)],
                               rtol=1e-12, atol=1e-15)
    if t_mult == 2:  # restarts at epochs 3 and 9
        assert rows[3, 0] == pytest.approx(1.0) and rows[9, 0] == pytest.approx(1.0)


def test_cosine_annealing_warm_restarts_fractional_epochs():
    s = sched.CosineAnnealingWarmRestarts(optimizer(), T_0=3, T_mult=2, eta_min=0.0)
    for epoch in [0.5, 2.25, 4.5, 8.75, 9.0, 20.5]:
        s.step(epoch)
        assert s.get_last_lr()[0] == pytest.approx(sgdr(epoch, 3, 2, 0.0, 1.0))
        assert s.last_epoch == math.floor(epoch)
    s.step(4.5)  # T_cur = 1.5 of T_i = 6
    assert s.get_last_lr()[1] == pytest.approx(0.1 * (1 + math.cos(math.pi * 1.5 / 6)) / 2)


def one_cycle(step, total, peak, pct, div, final_div, anneal, three_phase=False):
    """(rate, momentum) of the 1cycle policy at ``step`` (PyTorch's phases)."""
    initial, low = peak / div, peak / div / final_div
    if anneal == "cos":
        def shape(a, b, p):
            return b + (a - b) / 2 * (math.cos(math.pi * p) + 1)
    else:
        def shape(a, b, p):
            return a + (b - a) * p
    up = pct * total - 1
    if three_phase:
        phases = [(0, up, initial, peak, 0.95, 0.85), (up, 2 * pct * total - 2, peak, initial, 0.85, 0.95),
                  (2 * pct * total - 2, total - 1, initial, low, 0.95, 0.95)]
    else:
        phases = [(0, up, initial, peak, 0.95, 0.85), (up, total - 1, peak, low, 0.85, 0.95)]
    for i, (start, end, a, b, ma, mb) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            p = (step - start) / (end - start)
            return shape(a, b, p), shape(ma, mb, p)


@pytest.mark.parametrize("anneal,three_phase", [("cos", False), ("linear", False), ("cos", True), ("linear", True)])
def test_one_cycle_rates_and_sgd_momentum(anneal, three_phase):
    opt = optimizer(cls=SGD, momentum=0.9)
    s = sched.OneCycleLR(opt, max_lr=[1.0, 0.5], total_steps=20, anneal_strategy=anneal, three_phase=three_phase)
    for step in range(20):
        for g, peak in zip(opt.param_groups, (1.0, 0.5)):
            rate, momentum = one_cycle(step, 20, peak, 0.3, 25.0, 1e4, anneal, three_phase)
            assert g["lr"] == pytest.approx(rate, rel=1e-12)
            assert g["momentum"] == pytest.approx(momentum, rel=1e-12)
        if step < 19:
            s.step()
    if anneal == "cos":  # step 20 is allowed (as in PyTorch); the linear anneal would go below zero there
        s.step()
        with pytest.raises(ValueError, match="Tried to step 21 times"):
            s.step()


def test_one_cycle_hand_values_and_adam_beta1():
    opt = optimizer(lrs=(0.1,), cls=Adam, betas=(0.9, 0.99))
    s = sched.OneCycleLR(opt, max_lr=1.0, epochs=2, steps_per_epoch=5)
    rates, betas = [], []
    for _ in range(10):
        rates.append(s.get_last_lr()[0])
        betas.append(opt.param_groups[0]["betas"])
        s.step()
    # 10 steps, pct_start 0.3: rising to step 2, annealing to step 9.
    np.testing.assert_allclose(rates[:3], [0.04, 0.52, 1.0])
    assert rates[9] == pytest.approx(4e-6)
    assert rates[3] == pytest.approx(4e-6 + (1 - 4e-6) / 2 * (math.cos(math.pi / 7) + 1))
    assert [b[0] for b in betas[:3]] == pytest.approx([0.95, 0.9, 0.85]) and betas[9][0] == pytest.approx(0.95)
    assert all(b[1] == pytest.approx(0.99) for b in betas)


def test_one_cycle_errors():
    with pytest.raises(ValueError, match="total_steps OR"):
        sched.OneCycleLR(optimizer(), max_lr=1.0)
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched.OneCycleLR(optimizer(cls=Adagrad), max_lr=1.0, total_steps=10)
    with pytest.raises(ValueError, match="expected 2 values for max_lr"):
        sched.OneCycleLR(optimizer(), max_lr=[1.0], total_steps=10)
    with pytest.raises(ValueError, match="anneal_strategy"):
        sched.OneCycleLR(optimizer(), max_lr=1.0, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="pct_start"):
        sched.OneCycleLR(optimizer(), max_lr=1.0, total_steps=10, pct_start=1.5)


def plateau_rates(metrics, **kwargs):
    opt = optimizer()
    s = sched.ReduceLROnPlateau(opt, **kwargs)
    seen = []
    for m in metrics:
        s.step(m)
        seen.append(s.get_last_lr())
    return np.array(seen)


def test_reduce_lr_on_plateau_min_rel_with_cooldown():
    rows = plateau_rates([10, 9, 9, 9, 9, 8.9999, 9, 9, 9], patience=2, factor=0.5, cooldown=1)
    np.testing.assert_allclose(rows[:, 0], [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25])
    np.testing.assert_allclose(rows[:, 1], rows[:, 0] * 0.1)


def test_reduce_lr_on_plateau_max_abs_and_min_lr():
    rows = plateau_rates([1, 2, 2.05, 2.05, 2.2, 2.2, 2.2, 2.2], mode="max", threshold=0.1, threshold_mode="abs",
                         patience=1, factor=0.1, min_lr=[0.05, 0.0])
    np.testing.assert_allclose(rows[:, 0], [1, 1, 1, 0.1, 0.1, 0.1, 0.05, 0.05])
    np.testing.assert_allclose(rows[:, 1], [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001])


@pytest.mark.parametrize("kwargs,message", [
    (dict(factor=1.0), "Factor should be < 1.0"), (dict(mode="avg"), "mode avg is unknown"),
    (dict(threshold_mode="pct"), "threshold mode pct is unknown"),
])
def test_reduce_lr_on_plateau_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sched.ReduceLROnPlateau(optimizer(), **kwargs)


def test_sequential_lr_restarts_each_schedule_at_its_milestone():
    opt = optimizer()
    warmup = sched.LinearLR(opt, start_factor=0.1, total_iters=2)
    decay = sched.ExponentialLR(opt, gamma=0.5)
    rows = run(sched.SequentialLR(opt, [warmup, decay], milestones=[3]), 7)
    expect(rows, lambda e: [0.1, 0.55, 1.0, 1.0, 0.5, 0.25, 0.125][e])


def test_chained_scheduler_multiplies_the_factors():
    opt = optimizer()
    s = sched.ChainedScheduler([sched.ConstantLR(opt, factor=0.1, total_iters=2), sched.ExponentialLR(opt, gamma=0.9)])
    rows = run(s, 6)
    expect(rows, lambda e: 0.9 ** e * (0.1 if e < 2 else 1))
    np.testing.assert_allclose(rows[:4, 0], [0.1, 0.09, 0.81, 0.729])


def test_engine_schedules_run_per_group_and_jump():
    opt = optimizer()
    s = sched.StepLR(opt, step_size=2, gamma=0.5)
    expect(run(s, 7), lambda e: 0.5 ** (e // 2))
    s.step(1)
    assert s.last_epoch == 1 and s.get_last_lr() == pytest.approx([1.0, 0.1])
    assert s.get_lr() == pytest.approx([1.0, 0.1])


@pytest.mark.parametrize("make", [
    lambda o: sched.LinearLR(o, start_factor=0.2, total_iters=5),
    lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2),
    lambda o: sched.StepLR(o, step_size=2, gamma=0.5),
    lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=12),
])
def test_state_dict_round_trip_continues_the_schedule(make):
    opt_a, opt_b = optimizer(), optimizer()
    a, b = make(opt_a), make(opt_b)
    for _ in range(4):
        a.step()
    b.load_state_dict(a.state_dict())
    opt_b.load_state_dict(opt_a.state_dict())
    for _ in range(5):
        a.step()
        b.step()
        assert b.get_last_lr() == pytest.approx(a.get_last_lr())
        assert [g["lr"] for g in opt_b.param_groups] == pytest.approx([g["lr"] for g in opt_a.param_groups])


@pytest.mark.parametrize("make,message", [
    (lambda o: sched.LinearLR(o, start_factor=0), "Starting multiplicative factor"),
    (lambda o: sched.LinearLR(o, end_factor=2), "Ending multiplicative factor"),
    (lambda o: sched.ConstantLR(o, factor=2), "between 0 and 1"),
    (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=0), "positive integer T_0"),
    (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), "T_mult >= 1"),
    (lambda o: sched.LambdaLR(o, [lambda e: 1.0]), "expected 2 values for lr_lambda"),
    (lambda o: sched.SequentialLR(o, [sched.ConstantLR(o)], milestones=[2]), "one more than the number of milestone"),
    (lambda o: sched.SequentialLR(o, [sched.ConstantLR(optimizer())], milestones=[]), "same optimizer"),
    (lambda o: sched.ChainedScheduler([]), "at least one scheduler"),
])
def test_schedule_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make(optimizer())


def test_cosine_warm_restarts_rejects_negative_epochs():
    s = sched.CosineAnnealingWarmRestarts(optimizer(), T_0=2)
    with pytest.raises(ValueError, match="non-negative epoch"):
        s.step(-1)


def test_schedulers_release_their_handles():
    before = live_handles()
    for _ in range(5):
        opt = optimizer(cls=AdamW)
        s = sched.SequentialLR(opt, [sched.StepLR(opt, 2), sched.OneCycleLR(opt, max_lr=0.1, total_steps=5)],
                               milestones=[2])
        for _ in range(4):
            s.step()
    del opt, s
    assert live_handles() == before


def test_reduce_lr_on_plateau_state_dict_round_trip():
    metrics = [5, 4, 4, 4, 4, 4, 4, 4]
    a = sched.ReduceLROnPlateau(optimizer(), patience=1, factor=0.5)
    for m in metrics[:3]:
        a.step(m)
    b = sched.ReduceLROnPlateau(optimizer(), patience=1, factor=0.5)
    b.load_state_dict(a.state_dict())
    for group, rate in zip(b.optimizer.param_groups, a.get_last_lr()):
        group["lr"] = rate
    for m in metrics[3:]:
        a.step(m)
        b.step(m)
        assert b.get_last_lr() == a.get_last_lr()
    assert a.get_last_lr() == pytest.approx([0.125, 0.0125]) and b.num_bad_epochs == a.num_bad_epochs
