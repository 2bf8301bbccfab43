"""PyTorch's per-channel layers beyond PyDyNet: GroupNorm, InstanceNorm1d/2d and Dropout1d/2d,
and their functional forms. Values against NumPy references, running statistics, modes,
reprs, parameters and buffers, errors and handle counts. The golden files check F.group_norm and
F.instance_norm's values and gradients in both float types; gradcheck checks the gradients."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.nn.functional as F
from gradswift import nn
from helpers import assert_close, live_handles, randn


def np_group_norm(x, groups, w=None, b=None, eps=1e-5):
    n, c = x.shape[:2]
    g = x.reshape(n, groups, -1)
    y = ((g - g.mean(2, keepdims=True)) / np.sqrt(g.var(2, keepdims=True) + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    y = y if w is None else y * w.reshape(shape)
    return y if b is None else y + b.reshape(shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, groups", [((2, 4, 3), 2), ((3, 6, 2, 2), 3), ((2, 4), 4), ((1, 6, 5), 1)])
def test_group_norm_matches_numpy(dtype, shape, groups):
    x = randn(shape, dtype, seed=1)
    layer = nn.GroupNorm(groups, shape[1], dtype=dtype)
    w, b = randn((shape[1],), dtype, seed=2), randn((shape[1],), dtype, seed=3)
    layer.weight.data[...] = w
    layer.bias.data[...] = b
    got = layer(gs.Tensor(x))
    assert got.dtype == dtype
    assert_close(got.numpy(), np_group_norm(x.astype(np.float64), groups, w, b).astype(dtype))
    assert_close(F.group_norm(x, groups, w, b).numpy(), got.numpy())


def test_group_norm_layer_api():
    layer = nn.GroupNorm(2, 4)
    assert repr(layer) == "GroupNorm(2, 4, eps=1e-05, affine=True)"
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.numpy().tolist() == [1, 1, 1, 1] and layer.bias.numpy().tolist() == [0, 0, 0, 0]
    bare = nn.GroupNorm(3, 6, eps=1e-3, affine=False)
    assert repr(bare) == "GroupNorm(3, 6, eps=0.001, affine=False)" and list(bare.parameters()) == []
    x = gs.Tensor(randn((2, 6, 3)), requires_grad=True)
    bare(x).sum().backward()
    assert x.grad.shape == (2, 6, 3)
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        F.group_norm(randn((2, 6)), 4)
    with pytest.raises(ValueError, match="must have shape \\(4,\\)"):
        F.group_norm(randn((2, 4)), 2, weight=np.ones(3))
    with pytest.raises(TypeError):
        F.group_norm(np.ones((2, 4), np.int64), 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer, shape", [(nn.InstanceNorm1d, (2, 3, 5)), (nn.InstanceNorm2d, (2, 3, 4, 3))])
def test_instance_norm_tracks_running_statistics(dtype, layer, shape):
    m = layer(3, momentum=0.2, affine=True, track_running_stats=True, dtype=dtype)
    x = randn(shape, dtype, seed=4)
    got = m(gs.Tensor(x))
    assert_close(got.numpy(), np_group_norm(x.astype(np.float64), 3).astype(dtype))
    axes = tuple(range(2, x.ndim))
    x64 = x.astype(np.float64)
    assert_close(m.running_mean.numpy(), (0.2 * x64.mean(axes).mean(0)).astype(dtype))
    assert_close(m.running_var.numpy(), (0.8 + 0.2 * x64.var(axes, ddof=1).mean(0)).astype(dtype))
    m.eval()
    rm, rv = m.running_mean.numpy().astype(np.float64), m.running_var.numpy().astype(np.float64)
    shape_c = (1, 3) + (1,) * (x.ndim - 2)
    want = (x64 - rm.reshape(shape_c)) / np.sqrt(rv.reshape(shape_c) + 1e-5)
    assert_close(m(gs.Tensor(x)).numpy(), want.astype(dtype))
    unbatched = m(gs.Tensor(x[0]))
    assert unbatched.shape == x.shape[1:]


def test_instance_norm_layer_api():
    m = nn.InstanceNorm2d(3)
    assert repr(m) == "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)"
    assert list(m.named_parameters()) == [] and list(m.named_buffers()) == []
    tracked = nn.InstanceNorm1d(4, affine=True, track_running_stats=True)
    assert [n for n, _ in tracked.named_buffers()] == ["running_mean", "running_var"]
    assert [n for n, _ in tracked.named_parameters() if n in ("weight", "bias")] == ["weight", "bias"]
    assert set(tracked.state_dict()) >= {"weight", "bias", "running_mean", "running_var"}
    m.eval()  # no running statistics: the input's own are used, as PyTorch
    x = randn((2, 3, 4, 4), seed=5)
    assert_close(m(gs.Tensor(x)).numpy(), np_group_norm(x, 3))
    with pytest.raises(ValueError, match="expected 3D \\(unbatched\\) or 4D"):
        m(gs.Tensor(randn((2, 3))))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(randn((2, 3, 1)))
    with pytest.raises(ValueError, match="required"):
        F.instance_norm(randn((2, 3, 4)), use_input_stats=False)
    with pytest.raises(TypeError, match="dtype"):
        F.instance_norm(randn((2, 3, 4)), gs.zeros(3, dtype=np.float32), gs.ones(3, dtype=np.float32))


@pytest.mark.parametrize("layer, shape", [(nn.Dropout1d, (4, 6, 5)), (nn.Dropout1d, (6, 5)),
                                          (nn.Dropout2d, (4, 6, 3, 3)), (nn.Dropout2d, (6, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(layer, shape):
    gs.manual_seed(1)
    m = layer(0.5)
    x = gs.Tensor(np.ones(shape), requires_grad=True)
    y = m(x)
    spatial = 1 if layer is nn.Dropout1d else 2
    per_channel = y.numpy().reshape(shape[:len(shape) - spatial] + (-1,))
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))  # each channel kept whole or zeroed
    assert 0 < (per_channel == 0).mean() < 1
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.numpy())
    m.eval()
    assert np.array_equal(m(x).numpy(), x.numpy())


def test_channel_dropout_api():
    assert repr(nn.Dropout2d()) == "Dropout2d(p=0.5, inplace=False)"
    assert repr(nn.Dropout1d(0.25)) == "Dropout1d(p=0.25, inplace=False)"
    x = gs.Tensor(randn((2, 3, 4)))
    np.testing.assert_array_equal(F.dropout1d(x, 0.7, training=False).numpy(), x.numpy())
    assert (F.dropout1d(x, 1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout2d(randn((2, 3, 4, 4)), -0.1)
    with pytest.raises(ValueError, match="expected 2D \\(unbatched\\) or 3D"):
        F.dropout1d(randn((2, 3, 4, 4)))
    with pytest.raises(TypeError, match="float32 or float64"):
        F.dropout2d(np.ones((2, 3, 4), np.int64))


def test_channel_layers_leave_no_handles():
    layers = [nn.GroupNorm(2, 4), nn.InstanceNorm1d(4, affine=True, track_running_stats=True), nn.Dropout1d(0.3)]
    x = gs.Tensor(randn((2, 4, 5)), requires_grad=True)
    for m in layers:  # warm up: gradient buffers exist after the first backward
        m(x).sum().backward()
    before = live_handles()
    for _ in range(5):
        for m in layers:
            m(x).sum().backward()
        for bad in (lambda: F.group_norm(x, 3), lambda: F.dropout1d(x, 2.0)):
            with pytest.raises(ValueError):
                bad()
    assert live_handles() == before
