"""Losses (mse_loss, nll_loss, cross_entropy_loss) functional and as layers: values and
gradients against PyDyNet 1.1 in float32 and float64, NumPy references where gradswift follows
PyTorch instead (reduction 'none', NLL with class indices, the mean over N for probability
targets), stability with huge logits, reprs and errors."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.nn.functional as F
from gradswift import nn
from helpers import assert_close, pdn, randn, run, unbroadcast, weight

import pydynet.nn as pd_nn  # noqa: E402
import pydynet.nn.functional as pd_F  # noqa: E402

DTYPES = [np.float32, np.float64]


def functional(mod):
    return F if mod is gs else pd_F


def labels(n, c, seed=0):
    return np.random.default_rng(seed).integers(0, c, n)


def probabilities(n, c, dtype=np.float64, seed=0):
    p = np.random.default_rng(seed).uniform(0.1, 1.0, (n, c))
    return (p / p.sum(1, keepdims=True)).astype(dtype)


def log_softmax_rows(x):
    x = np.asarray(x, dtype=np.float64)
    shifted = x - x.max(1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(1, keepdims=True))


def grads_of(fn, arrays, dtype):
    """(value, gradients) of ``fn(F, *tensors)`` on gradswift, back-propagating 1."""
    return run(gs, lambda m, *t: fn(F, *t), arrays, np.ones((), dtype))


# ---- mse_loss -------------------------------------------------------------------------------

MSE_SHAPES = [((5,), (5,)), ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 4))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shapes", MSE_SHAPES, ids=str)
def test_mse_loss_vs_pydynet(shapes, reduction, dtype):
    pred, target = randn(shapes[0], dtype, seed=1), randn(shapes[1], dtype, seed=2)
    fn = lambda m, p, t: functional(m).mse_loss(p, t, reduction=reduction)  # noqa: E731
    w = weight((), dtype)
    ref_value, ref_grads = run(pdn, fn, [pred, target], w)
    value, grads = run(gs, fn, [pred, target], w)
    assert_close(value, ref_value)
    for g, ref in zip(grads, ref_grads):  # the target requires grad too: both get gradients
        assert_close(g, ref.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shapes", MSE_SHAPES + [((2, 3, 4), (3, 1)), ((4, 1), (2, 1, 3))], ids=str)
def test_mse_loss_matches_numpy(shapes, reduction, dtype):
    # reduction='none' is PyTorch's (PyDyNet raises ValueError for it); the last shapes break
    # PyDyNet's own backward (its un-broadcasting is right only for equal ranks or no size-1 axes).
    pred, target = randn(shapes[0], dtype, seed=3), randn(shapes[1], dtype, seed=4)
    d = pred.astype(np.float64) - target.astype(np.float64)
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction]
    w = weight(np.shape(reduce(d)), dtype)
    value, (gp, gt) = run(gs, lambda m, p, t: F.mse_loss(p, t, reduction), [pred, target], w)
    assert_close(value, np.asarray(reduce(d * d), dtype=dtype))
    full = 2 * d * w / (d.size if reduction == "mean" else 1)
    assert_close(gp, unbroadcast(full, pred.shape).astype(dtype), dtype)
    assert_close(gt, unbroadcast(-full, target.shape).astype(dtype), dtype)


def test_mse_loss_with_array_target_and_mixed_dtypes():
    pred = gs.Tensor(np.array([1.0, 2.0, 4.0], dtype=np.float32), requires_grad=True)
    loss = F.mse_loss(pred, np.array([0.0, 2.0, 2.0], dtype=np.float32))
    assert loss.dtype == np.float32
    assert_close(loss.numpy(), np.float32(5 / 3))
    loss.backward()
    assert_close(pred.grad, np.array([2 / 3, 0.0, 4 / 3], dtype=np.float32))
    # int targets promote as NumPy does (float32 - int64 -> float64), as in PyDyNet
    mixed = F.mse_loss(pred, np.array([1, 2, 3]), "sum")
    ref = pd_F.mse_loss(pdn.Tensor(pred.numpy()), pdn.Tensor(np.array([1, 2, 3])), "sum")
    assert mixed.dtype == ref.dtype == np.float64
    assert_close(mixed.numpy(), ref.numpy())


# ---- cross_entropy_loss ---------------------------------------------------------------------

CE_SHAPES = [(1, 2), (4, 3), (8, 10), (5, 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_cross_entropy_with_labels_vs_pydynet(shape, reduction, dtype):
    x = randn(shape, dtype, seed=5) * 3
    y = labels(shape[0], shape[1], seed=6)
    for fn in (lambda m, t: functional(m).cross_entropy_loss(t, y, reduction=reduction),
               lambda m, t: functional(m).cross_entropy_loss(t, m.Tensor(y), reduction)):
        w = weight((), dtype)
        ref_value, (ref_grad,) = run(pdn, fn, [x], w)
        value, (grad,) = run(gs, fn, [x], w)
        assert_close(value, ref_value)
        assert_close(grad, ref_grad.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", CE_SHAPES, ids=str)
def test_cross_entropy_with_probabilities_vs_pydynet(shape, dtype):
    # PyDyNet's 'sum' is PyTorch's; its 'mean' averages over N*C elements where PyTorch (and
    # gradswift) average the per-sample losses over N: gradswift's mean is C times PyDyNet's.
    n, c = shape
    x, p = randn(shape, dtype, seed=7) * 3, probabilities(n, c, dtype, seed=8)
    for reduction, factor in (("sum", 1), ("mean", c)):
        fn = lambda m, t, q: functional(m).cross_entropy_loss(t, q, reduction)  # noqa: E731
        w = weight((), dtype)
        ref_value, ref_grads = run(pdn, fn, [x, p], w)
        value, grads = run(gs, fn, [x, p], w)
        assert_close(value, (ref_value * factor).astype(dtype))
        for g, ref in zip(grads, ref_grads):  # logits and the (grad-requiring) target
            assert_close(g, (ref * factor).astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_numpy(reduction, dtype):
    n, c = 6, 5
    x, y = randn((n, c), dtype, seed=9) * 2, labels(n, c, seed=10)
    ls = log_softmax_rows(x)
    per_sample = -ls[np.arange(n), y]
    scale = {"mean": np.full(n, 1 / n), "sum": np.ones(n), "none": weight((n,), np.float64)}[reduction]
    w = {"none": scale.astype(dtype)}.get(reduction, np.ones((), dtype))
    value, (grad,) = run(gs, lambda m, t: F.cross_entropy(t, y, reduction), [x], w)
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    assert_close(value, np.asarray(expected, dtype=dtype))
    onehot = np.eye(c)[y]
    assert_close(grad, (scale[:, None] * (np.exp(ls) - onehot)).astype(dtype), dtype)
    # probabilities: PyTorch's sum over classes, mean over N; the target gets -log_softmax
    p = probabilities(n, c, dtype, seed=11)
    value, (grad, target_grad) = run(gs, lambda m, t, q: F.cross_entropy(t, q, reduction), [x, p], w)
    per_sample = -(p * ls).sum(1)
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    assert_close(value, np.asarray(expected, dtype=dtype))
    assert_close(grad, (scale[:, None] * (np.exp(ls) * p.sum(1, keepdims=True) - p)).astype(dtype), dtype)
    assert_close(target_grad, (scale[:, None] * -ls).astype(dtype), dtype)


def test_cross_entropy_accepts_int_and_bool_one_hot_targets():
    x, y = randn((4, 3), seed=12), labels(4, 3, seed=13)
    expected = F.cross_entropy(x, y).numpy()
    assert_close(F.cross_entropy(x, np.eye(3, dtype=np.int64)[y]).numpy(), expected)
    assert_close(F.cross_entropy(x, np.eye(3, dtype=bool)[y]).numpy(), expected)
    assert_close(F.cross_entropy(x, np.eye(3)[y]).numpy(), expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_with_huge_logits_is_stable(dtype):
    # Rows of very different scales: PyDyNet shifts by the global maximum, so the small rows'
    # exponentials underflow to 0 and their loss becomes inf; the per-row shift keeps it finite.
    x = np.array([[1e4, 0.0, -1e4], [0.0, 1.0, 2.0], [-1e4, -1e4, -1e4 + 1]], dtype=dtype)
    y = np.array([1, 2, 0])
    value, (grad,) = grads_of(lambda f, t: f.cross_entropy(t, y, "sum"), [x], dtype)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    ls = log_softmax_rows(x)
    assert_close(value, np.asarray(-ls[np.arange(3), y].sum(), dtype=dtype))
    assert_close(grad, (np.exp(ls) - np.eye(3)[y]).astype(dtype), dtype)
    with np.errstate(all="ignore"):
        assert not np.isfinite(pd_F.cross_entropy_loss(pdn.Tensor(x), y, "sum").numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_cross_entropy_splits_rows(dtype):
    n, c = 3000, 40
    x, y = randn((n, c), dtype, seed=14) * 3, labels(n, c, seed=15)
    value, (grad,) = grads_of(lambda f, t: f.cross_entropy(t, y), [x], dtype)
    ls = log_softmax_rows(x)
    assert_close(value, np.asarray(-ls[np.arange(n), y].mean(), dtype=dtype))
    expected = (np.exp(ls) - np.eye(c)[y]) / n
    np.testing.assert_allclose(grad, expected, rtol=1e-5 if dtype == np.float32 else 1e-10,
                               atol=1e-12 if dtype == np.float32 else 1e-16)


# ---- nll_loss -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_with_labels_matches_numpy(reduction, dtype):
    # PyDyNet computes -pred * target elementwise even for class indices (broadcasting the (N,)
    # labels against (N, C)); PyTorch's -pred[i, y_i] is followed: NumPy reference.
    n, c = 5, 4
    lp, y = log_softmax_rows(randn((n, c), seed=16)).astype(dtype), labels(n, c, seed=17)
    scale = {"mean": np.full(n, 1 / n), "sum": np.ones(n), "none": weight((n,), np.float64)}[reduction]
    w = {"none": scale.astype(dtype)}.get(reduction, np.ones((), dtype))
    value, (grad,) = run(gs, lambda m, t: F.nll_loss(t, y, reduction), [lp], w)
    per_sample = -lp.astype(np.float64)[np.arange(n), y]
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    assert_close(value, np.asarray(expected, dtype=dtype))
    assert_close(grad, (-scale[:, None] * np.eye(c)[y]).astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (6, 7)], ids=str)
def test_nll_loss_with_one_hot_vs_pydynet(shape, dtype):
    # 'sum' agrees with PyDyNet; 'mean' divides by N (PyTorch) instead of N*C (PyDyNet).
    n, c = shape
    lp = log_softmax_rows(randn(shape, seed=18)).astype(dtype)
    target = np.eye(c, dtype=dtype)[labels(n, c, seed=19)]
    for reduction, factor in (("sum", 1), ("mean", c)):
        fn = lambda m, t, q: functional(m).nll_loss(t, q, reduction)  # noqa: E731
        w = weight((), dtype)
        ref_value, ref_grads = run(pdn, fn, [lp, target], w)
        value, grads = run(gs, fn, [lp, target], w)
        assert_close(value, (ref_value * factor).astype(dtype))
        for g, ref in zip(grads, ref_grads):
            assert_close(g, (ref * factor).astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_is_nll_of_log_softmax(reduction, dtype):
    x, y = randn((5, 6), dtype, seed=20), labels(5, 6, seed=21)
    p = probabilities(5, 6, dtype, seed=22)
    for target in (y, p):
        w = weight((5,) if reduction == "none" else (), dtype)
        fused, (g1,) = run(gs, lambda m, t: F.cross_entropy(t, target, reduction), [x], w)
        composed, (g2,) = run(gs, lambda m, t: F.nll_loss(F.log_softmax(t, 1), target, reduction), [x], w)
        assert_close(fused, composed)
        assert_close(g1, g2)


# ---- layers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["MSELoss", "NLLLoss", "CrossEntropyLoss"])
def test_loss_layers_match_functional_and_pydynet_repr(name, dtype):
    ours, theirs = getattr(nn, name)(), getattr(pd_nn, name)()
    assert repr(ours) == repr(theirs) == f"{name}(\n\n)"
    assert ours.reduction == "mean" and list(ours.parameters()) == []
    x = randn((4, 3), dtype, seed=23)
    target = randn((4, 3), dtype, seed=24) if name == "MSELoss" else np.eye(3, dtype=dtype)[labels(4, 3)]
    fn = {"MSELoss": F.mse_loss, "NLLLoss": F.nll_loss, "CrossEntropyLoss": F.cross_entropy}[name]
    for reduction in ("mean", "sum", "none"):
        layer = getattr(nn, name)(reduction=reduction)
        assert_close(layer(gs.Tensor(x), target).numpy(), fn(x, target, reduction).numpy())
    if name != "NLLLoss":  # PyDyNet's NLL differs (see above); MSE and CE 'sum' agree
        layer = getattr(nn, name)(reduction="sum")
        ref = getattr(pd_nn, name)(reduction="sum")(pdn.Tensor(x), pdn.Tensor(target))
        assert_close(layer(gs.Tensor(x), gs.Tensor(target)).numpy(), ref.numpy())


def test_loss_layer_reduction_can_change_and_is_checked():
    loss = nn.CrossEntropyLoss()
    x, y = randn((3, 4), seed=25), labels(3, 4, seed=26)
    loss.reduction = "sum"
    assert_close(loss(x, y).numpy(), F.cross_entropy(x, y, "sum").numpy())
    for bad in ("avg", None, "MEAN"):
        with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none'"):
            nn.MSELoss(bad)
        with pytest.raises(ValueError, match="reduction must be"):
            F.cross_entropy(x, y, bad)
    with pytest.raises(ValueError, match="reduction must be"):
        loss.reduction = "avg"
    with pytest.raises(ValueError, match="forward takes 2 input"):
        loss(gs.Tensor(x))


def test_training_step_with_layers():
    # a small classifier: logits through CrossEntropyLoss, gradient descent lowers the loss
    rng = np.random.default_rng(27)
    w = gs.Tensor(rng.standard_normal((4, 3)) * 0.1, requires_grad=True)
    x, y = rng.standard_normal((20, 4)), rng.integers(0, 3, 20)
    loss_fn, losses = nn.CrossEntropyLoss(), []
    for _ in range(20):
        loss = loss_fn(nn.ReLU()(gs.Tensor(x)) @ w, y)
        losses.append(loss.item())
        w.zero_grad()
        loss.backward()
        w.data -= 0.5 * w.grad
    assert losses[-1] < losses[0]


# ---- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fn,name", [(F.cross_entropy, "cross_entropy"), (F.nll_loss, "nll_loss")])
def test_classification_loss_errors(fn, name):
    x = gs.Tensor(np.zeros((3, 10)))
    with pytest.raises(IndexError, match=f"{name}: target 12 is out of range for 10 classes"):
        fn(x, np.array([1, 12, 0]))
    with pytest.raises(IndexError, match=f"{name}: target -1 is out of range for 10 classes"):
        fn(x, np.array([1, -1, 0]))
    with pytest.raises(ValueError, match=f"{name}: target has 4 labels for a batch of 3"):
        fn(x, np.array([1, 2, 0, 3]))
    with pytest.raises(ValueError, match=r"must be 2-D \(N, C\), got shape \(10,\)"):
        fn(gs.Tensor(np.zeros(10)), np.array([1]))
    with pytest.raises(ValueError, match=r"must be 2-D \(N, C\), got shape \(2, 3, 10\)"):
        fn(gs.Tensor(np.zeros((2, 3, 10))), np.array([1, 2]))
    with pytest.raises(TypeError, match="must be float16, float32 or float64, got int64"):
        fn(gs.Tensor(np.zeros((3, 10), dtype=np.int64)), np.array([1, 2, 0]))
    with pytest.raises(TypeError, match="class-index targets must be integers, got float64"):
        fn(x, np.array([1.0, 2.0, 0.0]))
    with pytest.raises(ValueError, match=r"probabilities of the .* shape \(3, 10\), got shape \(3, 9\)"):
        fn(x, np.zeros((3, 9)))
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        fn(x, np.array(1))


def test_mse_loss_errors():
    with pytest.raises(ValueError, match="mse_loss"):
        F.mse_loss(gs.Tensor(np.zeros((3, 4))), np.zeros((3, 5)))


def test_a_failed_loss_leaves_no_handles(handle_counter):
    x = gs.Tensor(np.zeros((3, 10)), requires_grad=True)
    before = handle_counter()
    for _ in range(3):
        with pytest.raises(IndexError):
            F.cross_entropy(x, np.array([1, 12, 0]))
    assert handle_counter() == before
