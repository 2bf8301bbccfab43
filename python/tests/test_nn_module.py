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
