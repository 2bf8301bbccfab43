"""PyTorch's reductions, scans and sorting (prod, var, std, logsumexp, norm and linalg norms,
all, any, cumsum, cumprod, sort, argsort, topk, max/min with dim=) and the dim=/keepdim=
spellings of the PyDyNet reductions: values, dtypes and gradients against NumPy references
written from the definitions, edge cases (zeros, NaN, infinities, empty tensors), argument
spellings and errors, and flat handle counts. The golden file statistics.txt checks them in
float32 and float64 through Swift, C and Python, and test_gradcheck.py to the second order."""
import math

import numpy as np
import pytest

import gradswift as gs
from helpers import live_handles, randn

FLOATS = [np.float32, np.float64]


def leaf(values):
    return gs.Tensor(np.asarray(values), requires_grad=True)


def close(actual, expected, dtype=np.float64):
    rtol, atol = (1e-5, 1e-6) if np.dtype(dtype) == np.float32 else (1e-10, 1e-12)
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=rtol, atol=atol, equal_nan=True)


def backward(out, w):
    (out * gs.Tensor(np.asarray(w, dtype=out.dtype))).sum().backward()


# ---- prod -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_prod_values_and_gradient_with_and_without_zeros(dtype):
    values = randn((3, 4), dtype, 1)
    values[1, 2] = 0
    values[2, 0] = values[2, 3] = 0
    x = leaf(values)
    out = gs.prod(x, dim=1)
    assert out.dtype == dtype and out.shape == (3,)
    close(out.numpy(), values.astype(np.float64).prod(axis=1), dtype)
    w = np.array([0.5, 1.5, 2.0])
    backward(out, w)
    expected = np.array([[w[i] * np.prod(np.delete(values[i].astype(np.float64), j)) for j in range(4)] for i in range(3)])
    close(x.grad, expected, dtype)
    assert x.grad[2].tolist() == [0, 0, 0, 0] and x.grad[1, 2] != 0


def test_prod_axes_keepdims_ints_and_empty():
    values = randn((2, 3, 4))
    close(gs.Tensor(values).prod(axis=(0, 2), keepdims=True).numpy(), values.prod(axis=(0, 2), keepdims=True))
    close(gs.prod(gs.Tensor(values)).numpy(), values.prod())
    ints = gs.Tensor(np.array([[3, -2, 4], [5, 0, 1]]))
    assert ints.prod(1).dtype == np.int64 and ints.prod(1).numpy().tolist() == [-24, 0]
    assert gs.Tensor(np.array([True, True])).prod().dtype == np.int64
    empty = leaf(np.zeros((0, 3)))
    out = empty.prod(0)
    assert out.numpy().tolist() == [1.0, 1.0, 1.0]
    out.sum().backward()
    assert empty.grad.shape == (0, 3)


# ---- var / std ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("correction", [1, 0, 2.5])
def test_var_and_std_values_and_gradients(correction, dtype):
    values = randn((3, 5), dtype, 2)
    x64 = values.astype(np.float64)
    for name in ("var", "std"):
        x = leaf(values)
        out = getattr(gs, name)(x, dim=1, correction=correction)
        expected = getattr(np, name)(x64, axis=1, ddof=correction)
        assert out.dtype == dtype
        close(out.numpy(), expected, dtype)
        w = np.array([1.0, 0.5, 2.0])
        backward(out, w)
        centered = x64 - x64.mean(axis=1, keepdims=True)
        grad = 2 * centered / (5 - correction) * w[:, None]
        if name == "std":
            grad = grad / (2 * expected[:, None])
        close(x.grad, grad, dtype)


def test_var_argument_spellings():
    values = randn((4, 3), seed=3)
    x = gs.Tensor(values)
    unbiased = values.var(axis=0, ddof=1)
    close(x.var(0).numpy(), unbiased)  # PyTorch's default: unbiased
    close(gs.var(x, axis=0).numpy(), unbiased)
    close(x.var(0, unbiased=False).numpy(), values.var(axis=0))
    close(x.var(0, False).numpy(), values.var(axis=0))  # torch's old positional unbiased
    close(x.var(dim=0, ddof=0).numpy(), values.var(axis=0))
    close(x.std(axis=0, keepdims=True, correction=0).numpy(), values.std(axis=0, keepdims=True))
    close(x.std(dim=(0, 1)).numpy(), values.std(ddof=1))
    with pytest.raises(TypeError, match="only one of"):
        x.var(0, correction=1, ddof=0)
    with pytest.raises(TypeError, match="both dim= and axis="):
        x.var(dim=0, axis=0)
    with pytest.raises(TypeError, match="unbiased must be a bool"):
        x.var(unbiased=1)
    with pytest.raises(ValueError, match="correction must be a finite number"):
        x.var(correction=math.inf)


def test_var_of_one_element_and_ints():
    one = gs.Tensor(np.array([2.0]))
    assert math.isnan(float(one.var().numpy()))  # 0 / 0, as PyTorch
    assert float(one.var(correction=0).numpy()) == 0.0
    ints = gs.Tensor(np.array([1, 2, 3, 4]))
    assert ints.var().dtype == np.float64
    close(ints.std().numpy(), np.std([1, 2, 3, 4], ddof=1))


# ---- logsumexp ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_logsumexp_is_stable_and_its_gradient_is_softmax(dtype):
    values = (randn((2, 4), np.float64, 4) * 3 + np.array([[500.0], [-800.0]])).astype(dtype)
    x = leaf(values)
    out = gs.logsumexp(x, dim=1)
    x64 = values.astype(np.float64)
    m = x64.max(axis=1, keepdims=True)
    expected = (m + np.log(np.exp(x64 - m).sum(axis=1, keepdims=True)))[:, 0]
    assert np.all(np.isfinite(out.numpy()))
    close(out.numpy(), expected, dtype)
    backward(out, [1.0, 2.0])
    close(x.grad, np.exp(x64 - expected[:, None]) * np.array([[1.0], [2.0]]), dtype)


def test_logsumexp_infinities_keepdim_and_required_dim():
    x = gs.Tensor(np.array([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 0.0]]))
    out = x.logsumexp(1)
    assert out.numpy()[0] == -np.inf and out.numpy()[1] == np.inf and np.isnan(out.numpy()[2])
    values = randn((2, 3, 2), seed=5)
    close(gs.Tensor(values).logsumexp(dim=(0, 2), keepdim=True).numpy(),
          np.log(np.exp(values).sum(axis=(0, 2), keepdims=True)))
    assert gs.Tensor(np.zeros((0, 2))).logsumexp(0).numpy().tolist() == [-np.inf, -np.inf]
    with pytest.raises(TypeError, match="missing required argument 'dim'"):
        gs.logsumexp(gs.Tensor(values))


# ---- norms --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [2, 1, 3, 0.5, math.inf, -math.inf, 0])
def test_vector_norms_against_numpy(p, dtype):
    values = randn((3, 4), dtype, 6)
    values[0, 1] = 0
    x = leaf(values)
    out = x.norm(p, dim=1)
    expected = np.linalg.norm(values.astype(np.float64), ord=p, axis=1)
    assert out.dtype == dtype
    close(out.numpy(), expected, dtype)
    backward(out, [1.0, 0.5, 2.0])
    assert x.grad is not None


@pytest.mark.parametrize("p", [2, 3, 1.5])
def test_norm_gradient_and_zero_norm(p):
    values = randn((2, 3), seed=7)
    values[1] = 0
    x = leaf(values)
    out = gs.linalg.vector_norm(x, p, dim=1)
    backward(out, [1.0, 1.0])
    n = np.linalg.norm(values[0], ord=p)
    close(x.grad[0], np.sign(values[0]) * np.abs(values[0]) ** (p - 1) / n ** (p - 1))
    assert x.grad[1].tolist() == [0.0, 0.0, 0.0]  # a zero norm has a zero gradient, as PyTorch


def test_norm_spellings_and_linalg():
    values = randn((3, 4), seed=8)
    x = gs.Tensor(values)
    close(x.norm().numpy(), np.linalg.norm(values))  # Frobenius over every element
    close(gs.norm(x, "fro").numpy(), np.linalg.norm(values))
    close(gs.norm(x, 2, axis=0, keepdims=True).numpy(), np.linalg.norm(values, axis=0, keepdims=True))
    close(gs.linalg.norm(x).numpy(), np.linalg.norm(values))
    close(gs.linalg.norm(x, dim=(0, 1)).numpy(), np.linalg.norm(values))
    close(gs.linalg.norm(x, 1, dim=1).numpy(), np.linalg.norm(values, 1, axis=1))
    close(gs.linalg.norm(gs.Tensor(values[0]), math.inf).numpy(), np.abs(values[0]).max())
    close(gs.linalg.vector_norm(x, 0).numpy(), 12.0)
    with pytest.raises(NotImplementedError, match="matrix norms"):
        gs.linalg.norm(x, 1)
    with pytest.raises(ValueError, match="only vector norms"):
        x.norm("nuc")
    with pytest.raises(ValueError, match="must be a number"):
        x.norm(math.nan)
    with pytest.raises(ValueError, match="empty"):
        gs.Tensor(np.zeros((0, 2))).norm(math.inf, dim=0)
    assert gs.Tensor(np.array([3, 4])).norm().dtype == np.float64


# ---- all / any ----------------------------------------------------------------------------------

@pytest.mark.parametrize("values", [np.array([[0.0, 1.5, np.nan], [2.0, -1.0, 3.0]], np.float32),
                                    np.array([[0, 3, 0], [1, 2, 4]]), np.array([[True, False, True], [True, True, True]])])
def test_all_any_against_numpy(values):
    x = gs.Tensor(values)
    for name in ("all", "any"):
        fn = getattr(np, name)
        assert getattr(x, name)().numpy().tolist() == fn(values)
        assert getattr(gs, name)(x, dim=1).numpy().tolist() == fn(values, axis=1).tolist()
        out = getattr(x, name)(axis=0, keepdims=True)
        assert out.dtype == np.bool_ and out.numpy().tolist() == fn(values, axis=0, keepdims=True).tolist()
        assert not out.requires_grad


def test_all_any_of_empty():
    empty = gs.Tensor(np.zeros((0, 3)))
    assert empty.all().numpy().tolist() is True and empty.any().numpy().tolist() is False
    assert empty.all(0).numpy().tolist() == [True] * 3 and empty.any(dim=0).numpy().tolist() == [False] * 3


# ---- cumsum / cumprod ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_cumsum_values_and_gradient(dtype):
    values = randn((2, 3, 4), dtype, 9)
    x = leaf(values)
    out = gs.cumsum(x, dim=1)
    close(out.numpy(), np.cumsum(values.astype(np.float64), axis=1), dtype)
    w = randn((2, 3, 4), np.float64, 10)
    backward(out, w)
    close(x.grad, np.flip(np.cumsum(np.flip(w, 1), 1), 1), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_cumprod_gradient_with_zeros_matches_the_sum_of_products(dtype):
    values = np.array([[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 1.5, -2.0, 0.5, 1.0], [1.0, 2.0, -1.0, 0.5, 0.0]], dtype)
    x = leaf(values)
    out = x.cumprod(1)
    close(out.numpy(), np.cumprod(values.astype(np.float64), axis=1), dtype)
    w = randn((3, 5), np.float64, 11)
    backward(out, w)
    v = values.astype(np.float64)
    expected = np.array([[sum(w[r, j] * np.prod(np.delete(v[r, :j + 1], i)) for j in range(i, 5)) for i in range(5)]
                         for r in range(3)])
    close(x.grad, expected, dtype)
    assert np.all(np.isfinite(x.grad))


def test_scan_dtypes_and_arguments():
    ints = gs.Tensor(np.array([[1, 2, 3], [4, 5, 6]]))
    assert ints.cumsum(1).dtype == np.int64 and ints.cumsum(1).numpy().tolist() == [[1, 3, 6], [4, 9, 15]]
    assert ints.cumprod(dim=0).numpy().tolist() == [[1, 2, 3], [4, 10, 18]]
    assert gs.Tensor(np.array([True, True, False])).cumsum(0).numpy().tolist() == [1, 2, 2]
    assert gs.cumsum(gs.Tensor(np.float64(2.5)), 0).numpy().tolist() == 2.5
    assert gs.Tensor(np.zeros((0, 3))).cumprod(1).shape == (0, 3)
    assert gs.cumsum(ints, axis=-1).numpy().tolist() == [[1, 3, 6], [4, 9, 15]]
    with pytest.raises(TypeError, match="missing required argument 'dim'"):
        gs.cumsum(ints)
    with pytest.raises(ValueError, match="out of bounds"):
        ints.cumprod(2)


# ---- sort / argsort / topk ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_is_stable_and_its_gradient_follows_the_indices(descending, dtype):
    values = np.array([[3, 1, 2, 1, 3], [0, -1, 0, 5, -1]], dtype)
    x = leaf(values)
    result = gs.sort(x, dim=1, descending=descending)
    order = np.argsort(-values if descending else values, axis=1, kind="stable")
    assert result.indices.dtype == np.int64 and result.indices.numpy().tolist() == order.tolist()
    values_out, indices_out = result  # a named tuple, as torch.return_types.sort
    close(values_out.numpy(), np.take_along_axis(values, order, 1), dtype)
    w = randn((2, 5), np.float64, 12)
    backward(result.values, w)
    expected = np.zeros((2, 5))
    np.put_along_axis(expected, order, w, 1)
    close(x.grad, expected, dtype)
    assert x.argsort(1, descending=descending).numpy().tolist() == order.tolist()


def test_sort_nan_axis_and_spellings():
    x = gs.Tensor(np.array([1.0, np.nan, 3.0, -1.0]))
    ascending = x.sort()
    assert ascending.indices.numpy().tolist() == [3, 0, 2, 1] and np.isnan(ascending.values.numpy()[-1])
    assert x.sort(descending=True).indices.numpy().tolist() == [1, 2, 0, 3]
    values = randn((3, 4), seed=13)
    assert gs.argsort(gs.Tensor(values), axis=0).numpy().tolist() == np.argsort(values, axis=0, kind="stable").tolist()
    assert gs.sort(gs.Tensor(values), 0, stable=True).indices.numpy().tolist() == np.argsort(values, 0, kind="stable").tolist()
    scalar = gs.Tensor(np.float64(4.0)).sort()
    assert scalar.values.numpy().tolist() == 4.0 and scalar.indices.numpy().tolist() == 0
    assert gs.Tensor(np.array([[True, False]])).argsort().numpy().tolist() == [[1, 0]]
    with pytest.raises(ValueError, match="out of bounds"):
        gs.sort(gs.Tensor(values), dim=3)


@pytest.mark.parametrize("largest", [True, False])
def test_topk_values_indices_and_gradient(largest):
    values = randn((3, 6), seed=14)
    x = leaf(values)
    result = gs.topk(x, 3, dim=1, largest=largest)
    order = np.argsort(-values if largest else values, axis=1, kind="stable")[:, :3]
    assert result.indices.numpy().tolist() == order.tolist()
    close(result.values.numpy(), np.take_along_axis(values, order, 1))
    backward(result.values, np.ones((3, 3)))
    expected = np.zeros((3, 6))
    np.put_along_axis(expected, order, 1.0, 1)
    close(x.grad, expected)
    assert x.topk(2, 0).indices.numpy().tolist() == np.argsort(-values, axis=0, kind="stable")[:2].tolist()
    assert x.topk(0).values.shape == (3, 0)
    with pytest.raises(ValueError, match="k \\(7\\) is out of range"):
        x.topk(7)
    with pytest.raises(ValueError, match="out of range"):
        x.topk(-1)


@pytest.mark.parametrize("largest", [True, False])
def test_topk_of_few_from_long_rows_agrees_with_the_stable_sort(largest):
    # few of many are selected without sorting the row; ties and NaN must rank as in sort
    values = np.random.default_rng(17).integers(-5, 6, (4, 200, 3)).astype(np.float32)
    values[0, 7, 1] = values[2, 150, 0] = np.nan
    x = gs.Tensor(values)
    for k in (1, 5, 99, 100, 101, 200):
        full = x.sort(1, descending=largest).indices.numpy()
        top = x.topk(k, dim=1, largest=largest)
        assert top.indices.numpy().tolist() == full[:, :k].tolist()
        np.testing.assert_array_equal(top.values.numpy(), np.take_along_axis(values, full[:, :k], 1))


# ---- max / min and the dim= spellings of the PyDyNet reductions --------------------------------

def test_max_with_dim_returns_values_and_indices_with_the_gradient_to_the_index():
    values = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    x = leaf(values)
    result = x.max(dim=1)
    assert type(result).__name__ == "max" and result.indices.numpy().tolist() == [1, 0]
    assert result.values.numpy().tolist() == [3.0, 2.0]
    result.values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]  # PyTorch: the index only
    y = leaf(values)
    y.max(1).sum().backward()  # PyDyNet's positional form: a tensor, ties share
    assert y.grad.tolist() == [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]]
    low = gs.min(gs.Tensor(values), dim=0, keepdim=True)
    assert type(low).__name__ == "min" and low.values.numpy().tolist() == [[1.0, 0.0, 2.0]] and low.indices.numpy().tolist() == [[0, 1, 1]]
    assert gs.max(gs.Tensor(values), gs.Tensor(np.full(3, 2.5))).numpy().tolist() == [[2.5, 3.0, 3.0], [2.5, 2.5, 2.5]]
    with pytest.raises(TypeError, match="both dim= and axis="):
        x.max(axis=0, dim=0)
    with pytest.raises(ValueError, match="zero-size"):
        gs.Tensor(np.zeros((0, 2))).max(dim=0)


def test_pydynet_reductions_accept_dim_and_keepdim():
    values = randn((2, 3, 4), seed=15)
    x = gs.Tensor(values)
    close(x.sum(dim=(0, 2), keepdim=True).numpy(), values.sum(axis=(0, 2), keepdims=True))
    close(gs.mean(x, dim=1).numpy(), values.mean(axis=1))
    close(gs.sum(x, 1, True).numpy(), values.sum(axis=1, keepdims=True))
    close(x.max(axis=(0, 1)).numpy(), values.max(axis=(0, 1)))
    assert x.argmax(dim=2, keepdim=True).numpy().tolist() == values.argmax(axis=2)[..., None].tolist()
    assert gs.argmin(x, dim=0).numpy().tolist() == values.argmin(axis=0).tolist()
    with pytest.raises(TypeError, match="keepdim= and keepdims="):
        x.sum(keepdim=True, keepdims=True)


def test_handle_counts_stay_flat():
    values = randn((3, 4), seed=16)

    def round_trip():
        x = leaf(values)
        parts = [x.prod(1), x.var(0), x.std(), x.logsumexp(1), x.norm(3, 1), x.cumsum(0), x.cumprod(1),
                 x.sort(1).values, x.topk(2).values, x.max(dim=0).values]
        total = parts[0].sum()
        for p in parts[1:]:
            total = total + p.sum()
        total.backward()
        x.all(), x.any(1), x.argsort(), x.sort(0).indices

    round_trip()
    before = live_handles()
    for _ in range(3):
        round_trip()
    assert live_handles() == before
