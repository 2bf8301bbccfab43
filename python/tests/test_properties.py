"""Property-based tests (hypothesis): for random shapes, dtypes, axes and indices, an op either
gives NumPy's result or raises a Python exception of the expected class carrying the engine's
message; it never crashes the process and never answers where NumPy refuses."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradswift as pdn

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = [np.float32, np.float64, np.int64, np.bool_]
shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


def array(shape, dtype, seed=0):
    values = np.random.default_rng(seed).standard_normal(shape) * 3
    return values.astype(dtype)


def numpy_outcome(func):
    """NumPy's result, or the exception it raised."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return func(), None
        except Exception as error:  # noqa: BLE001 - the class is what is compared
            return None, error


def assert_same_outcome(ours, theirs, accepted_errors):
    """``ours()`` matches NumPy's value, or both refuse and ours raised one of ``accepted_errors``
    with a non-empty message."""
    expected, numpy_error = numpy_outcome(theirs)
    if numpy_error is None:
        result = ours()
        values = np.asarray(result.data if isinstance(result, pdn.Tensor) else result)
        assert values.shape == np.shape(expected)
        np.testing.assert_allclose(values.astype(np.float64), np.asarray(expected, dtype=np.float64),
                                   rtol=1e-5, atol=1e-5)
    else:
        with pytest.raises(accepted_errors) as caught:
            ours()
        assert str(caught.value).strip()


@SETTINGS
@given(shapes, shapes, st.sampled_from(DTYPES), st.sampled_from(DTYPES), st.sampled_from(["add", "mul", "sub"]))
def test_binary_ops_broadcast_or_refuse(shape_a, shape_b, dtype_a, dtype_b, op):
    if op == "sub" and (dtype_a is np.bool_ and dtype_b is np.bool_):
        return  # NumPy refuses bool - bool; ours follows PyDyNet and allows it (elementwise tests cover it)
    a, b = array(shape_a, dtype_a, 1), array(shape_b, dtype_b, 2)
    func = {"add": np.add, "mul": np.multiply, "sub": np.subtract}[op]
    ours = {"add": pdn.add, "mul": pdn.mul, "sub": pdn.sub}[op]
    assert_same_outcome(lambda: ours(pdn.Tensor(a), pdn.Tensor(b)), lambda: func(a, b), (ValueError, TypeError))


@SETTINGS
@given(shapes, shapes)
def test_matmul_aligns_or_refuses(shape_a, shape_b):
    a, b = array(shape_a, np.float64, 3), array(shape_b, np.float64, 4)
    assert_same_outcome(lambda: pdn.matmul(pdn.Tensor(a), pdn.Tensor(b)), lambda: np.matmul(a, b), (ValueError,))


@SETTINGS
@given(shapes, st.lists(st.integers(-1, 6), min_size=0, max_size=4).map(tuple))  # NumPy takes any negative as -1; PyTorch and gradswift refuse all but -1
def test_reshape_to_any_shape(shape, target):
    a = array(shape, np.float64, 5)
    assert_same_outcome(lambda: pdn.Tensor(a).reshape(*target) if target else pdn.Tensor(a).reshape(()),
                        lambda: a.reshape(target), (ValueError,))


@SETTINGS
@given(shapes, st.integers(-6, 6), st.booleans(), st.sampled_from(["sum", "mean", "max"]))
def test_reductions_over_any_axis(shape, axis, keepdims, op):
    a = array(shape, np.float64, 6)
    func = {"sum": np.sum, "mean": np.mean, "max": np.max}[op]
    if shape == () and axis in (0, -1):  # a 0-d tensor's axis 0 names no axis (PyTorch; NumPy's mean refuses)
        func = lambda values, axis, keepdims: values  # noqa: E731
    ours = {"sum": pdn.sum, "mean": pdn.mean, "max": pdn.max}[op]
    assert_same_outcome(lambda: ours(pdn.Tensor(a), axis=axis, keepdims=keepdims),
                        lambda: func(a, axis=axis, keepdims=keepdims), (ValueError, IndexError))


@SETTINGS
@given(shapes, st.lists(st.integers(-6, 6), min_size=1, max_size=3).map(tuple))
def test_integer_indexing_in_and_out_of_range(shape, index):
    a = array(shape, np.float64, 7)
    assert_same_outcome(lambda: pdn.Tensor(a)[index], lambda: a[index], (IndexError,))


@SETTINGS
@given(shapes, st.lists(st.integers(-6, 6), min_size=0, max_size=5))
def test_transpose_with_any_axes(shape, axes):
    a = array(shape, np.float64, 8)
    assert_same_outcome(lambda: pdn.transpose(pdn.Tensor(a), tuple(axes)), lambda: np.transpose(a, tuple(axes)),
                        (ValueError,))


@SETTINGS
@given(st.lists(shapes, min_size=1, max_size=3), st.integers(-4, 4))
def test_concat_of_any_shapes(shape_list, axis):
    arrays = [array(shape, np.float64, 9 + i) for i, shape in enumerate(shape_list)]
    assert_same_outcome(lambda: pdn.concat([pdn.Tensor(x) for x in arrays], axis=axis),
                        lambda: np.concatenate(arrays, axis=axis), (ValueError,))
