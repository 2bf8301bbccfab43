"""Reductions sum/mean/max/min/argmax/argmin with axis None/int/negative/tuple and keepdims,
against NumPy (values, dtypes, analytic gradients) and PyDyNet 1.1."""
import numpy as np
import pytest

import gradswift as gs
from helpers import assert_close, pdn, randn, run, weight

AXES = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2), ()]
NP = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}


def numpy_grad(op, x, axis, keepdims, w):
    """Analytic gradient of sum(w * reduce(x)) (x has distinct values, so max/min are unique)."""
    out = NP[op](x, axis=axis, keepdims=True)
    wk = w if keepdims else np.asarray(w).reshape(out.shape)
    if op == "sum":
        return np.broadcast_to(wk, x.shape)
    if op == "mean":
        return np.broadcast_to(wk, x.shape) * (out.size / x.size)
    return wk * (x == out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("op", sorted(NP))
def test_reduction_vs_numpy(op, axis, keepdims, dtype):
    x = randn((2, 3, 4), dtype, 5)
    expected = NP[op](x, axis=axis, keepdims=keepdims)
    w = weight(np.shape(expected), dtype)
    value, (grad,) = run(gs, lambda m, t: getattr(t, op)(axis=axis, keepdims=keepdims), [x], w)
    assert_close(value, np.asarray(expected, dtype=dtype))
    assert_close(grad, numpy_grad(op, x.astype(np.float64), axis, keepdims,
                                  w.astype(np.float64)).astype(dtype), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (0, 1, 2)], ids=str)
@pytest.mark.parametrize("op", sorted(NP))
def test_reduction_vs_pydynet(op, axis, keepdims, dtype):
    x = randn((2, 3, 4), dtype, 5)
    w = weight(np.shape(NP[op](x, axis=axis, keepdims=keepdims)), dtype)
    fn = lambda m, t: getattr(m, op)(t, axis, keepdims)  # noqa: E731
    ref_value, (ref_grad,) = run(pdn, fn, [x], w)
    value, (grad,) = run(gs, fn, [x], w)
    assert_close(value, ref_value)
    assert_close(grad, ref_grad.astype(dtype), dtype)


@pytest.mark.parametrize("shape", [(), (5,), (1, 1)], ids=str)
@pytest.mark.parametrize("op", sorted(NP))
def test_reduction_of_small_shapes(op, shape):
    x = randn(shape, seed=2)
    w = weight((), np.float64)
    value, (grad,) = run(gs, lambda m, t: getattr(m, op)(t), [x], w)
    assert_close(value, np.asarray(NP[op](x)))
    assert_close(grad, numpy_grad(op, x, None, False, w))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, -3])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(op, axis, keepdims):
    x = randn((2, 3, 4), seed=9)
    value = getattr(gs, op)(gs.Tensor(x, requires_grad=True), axis, keepdims)
    expected = getattr(np, op)(x, axis=axis, keepdims=keepdims)
    assert not value.requires_grad
    assert_close(value.numpy(), np.asarray(expected, dtype=np.int64))
    ref = getattr(pdn.Tensor(x), op)(axis, keepdims)
    assert_close(value.numpy(), ref.numpy())


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_reductions_of_int_and_bool(op, dtype):
    x = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    for axis in (None, 0, (0, 1)):
        value = getattr(gs.Tensor(x), op)(axis=axis).numpy()
        expected = np.asarray(NP[op](x, axis=axis))
        if op == "sum":
            expected = expected.astype(np.int64)  # NumPy 2 sums bools to int64 too
        assert_close(value, expected)


@pytest.mark.parametrize("axis", [3, -4, (0, 3), (1, 1), (0, -3)], ids=str)
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_bad_axis_is_value_error(op, axis):
    x = gs.Tensor(np.ones((2, 3, 4)))
    with pytest.raises(ValueError):
        getattr(x, op)(axis=axis)


def test_argmax_rejects_several_axes():
    with pytest.raises(ValueError):
        gs.Tensor(np.ones((2, 3))).argmax(axis=(0, 1))


def test_sum_of_float32_stays_float32_and_is_accurate():
    x = np.full(100000, 0.1, dtype=np.float32)
    value = gs.Tensor(x).sum().numpy()
    assert value.dtype == np.float32
    np.testing.assert_allclose(value, np.sum(x.astype(np.float64)), rtol=1e-5)
