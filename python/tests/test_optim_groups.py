"""PyTorch's optimizers (AdamW, RMSprop, Adamax, NAdam, amsgrad, maximize) against NumPy
references written from PyTorch's documented algorithms; parameter groups; LBFGS."""
import numpy as np
import pytest

import gradswift as gs
import gradswift.optim as gs_optim
from helpers import live_handles

SHAPES = [(3, 4), (4,), (2, 1, 3)]
STEPS = 6


def problem(dtype, seed=1):
    r = np.random.default_rng(seed)
    params = [r.standard_normal(s).astype(dtype) for s in SHAPES]
    targets = [r.standard_normal(s).astype(dtype) for s in SHAPES]
    return params, targets


def gradient(p, t, step):
    """Gradient of sum((p - t)^2 (step + 1)) + sum(p^3)."""
    return 2 * (p - t) * (step + 1) + 3 * p * p


def loss_of(tensors, targets, step):
    total = None
    for p, t in zip(tensors, targets):
        term = (((p - gs.Tensor(t)) ** 2) * (step + 1)).sum() + (p * p * p).sum()
        total = term if total is None else total + term
    return total


def train(name, groups_of, dtype, steps=STEPS, **kwargs):
    """Parameters after ``steps`` steps; ``groups_of(tensors)`` gives the ``params`` argument."""
    params, targets = problem(dtype)
    tensors = [gs.Tensor(p.copy(), requires_grad=True) for p in params]
    opt = getattr(gs_optim, name)(groups_of(tensors), **kwargs)
    for step in range(steps):
        opt.zero_grad()
        loss_of(tensors, targets, step).backward()
        opt.step()
    return [t.numpy() for t in tensors]


def reference_update(name, o, p, g, s, t, lr):
    """One step of PyTorch's algorithm ``name`` (options ``o``) on ``p`` with gradient ``g``."""
    g = -g if o.get("maximize") else g
    b1, b2 = o.get("betas", (0.9, 0.999))
    eps, wd = o.get("eps", 1e-8), o.get("weight_decay", 0.0)
    if name == "AdamW":
        wd = o.get("weight_decay", 1e-2)
        p = p * (1 - lr * wd)
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        v = s["v"]
        if o.get("amsgrad"):
            s["max_v"] = v = np.maximum(s.get("max_v", 0), s["v"])
        return p - lr / (1 - b1 ** t) * s["m"] / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)
    g = g + wd * p
    if name == "Adam":  # PyDyNet's form, amsgrad on the maximum of v
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        v = s["v"]
        if o.get("amsgrad"):
            s["max_v"] = v = np.maximum(s.get("max_v", 0), s["v"])
        return p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * s["m"] / (np.sqrt(v) + eps)
    if name == "RMSprop":
        alpha, mu = o.get("alpha", 0.99), o.get("momentum", 0)
        s["sq"] = alpha * s.get("sq", 0) + (1 - alpha) * g * g
        second = s["sq"]
        if o.get("centered"):
            s["ga"] = alpha * s.get("ga", 0) + (1 - alpha) * g
            second = second - s["ga"] ** 2
        avg = np.sqrt(second) + eps
        if mu > 0:
            s["b"] = mu * s.get("b", 0) + g / avg
            return p - lr * s["b"]
        return p - lr * g / avg
    if name == "Adamax":
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["u"] = np.maximum(b2 * s.get("u", 0), np.abs(g) + eps)
        return p - lr / (1 - b1 ** t) * s["m"] / s["u"]
    if name == "NAdam":
        psi = o.get("momentum_decay", 4e-3)

        def mu(k):
            return b1 * (1 - 0.5 * 0.96 ** (k * psi))

        product = np.prod([mu(k) for k in range(1, t + 1)])
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
        denom = np.sqrt(s["v"] / (1 - b2 ** t)) + eps
        return (p - lr * (1 - mu(t)) / (1 - product) * g / denom
                - lr * mu(t + 1) / (1 - product * mu(t + 1)) * s["m"] / denom)
    if name == "SGD":
        mu = o.get("momentum", 0.5)
        s["b"] = mu * s.get("b", 0) + g
        return p - lr * ((g + mu * s["b"]) if o.get("nesterov", True) else s["b"])
    if name == "Adagrad":
        s["sum"] = s.get("sum", 0) + g * g
        return p - lr * g / np.sqrt(s["sum"] + o.get("eps", 1e-10))
    raise AssertionError(name)


DEFAULT_LR = {"AdamW": 1e-3, "Adam": 1e-3, "RMSprop": 1e-2, "Adamax": 2e-3, "NAdam": 2e-3, "SGD": None,
              "Adagrad": 1e-2}


def reference(name, group_options, dtype, steps=STEPS, **kwargs):
    """NumPy reference; ``group_options[i]`` are the options of parameter ``i`` (over kwargs)."""
    params, targets = problem(dtype)
    params = [p.astype(np.float64) for p in params]
    states = [{} for _ in params]
    for step in range(steps):
        for i, t in enumerate(targets):
            o = dict(kwargs, **group_options[i])
            lr = o.get("lr", DEFAULT_LR[name])
            params[i] = reference_update(name, o, params[i], gradient(params[i], t, step), states[i], step + 1, lr)
    return params


def tolerance(dtype):
    return dict(rtol=3e-5, atol=3e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


CASES = [
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, maximize=True)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, maximize=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True, alpha=0.9, momentum=0.5, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.01, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1, maximize=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", CASES)
def test_update_rules_match_numpy_references(name, kwargs, dtype):
    ours = train(name, list, dtype, **kwargs)
    expected = reference(name, [{}] * len(SHAPES), dtype, **kwargs)
    for a, b in zip(ours, expected):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, **tolerance(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,defaults,groups", [
    ("SGD", dict(lr=0.01, momentum=0.9), [dict(lr=0.02, nesterov=False), dict(momentum=0.5), dict(maximize=True)]),
    ("AdamW", dict(lr=0.05), [dict(betas=(0.5, 0.9)), dict(lr=0.01, amsgrad=True), dict(weight_decay=0.0)]),
    ("RMSprop", dict(lr=0.01), [dict(centered=True), dict(momentum=0.9), dict(lr=0.003)]),
    ("NAdam", dict(lr=0.05), [dict(betas=(0.8, 0.99)), dict(momentum_decay=0.02), dict(lr=0.02)]),
])
def test_parameter_groups_have_their_own_options(name, defaults, groups, dtype):
    def as_groups(tensors):
        return [dict(group, params=[t]) for group, t in zip(groups, tensors)]

    ours = train(name, as_groups, dtype, **defaults)
    for a, b in zip(ours, reference(name, groups, dtype, **defaults)):
        np.testing.assert_allclose(a, b, **tolerance(dtype))


def test_param_groups_expose_and_take_settings():
    a, b = gs.Tensor(np.ones(2), requires_grad=True), gs.Tensor(np.ones(3), requires_grad=True)
    opt = gs_optim.Adam([{"params": [a]}, {"params": b, "lr": 0.5, "name": "head"}], lr=0.1, betas=(0.8, 0.9))
    assert opt.defaults == dict(lr=0.1, betas=(0.8, 0.9), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False)
    first, second = opt.param_groups
    assert first["params"][0] is a and second["params"][0] is b
    assert first["lr"] == pytest.approx(0.1) and second["lr"] == 0.5 and second["name"] == "head"
    assert second["betas"] == pytest.approx((0.8, 0.9)) and second["amsgrad"] is False
    assert set(first) == {"params", "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"}
    second["lr"] = 0.25
    second["betas"] = (0.5, 0.6)
    second["amsgrad"] = True
    assert second["lr"] == 0.25 and second["betas"] == pytest.approx((0.5, 0.6)) and second["amsgrad"] is True
    assert opt.lr == pytest.approx(0.1)
    opt.lr = 0.3
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.3, 0.3])


def test_changing_lr_in_a_group_takes_effect_at_the_next_step():
    p = gs.Tensor(np.zeros(2), requires_grad=True)
    opt = gs_optim.SGD([p], lr=0.1, momentum=0, nesterov=False)
    opt.param_groups[0]["lr"] = 2.0
    p.sum().backward()
    opt.step()
    np.testing.assert_allclose(p.numpy(), [-2.0, -2.0])
    opt.param_groups[0]["momentum"] = 0.5  # adds a momentum buffer, starting at zero
    opt.step()  # b = 1
    np.testing.assert_allclose(p.numpy(), [-4.0, -4.0])
    opt.step()  # b = 1.5
    np.testing.assert_allclose(p.numpy(), [-7.0, -7.0])


def test_add_param_group_fills_defaults():
    a, b = gs.Tensor(np.ones(2), requires_grad=True), gs.Tensor(np.ones(2), requires_grad=True)
    opt = gs_optim.RMSprop([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "centered": True})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["momentum"] == pytest.approx(0.9)
    assert opt.param_groups[1]["centered"] is True and opt.param_groups[1]["lr"] == pytest.approx(0.1)
    assert [t is u for t, u in zip(opt.params, [a, b])] == [True, True]
    (a.sum() + b.sum()).backward()
    opt.step()
    assert set(opt.state_dict()["state"][1]) == {"square_avg", "momentum_buffer", "grad_avg"}


def test_group_errors_are_pytorchs():
    a, b = gs.Tensor(np.ones(2), requires_grad=True), gs.Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        gs_optim.SGD([{"params": [a]}, {"params": [a, b]}], lr=0.1)
    opt = gs_optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty parameter list"):
        gs_optim.AdamW([])
    with pytest.raises(TypeError, match="iterable of Tensors"):
        gs_optim.Adam(a)
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {b}})
    with pytest.raises(ValueError, match="learning rate"):
        opt.add_param_group({"params": [b], "lr": -1})
    with pytest.raises(ValueError, match="momentum"):
        opt.param_groups[0]["momentum"] = -1
    with pytest.raises(TypeError, match="nesterov must be a bool"):
        opt.param_groups[0]["nesterov"] = 1.5
    with pytest.raises(TypeError, match="params are fixed"):
        opt.param_groups[0]["params"] = [b]
    assert len(opt.param_groups) == 1 and opt.param_groups[0]["momentum"] == 0.5


@pytest.mark.parametrize("make,message", [
    (lambda p: gs_optim.AdamW(p, betas=(1.0, 0.9)), "beta1"),
    (lambda p: gs_optim.AdamW(p, weight_decay=-1), "weight_decay"),
    (lambda p: gs_optim.RMSprop(p, alpha=-0.5), "alpha"),
    (lambda p: gs_optim.RMSprop(p, momentum=float("nan")), "momentum"),
    (lambda p: gs_optim.Adamax(p, betas=(0.9, 1.0)), "beta2"),
    (lambda p: gs_optim.NAdam(p, momentum_decay=-1), "momentum_decay"),
    (lambda p: gs_optim.NAdam(p, betas=(0.9,)), "betas must be a pair"),
])
def test_bad_settings_of_new_optimizers_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make([gs.Tensor(np.ones(2), requires_grad=True)])


def test_state_dict_round_trips_groups_and_continues_identically():
    params, targets = problem(np.float64)

    def fresh():
        ts = [gs.Tensor(p.copy(), requires_grad=True) for p in params]
        groups = [{"params": ts[:1], "lr": 0.02, "amsgrad": True}, {"params": ts[1:], "weight_decay": 0.5}]
        return ts, gs_optim.AdamW(groups, lr=0.05)

    a, opt_a = fresh()
    for step in range(3):
        opt_a.zero_grad()
        loss_of(a, targets, step).backward()
        opt_a.step()
    opt_a.param_groups[1]["lr"] = 0.01
    b, opt_b = fresh()
    for pb, pa in zip(b, a):
        pb.data[...] = pa.numpy()
    state = opt_a.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0], [1, 2]]
    assert set(state["state"][0]) == {"m", "v", "max_v"} and set(state["state"][1]) == {"m", "v"}
    opt_b.load_state_dict(state)
    assert opt_b.param_groups[1]["lr"] == 0.01 and opt_b.param_groups[1]["weight_decay"] == 0.5
    for opt, ts in ((opt_a, a), (opt_b, b)):
        opt.zero_grad()
        loss_of(ts, targets, 3).backward()
        opt.step()
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())


def test_load_state_dict_checks_groups_first():
    a, b = gs.Tensor(np.ones(2), requires_grad=True), gs.Tensor(np.ones(2), requires_grad=True)
    opt = gs_optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    state = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(dict(state, param_groups=state["param_groups"][:1]))
    bad = dict(state, param_groups=[dict(state["param_groups"][0], lr=0.7), dict(state["param_groups"][1], momentum=-1)])
    with pytest.raises(ValueError, match="momentum"):
        opt.load_state_dict(bad)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.1, 0.1])


def test_checkpoint_file_round_trip(tmp_path):
    p = gs.Tensor(np.ones(3), requires_grad=True)
    opt = gs_optim.NAdam([{"params": [p], "lr": 0.01}], lr=0.1)
    p.sum().backward()
    opt.step()
    gs.save(opt.state_dict(), tmp_path / "opt.npz")
    other = gs_optim.NAdam([gs.Tensor(np.ones(3), requires_grad=True)], lr=0.1)
    other.load_state_dict(gs.load(tmp_path / "opt.npz"))
    assert other.param_groups[0]["lr"] == pytest.approx(0.01)
    np.testing.assert_array_equal(other.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])


def test_step_with_closure_returns_its_loss():
    p = gs.Tensor(np.array([3.0]), requires_grad=True)
    opt = gs_optim.SGD([p], lr=0.1, momentum=0)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == pytest.approx(9.0)
    np.testing.assert_allclose(p.numpy(), [2.4])


def test_group_handles_are_released():
    before = live_handles()
    for _ in range(10):
        ps = [gs.Tensor(np.ones(3), requires_grad=True) for _ in range(2)]
        opt = gs_optim.AdamW([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.1}])
        group = opt.param_groups[1]
        (ps[0].sum() + ps[1].sum()).backward()
        opt.step()
    del ps, opt, group
    assert live_handles() == before


# ---- LBFGS --------------------------------------------------------------------------------

def rosenbrock_closure(opt, x):
    def closure():
        opt.zero_grad()
        a, b = x[0], x[1]
        loss = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        loss.backward()
        return loss
    return closure


@pytest.mark.parametrize("line_search_fn,steps", [(None, 200), ("strong_wolfe", 5)])
def test_lbfgs_minimises_rosenbrock(line_search_fn, steps):
    x = gs.Tensor(np.array([-1.5, 2.0]), requires_grad=True)
    lr = 1 if line_search_fn else 0.1
    opt = gs_optim.LBFGS([x], lr=lr, max_iter=20, line_search_fn=line_search_fn)
    closure = rosenbrock_closure(opt, x)
    first = opt.step(closure).item()
    for _ in range(steps - 1):
        opt.step(closure)
    assert first == pytest.approx(2.5 ** 2 + 100 * 0.25 ** 2)
    np.testing.assert_allclose(x.numpy(), [1.0, 1.0], atol=1e-3 if line_search_fn else 5e-2)


def test_lbfgs_on_a_quadratic_matches_the_exact_minimiser():
    r = np.random.default_rng(3)
    m = r.standard_normal((5, 5))
    a_matrix, rhs = m @ m.T + 5 * np.eye(5), r.standard_normal(5)
    x = gs.Tensor(np.zeros(5), requires_grad=True)
    opt = gs_optim.LBFGS([x], line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-14)
    a_t, b_t = gs.Tensor(a_matrix), gs.Tensor(rhs)

    def closure():
        opt.zero_grad()
        loss = 0.5 * (x * (a_t @ x)).sum() - (b_t * x).sum()
        loss.backward()
        return loss

    opt.step(closure)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a_matrix, rhs), rtol=1e-6, atol=1e-9)
    assert opt.state["n_iter"] <= 20 and opt.state["func_evals"] >= 2


def test_lbfgs_errors():
    x = gs.Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        gs_optim.LBFGS([{"params": [x]}, {"params": [gs.Tensor(np.zeros(1), requires_grad=True)]}])
    with pytest.raises(ValueError, match="line_search_fn"):
        gs_optim.LBFGS([x], line_search_fn="armijo")
