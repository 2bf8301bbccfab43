"""PyTorch's autograd API beyond one backward: ``backward(gradient, create_graph)``,
``autograd.grad``, ``autograd.functional``, custom ``Function``s, hooks, ``retain_grad`` and
``grad_fn``."""
import gc

import numpy as np
import pytest

import gradswift as pdn
import gradswift.nn as nn
import gradswift.nn.functional as F
from gradswift import autograd
from gradswift.autograd import functional
from gradswift.autograd.graph import _registry


def leaf(values, dtype=np.float64):
    return pdn.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def live_handles():
    from ctypes import c_int64
    from gradswift._lib import lib
    from gradswift._release import release_pending
    release_pending()
    count = c_int64()
    assert lib.gs_live_handles(count) == 0
    return count.value


# ---- backward and grad ---------------------------------------------------------------------------
def test_second_derivative_of_a_cube_is_6x():
    x = leaf([-1.5, 0.0, 2.0])
    (first,) = autograd.grad((x ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(first.data, 3 * x.data ** 2)
    (second,) = autograd.grad(first.sum(), x)
    np.testing.assert_allclose(second.data, 6 * x.data)
    assert x.grad is None or not np.any(x.grad)  # grad() leaves .grad alone
    assert not second.requires_grad


def test_third_derivative_through_create_graph():
    x = leaf([0.3, -0.7])
    y = pdn.sin(x) * x
    (d1,) = autograd.grad(y.sum(), x, create_graph=True)
    (d2,) = autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = autograd.grad(d2.sum(), x)
    v = x.data  # (x sin x)''' = -3 sin x - x cos x
    np.testing.assert_allclose(d3.data, -3 * np.sin(v) - v * np.cos(v), rtol=1e-12)


def test_backward_takes_a_gradient_for_non_scalar_outputs():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(np.array([1.0, 0.5, 2.0]))
    np.testing.assert_allclose(x.grad, [2.0, 2.0, 12.0])
    x.grad = None
    (x * 2).backward(pdn.Tensor(np.ones(3, dtype=np.float32)))  # a Tensor of another float type
    np.testing.assert_allclose(x.grad, [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match=r"pass gradient of shape \(3,\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(1,\) but the output has shape \(3,\)"):
        (x * 2).backward(np.ones(1))  # a one-element array is a gradient, not retain_graph
    with pytest.raises(TypeError, match="must be floating point"):
        (x * 2).backward(np.ones(3, dtype=np.int64))


def test_a_positional_bool_still_means_retain_graph():
    x = leaf([2.0])
    y = (x * x).sum()
    y.backward(True)
    y.backward()
    np.testing.assert_allclose(x.grad, [8.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_backward_create_graph_records_and_keeps_the_graph():
    x = leaf([1.0, 3.0])
    y = (x ** 3).sum()
    y.backward(create_graph=True)  # retain_graph defaults to create_graph
    np.testing.assert_allclose(x.grad, [3.0, 27.0])
    y.backward()
    np.testing.assert_allclose(x.grad, [6.0, 54.0])  # accumulated, the view refreshed


def test_grad_options_and_errors():
    x, w, unused = leaf([1.0, 2.0]), leaf([3.0, 4.0]), leaf([0.0])
    h = x * w
    y = (h * h).sum()
    gx, gh, gu = autograd.grad(y, (x, h, unused), retain_graph=True, allow_unused=True)
    np.testing.assert_allclose(gx.data, 2 * x.data * w.data ** 2)  # through h, which is an input too
    np.testing.assert_allclose(gh.data, 2 * h.data)
    assert gu is None
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        autograd.grad(y, unused, retain_graph=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad(y, pdn.Tensor(np.ones(2)), retain_graph=True)
    with pytest.raises(ValueError, match="got 2 grad_outputs for 1 outputs"):
        autograd.grad(y, x, grad_outputs=[None, None], retain_graph=True)
    (g,) = autograd.grad(h, x, grad_outputs=np.array([1.0, -1.0]))  # frees the graph
    np.testing.assert_allclose(g.data, [3.0, -4.0])
    with pytest.raises(RuntimeError, match="freed"):
        autograd.grad(h, x)
    with pytest.raises(TypeError, match="not a Tensor"):
        autograd.grad(y, [np.ones(2)])


def test_a_recorded_gradient_needs_the_graph_it_came_from():
    """create_graph without retain_graph frees the forward graph, which the recorded gradient
    still goes through: differentiating it again says so (as PyTorch) instead of dropping terms."""
    x = leaf([1.0, 2.0])
    xx = x * x
    (g,) = autograd.grad((xx * x).sum(), x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match="freed"):
        autograd.grad(g.sum(), x)


def test_gradient_penalty_trains_through_the_gradient():
    """WGAN-GP's term: the norm of a critic's input gradient, itself differentiated with
    respect to the critic's weights, against PyTorch-free finite differences."""
    pdn.manual_seed(0)
    critic = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh(), nn.Linear(4, 1, dtype=np.float64))
    points = np.random.default_rng(1).standard_normal((5, 3))

    def penalty():
        x = pdn.Tensor(points, requires_grad=True)
        (gx,) = autograd.grad(critic(x).sum(), x, create_graph=True)
        return (((gx * gx).sum(axis=1) ** 0.5 - 1) ** 2).mean()

    weight = critic.layers[0].weight if hasattr(critic, "layers") else list(critic.parameters())[0]
    loss = penalty()
    (analytic,) = autograd.grad(loss, weight)
    numeric = np.zeros(weight.shape)
    flat = weight.data.reshape(-1)
    for k in range(flat.size):
        saved = flat[k]
        flat[k] = saved + 1e-6
        up = penalty().item()
        flat[k] = saved - 1e-6
        down = penalty().item()
        flat[k] = saved
        numeric.reshape(-1)[k] = (up - down) / 2e-6
    np.testing.assert_allclose(analytic.data, numeric, rtol=1e-5, atol=1e-8)


# ---- functional --------------------------------------------------------------------------------
def small_network_loss(w1, w2):
    x = pdn.Tensor(np.array([[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]]))
    target = pdn.Tensor(np.array([[1.0], [0.0], [0.5]]))
    return F.mse_loss(pdn.tanh(x @ w1) @ w2, target)


def test_hessian_of_a_small_network_matches_finite_differences():
    rng = np.random.default_rng(2)
    w1, w2 = leaf(rng.standard_normal((2, 3))), leaf(rng.standard_normal((3, 1)))
    hessian = functional.hessian(small_network_loss, (w1, w2))
    params = [w1, w2]
    for i, a in enumerate(params):
        for j, b in enumerate(params):
            block = hessian[i][j].data
            assert block.shape == a.shape + b.shape
            numeric = np.zeros(a.shape + b.shape)
            flat = b.data.reshape(-1)
            for k in range(flat.size):
                saved = flat[k]
                flat[k] = saved + 1e-5
                up = autograd.grad(small_network_loss(w1, w2), a)[0].data
                flat[k] = saved - 1e-5
                down = autograd.grad(small_network_loss(w1, w2), a)[0].data
                flat[k] = saved
                numeric.reshape(a.size, b.size)[:, k] = ((up - down) / 2e-5).reshape(-1)
            np.testing.assert_allclose(block, numeric, rtol=1e-6, atol=1e-8)
    full = np.block([[hessian[i][j].data.reshape(params[i].size, params[j].size) for j in range(2)] for i in range(2)])
    np.testing.assert_allclose(full, full.T, atol=1e-12)


def test_jacobian_vjp_jvp_hvp_agree():
    rng = np.random.default_rng(3)
    x = leaf(rng.standard_normal(3))

    def f(t):
        return pdn.concat([pdn.sin(t) * t[0], (t * t).sum(axis=0, keepdims=True)], axis=0)

    jac = functional.jacobian(f, x).data
    assert jac.shape == (4, 3)
    v_out, v_in = rng.standard_normal(4), rng.standard_normal(3)
    out, vjp = functional.vjp(f, x, pdn.Tensor(v_out))
    np.testing.assert_allclose(out.data, f(x).data)
    np.testing.assert_allclose(vjp.data, v_out @ jac, rtol=1e-12)
    _, jvp = functional.jvp(f, x, pdn.Tensor(v_in))
    np.testing.assert_allclose(jvp.data, jac @ v_in, rtol=1e-12)

    def scalar(t):
        return (pdn.exp(t) * t).sum()

    hess = functional.hessian(scalar, x).data
    np.testing.assert_allclose(hess, np.diag(np.exp(x.data) * (x.data + 2)), rtol=1e-12)
    value, hvp = functional.hvp(scalar, x, pdn.Tensor(v_in))
    np.testing.assert_allclose(value.item(), scalar(x).item())
    np.testing.assert_allclose(hvp.data, hess @ v_in, rtol=1e-12)
    np.testing.assert_allclose(functional.vhp(scalar, x, pdn.Tensor(v_in))[1].data, v_in @ hess, rtol=1e-12)
    assert x.grad is None or not np.any(x.grad)


def test_functional_strict_and_unused_inputs():
    x, y = leaf([1.0, 2.0]), leaf([3.0])
    jx, jy = functional.jacobian(lambda a, b: a * 2, (x, y))
    np.testing.assert_allclose(jy.data, np.zeros((2, 1)))
    with pytest.raises(RuntimeError, match="independent of input 1"):
        functional.jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="single element"):
        functional.hessian(lambda a: a * 2, x)


def test_functional_create_graph_stays_differentiable():
    x = leaf([0.5, 1.5])
    _, hv = functional.hvp(lambda t: (t ** 4).sum(), x, pdn.Tensor(np.ones(2)), create_graph=True)
    (third,) = autograd.grad(hv.sum(), x)
    np.testing.assert_allclose(third.data, 24 * x.data)


# ---- gradgradcheck -----------------------------------------------------------------------------
def test_gradgradcheck_catches_a_wrong_second_derivative():
    class Wrong(autograd.Function):
        """x**2 whose backward treats x as a constant: right once, wrong twice."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x.detach()

    x = leaf([0.5, -1.0])
    assert autograd.gradcheck(Wrong.apply, (x,))
    with pytest.raises(autograd.GradcheckError, match="Jacobian mismatch"):
        autograd.gradgradcheck(Wrong.apply, (x,))
    assert autograd.gradgradcheck(Wrong.apply, (x,), raise_exception=False) is False


# ---- custom functions --------------------------------------------------------------------------
class Cube(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x ** 2


def test_custom_function_first_and_second_derivatives():
    x = leaf([1.0, -2.0])
    y = Cube.apply(x)
    np.testing.assert_allclose(y.data, x.data ** 3)
    assert y.grad_fn.name() == "CubeBackward"
    assert autograd.gradcheck(Cube.apply, (x,))
    assert autograd.gradgradcheck(Cube.apply, (x,))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 3 * x.data ** 2)


def test_custom_function_arguments_and_context():
    seen = {}

    class ScaleAdd(autograd.Function):
        @staticmethod
        def forward(ctx, a, scale, b):
            seen["needs"] = ctx.needs_input_grad
            seen["grad mode in forward"] = autograd.is_grad_enable()
            ctx.scale = scale
            return a * scale + b, a - b

        @staticmethod
        def backward(ctx, g_sum, g_diff):
            return g_sum * ctx.scale + g_diff, None, g_sum - g_diff

    a, b = leaf([1.0, 2.0]), pdn.Tensor(np.array([0.5, 0.5]))
    total, diff = ScaleAdd.apply(a, 3.0, b)
    assert seen == {"needs": (True, False, False), "grad mode in forward": False}
    (total.sum() + 2 * diff.sum()).backward()
    np.testing.assert_allclose(a.grad, [5.0, 5.0])
    with pytest.raises(TypeError, match="must return Tensors"):
        type("Bad", (autograd.Function,), {"forward": staticmethod(lambda ctx, x: 1.0)}).apply(a)


def test_custom_function_with_setup_context():
    class Exp(autograd.Function):
        @staticmethod
        def forward(x):
            return pdn.exp(x)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    x = leaf([0.0, 1.0])
    Exp.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.exp(x.data))


def test_custom_function_errors_reach_the_caller_with_grads_unchanged():
    class Raises(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            raise KeyError("user backward failed")

    class Count(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    class Shape(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    x = leaf([1.0, 2.0])
    other = (x * 5).sum()
    for function, kind, message in [(Raises, KeyError, "user backward failed"),
                                    (Count, RuntimeError, r"incorrect number of gradients \(expected 1, got 2\)"),
                                    (Shape, ValueError, r"ShapeBackward: backward returned a gradient of shape \(\) "
                                                        r"for input 0 of shape \(2,\)")]:
        with pytest.raises(kind, match=message):
            (function.apply(x).sum() + other).backward(retain_graph=True)
        assert x.grad is None or not np.any(x.grad)
    gc.collect()
    assert not _registry


def test_custom_functions_release_their_context():
    x = leaf(np.ones(4))
    before = live_handles()
    for _ in range(20):
        Cube.apply(x).sum().backward()
        y = Cube.apply(x)  # never differentiated: freed with y
        del y
    gc.collect()
    assert not _registry
    assert live_handles() == before
    with pdn.no_grad():
        plain = Cube.apply(x)
    assert plain.grad_fn is None and not _registry


# ---- hooks, retain_grad, grad_fn -----------------------------------------------------------------
def test_hooks_see_and_replace_gradients():
    x = leaf([1.0, 2.0])
    y = x * 3
    seen = []
    handle = y.register_hook(lambda g: (seen.append(g.numpy()), g * 2)[1])
    x.register_hook(lambda g: seen.append(g.numpy()))
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    loss = y.sum()
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    np.testing.assert_allclose(seen[1], [6.0, 6.0])
    np.testing.assert_allclose(y.grad, [2.0, 2.0])
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    handle.remove()
    handle.remove()
    loss.backward()
    np.testing.assert_allclose(x.grad, [9.0, 9.0])
    np.testing.assert_allclose(y.grad, [3.0, 3.0])


def test_hook_errors_and_wrong_shapes():
    x = leaf([1.0, 2.0])
    y = x * 1
    y.register_hook(lambda g: g.sum())
    with pytest.raises(ValueError, match=r"hook returned a gradient of shape \(\)"):
        y.sum().backward(retain_graph=True)
    z = x * 1
    z.register_hook(lambda g: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        z.sum().backward()
    assert x.grad is None or not np.any(x.grad)
    with pytest.raises(RuntimeError, match="does not require gradient"):
        pdn.Tensor(np.ones(2)).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="callable"):
        x.register_hook(3)


def test_grad_fn_names_and_next_functions():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = pdn.Tensor(np.ones(2))
    y = (x * w + c).sum()
    assert x.grad_fn is None and x.is_leaf and not y.is_leaf
    assert y.grad_fn.name() == "SumBackward0"
    ((add, index),) = y.grad_fn.next_functions
    assert add.name() == "AddBackward0" and index == 0
    (mul, _), (nothing, _) = add.next_functions
    assert mul.name() == "MulBackward0" and nothing is None
    leaves = [node.variable for node, _ in mul.next_functions]
    assert leaves[0] is not x and np.array_equal(leaves[0].data, x.data)  # same tensor, new handle
    assert [node.name() for node, _ in mul.next_functions] == ["AccumulateGrad"] * 2
    assert "SumBackward0" in repr(y.grad_fn)


def test_detach_and_requires_grad_():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert d.requires_grad_() is d and d.requires_grad
    shared = x.detach()
    shared.data[0] = 7.0  # the same memory
    assert x.data[0] == 7.0
    with pytest.raises(ValueError, match="leaf"):
        (x * 2).requires_grad_(False)


def resident_mib():
    """The process's resident memory in MiB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status")


def test_create_graph_loops_free_their_tensors():
    """backward(create_graph=True) on x*x would tie x to its .grad in a cycle (PyTorch's
    documented leak) if .grad kept the recorded graph: 30 more rounds of 8 MB leaves would then
    keep 240 MB more. Gradient-penalty-style loops through autograd.grad free everything too.
    Memory is compared after warm-up rounds, which fill the engine's cache of large blocks."""

    def rounds(count):
        for _ in range(count):
            x = pdn.Tensor(np.ones(1 << 20), requires_grad=True)
            (x * x).sum().backward(create_graph=True)
            (g,) = autograd.grad((x * x * x).sum(), x, create_graph=True)
            (g * g).sum().backward()
            del x, g
        gc.collect()

    before = live_handles()
    rounds(10)
    warm = resident_mib()
    rounds(30)
    assert resident_mib() - warm < 64
    assert live_handles() == before
