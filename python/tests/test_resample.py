"""PyTorch's resampling layers: adaptive max and average pooling (1-D and 2-D, batched and
unbatched, None sizes), interpolate / Upsample ('nearest', 'linear', 'bilinear', align_corners)
and the transposed convolutions, functional and as layers: values and gradients against NumPy
references written from PyTorch's definitions, second derivatives, dtypes, reprs, errors and
handle counts. (Checked by hand against PyTorch 2 as well: identical values and gradients in
float32 and float64.) The golden file resample.txt checks them through Swift, C and Python."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.nn.functional as F
from gradswift import nn
from gradswift.autograd import gradcheck, gradgradcheck
from helpers import assert_close, live_handles, randn, weight

FLOATS = [np.float32, np.float64]


def backward(fn, *arrays):
    """fn(*tensors), its value and the gradients of sum(out * w) for a fixed weight w."""
    tensors = [gs.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    w = weight(out.shape, out.dtype)
    (out * gs.Tensor(w)).sum().backward()
    return out.numpy(), w, [t.grad for t in tensors]


# ---- adaptive pooling -----------------------------------------------------------------------

def windows(n, count):
    return [(i * n // count, -(-(i + 1) * n // count)) for i in range(count)]


def np_adaptive(x, sizes, kind, w):
    """Adaptive pooling of the last len(sizes) axes (None keeps a size) and the gradient of
    sum(out * w): to each window's first maximum, or spread evenly."""
    dims = len(sizes)
    inner = x.shape[-dims:]
    sizes = [n if s is None else s for n, s in zip(inner, sizes)]
    h, width = (1, inner[0]) if dims == 1 else inner
    oh, ow = (1, sizes[0]) if dims == 1 else sizes
    planes = x.reshape(-1, h, width).astype(np.float64)
    out = np.zeros((planes.shape[0], oh, ow))
    grad = np.zeros_like(planes)
    wp = w.reshape(planes.shape[0], oh, ow)
    for i, (r0, r1) in enumerate(windows(h, oh)):
        for j, (c0, c1) in enumerate(windows(width, ow)):
            block = planes[:, r0:r1, c0:c1].reshape(planes.shape[0], -1)
            if kind == "max":
                first = block.argmax(axis=1)
                out[:, i, j] = block.max(axis=1)
                for p, f in enumerate(first):
                    grad[p, r0 + f // (c1 - c0), c0 + f % (c1 - c0)] += wp[p, i, j]
            else:
                out[:, i, j] = block.mean(axis=1)
                grad[:, r0:r1, c0:c1] += (wp[:, i, j] / block.shape[1])[:, None, None]
    return out.reshape(x.shape[:-dims] + tuple(sizes)), grad.reshape(x.shape)


ADAPTIVE_2D = [((2, 3, 5, 7), (3, 4), (3, 4)), ((1, 2, 6, 6), 4, (4, 4)), ((2, 5, 4), (None, 3), (None, 3)),
               ((1, 1, 3, 3), (5, 4), (5, 4)), ((2, 2, 10, 3), [4, None], (4, None)), ((1, 2, 4, 4), 1, (1, 1))]
ADAPTIVE_1D = [((2, 3, 7), 3), ((3, 5), 8), ((2, 2, 5), None), ((1, 2, 10), 4), ((1, 1, 13), 5)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_adaptive_pool2d_matches_numpy(kind, dtype):
    fn = F.adaptive_max_pool2d if kind == "max" else F.adaptive_avg_pool2d
    layer = nn.AdaptiveMaxPool2d if kind == "max" else nn.AdaptiveAvgPool2d
    for seed, (shape, size, sizes) in enumerate(ADAPTIVE_2D):
        x = randn(shape, dtype, seed)
        value, w, (grad,) = backward(lambda t: fn(t, size), x)
        expected, expected_grad = np_adaptive(x, sizes, kind, w.astype(np.float64))
        assert_close(value, expected.astype(dtype))
        assert_close(grad, expected_grad.astype(dtype))
        assert_close(layer(size)(gs.Tensor(x)).numpy(), value)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_adaptive_pool1d_matches_numpy(kind, dtype):
    fn = F.adaptive_max_pool1d if kind == "max" else F.adaptive_avg_pool1d
    layer = nn.AdaptiveMaxPool1d if kind == "max" else nn.AdaptiveAvgPool1d
    for seed, (shape, size) in enumerate(ADAPTIVE_1D):
        x = randn(shape, dtype, seed)
        value, w, (grad,) = backward(lambda t: fn(t, size), x)
        expected, expected_grad = np_adaptive(x, (size,), kind, w.astype(np.float64))
        assert_close(value, expected.astype(dtype))
        assert_close(grad, expected_grad.astype(dtype))
        assert_close(layer(size)(gs.Tensor(x)).numpy(), value)


def test_adaptive_max_pool_ties_nan_and_empty_output():
    x = np.array([[[1.0, 3.0, 3.0, 0.0, np.nan, 2.0]]])
    value, w, (grad,) = backward(lambda t: F.adaptive_max_pool1d(t, 2), x)
    assert value[0, 0, 0] == 3.0 and np.isnan(value[0, 0, 1])
    np.testing.assert_array_equal(grad, [[[0, w[0, 0, 0], 0, 0, w[0, 0, 1], 0]]])  # first maximum; the NaN wins
    assert F.adaptive_avg_pool2d(gs.Tensor(randn((1, 2, 3, 3))), (0, 2)).shape == (1, 2, 0, 2)
    assert F.adaptive_avg_pool2d(gs.Tensor(randn((0, 2, 3, 3))), 2).shape == (0, 2, 2, 2)


def test_adaptive_pool_second_derivatives():
    x = gs.Tensor(randn((2, 2, 5, 7)), requires_grad=True)
    line = gs.Tensor(randn((2, 2, 7), seed=1), requires_grad=True)
    assert gradgradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), (x,))
    assert gradgradcheck(lambda t: F.adaptive_max_pool2d(t, (3, None)), (x,))
    assert gradgradcheck(lambda t: F.adaptive_avg_pool1d(t, 4), (line,))
    assert gradgradcheck(lambda t: F.adaptive_max_pool1d(t, 3), (line,))


def test_adaptive_pool_reprs_and_errors():
    assert repr(nn.AdaptiveAvgPool2d(5)) == "AdaptiveAvgPool2d(output_size=5)"
    assert repr(nn.AdaptiveAvgPool2d((5, None))) == "AdaptiveAvgPool2d(output_size=(5, None))"
    assert repr(nn.AdaptiveMaxPool2d((5, 5))) == "AdaptiveMaxPool2d(output_size=(5, 5))"
    assert repr(nn.AdaptiveMaxPool1d(3)) == "AdaptiveMaxPool1d(output_size=3)"
    x = gs.Tensor(randn((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="3-D .* or 4-D"):
        F.adaptive_avg_pool2d(gs.Tensor(randn((4, 4))), 2)
    with pytest.raises(ValueError, match="2-D .* or 3-D"):
        F.adaptive_max_pool1d(x, 2)
    with pytest.raises(ValueError, match="non-negative"):
        F.adaptive_avg_pool2d(x, (-2, 3))
    with pytest.raises(ValueError, match="tuple of 2"):
        F.adaptive_avg_pool2d(x, (1, 2, 3))
    with pytest.raises(ValueError, match="return_indices"):
        F.adaptive_max_pool2d(x, 2, return_indices=True)
    with pytest.raises(ValueError, match="return_indices"):
        nn.AdaptiveMaxPool1d(2, return_indices=True)
    with pytest.raises(TypeError):
        F.adaptive_avg_pool1d(gs.Tensor(np.ones((2, 3), np.int64)), 2)
    with pytest.raises(ValueError, match="positive"):
        F.adaptive_avg_pool1d(gs.Tensor(np.ones((2, 0))), 2)


# ---- interpolate and Upsample ---------------------------------------------------------------

def np_axis(n, count, factor, mode, align):
    """One axis of PyTorch's interpolate as a (count, n) matrix (nearest indices in float32, as
    PyTorch computes them)."""
    if count == n:
        return np.eye(n)
    m = np.zeros((count, n))
    if mode == "nearest":
        if count == 2 * n:
            m[np.arange(count), np.arange(count) >> 1] = 1
            return m
        scale = np.float32(1.0 / factor) if factor else np.float32(n) / np.float32(count)
        m[np.arange(count), [min(int(np.floor(np.float32(i) * scale)), n - 1) for i in range(count)]] = 1
        return m
    ratio = ((n - 1) / (count - 1) if count > 1 else 0.0) if align else (1.0 / factor if factor else n / count)
    for i in range(count):
        real = ratio * i if align else max(ratio * (i + 0.5) - 0.5, 0.0)
        first = min(int(np.floor(real)), n - 1)
        lam = min(max(real - first, 0.0), 1.0)
        m[i, first] += 1 - lam
        m[i, min(first + 1, n - 1)] += lam
    return m


def np_interpolate(x, size, factor, mode, align, w):
    dims = x.ndim - 2
    sizes = (list(size) if isinstance(size, tuple) else [size] * dims) if size is not None else None
    factors = (list(factor) if isinstance(factor, tuple) else [factor] * dims) if factor is not None else [None] * dims
    outer = sizes or [int(np.floor(n * f)) for n, f in zip(x.shape[2:], factors)]
    ms = [np_axis(n, c, f, mode, align) for n, c, f in zip(x.shape[2:], outer, factors)]
    rows, cols = (ms[0] if dims == 2 else np.ones((1, 1))), ms[-1]
    planes = x.astype(np.float64).reshape(x.shape[0], x.shape[1], -1, x.shape[-1])
    out = (rows @ planes @ cols.T).reshape(x.shape[:2] + tuple(outer))
    wp = w.astype(np.float64).reshape(x.shape[:2] + (rows.shape[0], cols.shape[0]))
    return out, (rows.T @ wp @ cols).reshape(x.shape)


INTERPOLATIONS = [((2, 3, 4, 5), None, 2), ((1, 2, 5, 7), (3, 4), None), ((1, 2, 14, 9), (20, 13), None),
                  ((1, 1, 4, 6), None, (1.7, 0.6)), ((1, 2, 3, 3), None, 3.3), ((1, 2, 4, 4), 4, None)]
INTERPOLATIONS_1D = [((2, 3, 5), None, 2), ((1, 2, 7), 4, None), ((1, 2, 4), 9, None), ((1, 1, 6), None, 1.5)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True),
                                        ("linear", False), ("linear", True)])
def test_interpolate_matches_numpy(mode, align, dtype):
    cases = INTERPOLATIONS_1D if mode == "linear" else INTERPOLATIONS + (INTERPOLATIONS_1D if mode == "nearest" else [])
    for seed, (shape, size, factor) in enumerate(cases):
        x = randn(shape, dtype, seed)
        call = lambda t: F.interpolate(t, size=size, scale_factor=factor, mode=mode, align_corners=align)
        value, w, (grad,) = backward(call, x)
        expected, expected_grad = np_interpolate(x, size, factor, "nearest" if mode == "nearest" else "linear",
                                                 bool(align), w)
        # float32 weights are computed in float32 (as PyTorch), the reference's in float64
        tolerance = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
        assert value.dtype == grad.dtype == dtype
        np.testing.assert_allclose(value, expected, **tolerance)
        np.testing.assert_allclose(grad, expected_grad, **tolerance)
        layer = nn.Upsample(size=size, scale_factor=factor, mode=mode, align_corners=align)
        assert_close(layer(gs.Tensor(x)).numpy(), value)


def test_interpolate_second_derivatives():
    x = gs.Tensor(randn((1, 2, 3, 4)), requires_grad=True)
    line = gs.Tensor(randn((2, 2, 4), seed=1), requires_grad=True)
    assert gradgradcheck(lambda t: F.interpolate(t, scale_factor=2, mode="bilinear"), (x,))
    assert gradgradcheck(lambda t: F.interpolate(t, size=(5, 3), mode="bilinear", align_corners=True), (x,))
    assert gradgradcheck(lambda t: F.interpolate(t, size=(5, 7)), (x,))
    assert gradgradcheck(lambda t: F.interpolate(t, size=7, mode="linear"), (line,))


def test_upsample_reprs_and_interpolate_errors():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True)) == "Upsample(size=(3, 4), mode='bilinear')"
    assert repr(nn.Upsample(size=3)) == "Upsample(size=3, mode='nearest')"
    assert repr(nn.Upsample(scale_factor=(2, 3), mode="bilinear")) == "Upsample(scale_factor=(2.0, 3.0), mode='bilinear')"
    x = gs.Tensor(randn((1, 2, 3, 3)))
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        nn.Upsample(size=2, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="not supported"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="needs a 3-D input"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="needs a 4-D input"):
        F.interpolate(gs.Tensor(randn((1, 2, 3))), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="positive"):
        F.interpolate(x, scale_factor=-1.0)
    with pytest.raises(ValueError, match="positive"):
        F.interpolate(x, size=(0, 2))
    with pytest.raises(ValueError, match="empty output"):
        F.interpolate(x, scale_factor=0.2)
    with pytest.raises(ValueError, match="1 or 1 values"):
        F.interpolate(gs.Tensor(randn((1, 2, 3))), size=(2, 2))
    with pytest.raises(ValueError, match="3-D .* or 4-D"):
        F.interpolate(gs.Tensor(randn((2, 3))), size=2)
    with pytest.raises(ValueError, match="not supported"):
        F.interpolate(x, scale_factor=2, antialias=True)


# ---- transposed convolution -----------------------------------------------------------------

def np_conv_transpose(x, w, b, stride, padding, extra, g):
    """conv_transpose2d on (N, C, H, W) by scattering every input through the kernel, with the
    gradients of sum(out * g) for x, w and b."""
    n, _, h, width = x.shape
    kh, kw = w.shape[2:]
    full = ((h - 1) * stride[0] + kh + extra[0], (width - 1) * stride[1] + kw + extra[1])
    out_size = (full[0] - 2 * padding[0], full[1] - 2 * padding[1])
    y = np.zeros((n, w.shape[1]) + full)
    gfull = np.zeros_like(y)
    crop = (slice(None), slice(None), slice(padding[0], padding[0] + out_size[0]), slice(padding[1], padding[1] + out_size[1]))
    gfull[crop] = g
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(h):
        for j in range(width):
            top, left = i * stride[0], j * stride[1]
            y[:, :, top:top + kh, left:left + kw] += np.einsum("ni,iokl->nokl", x[:, :, i, j], w)
            window = gfull[:, :, top:top + kh, left:left + kw]
            dx[:, :, i, j] = np.einsum("nokl,iokl->ni", window, w)
            dw += np.einsum("ni,nokl->iokl", x[:, :, i, j], window)
    y = y[crop]
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y, dx, dw, g.sum(axis=(0, 2, 3))


CONV_TRANSPOSE_2D = [((2, 3, 4, 5), (3, 2, 3, 3), True, 2, 1, 1), ((1, 2, 3, 3), (2, 4, 2, 3), False, (1, 2), (0, 1), (0, 1)),
                     ((2, 1, 5, 4), (1, 2, 4, 4), True, 3, 2, 2), ((1, 2, 2, 2), (2, 1, 1, 1), True, 1, 0, 0)]


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


@pytest.mark.parametrize("dtype", FLOATS)
def test_conv_transpose2d_matches_numpy(dtype):
    for seed, (sx, sk, bias, stride, padding, extra) in enumerate(CONV_TRANSPOSE_2D):
        x, w = randn(sx, dtype, seed), randn(sk, dtype, seed + 10)
        arrays = [x, w] + ([randn((sk[1],), dtype, seed + 20)] if bias else [])
        value, g, grads = backward(lambda *t: F.conv_transpose2d(t[0], t[1], t[2] if bias else None, stride, padding, extra),
                                   *arrays)
        expected = np_conv_transpose(x.astype(np.float64), w.astype(np.float64), arrays[2] if bias else None, pair(stride),
                                     pair(padding), pair(extra), g.astype(np.float64))
        h = (sx[2] - 1) * pair(stride)[0] - 2 * pair(padding)[0] + sk[2] + pair(extra)[0]
        assert value.shape == (sx[0], sk[1], h, expected[0].shape[3])
        assert_close(value, expected[0].astype(dtype))
        for got, want in zip(grads, expected[1:]):
            assert_close(got, want.astype(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_conv_transpose1d_matches_numpy(dtype):
    for seed, (sx, sk, bias, stride, padding, extra) in enumerate([((2, 3, 6), (3, 2, 3), True, 2, 1, 1),
                                                                    ((1, 2, 4), (2, 3, 5), False, 1, 2, 0)]):
        x, w = randn(sx, dtype, seed), randn(sk, dtype, seed + 10)
        arrays = [x, w] + ([randn((sk[1],), dtype, seed + 20)] if bias else [])
        value, g, grads = backward(lambda *t: F.conv_transpose1d(t[0], t[1], t[2] if bias else None, stride, padding, extra),
                                   *arrays)
        expected = np_conv_transpose(x[:, :, None].astype(np.float64), w[:, :, None].astype(np.float64),
                                     arrays[2] if bias else None, (1, stride), (0, padding), (0, extra),
                                     g[:, :, None].astype(np.float64))
        assert_close(value, expected[0][:, :, 0].astype(dtype))
        for got, want in zip(grads, (expected[1][:, :, 0], expected[2][:, :, 0], expected[3])):
            assert_close(got, want.astype(dtype))


def test_conv_transpose_is_the_adjoint_of_conv_and_differentiates_twice():
    x, y, w = randn((2, 3, 4, 4)), randn((2, 2, 7, 7), seed=1), randn((3, 2, 3, 3), seed=2)
    # <conv2d(y, w), x> = <y, conv_transpose2d(x, w)> for the stride and padding they share
    left = (F.conv2d(gs.Tensor(y), gs.Tensor(w), padding=1, stride=2).numpy() * x).sum()
    right = (y * F.conv_transpose2d(gs.Tensor(x), gs.Tensor(w), stride=2, padding=1).numpy()).sum()
    np.testing.assert_allclose(left, right, rtol=1e-12)
    inputs = tuple(gs.Tensor(a, requires_grad=True) for a in (randn((1, 2, 3, 3)), randn((2, 2, 2, 3), seed=3), randn((2,), seed=4)))
    assert gradcheck(lambda a, k, b: F.conv_transpose2d(a, k, b, stride=(2, 1), padding=(1, 0), output_padding=(1, 0)), inputs)
    assert gradgradcheck(lambda a, k, b: F.conv_transpose2d(a, k, b, stride=2, padding=1), inputs)
    line = tuple(gs.Tensor(a, requires_grad=True) for a in (randn((2, 2, 4)), randn((2, 3, 3), seed=5)))
    assert gradgradcheck(lambda a, k: F.conv_transpose1d(a, k, stride=2, output_padding=1), line)


def test_conv_transpose_layers():
    gs.manual_seed(0)
    layer = nn.ConvTranspose2d(3, 4, (3, 2), stride=2, padding=1, output_padding=1, dtype=np.float64)
    assert layer.weight.shape == (3, 4, 3, 2) and layer.bias.shape == (4,)
    bound = 1 / np.sqrt(4 * 3 * 2)  # PyTorch's fan_in of this layout: out_channels * kernel
    assert 0.8 * bound < np.abs(layer.weight.numpy()).max() <= bound
    assert np.abs(layer.bias.numpy()).max() <= bound
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    x = randn((2, 3, 4, 5))
    out = layer(gs.Tensor(x))
    assert out.shape == (2, 4, 8, 9) and out.dtype == np.float64  # (4 - 1) * 2 - 2 + 3 + 1, (5 - 1) * 2 - 2 + 2 + 1
    assert_close(out.numpy(), F.conv_transpose2d(gs.Tensor(x), layer.weight, layer.bias, 2, 1, 1).numpy())
    assert layer.kernel_size == (3, 2) and layer.stride == (2, 2) and layer.output_padding == (1, 1)
    assert repr(layer) == "ConvTranspose2d(3, 4, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))"
    assert repr(nn.ConvTranspose1d(3, 4, 3)) == "ConvTranspose1d(3, 4, kernel_size=(3,), stride=(1,))"
    plain = nn.ConvTranspose1d(2, 3, 3, stride=2, bias=False)
    assert plain.bias is None and repr(plain) == "ConvTranspose1d(2, 3, kernel_size=(3,), stride=(2,), bias=False)"
    assert plain(gs.Tensor(randn((1, 2, 5), np.float32))).shape == (1, 3, 11)


def test_conv_transpose_errors():
    x, w = gs.Tensor(randn((1, 2, 3, 3))), gs.Tensor(randn((2, 3, 2, 2)))
    with pytest.raises(ValueError, match="groups and dilation"):
        F.conv_transpose2d(x, w, groups=2)
    with pytest.raises(ValueError, match="groups and dilation"):
        nn.ConvTranspose2d(2, 3, 2, dilation=2)
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        nn.ConvTranspose1d(2, 3, 2, output_padding=1)
    with pytest.raises(ValueError, match="channels"):
        F.conv_transpose2d(gs.Tensor(randn((1, 3, 3, 3))), w)
    with pytest.raises(ValueError, match="bias"):
        F.conv_transpose2d(x, w, gs.Tensor(randn((2,))))
    with pytest.raises(ValueError, match="not positive"):
        F.conv_transpose2d(x, w, padding=3)
    with pytest.raises(ValueError, match="4-D"):
        F.conv_transpose2d(gs.Tensor(randn((2, 3, 3))), w)
    with pytest.raises(ValueError, match="stride must be positive"):
        F.conv_transpose1d(gs.Tensor(randn((1, 2, 3))), gs.Tensor(randn((2, 3, 2))), stride=0)


# ---- dtypes and handles ---------------------------------------------------------------------

def test_float32_stays_float32_and_handle_counts_stay_flat():
    x = randn((2, 2, 4, 4), np.float32)
    w = randn((2, 3, 3, 3), np.float32)
    layers = [nn.AdaptiveAvgPool2d((2, None)), nn.AdaptiveMaxPool2d(3), nn.Upsample(scale_factor=2, mode="bilinear"),
              nn.ConvTranspose2d(2, 3, 3, dtype=np.float32)]

    def step():
        t = gs.Tensor(x, requires_grad=True)
        outs = [F.adaptive_avg_pool2d(t, 3), F.adaptive_max_pool1d(t[0], 2), F.interpolate(t, size=(5, 6)),
                F.conv_transpose2d(t, gs.Tensor(w), stride=2)] + [layer(t) for layer in layers]
        assert all(o.dtype == np.float32 for o in outs)
        sum(o.sum() for o in outs).backward()
        assert t.grad.dtype == np.float32
        for fn in (lambda: F.adaptive_avg_pool2d(t, -3), lambda: F.interpolate(t, size=2, mode="linear"),
                   lambda: F.conv_transpose2d(t, gs.Tensor(w), output_padding=1)):
            with pytest.raises(ValueError):
                fn()
    step()
    before = live_handles()
    for _ in range(3):
        step()
    assert live_handles() == before
