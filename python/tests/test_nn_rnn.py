"""RNN, LSTM, GRU and their cells against PyDyNet 1.1 with the same weights: outputs, final
states, and the gradients of the inputs, initial states and every parameter through the loss
``sum(w_k * out_k)`` over all outputs; parameter names and order, reprs, errors.

PyDyNet always runs in float64 on the same values (float32 ones cast exactly), so the float32
tolerance measures gradswift's own rounding: PyDyNet's float32 rounding is of the same size,
and on cancelling sums of a few dozen products the two together exceed 1e-5.
"""
import gc

import numpy as np
import pytest

import gradswift as gs
import pydynet.nn as pnn
from helpers import assert_close, pdn, randn, reset_reference, weight

T, B, I, H = 4, 3, 3, 5
DTYPES = [np.float32, np.float64]

_LAYER_KW = {"RNN": {}, "RNN-relu": {"nonlinearity": "relu"}, "LSTM": {}, "GRU": {}}
_CELL_KW = {"RNNCell": {}, "RNNCell-relu": {"nonlinearity": "relu"}, "LSTMCell": {}, "GRUCell": {}}


def build(name, kwargs, *args, ref_changes=(), **more):
    """The same layer in gradswift and PyDyNet (with ``ref_changes`` to its keyword arguments),
    PyDyNet's parameters copied from gradswift's."""
    cls = name.split("-")[0]
    ours = getattr(gs.nn, cls)(*args, **kwargs, **more)
    ref = getattr(pnn, cls)(*args, **kwargs, **{**more, **dict(ref_changes), "dtype": np.float64})
    names = [n for n, _ in ours.named_parameters()]
    assert names == list(ref._parameters), "parameter names and order must be PyDyNet's"
    for n, p in ours.named_parameters():
        target = ref._parameters[n]
        assert target.shape == p.shape and p.numpy().dtype == np.dtype(more.get("dtype", np.float64))
        target.data[...] = p.numpy()
    return ours, ref


def flatten(out):
    """The tensors of a (possibly nested) output tuple, in order."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in flatten(o)]
    return [out]


def run_both(ours, ref, arrays, call, ref_batch_axis=None):
    """Runs ``call(module, *tensors)`` on both, back-propagates ``sum(w_k * out_k)`` and returns
    ((values, input grads, parameter grads) for gradswift, the same for PyDyNet).

    With ``ref_batch_axis``, PyDyNet gets the unbatched arrays as a batch of one (a size-1 axis
    inserted there) and its values and gradients are squeezed back: its LSTM and GRU cells fail
    on unbatched inputs, which PyTorch accepts and which equal a batch of one."""
    results = []
    for mod, model in ((gs, ours), (pdn, ref)):
        if mod is pdn:
            reset_reference()
        lift = mod is pdn and ref_batch_axis is not None
        cast = np.float64 if mod is pdn else arrays[0].dtype
        tensors = [mod.Tensor((np.expand_dims(a, ref_batch_axis) if lift else a).astype(cast), requires_grad=True)
                   for a in arrays]
        outs = flatten(call(model, *tensors))
        loss = None
        for k, o in enumerate(outs):
            term = (o * mod.Tensor(weight(o.shape, arrays[0].dtype, seed=100 + k).astype(cast))).sum()
            loss = term if loss is None else loss + term
        loss.backward()
        values = [np.array(o.numpy() if mod is gs else o.data) for o in outs]
        grads = [np.array(t.grad) for t in tensors]
        if lift:
            values = [np.squeeze(v, ref_batch_axis) for v in values]
            grads = [np.squeeze(g, ref_batch_axis) for g in grads]
        params = ours.named_parameters() if mod is gs else ref._parameters.items()
        pgrads = {n: np.array(p.grad) for n, p in params}
        results.append((values, grads, pgrads))
    return results


def compare(ours, ref, dtype):
    """Values and gradients within ``dtype``'s tolerance; ours are all of ``dtype``."""
    (v1, g1, p1), (v2, g2, p2) = ours, ref
    assert len(v1) == len(v2) and p1.keys() == p2.keys()
    pairs = list(zip(v1, v2)) + list(zip(g1, g2)) + [(p1[n], p2[n]) for n in p1]
    for a, b in pairs:
        assert a.dtype == dtype
        assert_close(a, b, dtype, check_dtype=False)


# ---- cells -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(_CELL_KW))
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_matches_pydynet(name, dtype, batched, with_state, bias):
    ours, ref = build(name, _CELL_KW[name], I, H, bias=bias, dtype=dtype)
    xshape, sshape = ((B, I), (B, H)) if batched else ((I,), (H,))
    arrays = [randn(xshape, dtype, seed=1)]
    lstm = name == "LSTMCell"
    if with_state:
        arrays.append(randn(sshape, dtype, seed=2))
        if lstm:
            arrays.append(randn(sshape, dtype, seed=3))

    def call(model, x, *states):
        if not states:
            return model(x)
        return model(x, tuple(states)) if lstm else model(x, states[0])

    # PyDyNet's LSTMCell and GRUCell fail on an unbatched (1-D) input: compare with a batch of one.
    lifted = not batched and name in ("LSTMCell", "GRUCell")
    results = run_both(ours, ref, arrays, call, ref_batch_axis=0 if lifted else None)
    compare(*results, dtype)
    shape = results[0][0][0].shape
    assert shape == sshape and results[0][0][0].dtype == dtype
    assert len(results[0][0]) == (2 if lstm else 1)


@pytest.mark.parametrize("name", list(_CELL_KW))
def test_cell_repeated_steps_match_pydynet(name):
    """Three chained steps, the state of one feeding the next."""
    dtype = np.float64
    ours, ref = build(name, _CELL_KW[name], I, H, dtype=dtype)
    arrays = [randn((B, I), dtype, seed=s) for s in range(3)]
    lstm = name == "LSTMCell"

    def call(model, *xs):
        state = None
        outs = []
        for x in xs:
            state = model(x) if state is None else model(x, state)
            outs.append(state)
        return outs

    compare(*run_both(ours, ref, arrays, call), dtype)
    if lstm:
        assert isinstance(ours(gs.Tensor(arrays[0])), tuple)


# ---- layers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(_LAYER_KW))
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_matches_pydynet(name, dtype, num_layers, bidirectional, batch_first, with_state):
    ours, ref = build(name, _LAYER_KW[name], I, H, num_layers=num_layers, bidirectional=bidirectional,
                      batch_first=batch_first, dtype=dtype)
    d = 2 if bidirectional else 1
    arrays = [randn((B, T, I) if batch_first else (T, B, I), dtype, seed=1)]
    lstm = name == "LSTM"
    if with_state:
        # As PyDyNet: initial states are (L * D, batch, hidden) even with batch_first.
        arrays.append(randn((num_layers * d, B, H), dtype, seed=2))
        if lstm:
            arrays.append(randn((num_layers * d, B, H), dtype, seed=3))

    def call(model, x, *states):
        if not states:
            return model(x)
        return model(x, tuple(states)) if lstm else model(x, states[0])

    results = run_both(ours, ref, arrays, call)
    compare(*results, dtype)
    values = results[0][0]
    out_shape = (B, T, d * H) if batch_first else (T, B, d * H)
    state_shape = (B, num_layers * d, H) if batch_first else (num_layers * d, B, H)
    assert [v.shape for v in values] == [out_shape] + [state_shape] * (2 if lstm else 1)


@pytest.mark.parametrize("name", list(_LAYER_KW))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_layer_split_over_cores_matches_pydynet(name, batch_first, with_state):
    """A sequence long and wide enough that the engine runs the batch in one chunk per core
    (each chunk through every step, its own share of dWh summed at the end); an odd number of
    steps, for the GRU's swapped carry buffers."""
    batch, steps, hidden = 160, 41, 16
    ours, ref = build(name, _LAYER_KW[name], I, hidden, bidirectional=True, batch_first=batch_first,
                      dtype=np.float64)
    arrays = [randn((batch, steps, I) if batch_first else (steps, batch, I), np.float64, seed=4)]
    lstm = name == "LSTM"
    if with_state:
        arrays += [randn((2, batch, hidden), np.float64, seed=5 + k) for k in range(2 if lstm else 1)]

    def call(model, x, *states):
        if not states:
            return model(x)
        return model(x, tuple(states)) if lstm else model(x, states[0])

    compare(*run_both(ours, ref, arrays, call), np.float64)


@pytest.mark.parametrize("name", list(_LAYER_KW))
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_unbatched_layer_matches_pydynet(name, bidirectional, with_state):
    """A 2-D input (seq_len, input_size) is one unbatched sequence (batch_first is ignored, as
    in PyDyNet). PyDyNet's LSTM and GRU fail on it: their reference is a batch of one."""
    dtype = np.float64
    lifted = name in ("LSTM", "GRU")
    ours, ref = build(name, _LAYER_KW[name], I, H, num_layers=2, bidirectional=bidirectional,
                      batch_first=True, dtype=dtype, ref_changes={"batch_first": not lifted})
    d = 2 if bidirectional else 1
    arrays = [randn((T, I), dtype, seed=4)]
    lstm = name == "LSTM"
    if with_state:
        arrays += [randn((2 * d, H), dtype, seed=5 + k) for k in range(2 if lstm else 1)]

    def call(model, x, *states):
        if not states:
            return model(x)
        return model(x, tuple(states)) if lstm else model(x, states[0])

    results = run_both(ours, ref, arrays, call, ref_batch_axis=1 if lifted else None)
    compare(*results, dtype)
    assert results[0][0][0].shape == (T, d * H) and results[0][0][1].shape == (2 * d, H)


def test_output_structure():
    x = gs.Tensor(randn((T, B, I), np.float32))
    out, h = gs.nn.GRU(I, H, dtype=np.float32)(x)
    assert out.shape == (T, B, H) and h.shape == (1, B, H) and out.dtype == np.float32
    out, (h, c) = gs.nn.LSTM(I, H)(x.numpy().astype(np.float64))
    assert out.shape == (T, B, H) and h.shape == c.shape == (1, B, H)
    h, c = gs.nn.LSTMCell(I, H)(gs.Tensor(randn((B, I))))
    assert h.shape == c.shape == (B, H)
    # The last output step of a forward network is its final state.
    gru = gs.nn.GRU(I, H, num_layers=2, batch_first=True)
    out, h = gru(gs.Tensor(randn((B, T, I))))
    np.testing.assert_array_equal(out.numpy()[:, -1], h.numpy()[:, -1])


def test_ts_prediction_model_shape():
    """The PyDyNet time-series script: GRU(1, 32, batch_first) whose last-layer final state
    feeds a Linear-like head."""
    gru = gs.nn.GRU(input_size=1, hidden_size=32, num_layers=1, batch_first=True, dtype=np.float32)
    x = gs.Tensor(randn((16, 40, 1), np.float32))
    out, h = gru(x)
    assert out.shape == (16, 40, 32) and h.shape == (16, 1, 32)
    head = gs.Tensor(randn((32, 1), np.float32), requires_grad=True)
    loss = (h[:, -1] @ head).sum()
    loss.backward()
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in gru.parameters())


def test_cells_share_parameters_with_the_layer():
    gru = gs.nn.GRU(I, H, num_layers=2, bidirectional=True)
    assert [type(c).__name__ for c in gru.GRUCells + gru.rGRUCells] == ["GRUCell"] * 4
    assert gru.gru_1.input_size == H and gru.rgru_0.input_size == I
    x = gs.Tensor(randn((T, B, I)))
    before = gru(x)[0].numpy().copy()
    gru.rgru_1.Wh2.data[...] = 0.0  # in-place edit reaches the layer's engine
    assert not np.allclose(gru(x)[0].numpy(), before)
    gru.gru_0.Wx1 = gs.nn.Parameter(gs.Tensor(np.zeros((I, 2 * H))))  # replacement too
    np.testing.assert_array_equal(gru.gru_0.Wx1.numpy(), 0.0)
    assert gru.state_dict()["gru_0.Wx1"].shape == (I, 2 * H)
    cell_out = gru.gru_0(gs.Tensor(randn((B, I))))  # a layer's cell runs on its own
    assert cell_out.shape == (B, H)


def test_bias_false_and_parameter_shapes():
    lstm = gs.nn.LSTM(I, H, num_layers=2, bias=False)
    assert [(n, p.shape) for n, p in lstm.named_parameters()] == [
        ("lstm_0.Wx", (I, 4 * H)), ("lstm_0.Wh", (H, 4 * H)), ("lstm_1.Wx", (H, 4 * H)), ("lstm_1.Wh", (H, 4 * H))]
    gru = gs.nn.GRUCell(I, H)
    assert [(n, p.shape) for n, p in gru.named_parameters()] == [
        ("Wx1", (I, 2 * H)), ("Wh1", (H, 2 * H)), ("Wx2", (I, H)), ("Wh2", (H, H)), ("bias1", (2 * H,)), ("bias2", (H,))]


def test_default_initialisation_bounds():
    gs.manual_seed(0)
    rnn = gs.nn.RNN(I, 64, num_layers=2, bidirectional=True, dtype=np.float32)
    bound = 1 / np.sqrt(64)
    for _, p in rnn.named_parameters():
        a = p.numpy()
        assert a.dtype == np.float32 and np.abs(a).max() <= bound and np.abs(a).max() > 0.9 * bound
    cell = gs.nn.LSTMCell(I, 16)
    old = cell.Wx.numpy().copy()
    cell.reset_paramters()
    assert not np.array_equal(cell.Wx.numpy(), old) and np.abs(cell.Wx.numpy()).max() <= 0.25


@pytest.mark.parametrize("args", [
    ("RNN", (I, H), dict(num_layers=2, nonlinearity="relu", bias=False, batch_first=True, bidirectional=True)),
    ("RNN", (I, H), {}),
    ("LSTM", (I, H), dict(num_layers=3, batch_first=True)),
    ("GRU", (1, 32), dict(num_layers=1, batch_first=True)),
    ("RNNCell", (I, H), dict(bias=False, nonlinearity="relu")),
    ("RNNCell", (I, H), {}),
    ("LSTMCell", (I, H), dict(bias=False)),
    ("GRUCell", (I, H), {}),
])
def test_repr_matches_pydynet(args):
    name, positional, kwargs = args
    assert repr(getattr(gs.nn, name)(*positional, **kwargs)) == repr(getattr(pnn, name)(*positional, **kwargs))


def test_repr_inside_a_model():
    class Model(gs.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = gs.nn.GRU(1, 8, batch_first=True)

    assert repr(Model()) == "Model(\n       gru : GRU(1, 8, num_layers=1, bias=True, batch_first=True, bidirectional=False)\n)"


def test_training_step_reduces_loss():
    gs.manual_seed(1)
    gru = gs.nn.GRU(1, 8, batch_first=True, dtype=np.float32)
    t = np.linspace(0, 6, 200, dtype=np.float32)
    series = np.sin(t)
    windows = np.stack([series[i:i + 10] for i in range(150)])[..., None]
    targets = series[10:160][:, None]
    head = gs.nn.Parameter(gs.Tensor(randn((8, 1), np.float32) * 0.3))
    params = list(gru.parameters()) + [head]
    opt = gs.optim.Adam(params, lr=0.02)
    losses = []
    for _ in range(30):
        _, h = gru(gs.Tensor(windows))
        pred = h[:, -1] @ head
        loss = ((pred - gs.Tensor(targets)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_no_grad_forward_builds_no_graph():
    lstm = gs.nn.LSTM(I, H)
    with gs.no_grad():
        out, (h, c) = lstm(gs.Tensor(randn((T, B, I)), requires_grad=True))
    assert not out.requires_grad and not h.requires_grad and not c.requires_grad


def test_retain_graph_accumulates_twice():
    lstm = gs.nn.LSTM(I, H, num_layers=2)
    x = gs.Tensor(randn((T, B, I)), requires_grad=True)
    out, (h, c) = lstm(x)
    loss = out.sum() + (c * c).sum()
    loss.backward(retain_graph=True)
    once = x.grad.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad, 2 * once, rtol=1e-12)


def test_no_handle_leak(handle_counter):
    before = handle_counter()
    for cls in (gs.nn.RNN, gs.nn.LSTM, gs.nn.GRU):
        m = cls(I, H, num_layers=2, bidirectional=True)
        out = m(gs.Tensor(randn((T, B, I)), requires_grad=True))
        flatten(out)[0].sum().backward()
        del m, out
    gc.collect()
    assert handle_counter() == before


# ---- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, call, exc, message", [
    (lambda: gs.nn.GRU(I, H), lambda m: m(np.zeros((T, B, I, 1))), ValueError, "must be 2-D"),
    (lambda: gs.nn.GRU(I, H), lambda m: m(np.zeros((T,))), ValueError, "must be 2-D"),
    (lambda: gs.nn.GRU(I, H), lambda m: m(np.zeros((T, B, I + 1))), ValueError, "expected input_size 3"),
    (lambda: gs.nn.GRU(I, H), lambda m: m(np.zeros((0, B, I))), ValueError, "sequence length"),
    (lambda: gs.nn.GRU(I, H), lambda m: m(np.zeros((T, B, I), np.int64)), TypeError,
     "GRU: input must be float16, float32 or float64, got int64"),
    (lambda: gs.nn.GRU(I, H), lambda m: m(np.zeros((T, B, I)), np.zeros((1, B + 1, H))), ValueError,
     "initial hidden state must have shape (1, 3, 5)"),
    (lambda: gs.nn.GRU(I, H), lambda m: m(np.zeros((T, B, I)), np.zeros((1, B, H), bool)), TypeError,
     "h0 must be float16, float32 or float64, got bool"),
    (lambda: gs.nn.RNN(I, H, bidirectional=True, num_layers=2), lambda m: m(np.zeros((T, B, I)), np.zeros((2, B, H))),
     ValueError, "(4, 3, 5)"),
    (lambda: gs.nn.LSTM(I, H), lambda m: m(np.zeros((T, B, I)), np.zeros((1, B, H))), TypeError, "tuple (h, c)"),
    (lambda: gs.nn.LSTM(I, H), lambda m: m(np.zeros((T, B, I)), (np.zeros((1, B, H)), np.zeros((1, B, 1)))),
     ValueError, "initial cell state"),
    (lambda: gs.nn.RNNCell(I, H), lambda m: m(np.zeros((B, I, 1))), ValueError, "must be 1-D"),
    (lambda: gs.nn.RNNCell(I, H), lambda m: m(np.zeros((B, 2))), ValueError, "expected input_size 3"),
    (lambda: gs.nn.GRUCell(I, H), lambda m: m(np.zeros((B, I)), np.zeros((H,))), ValueError, "hidden state must have shape (3, 5)"),
    (lambda: gs.nn.LSTMCell(I, H), lambda m: m(np.zeros((I,)), (np.zeros((H,)), np.zeros((B, H)))), ValueError,
     "cell state must have shape (5,)"),
    (lambda: gs.nn.LSTMCell(I, H), lambda m: m(np.zeros((B, I)), (np.zeros((B, H)),)), TypeError, "tuple (h, c)"),
    (lambda: gs.nn.GRUCell(I, H), lambda m: m(np.zeros((B, I), np.int64)), TypeError, "int64"),
])
def test_forward_errors(make, call, exc, message):
    m = make()
    with pytest.raises(exc, match=None) as info:
        call(m)
    assert message in str(info.value)


@pytest.mark.parametrize("make, exc, message", [
    (lambda: gs.nn.RNN(I, H, num_layers=0), ValueError, "num_layers must be at least 1"),
    (lambda: gs.nn.GRU(I, 0), ValueError, "hidden_size must be at least 1"),
    (lambda: gs.nn.LSTM(0, H), ValueError, "input_size and hidden_size"),
    (lambda: gs.nn.RNN(I, H, nonlinearity="sigmoid"), ValueError, "unknown nonlinearity"),
    (lambda: gs.nn.RNNCell(I, H, nonlinearity=None), ValueError, "unknown nonlinearity"),
    (lambda: gs.nn.GRUCell(I, H, dtype=np.int64), TypeError, "dtype must be float16, float32 or float64"),
    (lambda: gs.nn.LSTM(I, 2 ** 40), MemoryError, "too large"),
    (lambda: gs.nn.GRU(I, 1 << 20, num_layers=1 << 20), MemoryError, "MB of parameters"),
    (lambda: gs.nn.GRU(I, H, num_layers=2 ** 64), OverflowError, "does not fit in int64"),
    (lambda: gs.nn.GRU(I, 2.5), TypeError, ""),
])
def test_constructor_errors(make, exc, message):
    with pytest.raises(exc) as info:
        make()
    assert message in str(info.value)
