"""gradswift.nn.utils (PyTorch's torch.nn.utils names) and Optimizer.zero_grad(set_to_none),
against NumPy references written from the definitions: the total norm of order p is the p-norm
of the per-tensor p-norms of the gradients (``(sum |g|**p)**(1/p)`` over all of them for p > 0),
and clipping multiplies every gradient by ``max_norm / (total + 1e-6)`` only when that is
below 1."""
import math

import numpy as np
import pytest

import gradswift as gs
from gradswift import nn, optim
from gradswift.nn import utils
from helpers import live_handles

SHAPES = [(3, 4), (4,), (2, 2, 2)]


def with_gradients(grads, dtype=np.float64):
    """Parameters of the shapes of ``grads`` (values 1.0) whose ``.grad`` holds ``grads``."""
    params = []
    for g in grads:
        p = nn.Parameter(gs.Tensor(np.ones(np.shape(g), dtype)))
        p.grad = np.asarray(g, dtype)
        params.append(p)
    return params


def random_gradients(seed=0, scale=1.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [np.asarray(rng.standard_normal(shape) * scale, dtype) for shape in SHAPES]


def reference_norm(grads, p):
    """The p-norm of the per-tensor p-norms (numpy.linalg.norm of each flattened gradient)."""
    norms = [np.linalg.norm(np.ravel(g).astype(np.float64), ord=p) for g in grads]
    return np.linalg.norm(np.array(norms), ord=p)


def reference_clip(grads, max_norm, p):
    total = reference_norm(grads, p)
    coefficient = max_norm / (total + 1e-6)
    return total, [g * coefficient if coefficient < 1 else g for g in grads]


# ---- clip_grad_norm_ -------------------------------------------------------------------------

@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf, -math.inf])
def test_clip_grad_norm_scales_every_gradient_in_place(norm_type):
    grads = random_gradients(seed=1, scale=2.0)
    params = with_gradients(grads)
    views = [p.grad for p in params]
    total, expected = reference_clip(grads, 0.25, norm_type)
    result = utils.clip_grad_norm_(params, 0.25, norm_type=norm_type)
    assert isinstance(result, gs.Tensor) and result.shape == () and result.dtype == np.float64
    np.testing.assert_allclose(result.item(), total, rtol=1e-12)
    for p, view, want in zip(params, views, expected):
        assert p.grad is view  # written in place: earlier views see the clipped values
        np.testing.assert_allclose(p.grad, want, rtol=1e-12)
    clipped = min(total, 0.25 * total / (total + 1e-6))  # -inf: the smallest |g| is below 0.25
    np.testing.assert_allclose(reference_norm([p.grad for p in params], norm_type), clipped, rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_unchanged():
    grads = random_gradients(seed=2)
    params = with_gradients(grads)
    total = utils.clip_grad_norm_(iter(params), max_norm=100)  # any iterable, consumed once
    np.testing.assert_allclose(total.item(), math.sqrt(sum((g ** 2).sum() for g in grads)), rtol=1e-12)
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad, g)


def test_clip_grad_norm_zero_norm_counts_tensors_with_a_non_zero_gradient():
    # As PyTorch: the 0-"norm" of the per-tensor counts of non-zero elements.
    grads = [np.array([0.0, 2.0, 3.0]), np.zeros(2), np.array([-1.0])]
    params = with_gradients(grads)
    total = utils.clip_grad_norm_(params, 1.0, norm_type=0)
    assert total.item() == 2.0
    np.testing.assert_allclose(params[0].grad, grads[0] / (2 + 1e-6), rtol=1e-12)


def test_clip_grad_norm_float32_and_a_single_tensor():
    grads = random_gradients(seed=3, dtype=np.float32)
    params = with_gradients(grads, np.float32)
    total, expected = reference_clip(grads, 0.5, 2.0)
    result = utils.clip_grad_norm_(params, 0.5)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.item(), total, rtol=1e-5)
    for p, want in zip(params, expected):
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad, want, rtol=1e-5)
    single = with_gradients([np.array([3.0, 4.0])])[0]
    assert utils.clip_grad_norm_(single, 1.0).item() == 5.0
    np.testing.assert_allclose(single.grad, [3 / (5 + 1e-6), 4 / (5 + 1e-6)], rtol=1e-12)


def test_clip_grad_norm_after_backward_skips_tensors_without_gradient():
    layer = nn.Linear(3, 2)
    frozen = nn.Parameter(gs.Tensor(np.ones(2)), requires_grad=False)
    (layer(gs.Tensor(np.arange(6.0).reshape(2, 3))) * frozen).sum().backward()
    grads = [p.grad.copy() for p in layer.parameters()]
    total = utils.clip_grad_norm_([*layer.parameters(), frozen], 1.0)
    np.testing.assert_allclose(total.item(), reference_norm(grads, 2), rtol=1e-12)
    assert frozen.grad is None
    assert utils.clip_grad_norm_([frozen], 1.0).item() == 0.0  # nothing to clip: Tensor(0.0)
    assert utils.clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_non_finite_total():
    grads = [np.array([1.0, np.nan]), np.array([2.0])]
    params = with_gradients(grads)
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[1].grad, [2.0])  # nothing changed
    total = utils.clip_grad_norm_(params, 1.0)  # PyTorch's default: scale by the NaN
    assert math.isnan(total.item()) and np.isnan(params[1].grad).all()

    params = with_gradients([np.array([np.inf, 1.0]), np.array([-2.0])])
    with pytest.raises(RuntimeError, match="is inf"):
        utils.clip_grad_norm_(params, 1.0, norm_type="inf", error_if_nonfinite=True)
    assert utils.clip_grad_norm_(params, 1.0).item() == math.inf  # coefficient 0: inf * 0 is NaN
    np.testing.assert_array_equal(params[0].grad, [np.nan, 0.0])
    np.testing.assert_array_equal(params[1].grad, [-0.0])


def test_clip_grad_norm_rejects_non_tensors():
    with pytest.raises(TypeError, match="clip_grad_norm_: parameter 1 is a ndarray, not a Tensor"):
        utils.clip_grad_norm_([nn.Parameter(gs.Tensor(np.ones(2))), np.ones(2)], 1.0)
    with pytest.raises(ValueError):
        utils.clip_grad_norm_([], "large")


# ---- clip_grad_value_ ------------------------------------------------------------------------

def test_clip_grad_value_clamps_in_place():
    grads = random_gradients(seed=4, scale=3.0)
    grads[1][0] = np.nan
    params = with_gradients(grads)
    views = [p.grad for p in params]
    assert utils.clip_grad_value_(params, 1.5) is None
    for p, view, g in zip(params, views, grads):
        assert p.grad is view
        np.testing.assert_array_equal(p.grad, np.clip(g, -1.5, 1.5))  # NaN stays NaN
    single = with_gradients([np.array([-3.0, 0.5, 3.0])], np.float32)[0]
    utils.clip_grad_value_(single, 1)
    assert single.grad.dtype == np.float32
    np.testing.assert_array_equal(single.grad, [-1.0, 0.5, 1.0])


def test_clip_grad_value_with_a_negative_bound_gives_the_bound_as_torch_clamp():
    params = with_gradients([np.array([-3.0, 0.0, 3.0])])
    utils.clip_grad_value_(params, -1.0)  # clamp(min=1, max=-1): the upper bound wins
    np.testing.assert_array_equal(params[0].grad, [-1.0, -1.0, -1.0])


# ---- parameters_to_vector / vector_to_parameters -----------------------------------------------

def test_parameters_to_vector_joins_and_is_differentiable():
    net = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    params = list(net.parameters())
    vec = utils.parameters_to_vector(params)
    np.testing.assert_array_equal(vec.numpy(), np.concatenate([p.numpy().ravel() for p in params]))
    assert vec.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    weights = np.arange(vec.shape[0], dtype=np.float64)
    (vec * gs.Tensor(weights)).sum().backward()
    start = 0
    for p in params:
        np.testing.assert_array_equal(p.grad, weights[start:start + p.size].reshape(p.shape))
        start += p.size


def test_vector_to_parameters_copies_slices_in_place():
    net = nn.Sequential(nn.Linear(3, 4, dtype=np.float32), nn.Linear(4, 2, dtype=np.float32))
    params = list(net.parameters())
    views = [p.data for p in params]
    values = np.linspace(-1, 1, sum(p.size for p in params))
    utils.vector_to_parameters(gs.Tensor(values), params)
    start = 0
    for p, view in zip(params, views):
        want = values[start:start + p.size].reshape(p.shape).astype(np.float32)
        np.testing.assert_array_equal(view, want)  # the same memory, converted to the dtype
        assert p.dtype == np.float32 and p.is_leaf and p.requires_grad and p.grad_fn is None
        start += p.size
    np.testing.assert_array_equal(utils.parameters_to_vector(params).numpy(), values.astype(np.float32))
    out = net(gs.Tensor(np.ones((1, 3), np.float32)))  # the engine layers use the new values
    np.testing.assert_allclose(out.numpy(), (np.ones((1, 3)) @ views[0] + views[1]) @ views[2] + views[3],
                               rtol=1e-6)


@pytest.mark.parametrize("vec,error,message", [
    (np.zeros(6), TypeError, "vec must be a Tensor, got ndarray"),
    (gs.Tensor(np.zeros(5)), ValueError, "vec has shape \\(5,\\), the parameters need a 1-D vector of 6 elements"),
    (gs.Tensor(np.zeros(7)), ValueError, "vec has shape \\(7,\\)"),
    (gs.Tensor(np.zeros((2, 3))), ValueError, "vec has shape \\(2, 3\\)"),
])
def test_vector_to_parameters_checks_before_writing(vec, error, message):
    params = [nn.Parameter(gs.Tensor(np.ones((2, 2)))), nn.Parameter(gs.Tensor(np.ones(2)))]
    with pytest.raises(error, match=message):
        utils.vector_to_parameters(vec, params)
    assert all((p.numpy() == 1).all() for p in params)
    with pytest.raises(TypeError, match="parameters_to_vector: parameter 0 is a list"):
        utils.parameters_to_vector([[1.0]])


# ---- parameter_count / summary ---------------------------------------------------------------

class Model(nn.Module):
    """Linear(3, 4) + BatchNorm1d(4), a frozen parameter and a parameter shared by two
    sub-modules."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.offset = nn.Parameter(gs.Tensor(np.zeros(5)), requires_grad=False)
        self.head = nn.Module()
        self.head.weight = self.fc.weight  # shared: counted once


def test_parameter_count_counts_each_parameter_once_and_no_buffers():
    model = Model()
    # fc.weight 12 + fc.bias 4 + bn.scale 4 + bn.shift 4 + offset 5; running statistics are buffers.
    assert utils.parameter_count(model) == 29
    assert utils.parameter_count(model, trainable_only=True) == 24
    model.requires_grad_(False)
    assert utils.parameter_count(model, trainable_only=True) == 0
    with pytest.raises(TypeError, match="parameter_count: expected a Module, got list"):
        utils.parameter_count([model.fc.weight])


def test_summary_table():
    text = utils.summary(Model())
    assert text == "\n".join([
        "Model",
        "Parameter  Shape   Count  Trainable",
        "---------  ------  -----  ---------",
        "fc.weight  (3, 4)     12  yes",
        "fc.bias    (4,)        4  yes",
        "bn.scale   (4,)        4  yes",
        "bn.shift   (4,)        4  yes",
        "offset     (5,)        5  no",
        "---------  ------  -----  ---------",
        "Total parameters: 29",
        "Trainable parameters: 24",
        "Non-trainable parameters: 5",
        "Buffer elements: 8 in 2 buffers",
    ])
    big = utils.summary(nn.Linear(1000, 1200))
    assert "weight     (1000, 1200)  1,200,000  yes" in big and "Total parameters: 1,201,200" in big


# ---- Optimizer.zero_grad(set_to_none) ----------------------------------------------------------

@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.Adam(ps),
                                  lambda ps: optim.Optimizer(ps)])
def test_optimizer_zero_grad_accepts_set_to_none_and_zeroes(make):
    params = with_gradients(random_gradients(seed=5))
    opt = make(params)
    views = [p.grad for p in params]
    for call in (lambda: opt.zero_grad(), lambda: opt.zero_grad(set_to_none=False),
                 lambda: opt.zero_grad(set_to_none=True)):
        for p, g in zip(params, random_gradients(seed=6)):
            p.grad = g
        call()
        # The engine keeps each leaf's gradient buffer: zeros, never None (documented).
        assert all(p.grad is view and not p.grad.any() for p, view in zip(params, views))


# ---- handles -----------------------------------------------------------------------------------

def test_utilities_release_their_handles():
    before = live_handles()
    for _ in range(5):
        model = Model()
        model.bn(model.fc(gs.Tensor(np.ones((4, 3))))).sum().backward()
        utils.clip_grad_norm_(model.parameters(), 1.0)
        params = with_gradients(random_gradients(seed=7))
        utils.clip_grad_norm_(params, 0.1)
        utils.clip_grad_norm_(params, 0.1, norm_type=math.inf)
        utils.clip_grad_value_(params, 0.01)
        utils.vector_to_parameters(utils.parameters_to_vector(params) * 2, params)
        utils.summary(model), utils.parameter_count(model)
    del model, params
    assert live_handles() == before
