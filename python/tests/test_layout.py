"""PyTorch's layout functions (stack, flatten, unflatten, permute, expand, broadcast_to, movedim,
tile, repeat, repeat_interleave, flip, roll, chunk, tril, triu, F.pad) and the layers over them
(Flatten, Unflatten, Identity, the padding layers): values against NumPy (and PyTorch's rules
written out where NumPy has none), gradients, dtypes, aliases, errors and handle counts."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.nn as nn
import gradswift.nn.functional as F
from helpers import assert_close, gather_grad, live_handles, randn, weight

FLOATS = [np.float32, np.float64]
NP_PAD = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def np_pad(x, pad, mode="constant", value=0.0):
    """PyTorch's F.pad in NumPy: (before, after) pairs from the last axis backwards; negative
    entries cut. Reflect and replicate read the edges of x (cuts apply after padding);
    circular wraps around what the cuts keep (cuts apply first)."""
    pairs = [(x.ndim - 1 - k, pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2)]

    def cut(a):
        for axis, before, after in pairs:
            a = a.take(range(max(-before, 0), a.shape[axis] - max(-after, 0)), axis=axis)
        return a
    widths = [(0, 0)] * x.ndim
    for axis, before, after in pairs:
        widths[axis] = (max(before, 0), max(after, 0))
    kwargs = {"constant_values": value} if mode == "constant" else {}
    if mode == "circular":
        return np.pad(cut(x), widths, mode="wrap")
    return cut(np.pad(x, widths, mode=NP_PAD[mode], **kwargs))


def np_chunk(x, chunks, dim=0):
    """PyTorch's chunk rule: pieces of ceil(n / chunks), the last smaller."""
    n = x.shape[dim]
    size = -(-n // chunks)
    return [x.take(range(i, min(i + size, n)), axis=dim) for i in range(0, n, size)] if n else [x] * chunks


# (gradswift function of a Tensor, NumPy function of an array, input shape)
CASES = {
    "stack": (lambda t: gs.stack([t, t * 2], dim=1), lambda a: np.stack([a, a * 2], axis=1), (2, 3)),
    "flatten": (lambda t: gs.flatten(t, 1), lambda a: a.reshape(2, -1), (2, 3, 4)),
    "Tensor.flatten": (lambda t: t.flatten(), lambda a: a.ravel(), (2, 3)),
    "unflatten": (lambda t: gs.unflatten(t, -1, (2, -1)), lambda a: a.reshape(2, 2, 3), (2, 6)),
    "permute": (lambda t: t.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), (2, 3, 4)),
    "gs.permute": (lambda t: gs.permute(t, (1, 0)), lambda a: a.T, (2, 3)),
    "view": (lambda t: t.view(3, -1), lambda a: a.reshape(3, -1), (2, 3)),
    "expand": (lambda t: t.expand(2, -1, 4), lambda a: np.broadcast_to(a, (2, 3, 4)), (3, 1)),
    "expand_as": (lambda t: t.expand_as(gs.Tensor(np.zeros((2, 3)))), lambda a: np.broadcast_to(a, (2, 3)), (3,)),
    "broadcast_to": (lambda t: gs.broadcast_to(t, (2, 2, 3)), lambda a: np.broadcast_to(a, (2, 2, 3)), (1, 3)),
    "movedim": (lambda t: gs.movedim(t, 0, -1), lambda a: np.moveaxis(a, 0, -1), (2, 3, 4)),
    "moveaxis": (lambda t: gs.moveaxis(t, (0, 1), (2, 0)), lambda a: np.moveaxis(a, (0, 1), (2, 0)), (2, 3, 4)),
    "tile": (lambda t: gs.tile(t, (2, 1, 2)), lambda a: np.tile(a, (2, 1, 2)), (2, 3)),
    "Tensor.tile": (lambda t: t.tile(2), lambda a: np.tile(a, 2), (2, 3)),
    "repeat": (lambda t: t.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3)), (2, 3)),
    "repeat_interleave": (lambda t: gs.repeat_interleave(t, 2), lambda a: np.repeat(a, 2), (2, 3)),
    "repeat_interleave dim": (lambda t: t.repeat_interleave(3, dim=0), lambda a: np.repeat(a, 3, axis=0), (2, 3)),
    "repeat_interleave tensor": (lambda t: t.repeat_interleave(gs.Tensor([2, 0, 1]), dim=1),
                                 lambda a: np.repeat(a, [2, 0, 1], axis=1), (2, 3)),
    "np.repeat": (lambda t: gs.repeat(t, [1, 2], axis=0), lambda a: np.repeat(a, [1, 2], axis=0), (2, 3)),
    "flip": (lambda t: gs.flip(t, (0, 2)), lambda a: np.flip(a, (0, 2)), (2, 3, 4)),
    "flip all": (lambda t: gs.flip(t), lambda a: np.flip(a), (2, 3)),
    "Tensor.flip": (lambda t: t.flip(-1), lambda a: a[..., ::-1], (2, 3)),
    "roll": (lambda t: gs.roll(t, (1, -4), (0, 1)), lambda a: np.roll(a, (1, -4), (0, 1)), (2, 3)),
    "roll flat": (lambda t: t.roll(2), lambda a: np.roll(a, 2), (2, 3)),
    "roll axis": (lambda t: gs.roll(t, 7, axis=-1), lambda a: np.roll(a, 7, axis=-1), (2, 3)),
    "tril": (lambda t: gs.tril(t), lambda a: np.tril(a), (3, 4)),
    "tril k": (lambda t: gs.tril(t, k=-1), lambda a: np.tril(a, -1), (2, 3, 3)),
    "triu": (lambda t: t.triu(1), lambda a: np.triu(a, 1), (4, 3)),
    "pad": (lambda t: F.pad(t, (1, 2)), lambda a: np_pad(a, (1, 2)), (2, 3)),
    "pad value": (lambda t: F.pad(t, [0, 1, 2, 0], value=-3), lambda a: np_pad(a, (0, 1, 2, 0), value=-3), (2, 3)),
    "pad reflect": (lambda t: F.pad(t, (2, 1, 1, 2), "reflect"), lambda a: np_pad(a, (2, 1, 1, 2), "reflect"),
                    (1, 3, 4)),
    "pad replicate": (lambda t: F.pad(t, (3, 0), mode="replicate"), lambda a: np_pad(a, (3, 0), "replicate"),
                      (2, 3)),
    "pad circular": (lambda t: F.pad(t, (1, 3, 2, 2), mode="circular"),
                     lambda a: np_pad(a, (1, 3, 2, 2), "circular"), (1, 1, 2, 3)),
    "pad crop": (lambda t: F.pad(t, (-1, 2, 1, -2)), lambda a: np_pad(a, (-1, 2, 1, -2)), (3, 4)),
}


def np_grad(np_fn, shape, w):
    """The gradient of sum(np_fn(x) * w) for a function that copies elements (zero fill aside)."""
    def select(numbers):
        marked = np_fn(numbers.astype(np.float64) + 1)
        return np.asarray(marked, dtype=np.int64) - 1
    size = int(np.prod(shape))
    source = select(np.arange(size).reshape(shape))
    keep = source >= 0
    return np.bincount(source[keep], weights=np.asarray(w)[keep], minlength=size).reshape(shape)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_numpy(name, dtype):
    fn, np_fn, shape = CASES[name]
    a = randn(shape, dtype)
    x = gs.Tensor(a, requires_grad=True)
    out = fn(x)
    expected = np_fn(a)
    assert out.dtype == dtype
    assert_close(out.data, expected, dtype)
    w = weight(expected.shape, dtype)
    (out * gs.Tensor(w)).sum().backward()
    assert x.grad.dtype == dtype
    if name == "stack":  # x appears twice: once as is, once doubled
        assert_close(x.grad, (w[:, 0] + 2 * w[:, 1]).astype(dtype), dtype)
    else:
        assert_close(x.grad, np_grad(np_fn, shape, w.astype(np.float64)).astype(dtype), dtype)


@pytest.mark.parametrize("name", ["stack", "flatten", "unflatten", "permute", "expand", "broadcast_to", "movedim",
                                  "tile", "repeat", "repeat_interleave tensor", "flip", "roll", "tril", "triu",
                                  "pad", "pad reflect", "pad replicate", "pad circular"])
@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_ints_and_bools_are_moved(name, dtype):
    fn, np_fn, shape = CASES[name]
    a = np.random.default_rng(3).integers(-4, 5, shape).astype(dtype)
    if name == "stack":
        fn, np_fn = (lambda t: gs.stack([t, t], 0)), (lambda v: np.stack([v, v]))
    out = fn(gs.Tensor(a))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.data, np_fn(a))


def test_chunk_follows_pytorch():
    """Pieces of ceil(n / chunks): fewer pieces than asked when they run out (PyTorch, not
    NumPy's array_split), and an empty axis gives `chunks` empty pieces."""
    for n, chunks in [(5, 3), (6, 4), (5, 5), (3, 2), (2, 5), (7, 1), (0, 3)]:
        a = np.arange(2 * n, dtype=np.float64).reshape(2, n)
        pieces = gs.chunk(gs.Tensor(a), chunks, dim=1)
        expected = np_chunk(a, chunks, 1)
        assert [p.shape for p in pieces] == [e.shape for e in expected], (n, chunks)
        for p, e in zip(pieces, expected):
            np.testing.assert_array_equal(p.data, e)
    assert [p.shape for p in gs.Tensor(np.zeros(6)).chunk(4)] == [(2,), (2,), (2,)]
    x = gs.Tensor(randn((2, 5)), requires_grad=True)
    first, second = x.chunk(2, -1)
    (first.sum() + 3 * second.sum()).backward()
    np.testing.assert_array_equal(x.grad, [[1, 1, 1, 3, 3]] * 2)


def test_pad_follows_pytorch_order_and_modes():
    x = gs.Tensor(np.arange(6.0).reshape(1, 2, 3))
    # values PyTorch 2 gives for these calls
    assert F.pad(x, (2, 1), mode="reflect").data.tolist() == [[[2, 1, 0, 1, 2, 1], [5, 4, 3, 4, 5, 4]]]
    assert F.pad(x, (2, 1), mode="replicate").data.tolist() == [[[0, 0, 0, 1, 2, 2], [3, 3, 3, 4, 5, 5]]]
    assert F.pad(x, (1, 3), mode="circular").data.tolist() == [[[2, 0, 1, 2, 0, 1, 2], [5, 3, 4, 5, 3, 4, 5]]]
    assert F.pad(x, (-1, 2), mode="reflect").data.tolist() == [[[1, 2, 1, 0], [4, 5, 4, 3]]]
    # circular wraps around what a negative pad keeps; reflect and replicate read the edges of x
    assert F.pad(x, (1, -1), mode="circular").data.tolist() == [[[1, 0, 1], [4, 3, 4]]]
    assert F.pad(x, (-1, 1), mode="circular").data.tolist() == [[[1, 2, 1], [4, 5, 4]]]
    assert F.pad(x, (-2, 2), mode="reflect").data.tolist() == [[[2, 1, 0], [5, 4, 3]]]
    assert F.pad(x, (0, 0, 1, 0), value=9).data.tolist() == [[[9, 9, 9], [0, 1, 2], [3, 4, 5]]]
    assert F.pad(x, (-3, 0)).shape == (1, 2, 0)
    assert F.pad(x, ()).data.tolist() == x.data.tolist()
    ints = F.pad(gs.Tensor(np.array([[1, 2]])), (1, 1), value=7)
    assert ints.dtype == np.int64 and ints.data.tolist() == [[7, 1, 2, 7]]
    flags = F.pad(gs.Tensor(np.array([[True]])), (1, 0))
    assert flags.dtype == np.bool_ and flags.data.tolist() == [[False, True]]


def test_pad_errors():
    x = gs.Tensor(np.zeros((1, 2, 3)))
    cases = [(lambda: F.pad(x, (1, 2, 3)), ValueError, "divisible by 2"),
             (lambda: F.pad(x, (1,) * 8), ValueError, "less than or equal to two times the input dimension"),
             (lambda: F.pad(x, (3, 0), mode="reflect"), ValueError, "should be less than the corresponding input"),
             (lambda: F.pad(x, (4, 0), mode="circular"), ValueError, "wrapping around more than once"),
             (lambda: F.pad(x, (1,) * 6, mode="reflect"), ValueError, "not supported for 3-D input"),
             (lambda: F.pad(gs.Tensor(np.zeros(3)), (1, 1), mode="replicate"), ValueError, "not supported for 1-D"),
             (lambda: F.pad(gs.Tensor(np.zeros((2, 0))), (1, 0), mode="replicate"), ValueError, "empty dimension"),
             (lambda: F.pad(x, (1, 1), mode="reflect", value=1.0), ValueError, "doesn't take in value"),
             (lambda: F.pad(x, (1, 1), mode="wrap"), ValueError, "unrecognised padding mode"),
             (lambda: F.pad(x, (-4, 0)), ValueError, "negative size"),
             (lambda: F.pad(x, (-2, -2)), ValueError, "negative size"),
             (lambda: F.pad(x, (-3, 0), mode="replicate"), ValueError, "leaves no entries"),
             (lambda: F.pad(x, (2, -2), mode="circular"), ValueError, "wrapping around more than once"),
             (lambda: F.pad(x, (1.5, 0)), TypeError, "pad must be an integer"),
             (lambda: F.pad(x, (2 ** 63, 0)), OverflowError, "int64")]
    for call, kind, message in cases:
        with pytest.raises(kind, match=message):
            call()


def test_shape_functions_follow_pytorch():
    x = gs.Tensor(np.arange(6.0).reshape(2, 3))
    assert x.expand(4, 2, -1).shape == (4, 2, 3)
    assert gs.Tensor(np.float64(2.0)).expand(3).data.tolist() == [2, 2, 2]
    assert x.repeat(2, 1, 1).shape == (2, 2, 3)  # extra leading counts add dimensions
    assert gs.flatten(gs.Tensor(np.float64(5.0))).shape == (1,)
    assert x.flatten(0, 0).shape == (2, 3)
    assert gs.stack([x, x], axis=-1).shape == (2, 3, 2)
    assert gs.stack([gs.Tensor(np.float32(1)), gs.Tensor(np.float64(2))]).dtype == np.float64  # promoted
    assert x.movedim(1, 0).shape == (3, 2) and x.moveaxis(0, 1).shape == (3, 2)
    assert gs.roll(x, 0).data.tolist() == x.data.tolist()
    assert gs.repeat_interleave(x, gs.Tensor([2]), dim=0).shape == (4, 3)  # one count for all
    assert gs.repeat_interleave(x, gs.Tensor(np.int64(2))).shape == (12,)
    assert gs.repeat_interleave(x, 2, dim=1, output_size=6).shape == (2, 6)
    assert gs.tril(gs.Tensor(np.ones((2, 2, 2), bool)), -5).data.sum() == 0
    assert gs.triu(gs.Tensor(np.ones((2, 3), np.int64)), 2 ** 62).data.sum() == 0


def test_shape_function_errors():
    x = gs.Tensor(np.zeros((2, 3)))
    cases = [(lambda: x.expand(3), ValueError, r"number of sizes provided \(1\)"),
             (lambda: x.expand(4, 3), ValueError, "must match the existing size"),
             (lambda: x.expand(-1, 2, 3), ValueError, "-1 only for an existing dimension"),
             (lambda: x.broadcast_to((3,)), ValueError, "cannot broadcast"),
             (lambda: x.repeat(2), ValueError, "can not be smaller than number of dimensions"),
             (lambda: x.repeat(-1, 2), ValueError, "non-negative"),
             (lambda: x.tile((1, -2)), ValueError, "non-negative"),
             (lambda: x.repeat_interleave(-1), ValueError, "non-negative"),
             (lambda: x.repeat_interleave(gs.Tensor([1, -2]), dim=0), ValueError, "can not be negative"),
             (lambda: x.repeat_interleave(gs.Tensor([1, 2]), dim=1), ValueError, "same size as input along dim"),
             (lambda: x.repeat_interleave(gs.Tensor([1.0, 2.0]), dim=0), TypeError, "repeats must be an integer tensor"),
             (lambda: x.repeat_interleave(gs.Tensor([[1, 2]]), dim=0), ValueError, "0-d or 1-D"),
             (lambda: x.repeat_interleave(2, dim=0, output_size=3), ValueError, "output_size"),
             (lambda: x.repeat_interleave(2, dim=0, axis=0), TypeError, "not both"),
             (lambda: gs.stack([]), ValueError, "need at least one tensor"),
             (lambda: gs.stack([x, x[:1]]), ValueError, "equal size"),
             (lambda: gs.stack([x, x], 3), ValueError, "out of bounds"),
             (lambda: x.flatten(1, 0), ValueError, "start_dim cannot come after end_dim"),
             (lambda: x.flatten(2), ValueError, "out of bounds"),
             (lambda: x.unflatten(1, (2, 2)), ValueError, "don't multiply up to the size of dim 1"),
             (lambda: x.unflatten(1, ()), ValueError, "non-empty"),
             (lambda: x.unflatten(1, (-1, -1)), ValueError, "at most one -1"),
             (lambda: x.permute(0, 0), ValueError, "repeated axis"),
             (lambda: x.permute(0), ValueError, "don't match"),
             (lambda: x.movedim((0, 1), (1,)), ValueError, "same number of dims"),
             (lambda: x.movedim((0, 0), (1, 0)), ValueError, "repeated dim in source"),
             (lambda: x.flip(0, 0), ValueError, "repeated axis"),
             (lambda: x.flip(2), ValueError, "out of bounds"),
             (lambda: x.roll(1, (0, 1)), ValueError, "shifts and dimensions must align"),
             (lambda: x.roll((1, 2)), ValueError, "shifts and dimensions must align"),
             (lambda: x.chunk(0), ValueError, "greater than 0"),
             (lambda: gs.Tensor(np.float64(1)).chunk(2), ValueError, "at least a 1-dimensional"),
             (lambda: gs.Tensor(np.zeros(0)).chunk(1 << 20), ValueError, "empty pieces"),
             (lambda: gs.tril(gs.Tensor(np.zeros(3))), ValueError, "at least 2 dimensions"),
             (lambda: x.tile(1 << 40, 1 << 40), MemoryError, "too big|overflows|cannot allocate"),
             (lambda: x.chunk(2, 1 << 64), OverflowError, "dim"),
             (lambda: x.tril(2 ** 63), OverflowError, "diagonal"),
             (lambda: x.repeat_interleave(1.5), TypeError, "repeats must be an integer tensor")]
    for call, kind, message in cases:
        with pytest.raises(kind, match=message):
            call()


def test_layers():
    x = gs.Tensor(randn((2, 3, 2, 2)), requires_grad=True)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Unflatten(1, [3, 4])) == "Unflatten(dim=1, unflattened_size=(3, 4))"
    assert repr(nn.Identity(3, bias=True)) == "Identity()"
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ZeroPad1d((1, 2))) == "ZeroPad1d((1, 2))"
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert repr(nn.ConstantPad2d((1, 2, 3, 4), 1)) == "ConstantPad2d(padding=(1, 2, 3, 4), value=1)"
    assert repr(nn.ReflectionPad1d(2)) == "ReflectionPad1d((2, 2))"
    assert repr(nn.ReplicationPad2d((0, 1, 2, 3))) == "ReplicationPad2d((0, 1, 2, 3))"
    assert repr(nn.CircularPad2d(1)) == "CircularPad2d((1, 1, 1, 1))"
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 2, 2)
    assert nn.Unflatten(1, (3, 1))(x).shape == (2, 3, 1, 2, 2)
    assert nn.Identity()(x) is x
    a = x.data
    np.testing.assert_array_equal(nn.ZeroPad2d((1, 0, 0, 2))(x).data, np_pad(a, (1, 0, 0, 2)))
    np.testing.assert_array_equal(nn.ConstantPad1d(1, -1.0)(x).data, np_pad(a, (1, 1), value=-1.0))
    np.testing.assert_array_equal(nn.ReflectionPad2d(1)(x).data, np_pad(a, (1,) * 4, "reflect"))
    np.testing.assert_array_equal(nn.ReplicationPad1d((2, 0))(x[0]).data, np_pad(a[0], (2, 0), "replicate"))
    np.testing.assert_array_equal(nn.CircularPad1d(1)(x[0]).data, np_pad(a[0], (1, 1), "circular"))
    model = nn.Sequential(nn.ReflectionPad2d(1), nn.Flatten(), nn.Identity())
    model(x).sum().backward()
    assert x.grad.shape == x.shape and x.grad.sum() == 16 * 6
    assert list(model.parameters()) == []
    with pytest.raises(ValueError, match="tuple of 4 ints"):
        nn.ZeroPad2d((1, 2))


def test_names_are_exported():
    for name in ["stack", "flatten", "unflatten", "permute", "broadcast_to", "movedim", "moveaxis", "tile",
                 "repeat", "repeat_interleave", "flip", "roll", "chunk", "tril", "triu"]:
        assert name in gs.__all__ and callable(getattr(gs, name))
    assert "pad" in F.__all__
    for name in ["Flatten", "Unflatten", "Identity", "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d",
                 "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d",
                 "CircularPad2d"]:
        assert name in nn.__all__


def test_no_handles_leak():
    x = gs.Tensor(randn((2, 3, 4)), requires_grad=True)
    repeats = gs.Tensor([1, 0, 2])

    def step():
        parts = [gs.stack([x, x]), x.flatten(1).unflatten(1, (3, 4)), x.permute(2, 0, 1), x[:1].expand(2, -1, -1),
                 gs.tile(x, (2,)), x.repeat(1, 1, 2), x.repeat_interleave(repeats, dim=1), x.flip(0), x.roll(1, 2),
                 x.tril(), x.triu(1), F.pad(x, (1, 1), "reflect"), F.pad(x, (0, 1, 1, 0), value=2.0),
                 x.movedim(0, 2), *x.chunk(3, 2)]
        total = sum(p.sum() for p in parts)
        total.backward()
        for bad in (lambda: x.chunk(0), lambda: F.pad(x, (9, 9), "reflect"), lambda: gs.stack([x, x[0]])):
            with pytest.raises(ValueError):
                bad()

    step()
    before = live_handles()
    for _ in range(3):
        step()
    assert live_handles() == before
