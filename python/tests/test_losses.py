"""PyTorch's pointwise losses (l1_loss, smooth_l1_loss, huber_loss, binary_cross_entropy with
probabilities and with logits, kl_div), functional and as layers: values and gradients against
NumPy references written from the definitions, extremes, dtypes, reprs, buffers and errors. The
golden files check them in float32 and float64 through Swift, C and Python."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.nn.functional as F
from gradswift import nn
from helpers import assert_close, live_handles, randn, run, weight

FLOATS = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]


def reduce(terms, reduction, batch=None):
    return {"none": terms, "sum": terms.sum(), "mean": terms.mean(),
            "batchmean": terms.sum() / (batch or 1)}[reduction]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_smooth_l1_and_huber_with_broadcasting(reduction, dtype):
    x, t = randn((4, 3), dtype, 1) * 2, randn((3,), dtype, 2)
    d = x.astype(np.float64) - t
    cases = {
        "l1": (lambda m, a, b: F.l1_loss(a, b, reduction=reduction), np.abs(d), np.sign(d)),
        "smooth_l1": (lambda m, a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.8),
                      np.where(np.abs(d) < 0.8, 0.5 * d * d / 0.8, np.abs(d) - 0.4),
                      np.where(np.abs(d) < 0.8, d / 0.8, np.sign(d))),
        "huber": (lambda m, a, b: F.huber_loss(a, b, reduction=reduction, delta=0.8),
                  np.where(np.abs(d) < 0.8, 0.5 * d * d, 0.8 * (np.abs(d) - 0.4)),
                  np.where(np.abs(d) < 0.8, d, 0.8 * np.sign(d))),
    }
    for name, (fn, terms, slope) in cases.items():
        w = weight((4, 3), dtype) if reduction == "none" else np.asarray(1.3, dtype)
        value, (gx, gt) = run(gs, fn, [x, t], w)
        assert value.dtype == dtype, name
        assert_close(value, reduce(terms, reduction).astype(dtype), dtype)
        scale = w / (terms.size if reduction == "mean" else 1)
        assert_close(gx, (scale * slope).astype(dtype), dtype)
        assert_close(gt, (-scale * slope).sum(axis=0).astype(dtype), dtype)


def test_smooth_l1_with_beta_zero_is_l1_and_huber_is_delta_times_smooth_l1():
    x, t = gs.Tensor(randn((5, 2), np.float64, 1)), gs.Tensor(randn((5, 2), np.float64, 2))
    assert_close(F.smooth_l1_loss(x, t, beta=0.0).numpy(), F.l1_loss(x, t).numpy(), np.float64)
    assert_close(F.huber_loss(x, t, delta=1.7).numpy(), 1.7 * F.smooth_l1_loss(x, t, beta=1.7).numpy(), np.float64)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_weight(reduction, dtype):
    p = np.random.default_rng(1).uniform(0.05, 0.95, (3, 4)).astype(dtype)
    t = np.random.default_rng(2).uniform(0, 1, (3, 4)).astype(dtype)
    class_weight = np.array([0.5, 1.0, 2.0, 1.5], dtype)
    w = weight((3, 4), dtype) if reduction == "none" else np.asarray(0.7, dtype)
    value, (gp, gt) = run(gs, lambda m, a, b: F.binary_cross_entropy(a, b, gs.Tensor(class_weight), reduction=reduction),
                          [p, t], w)
    p64, t64 = p.astype(np.float64), t.astype(np.float64)
    terms = -class_weight * (t64 * np.log(p64) + (1 - t64) * np.log1p(-p64))
    assert_close(value, reduce(terms, reduction).astype(dtype), dtype)
    scale = w / (terms.size if reduction == "mean" else 1)
    assert_close(gp, (scale * -class_weight * (t64 / p64 - (1 - t64) / (1 - p64))).astype(dtype), dtype)
    assert_close(gt, (scale * -class_weight * (np.log(p64) - np.log1p(-p64))).astype(dtype), dtype)


def test_binary_cross_entropy_at_zero_and_one_is_finite_as_pytorch():
    # each log is bounded below by -100, so a certain wrong answer costs 100
    p = gs.Tensor(np.array([0.0, 1.0, 0.0, 1.0]), requires_grad=True)
    loss = F.binary_cross_entropy(p, gs.Tensor(np.array([1.0, 0.0, 0.0, 1.0])), reduction="none")
    assert np.array_equal(loss.numpy(), [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(p.grad).all()


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_and_pos_weight(reduction, dtype):
    x, t = randn((3, 4), dtype, 1) * 3, np.random.default_rng(2).uniform(0, 1, (3, 4)).astype(dtype)
    pos_weight, sample_weight = np.array([1.0, 2.0, 0.5, 3.0], dtype), np.array([[1.0], [0.5], [2.0]], dtype)
    w = weight((3, 4), dtype) if reduction == "none" else np.asarray(0.7, dtype)
    value, (gx, gt) = run(gs, lambda m, a, b: F.binary_cross_entropy_with_logits(
        a, b, gs.Tensor(sample_weight), reduction=reduction, pos_weight=gs.Tensor(pos_weight)), [x, t], w)
    x64, t64 = x.astype(np.float64), t.astype(np.float64)
    log_s, log_1ms = -np.logaddexp(0, -x64), -np.logaddexp(0, x64)
    terms = -sample_weight * (pos_weight * t64 * log_s + (1 - t64) * log_1ms)
    assert_close(value, reduce(terms, reduction).astype(dtype), dtype)
    scale = w / (terms.size if reduction == "mean" else 1)
    s = sigmoid(x64)
    assert_close(gx, (scale * -sample_weight * (pos_weight * t64 * (1 - s) - (1 - t64) * s)).astype(dtype), dtype)
    assert_close(gt, (scale * -sample_weight * (pos_weight * log_s - log_1ms)).astype(dtype), dtype)


def test_binary_cross_entropy_with_logits_is_stable_for_large_logits():
    x = gs.Tensor(np.array([-1000.0, 1000.0, 30.0, -30.0]), requires_grad=True)
    t = gs.Tensor(np.array([1.0, 0.0, 1.0, 0.0]))
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    assert_close(loss.numpy(), np.array([1000.0, 1000.0, np.log1p(np.exp(-30.0)), np.log1p(np.exp(-30.0))]),
                 np.float64)
    loss.sum().backward()
    assert_close(x.grad, np.array([-1.0, 1.0, sigmoid(30.0) - 1, sigmoid(-30.0)]), np.float64)
    # equals binary_cross_entropy of the sigmoid where that is accurate
    y = gs.Tensor(randn((3, 2), np.float64, 4))
    target = gs.Tensor(np.full((3, 2), 0.25))
    assert_close(F.binary_cross_entropy_with_logits(y, target).numpy(),
                 F.binary_cross_entropy(F.sigmoid(y), target).numpy(), np.float64)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div_with_zero_targets(reduction, dtype):
    x = np.log(np.random.default_rng(1).dirichlet(np.ones(4), 3)).astype(dtype)
    t = np.random.default_rng(2).dirichlet(np.ones(4), 3)
    t[0, 1] = 0.0  # 0 log 0 counts 0
    t = (t / t.sum(axis=1, keepdims=True)).astype(dtype)
    w = weight((3, 4), dtype) if reduction == "none" else np.asarray(0.9, dtype)
    value, (gx, gt) = run(gs, lambda m, a, b: F.kl_div(a, b, reduction=reduction), [x, t], w)
    x64, t64 = x.astype(np.float64), t.astype(np.float64)
    safe = np.where(t64 > 0, t64, 1.0)
    terms = t64 * (np.log(safe) - x64)
    assert_close(value, reduce(terms, reduction, batch=3).astype(dtype), dtype)
    scale = w / {"mean": terms.size, "batchmean": 3}.get(reduction, 1)
    assert_close(gx, (-scale * t64).astype(dtype), dtype)
    expected_gt = np.where(t64 > 0, scale * (np.log(safe) + 1 - x64), 0.0)
    assert np.isfinite(gt).all()
    assert_close(np.where(t64 > 0, gt, 0), expected_gt.astype(dtype), dtype)


def test_kl_div_with_log_target_equals_probability_target():
    x = gs.Tensor(np.log(np.random.default_rng(1).dirichlet(np.ones(5), 2)))
    t = np.random.default_rng(2).dirichlet(np.ones(5), 2)
    a = F.kl_div(x, gs.Tensor(t), reduction="batchmean")
    b = F.kl_div(x, gs.Tensor(np.log(t)), reduction="batchmean", log_target=True)
    assert_close(a.numpy(), b.numpy(), np.float64)
    assert a.item() > 0


LAYERS = [
    (lambda: nn.L1Loss(), lambda x, t: F.l1_loss(x, t), "L1Loss()"),
    (lambda: nn.SmoothL1Loss(reduction="sum", beta=0.5), lambda x, t: F.smooth_l1_loss(x, t, reduction="sum", beta=0.5),
     "SmoothL1Loss()"),
    (lambda: nn.HuberLoss(delta=2.0), lambda x, t: F.huber_loss(x, t, delta=2.0), "HuberLoss()"),
    (lambda: nn.BCELoss(weight=gs.Tensor([1.0, 2.0])),
     lambda x, t: F.binary_cross_entropy(x, t, gs.Tensor([1.0, 2.0])), "BCELoss()"),
    (lambda: nn.BCEWithLogitsLoss(pos_weight=gs.Tensor([3.0, 1.0])),
     lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=gs.Tensor([3.0, 1.0])), "BCEWithLogitsLoss()"),
    (lambda: nn.KLDivLoss(reduction="batchmean"), lambda x, t: F.kl_div(x.log(), t, reduction="batchmean"),
     "KLDivLoss()"),
]


@pytest.mark.parametrize("make, function, text", LAYERS, ids=[t for _, _, t in LAYERS])
def test_layers_match_functions(make, function, text):
    layer = make()
    assert repr(layer) == text
    x = np.random.default_rng(1).uniform(0.1, 0.9, (3, 2))
    t = np.random.default_rng(2).uniform(0.1, 0.9, (3, 2))
    call = (lambda m, a, b: layer(a.log(), b)) if text == "KLDivLoss()" else (lambda m, a, b: layer(a, b))
    value, grads = run(gs, call, [x, t], np.asarray(1.0))
    expected, expected_grads = run(gs, lambda m, a, b: function(a, b), [x, t], np.asarray(1.0))
    assert_close(value, expected, np.float64)
    for got, want in zip(grads, expected_grads):
        assert_close(got, want, np.float64)


def test_loss_weights_are_buffers_and_settings_rebuild():
    loss = nn.BCEWithLogitsLoss(weight=gs.Tensor([1.0, 2.0]), pos_weight=gs.Tensor([3.0, 1.0]))
    assert sorted(name for name, _ in loss.named_buffers()) == ["pos_weight", "weight"]
    assert sorted(loss.state_dict()) == ["pos_weight", "weight"]
    assert list(loss.parameters()) == []
    x, t = gs.Tensor(randn((2, 2), np.float64)), gs.Tensor(np.full((2, 2), 0.5))
    loss.pos_weight = None
    assert_close(loss(x, t).numpy(), F.binary_cross_entropy_with_logits(x, t, gs.Tensor([1.0, 2.0])).numpy(),
                 np.float64)
    huber = nn.HuberLoss()
    huber.delta = 0.1
    assert_close(huber(x, t).numpy(), F.huber_loss(x, t, delta=0.1).numpy(), np.float64)
    assert list(nn.L1Loss().state_dict()) == []


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.binary_cross_entropy(gs.Tensor([0.5, 1.5]), gs.Tensor([0.0, 1.0])), ValueError,
     "all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(gs.Tensor([0.5, np.nan]), gs.Tensor([0.0, 1.0])), ValueError,
     "between 0 and 1"),
    (lambda: F.binary_cross_entropy(gs.Tensor([0.5, 0.5]), gs.Tensor([1.0])), ValueError,
     "target shape (1,) must equal the input shape (2,)"),
    (lambda: F.binary_cross_entropy(gs.Tensor([0.5]), gs.Tensor([1.0]), gs.Tensor([1, 2])), TypeError,
     "weight must be float16, float32 or float64, got int64"),
    (lambda: F.binary_cross_entropy_with_logits(gs.Tensor([[0.5, 0.5]]), gs.Tensor([[1.0, 0.0]]),
                                                pos_weight=gs.Tensor([1.0, 2.0, 3.0])), ValueError,
     "pos_weight of shape (3,) must broadcast to the input shape (1, 2)"),
    (lambda: F.smooth_l1_loss(gs.Tensor([1.0]), gs.Tensor([0.0]), beta=-1), ValueError,
     "beta must be a finite number >= 0, got -1.0"),
    (lambda: F.huber_loss(gs.Tensor([1.0]), gs.Tensor([0.0]), delta=0), ValueError,
     "delta must be a finite number > 0, got 0.0"),
    (lambda: nn.HuberLoss(delta=float("nan")), ValueError, "delta must be a finite number > 0"),
    (lambda: F.l1_loss(gs.Tensor([1.0, 2.0]), gs.Tensor([1.0, 2.0, 3.0])), ValueError, "broadcast"),
    (lambda: F.mse_loss(gs.Tensor([1.0]), gs.Tensor([1.0]), reduction="batchmean"), ValueError,
     "reduction must be 'mean', 'sum' or 'none', got 'batchmean'"),
    (lambda: F.kl_div(gs.Tensor([1.0]), gs.Tensor([1.0]), reduction="avg"), ValueError,
     "reduction must be 'mean', 'sum', 'none' or 'batchmean', got 'avg'"),
    (lambda: F.kl_div(gs.Tensor(1.0), gs.Tensor(1.0), reduction="batchmean"), ValueError,
     "'batchmean' needs an input with a batch dimension"),
    (lambda: nn.L1Loss(reduction="batchmean"), ValueError, "reduction must be 'mean', 'sum' or 'none'"),
])
def test_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


def test_int_targets_promote_and_losses_leave_no_handles():
    x = gs.Tensor(randn((4, 2), np.float32), requires_grad=True)
    # NumPy's promotion, as everywhere in gradswift: float32 with int64 is float64
    assert F.l1_loss(x, gs.Tensor(np.ones((4, 2), np.int64))).dtype == np.float64
    assert F.l1_loss(x, gs.Tensor(np.ones((4, 2), np.float32))).dtype == np.float32
    for step in range(4):
        total = (F.l1_loss(x, gs.Tensor(np.zeros((4, 2)))) + F.huber_loss(x, gs.Tensor(np.ones(2)))
                 + F.binary_cross_entropy_with_logits(x, gs.Tensor(np.full((4, 2), 0.5)))
                 + F.kl_div(F.log_softmax(x, axis=1), gs.Tensor(np.full((4, 2), 0.5)), reduction="batchmean"))
        total.backward()
        del total
        if step == 0:
            after_first_step = live_handles()
    assert live_handles() == after_first_step
