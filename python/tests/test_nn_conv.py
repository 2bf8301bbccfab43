"""Convolution and pooling: conv1d/conv2d, max/avg pooling (functional and modules) against
PyDyNet 1.1 where it is right, and against NumPy references (PyTorch semantics) where it is not:

* PyDyNet's conv1d fails for nearly every shape (its matmul pairs the kernel axis with the
  output axis) and its max_pool1d/avg_pool1d reduce over the output positions instead of the
  window, so every 1-D op is checked against NumPy.
* PyDyNet's max pooling pads with zeros, which beats negative inputs; PyTorch pads with -inf.
* PyDyNet gives every tied maximum the full gradient; PyTorch gives it to the first one only.
"""
import warnings

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import gradswift as gs
import gradswift.nn as nn
import gradswift.nn.functional as F
from helpers import assert_close, live_handles, pdn, randn, run, weight

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pydynet.nn as pnn
    import pydynet.nn.functional as PF

DTYPES = [np.float32, np.float64]
FUNCTIONAL = {gs: F, pdn: PF}
MODULES = {gs: nn, pdn: pnn}

# (N, C_in, H, W, C_out, kernel, stride, padding)
CONV2D_CASES = [(2, 3, 7, 6, 4, 3, 1, 1), (3, 2, 9, 9, 5, 3, 2, 0), (1, 4, 8, 8, 2, 2, 3, 2),
                (2, 1, 5, 5, 3, 5, 1, 0), (4, 2, 6, 5, 1, 1, 1, 0), (1, 1, 4, 4, 1, 3, 2, 2),
                (2, 6, 11, 10, 7, 4, 2, 1)]


# ---- NumPy references ------------------------------------------------------------------------

def windows(x, kh, kw, stride, pad, fill):
    """(N, C, OH, OW, kh, kw) windows of x padded with `fill` on both spatial axes."""
    xp = np.pad(x, [(0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])], constant_values=fill)
    return sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::stride[0], ::stride[1]]


def conv2d_reference(x, w, b, stride, pad, g):
    """Output and gradients (dx, dw, db) of sum(g * conv(x, w) + b), computed in float64."""
    x, w, g = (np.asarray(a, np.float64) for a in (x, w, g))
    kh, kw = w.shape[2:]
    win = windows(x, kh, kw, stride, pad, 0.0)
    out = np.einsum("nchwij,ocij->nohw", win, w)
    if b is not None:
        out = out + np.asarray(b, np.float64).reshape(1, -1, 1, 1)
    dw = np.einsum("nchwij,nohw->ocij", win, g)
    oh, ow = out.shape[2:]
    dxp = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * pad[0], x.shape[3] + 2 * pad[1]))
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + stride[0] * oh:stride[0], j:j + stride[1] * ow:stride[1]] += \
                np.einsum("nohw,oc->nchw", g, w[:, :, i, j])
    dx = dxp[:, :, pad[0]:pad[0] + x.shape[2], pad[1]:pad[1] + x.shape[3]]
    return out, dx, dw, g.sum(axis=(0, 2, 3))


def conv1d_reference(x, w, b, stride, pad, g):
    """conv2d_reference over images of height 1."""
    out, dx, dw, db = conv2d_reference(x[:, :, None], w[:, :, None], b, (1, stride), (0, pad), g[:, :, None])
    return out[:, :, 0], dx[:, :, 0], dw[:, :, 0], db


def pool2d_reference(kind, x, k, stride, pad, g):
    """PyTorch's max pooling (-inf padding, gradient to the first maximum) or average pooling
    (padded zeros counted): output and input gradient of sum(g * pool(x)), in float64."""
    x, g = np.asarray(x, np.float64), np.asarray(g, np.float64)
    win = windows(x, k[0], k[1], stride, pad, -np.inf if kind == "max" else 0.0)
    n, c, oh, ow = win.shape[:4]
    flat = win.reshape(n, c, oh, ow, -1)
    dxp = np.zeros((n, c, x.shape[2] + 2 * pad[0], x.shape[3] + 2 * pad[1]))
    if kind == "max":
        out = flat.max(-1)
        first = flat.argmax(-1)
        for index in np.ndindex(n, c, oh, ow):
            i, j = divmod(first[index], k[1])
            dxp[index[0], index[1], index[2] * stride[0] + i, index[3] * stride[1] + j] += g[index]
    else:
        out = flat.mean(-1)
        for i in range(k[0]):
            for j in range(k[1]):
                dxp[:, :, i:i + stride[0] * oh:stride[0], j:j + stride[1] * ow:stride[1]] += g / (k[0] * k[1])
    return out, dxp[:, :, pad[0]:pad[0] + x.shape[2], pad[1]:pad[1] + x.shape[3]]


def pool1d_reference(kind, x, k, stride, pad, g):
    out, dx = pool2d_reference(kind, x[:, :, None], (1, k), (1, stride), (0, pad), g[:, :, None])
    return out[:, :, 0], dx[:, :, 0]


def assert_sums_close(actual, expected, dtype):
    """assert_close for sums of many products: in float32 an output that nearly cancels keeps
    the absolute error of its largest terms, so the absolute tolerance scales with the largest
    magnitude (1e-6 of it) instead of being fixed."""
    expected = np.asarray(expected).astype(dtype)
    if np.dtype(dtype) == np.float32:
        scale = max(1.0, float(np.abs(expected).max(initial=0)))
        actual = np.asarray(actual)
        assert actual.shape == expected.shape and actual.dtype == expected.dtype
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6 * scale)
    else:
        assert_close(actual, expected, dtype)


def gradswift_run(fn, arrays, g):
    """Values and gradients of sum(g * fn(*tensors)) on gradswift."""
    return run(gs, lambda m, *ts: fn(*ts), arrays, g)


# ---- convolution -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV2D_CASES, ids=str)
def test_conv2d_vs_pydynet(case, dtype):
    n, c, h, w, o, k, s, p = case
    x, kernel = randn((n, c, h, w), dtype, 1), randn((o, c, k, k), dtype, 2)
    g = weight((n, o, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1), dtype)
    fn = lambda m, a, b: FUNCTIONAL[m].conv2d(a, b, p, s)  # noqa: E731
    ref_value, ref_grads = run(pdn, fn, [x, kernel], g)
    value, grads = run(gs, fn, [x, kernel], g)
    assert_sums_close(value, ref_value, dtype)
    for got, expected in zip(grads, ref_grads):
        assert_sums_close(got, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV2D_CASES[:4], ids=str)
def test_conv2d_with_bias_vs_pydynet(case, dtype):
    n, c, h, w, o, k, s, p = case
    x, kernel, bias = randn((n, c, h, w), dtype, 1), randn((o, c, k, k), dtype, 2), randn((1, o, 1, 1), dtype, 3)
    g = weight((n, o, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1), dtype)
    ref_value, ref_grads = run(pdn, lambda m, a, b, c: PF.conv2d(a, b, p, s) + c, [x, kernel, bias], g)
    value, grads = run(gs, lambda m, a, b, c: F.conv2d(a, b, p, s, bias=c), [x, kernel, bias], g)
    assert_sums_close(value, ref_value, dtype)
    for got, expected in zip(grads, ref_grads):
        assert_sums_close(got, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [(2, 3, 7, 5, 4, (2, 3), 1, 1), (1, 2, 6, 9, 3, (3, 1), 2, 0),
                                  (3, 1, 4, 4, 2, (4, 2), 1, 2)], ids=str)
def test_conv2d_rectangular_kernel_vs_numpy(case, dtype):
    # PyDyNet takes the kernel as square (kernel.shape[2] both ways); PyTorch does not.
    n, c, h, w, o, (kh, kw), s, p = case
    x, kernel, bias = randn((n, c, h, w), dtype, 4), randn((o, c, kh, kw), dtype, 5), randn((o,), dtype, 6)
    g = weight((n, o, (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1), dtype)
    out, dx, dw, db = conv2d_reference(x, kernel, bias, (s, s), (p, p), g)
    value, grads = gradswift_run(lambda a, b, c: F.conv2d(a, b, p, s, bias=c), [x, kernel, bias], g)
    for got, expected in zip([value] + grads, [out, dx, dw, db]):
        assert_sums_close(got, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [(2, 3, 10, 4, 3, 1, 1), (3, 2, 9, 5, 2, 2, 0), (1, 4, 8, 2, 5, 3, 2),
                                  (2, 1, 5, 3, 5, 1, 0), (4, 2, 6, 1, 1, 1, 0), (2, 3, 7, 2, 3, 2, 1)], ids=str)
@pytest.mark.parametrize("with_bias", [False, True])
def test_conv1d_vs_numpy(case, with_bias, dtype):
    # PyDyNet 1.1's conv1d raises for these shapes (see the module docstring).
    n, c, length, o, k, s, p = case
    x, kernel = randn((n, c, length), dtype, 7), randn((o, c, k), dtype, 8)
    bias = randn((1, o, 1), dtype, 9) if with_bias else None
    g = weight((n, o, (length + 2 * p - k) // s + 1), dtype)
    out, dx, dw, db = conv1d_reference(x, kernel, bias, s, p, g)
    arrays = [x, kernel] + ([bias] if with_bias else [])
    value, grads = gradswift_run(lambda a, b, *c: F.conv1d(a, b, p, s, bias=c[0] if c else None), arrays, g)
    expected = [out, dx, dw] + ([db.reshape(1, o, 1)] if with_bias else [])
    for got, want in zip([value] + grads, expected):
        assert_sums_close(got, want, dtype)


def test_conv2d_large_batch_spans_several_chunks():
    # 120 images of 36 x 1024 lowered entries: 18 chunks of 2^18 elements, the last one partial.
    x, kernel, bias = randn((120, 4, 32, 32), np.float64, 10), randn((3, 4, 3, 3), np.float64, 11), randn((3,), np.float64, 12)
    g = weight((120, 3, 32, 32), np.float64)
    out, dx, dw, db = conv2d_reference(x, kernel, bias, (1, 1), (1, 1), g)
    value, grads = gradswift_run(lambda a, b, c: F.conv2d(a, b, 1, 1, bias=c), [x, kernel, bias], g)
    for got, want in zip([value] + grads, [out, dx, dw, db]):
        assert_close(got, want)


def test_conv_gradient_only_where_required():
    x, kernel = randn((2, 3, 6, 6), np.float32, 1), randn((4, 3, 3, 3), np.float32, 2)
    fixed, learned = gs.Tensor(x), gs.Tensor(kernel, requires_grad=True)
    F.conv2d(fixed, learned, 1).sum().backward()
    assert fixed.grad is None
    _, _, dw, _ = conv2d_reference(x, kernel, None, (1, 1), (1, 1), np.ones((2, 4, 6, 6)))
    assert_sums_close(learned.grad, dw, np.float32)
    with gs.no_grad():
        y = F.conv2d(gs.Tensor(x, requires_grad=True), learned, 1)
    assert not y.requires_grad


def test_conv_with_empty_batch_or_channels():
    y = F.conv2d(gs.Tensor(np.zeros((0, 2, 5, 5))), gs.Tensor(np.ones((3, 2, 3, 3))), 1)
    assert y.shape == (0, 3, 5, 5)
    # no input channels: the output is the bias alone
    y = F.conv1d(gs.Tensor(np.zeros((2, 0, 5))), gs.Tensor(np.ones((3, 0, 2))), bias=gs.Tensor(np.arange(3.0)))
    assert_close(y.numpy(), np.broadcast_to(np.arange(3.0)[None, :, None], (2, 3, 4)))


# ---- pooling ---------------------------------------------------------------------------------

POOL2D_CASES = [(2, 3, 8, 8, 2, 2, 0), (1, 2, 7, 9, 3, 2, 1), (2, 1, 6, 5, 3, 1, 1), (1, 2, 5, 5, 4, 3, 2),
                (3, 2, 4, 6, 1, 1, 0), (1, 1, 9, 9, 5, 4, 2), (2, 2, 5, 6, 2, 1, 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [c for c in POOL2D_CASES if c[6] == 0], ids=str)
@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
def test_pool2d_vs_pydynet(op, case, dtype):
    # Without padding PyDyNet's max pooling is right; its average pooling always is.
    n, c, h, w, k, s, p = case
    x = randn((n, c, h, w), dtype, 13)
    g = weight((n, c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1), dtype)
    fn = lambda m, a: getattr(FUNCTIONAL[m], op)(a, k, s, p)  # noqa: E731
    ref_value, (ref_grad,) = run(pdn, fn, [x], g)
    value, (grad,) = run(gs, fn, [x], g)
    assert_close(value, ref_value)
    assert_close(grad, ref_grad.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [c for c in POOL2D_CASES if c[6] > 0], ids=str)
def test_avg_pool2d_with_padding_vs_pydynet(case, dtype):
    n, c, h, w, k, s, p = case
    x = randn((n, c, h, w), dtype, 14)
    g = weight((n, c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1), dtype)
    fn = lambda m, a: FUNCTIONAL[m].avg_pool2d(a, k, s, p)  # noqa: E731
    ref_value, (ref_grad,) = run(pdn, fn, [x], g)
    value, (grad,) = run(gs, fn, [x], g)
    assert_close(value, ref_value)
    assert_close(grad, ref_grad.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", POOL2D_CASES, ids=str)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool2d_negative_inputs_vs_numpy(kind, case, dtype):
    # All inputs negative: PyDyNet's zero padding would win every border window of max pooling.
    n, c, h, w, k, s, p = case
    x = -np.abs(randn((n, c, h, w), dtype, 15)) - 0.1
    g = weight((n, c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1), dtype)
    out, dx = pool2d_reference(kind, x, (k, k), (s, s), (p, p), g)
    value, (grad,) = gradswift_run(lambda a: getattr(F, f"{kind}_pool2d")(a, k, s, p), [x], g)
    assert_close(value, out.astype(dtype), dtype)
    assert_close(grad, dx.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", [(2, 3, 10, 2, 2, 0), (1, 2, 9, 3, 2, 1), (2, 1, 7, 3, 1, 1), (1, 2, 8, 4, 3, 2),
                                  (3, 1, 5, 1, 1, 0), (1, 1, 11, 5, 4, 2)], ids=str)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool1d_vs_numpy(kind, case, dtype):
    # PyDyNet 1.1's 1-D pools reduce over the wrong axis (see the module docstring).
    n, c, length, k, s, p = case
    x = randn((n, c, length), dtype, 16) - 0.5
    g = weight((n, c, (length + 2 * p - k) // s + 1), dtype)
    out, dx = pool1d_reference(kind, x, k, s, p, g)
    value, (grad,) = gradswift_run(lambda a: getattr(F, f"{kind}_pool1d")(a, k, s, p), [x], g)
    assert_close(value, out.astype(dtype), dtype)
    assert_close(grad, dx.astype(dtype), dtype)


def test_max_pool_gradient_goes_to_the_first_tied_maximum():
    # PyTorch's rule; PyDyNet would give each tied maximum the full gradient.
    x = np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 5.0, 5.0]]]])
    value, (grad,) = gradswift_run(lambda a: F.max_pool2d(a, 2, 2), [x], np.ones((1, 1, 1, 2)))
    assert_close(value, np.array([[[[3.0, 5.0]]]]))
    assert_close(grad, np.array([[[[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]]]))


def test_max_pool_propagates_nan():
    x = np.array([[[1.0, np.nan, 2.0, 0.5, -1.0, -2.0]]])
    value, (grad,) = gradswift_run(lambda a: F.max_pool1d(a, 3, 3), [x], np.ones((1, 1, 2)))
    assert np.isnan(value[0, 0, 0]) and value[0, 0, 1] == 0.5
    assert_close(grad, np.array([[[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]]]))


def test_functional_ops_take_arrays():
    # NumPy operands become temporary tensors that must live through the call.
    x, kernel, bias = randn((2, 1, 5, 5), seed=21), randn((3, 1, 3, 3), seed=22), randn((3,), seed=23)
    out, _, _, _ = conv2d_reference(x, kernel, bias, (1, 1), (1, 1), np.zeros((2, 3, 5, 5)))
    assert_close(F.conv2d(x, kernel, 1, bias=bias).numpy(), out)
    out, _ = pool2d_reference("max", x, (2, 2), (2, 2), (0, 0), np.zeros((2, 1, 2, 2)))
    assert_close(F.max_pool2d(x, 2).numpy(), out)


def test_pool_stride_defaults_to_kernel_size():
    x = randn((1, 2, 6, 6), seed=17)
    assert_close(F.max_pool2d(gs.Tensor(x), 3).numpy(), F.max_pool2d(gs.Tensor(x), 3, 3).numpy())
    assert nn.AvgPool1d(2).stride == 2 and nn.MaxPool2d(3, padding=1).stride == 3


# ---- modules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1)])
def test_conv2d_module_vs_pydynet(stride, padding, bias, dtype):
    ours = nn.Conv2d(3, 4, 3, stride, padding, bias, dtype=dtype)
    theirs = pnn.Conv2d(3, 4, 3, stride, padding, bias, dtype=dtype)
    theirs.weight.data[...] = ours.weight.numpy()
    if bias:
        theirs.bias.data[...] = ours.bias.numpy()
    x = randn((2, 3, 7, 6), dtype, 18)
    results = []
    for m, layer in [(pdn, theirs), (gs, ours)]:
        xt = m.Tensor(x, requires_grad=True)
        y = layer(xt)
        (y * m.Tensor(weight(y.shape, dtype))).sum().backward()
        params = [layer.weight] + ([layer.bias] if bias else [])
        results.append([y.numpy(), xt.grad] + [t.grad for t in params])
    for expected, got in zip(*results):
        assert_sums_close(np.asarray(got), np.asarray(expected), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv1d_module_vs_numpy(bias, dtype):
    layer = nn.Conv1d(2, 3, 3, stride=2, padding=1, bias=bias, dtype=dtype)
    x = randn((2, 2, 9), dtype, 19)
    xt = gs.Tensor(x, requires_grad=True)
    y = layer(xt)
    g = weight(y.shape, dtype)
    (y * gs.Tensor(g)).sum().backward()
    b = layer.bias.numpy() if bias else None
    out, dx, dw, db = conv1d_reference(x, layer.weight.numpy(), b, 2, 1, g)
    assert_sums_close(y.numpy(), out, dtype)
    assert_sums_close(xt.grad, dx, dtype)
    assert_sums_close(layer.weight.grad, dw, dtype)
    if bias:
        assert_sums_close(layer.bias.grad, db.reshape(1, 3, 1), dtype)
    else:
        assert layer.bias is None


@pytest.mark.parametrize("cls, args", [("Conv1d", (3, 5, 2)), ("Conv2d", (1, 20, 3))])
def test_conv_parameters_and_init_as_pydynet(cls, args):
    ours, theirs = getattr(nn, cls)(*args), getattr(pnn, cls)(*args)
    assert ours.weight.shape == theirs.weight.shape and ours.bias.shape == theirs.bias.shape
    assert ours.weight.dtype == theirs.weight.dtype == np.float64
    assert [name for name, _ in ours.named_parameters()] == ["weight", "bias"]
    assert (ours.in_channels, ours.out_channels, ours.kernel_size, ours.stride, ours.padding) == \
        (theirs.in_channels, theirs.out_channels, theirs.kernel_size, theirs.stride, theirs.padding)
    # PyDyNet's fan_in of an (out, in, k...) weight is out * k...: kaiming_uniform(a=sqrt(5))
    # with relu's gain gives the bound sqrt(6 / fan_in); the bias bound is 1 / sqrt(fan_in).
    fan_in = args[1] * args[2] ** (len(ours.weight.shape) - 2)
    w, b = ours.weight.numpy(), ours.bias.numpy()
    assert np.abs(w).max() <= np.sqrt(6 / fan_in) and np.abs(w).max() > 0.5 * np.sqrt(6 / fan_in)
    assert np.abs(b).max() <= 1 / np.sqrt(fan_in)
    assert nn.Conv2d(2, 3, 3, dtype=np.float32).weight.dtype == np.float32


@pytest.mark.parametrize("make", [
    lambda m: m.Conv1d(3, 5, 2), lambda m: m.Conv1d(3, 5, 2, 2, 1, False),
    lambda m: m.Conv2d(1, 20, 3, padding=1), lambda m: m.Conv2d(20, 50, 5, 2, 0, False),
    lambda m: m.MaxPool1d(2, 2, 0), lambda m: m.MaxPool2d(3, 2, 1), lambda m: m.AvgPool1d(4, 1, 2),
    lambda m: m.AvgPool2d(2, 2, 1)])
def test_repr_equals_pydynet(make):
    assert repr(make(nn)) == repr(make(pnn))


def test_convnet_of_modules_trains_one_step_without_leaks():
    before = live_handles()
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1),
                        nn.AvgPool2d(2))
    x = gs.Tensor(randn((3, 1, 8, 8), np.float64, 20))
    y = net(x)
    assert y.shape == (3, 6, 2, 2)
    y.sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in net.parameters())
    del net, x, y
    assert live_handles() == before


# ---- bad inputs ------------------------------------------------------------------------------

def t(shape, dtype=np.float32):
    return gs.Tensor(np.ones(shape, dtype=dtype))


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv2d(t((3, 4)), t((1, 1, 1, 1))), ValueError, "input must be 4-D (N, C, H, W), got (3, 4)"),
    (lambda: F.conv2d(t((1, 1, 4, 4)), t((1, 1, 3))), ValueError, "weight must be 4-D"),
    (lambda: F.conv1d(t((1, 4, 4, 4)), t((1, 1, 3))), ValueError, "input must be 3-D (N, C, L)"),
    (lambda: F.conv2d(t((1, 3, 5, 5)), t((2, 1, 3, 3))), ValueError, "conv2d: input has 3 channels, weight expects 1"),
    (lambda: F.conv2d(t((1, 1, 3, 3)), t((1, 1, 5, 5)), 0), ValueError, "kernel size (5, 5) is larger than the padded input (3, 3)"),
    (lambda: F.conv1d(t((1, 1, 3)), t((1, 1, 6)), 1), ValueError, "kernel size (6,) is larger than the padded input (5,)"),
    (lambda: F.conv2d(t((1, 1, 5, 5)), t((1, 1, 3, 3)), 0, 0), ValueError, "stride must be positive, got 0"),
    (lambda: F.conv1d(t((1, 1, 5)), t((1, 1, 3)), -1), ValueError, "padding must be non-negative, got -1"),
    (lambda: F.conv2d(t((1, 1, 5, 5)), t((1, 1, 0, 3))), ValueError, "kernel size must be positive"),
    (lambda: F.conv2d(t((1, 1, 5, 5)), t((1, 1, 3, 3), np.int64)), TypeError, "conv2d: weight must be float16, float32 or float64, got int64"),
    (lambda: F.conv2d(t((1, 1, 5, 5), np.int64), t((1, 1, 3, 3), np.int64)), TypeError, "input must be float16, float32 or float64, got int64"),
    (lambda: F.conv2d(t((1, 1, 5, 5)), t((2, 1, 3, 3)), bias=t((3,))), ValueError, "bias must have 2 elements"),
    (lambda: F.conv2d(t((1, 1, 5, 5)), t((2, 1, 3, 3)), bias=t((2,), np.int64)), TypeError, "conv2d: bias must be float16, float32 or float64, got int64"),
    (lambda: F.conv2d(t((1, 1, 5, 5)), t((1, 1, 3, 3)), 2 ** 62), MemoryError, "padding"),
    (lambda: F.conv2d(t((1, 1, 5, 5)), t((1, 1, 3, 3)), 2 ** 70), OverflowError, "does not fit in int64"),
    (lambda: F.conv2d(t((1, 1, 5, 5)), t((1, 1, 3, 3)), 1.5), TypeError, "padding must be an integer"),
    (lambda: F.conv2d(t((1, 1, 0, 5)), t((1, 1, 1, 1))), ValueError, "input size (0, 5) must be positive"),
    (lambda: F.max_pool2d(t((2, 3)), 2), ValueError, "max_pool2d: input must be 4-D"),
    (lambda: F.avg_pool1d(t((2, 3, 4, 4)), 2), ValueError, "avg_pool1d: input must be 3-D"),
    (lambda: F.max_pool2d(t((1, 1, 4, 4)), 3, 1, 2), ValueError, "padding 2 must be at most half the kernel size 3"),
    (lambda: F.max_pool2d(t((1, 1, 4, 4)), 5), ValueError, "kernel size (5, 5) is larger than the padded input (4, 4)"),
    (lambda: F.avg_pool2d(t((1, 1, 4, 4)), 2, 0), ValueError, "stride must be positive, got 0"),
    (lambda: F.max_pool1d(t((1, 1, 4)), 0), ValueError, "kernel size must be positive"),
    (lambda: F.max_pool1d(t((1, 1, 4), np.int64), 2), TypeError, "input must be float16, float32 or float64"),
    (lambda: F.max_pool2d(t((1, 1, 4, 4)), 2.0), TypeError, "kernel_size must be an integer"),
    (lambda: nn.Conv2d(0, 3, 3), ValueError, "in_channels and out_channels must be positive"),
    (lambda: nn.Conv1d(1, 3, 0), ValueError, "kernel_size must be positive"),
    (lambda: nn.Conv2d(1, 3, 3, stride=0), ValueError, "stride must be positive"),
    (lambda: nn.Conv2d(1, 3, 3, dtype=np.int64), TypeError, "dtype must be float16, float32 or float64"),
    (lambda: nn.MaxPool2d(2, 2, 2), ValueError, "padding must be between 0 and half the kernel size 2"),
    (lambda: nn.AvgPool1d(0), ValueError, "kernel_size and stride must be positive"),
    (lambda: nn.Conv2d(1, 2, 3)(t((1, 2, 5, 5), np.float64)), ValueError, "input has 2 channels, weight expects 1"),
    (lambda: nn.MaxPool2d(2)(t((1, 5, 5))), ValueError, "input must be 4-D"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_inputs_raise_clear_errors(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)
