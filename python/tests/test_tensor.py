"""The Tensor API: construction and dtypes, attributes, repr, NumPy views, devices, creation
functions, random numbers, handle lifetime and the package's public names."""
import copy
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradswift as gs
from helpers import assert_close, pdn

PYTHON_DIR = Path(__file__).resolve().parents[1]


def test_public_names_cover_pydynet():
    missing = [name for name in pdn.__all__ if not hasattr(gs, name)]
    assert missing == []
    assert set(pdn.__all__) <= set(gs.__all__)
    assert callable(gs.manual_seed)


@pytest.mark.parametrize("data,dtype,expected", [
    (1.5, None, np.float64), (3, None, np.int64), (True, None, np.bool_),
    ([1, 2], None, np.int64), ([1.0, 2], None, np.float64), (np.ones(2, np.float32), None, np.float32),
    (np.ones(2, np.int32), None, np.int32), (np.ones(2, np.uint8), None, np.uint8),
    (np.ones(2, np.float16), None, np.float16), (np.ones(2, np.int16), None, np.int16),
    (np.ones(2, np.int8), None, np.int8), (np.ones(2, np.uint16), None, np.int32),
    (np.ones(2, np.uint32), None, np.int64), (np.ones(2, np.longdouble), None, np.float64),
    ([1, 2], np.float32, np.float32), ([1, 2], "float64", np.float64), ([1.7, 2], int, np.int64),
    ([0, 2], bool, np.bool_), (np.ones(2), np.int32, np.int32),
], ids=str)
def test_construction_dtypes(data, dtype, expected):
    t = gs.Tensor(data, dtype=dtype)
    assert t.dtype == expected and isinstance(t.dtype, np.dtype)
    assert_close(t.numpy(), np.asarray(np.asarray(data, dtype=dtype), dtype=expected))


@pytest.mark.parametrize("data", [np.ones(2, np.complex128), ["a", "b"], [object()]], ids=str)
def test_unsupported_dtypes_are_type_errors(data):
    with pytest.raises(TypeError):
        gs.Tensor(data)


def test_tensor_from_tensor_is_value_error():
    with pytest.raises(ValueError):
        gs.Tensor(gs.Tensor(1.0))


def test_construction_copies_the_data():
    a = np.arange(4.0)
    t = gs.Tensor(a, copy=False)
    a[0] = 100.0
    assert t.numpy()[0] == 0.0


def test_non_contiguous_and_byte_swapped_inputs():
    a = np.arange(12.0).reshape(3, 4)
    assert_close(gs.Tensor(a.T).numpy(), a.T)
    assert_close(gs.Tensor(a[::2, ::-1]).numpy(), a[::2, ::-1])
    big_endian = np.arange(3, dtype=">f8")
    assert_close(gs.Tensor(big_endian).numpy(), np.arange(3.0))


@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 3), (2, 3, 4), (1,) * 7], ids=str)
def test_attributes(shape):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    t = gs.Tensor(a)
    assert t.shape == shape and all(type(d) is int for d in t.shape)
    assert t.ndim == a.ndim and t.size == a.size
    if a.size:  # NumPy's own strides of empty arrays depend on how they were made
        assert t.strides == a.strides
    if shape:
        assert len(t) == shape[0]
    else:
        with pytest.raises(TypeError):
            len(t)
    assert_close(t.numpy(), a)
    assert_close(t.T.numpy(), a.T)


@pytest.mark.parametrize("data", [2.0, [1.0, 2.5], np.arange(6).reshape(2, 3), [True, False],
                                  np.zeros((0, 2)), np.arange(2000.0)], ids=str)
@pytest.mark.parametrize("requires_grad", [False, True])
def test_repr_matches_pydynet(data, requires_grad):
    dtype_is_float = np.asarray(data).dtype.kind == "f"
    rg = requires_grad and dtype_is_float
    assert repr(gs.Tensor(data, requires_grad=rg)) == repr(pdn.Tensor(data, requires_grad=rg))
    assert str(gs.Tensor(data)) == repr(gs.Tensor(data))


def test_item_numpy_and_array_protocol():
    t = gs.Tensor(np.array([[2.5]]))
    assert t.item() == 2.5 and type(t.item()) is float
    assert gs.Tensor(3).item() == 3 and type(gs.Tensor(3).item()) is int
    with pytest.raises(ValueError):
        gs.Tensor(np.ones(2)).item()
    copy_ = t.numpy()
    copy_[0, 0] = 9.0
    assert t.item() == 2.5
    assert_close(np.asarray(gs.Tensor([1.0, 2.0])), np.array([1.0, 2.0]))
    assert np.asarray(gs.Tensor([1.0, 2.0]), dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("target", [np.float32, np.float64, np.int64, np.bool_, int, float, "int32"])
def test_astype(target):
    a = np.array([-1.5, 0.0, 2.7])
    t = gs.Tensor(a).astype(target)
    expected = a.astype(target)
    assert_close(t.numpy(), expected.astype(gs.Tensor(expected).dtype))


def test_data_view_is_zero_copy_and_cached():
    t = gs.Tensor(np.zeros(3))
    view = t.data
    assert view is t.data and view.flags.writeable and not view.flags.owndata
    view[1] = 5.0
    assert_close((t + 1).numpy(), np.array([1.0, 6.0, 1.0]))
    t2 = gs.Tensor(np.array([True, False]))
    t2.data[1] = True
    assert t2.data.dtype == np.bool_ and t2.numpy().all()


def test_views_outlive_their_tensor(handle_counter):
    before = handle_counter()
    t = gs.Tensor(np.arange(5.0), requires_grad=True)
    (t * t).sum().backward()
    data, grad = t.data, t.grad
    del t
    assert handle_counter() == before + 2  # the two views each hold a handle
    assert_close(data, np.arange(5.0))
    assert_close(grad, 2 * np.arange(5.0))
    del data, grad
    assert handle_counter() == before


def test_zero_element_tensors():
    t = gs.Tensor(np.zeros((0, 3)), requires_grad=True)
    assert t.data.shape == (0, 3) and t.grad.shape == (0, 3)
    assert_close((t * 2).numpy(), np.zeros((0, 3)))
    assert_close(t.sum(axis=0).numpy(), np.zeros(3))
    t.sum().backward()
    assert_close(t.grad, np.zeros((0, 3)))


def test_deepcopy_copy_and_pickle_make_independent_leaves():
    t = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    for clone in (copy.deepcopy(t), copy.copy(t), pickle.loads(pickle.dumps(t))):
        assert clone is not t and clone.requires_grad and clone.is_leaf
        assert_close(clone.numpy(), t.numpy())
        clone.data[0] = 7.0
        assert t.numpy()[0] == 1.0


def test_device_api():
    t = gs.Tensor(np.ones(2))
    assert t.to("cpu") is t and t.cpu() is t and t.to(gs.Device("cpu")) is t
    assert repr(t.device) == "Device(type='cpu')" == repr(pdn.Tensor(1.0).device)
    assert t.device == "cpu" and t.device == gs.Device() and t.device == None  # noqa: E711
    assert not (t.device == "cuda") and not (t.device == 0)
    with t.device:
        pass
    assert gs.Tensor(np.ones(2), device="cpu").device == gs.Device("cpu")
    assert gs.cuda.is_available() is False and gs.cuda.device_count() == 0
    assert t.device.xp is np and t.xp is np


@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "cuda:1", 0])
def test_cuda_requests_raise_runtime_error(spec):
    with pytest.raises(RuntimeError, match="CUDA"):
        gs.Device(spec)
    with pytest.raises(RuntimeError):
        gs.Tensor(1.0, device=spec)
    with pytest.raises(RuntimeError):
        gs.Tensor(1.0).to(spec)
    with pytest.raises(RuntimeError):
        gs.zeros(2, device=spec)


def test_cuda_method_and_bad_device_names():
    with pytest.raises(RuntimeError):
        gs.Tensor(1.0).cuda()
    for spec in ("gpu", "cuda:x", "cpu:0"):
        with pytest.raises(ValueError):
            gs.Device(spec)


@pytest.mark.parametrize("fn,value", [(gs.zeros, 0.0), (gs.ones, 1.0), (gs.empty, 0.0)])
@pytest.mark.parametrize("shape", [3, (2, 3), (), [1, 2, 1], (0, 2)], ids=str)
@pytest.mark.parametrize("dtype", [None, np.float32, np.int64, bool])
def test_constant_creation(fn, value, shape, dtype):
    t = fn(shape, dtype=dtype)
    ref = getattr(pdn, fn.__name__)(shape, dtype=dtype)
    expected_dtype = np.float64 if dtype is None else np.dtype(dtype)
    assert t.dtype == expected_dtype and t.shape == ref.shape
    if fn is not gs.empty:
        assert_close(t.numpy(), ref.numpy().astype(expected_dtype))
    assert not t.requires_grad


def test_creation_requires_grad_follows_grad_mode():
    assert gs.zeros((2,), requires_grad=True).requires_grad
    assert gs.randn(2, requires_grad=True).requires_grad
    with gs.no_grad():
        assert not gs.ones(2, requires_grad=True).requires_grad
        assert not gs.uniform(0, 1, (2,), requires_grad=True).requires_grad
    with pytest.raises(TypeError):
        gs.zeros(2, dtype=np.int64, requires_grad=True)


@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
def test_random_creation_shapes_dtypes_and_ranges(dtype):
    expected = np.float64 if dtype is None else dtype
    for t, shape in ((gs.rand(2, 3, dtype=dtype), (2, 3)), (gs.randn(4, dtype=dtype), (4,)),
                     (gs.rand(dtype=dtype), ()), (gs.randn((2, 2), dtype=dtype), (2, 2)),
                     (gs.uniform(-2, 3, (5, 2), dtype=dtype), (5, 2)),
                     (gs.uniform(1, 2, dtype=dtype), ()), (gs.uniform(1, 2, 4, dtype=dtype), (4,))):
        assert t.shape == shape and t.dtype == expected
    r = gs.rand(10000).numpy()
    assert r.min() >= 0 and r.max() < 1 and abs(r.mean() - 0.5) < 0.02
    u = gs.uniform(-2, 3, (10000,)).numpy()
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.1
    n = gs.randn(100000).numpy()
    assert abs(n.mean()) < 0.02 and abs(n.std() - 1) < 0.02


def test_manual_seed_controls_the_engine_rng_and_numpy_seed_does_not():
    gs.manual_seed(123)
    a = gs.randn(5).numpy()
    b = gs.rand(3).numpy()
    gs.manual_seed(123)
    assert_close(gs.randn(5).numpy(), a)
    assert_close(gs.rand(3).numpy(), b)
    np.random.seed(0)
    c = gs.randn(5).numpy()
    np.random.seed(0)
    assert not np.allclose(gs.randn(5).numpy(), c)
    with pytest.raises(ValueError):
        gs.manual_seed(-1)


def test_handles_are_released(handle_counter):
    before = handle_counter()
    for i in range(200):
        x = gs.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        y = (x * 2 + 1).sum(axis=0)
        z = gs.concat(gs.split(x, 3, axis=1), axis=1)[0] @ gs.ones(3)
        (y.sum() + z).backward()
        _ = x.data, x.grad, repr(y), x.T.shape, x[np.array([1, 0])]
        with gs.no_grad():
            x += 1
        gs.randn(3)
    del x, y, z, _
    assert handle_counter() == before


def test_handles_released_after_failed_calls(handle_counter):
    before = handle_counter()
    for _ in range(20):
        with pytest.raises(ValueError):
            gs.Tensor(np.ones(2)) + gs.Tensor(np.ones(3))
        with pytest.raises(IndexError):
            gs.Tensor(np.ones(2))[gs.Tensor([5])]
    assert handle_counter() == before


def test_acceptance_line_prints_like_pydynet():
    code = ("import {} as pdn; x = pdn.Tensor(2., requires_grad=True); y = x**2 + 3*x - 1; "
            "y.backward(); print(x.grad)")
    outputs = []
    for module in ("gradswift", "pydynet"):
        result = subprocess.run([sys.executable, "-W", "ignore", "-c", code.format(module)],
                                capture_output=True, text=True, check=True,
                                env={"PYTHONPATH": str(PYTHON_DIR), "PATH": "/usr/bin:/bin"})
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] == "7.0\n"


def test_invalid_handles_are_reported_not_dereferenced():
    from gradswift._lib import check, lib
    t = gs.Tensor(np.ones(2))
    handle = t._h
    assert lib.gs_tensor_release(handle) == 0
    assert lib.gs_tensor_release(handle) == -1
    with pytest.raises(ValueError, match="handle"):
        check(lib.gs_tensor_zero_grad(handle))
    t._h = 0  # already released by hand
