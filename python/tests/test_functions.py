"""The elementwise functions and activations PyTorch users reach for (trigonometric, rounding,
clamp, where, lerp, atan2, hypot, gelu ... logsigmoid): values against NumPy over broadcasting
shapes, dtype rules, NumPy aliases, Tensor methods, layers and their reprs, errors. The golden
files check every op's value and gradients in float32 and float64; gradcheck checks the
gradients against finite differences."""
import math

import numpy as np
import pytest

import gradswift as gs
import gradswift.nn.functional as F
from gradswift import nn
from helpers import assert_close, live_handles, randn, run, weight

FLOATS = [np.float32, np.float64]
erf = np.vectorize(math.erf)

# name: (NumPy reference, input domain (low, high))
UNARY = {
    "sin": (np.sin, (-4, 4)), "cos": (np.cos, (-4, 4)), "tan": (np.tan, (-1.2, 1.2)),
    "asin": (np.arcsin, (-0.9, 0.9)), "acos": (np.arccos, (-0.9, 0.9)), "atan": (np.arctan, (-4, 4)),
    "sinh": (np.sinh, (-3, 3)), "cosh": (np.cosh, (-3, 3)), "tanh": (np.tanh, (-3, 3)),
    "asinh": (np.arcsinh, (-4, 4)), "acosh": (np.arccosh, (1.1, 4)), "atanh": (np.arctanh, (-0.9, 0.9)),
    "log1p": (np.log1p, (-0.9, 4)), "expm1": (np.expm1, (-3, 3)), "log2": (np.log2, (0.1, 4)),
    "log10": (np.log10, (0.1, 4)), "exp2": (np.exp2, (-3, 3)), "rsqrt": (lambda x: 1 / np.sqrt(x), (0.1, 4)),
    "reciprocal": (np.reciprocal, (0.2, 4)), "erf": (erf, (-3, 3)),
    "floor": (np.floor, (-4, 4)), "ceil": (np.ceil, (-4, 4)), "trunc": (np.trunc, (-4, 4)),
    "round": (np.round, (-4, 4)),
}
# NumPy's spelling of a PyTorch name, both offered by gradswift
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
           "arccosh": "acosh", "arctanh": "atanh", "clip": "clamp", "arctan2": "atan2", "fix": "trunc"}


def uniform(shape, low, high, dtype, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_and_method(name, dtype):
    reference, (low, high) = UNARY[name]
    x = uniform((3, 5), low, high, dtype)
    expected = reference(x.astype(np.float64)).astype(dtype)
    assert_close(getattr(gs, name)(gs.Tensor(x)).numpy(), expected, dtype)
    method = getattr(gs.Tensor(x), name)()
    assert method.dtype == dtype
    assert_close(method.numpy(), expected, dtype)
    # a NumPy array argument: its temporary Tensor must outlive the call (it once did not)
    assert_close(getattr(gs, name)(x).numpy(), expected, dtype)


@pytest.mark.parametrize("name", ["sin", "exp2", "log1p", "erf", "atan"])
def test_int_inputs_give_float64_like_numpy(name):
    x = np.arange(0, 4)
    out = getattr(gs, name)(gs.Tensor(x))
    assert out.dtype == np.float64
    assert_close(out.numpy(), UNARY[name][0](x.astype(np.float64)), np.float64)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round"])
def test_rounding_keeps_int_dtype_and_has_zero_gradient(name):
    assert getattr(gs, name)(gs.Tensor(np.arange(-3, 3))).dtype == np.int64
    x = gs.Tensor(np.array([-1.5, 0.3, 2.7]), requires_grad=True)
    getattr(gs, name)(x).sum().backward()
    assert np.array_equal(np.asarray(x.grad), np.zeros(3))


def test_round_halves_to_even_and_decimals_like_numpy():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 1.2345, 123.456, -7.891])
    assert np.array_equal(gs.round(gs.Tensor(x)).numpy(), np.round(x))
    for decimals in (-1, 1, 2, 3):
        assert_close(gs.round(gs.Tensor(x), decimals=decimals).numpy(), np.round(x, decimals), np.float64)
        assert_close(gs.Tensor(x).round(decimals).numpy(), np.round(x, decimals), np.float64)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_numpy_aliases_are_the_same_functions(alias):
    x = uniform((4,), 1.1, 1.9, np.float64) if alias == "arccosh" else uniform((4,), -0.9, 0.9, np.float64)
    args = {"clip": (-0.5, 0.5), "arctan2": (gs.Tensor(x[::-1].copy()),)}.get(alias, ())
    a = getattr(gs, alias)(gs.Tensor(x), *args).numpy()
    b = getattr(gs, ALIASES[alias])(gs.Tensor(x), *args).numpy()
    assert np.array_equal(a, b)
    if alias not in ("arctan2",):
        assert np.array_equal(getattr(gs.Tensor(x), alias)(*args).numpy(), a)


# ---- clamp ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bounds", [(-0.5, 0.5), (None, 0.2), (-0.2, None), (0.5, -0.5)], ids=str)
def test_clamp_scalar_bounds_like_numpy(bounds, dtype):
    # NumPy's clip with min > max gives max everywhere, as PyTorch's clamp
    x = randn((4, 5), dtype)
    low, high = bounds
    w = weight(x.shape, dtype)
    value, (grad,) = run(gs, lambda m, t: m.clamp(t, low, high), [x], w)
    expected = np.clip(x, low, high)
    assert value.dtype == dtype
    assert_close(value, expected, dtype)
    inside = np.ones_like(x, dtype=bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    assert_close(grad, np.where(inside, w, 0).astype(dtype), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_clamp_tensor_bounds_broadcast(dtype):
    x, low, high = randn((3, 4), dtype, 1), randn((4,), dtype, 2) - 1, randn((3, 1), dtype, 3) + 1
    w = weight((3, 4), dtype)
    value, (gx, glow, ghigh) = run(gs, lambda m, t, lo, hi: m.clamp(t, lo, hi), [x, low, high], w)
    expected = np.minimum(np.maximum(x, low), high)
    assert_close(value, expected, dtype)
    # each element's gradient goes to the operand that gave its value
    from_high = np.maximum(x, low) > high
    from_low = ~from_high & (low > x)
    from_x = ~from_high & ~from_low
    assert_close(gx, np.where(from_x, w, 0).astype(dtype), dtype)
    assert_close(glow, np.where(from_low, w, 0).sum(axis=0).astype(dtype), dtype)
    assert_close(ghigh, np.where(from_high, w, 0).sum(axis=1, keepdims=True).astype(dtype), dtype)


def test_clamp_dtypes_follow_numpy_promotion():
    ints = gs.Tensor(np.arange(-3, 4))
    assert ints.clamp(-1, 2).dtype == np.int64
    assert np.array_equal(ints.clamp(-1, 2).numpy(), np.clip(np.arange(-3, 4), -1, 2))
    assert ints.clamp(-1.5, 2).dtype == np.float64
    assert gs.Tensor(np.ones(3, np.float32)).clamp(0, 0.5).dtype == np.float32
    assert gs.clip(ints, 0, None).dtype == np.int64


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="at least one of min and max"):
        gs.clamp(gs.Tensor([1.0]))


# ---- where, lerp, atan2, hypot -------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_where_values_gradients_and_scalars(dtype):
    condition = randn((3, 1), np.float64, 5) > 0
    a, b = randn((3, 4), dtype, 1), randn((4,), dtype, 2)
    w = weight((3, 4), dtype)
    value, (_, ga, gb) = run(gs, lambda m, c, x, y: m.where(c, x, y), [condition, a, b], w)
    assert_close(value, np.where(condition, a, b), dtype)
    assert_close(ga, np.where(condition, w, 0).astype(dtype), dtype)
    assert_close(gb, np.where(condition, 0, w).sum(axis=0).astype(dtype), dtype)
    # a Python number takes the tensor's dtype, as in x + 0.5
    out = gs.where(gs.Tensor(condition), gs.Tensor(a), 0.5)
    assert out.dtype == dtype
    assert_close(out.numpy(), np.where(condition, a, dtype(0.5)), dtype)
    assert gs.where(gs.Tensor(condition), 1.0, gs.Tensor(b)).dtype == dtype


def test_where_errors():
    with pytest.raises(TypeError, match="condition must be bool"):
        gs.where(gs.Tensor([1.0]), gs.Tensor([1.0]), gs.Tensor([2.0]))
    with pytest.raises(ValueError, match="broadcast"):
        gs.where(gs.Tensor([True, False]), gs.Tensor([1.0, 2.0, 3.0]), 0.0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_lerp_with_number_and_tensor_weights(dtype):
    start, end = randn((2, 3), dtype, 1), randn((3,), dtype, 2)
    for weight_value in (0.25, randn((2, 1), dtype, 3)):
        tensor_weight = not isinstance(weight_value, float)
        w = weight((2, 3), dtype)
        arrays = [start, end] + ([weight_value] if tensor_weight else [])
        fn = (lambda m, s, e, t: m.lerp(s, e, t)) if tensor_weight else (lambda m, s, e: m.lerp(s, e, 0.25))
        value, grads = run(gs, fn, arrays, w)
        assert_close(value, start + weight_value * (end - start), dtype)
        assert_close(grads[0], (w * (1 - weight_value)).astype(dtype), dtype)
        assert_close(grads[1], (w * weight_value * np.ones((2, 3))).sum(axis=0).astype(dtype), dtype)
        if tensor_weight:
            assert_close(grads[2], (w * (end - start)).sum(axis=1, keepdims=True).astype(dtype), dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_atan2_and_hypot_broadcast_like_numpy(dtype):
    y, x = randn((3, 4), dtype, 1), randn((4,), dtype, 2)
    w = weight((3, 4), dtype)
    value, (gy, gx) = run(gs, lambda m, a, b: m.atan2(a, b), [y, x], w)
    assert_close(value, np.arctan2(y, x), dtype)
    r2 = (x.astype(np.float64) ** 2 + y.astype(np.float64) ** 2)
    assert_close(gy, (w * x / r2).astype(dtype), dtype)
    assert_close(gx, (-w * y / r2).sum(axis=0).astype(dtype), dtype)
    value, (gy, gx) = run(gs, lambda m, a, b: m.hypot(a, b), [y, x], w)
    assert_close(value, np.hypot(y, x), dtype)
    assert_close(gy, (w * y / np.sqrt(r2)).astype(dtype), dtype)


def test_hypot_does_not_overflow():
    big = np.array([1e300, 3e307])
    assert np.array_equal(gs.hypot(gs.Tensor(big), gs.Tensor(big)).numpy(), np.hypot(big, big))


# ---- activations ---------------------------------------------------------------------------

def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.log1p(np.exp(np.minimum(beta * x, threshold))) / beta)


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805
ACTIVATIONS = {
    "gelu": (lambda t: F.gelu(t), lambda x: 0.5 * x * (1 + erf(x / np.sqrt(2)))),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    "elu": (lambda t: F.elu(t, alpha=0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    "selu": (F.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    "celu": (lambda t: F.celu(t, alpha=1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x / 1.5))),
    "softplus": (lambda t: F.softplus(t, beta=2.0, threshold=3.0), lambda x: np_softplus(x, 2.0, 3.0)),
    "mish": (F.mish, lambda x: x * np.tanh(np_softplus(x))),
    "hardtanh": (lambda t: F.hardtanh(t, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0)),
    "relu6": (F.relu6, lambda x: np.clip(x, 0, 6)),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x + 3, 0, 6) / 6),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "logsigmoid": (F.logsigmoid, lambda x: -np.logaddexp(0, -x)),
}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_like_definition(name, dtype):
    function, reference = ACTIVATIONS[name]
    x = uniform((4, 6), -8, 8, dtype)
    out = function(gs.Tensor(x))
    assert out.dtype == dtype
    assert_close(out.numpy(), reference(x.astype(np.float64)).astype(dtype), dtype)


def test_activations_stay_finite_far_out():
    x = gs.Tensor(np.array([-1000.0, -50.0, 50.0, 1000.0]), requires_grad=True)
    for name, (function, _) in ACTIVATIONS.items():
        out = function(x)
        out.sum().backward()
        assert np.isfinite(out.numpy()).all(), name
        assert np.isfinite(np.asarray(x.grad)).all(), name
        x.grad = None
    assert_close(F.logsigmoid(x).numpy(), np.array([-1000.0, -50.0, -np.exp(-50.0), 0.0]), np.float64)


LAYERS = [
    (nn.GELU(), "GELU(approximate='none')", lambda t: F.gelu(t)),
    (nn.GELU(approximate="tanh"), "GELU(approximate='tanh')", lambda t: F.gelu(t, approximate="tanh")),
    (nn.SiLU(), "SiLU()", F.silu),
    (nn.ELU(alpha=0.5), "ELU(alpha=0.5)", lambda t: F.elu(t, 0.5)),
    (nn.SELU(), "SELU()", F.selu),
    (nn.CELU(), "CELU(alpha=1.0)", F.celu),
    (nn.Softplus(beta=2, threshold=10), "Softplus(beta=2.0, threshold=10.0)",
     lambda t: F.softplus(t, 2, 10)),
    (nn.Mish(), "Mish()", F.mish),
    (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)", F.hardtanh),
    (nn.ReLU6(), "ReLU6()", F.relu6),
    (nn.Hardsigmoid(), "Hardsigmoid()", F.hardsigmoid),
    (nn.Hardswish(), "Hardswish()", F.hardswish),
    (nn.LogSigmoid(), "LogSigmoid()", F.logsigmoid),
]


@pytest.mark.parametrize("layer, text, function", LAYERS, ids=[t for _, t, _ in LAYERS])
def test_activation_layers_match_functions_and_print_like_pytorch(layer, text, function):
    assert repr(layer) == text
    assert list(layer.parameters()) == []
    x = randn((2, 5), np.float32, 3) * 3
    w = weight((2, 5), np.float32)
    value, grads = run(gs, lambda m, t: layer(t), [x], w)
    expected, expected_grads = run(gs, lambda m, t: function(t), [x], w)
    assert np.array_equal(value, expected)
    assert np.array_equal(grads[0], expected_grads[0])


def test_activation_argument_errors():
    one = gs.Tensor([1.0])
    with pytest.raises(ValueError, match="alpha must not be 0"):
        F.celu(one, 0.0)
    with pytest.raises(ValueError, match="beta must not be 0"):
        F.softplus(one, beta=0)
    with pytest.raises(ValueError, match="must not exceed max_val"):
        F.hardtanh(one, 2, 1)
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        F.gelu(one, approximate="exact")
    with pytest.raises(TypeError, match="needs a float tensor"):
        gs.round(gs.Tensor([1, 2]), decimals=2)
    for decimals in (301, -2 ** 63, 10 ** 19):
        reported = min(decimals, 2 ** 63 - 1)  # the int64 the engine saw
        with pytest.raises(ValueError, match=rf"decimals must be within \[-300, 300\], got {reported}"):
            gs.round(gs.Tensor([1.5]), decimals=decimals)


def test_new_functions_leave_no_handles():
    """After a first step (which gives x its gradient buffer), steps leave the count flat."""
    x = gs.Tensor(randn((8,), np.float64), requires_grad=True)
    for step in range(4):
        y = (gs.sin(x) + gs.clamp(x, -0.5, 0.5) + gs.where(x > 0, x, 0.0) + F.gelu(x)
             + gs.lerp(x, gs.cos(x), 0.3) + gs.hypot(x, x) + F.softplus(x) + gs.round(x, 1))
        y.sum().backward()
        del y
        x.grad = None
        if step == 0:
            after_first_step = live_handles()
    assert live_handles() == after_first_step
