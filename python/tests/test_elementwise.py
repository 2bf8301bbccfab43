"""Element-wise binary and unary ops: values, dtypes and gradients against NumPy (analytic
gradients) and against PyDyNet 1.1."""
import numpy as np
import pytest

import gradswift as gs
from helpers import assert_close, pdn, positive, randn, run, unbroadcast, weight

FLOATS = [np.float32, np.float64]

# name: (NumPy forward, analytic partial derivatives (a, b, out) -> (d/da, d/db))
BINARY = {
    "add": (np.add, lambda a, b, o: (np.ones_like(o), np.ones_like(o))),
    "sub": (np.subtract, lambda a, b, o: (np.ones_like(o), -np.ones_like(o))),
    "mul": (np.multiply, lambda a, b, o: (b + 0 * a, a + 0 * b)),
    "div": (np.divide, lambda a, b, o: (1 / b + 0 * a, -a / b ** 2)),
    "pow": (np.power, lambda a, b, o: (b * a ** (b - 1), o * np.log(a))),
    "maximum": (np.maximum, lambda a, b, o: ((a > b) + 0.0, (b > a) + 0.0)),
    "minimum": (np.minimum, lambda a, b, o: ((a < b) + 0.0, (b < a) + 0.0)),
}
OPERATORS = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
             "div": lambda x, y: x / y, "pow": lambda x, y: x ** y}

SHAPES = [((3, 4), (3, 4)), ((3, 1, 4), (2, 4)), ((), (5,)), ((4,), ()), ((), ()),
          ((1, 4), (3, 2, 4)), ((2, 3), (1,)), ((5,), (5,)), ((2, 1), (1, 3))]
# PyDyNet reduces broadcast gradients over misaligned axes when the lower-rank operand has a
# size-1 dimension, e.g. (1, 4) with (3, 2, 4), and crashes: those shapes are compared with NumPy only.
PYDYNET_SHAPES = [s for s in SHAPES if s not in (((1, 4), (3, 2, 4)), ((2, 3), (1,)))]


def binary_inputs(op, shapes, dtype):
    if op == "pow":
        return positive(shapes[0], dtype, 1), randn(shapes[1], dtype, 2)
    if op == "div":
        return randn(shapes[0], dtype, 1), positive(shapes[1], dtype, 2) * np.where(
            randn(shapes[1], dtype, 3) > 0, 1, -1).astype(dtype)
    return randn(shapes[0], dtype, 1), randn(shapes[1], dtype, 2)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_vs_numpy(op, shapes, dtype):
    a, b = binary_inputs(op, shapes, dtype)
    forward, partials = BINARY[op]
    expected = forward(a, b)
    w = weight(expected.shape, dtype)
    value, (ga, gb) = run(gs, lambda m, x, y: getattr(m, op)(x, y), [a, b], w)
    assert_close(value, expected)
    da, db = partials(a.astype(np.float64), b.astype(np.float64), expected.astype(np.float64))
    assert_close(ga, unbroadcast(w * da, a.shape).astype(dtype), dtype)
    assert_close(gb, unbroadcast(w * db, b.shape).astype(dtype), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", PYDYNET_SHAPES, ids=str)
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_vs_pydynet(op, shapes, dtype):
    a, b = binary_inputs(op, shapes, dtype)
    fn = lambda m, x, y: getattr(m, op)(x, y)  # noqa: E731
    ref_value, ref_grads = run(pdn, fn, [a, b], weight(np.broadcast_shapes(a.shape, b.shape), dtype))
    value, grads = run(gs, fn, [a, b], weight(ref_value.shape, dtype))
    assert_close(value, ref_value)
    if op == "minimum":
        return  # PyDyNet's minimum gradient is always zero (it compares an array with a Tensor)
    for g, ref in zip(grads, ref_grads):
        # PyDyNet keeps float64 gradients for float32 leaves; ours have the leaf's dtype
        assert g.dtype == dtype
        assert_close(g, ref.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_operators_match_functions(op, dtype):
    a, b = binary_inputs(op, ((2, 3), (3,)), dtype)
    w = weight((2, 3), dtype)
    expected, expected_grads = run(gs, lambda m, x, y: getattr(m, op)(x, y), [a, b], w)
    value, grads = run(gs, lambda m, x, y: OPERATORS[op](x, y), [a, b], w)
    assert_close(value, expected)
    for g, e in zip(grads, expected_grads):
        assert_close(g, e)


SCALARS = [2, 0.5, True, 3, 1.25]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_scalar_operands_keep_float_dtype(op, scalar, dtype):
    """A Python scalar with a float tensor keeps the tensor's dtype (NumPy 2 and PyDyNet agree);
    both operand orders, with the gradient of the tensor."""
    a = positive((2, 3), dtype, 4)
    w = weight((2, 3), dtype)
    for fn in (lambda m, x: OPERATORS[op](x, scalar), lambda m, x: OPERATORS[op](scalar, x)):
        ref_value, (ref_grad,) = run(pdn, fn, [a], w)
        value, (grad,) = run(gs, fn, [a], w)
        assert_close(value, ref_value)
        assert_close(grad, ref_grad.astype(dtype), dtype)


INT_CASES = [
    # (operand tensor dtype, scalar) -> NumPy 2 result dtype. PyDyNet casts the scalar to the
    # tensor's dtype (int tensor * 0.5 stays int), so these are compared with NumPy.
    (np.int64, 0.5), (np.int64, 3), (np.int64, True), (np.bool_, 2), (np.bool_, 1.5),
    (np.bool_, True), (np.float32, 3), (np.float32, 2.5),
]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "minimum"])
@pytest.mark.parametrize("dtype,scalar", INT_CASES, ids=str)
def test_scalar_promotion_follows_numpy(op, dtype, scalar):
    if dtype == np.bool_ and type(scalar) is bool and op == "sub":
        with pytest.raises(TypeError):  # NumPy forbids boolean subtraction
            np.subtract(np.array([True]), True)
        with pytest.raises(TypeError):
            gs.Tensor(np.array([True])) - True
        return
    a = np.array([[0, 1, 2], [3, 4, 5]]).astype(dtype)
    ufunc = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
             "maximum": np.maximum, "minimum": np.minimum}[op]
    with np.errstate(divide="ignore", invalid="ignore"):  # scalar / 0 -> inf, as in NumPy
        cases = ((getattr(gs, op)(gs.Tensor(a), scalar), ufunc(a, scalar)),
                 (getattr(gs, op)(scalar, gs.Tensor(a)), ufunc(scalar, a)))
    for value, expected in cases:
        assert_close(value.numpy(), expected)


TENSOR_PROMOTION = [(np.int64, np.float32), (np.bool_, np.int64), (np.bool_, np.float64),
                    (np.float32, np.float64), (np.int64, np.int64), (np.bool_, np.bool_),
                    (np.float32, np.bool_), (np.int64, np.float64)]


@pytest.mark.parametrize("op", ["add", "mul", "maximum", "div"])
@pytest.mark.parametrize("dtypes", TENSOR_PROMOTION, ids=str)
def test_tensor_promotion_follows_numpy(op, dtypes):
    """Tensor with tensor: NumPy 2's result type, including int64 with float32 -> float64
    and division of ints or bools -> float64."""
    a = np.array([[0, 1, 2], [3, 4, 5]]).astype(dtypes[0])
    b = np.array([1, 2, 1]).astype(dtypes[1])
    ufunc = {"add": np.add, "mul": np.multiply, "maximum": np.maximum, "div": np.divide}[op]
    expected = ufunc(a, b)
    assert_close(getattr(gs, op)(gs.Tensor(a), gs.Tensor(b)).numpy(), expected)


def test_numpy_and_list_operands_become_tensors():
    """Array and list operands are arrays to NumPy (not weak scalars): int64 lists widen float32."""
    x = gs.Tensor(np.array([1.0, 2.0], dtype=np.float32))
    for value, expected in ((x + np.array([1.0, 1.0]), np.float64),
                            (np.array([1.0, 1.0]) + x, np.float64),
                            (x * [2, 3], np.float64), ([2, 3] - x, np.float64),
                            (x + np.float64(1.0), np.float64)):
        assert isinstance(value, gs.Tensor)
        assert value.dtype == expected
    assert_close((np.array([3.0, 4.0]) - x).numpy(), np.array([2.0, 2.0]))


# name: (NumPy forward, derivative of the output with respect to the input, input generator)
UNARY = {
    "abs": (np.abs, lambda x, o: np.sign(x), randn),
    "exp": (np.exp, lambda x, o: o, randn),
    "log": (np.log, lambda x, o: 1 / x, positive),
    "sign": (np.sign, lambda x, o: np.zeros_like(x), randn),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda x, o: o * (1 - o), randn),
    "tanh": (np.tanh, lambda x, o: 1 - o ** 2, randn),
    "sqrt": (np.sqrt, lambda x, o: 0.5 / o, positive),
    "square": (np.square, lambda x, o: 2 * x, randn),
}
UNARY_SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_vs_numpy(op, shape, dtype):
    forward, derivative, make = UNARY[op]
    x = make(shape, dtype, 7)
    expected = forward(x).astype(dtype)
    w = weight(shape, dtype)
    value, (grad,) = run(gs, lambda m, t: getattr(m, op)(t), [x], w)
    assert_close(value, expected)
    x64 = x.astype(np.float64)
    assert_close(grad, (w * derivative(x64, forward(x64))).astype(dtype), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_vs_pydynet(op, shape, dtype):
    _, _, make = UNARY[op]
    x = make(shape, dtype, 7)
    w = weight(shape, dtype)
    fn = lambda m, t: getattr(m, op)(t)  # noqa: E731
    value, (grad,) = run(gs, fn, [x], w)
    ref_value, _ = run(pdn, fn, [x])
    assert_close(value, ref_value)
    if op != "abs":  # PyDyNet's abs backward crashes (np.sign of a Tensor); see test_unary_vs_numpy
        _, (ref_grad,) = run(pdn, fn, [x], w)
        assert_close(grad, ref_grad.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_and_tanh_are_stable_for_large_inputs(dtype):
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype)
    assert_close(gs.sigmoid(gs.Tensor(x)).numpy(), np.array([0, 1 / (1 + np.exp(50.0)), 0.5,
                                                             1 / (1 + np.exp(-50.0)), 1], dtype))
    assert_close(gs.tanh(gs.Tensor(x)).numpy(), np.tanh(x))


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "sigmoid", "tanh"])
def test_float_functions_of_int_and_bool_give_numpys_float(op, dtype):
    # NumPy's rule: the smallest float that holds the type (bool: float16, int64: float64).
    x = np.array([1, 2, 3]).astype(dtype)
    value = getattr(gs, op)(gs.Tensor(x)).numpy()
    want = np.sqrt(x).dtype
    assert value.dtype == want
    assert_close(value, UNARY[op][0](x.astype(np.float64)).astype(want))


@pytest.mark.parametrize("dtype", FLOATS)
def test_negation_and_unary_operators(dtype):
    x = randn((2, 3), dtype, 3)
    w = weight((2, 3), dtype)
    for fn, expected, d in ((lambda m, t: -t, -x, -1.0), (lambda m, t: +t, x, 1.0),
                            (lambda m, t: abs(t), np.abs(x), np.sign(x))):
        value, (grad,) = run(gs, fn, [x], w)
        assert_close(value, expected)
        assert_close(grad, (w * d).astype(dtype), dtype)


@pytest.mark.parametrize("name,ufunc", [("__lt__", np.less), ("__le__", np.less_equal),
                                        ("__gt__", np.greater), ("__ge__", np.greater_equal),
                                        ("eq", np.equal), ("ne", np.not_equal)])
@pytest.mark.parametrize("other", ["tensor", "scalar", "array"])
def test_comparisons_give_bool(name, ufunc, other):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = {"tensor": np.array([2.0, 2.0, 2.0]), "scalar": 2, "array": np.array([[1.0], [2.0]])}[other]
    x = gs.Tensor(a, requires_grad=True)
    operand = gs.Tensor(b) if other == "tensor" else b
    result = getattr(x, name)(operand)
    assert result.dtype == np.bool_ and not result.requires_grad
    assert_close(result.numpy(), ufunc(a, b))
    ref = getattr(pdn.Tensor(a), name)(pdn.Tensor(b) if other == "tensor" else b)
    assert_close(result.numpy(), ref.numpy())


def test_reflected_comparison_with_scalar():
    x = gs.Tensor([1.0, 2.0, 3.0])
    assert_close((2 < x).numpy(), np.array([False, False, True]))
    assert_close((np.array([3.0, 3.0, 3.0]) <= x).numpy(), np.array([False, False, True]))


def test_shape_mismatch_raises_value_error_naming_shapes():
    with pytest.raises(ValueError) as info:
        gs.Tensor(np.ones((2, 3))) + gs.Tensor(np.ones((4,)))
    assert "2" in str(info.value) and "3" in str(info.value) and "4" in str(info.value)
