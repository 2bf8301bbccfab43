"""Creation functions of PyTorch's API: arange, linspace, eye, full, the ``*_like`` family,
randint, randperm, and ``zeros``/``ones``/``empty`` taking sizes as arguments; values against
NumPy, dtype rules (float64 as the default float, PyDyNet's convention), the engine generator's
reproducibility, errors and handle counts."""
import numpy as np
import pytest

import gradswift as gs
from helpers import live_handles


@pytest.mark.parametrize("args, want", [
    ((5,), np.arange(5)),
    ((2, 9, 3), np.arange(2, 9, 3)),
    ((10, 0, -3), np.arange(10, 0, -3)),
    ((0.5, 3), np.arange(0.5, 3)),
    ((0, 1, 0.1), np.arange(0, 1, 0.1)),
    ((-1.5, 1.5, 0.25), np.arange(-1.5, 1.5, 0.25)),
    ((3, 3), np.arange(3, 3)),
])
def test_arange_matches_numpy(args, want):
    got = gs.arange(*args)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-15, atol=1e-15)


def test_arange_dtype_and_keywords():
    assert gs.arange(0, 5, dtype=np.float32).dtype == np.float32
    assert gs.arange(end=4, start=1).tolist() == [1, 2, 3]
    assert gs.arange(np.int64(3)).tolist() == [0, 1, 2]
    assert gs.arange(gs.Tensor(3)).tolist() == [0, 1, 2]
    assert gs.arange(0, 2.5, dtype=np.int64).tolist() == [0, 1, 2]
    x = gs.arange(0.0, 3.0, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    with gs.no_grad():
        assert not gs.arange(0.0, 3.0, requires_grad=True).requires_grad


@pytest.mark.parametrize("call, error, message", [
    (lambda: gs.arange(0, 5, 0), ValueError, "step must be nonzero"),
    (lambda: gs.arange(5, 0), ValueError, "inconsistent with step sign"),
    (lambda: gs.arange(0, float("inf")), ValueError, "finite"),
    (lambda: gs.arange(0, 1e30, 1e-30), MemoryError, "too many elements"),
    (lambda: gs.arange(0, 3, dtype=bool), TypeError, "bool"),
    (lambda: gs.arange("3"), TypeError, "real number"),
    (lambda: gs.arange(2 ** 60), ValueError, "2\\*\\*53"),
    (lambda: gs.arange(0, 3, requires_grad=True), TypeError, "floating point"),
])
def test_arange_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("start, end, steps", [(0, 1, 5), (-3, 7, 11), (2, -2, 4), (1, 1, 3), (4, 9, 1), (0, 1, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linspace_matches_numpy(start, end, steps, dtype):
    got = gs.linspace(start, end, steps, dtype=dtype)
    want = np.linspace(start, end, steps).astype(dtype)
    assert got.dtype == dtype and got.shape == (steps,)
    np.testing.assert_array_equal(got.numpy(), want)


def test_linspace_defaults_and_errors():
    assert gs.linspace(0, 1, 3).dtype == np.float64
    assert gs.linspace(0, 10, 3, dtype=np.int64).tolist() == [0, 5, 10]
    with pytest.raises(ValueError, match="non-negative"):
        gs.linspace(0, 1, -1)
    with pytest.raises(TypeError):
        gs.linspace(0, 1, 2.5)


@pytest.mark.parametrize("n, m", [(3, None), (2, 4), (4, 2), (0, 3), (1, 1)])
@pytest.mark.parametrize("dtype", [None, np.float32, np.int64, np.bool_])
def test_eye_matches_numpy(n, m, dtype):
    got = gs.eye(n, m, dtype=dtype)
    want = np.eye(n, m, dtype=np.float64 if dtype is None else dtype)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


def test_eye_errors():
    with pytest.raises(ValueError, match="non-negative"):
        gs.eye(-1)
    with pytest.raises(MemoryError):
        gs.eye(2 ** 40, 2 ** 40)


@pytest.mark.parametrize("value, dtype", [(3, np.int64), (2.5, np.float64), (True, np.bool_),
                                          (np.float32(1.5), np.float64), (-7, np.int64)])
def test_full_takes_its_dtype_from_the_value(value, dtype):
    got = gs.full((2, 3), value)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), np.full((2, 3), value, dtype=dtype))


def test_full_explicit_dtype_and_large_ints():
    assert gs.full([2], 3, dtype=np.float32).dtype == np.float32
    assert gs.full((1,), 2 ** 53).item() == 2 ** 53
    with pytest.raises(ValueError, match="2\\*\\*53"):
        gs.full((1,), 2 ** 53 + 1)
    assert gs.full((2,), 1.0, requires_grad=True).requires_grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_like_functions_keep_shape_and_dtype(dtype):
    x = gs.Tensor(np.ones((2, 3, 1), dtype=dtype))
    for fn, value in ((gs.zeros_like, 0), (gs.ones_like, 1), (gs.empty_like, 0)):
        y = fn(x)
        assert y.shape == (2, 3, 1) and y.dtype == dtype
        np.testing.assert_array_equal(y.numpy(), np.full((2, 3, 1), value, dtype=dtype))
    y = gs.full_like(x, 1)
    assert y.dtype == dtype and y.numpy().all()
    assert gs.zeros_like(x, dtype=np.float32).dtype == np.float32
    assert gs.zeros_like(np.zeros((4,), np.float32)).dtype == np.float32


def test_random_like_functions():
    x = gs.zeros((300, 10), dtype=np.float32)
    u, n = gs.rand_like(x), gs.randn_like(x)
    assert u.dtype == n.dtype == np.float32 and u.shape == n.shape == (300, 10)
    assert 0 <= u.numpy().min() and u.numpy().max() < 1
    assert abs(n.numpy().mean()) < 0.1 and abs(n.numpy().std() - 1) < 0.1
    with pytest.raises(TypeError, match="float32 or float64"):
        gs.rand_like(gs.arange(3))
    r = gs.randint_like(gs.zeros((50,), dtype=np.int64), 3, 6)
    assert r.dtype == np.int64 and set(r.tolist()) <= {3, 4, 5}


def test_randint_forms_range_and_seed():
    gs.manual_seed(11)
    a = gs.randint(10, (1000,))
    gs.manual_seed(11)
    b = gs.randint(0, 10, size=(1000,))
    assert a.dtype == np.int64 and a.shape == (1000,)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    counts = np.bincount(a.numpy(), minlength=10)
    assert counts.min() > 60 and counts.max() < 140  # about 100 each
    c = gs.randint(-5, -2, (4, 5), dtype=np.float64)
    assert c.dtype == np.float64 and set(c.numpy().ravel()) <= {-5.0, -4.0, -3.0}
    big = gs.randint(-2 ** 63, 2 ** 63 - 1, (100,))
    assert len(set(big.tolist())) == 100


def test_randint_errors():
    with pytest.raises(ValueError, match="low must be less than high"):
        gs.randint(3, 3, (2,))
    with pytest.raises(TypeError):
        gs.randint(5)
    with pytest.raises(TypeError):
        gs.randint(2.5, (3,))
    with pytest.raises(TypeError, match="bool"):
        gs.randint(0, 2, (3,), dtype=bool)


def test_randperm():
    gs.manual_seed(5)
    p = gs.randperm(100)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(100))
    assert p.tolist() != list(range(100))
    gs.manual_seed(5)
    np.testing.assert_array_equal(gs.randperm(100).numpy(), p.numpy())
    assert gs.randperm(0).shape == (0,)
    q = gs.randperm(6, dtype=np.float32)
    assert q.dtype == np.float32 and sorted(q.tolist()) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="non-negative"):
        gs.randperm(-1)


def test_zeros_ones_empty_take_sizes_both_ways():
    assert gs.zeros(2, 3).shape == (2, 3)
    assert gs.ones(4).shape == (4,)
    assert gs.empty(2, 1, dtype=np.float32).dtype == np.float32
    assert gs.zeros((2, 3), np.float32).dtype == np.float32  # PyDyNet: options by position
    assert gs.zeros([3], int).dtype == np.int64
    assert gs.ones((2,), np.float64, None, True).requires_grad
    assert gs.zeros(()).shape == ()
    with pytest.raises(TypeError):
        gs.zeros()


def test_dtype_names():
    assert gs.float32 is gs.float is np.float32
    assert gs.float64 is gs.double is np.float64
    assert gs.int64 is gs.long is np.int64 and gs.bool is np.bool_
    assert gs.arange(3, dtype=gs.float).dtype == np.float32


def test_creation_leaves_no_handles():
    before = live_handles()
    for _ in range(3):
        gs.arange(10), gs.linspace(0, 1, 4), gs.eye(3), gs.full((2,), 1.5), gs.randint(4, (3,))
        gs.randperm(5), gs.zeros_like(gs.ones(2)), gs.rand_like(gs.ones(2))
        for bad in (lambda: gs.arange(0, 1, 0), lambda: gs.randperm(-1), lambda: gs.eye(-2)):
            with pytest.raises(ValueError):
                bad()
    assert live_handles() == before
