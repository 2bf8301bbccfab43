"""Activations (sigmoid, tanh, relu, leaky_relu, silu), softmax and log_softmax, functional and
as layers: values and gradients against PyDyNet 1.1 in float32 and float64, NumPy references
where gradswift follows PyTorch instead, stability, dtypes, reprs and errors."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.nn.functional as F
from gradswift import nn
from helpers import assert_close, pdn, randn, run, weight

import pydynet.nn as pd_nn  # noqa: E402
import pydynet.nn.functional as pd_F  # noqa: E402

DTYPES = [np.float32, np.float64]
SHAPES = [(7,), (3, 4), (2, 3, 5)]


def functional(mod):
    return F if mod is gs else pd_F


def compare_with_pydynet(fn, x, dtype):
    """Values and gradients of ``fn(functional module, tensor)`` on both frameworks."""
    out_shape = fn(pd_F, pdn.Tensor(x)).shape
    w = weight(out_shape, dtype)
    ref_value, (ref_grad,) = run(pdn, lambda m, t: fn(functional(m), t), [x], w)
    value, (grad,) = run(gs, lambda m, t: fn(functional(m), t), [x], w)
    assert_close(value, ref_value)
    assert_close(grad, ref_grad.astype(dtype), dtype)


# ---- elementwise activations ----------------------------------------------------------------

ELEMENTWISE = {
    "sigmoid": lambda f, t: f.sigmoid(t),
    "tanh": lambda f, t: f.tanh(t),
    "relu": lambda f, t: f.relu(t),
    "leaky_relu_0.1": lambda f, t: f.leaky_relu(t, 0.1),
    "leaky_relu_0.01": lambda f, t: f.leaky_relu(t, 0.01),
    "silu": lambda f, t: f.silu(t),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_activation_vs_pydynet(name, shape, dtype):
    x = randn(shape, dtype, seed=len(shape)) * 3  # random normals are never exactly 0
    compare_with_pydynet(ELEMENTWISE[name], x, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_of_extreme_inputs_are_finite(dtype):
    x = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4], dtype=dtype)
    for name, fn in ELEMENTWISE.items():
        value, (grad,) = run(gs, lambda m, t: fn(F, t), [x], np.ones(6, dtype))
        assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad)), name
    value, _ = run(gs, lambda m, t: F.silu(t), [x])
    big = np.abs(x) >= 100  # silu is relu there, to rounding
    assert_close(value[big], np.maximum(x[big], 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_at_zero_follows_pytorch(dtype):
    # PyDyNet computes relu as maximum(0, x) and leaky_relu as maximum(x, a*x), whose gradient
    # at exactly 0 goes to both branches (relu'(0) = 1, leaky_relu'(0) = 1 + a). PyTorch's
    # convention, followed here: relu'(0) = 0 and leaky_relu'(0) = a.
    x = np.array([-2.0, 0.0, 3.0], dtype=dtype)
    w = np.array([1.0, 1.0, 1.0], dtype=dtype)
    _, (grad,) = run(gs, lambda m, t: F.relu(t), [x], w)
    assert_close(grad, np.array([0.0, 0.0, 1.0], dtype=dtype))
    _, (grad,) = run(gs, lambda m, t: F.leaky_relu(t, 0.2), [x], w)
    assert_close(grad, np.array([0.2, 0.2, 1.0], dtype=dtype))


@pytest.mark.parametrize("alpha", [1.5, 1.0, -0.5, 0.0])
def test_leaky_relu_follows_pytorch_for_any_slope(alpha):
    # PyDyNet's maximum(x, a*x) equals leaky_relu only for 0 <= a <= 1 (for a = 1.5 it picks
    # 1.5x on positive inputs, and for a = 1 it doubles the gradient); PyTorch's definition
    # x if x > 0 else a*x is followed instead.
    x = randn((4, 5), seed=3)
    w = weight((4, 5), np.float64)
    value, (grad,) = run(gs, lambda m, t: F.leaky_relu(t, alpha), [x], w)
    assert_close(value, np.where(x > 0, x, alpha * x))
    assert_close(grad, np.where(x > 0, w, alpha * w))


def test_silu_and_sigmoid_match_numpy_in_float64():
    x = randn((3, 4), seed=4) * 4
    w = weight((3, 4), np.float64)
    s = 1 / (1 + np.exp(-x))
    value, (grad,) = run(gs, lambda m, t: F.silu(t), [x], w)
    assert_close(value, x * s)
    assert_close(grad, w * s * (1 + x * (1 - s)))


def test_integer_and_bool_inputs():
    i = np.array([-2, 0, 3])
    # relu keeps ints (as PyDyNet and NumPy's maximum with an int 0).
    assert_close(F.relu(gs.Tensor(i)).numpy(), pd_F.relu(pdn.Tensor(i)).numpy())
    assert_close(F.relu(gs.Tensor(np.array([True, False]))).numpy(), np.array([True, False]))
    # silu of ints is float64, as in PyDyNet.
    assert_close(F.silu(gs.Tensor(i)).numpy(), pd_F.silu(pdn.Tensor(i)).numpy())
    # PyDyNet truncates alpha*x to the int dtype (leaky_relu = relu there) and computes sigmoid
    # and tanh of ints in int64 (all zeros); NumPy's float64 results are given instead.
    assert_close(F.leaky_relu(gs.Tensor(i), 0.5).numpy(), np.array([-1.0, 0.0, 3.0]))
    assert_close(F.sigmoid(gs.Tensor(i)).numpy(), 1 / (1 + np.exp(-i.astype(np.float64))))
    assert_close(F.tanh(gs.Tensor(i)).numpy(), np.tanh(i.astype(np.float64)))


def test_functions_accept_arrays():
    x = np.array([[-1.0, 2.0]])
    assert_close(F.relu(x).numpy(), np.array([[0.0, 2.0]]))
    assert_close(F.softmax(x, 1).numpy(), np.exp(x) / np.exp(x).sum())


# ---- softmax and log_softmax ----------------------------------------------------------------

SOFTMAX_CASES = [((7,), None), ((7,), 0), ((7,), -1), ((3, 4), None), ((3, 4), 0), ((3, 4), 1),
                 ((3, 4), -2), ((2, 3, 5), None), ((2, 3, 5), 0), ((2, 3, 5), 1), ((2, 3, 5), 2),
                 ((2, 3, 5), -1), ((2, 3, 5), (1,))]


def softmax_reference(x, axis):
    if isinstance(axis, tuple):
        axis = axis[0]
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES, ids=str)
def test_softmax_vs_pydynet(shape, axis, dtype):
    x = randn(shape, dtype, seed=7) * 2
    compare_with_pydynet(lambda f, t: f.softmax(t, axis), x, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES, ids=str)
def test_log_softmax_vs_pydynet(shape, axis, dtype):
    # PyDyNet's result is right with keepdims=True (or axis=None), which gradswift needs not.
    x = randn(shape, dtype, seed=8) * 2
    out_shape = x.shape
    w = weight(out_shape, dtype)
    ref_value, (ref_grad,) = run(pdn, lambda m, t: pd_F.log_softmax(t, axis, keepdims=True), [x], w)
    for keepdims in (False, True):
        value, (grad,) = run(gs, lambda m, t: F.log_softmax(t, axis, keepdims=keepdims), [x], w)
        assert_close(value, ref_value)
        assert_close(grad, ref_grad.astype(dtype), dtype)


def test_log_softmax_ignores_keepdims_where_pydynet_breaks():
    # PyDyNet with keepdims=False subtracts a (3,) sum from a (3, 4) array: a broadcasting error
    # (or, for square inputs, silently wrong values). gradswift keeps x's shape: NumPy reference.
    x = randn((3, 4), seed=9)
    with pytest.raises(ValueError):
        pd_F.log_softmax(pdn.Tensor(x), 1)
    value = F.log_softmax(gs.Tensor(x), 1).numpy()
    assert_close(value, np.log(softmax_reference(x, 1)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_gradients_match_numpy(dtype):
    x = randn((4, 6), dtype, seed=10)
    w = weight((4, 6), dtype)
    y = softmax_reference(x.astype(np.float64), 1)
    wd = w.astype(np.float64)
    _, (grad,) = run(gs, lambda m, t: F.softmax(t, 1), [x], w)
    assert_close(grad, (y * (wd - (wd * y).sum(1, keepdims=True))).astype(dtype), dtype)
    _, (grad,) = run(gs, lambda m, t: F.log_softmax(t, 1), [x], w)
    assert_close(grad, (wd - y * wd.sum(1, keepdims=True)).astype(dtype), dtype)


def assert_near(actual, expected, dtype):
    """Within the dtype's relative tolerance, or its tolerance times the largest |expected|
    (for entries where a difference cancels)."""
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", [((100_000,), None), ((2, 70_000), 1), ((3, 40, 700), 1),
                                        ((70_000, 3), 0), ((600, 200), 1)], ids=str)
def test_large_softmax_uses_every_path(shape, axis, dtype):
    # long rows split over the cores, many rows, strided column blocks wider than one block
    x = randn(shape, dtype, seed=11) * 3
    w = weight(shape, dtype)
    y = softmax_reference(x.astype(np.float64), axis)
    wd = w.astype(np.float64)
    value, (grad,) = run(gs, lambda m, t: F.softmax(t, axis), [x], w)
    np.testing.assert_allclose(value, y, rtol=1e-5 if dtype == np.float32 else 1e-10)
    assert_near(grad, y * (wd - (wd * y).sum(axis=axis, keepdims=True)), dtype)
    value, (grad,) = run(gs, lambda m, t: F.log_softmax(t, axis), [x], w)
    assert_near(value, np.log(y), dtype)
    assert_near(grad, wd - y * wd.sum(axis=axis, keepdims=True), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_of_huge_logits_is_stable(dtype):
    x = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4], [-1e4, -1e4 + 1, -1e4 + 2]], dtype=dtype)
    w = weight((3, 3), dtype)
    value, (grad,) = run(gs, lambda m, t: F.softmax(t, 1), [x], w)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    assert_close(value, softmax_reference(x.astype(np.float64), 1).astype(dtype))
    value, (grad,) = run(gs, lambda m, t: F.log_softmax(t, 1), [x], w)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    assert_close(value[0], np.array([0.0, -1e4, -2e4], dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("width", [3, 9, 70])
def test_softmax_rows_with_nan_and_infinities_follow_numpy(dtype, width):
    """NaN anywhere in a row makes the row NaN; -inf entries get 0; a row of -inf is NaN (as
    NumPy's exp(x - max) / sum); the row maximum may sit at any position of the unrolled loop."""
    rng = np.random.default_rng(width)
    x = rng.standard_normal((6, width)).astype(dtype)
    x[0, width // 2] = np.nan
    x[1, ::2] = -np.inf
    x[2, :] = -np.inf
    x[3, width - 1] = 50
    x[4, 0] = 50
    with np.errstate(invalid="ignore"):
        want = softmax_reference(x.astype(np.float64), 1).astype(dtype)
    got = F.softmax(gs.Tensor(x), axis=1).numpy()
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert_close(np.nan_to_num(got), np.nan_to_num(want))


def test_softmax_of_ints_is_float64():
    i = np.array([[1, 2, 3]])
    assert_close(F.softmax(gs.Tensor(i), 1).numpy(), softmax_reference(i.astype(np.float64), 1))
    assert_close(F.log_softmax(gs.Tensor(i)).numpy(), np.log(softmax_reference(i.astype(np.float64), None)))


def test_softmax_of_empty_and_scalar():
    assert F.softmax(gs.Tensor(np.zeros((3, 0))), 1).shape == (3, 0)
    assert_close(F.softmax(gs.Tensor(np.array(5.0))).numpy(), np.array(1.0))


def test_softmax_errors():
    x = gs.Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="softmax: axis 2 is out of bounds for array of dimension 2"):
        F.softmax(x, 2)
    with pytest.raises(ValueError, match="log_softmax: axis -3 is out of bounds"):
        F.log_softmax(x, -3)
    with pytest.raises(ValueError, match="out of bounds"):
        F.softmax(x, 1 << 40)
    with pytest.raises(TypeError, match="several axes"):
        F.softmax(x, (0, 1))
    with pytest.raises(TypeError, match="axis must be an int or None"):
        F.softmax(x, 1.0)


# ---- layers ---------------------------------------------------------------------------------

LAYERS = [("Sigmoid", ()), ("Tanh", ()), ("ReLU", ()), ("LeakyReLU", ()), ("LeakyReLU", (0.2,)),
          ("Softmax", ()), ("Softmax", (1,)), ("Softmax", (-1,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args", LAYERS, ids=str)
def test_layer_matches_pydynet(name, args, dtype):
    ours, theirs = getattr(nn, name)(*args), getattr(pd_nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert list(ours.parameters()) == []
    x = randn((3, 4), dtype, seed=12) * 2
    w = weight((3, 4), dtype)
    ref_value, (ref_grad,) = run(pdn, lambda m, t: theirs(t), [x], w)
    value, (grad,) = run(gs, lambda m, t: ours(t), [x], w)
    assert_close(value, ref_value)
    assert_close(grad, ref_grad.astype(dtype), dtype)


def test_layer_settings_are_attributes_and_can_change():
    leaky, soft = nn.LeakyReLU(), nn.Softmax()
    assert leaky.alpha == 0.1 and soft.axis is None
    assert repr(nn.LeakyReLU(alpha=1e-5)) == repr(pd_nn.LeakyReLU(alpha=1e-5)) == "LeakyReLU(alpha=1e-05)"
    # (values for alpha = 1 are checked against NumPy above: PyDyNet's maximum(x, x) doubles
    # the gradient)
    assert repr(nn.LeakyReLU(1)) == repr(pd_nn.LeakyReLU(1)) == "LeakyReLU(alpha=1.0)"
    leaky.alpha = 0.5
    assert repr(leaky) == "LeakyReLU(alpha=0.5)"
    assert_close(leaky(gs.Tensor(np.array([-2.0, 2.0]))).numpy(), np.array([-1.0, 2.0]))
    soft.axis = 0
    assert repr(soft) == "Softmax(axis=0)"
    x = randn((2, 3), seed=13)
    assert_close(soft(gs.Tensor(x)).numpy(), softmax_reference(x, 0))


def test_layers_in_a_container_and_errors():
    model = nn.Sequential(nn.ReLU(), nn.Softmax(1))
    x = randn((2, 3), seed=14)
    assert_close(model(gs.Tensor(x)).numpy(), softmax_reference(np.maximum(x, 0), 1))
    with pytest.raises(ValueError, match="softmax: axis 3 is out of bounds"):
        nn.Softmax(3)(gs.Tensor(x))
    with pytest.raises(ValueError, match="forward takes 1 input"):
        nn.ReLU()(gs.Tensor(x), gs.Tensor(x))
    with pytest.raises(TypeError):
        nn.Softmax((0, 1))
