"""A float32 batch fed to a float64 layer (the default dtype) is promoted to float64, as PyDyNet's
NumPy arithmetic does, instead of raising: the output is float64 and equals the output for the
batch converted first; the input's gradient keeps float32. A float64 batch through a float32
layer likewise computes in float64 and gives the parameters float32 gradients."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.nn.functional as F
from gradswift import nn
from helpers import assert_close, pdn, randn, run, weight

import pydynet.nn.functional as pd_F  # noqa: E402

LAYERS = {
    "Linear": (lambda: nn.Linear(4, 3), (5, 4)),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3, padding=1), (2, 2, 6)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, 3, stride=2), (2, 2, 7, 7)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(4), (6, 4)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(2), (3, 2, 4, 4)),
    "LayerNorm": (lambda: nn.LayerNorm(4), (3, 4)),
    "RMSNorm": (lambda: nn.RMSNorm(4), (3, 4)),
    "RNN": (lambda: nn.RNN(4, 3, num_layers=2), (5, 2, 4)),
    "LSTM": (lambda: nn.LSTM(4, 3, bidirectional=True), (5, 2, 4)),
    "GRU": (lambda: nn.GRU(4, 3, batch_first=True), (2, 5, 4)),
    "GRUCell": (lambda: nn.GRUCell(4, 3), (2, 4)),
    "LSTMCell": (lambda: nn.LSTMCell(4, 3), (2, 4)),
}


def output(y):
    """The first tensor of a layer's result (recurrent layers return tuples)."""
    while isinstance(y, tuple):
        y = y[0]
    return y


def forward_backward(layer, x):
    """The layer's output on tensor ``x`` and the gradients of ``sum(out * w)``."""
    out = output(layer(x))
    (out * gs.Tensor(weight(out.shape, out.dtype))).sum().backward()
    return out


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_float32_batch_through_float64_layer(name):
    make, shape = LAYERS[name]
    gs.manual_seed(0)
    layer = make()
    data = randn(shape, np.float32, seed=1)
    x32 = gs.Tensor(data, requires_grad=True)
    out = forward_backward(layer, x32)
    parameter_grads = [np.array(p.grad) for p in layer.parameters()]
    layer.zero_grad()
    x64 = gs.Tensor(data.astype(np.float64), requires_grad=True)
    expected = forward_backward(layer, x64)
    assert out.dtype == np.float64
    assert np.array_equal(out.numpy(), expected.numpy())
    assert x32.grad.dtype == np.float32
    # a batch read by several ops (both directions of a bidirectional LSTM) sums float32 parts
    assert_close(x32.grad, np.asarray(x64.grad).astype(np.float32), np.float32)
    for got, p in zip(parameter_grads, layer.parameters()):
        assert got.dtype == np.float64
        assert np.array_equal(got, np.asarray(p.grad))


def test_float64_batch_through_float32_layer():
    layer = nn.Linear(4, 3, dtype=np.float32)
    x = gs.Tensor(randn((5, 4), np.float64), requires_grad=True)
    out = forward_backward(layer, x)
    assert out.dtype == np.float64 and x.grad.dtype == np.float64
    assert layer.weight.grad.dtype == np.float32
    w = weight((5, 3), np.float64)
    assert_close(np.asarray(layer.weight.grad), (x.numpy().T @ w).astype(np.float32), np.float32)


# name: (the op on the functional module, shape of each operand; the first is the float32 batch)
FUNCTIONAL_CASES = {
    "linear": (lambda f, x, w, b: f.linear(x, w, b), [(5, 4), (4, 3), (3,)]),
    "conv2d": (lambda f, x, w: f.conv2d(x, w, 1, 2), [(2, 2, 6, 6), (3, 2, 3, 3)]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONAL_CASES))
def test_promotion_matches_pydynet(name):
    fn, shapes = FUNCTIONAL_CASES[name]
    arrays = [randn(shapes[0], np.float32, 1)] + [randn(s, np.float64, 2 + i) for i, s in enumerate(shapes[1:])]
    reference = {pdn: pd_F, gs: F}
    out_shape = fn(pd_F, *[pdn.Tensor(a) for a in arrays]).shape
    w = weight(out_shape, np.float64)
    ref_value, ref_grads = run(pdn, lambda m, *t: fn(reference[m], *t), arrays, w)
    value, grads = run(gs, lambda m, *t: fn(reference[m], *t), arrays, w)
    assert value.dtype == ref_value.dtype == np.float64
    assert_close(value, ref_value, np.float64)
    # PyDyNet leaves a float32 leaf a float64 gradient; ours has the leaf's dtype
    assert grads[0].dtype == np.float32
    assert_close(grads[0], ref_grads[0].astype(np.float32), np.float32)
    for got, expected in zip(grads[1:], ref_grads[1:]):
        assert_close(got, expected, np.float64)


def test_functional_forms_promote_too():
    x = gs.Tensor(randn((2, 4), np.float32))
    assert F.linear(x, gs.Tensor(randn((4, 3)))).dtype == np.float64
    assert F.layer_norm(x, 4, gs.Tensor(np.ones(4))).dtype == np.float64
    assert F.conv1d(gs.Tensor(randn((1, 2, 5), np.float32)), gs.Tensor(randn((1, 2, 3)))).dtype == np.float64
    assert F.linear(x, gs.Tensor(randn((4, 3), np.float32))).dtype == np.float32


def test_running_statistics_must_match_the_computation():
    layer = nn.BatchNorm1d(4, dtype=np.float32)
    with pytest.raises(TypeError, match="running_mean is float32 but the normalization runs in float64"):
        layer(gs.Tensor(np.zeros((2, 4))))
