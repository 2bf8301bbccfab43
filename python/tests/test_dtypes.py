"""The nine dtypes against NumPy: storage, casts, promotion, float16 computed in float32, narrow
integers computed in int64 and wrapped, and the layers and losses images and labels reach."""
import itertools

import numpy as np
import pytest

import gradswift as gs
import gradswift.nn as nn
import gradswift.nn.functional as F
from helpers import assert_close, live_handles

ALL = [np.dtype(t) for t in ("float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool")]
NEW = [np.dtype(t) for t in ("float16", "int8", "uint8", "int16", "int32")]


def sample(dtype, shape=(2, 3), seed=0):
    """Values every type holds exactly: small integers (floats get halves too)."""
    rng = np.random.default_rng(seed)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    low = 0 if dtype == np.uint8 else -4
    values = rng.integers(low, 5, shape).astype(np.float64)
    if dtype.kind == "f":
        values += 0.5 * rng.integers(0, 2, shape)
    return values.astype(dtype)


@pytest.mark.parametrize("dtype", ALL, ids=str)
def test_every_dtype_is_stored_as_itself(dtype):
    x = sample(dtype)
    t = gs.Tensor(x)
    assert t.dtype == dtype and t.numpy().dtype == dtype and t.data.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), x)
    assert t.numpy().nbytes == x.nbytes


@pytest.mark.parametrize("source,target", list(itertools.product(ALL, ALL)), ids=str)
def test_astype_matches_numpy(source, target):
    x = sample(source, (3, 4), seed=1)
    got = gs.Tensor(x).astype(target).numpy()
    assert got.dtype == target
    np.testing.assert_array_equal(got, x.astype(target))


def test_integer_casts_wrap_and_float_casts_round_as_numpy():
    wide = np.array([-129, -128, 127, 128, 255, 256, 300, 70000, -70000, 2**31, -2**31 - 1], np.int64)
    for dtype in (np.int8, np.uint8, np.int16, np.int32):
        np.testing.assert_array_equal(gs.Tensor(wide).astype(dtype).numpy(), wide.astype(dtype))
    doubles = np.array([0.1, 1 / 3, 65504.0, 65520.0, 1e-8, -2.5e-5, 2049.0, np.inf, -np.inf, np.nan])
    half = gs.Tensor(doubles).astype(np.float16).numpy()
    with np.errstate(over="ignore"):  # 65520 rounds to inf in both
        np.testing.assert_array_equal(half, doubles.astype(np.float16))
        big = np.array([2**53 + 1, 2**62 + 2**38], np.int64)  # int64 to float16/32 rounds once
        for dtype in (np.float16, np.float32):
            np.testing.assert_array_equal(gs.Tensor(big).astype(dtype).numpy(), big.astype(dtype))


PAIRS = list(itertools.product(ALL, ALL))


@pytest.mark.parametrize("left,right", PAIRS, ids=str)
def test_binary_promotion_matches_numpy(left, right):
    a, b = sample(left, (2, 3), 2), sample(right, (3,), 3)
    ta, tb = gs.Tensor(a), gs.Tensor(b)
    ops = [(lambda p, q: p + q, np.add), (lambda p, q: p * q, np.multiply), (gs.maximum, np.maximum),
           (lambda p, q: p / q, np.true_divide), (lambda p, q: p.eq(q), np.equal), (lambda p, q: p < q, np.less)]
    if not (left == np.bool_ and right == np.bool_):
        ops.append((lambda p, q: p - q, np.subtract))
    for op, reference in ops:
        with np.errstate(divide="ignore", invalid="ignore"):
            want = reference(a, b)
        got = op(ta, tb).numpy()
        assert got.dtype == want.dtype, f"{reference.__name__}({left}, {right}): {got.dtype} != {want.dtype}"
        assert_close(got, want)


def test_narrow_integer_arithmetic_wraps_as_numpy():
    a = np.array([100, -100, 127, -128], np.int8)
    for op in (np.add, np.multiply, np.subtract):
        got = {np.add: gs.add, np.multiply: gs.mul, np.subtract: gs.sub}[op](gs.Tensor(a), gs.Tensor(a)).numpy()
        np.testing.assert_array_equal(got, op(a, a))
    u = np.array([200, 250, 3], np.uint8)
    np.testing.assert_array_equal((gs.Tensor(u) + gs.Tensor(u)).numpy(), u + u)
    np.testing.assert_array_equal((-gs.Tensor(u)).numpy(), -u)
    np.testing.assert_array_equal(abs(gs.Tensor(a)).numpy(), np.abs(a))
    m = np.array([[100, 100], [100, 100]], np.int8)
    np.testing.assert_array_equal(gs.matmul(gs.Tensor(m), gs.Tensor(m)).numpy(), m @ m)


@pytest.mark.parametrize("dtype", NEW + [np.dtype(np.bool_)], ids=str)
def test_python_scalars_promote_weakly(dtype):
    x = sample(dtype)
    t = gs.Tensor(x)
    for scalar in (2, 1.5, True):
        if dtype == np.bool_ and scalar is True:
            continue
        for got, want in (((t * scalar).numpy(), x * scalar), ((scalar + t).numpy(), scalar + x)):
            assert got.dtype == want.dtype, (scalar, got.dtype, want.dtype)
            assert_close(got, want)


@pytest.mark.parametrize("dtype,value", [(np.uint8, 300), (np.uint8, -1), (np.int8, 128), (np.int16, 40000),
                                         (np.int32, 2**31), (np.int8, 2**60)])
def test_python_integers_out_of_range_raise(dtype, value):
    t = gs.Tensor(np.ones(2, dtype))
    with pytest.raises((ValueError, OverflowError), match="out of bounds for " + np.dtype(dtype).name):
        t + value
    with pytest.raises(ValueError, match="out of bounds"):
        gs.full((2,), 300, dtype=np.uint8)


@pytest.mark.parametrize("dtype", NEW + [np.dtype(np.bool_)], ids=str)
@pytest.mark.parametrize("name", ["sin", "exp", "sqrt", "tanh", "sigmoid"])
def test_float_functions_give_numpys_float_type(dtype, name):
    x = np.abs(sample(dtype, (3, 4)))
    got = getattr(gs, name)(gs.Tensor(x)).numpy()
    want_type = np.sin(x).dtype  # float16 for bool, int8, uint8 and float16; float32 for int16
    reference = 1 / (1 + np.exp(-x.astype(np.float64))) if name == "sigmoid" else getattr(np, name)(x.astype(np.float64))
    assert got.dtype == want_type
    assert_close(got, reference.astype(want_type))


@pytest.mark.parametrize("dtype", NEW, ids=str)
def test_reductions_and_scans_match_numpy(dtype):
    x = sample(dtype, (3, 4), 4)
    t = gs.Tensor(x)
    cases = [(t.max(), x.max()), (t.min(axis=1), x.min(axis=1)), (t.argmax(), np.argmax(x)),
             (t.mean(), x.mean()), (gs.prod(t, dim=0), np.prod(x, axis=0).astype(np.int64 if dtype.kind in "iu" else dtype)),
             (gs.cumsum(t, dim=1), np.cumsum(x, axis=1).astype(np.int64 if dtype.kind in "iu" else dtype))]
    # NumPy sums uint8 into uint64, PyTorch into int64: gradswift has no uint64 and follows PyTorch.
    cases.append((t.sum(axis=0), x.sum(axis=0).astype(np.int64 if dtype.kind in "iu" else dtype)))
    for got, want in cases:
        got, want = got.numpy(), np.asarray(want)
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        assert_close(got, want)
    sorted_values, order = gs.sort(t, dim=1)
    assert sorted_values.dtype == dtype
    np.testing.assert_array_equal(sorted_values.numpy(), np.sort(x, axis=1, kind="stable"))
    np.testing.assert_array_equal(order.numpy(), np.argsort(x, axis=1, kind="stable"))


def test_float16_is_computed_in_float32_and_rounded_once():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((64, 32)).astype(np.float16)
    b = rng.standard_normal((32, 16)).astype(np.float16)
    got = gs.matmul(gs.Tensor(a), gs.Tensor(b)).numpy()
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, (a.astype(np.float32) @ b.astype(np.float32)).astype(np.float16))
    # A float16 sum accumulates in float32: 4096 halves of 1 + 2^-10 do not stall at 2048.
    ones = np.full(4096, 1 + 2**-10, np.float16)
    total = gs.Tensor(ones).sum().numpy()
    assert total.dtype == np.float16 and total == np.float16(ones.astype(np.float32).sum())
    x = rng.standard_normal(1000).astype(np.float16)
    np.testing.assert_array_equal(gs.exp(gs.Tensor(x)).numpy(), np.exp(x.astype(np.float32)).astype(np.float16))


def test_float16_gradients_are_float16_and_match_the_float32_computation():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 8)).astype(np.float16)
    w = rng.standard_normal((8, 3)).astype(np.float16)
    results = {}
    for dtype in (np.float16, np.float32):
        tx, tw = gs.Tensor(x.astype(dtype), requires_grad=True), gs.Tensor(w.astype(dtype), requires_grad=True)
        loss = (gs.tanh(tx @ tw) ** 2).sum()
        loss.backward()
        results[dtype] = (loss, tx.grad, tw.grad)
    for half, single in zip(results[np.float16], results[np.float32]):
        half = np.asarray(half.numpy() if isinstance(half, gs.Tensor) else half)
        single = np.asarray(single.numpy() if isinstance(single, gs.Tensor) else single)
        assert half.dtype == np.float16
        np.testing.assert_allclose(half.astype(np.float32), single, rtol=4e-3, atol=4e-3)


def test_float16_layers_run_and_train():
    rng = np.random.default_rng(7)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, dtype=np.float16), nn.BatchNorm2d(4, dtype=np.float16),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3, dtype=np.float16))
    images = gs.Tensor(rng.standard_normal((6, 1, 8, 8)).astype(np.float16))
    labels = gs.Tensor(rng.integers(0, 3, 6).astype(np.uint8))
    out = model(images)
    assert out.dtype == np.float16 and out.shape == (6, 3)
    loss = F.cross_entropy(out, labels)
    assert loss.dtype == np.float16
    loss.backward()
    for p in model.parameters():
        assert p.grad is not None and p.grad.dtype == np.float16 and np.isfinite(p.grad).all()
    bn = model[1]
    assert bn.running_mean.dtype == np.float16 and np.abs(bn.running_mean.numpy()).sum() > 0  # updated in place
    with pytest.raises(TypeError, match="float16"):
        gs.optim.SGD(model.parameters(), lr=0.1)


def test_uint8_images_and_integer_labels_and_indices():
    rng = np.random.default_rng(8)
    pixels = rng.integers(0, 256, (4, 1, 5, 5)).astype(np.uint8)
    x = gs.Tensor(pixels)
    assert (x / 255).dtype == np.float64 and (x.float() / 255).dtype == np.float32
    assert_close((x.float() / 255).numpy(), pixels.astype(np.float32) / 255)
    logits = gs.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    for label_type in (np.uint8, np.int8, np.int16, np.int32):
        labels = rng.integers(0, 3, 4)
        got = F.cross_entropy(logits, gs.Tensor(labels.astype(label_type)))
        want = F.cross_entropy(logits, gs.Tensor(labels))
        assert_close(got.numpy(), want.numpy())
    table = nn.Embedding(10, 3)
    ids = np.array([[1, 9], [0, 4]])
    assert_close(table(gs.Tensor(ids.astype(np.int32))).numpy(), table(gs.Tensor(ids)).numpy())
    data = gs.Tensor(np.arange(12.0).reshape(3, 4))
    picked = data[gs.Tensor(np.array([2, 0], np.int32))]
    np.testing.assert_array_equal(picked.numpy(), np.arange(12.0).reshape(3, 4)[[2, 0]])
    np.testing.assert_array_equal(gs.gather(data, 1, gs.Tensor(np.array([[3], [0], [1]], np.uint8))).numpy(),
                                  [[3.0], [4.0], [9.0]])
    with pytest.raises(TypeError, match="integer"):
        gs.index_select(data, 0, gs.Tensor(np.array([0.0])))


def test_float32_batch_fed_to_float64_layers_promotes_as_pydynet():
    rng = np.random.default_rng(9)
    x32 = rng.standard_normal((2, 3, 6)).astype(np.float32)
    for layer, x in ((nn.Linear(6, 2, dtype=np.float64), x32), (nn.Conv1d(3, 2, 3, dtype=np.float64), x32),
                     (nn.LayerNorm(6, dtype=np.float64), x32)):
        out = layer(gs.Tensor(x))
        assert out.dtype == np.float64
        want = layer(gs.Tensor(x.astype(np.float64)))
        assert_close(out.numpy(), want.numpy())


def test_conversion_methods_and_to():
    t = gs.Tensor(np.array([1.7, -2.2, 3.0]))
    for method, dtype in (("half", np.float16), ("float", np.float32), ("double", np.float64), ("char", np.int8),
                          ("byte", np.uint8), ("short", np.int16), ("int", np.int32), ("long", np.int64),
                          ("bool", np.bool_)):
        got = getattr(t, method)()
        assert got.dtype == dtype
        np.testing.assert_array_equal(got.numpy(), t.numpy().astype(dtype))
    assert t.to(gs.float16).dtype == np.float16 and t.to("cpu", np.int32).dtype == np.int32
    assert t.to(t) is t and t.to("cpu") is t and t.to(np.float64, copy=True) is not t
    assert (gs.half, gs.short, gs.int, gs.int8, gs.uint8) == (np.float16, np.int16, np.int32, np.int8, np.uint8)
    with pytest.raises(TypeError):
        gs.Tensor(np.ones(2, np.complex64))


def test_handles_stay_flat_with_narrow_types():
    x = gs.Tensor(np.ones((3, 3), np.float16), requires_grad=True)
    before = live_handles()
    for _ in range(20):
        y = (x * 2 + gs.Tensor(np.ones(3, np.int8))).sum()
        y.backward()
        _ = gs.Tensor(np.arange(9, dtype=np.uint8)).reshape(3, 3).max(axis=0)
    del y, _
    assert live_handles() == before
