"""PyTorch's indexing along a dimension: gather, scatter (src or value, reduce), scatter_add,
index_select, masked_fill, take_along_dim (and NumPy's take_along_axis), nonzero (argwhere).
Values and gradients against NumPy references written from PyTorch's definitions, dtypes,
Tensor methods and aliases, PyTorch's shape rules and errors, and handle counts. The golden
file gather.txt checks the same ops in float32 and float64 through Swift, C and Python."""
import numpy as np
import pytest

import gradswift as gs
from helpers import assert_close, gather_grad, live_handles, randn, run, weight

FLOATS = [np.float32, np.float64]


def along(index, dim):
    """For every position p of ``index``, p with p[dim] replaced by index[p]."""
    for p in np.ndindex(index.shape):
        q = list(p)
        q[dim] = int(index[p])
        yield p, tuple(q)


def np_gather(x, dim, index):
    out = np.zeros(index.shape, x.dtype)
    for p, q in along(index, dim):
        out[p] = x[q]
    return out


def np_scatter(x, dim, index, src, reduce=None):
    out = x.copy()
    for p, q in along(index, dim):
        if reduce == "add":
            out[q] += src[p]
        elif reduce == "multiply":
            out[q] *= src[p]
        else:
            out[q] = src[p]
    return out


def long(values):
    return gs.Tensor(np.asarray(values, np.int64))


@pytest.mark.parametrize("dtype", FLOATS)
def test_gather_values_and_gradient_with_a_smaller_repeated_index(dtype):
    x = randn((3, 4), dtype)
    index = np.array([[3, 3, 0], [1, 1, 1]])  # smaller than x outside dim 1; repeats add up
    w = weight((2, 3), dtype)
    value, (grad,) = run(gs, lambda m, t: m.gather(t, 1, long(index)), [x], w)
    assert_close(value, np_gather(x, 1, index))
    assert_close(grad, gather_grad(lambda s: np_gather(s, 1, index), x.shape, w).astype(dtype))
    value, _ = run(gs, lambda m, t: t.gather(-2, long([[2, 0, 1, 1]])), [x])
    assert_close(value, np_gather(x, 0, np.array([[2, 0, 1, 1]])))


def test_gather_keeps_int_and_bool_dtypes_and_scalar_inputs():
    x = np.arange(12).reshape(3, 4)
    assert_close(gs.gather(gs.Tensor(x), 1, long([[0], [3], [1]])).numpy(), np.array([[0], [7], [9]]))
    mask = np.array([[True, False], [False, True]])
    assert_close(gs.gather(gs.Tensor(mask), 0, long([[1, 0]])).numpy(), np.array([[False, False]]))
    # a 0-d input acts as 1-D of size 1, as in PyTorch
    assert_close(gs.gather(gs.Tensor(np.float64(2.5)), 0, long([0, 0])).numpy(), np.array([2.5, 2.5]))
    assert gs.gather(gs.Tensor(randn((3,))), 0, long(np.zeros((0,), np.int64))).shape == (0,)


@pytest.mark.parametrize("dtype", FLOATS)
def test_scatter_overwrites_and_masks_the_input_gradient(dtype):
    x, src = randn((3, 4), dtype), randn((3, 3), dtype, 1)  # src larger than index
    index = np.array([[3, 0], [1, 2], [0, 3]])
    w = weight((3, 4), dtype)
    value, (gx, gsrc) = run(gs, lambda m, a, s: m.scatter(a, 1, long(index), s), [x, src], w)
    assert_close(value, np_scatter(x, 1, index, src))
    written = np_scatter(np.zeros((3, 4)), 1, index, np.ones((3, 3)))
    assert_close(gx, (w * (1 - written)).astype(dtype))
    expected = np.zeros((3, 3))
    expected[:, :2] = np_gather(w.astype(np.float64), 1, index)
    assert_close(gsrc, expected.astype(dtype))


@pytest.mark.parametrize("reduce", [None, "add", "multiply"])
def test_scatter_value_and_reduce(reduce):
    x = randn((3, 4))
    index = np.array([[1, 1], [3, 0], [2, 2]])
    src = np.full(index.shape, 2.5)
    assert_close(gs.scatter(gs.Tensor(x), 1, long(index), 2.5, reduce=reduce).numpy(),
                 np_scatter(x, 1, index, src, reduce))
    assert_close(gs.Tensor(x).scatter(1, long(index), value=2.5, reduce=reduce).numpy(),
                 np_scatter(x, 1, index, src, reduce))
    srct = randn((3, 2), seed=3)
    assert_close(gs.scatter(gs.Tensor(x), 1, long(index), gs.Tensor(srct), reduce=reduce).numpy(),
                 np_scatter(x, 1, index, srct, reduce))


def test_scatter_multiply_gradient_to_input_and_refusal_for_src():
    x = gs.Tensor(randn((2, 3)), requires_grad=True)
    y = gs.scatter(x, 0, long([[1, 1, 0], [1, 0, 0]]), gs.Tensor(np.full((2, 3), 3.0)), reduce="multiply")
    y.sum().backward()
    assert_close(x.grad, np.array([[1.0, 3.0, 9.0], [9.0, 3.0, 1.0]]))
    src = gs.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="not differentiable with respect to src"):
        gs.scatter(x, 0, long([[1, 1, 0]]), src, reduce="multiply")
    with gs.no_grad():
        assert gs.scatter(x, 0, long([[1, 1, 0]]), src, reduce="multiply").shape == (2, 3)


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
def test_scatter_add_accumulates_repeats(dtype):
    x = (randn((3, 4)) * 4).astype(dtype)
    src = (randn((2, 3), seed=1) * 4).astype(dtype)
    index = np.array([[0, 0, 3], [2, 2, 2]])
    value, grads = run(gs, lambda m, a, s: m.scatter_add(a, 1, long(index), s), [x, src],
                       weight((3, 4), np.float64).astype(dtype) if dtype != np.int64 else None)
    assert_close(value, np_scatter(x, 1, index, src, "add"))
    if dtype != np.int64:
        w = weight((3, 4), np.float64).astype(dtype)
        assert_close(grads[0], w)
        assert_close(grads[1], np_gather(w, 1, index))
    assert_close(gs.Tensor(x).scatter_add(1, long(index), gs.Tensor(src)).numpy(), np_scatter(x, 1, index, src, "add"))


@pytest.mark.parametrize("dtype", FLOATS)
def test_index_select(dtype):
    x = randn((2, 3, 4), dtype)
    w = weight((2, 3, 3), dtype)
    value, (grad,) = run(gs, lambda m, t: m.index_select(t, -1, long([3, 0, 3])), [x], w)
    assert_close(value, np.take(x, [3, 0, 3], axis=-1))
    assert_close(grad, gather_grad(lambda s: np.take(s, [3, 0, 3], axis=-1), x.shape, w).astype(dtype))
    # a 0-d index keeps the dimension (size 1), as PyTorch
    assert gs.Tensor(x).index_select(1, long(2)).shape == (2, 1, 4)
    assert gs.index_select(gs.Tensor(np.float64(3.0)), 0, long([0])).shape == ()


@pytest.mark.parametrize("dtype", FLOATS)
def test_masked_fill_with_number_and_tensor_values(dtype):
    x = randn((2, 3), dtype)
    mask = np.array([True, False, True])
    assert_close(gs.masked_fill(gs.Tensor(x), gs.Tensor(mask), -1.5).numpy(), np.where(mask, dtype(-1.5), x))
    assert_close(gs.Tensor(x).masked_fill(gs.Tensor(mask), 2).numpy(), np.where(mask, dtype(2), x))
    w = weight((2, 3), dtype)
    value, (gx, gv) = run(gs, lambda m, t, v: t.masked_fill(m.Tensor(mask), v), [x, np.asarray(0.25, dtype)], w)
    assert_close(value, np.where(mask, dtype(0.25), x))
    assert_close(gx, np.where(mask, 0, w).astype(dtype))
    assert_close(gv, np.asarray(w[:, mask].sum(), dtype))
    # the mask broadcasts against the input (the result takes the broadcast shape)
    assert gs.masked_fill(gs.Tensor(np.zeros(3, dtype)), gs.Tensor(np.ones((2, 3), bool)), 1).shape == (2, 3)


def test_masked_fill_converts_the_value_to_the_input_dtype():
    x = gs.Tensor(np.arange(6).reshape(2, 3))
    out = x.masked_fill(gs.Tensor(np.array([True, False, True])), 2.7)
    assert out.dtype == np.int64
    assert_close(out.numpy(), np.array([[2, 1, 2], [2, 4, 2]]))
    f32 = gs.Tensor(np.zeros(2, np.float32)).masked_fill(gs.Tensor(np.array([True, False])), gs.Tensor(np.float64(0.5)))
    assert f32.dtype == np.float32


@pytest.mark.parametrize("dtype", FLOATS)
def test_take_along_dim_broadcasts_and_flattens(dtype):
    x = randn((3, 4), dtype)
    idx = np.array([[0, 2, 1]])  # broadcasts over x's 3 rows
    w = weight((3, 3), dtype)
    value, (grad,) = run(gs, lambda m, t: m.take_along_dim(t, long(idx), dim=1), [x], w)
    expected = np.take_along_axis(x, np.broadcast_to(idx, (3, 3)), 1)
    assert_close(value, expected)
    assert_close(grad, gather_grad(lambda s: np.take_along_axis(s, np.broadcast_to(idx, (3, 3)), 1), x.shape, w).astype(dtype))
    assert_close(gs.take_along_dim(gs.Tensor(x), long([11, 0])).numpy(), x.reshape(-1)[[11, 0]])
    assert_close(gs.take_along_axis(gs.Tensor(x), long([[1], [0], [3]]), axis=1).numpy(),
                 np.take_along_axis(x, np.array([[1], [0], [3]]), 1))
    assert_close(gs.take_along_axis(gs.Tensor(x), long([[1, 0]])).numpy(), np.take_along_axis(x, np.array([[1, 0]]), -1))
    assert_close(gs.Tensor(x).take_along_dim(long([[0], [1], [2]]), 1).numpy(), np.take_along_axis(x, np.array([[0], [1], [2]]), 1))


def test_nonzero_and_argwhere():
    x = np.array([[0.0, 1.5, 0.0], [-2.0, 0.0, np.nan]])
    out = gs.nonzero(gs.Tensor(x))
    assert out.dtype == np.int64 and not out.requires_grad
    assert_close(out.numpy(), np.argwhere(x))
    assert_close(gs.argwhere(gs.Tensor(x)).numpy(), np.argwhere(x))
    rows, cols = gs.Tensor(x).nonzero(as_tuple=True)
    assert_close(rows.numpy(), np.nonzero(x)[0])
    assert_close(cols.numpy(), np.nonzero(x)[1])
    assert gs.nonzero(gs.Tensor(np.float64(3.0))).shape == (1, 0)
    assert gs.nonzero(gs.Tensor(np.int64(0))).shape == (0, 0)
    (only,) = gs.nonzero(gs.Tensor(np.float64(3.0)), as_tuple=True)
    assert_close(only.numpy(), np.array([0]))
    assert_close(gs.nonzero(gs.Tensor(np.array([True, False, True]))).numpy(), np.array([[0], [2]]))
    assert gs.nonzero(gs.Tensor(np.zeros((2, 0)))).shape == (0, 2)


def test_dim_and_axis_spellings():
    x = gs.Tensor(randn((3, 4)))
    idx = long([[1, 0]])
    assert_close(gs.gather(x, axis=1, index=idx).numpy(), gs.gather(x, 1, idx).numpy())
    assert_close(gs.index_select(x, axis=0, index=long([2])).numpy(), x.numpy()[[2]])
    with pytest.raises(TypeError, match="both"):
        gs.gather(x, 1, idx, axis=1)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: gs.gather(x, 1, long([[4], [0], [0]])), IndexError, "index 4 is out of bounds for dimension 1 with size 4"),
    (lambda x: gs.gather(x, 1, long([[-1], [0], [0]])), IndexError, "index -1 is out of bounds"),
    (lambda x: gs.gather(x, 2, long([[0]])), IndexError, "dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda x: gs.gather(x, 1, long([0, 1])), ValueError, "same number of dimensions"),
    (lambda x: gs.gather(x, 0, long([[0, 0, 0, 0, 0]])), ValueError, "no larger than self"),
    (lambda x: gs.gather(x, 0, gs.Tensor(np.zeros((1, 1)))), TypeError, "index must be an integer tensor, got float64"),
    (lambda x: gs.scatter(x, 0, long([[0]]), gs.Tensor(np.ones((1, 1), np.float32))), TypeError,
     "expected self.dtype to be equal to src.dtype"),
    (lambda x: gs.scatter(x, 0, long([[0, 1]]), gs.Tensor(np.ones((1, 1)))), ValueError, "no larger than src"),
    (lambda x: gs.scatter(x, 0, long([[9]]), 1.0), IndexError, "index 9 is out of bounds"),
    (lambda x: gs.scatter(x, 0, long([[0]]), 1.0, reduce="sum"), ValueError, "reduce argument must be either add or multiply"),
    (lambda x: gs.scatter(x, 0, long([[0]])), TypeError, "either src"),
    (lambda x: gs.scatter_add(x, 1, long([[5]]), gs.Tensor(np.ones((1, 1)))), IndexError, "out of bounds"),
    (lambda x: gs.index_select(x, 1, long([4])), IndexError, "index 4 is out of range for dimension 1 with size 4"),
    (lambda x: gs.index_select(x, 1, long([[0]])), IndexError, "supposed to be a vector"),
    (lambda x: gs.index_select(x, 1, gs.Tensor(np.array([0.0]))), TypeError, "index must be an integer tensor"),
    (lambda x: gs.masked_fill(x, gs.Tensor(np.array([1, 0, 1, 0])), 1.0), TypeError, "only boolean masks"),
    (lambda x: gs.masked_fill(x, gs.Tensor(np.ones(4, bool)), gs.Tensor(np.ones(1))), ValueError, "0-dimensional value"),
    (lambda x: gs.masked_fill(x, gs.Tensor(np.ones(3, bool)), 1.0), ValueError, "broadcast"),
    (lambda x: gs.take_along_dim(x, long([0, 1]), 1), ValueError, "same number of dimensions"),
    (lambda x: gs.take_along_dim(x, long([[0, 1]]), 0), ValueError, "broadcast"),
    (lambda x: gs.take_along_dim(x, long([12])), IndexError, "index 12 is out of bounds"),
])
def test_errors(call, error, message):
    x = gs.Tensor(randn((3, 4)), requires_grad=True)
    with pytest.raises(error) as info:
        call(x)
    assert message in str(info.value)


def test_int64_scatter_value_rejects_non_finite_values():
    with pytest.raises(ValueError, match="cannot convert"):
        gs.scatter(gs.Tensor(np.zeros(3, np.int64)), 0, long([1]), float("nan"))
    with pytest.raises(ValueError, match="NaN or infinity"):
        gs.masked_fill(gs.Tensor(np.zeros(3, np.int64)), gs.Tensor(np.ones(3, bool)), float("inf"))


def test_handle_counts_stay_flat():
    x = gs.Tensor(randn((3, 4)), requires_grad=True)
    src = gs.Tensor(randn((3, 4), seed=1), requires_grad=True)
    index = long([[0, 3], [1, 1], [2, 0]])
    for step in range(4):
        total = (gs.gather(x, 1, index).sum() + gs.scatter(x, 1, index, src).sum()
                 + gs.scatter_add(x, 1, index, src).sum() + gs.index_select(x, 0, long([2, 2])).sum()
                 + gs.masked_fill(x, gs.Tensor(np.array([True, False, True, False])), 0.5).sum()
                 + gs.take_along_dim(x, index, 1).sum())
        total.backward()
        gs.nonzero(x, as_tuple=True)
        del total
        if step == 0:
            after_first_step = live_handles()
    assert live_handles() == after_first_step
