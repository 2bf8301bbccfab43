"""DLPack: zero-copy exchange with NumPy in both directions (PyTorch was checked by hand the same
way: torch.from_dlpack(t) and gs.from_dlpack(torch_tensor) share memory), the lifetime of the
shared memory on both sides, copies where sharing is impossible, errors and handle counts."""
import gc

import numpy as np
import pytest

import gradswift as gs
from gradswift.dlpack import _CapsuleHolder
from helpers import live_handles


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_numpy_views_a_tensor(dtype):
    t = gs.Tensor(np.arange(6).reshape(2, 3).astype(dtype))
    a = np.from_dlpack(t)
    assert a.dtype == dtype and a.shape == (2, 3) and a.flags.writeable
    assert a.ctypes.data == t.data.ctypes.data  # the same memory
    a[0, 0] = 1
    assert t.numpy()[0, 0] == 1
    del t
    gc.collect()
    np.testing.assert_array_equal(a.ravel()[1:], np.arange(1, 6).astype(dtype))  # still alive


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_tensor_uses_numpy_memory(dtype):
    x = np.arange(12).reshape(3, 4).astype(dtype)
    g = gs.from_dlpack(x)
    assert g.dtype == dtype and g.shape == (3, 4)
    assert g.data.ctypes.data == x.ctypes.data
    x[2, 3] = 0
    assert g.numpy()[2, 3] == 0
    address = x.ctypes.data
    del x
    gc.collect()
    assert g.data.ctypes.data == address  # the array stays alive while the tensor uses it
    np.testing.assert_array_equal(g.numpy().ravel()[:4], np.arange(4).astype(dtype))


def test_imported_tensor_takes_part_in_autograd():
    x = gs.from_dlpack(np.array([1.0, 2.0, 3.0]))
    x.requires_grad = True
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])


def test_copies_where_sharing_is_impossible():
    strided = np.arange(10.0)[::2]
    g = gs.from_dlpack(strided)
    np.testing.assert_array_equal(g.numpy(), strided)
    assert g.data.ctypes.data != strided.ctypes.data
    assert gs.from_dlpack(np.arange(4, dtype=np.uint16)).dtype == np.int32  # converted, as Tensor() does
    t = gs.ones(3)
    copied = np.from_dlpack(_CapsuleHolder(t.__dlpack__(copy=True, max_version=(1, 0))))
    copied[0] = 5
    assert t.numpy()[0] == 1


def test_errors_and_device():
    with pytest.raises(RuntimeError, match="require gradient"):
        np.from_dlpack(gs.ones(2, requires_grad=True))
    assert gs.ones(2).__dlpack_device__() == (1, 0)
    with pytest.raises(BufferError, match="CPU"):
        gs.ones(2).__dlpack__(dl_device=(2, 0))


def test_exchanges_leave_no_handles():
    gc.collect()
    before = live_handles()
    for _ in range(50):
        t = gs.randn(4, 5)
        a = np.from_dlpack(t)
        g = gs.from_dlpack(a)
        (g * 2).sum()
        t.__dlpack__()  # dropped without being consumed
        t.__dlpack__(max_version=(1, 0))
        del t, a, g
    gc.collect()
    assert live_handles() == before
    from gradswift import dlpack
    assert not dlpack._lent and not dlpack._borrowed
