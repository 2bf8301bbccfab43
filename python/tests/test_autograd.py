"""Autograd semantics: backward rules, graph retention, accumulation, grad mode, in-place rules,
and the zero-copy ``data``/``grad`` views."""
import threading

import numpy as np
import pytest

import gradswift as gs
from helpers import assert_close, pdn


def test_acceptance_example():
    x = gs.Tensor(2.0, requires_grad=True)
    y = x ** 2 + 3 * x - 1
    y.backward()
    assert x.grad == 7.0
    assert str(x.grad) == "7.0"


def test_backward_on_non_scalar_is_value_error():
    x = gs.Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError):
        (x * 2).backward()


def test_backward_on_one_element_non_0d_tensor():
    x = gs.Tensor(np.array([[3.0]]), requires_grad=True)
    (x * x).backward()
    assert_close(x.grad, np.array([[6.0]]))


def test_backward_without_graph_is_runtime_error():
    """Like PyTorch (PyDyNet raises ValueError here)."""
    with pytest.raises(RuntimeError):
        gs.Tensor(np.ones(3)).sum().backward()


def test_retain_graph_then_second_backward_accumulates():
    x = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    assert_close(x.grad, np.array([2.0, 4.0]))
    y.backward()
    assert_close(x.grad, np.array([4.0, 8.0]))


def test_second_backward_without_retain_graph_raises():
    x = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError):
        y.backward()


def test_gradients_accumulate_over_separate_graphs_until_zero_grad():
    x = gs.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    for _ in range(3):
        (x * 5).sum().backward()
    assert_close(x.grad, np.array([15.0, 15.0]))
    x.zero_grad()
    assert_close(x.grad, np.zeros(2))
    (x * x).sum().backward()
    assert_close(x.grad, np.array([2.0, -4.0]))


def test_shared_subexpressions_accumulate():
    x = gs.Tensor(np.array([0.5, 2.0]), requires_grad=True)
    a = x * x
    y = (a * x + a + gs.exp(a)).sum()  # x^3 + x^2 + exp(x^2)
    y.backward()
    v = np.array([0.5, 2.0])
    assert_close(x.grad, 3 * v ** 2 + 2 * v + 2 * v * np.exp(v ** 2))


def test_grad_of_leaf_is_zero_before_backward_and_none_without_requires_grad():
    x = gs.Tensor(np.ones((2, 2)), requires_grad=True)
    assert_close(x.grad, np.zeros((2, 2)))
    assert gs.Tensor(np.ones(2)).grad is None


def test_non_leaf_tensors_keep_no_grad():
    """PyTorch semantics: PyDyNet would keep a gradient on the intermediate ``h`` too."""
    x = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3
    h.sum().backward()
    assert h.grad is None
    assert not h.is_leaf and x.is_leaf and gs.Tensor(1.0).is_leaf
    assert h.requires_grad


def test_grad_dtype_follows_leaf_dtype():
    x = gs.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    (x * gs.Tensor(np.ones(3))).sum().backward()  # the float64 path casts back to float32
    assert x.grad.dtype == np.float32
    assert_close(x.grad, np.ones(3, dtype=np.float32))


def test_cached_grad_view_sees_later_backwards():
    x = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    g = x.grad
    (x * x).sum().backward()
    assert g is x.grad
    assert_close(g, np.array([2.0, 4.0]))
    x.zero_grad()
    assert_close(g, np.zeros(2))


def test_grad_assignment():
    x = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    x.grad = np.array([5.0, 6.0])
    assert_close(x.grad, np.array([5.0, 6.0]))
    x.grad -= 1.0
    assert_close(x.grad, np.array([4.0, 5.0]))
    x.grad = None  # zeroes (the engine keeps the buffer of a leaf)
    assert_close(x.grad, np.zeros(2))
    with pytest.raises(ValueError):
        gs.Tensor(np.ones(2)).grad = np.ones(2)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.int32, np.uint8])
def test_requires_grad_on_non_float_is_type_error(dtype):
    with pytest.raises(TypeError):
        gs.Tensor(np.ones(2, dtype=dtype), requires_grad=True)
    with pytest.raises(TypeError):
        pdn.Tensor(np.ones(2, dtype=dtype), requires_grad=True)
    with pytest.raises(TypeError):
        gs.Tensor(np.ones(2, dtype=dtype)).requires_grad = True


def test_requires_grad_setter():
    x = gs.Tensor(np.array([1.0, 2.0]))
    x.requires_grad = True
    (x * x).sum().backward()
    assert_close(x.grad, np.array([2.0, 4.0]))
    x.requires_grad = False  # as in PyTorch, the accumulated gradient stays readable
    assert not x.requires_grad and not (x * x).requires_grad
    assert_close(x.grad, np.array([2.0, 4.0]))


@pytest.mark.parametrize("mod", [gs, pdn], ids=["gradswift", "pydynet"])
def test_no_grad_context_manager(mod):
    x = mod.Tensor(np.ones(2), requires_grad=True)
    with mod.no_grad():
        y = x * 2
        z = mod.Tensor(np.ones(2), requires_grad=True)
        with mod.enable_grad():
            w = x * 2
        v = x * 3
    assert not y.requires_grad and not z.requires_grad and not v.requires_grad
    assert w.requires_grad
    assert (x * 2).requires_grad


@pytest.mark.parametrize("mod", [gs, pdn], ids=["gradswift", "pydynet"])
def test_no_grad_and_enable_grad_decorators(mod):
    @mod.no_grad()
    def double(t):
        """Docstring kept."""
        return t * 2

    @mod.enable_grad()
    def triple(t):
        return t * 3

    x = mod.Tensor(np.ones(2), requires_grad=True)
    assert not double(x).requires_grad
    assert double.__doc__ == "Docstring kept." and double.__name__ == "double"
    with mod.no_grad():
        assert triple(x).requires_grad
        assert not (x * 1).requires_grad
    assert (x * 1).requires_grad


def test_grad_mode_restored_after_exception():
    with pytest.raises(KeyError):
        with gs.no_grad():
            raise KeyError("boom")
    assert gs.autograd.is_grad_enable()


def test_set_grad_enabled_and_is_grad_enable():
    gs.autograd.set_grad_enabled(False)
    assert not gs.autograd.is_grad_enable()
    assert not (gs.Tensor(np.ones(2), requires_grad=True)).requires_grad
    gs.autograd.set_grad_enabled(True)
    assert gs.autograd.is_grad_enable()


def test_grad_mode_is_per_thread():
    seen = {}

    def worker():
        seen["initial"] = gs.autograd.is_grad_enable()
        with gs.no_grad():
            seen["inside"] = gs.autograd.is_grad_enable()
            barrier.wait()
            barrier.wait()

    barrier = threading.Barrier(2)
    thread = threading.Thread(target=worker)
    thread.start()
    barrier.wait()
    main_mode = gs.autograd.is_grad_enable()
    barrier.wait()
    thread.join()
    assert seen == {"initial": True, "inside": False} and main_mode


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
@pytest.mark.parametrize("operand", ["scalar", "tensor", "array"])
def test_inplace_rules(op, operand):
    x = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    other = {"scalar": 2.0, "tensor": gs.Tensor(np.array([2.0, 4.0])),
             "array": np.array([2.0, 4.0])}[operand]
    with pytest.raises(ValueError):
        exec(f"x {op} other")
    with gs.no_grad():
        y = x
        exec(f"x {op} other")
    assert x is y
    expected = np.array([1.0, 2.0])
    exec(f"expected {op} (other.numpy() if isinstance(other, gs.Tensor) else other)")
    assert_close(x.numpy(), expected)
    assert x.requires_grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_inplace_on_plain_tensors_keeps_dtype_and_broadcasts(dtype):
    x = gs.Tensor(np.arange(6).reshape(2, 3).astype(dtype))
    view = x.data
    x += gs.Tensor(np.array([1, 2, 3]).astype(dtype))
    x *= 2
    x -= True
    expected = (np.arange(6).reshape(2, 3) + np.array([1, 2, 3])) * 2 - 1
    assert x.dtype == dtype
    assert_close(view, expected.astype(dtype))


def test_inplace_int_target_rejects_float_result():
    x = gs.Tensor(np.arange(3))
    with pytest.raises(TypeError):
        x += 0.5
    with pytest.raises(TypeError):
        x /= 2


def test_data_update_is_seen_by_the_engine():
    x = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    x.data -= 0.5 * x.grad
    assert_close(x.numpy(), np.array([0.0, 0.0]))
    assert_close((x + 1).numpy(), np.array([1.0, 1.0]))
    x.zero_grad()
    (x * x + x).sum().backward()
    assert_close(x.grad, np.array([1.0, 1.0]))


def test_data_assignment_replaces_contents():
    x = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    old_view = x.data
    x.data = np.array([[3.0, 4.0, 5.0]])
    assert x.shape == (1, 3) and x.data is not old_view
    assert_close(x.numpy(), np.array([[3.0, 4.0, 5.0]]))
    x.data = x.data * 2
    assert_close((x + 0).numpy(), np.array([[6.0, 8.0, 10.0]]))
    x.data = gs.Tensor(np.array([1.0, 1.0, 1.0]))
    assert x.shape == (3,)
    (x * x).sum().backward()
    assert_close(x.grad, np.array([2.0, 2.0, 2.0]))


def test_data_assignment_from_an_overlapping_view():
    x = gs.Tensor(np.arange(6.0).reshape(2, 3))
    x.data = x.data.T
    assert_close(x.numpy(), np.arange(6.0).reshape(2, 3).T)


def test_device_context_in_update_loop():
    x = gs.Tensor(1.0, requires_grad=True)
    for _ in range(3):
        x.zero_grad()
        y = gs.log((x - 7) ** 2 + 6)
        y.backward()
        with x.device:
            x.data -= 1.5 * x.grad
    v = 1.0
    for _ in range(3):
        v -= 1.5 * 2 * (v - 7) / ((v - 7) ** 2 + 6)
    assert abs(x.item() - v) < 1e-12


def test_leaf_hooks_run_as_soon_as_the_leaf_gradient_is_final():
    """A leaf's hooks run right after the last node that adds to its gradient, before the rest
    of the backward (data-parallel training starts reducing then), not at the end of the walk."""
    order = []
    x1 = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    x2 = gs.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    u = x1 * 2.0
    v = u * x2
    for name, t in (("x1", x1), ("x2", x2), ("u", u)):
        t.register_hook(lambda g, name=name: order.append(name))
    v.sum().backward()
    assert order == ["x2", "u", "x1"]  # x2 is final once v's node has run; x1 only after u's
    np.testing.assert_array_equal(x2.grad, [2.0, 4.0])


def test_gradient_sums_leave_the_seed_and_what_hooks_kept_unchanged():
    """The walk sums a tensor's gradients in place only into a gradient nothing else holds: the
    seed, a gradient a hook kept and a NumPy view of one are all left as they were."""
    x = gs.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    u = x * 1.0
    w = u + gs.Tensor(np.zeros(2))  # hands its gradient on to u unchanged
    kept, views = [], []
    w.register_hook(lambda g: kept.append(g))
    w.register_hook(lambda g: views.append(g.data))
    seed = gs.Tensor(np.array([1.0, 10.0]))
    y = w + u * 3.0  # u's gradients: the seed itself (through w) and 3 * seed
    y.backward(seed)
    np.testing.assert_array_equal(seed.numpy(), [1.0, 10.0])
    np.testing.assert_array_equal(kept[0].numpy(), [1.0, 10.0])
    np.testing.assert_array_equal(views[0], [1.0, 10.0])
    np.testing.assert_array_equal(x.grad, [4.0, 40.0])
