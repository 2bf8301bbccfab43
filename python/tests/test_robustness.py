"""Regressions from the review of the engine core: inputs that used to crash the process, and
corner cases where results differed from NumPy. Each must now give NumPy's answer or a clear
Python exception."""
import numpy as np
import pytest

import gradswift as pdn


# ---- rebinding .data after the tensor was used in a graph --------------------------------------
@pytest.mark.parametrize("build", [
    lambda x: x[[3]],
    lambda x: pdn.exp(x),
    lambda x: pdn.split(x, [2])[1],
    lambda x: x @ pdn.Tensor(np.ones((4, 2))),
], ids=["index", "exp", "split", "matmul"])
def test_backward_after_rebinding_an_input_raises(build):
    x = pdn.Tensor(np.ones(4), requires_grad=True)
    y = build(x)
    x.data = np.ones(1000)  # another shape: the recorded backward rule no longer fits
    with pytest.raises(RuntimeError, match="reassigned"):
        y.sum().backward()


def test_backward_after_rebinding_with_same_shape_uses_the_new_values():
    x = pdn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    x.data = np.array([3.0, 5.0])  # same shape and dtype: PyDyNet reads the current data too
    y.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 10.0])


def test_backward_after_rebinding_the_output_raises():
    x = pdn.Tensor(np.ones(3), requires_grad=True)
    y = (x * 2).sum()
    y.data = np.ones((2, 2))
    with pytest.raises((RuntimeError, ValueError)):
        y.backward()


# ---- sizes that overflow --------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(0, 2**40, 2**40), (2**62, 0, 4), (0, 2**62)])
def test_shapes_whose_nonzero_dims_overflow_are_rejected(shape):
    with pytest.raises(MemoryError, match="too big"):
        pdn.zeros(shape)


def test_reshape_to_an_overflowing_empty_shape_is_rejected():
    with pytest.raises(MemoryError):
        pdn.zeros((0,)).reshape(0, 2**40, 2**40)


@pytest.mark.parametrize("step", [2**62, -2**62, 2**63 - 1])
def test_huge_slice_steps_take_one_element(step):
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(pdn.Tensor(x)[::step].numpy(), x[::step])


def test_advanced_index_results_too_large_raise_memory_error():
    idx = [np.zeros((4096, 1, 1), np.int64), np.zeros((1, 4096, 1), np.int64), np.zeros((1, 1, 4096), np.int64)]
    with pytest.raises(MemoryError):
        pdn.zeros((1, 1, 1))[tuple(idx)]


# ---- empty batches in matmul ------------------------------------------------------------------
def test_matmul_with_an_empty_batch():
    out = pdn.zeros((0, 3, 4)) @ pdn.zeros((1, 4, 5))
    assert out.shape == (0, 3, 5)
    a = pdn.zeros((0, 3, 4), requires_grad=True)
    b = pdn.zeros((4, 5), requires_grad=True)
    (a @ b).sum().backward()
    assert a.grad.shape == (0, 3, 4)
    np.testing.assert_array_equal(b.grad, np.zeros((4, 5)))


# ---- indexing corner cases ------------------------------------------------------------------
@pytest.mark.parametrize("key", [
    (slice(None), 0, Ellipsis, [1, 2]),
    (slice(None), [0], Ellipsis, [1, 2]),
    (0, Ellipsis, [1, 2]),
    (Ellipsis, 0, [1, 2]),
    (None, [0, 1], 0),
], ids=str)
def test_ellipsis_separates_advanced_indices_as_in_numpy(key):
    a = np.arange(60.0).reshape(4, 3, 5)
    np.testing.assert_array_equal(pdn.Tensor(a)[key].numpy(), a[key])


def test_uint64_indices_beyond_int64_raise_index_error():
    with pytest.raises(IndexError):
        pdn.Tensor(np.arange(3))[np.array([2**64 - 1], dtype=np.uint64)]


def test_nan_into_an_int_tensor_raises():
    t = pdn.Tensor(np.arange(3))
    with pytest.raises(ValueError, match="NaN"):
        t[0] = np.nan


def test_bool_bytes_are_normalised_on_creation():
    raw = np.array([2, 0, 255], dtype=np.uint8).view(np.bool_)
    t = pdn.Tensor(raw)
    np.testing.assert_array_equal(t.numpy().view(np.uint8), [1, 0, 1])
    assert t.sum().item() == 2
    np.testing.assert_array_equal(pdn.Tensor(np.arange(3.0))[t].numpy(), [0.0, 2.0])


# ---- numerics -------------------------------------------------------------------------------
def test_nan_maximum_takes_the_gradient_as_in_pytorch():
    x = pdn.Tensor(np.array([1.0, np.nan, 3.0]), requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


def test_python_ints_beyond_2_pow_53_stay_exact():
    big = 2**53 + 1
    assert (pdn.Tensor(np.array([0])) + big).item() == big
    assert pdn.Tensor(np.array([big])).eq(big).item()
    t = pdn.Tensor(np.array([0, 0]))
    t[0] = big
    t += big
    np.testing.assert_array_equal(t.numpy(), [2 * big, big])
    with pytest.raises(OverflowError):
        pdn.Tensor(np.array([0])) + 2**63


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_matches_numpy_over_its_whole_range(dtype):
    x = np.concatenate([np.linspace(-30, 30, 20001), np.logspace(-12, 1, 500),
                        -np.logspace(-12, 1, 500), [0.0, 0.0625, -0.0625, np.inf, -np.inf]]).astype(dtype)
    np.testing.assert_allclose(pdn.tanh(pdn.Tensor(x)).numpy(), np.tanh(x),
                               rtol=1e-6 if dtype == np.float32 else 1e-13, atol=0)


# ---- API ------------------------------------------------------------------------------------
def test_in_place_matmul():
    x = pdn.Tensor(np.ones((3, 2)))
    x @= pdn.Tensor(np.eye(2) * 2)
    np.testing.assert_array_equal(x.numpy(), np.full((3, 2), 2.0))
    p = pdn.Tensor(np.ones((2, 2)), requires_grad=True)
    with pytest.raises(ValueError):
        p @= pdn.Tensor(np.eye(2))


def test_argmax_with_an_empty_axis_tuple_raises():
    with pytest.raises(ValueError):
        pdn.Tensor(np.ones((2, 3))).argmax(axis=())


def test_cuda_device_queries_raise():
    with pytest.raises(RuntimeError):
        pdn.cuda.current_device()
    with pytest.raises(RuntimeError):
        pdn.cuda.set_device(0)


# ---- found by the C-ABI tests -----------------------------------------------------------------
def test_setitem_drops_leading_unit_dims_of_the_value():
    a = pdn.zeros((3, 4))
    a[0] = np.ones((1, 4))
    np.testing.assert_array_equal(a.numpy()[0], np.ones(4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pow_gradients_at_base_zero_are_masked_as_in_pytorch(dtype):
    x = pdn.Tensor(np.array([0.0, 0.0, 2.0], dtype), requires_grad=True)
    y = pdn.Tensor(np.array([2.0, 0.0, 3.0], dtype), requires_grad=True)
    (x ** y).sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 12.0], rtol=1e-6)
    np.testing.assert_allclose(y.grad, [0.0, 0.0, 8 * np.log(2.0)], rtol=1e-6)


def test_bool_power_gives_an_integer_dtype():
    assert (pdn.Tensor(np.array([True])) ** pdn.Tensor(np.array([False]))).dtype == np.int64


def test_float32_uniform_stays_below_high_and_rejects_overflowing_ranges():
    pdn.manual_seed(0)
    u = pdn.uniform(16777216, 16777218, (1000,), dtype=np.float32).numpy()
    assert (u >= 16777216).all() and (u < 16777218).all()
    with pytest.raises(ValueError):
        pdn.uniform(-1e308, 1e308, (4,))
