"""nn.Module machinery (registration, parameters, modes, state dicts, Sequential, ModuleList)
and nn.init, against PyDyNet 1.1 where it defines the behaviour."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import gradswift as gs
from gradswift import nn
from gradswift.nn import init
from helpers import live_handles, pdn

import pydynet.nn as pd_nn  # noqa: E402
import pydynet.nn.init as pd_init  # noqa: E402


def build(mod_nn, mod):
    """The same user-defined model on either framework (only Module and Parameter)."""
    class Affine(mod_nn.Module):
        def __init__(self, n):
            super().__init__()
            self.w = mod_nn.Parameter(mod.Tensor(np.arange(n, dtype=np.float64)))
            self.frozen = mod_nn.Parameter(mod.Tensor(np.ones(n)), requires_grad=False)

        def forward(self, x):
            return x * self.w + self.frozen

    class Net(mod_nn.Module):
        def __init__(self):
            super().__init__()
            self.first = Affine(3)
            self.second = Affine(3)
            self.scale = mod_nn.Parameter(mod.Tensor(np.array(2.0)))

        def forward(self, x):
            return self.second(self.first(x)) * self.scale

    return Net()


def test_user_module_parameters_and_forward_match_pydynet():
    ours, theirs = build(nn, gs), build(pd_nn, pdn)
    assert [p.shape for p in ours.parameters()] == [p.shape for p in theirs.parameters()]
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(ours(gs.Tensor(x)).numpy(), theirs(pdn.Tensor(x)).numpy())
    assert repr(ours) == repr(theirs)


def test_named_parameters_and_state_dict_include_frozen_ones():
    net = build(nn, gs)
    names = [n for n, _ in net.named_parameters()]
    assert names == ["first.w", "first.frozen", "second.w", "second.frozen", "scale"]
    assert len(list(net.parameters())) == 3
    assert list(net.state_dict()) == names


def test_reassigning_and_deleting_attributes_updates_registration():
    net = build(nn, gs)
    net.scale = gs.Tensor(1.0)  # no longer a Parameter
    assert "scale" not in dict(net.named_parameters())
    net.first = nn.Parameter(gs.Tensor(np.zeros(2)))
    assert "first" in dict(net.named_parameters()) and "first.w" not in dict(net.named_parameters())
    del net.first
    assert "first" not in dict(net.named_parameters())


def test_subclass_without_super_init_still_registers():
    class Lazy(nn.Module):
        def __init__(self):
            self.p = nn.Parameter(gs.Tensor(np.ones(2)))

    assert len(list(Lazy().parameters())) == 1


def test_train_and_eval_reach_every_submodule_and_leave_grad_mode_alone():
    net = build(nn, gs)
    assert net.eval() is net
    assert all(not m.training for _, m in net.named_modules())
    assert gs.autograd.is_grad_enable()  # PyDyNet's eval() also turns grad mode off; PyTorch's does not
    net.train()
    assert all(m.training for _, m in net.named_modules())


def test_state_dict_round_trip_and_checks():
    a, b = build(nn, gs), build(nn, gs)
    for p in a.parameters():
        p.data[...] = np.random.default_rng(1).standard_normal(p.shape)
    b.load_state_dict(a.state_dict())
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy())
    before = b.state_dict()
    bad = OrderedDict(a.state_dict())
    bad["second.w"] = np.zeros(4)
    with pytest.raises(ValueError, match="'second.w' has shape \\(3,\\), the checkpoint has \\(4,\\)"):
        b.load_state_dict(bad)
    missing = OrderedDict(a.state_dict())
    del missing["scale"]
    with pytest.raises(KeyError, match="missing keys \\['scale'\\]"):
        b.load_state_dict(missing)
    for name, value in b.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_sequential_and_module_list():
    class Double(nn.Module):
        def forward(self, x):
            return x * 2

    seq = nn.Sequential(Double(), Double(), Double())
    assert len(seq) == 3 and isinstance(seq[1], Double)
    np.testing.assert_array_equal(seq(gs.Tensor(np.ones(2))).numpy(), [8., 8.])
    named = nn.Sequential(OrderedDict([("a", Double()), ("b", Double())]))
    assert [n for n, _ in named.named_modules()] == ["", "a", "b"]
    holder = nn.ModuleList([build(nn, gs)])
    holder.append(build(nn, gs))
    assert len(holder) == 2 and holder.index(holder[1]) == 1
    assert len(list(holder.parameters())) == 6


def test_devices():
    net = build(nn, gs)
    assert net.to("cpu") is net and net.cpu() is net
    with pytest.raises(Exception):
        net.cuda()


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError):
        nn.Module()(gs.Tensor(1.0))


def test_parameter_shares_memory_with_its_source():
    t = gs.Tensor(np.zeros(3))
    p = nn.Parameter(t)
    t.data[0] = 5
    assert p.numpy()[0] == 5 and p.requires_grad and p.is_leaf
    assert not nn.Parameter(t, requires_grad=False).requires_grad


# ---- init ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,param", [("linear", None), ("conv1d", None), ("conv2d", None), ("sigmoid", None),
                                        ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2)])
def test_calculate_gain_matches_pydynet(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(pd_init.calculate_gain(name, param), rel=1e-15)


def big(shape=(400, 500), dtype=np.float64):
    return gs.Tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_normal_constant(dtype):
    t = init.uniform_(big(dtype=dtype), -2, 3)
    v = t.numpy()
    assert v.dtype == dtype and v.min() >= -2 and v.max() < 3 and abs(v.mean() - 0.5) < 0.05
    v = init.normal_(big(dtype=dtype), 1.0, 2.0).numpy()
    assert abs(v.mean() - 1) < 0.03 and abs(v.std() - 2) < 0.03
    np.testing.assert_array_equal(init.constant_(big((2, 2), dtype), 1.5).numpy(), np.full((2, 2), 1.5))
    np.testing.assert_array_equal(init.ones_(big((2,), dtype)).numpy(), [1, 1])
    np.testing.assert_array_equal(init.zeros_(gs.Tensor(np.ones(2, dtype))).numpy(), [0, 0])


def test_fan_based_initialisers_use_pydynets_fans():
    # PyDyNet counts fan_in = shape[0] * receptive field (its Linear weights are (in, out)).
    shape = (200, 300, 3)
    fan_in, fan_out = 200 * 3, 300 * 3
    v = init.xavier_uniform_(big(shape), gain=2.0).numpy()
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.99 * bound
    v = init.xavier_normal_(big(shape)).numpy()
    assert abs(v.std() - math.sqrt(2 / (fan_in + fan_out))) < 0.02 * v.std()
    v = init.kaiming_uniform_(big(shape), a=math.sqrt(5), nonlinearity="leaky_relu").numpy()
    bound = math.sqrt(2 / 6) * math.sqrt(3 / fan_in)
    assert np.abs(v).max() <= bound and np.abs(v).max() > 0.99 * bound
    v = init.kaiming_normal_(big(shape), mode="fan_out").numpy()
    assert abs(v.std() - math.sqrt(2) / math.sqrt(fan_out)) < 0.02 * v.std()


def test_initialisers_are_reproducible_under_manual_seed():
    gs.manual_seed(7)
    a = init.kaiming_uniform_(big((30, 40))).numpy().copy()
    gs.manual_seed(7)
    b = init.kaiming_uniform_(big((30, 40))).numpy()
    np.testing.assert_array_equal(a, b)


def test_init_on_parameters_that_require_grad():
    p = nn.Parameter(gs.Tensor(np.zeros((3, 4))))
    init.normal_(p)
    assert p.requires_grad and np.abs(p.numpy()).sum() > 0


@pytest.mark.parametrize("call,error,message", [
    (lambda: init.xavier_uniform_(big((5,))), ValueError, "rank >= 2"),
    (lambda: init.kaiming_normal_(big((0, 3))), ValueError, "zero fan"),
    (lambda: init.kaiming_uniform_(big((3, 3)), nonlinearity="swish"), ValueError, "unknown nonlinearity"),
    (lambda: init.kaiming_uniform_(big((3, 3)), mode="fan"), ValueError, "unknown mode"),
    (lambda: init.uniform_(gs.Tensor(np.zeros(3, dtype=np.int64))), TypeError, "float32 or float64"),
    (lambda: init.uniform_(big((3,)), 2, 1), ValueError, "low <= high"),
    (lambda: init.normal_(big((3,)), 0, -1), ValueError, "std >= 0"),
    (lambda: init.calculate_gain("selu"), ValueError, "unknown nonlinearity"),
])
def test_init_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_no_handles_leak_from_modules():
    before = live_handles()
    for _ in range(10):
        net = build(nn, gs)
        net(gs.Tensor(np.ones(3))).sum().backward()
        net.state_dict()
    del net
    assert live_handles() == before


def test_reset_parameters_redraws_as_the_constructor_did():
    gs.manual_seed(11)
    layer = nn.Linear(30, 20, dtype=np.float32)
    first = layer.state_dict()
    layer.weight.data[...] = 0
    gs.manual_seed(11)
    layer.reset_paramters()  # PyDyNet's spelling of reset_parameters
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value, first[name])

    bn = nn.BatchNorm1d(3)
    bn(gs.Tensor(np.random.default_rng(0).standard_normal((8, 3)))).sum().backward()
    bn.reset_parameters()
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))

    gru = nn.GRU(2, 4, num_layers=2)
    before = [p.numpy().copy() for p in gru.parameters()]
    gru.reset_parameters()
    after = [p.numpy() for p in gru.parameters()]
    assert all(np.abs(a).max() <= 0.5 for a in after)  # U(-1/sqrt(4), 1/sqrt(4))
    assert not any(np.array_equal(a, b) for a, b in zip(before, after))

    emb = nn.Embedding(5, 3, padding_idx=1)
    emb.weight.data[...] = 7
    emb.reset_parameters()
    np.testing.assert_array_equal(emb.weight.numpy()[1], np.zeros(3))
    assert np.abs(emb.weight.numpy()).max() < 7


# ---- PyTorch's Module API: sub-modules, buffers, apply, zero_grad, requires_grad_ ---------------

class Leaf(nn.Module):
    """A module with one parameter, for the registration tests."""

    def __init__(self, value=1.0):
        super().__init__()
        self.w = nn.Parameter(gs.Tensor(np.full(2, value)))

    def forward(self, x):
        return x * self.w


def test_add_module_registers_like_an_attribute():
    net = nn.Module()
    leaf = Leaf()
    net.add_module("leaf", leaf)
    assert net.leaf is leaf and [n for n, _ in net.named_parameters()] == ["leaf.w"]
    net.register_module("other", Leaf())
    assert [n for n, _ in net.named_children()] == ["leaf", "other"]
    replacement = Leaf(2.0)
    net.add_module("leaf", replacement)  # a sub-module may be replaced
    assert net.leaf is replacement and list(net.children()) == [replacement, net.other]
    net.add_module("slot", None)  # a placeholder, skipped everywhere
    assert net.slot is None and [n for n, _ in net.named_modules()] == ["", "leaf", "other"]
    net.add_module("slot", Leaf())
    assert [n for n, _ in net.named_children()] == ["leaf", "other", "slot"]


@pytest.mark.parametrize("name,module,error,message", [
    ("x", gs.Tensor(1.0), TypeError, "Tensor is not a Module subclass"),
    ("x", 3, TypeError, "int is not a Module subclass"),
    (1, Leaf(), TypeError, "module name must be a str, got int"),
    ("", Leaf(), KeyError, "module name cannot be empty"),
    ("a.b", Leaf(), KeyError, "module name cannot contain '.', got 'a.b'"),
    ("w", Leaf(), KeyError, "attribute 'w' already exists"),        # a Parameter
    ("note", Leaf(), KeyError, "attribute 'note' already exists"),  # a plain attribute
    ("forward", Leaf(), KeyError, "attribute 'forward' already exists"),  # a method
    ("training", Leaf(), KeyError, "attribute 'training' already exists"),  # a property
])
def test_add_module_errors_follow_pytorch(name, module, error, message):
    leaf = Leaf()
    leaf.note = "text"
    with pytest.raises(error, match=message):
        leaf.add_module(name, module)
    assert [n for n, _ in leaf.named_modules()] == [""] and leaf.note == "text"


def test_register_buffer_and_buffers():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Leaf()
            self.register_buffer("count", gs.Tensor(np.zeros(3)))
            self.register_buffer("scratch", gs.Tensor(np.ones(2)), persistent=False)
            self.register_buffer("later", None)

    net = nn.Module()
    net.add_module("counter", Counter())
    net.register_buffer("total", gs.Tensor(np.int64(5)))
    counter = net.counter
    assert [n for n, _ in net.named_buffers()] == ["counter.count", "counter.scratch", "total"]
    assert [n for n, _ in counter.named_buffers(prefix="c")] == ["c.count", "c.scratch"]
    assert [b.shape for b in net.buffers(recurse=False)] == [()]
    assert [n for n, _ in net.named_parameters()] == ["counter.inner.w"]  # buffers are not parameters
    # Persistent buffers are saved next to the parameters, in attribute order; others are not.
    assert list(net.state_dict()) == ["counter.inner.w", "counter.count", "total"]
    counter.later = gs.Tensor(np.full(2, 7.0))  # assigning replaces the buffer
    counter.count = gs.Tensor(np.arange(3.0))
    assert list(net.state_dict()) == ["counter.inner.w", "counter.count", "counter.later", "total"]
    np.testing.assert_array_equal(net.state_dict()["counter.count"], [0, 1, 2])
    counter.register_buffer("count", gs.Tensor(np.ones(3)))  # registering again replaces too
    np.testing.assert_array_equal(counter.count.numpy(), np.ones(3))


def test_persistent_buffers_round_trip_through_load_state_dict():
    def model():
        net = Leaf()
        net.register_buffer("mean", gs.Tensor(np.zeros(2)))
        net.register_buffer("cache", gs.Tensor(np.zeros(2)), persistent=False)
        return net

    a, b = model(), model()
    a.mean.data[...] = [3.0, 4.0]
    a.cache.data[...] = [9.0, 9.0]
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.mean.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(b.cache.numpy(), [0.0, 0.0])
    state = a.state_dict()
    del state["mean"]
    with pytest.raises(KeyError, match="missing keys \\['mean'\\]"):
        b.load_state_dict(state)
    state["mean"] = np.zeros(3)
    with pytest.raises(ValueError, match="'mean' has shape \\(2,\\), the checkpoint has \\(3,\\)"):
        b.load_state_dict(state)
    np.testing.assert_array_equal(b.mean.numpy(), [3.0, 4.0])


@pytest.mark.parametrize("name,tensor,error,message", [
    ("b", np.zeros(2), TypeError, "cannot make a ndarray the buffer 'b' \\(a Tensor or None is required\\)"),
    ("b", 1.5, TypeError, "cannot make a float the buffer 'b'"),
    (None, gs.Tensor(1.0), TypeError, "buffer name must be a str, got NoneType"),
    ("", gs.Tensor(1.0), KeyError, "buffer name cannot be empty"),
    ("a.b", gs.Tensor(1.0), KeyError, "buffer name cannot contain '.'"),
    ("w", gs.Tensor(1.0), KeyError, "attribute 'w' already exists"),
    ("eval", gs.Tensor(1.0), KeyError, "attribute 'eval' already exists"),
])
def test_register_buffer_errors_follow_pytorch(name, tensor, error, message):
    leaf = Leaf()
    with pytest.raises(error, match=message):
        leaf.register_buffer(name, tensor)
    assert list(leaf.buffers()) == [] and isinstance(leaf.w, nn.Parameter)


def test_batch_norm_running_statistics_are_buffers_and_stay_parameters():
    bn = nn.BatchNorm1d(3)
    # PyDyNet's frozen Parameters (its tests and checkpoints keep them) and PyTorch's buffers.
    assert [n for n, _ in bn.named_parameters()] == ["running_mean", "running_var", "scale", "shift"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var"]
    assert next(bn.buffers()) is bn.running_mean
    assert list(bn.state_dict()) == ["running_mean", "running_var", "scale", "shift"]
    net = nn.Sequential(nn.Linear(2, 3), bn)
    assert [n for n, _ in net.named_buffers()] == ["1.running_mean", "1.running_var"]
    # requires_grad_ freezes and unfreezes parameters, never the running statistics.
    assert net.requires_grad_(False) is net
    assert list(net.parameters()) == []
    net.requires_grad_()
    assert [p.shape for p in net.parameters()] == [(2, 3), (3,), (3,), (3,)]
    assert not bn.running_mean.requires_grad and not bn.running_var.requires_grad


def test_apply_visits_children_before_their_parent():
    inner = Leaf()
    net = nn.Sequential(OrderedDict([("a", Leaf()), ("b", nn.Sequential(OrderedDict([("inner", inner)]))),
                                     ("c", Leaf())]))
    names = {id(m): n for n, m in net.named_modules()}
    visited = []
    assert net.apply(lambda m: visited.append(names[id(m)])) is net
    assert visited == ["a", "b.inner", "b", "c", ""]

    def fill(module):
        if isinstance(module, Leaf):
            init.constant_(module.w, 3.0)

    net.apply(fill)
    assert all(np.array_equal(p.numpy(), [3.0, 3.0]) for p in net.parameters())


def test_named_modules_and_children_yield_a_shared_module_once():
    shared = Leaf()
    net = nn.Module()
    net.add_module("first", shared)
    net.add_module("block", nn.Sequential(shared, Leaf()))
    net.add_module("again", shared)
    assert [n for n, _ in net.named_modules()] == ["", "first", "block", "block.1"]
    assert [n for n, _ in net.named_modules(prefix="net")] == ["net", "net.first", "net.block", "net.block.1"]
    every = [n for n, _ in net.named_modules(remove_duplicate=False)]
    assert every == ["", "first", "block", "block.0", "block.1", "again"]
    assert list(net.modules()) == [net, shared, net.block, net.block[1]]
    assert [n for n, _ in net.named_children()] == ["first", "block"]
    assert list(net.children()) == [shared, net.block]
    assert [n for n, _ in net.named_parameters()] == ["first.w", "block.1.w"]
    assert [n for n, _ in net.named_parameters(remove_duplicate=False)] == \
        ["first.w", "block.0.w", "block.1.w", "again.w"]
    assert [n for n, _ in net.block.named_parameters(prefix="block", recurse=False)] == []
    assert [n for n, _ in net.first.named_parameters(prefix="first", recurse=False)] == ["first.w"]


def test_sequential_add_module_extends_and_replaces_in_order():
    double, triple = Leaf(2.0), Leaf(3.0)
    seq = nn.Sequential(Leaf(1.0))
    seq.add_module("double", double)
    assert len(seq) == 2 and seq[1] is double
    np.testing.assert_array_equal(seq(gs.Tensor(np.ones(2))).numpy(), [2.0, 2.0])
    seq.add_module("0", triple)  # replaces the first module in place
    assert list(seq) == [triple, double]
    np.testing.assert_array_equal(seq(gs.Tensor(np.ones(2))).numpy(), [6.0, 6.0])
    seq.add_module("double", None)
    assert list(seq) == [triple] and [n for n, _ in seq.named_parameters()] == ["0.w"]
    holder = nn.ModuleList()
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        holder.append(3)
    assert holder.append(double) is holder and list(holder) == [double]


def test_module_zero_grad_zeroes_every_gradient_in_place():
    net = build(nn, gs)
    net(gs.Tensor(np.array([1.0, -2.0, 0.5]))).sum().backward()
    views = {n: p.grad for n, p in net.named_parameters() if p.requires_grad}
    assert all(np.abs(g).sum() > 0 for g in views.values())
    for set_to_none in (True, False):
        net(gs.Tensor(np.ones(3))).sum().backward()
        net.zero_grad(set_to_none=set_to_none)
        # The engine keeps each leaf's gradient buffer: zeros, never None (see the docstring).
        for name, p in net.named_parameters():
            if p.requires_grad:
                assert p.grad is views[name] and not p.grad.any()
    net.zero_grad()


def test_module_utilities_release_their_handles():
    before = live_handles()
    for _ in range(5):
        net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
        net.register_buffer("steps", gs.Tensor(np.zeros(1)))
        net(gs.Tensor(np.ones((4, 3)))).sum().backward()
        net.apply(lambda m: None).requires_grad_(False).requires_grad_(True).zero_grad()
        list(net.named_buffers()), list(net.named_modules())
        net.load_state_dict(net.state_dict())
    del net
    assert live_handles() == before
