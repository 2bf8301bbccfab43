"""Normalization layers and functions: BatchNorm1d/2d and RMSNorm against PyDyNet 1.1, LayerNorm
and the PyTorch-style functions against NumPy references of PyTorch's definitions (values and
gradients in float32 and float64), repr, parameters and error paths.

Deliberate differences from PyDyNet, checked against NumPy here:
- LayerNorm follows PyTorch: each sample is normalized over its trailing ``normalized_shape``
  dims, with no running statistics. PyDyNet's normalizes over the leading (batch) axes and keeps
  running statistics, which is batch norm under another name.
- BatchNorm's ``running_var`` accumulates the unbiased batch variance (``n / (n - 1)`` times the
  biased one) as PyTorch; PyDyNet accumulates the biased one. Both normalize with the biased one.
- BatchNorm1d also takes (N, C, L) inputs as PyTorch's (statistics over N and L); PyDyNet's
  averages over axis 0 only, which breaks for 3-D inputs.
"""
import numpy as np
import pytest

import gradswift as gs
import gradswift.nn as nn
import gradswift.nn.functional as F
from helpers import assert_close, pdn, randn, reset_reference, weight

import pydynet.nn as pnn
from pydynet.nn.parameter import Parameter as PdnParameter

DTYPES = [np.float32, np.float64]


# ---- NumPy references (PyTorch's definitions) ----------------------------------------------

def normalize_ref(x, axes, eps, w, b, g, centered=True):
    """Normalization of x over `axes` then `* w + b` (w, b broadcastable), and the gradients of
    sum(out * g) for x, w and b (w and b gradients summed to w's and b's shapes)."""
    x, g = x.astype(np.float64), g.astype(np.float64)
    w = np.asarray(w, np.float64)
    b = np.asarray(b, np.float64)
    mean = x.mean(axes, keepdims=True) if centered else np.zeros_like(x.mean(axes, keepdims=True))
    var = ((x - mean) ** 2).mean(axes, keepdims=True)
    rstd = 1 / np.sqrt(var + eps)
    xhat = (x - mean) * rstd
    out = xhat * w + b
    gy = g * w
    term = gy.mean(axes, keepdims=True) if centered else 0
    dx = rstd * (gy - term - xhat * (gy * xhat).mean(axes, keepdims=True))
    dw = (g * xhat).sum(tuple(i for i in range(x.ndim) if i not in _kept(x, w))).reshape(w.shape)
    db = g.sum(tuple(i for i in range(x.ndim) if i not in _kept(x, b))).reshape(b.shape)
    return out, dx, dw, db, mean, var


def _kept(x, p):
    """The axes of x along which the broadcast parameter p varies (is not summed over)."""
    lead = x.ndim - p.ndim
    return {lead + i for i in range(p.ndim) if p.shape[i] != 1}


def batch_ref(x, w, b, eps, g):
    """PyTorch's training-mode batch norm: statistics per channel (axis 1) over the other axes."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    out, dx, dw, db, mean, var = normalize_ref(x, axes, eps, w.reshape(shape), b.reshape(shape), g)
    n = x.size // x.shape[1]
    return out, dx, dw.ravel(), db.ravel(), mean.ravel(), var.ravel() * n / (n - 1)


def trailing_axes(x, normalized_shape):
    return tuple(range(x.ndim - len(normalized_shape), x.ndim))


def copy_params(layer, ref, names, seed):
    """Random values for the named parameters, written into both layers."""
    for i, name in enumerate(names):
        value = randn(getattr(ref, name).shape, getattr(layer, name).dtype, seed + i)
        getattr(ref, name).data[...] = value
        getattr(layer, name).data[...] = value


def pydynet_layer(kind, c, dtype):
    """PyDyNet's BatchNorm1d, or its BatchNorm2d built without ``__init__``: PyDyNet 1.1's
    BatchNorm2d constructor raises TypeError (it passes ``scale``'s shape to ``empty``
    unpacked, next to ``device``), so its parameters are made here with the shapes and initial
    values that constructor means, and its ``forward`` is what is compared."""
    if kind == "BatchNorm1d":
        return pnn.BatchNorm1d(c, dtype=dtype)
    with pytest.raises(TypeError):
        pnn.BatchNorm2d(c, dtype=dtype)
    ref = pnn.BatchNorm2d.__new__(pnn.BatchNorm2d)
    pnn.Module.__init__(ref)
    ref.num_features, ref.eps, ref.momentum = c, 1e-6, 0.1
    for name, value, trainable in (("running_mean", 0, False), ("running_var", 1, False),
                                   ("scale", 1, True), ("shift", 0, True)):
        data = pdn.Tensor(np.full((1, c, 1, 1), value, dtype))
        setattr(ref, name, PdnParameter(data, requires_grad=trainable))
    return ref


def tensors(module, x):
    return module.Tensor(x, requires_grad=True)


# ---- BatchNorm against PyDyNet ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind, shape", [("BatchNorm1d", (16, 5)), ("BatchNorm2d", (4, 3, 5, 6))])
def test_batch_norm_training_steps_vs_pydynet(kind, shape, dtype):
    # PyDyNet runs in float64 on the same (float32-representable) values: in float32 its
    # batch sums lose more than the 1e-5 tolerance (seen: 2e-5 relative on scale's gradient),
    # while the engine accumulates statistics and gradient sums in double precision.
    c = shape[1]
    layer = getattr(nn, kind)(c, dtype=dtype)
    ref = pydynet_layer(kind, c, np.float64)
    copy_params(layer, ref, ["scale", "shift"], seed=1)
    running_var = np.ones(c)
    for step in range(4):
        x = (randn(shape, dtype, seed=10 + step) * (step + 1) + step).astype(dtype)
        w = weight(shape, dtype, seed=20 + step)
        outs, grads = [], []
        reset_reference()
        for module, net in ((gs, layer), (pdn, ref)):
            if step:
                net.scale.zero_grad()
                net.shift.zero_grad()
            xt = tensors(module, x if module is gs else x.astype(np.float64))
            out = net(xt)
            (out * module.Tensor(w if module is gs else w.astype(np.float64))).sum().backward()
            outs.append(out.numpy().astype(dtype))
            grads.append([np.array(xt.grad), np.array(net.scale.grad), np.array(net.shift.grad)])
        assert_close(outs[0], outs[1])
        for mine, theirs in zip(*grads):  # PyDyNet's float32 gradients may come out float64
            assert_close(mine, theirs.astype(dtype))
        # running_mean: same update rule in both.
        assert_close(layer.running_mean.numpy(), ref.running_mean.numpy().astype(dtype))
        # running_var: PyTorch's rule, fed the unbiased batch variance (PyDyNet feeds the biased one).
        axes = (0,) + tuple(range(2, x.ndim))
        n = x.size // c
        running_var = 0.9 * running_var + 0.1 * x.astype(np.float64).var(axes) * n / (n - 1)
        assert_close(layer.running_var.numpy(), running_var.reshape(ref.running_var.shape).astype(dtype))
    assert not np.allclose(layer.running_var.numpy(), ref.running_var.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind, shape", [("BatchNorm1d", (6, 4)), ("BatchNorm2d", (2, 4, 3, 3))])
def test_batch_norm_eval_vs_pydynet(kind, shape, dtype):
    c = shape[1]
    layer = getattr(nn, kind)(c, dtype=dtype)
    ref = pydynet_layer(kind, c, dtype)
    copy_params(layer, ref, ["scale", "shift", "running_mean"], seed=3)
    var = np.asarray(np.random.default_rng(4).uniform(0.5, 2, ref.running_var.shape), dtype)
    ref.running_var.data[...] = var
    layer.running_var.data[...] = var
    layer.eval()
    ref.set_module_state(False)  # PyDyNet's eval() would also switch its grad mode off
    x = randn(shape, dtype, seed=5)
    w = weight(shape, dtype)
    results = []
    for module, net in ((gs, layer), (pdn, ref)):
        xt = tensors(module, x)
        out = net(xt)
        (out * module.Tensor(w)).sum().backward()
        results.append([out.numpy(), np.array(xt.grad), np.array(net.scale.grad), np.array(net.shift.grad)])
    for mine, theirs in zip(*results):
        assert_close(mine, theirs.astype(dtype))
    # evaluation leaves the running statistics alone
    assert_close(layer.running_var.numpy(), var)
    assert_close(layer.running_mean.numpy(), ref.running_mean.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm1d_three_dims_vs_numpy(dtype):
    # PyTorch's BatchNorm1d on (N, C, L): statistics over N and L (PyDyNet cannot do this).
    layer = nn.BatchNorm1d(3, dtype=dtype)
    scale, shift = randn(3, dtype, 1), randn(3, dtype, 2)
    layer.scale.data[...] = scale
    layer.shift.data[...] = shift
    x = randn((4, 3, 5), dtype, 3) * 2 + 1
    w = weight(x.shape, dtype)
    xt = gs.Tensor(x, requires_grad=True)
    out = layer(xt)
    (out * gs.Tensor(w)).sum().backward()
    ref_out, dx, dw, db, mean, var = batch_ref(x, scale, shift, 1e-6, w)
    assert_close(out.numpy(), ref_out.astype(dtype))
    assert_close(np.array(xt.grad), dx.astype(dtype))
    assert_close(np.array(layer.scale.grad), dw.astype(dtype))
    assert_close(np.array(layer.shift.grad), db.astype(dtype))
    assert_close(layer.running_mean.numpy(), (0.1 * mean).astype(dtype))
    assert_close(layer.running_var.numpy(), (0.9 + 0.1 * var).astype(dtype))


def test_batch_norm_parameters_and_repr():
    for kind, shape in (("BatchNorm1d", (4,)), ("BatchNorm2d", (1, 4, 1, 1))):
        layer, ref = getattr(nn, kind)(4), pydynet_layer(kind, 4, np.float64)
        assert repr(layer) == repr(ref) == f"{kind}(num_features=4, momentum=0.1)"
        names = [name for name, _ in layer.named_parameters()]
        assert names == list(ref._parameters) == ["running_mean", "running_var", "scale", "shift"]
        for name in names:
            mine, theirs = getattr(layer, name), getattr(ref, name)
            assert mine.shape == shape and mine.dtype == np.float64
            assert mine.requires_grad == theirs.requires_grad
            assert_close(mine.numpy(), theirs.numpy())
        assert [p.shape for p in layer.parameters()] == [shape, shape]  # running stats are frozen
        assert (layer.num_features, layer.eps, layer.momentum) == (4, 1e-6, 0.1)
    layer = nn.BatchNorm2d(2, eps=1e-3, momentum=0.5, dtype=np.float32)
    assert repr(layer) == "BatchNorm2d(num_features=2, momentum=0.5)"
    assert layer.scale.dtype == np.float32 and layer.running_var.dtype == np.float32


def test_batch_norm_layer_follows_assigned_parameters():
    # Assigning a new Parameter replaces the engine's: forward uses it and updates it in place.
    layer = nn.BatchNorm1d(2)
    layer.running_mean = nn.Parameter(gs.Tensor(np.array([1.0, 2.0])), requires_grad=False)
    x = np.array([[0.0, 1.0], [2.0, 5.0]])
    layer(gs.Tensor(x))
    assert_close(layer.running_mean.numpy(), 0.9 * np.array([1.0, 2.0]) + 0.1 * x.mean(0))
    layer.eval()
    layer.running_var.data[...] = [4.0, 9.0]
    out = layer(gs.Tensor(x)).numpy()
    assert_close(out, (x - layer.running_mean.numpy()) / np.sqrt(np.array([4.0, 9.0]) + 1e-6))


# ---- RMSNorm against PyDyNet, LayerNorm against NumPy -------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, normalized", [((4, 8), 8), ((2, 3, 4), (3, 4)), ((5,), [5])], ids=str)
def test_rms_norm_vs_pydynet(shape, normalized, dtype):
    layer, ref = nn.RMSNorm(normalized, dtype=dtype), pnn.RMSNorm(normalized, dtype=dtype)
    copy_params(layer, ref, ["weight"], seed=6)
    x = randn(shape, dtype, seed=7)
    w = weight(shape, dtype)
    results = []
    for module, net in ((gs, layer), (pdn, ref)):
        xt = tensors(module, x)
        out = net(xt)
        (out * module.Tensor(w)).sum().backward()
        results.append([out.numpy(), np.array(xt.grad), np.array(net.weight.grad)])
    for mine, theirs in zip(*results):
        assert_close(mine, theirs.astype(dtype))
    assert layer.normalized_shape == ref.normalized_shape and layer.sum_axis == ref.sum_axis


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, normalized", [((4, 8), 8), ((2, 3, 4), (3, 4)), ((2, 3, 4), (2, 3, 4)),
                                               ((6,), 6)], ids=str)
def test_layer_norm_vs_numpy(shape, normalized, dtype):
    layer = nn.LayerNorm(normalized, dtype=dtype)
    dims = layer.normalized_shape
    scale, shift = randn(dims, dtype, 1), randn(dims, dtype, 2)
    layer.scale.data[...] = scale
    layer.shift.data[...] = shift
    x = randn(shape, dtype, seed=3) * 3 + 2
    w = weight(shape, dtype)
    xt = gs.Tensor(x, requires_grad=True)
    out = layer(xt)
    (out * gs.Tensor(w)).sum().backward()
    ref_out, dx, dw, db, _, _ = normalize_ref(x, trailing_axes(x, dims), 1e-6, scale, shift, w)
    assert_close(out.numpy(), ref_out.astype(dtype))
    assert_close(np.array(xt.grad), dx.astype(dtype))
    assert_close(np.array(layer.scale.grad), dw.astype(dtype))
    assert_close(np.array(layer.shift.grad), db.astype(dtype))
    layer.eval()  # no running statistics: evaluation gives the same result
    assert_close(layer(gs.Tensor(x)).numpy(), out.numpy())


def test_layer_norm_gradient_matches_finite_differences():
    x = randn((3, 5), seed=8)
    scale, shift, w = randn(5, seed=9), randn(5, seed=10), weight((3, 5), np.float64)

    def loss(xv, sv, bv):
        return float((F.layer_norm(gs.Tensor(xv), 5, gs.Tensor(sv), gs.Tensor(bv), eps=1e-5).numpy() * w).sum())

    ts = [gs.Tensor(a, requires_grad=True) for a in (x, scale, shift)]
    (F.layer_norm(ts[0], (5,), ts[1], ts[2], eps=1e-5) * gs.Tensor(w)).sum().backward()
    h = 1e-6
    arrays = [x, scale, shift]
    for which, t in enumerate(ts):
        numeric = np.zeros_like(arrays[which])
        for index in np.ndindex(numeric.shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[which][index] += h
            minus[which][index] -= h
            numeric[index] = (loss(*plus) - loss(*minus)) / (2 * h)
        np.testing.assert_allclose(np.array(t.grad), numeric, rtol=1e-6, atol=1e-8)


def test_layer_and_rms_norm_parameters_and_repr():
    layer = nn.LayerNorm(8)
    assert repr(layer) == "LayerNorm((8,), eps=1e-06)"
    assert [n for n, _ in layer.named_parameters()] == ["scale", "shift"]
    assert layer.normalized_shape == (8,) and layer.eps == 1e-6 and layer.momentum == 0.1
    assert_close(layer.scale.numpy(), np.ones(8))
    assert_close(layer.shift.numpy(), np.zeros(8))
    assert repr(nn.LayerNorm((2, 3), eps=1e-5, dtype=np.float32)) == "LayerNorm((2, 3), eps=1e-05)"
    rms = nn.RMSNorm((2, 3))
    assert repr(rms) == "RMSNorm((2, 3), eps=1e-06)"
    assert [n for n, _ in rms.named_parameters()] == ["weight"]
    assert_close(rms.weight.numpy(), np.ones((2, 3)))


# ---- functional forms ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_layer_norm_and_rms_norm_vs_numpy(dtype):
    x = randn((3, 4, 6), dtype, seed=11)
    w = weight(x.shape, dtype)
    g, b = randn(6, dtype, 12), randn(6, dtype, 13)
    for affine in (True, False):
        ts = [gs.Tensor(a, requires_grad=True) for a in (x, g, b)]
        args = (ts[1], ts[2]) if affine else ()
        (F.layer_norm(ts[0], 6, *args) * gs.Tensor(w)).sum().backward()
        ref = normalize_ref(x, (2,), 1e-5, g if affine else 1, b if affine else 0, w)
        assert_close(F.layer_norm(x, 6, *args).numpy(), ref[0].astype(dtype))
        assert_close(np.array(ts[0].grad), ref[1].astype(dtype))
        if affine:
            assert_close(np.array(ts[1].grad), ref[2].astype(dtype))
            assert_close(np.array(ts[2].grad), ref[3].astype(dtype))
        ts = [gs.Tensor(a, requires_grad=True) for a in (x, g)]
        (F.rms_norm(ts[0], (6,), ts[1] if affine else None) * gs.Tensor(w)).sum().backward()
        ref = normalize_ref(x, (2,), 1e-6, g if affine else 1, 0, w, centered=False)
        assert_close(F.rms_norm(x, [6], ts[1] if affine else None).numpy(), ref[0].astype(dtype))
        assert_close(np.array(ts[0].grad), ref[1].astype(dtype))
        if affine:
            assert_close(np.array(ts[1].grad), ref[2].astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_batch_norm_vs_numpy(dtype):
    x = randn((5, 3, 4), dtype, seed=14) + 3
    w = weight(x.shape, dtype)
    g, b = randn(3, dtype, 15), randn(3, dtype, 16)
    rm, rv = gs.Tensor(np.zeros(3, dtype)), gs.Tensor(np.ones(3, dtype))
    ts = [gs.Tensor(a, requires_grad=True) for a in (x, g, b)]
    out = F.batch_norm(ts[0], rm, rv, ts[1], ts[2], training=True, momentum=0.3)
    (out * gs.Tensor(w)).sum().backward()
    ref_out, dx, dw, db, mean, var = batch_ref(x, g, b, 1e-5, w)
    for mine, theirs in zip([out.numpy(), *(np.array(t.grad) for t in ts)], [ref_out, dx, dw, db]):
        assert_close(mine, theirs.astype(dtype))
    assert_close(rm.numpy(), (0.3 * mean).astype(dtype))
    assert_close(rv.numpy(), (0.7 + 0.3 * var).astype(dtype))
    assert not rm.requires_grad and rm.grad is None
    # evaluation: the running statistics normalize, and stay as they are
    xt = gs.Tensor(x, requires_grad=True)
    out = F.batch_norm(xt, rm, rv, ts[1], ts[2])
    (out * gs.Tensor(w)).sum().backward()
    shape = (1, 3, 1)
    rstd = 1 / np.sqrt(rv.numpy().astype(np.float64) + 1e-5).reshape(shape)
    expected = (x - rm.numpy().reshape(shape)) * rstd * g.reshape(shape) + b.reshape(shape)
    assert_close(out.numpy(), expected.astype(dtype))
    assert_close(np.array(xt.grad), (w * rstd * g.reshape(shape)).astype(dtype))
    assert_close(rm.numpy(), (0.3 * mean).astype(dtype))
    # training without running statistics or affine parameters
    assert_close(F.batch_norm(x, None, None, training=True).numpy(),
                 batch_ref(x, np.ones(3), np.zeros(3), 1e-5, w)[0].astype(dtype))


def test_large_inputs_split_over_cores_match_numpy():
    # Sizes above the parallel threshold: rows and channel sums are split into pieces and merged.
    x = randn((256, 300), seed=17) * 2 + 1
    w = weight(x.shape, np.float64)
    scale, shift = randn(300, seed=18), randn(300, seed=19)
    ts = [gs.Tensor(a, requires_grad=True) for a in (x, scale, shift)]
    (F.layer_norm(ts[0], 300, ts[1], ts[2]) * gs.Tensor(w)).sum().backward()
    ref = normalize_ref(x, (1,), 1e-5, scale, shift, w)
    for t, expected in zip(ts, ref[1:4]):
        assert_close(np.array(t.grad), expected)
    x4 = randn((32, 8, 16, 16), seed=20)
    w4 = weight(x4.shape, np.float64)
    ts = [gs.Tensor(a, requires_grad=True) for a in (x4, scale[:8], shift[:8])]
    out = F.batch_norm(ts[0], None, None, ts[1], ts[2], training=True)
    (out * gs.Tensor(w4)).sum().backward()
    ref = batch_ref(x4, scale[:8], shift[:8], 1e-5, w4)
    assert_close(out.numpy(), ref[0])
    for t, expected in zip(ts, ref[1:4]):
        assert_close(np.array(t.grad), expected)
    # (N, C): one element per row, so the loops run over samples
    x2 = randn((8192, 16), seed=21) - 2
    w2 = weight(x2.shape, np.float64)
    ts = [gs.Tensor(a, requires_grad=True) for a in (x2, scale[:16], shift[:16])]
    out = F.batch_norm(ts[0], None, None, ts[1], ts[2], training=True)
    (out * gs.Tensor(w2)).sum().backward()
    ref = batch_ref(x2, scale[:16], shift[:16], 1e-5, w2)
    assert_close(out.numpy(), ref[0])
    for t, expected in zip(ts, ref[1:4]):
        assert_close(np.array(t.grad), expected)


def test_empty_inputs():
    x = gs.Tensor(np.zeros((0, 4)), requires_grad=True)
    w = gs.Tensor(np.ones(4), requires_grad=True)
    F.layer_norm(x, 4, w).sum().backward()
    assert x.grad.shape == (0, 4)
    assert_close(np.array(w.grad), np.zeros(4))
    z = gs.Tensor(np.zeros((2, 0)), requires_grad=True)
    F.rms_norm(z, 0, gs.Tensor(np.ones(0), requires_grad=True)).sum().backward()
    assert z.grad.shape == (2, 0)
    assert F.batch_norm(np.zeros((3, 0)), np.zeros(0), np.zeros(0)).shape == (3, 0)


# ---- errors -------------------------------------------------------------------------------

def test_batch_norm_errors_are_clear():
    bn1, bn2 = nn.BatchNorm1d(4), nn.BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"4 channels.*\(3,\)"):
        nn.BatchNorm1d(3)(gs.Tensor(np.zeros((2, 4))))
    with pytest.raises(ValueError, match=r"3 channels.*\(1, 4, 1, 1\)"):
        nn.BatchNorm2d(4)(gs.Tensor(np.zeros((2, 3, 2, 2))))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input, got 4D"):
        bn1(gs.Tensor(np.zeros((2, 4, 1, 1))))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input, got 2D"):
        bn2(gs.Tensor(np.zeros((2, 3))))
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training, got input size \\(1, 4\\)"):
        bn1(gs.Tensor(np.zeros((1, 4))))
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training"):
        bn2(gs.Tensor(np.zeros((1, 3, 1, 1))))
    with pytest.raises(ValueError, match="expected more than 1 value per channel"):
        bn1(gs.Tensor(np.zeros((0, 4))))
    bn1.eval()
    assert bn1(gs.Tensor(np.ones((1, 4)))).shape == (1, 4)  # one sample is fine in evaluation
    with pytest.raises(TypeError, match="running_mean is float32 but the normalization runs in float64"):
        nn.BatchNorm1d(4, dtype=np.float32)(gs.Tensor(np.zeros((2, 4))))
    with pytest.raises(TypeError, match="input must be float16, float32 or float64, got int64"):
        bn1(gs.Tensor(np.zeros((2, 4), np.int64)))
    with pytest.raises(ValueError, match="num_features must be positive"):
        nn.BatchNorm1d(0)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        nn.BatchNorm2d(3, eps=-1)
    with pytest.raises(ValueError, match="momentum must be a finite number"):
        nn.BatchNorm1d(3, momentum=float("nan"))
    with pytest.raises(TypeError, match="dtype must be float16, float32 or float64"):
        nn.BatchNorm1d(3, dtype=np.int64)
    with pytest.raises(RuntimeError, match="CUDA"):
        nn.BatchNorm1d(3, device="cuda")


def test_functional_batch_norm_errors():
    x = gs.Tensor(np.zeros((2, 3)))
    stats = gs.Tensor(np.zeros(3))
    with pytest.raises(ValueError, match="required in evaluation mode"):
        F.batch_norm(x, None, None)
    with pytest.raises(ValueError, match="given together"):
        F.batch_norm(x, stats, None, training=True)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.batch_norm(gs.Tensor(np.zeros(3)), stats, stats)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.batch_norm(x, stats, stats, gs.Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="must not require grad"):
        F.batch_norm(x, gs.Tensor(np.zeros(3), requires_grad=True), stats, training=True)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        F.batch_norm(x, stats, stats, eps=float("inf"))


def test_layer_norm_errors_are_clear():
    with pytest.raises(ValueError, match=r"normalized_shape \(8,\), expected input of shape \(\*, 8\), got \(2, 4\)"):
        nn.LayerNorm(8)(gs.Tensor(np.zeros((2, 4))))
    with pytest.raises(ValueError, match=r"rms_norm: given normalized_shape \(2, 3\)"):
        nn.RMSNorm((2, 3))(gs.Tensor(np.zeros(3)))
    with pytest.raises(ValueError, match="normalized_shape must have 1 to"):
        nn.LayerNorm(())
    with pytest.raises(ValueError, match="none negative"):
        nn.RMSNorm((-1,))
    with pytest.raises(ValueError, match=r"weight must have shape normalized_shape \(4,\), got \(3,\)"):
        F.layer_norm(np.zeros((2, 4)), 4, np.ones(3))
    with pytest.raises(ValueError, match=r"bias must have shape"):
        F.layer_norm(np.zeros((2, 4)), 4, None, np.ones((1, 4)))
    with pytest.raises(ValueError, match="at least one dimension"):
        F.rms_norm(np.zeros(4), ())
    with pytest.raises(TypeError, match="rms_norm: weight must be float16, float32 or float64, got int64"):
        F.rms_norm(np.zeros((2, 4)), 4, np.ones(4, np.int64))
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        F.layer_norm(np.zeros((2, 4)), 4, eps=-1e-5)


def test_no_handles_leak(handle_counter):
    before = handle_counter()
    for _ in range(3):
        layer = nn.BatchNorm2d(2)
        x = gs.Tensor(randn((3, 2, 2, 2)), requires_grad=True)
        layer(x).sum().backward()
        ln = nn.LayerNorm(4)
        ln(gs.Tensor(randn((2, 4)))).sum()
        del layer, x, ln
    assert handle_counter() == before
