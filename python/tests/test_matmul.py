"""matmul with NumPy's rules (1-D operands, batched broadcasting): values and gradients against
NumPy (analytic) and PyDyNet 1.1."""
import numpy as np
import pytest

import gradswift as gs
from helpers import assert_close, pdn, randn, run, unbroadcast, weight

SHAPES = [((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((2, 3), (3, 5)), ((1, 1), (1, 1)),
          ((2, 3, 4), (4, 5)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)),
          ((3, 2, 4), (3, 4, 2)), ((1, 3, 4), (6, 4, 1))]


def numpy_matmul_grads(a, b, w):
    """Analytic gradients of sum(w * (a @ b)), with 1-D operands promoted as NumPy does."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    w2 = w
    if a.ndim == 1:
        w2 = np.expand_dims(w2, -2 if b.ndim > 1 else -1)
    if b.ndim == 1:
        w2 = np.expand_dims(w2, -1)
    ga = unbroadcast(w2 @ np.swapaxes(b2, -1, -2), a2.shape)
    gb = unbroadcast(np.swapaxes(a2, -1, -2) @ w2, b2.shape)
    return ga.reshape(a.shape), gb.reshape(b.shape)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_matmul_vs_numpy(shapes, dtype):
    a, b = randn(shapes[0], dtype, 1), randn(shapes[1], dtype, 2)
    expected = np.matmul(a, b)
    w = weight(expected.shape, dtype)
    value, (ga, gb) = run(gs, lambda m, x, y: m.matmul(x, y), [a, b], w)
    assert_close(value, expected)
    ra, rb = numpy_matmul_grads(a.astype(np.float64), b.astype(np.float64), w.astype(np.float64))
    assert_close(ga, ra.astype(dtype), dtype)
    assert_close(gb, rb.astype(dtype), dtype)


# PyDyNet's backward of a 1-D operand times a batched one, (4,) @ (2, 4, 3), raises inside
# NumPy's matmul; that case is compared with NumPy only (test_matmul_vs_numpy).
PYDYNET_SHAPES = [s for s in SHAPES if s != ((4,), (2, 4, 3))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", PYDYNET_SHAPES, ids=str)
def test_matmul_vs_pydynet(shapes, dtype):
    a, b = randn(shapes[0], dtype, 1), randn(shapes[1], dtype, 2)
    w = weight(np.matmul(a, b).shape, dtype)
    ref_value, ref_grads = run(pdn, lambda m, x, y: x @ y, [a, b], w)
    value, grads = run(gs, lambda m, x, y: x @ y, [a, b], w)
    assert_close(value, ref_value)
    for g, ref in zip(grads, ref_grads):
        assert_close(g, ref.astype(dtype), dtype)


def test_matmul_with_arrays_and_reflected():
    a = randn((2, 3), seed=3)
    b = randn((3, 2), seed=4)
    assert_close((gs.Tensor(a) @ b).numpy(), a @ b)
    assert_close((a @ gs.Tensor(b)).numpy(), a @ b)
    assert_close((a.tolist() @ gs.Tensor(b)).numpy(), a @ b)


def test_matmul_int_operands():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(3)
    value = (gs.Tensor(a) @ gs.Tensor(b)).numpy()
    assert_close(value, a @ b)


@pytest.mark.parametrize("shapes", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3, 4), (3, 4, 2)),
                                    ((2, 2, 3), (3, 3, 2))], ids=str)
def test_matmul_shape_mismatch_is_value_error_naming_shapes(shapes):
    with pytest.raises(ValueError) as info:
        gs.Tensor(np.ones(shapes[0])) @ gs.Tensor(np.ones(shapes[1]))
    message = str(info.value)
    assert all(str(d) in message for d in shapes[0] + shapes[1])


def test_matmul_of_0d_is_value_error():
    with pytest.raises(ValueError):
        gs.Tensor(2.0) @ gs.Tensor(np.ones(3))
