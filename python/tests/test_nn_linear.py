"""Linear, Embedding and Dropout (layers and functional forms): values and gradients against
PyDyNet 1.1 (weights copied between the two) or NumPy where gradswift follows PyTorch, default
initialisation, reprs, dropout masks, and the errors bad arguments give."""
import math

import numpy as np
import pytest

import gradswift as gs
import gradswift.nn as nn
import gradswift.nn.functional as F
from helpers import assert_close, pdn, randn, run, weight
import pydynet.nn as pnn
import pydynet.nn.functional as pF

DTYPES = [np.float32, np.float64]
FUNCTIONAL = {gs: F, pdn: pF}
LAYERS = {gs: nn, pdn: pnn}


# ---- linear -------------------------------------------------------------------------------

LINEAR_CASES = [(x, b) for x in [(4,), (5, 4), (2, 3, 4)] for b in [None, (3,), (1, 3)]
                if not (len(x) == 1 and b == (1, 3))]  # that bias would make the output 2-D


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, bias_shape", LINEAR_CASES, ids=str)
def test_linear_functional_vs_pydynet(x_shape, bias_shape, dtype):
    arrays = [randn(x_shape, dtype, 1), randn((4, 3), dtype, 2)]
    if bias_shape is not None:
        arrays.append(randn(bias_shape, dtype, 3))
    fn = lambda m, x, w, *b: FUNCTIONAL[m].linear(x, w, b[0] if b else None)  # noqa: E731
    w = weight(x_shape[:-1] + (3,), dtype)
    if bias_shape == (1, 3) and len(x_shape) == 3:
        # PyDyNet 1.1 cannot reduce this bias gradient (it sums the wrong axes and fails): NumPy.
        x, W, b = (a.astype(np.float64) for a in arrays)
        w64 = w.astype(np.float64)
        ref_value = (x @ W + b).astype(dtype)
        rows = w64.reshape(-1, 3)
        ref_grads = [w64 @ W.T, x.reshape(-1, 4).T @ rows, rows.sum(0, keepdims=True)]
    else:
        ref_value, ref_grads = run(pdn, fn, arrays, w)
    value, grads = run(gs, fn, arrays, w)
    assert_close(value, ref_value)
    for g, ref in zip(grads, ref_grads):
        assert_close(g, ref.astype(dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_large_matches_numpy(dtype):
    """Sizes large enough for the parallel bias fill and column sums."""
    x, w, b = randn((1000, 70), dtype, 4), randn((70, 90), dtype, 5), randn((90,), dtype, 6)
    g = weight((1000, 90), dtype)
    value, (gx, gw, gb) = run(gs, lambda m, *t: F.linear(*t), [x, w, b], g)
    x64, w64, g64 = (a.astype(np.float64) for a in (x, w, g))
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(value, x64 @ w64 + b, **tol)
    np.testing.assert_allclose(gx, g64 @ w64.T, **tol)
    np.testing.assert_allclose(gw, x64.T @ g64, **tol)
    np.testing.assert_allclose(gb, g64.sum(axis=0), **tol)
    assert value.dtype == gx.dtype == gw.dtype == gb.dtype == dtype


def test_linear_zero_sizes():
    b = np.array([1.0, 2.0, 3.0])
    value, (gx, gw, gb) = run(gs, lambda m, *t: F.linear(*t), [np.zeros((2, 0)), np.zeros((0, 3)), b],
                              np.ones((2, 3)))
    assert_close(value, np.tile(b, (2, 1)))  # an empty product leaves the bias
    assert gx.shape == (2, 0) and gw.shape == (0, 3)
    assert_close(gb, np.array([2.0, 2.0, 2.0]))
    value, (gx, gw) = run(gs, lambda m, *t: F.linear(*t), [np.ones((0, 4)), np.ones((4, 2))], np.ones((0, 2)))
    assert value.shape == (0, 2)
    assert_close(gw, np.zeros((4, 2)))


def test_linear_gradient_of_some_operands_only():
    x, w, b = randn((3, 4), seed=30), randn((4, 2), seed=31), randn((2,), seed=32)
    xt, wt, bt = gs.Tensor(x, requires_grad=True), gs.Tensor(w), gs.Tensor(b)
    (F.linear(xt, wt, bt) * gs.Tensor(weight((3, 2), np.float64))).sum().backward()
    assert_close(xt.grad, weight((3, 2), np.float64) @ w.T)
    assert wt.grad is None and bt.grad is None
    wt.requires_grad = True
    F.linear(gs.Tensor(x), wt, bt).sum().backward()
    assert_close(wt.grad, x.T @ np.ones((3, 2)))
    assert bt.grad is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape", [(4,), (6, 4), (2, 5, 4)], ids=str)
def test_linear_layer_vs_pydynet(x_shape, bias, dtype):
    ours, ref = nn.Linear(4, 3, bias=bias, dtype=dtype), pnn.Linear(4, 3, bias=bias, dtype=dtype)
    ours.weight.data[...] = ref.weight.data  # the engine reads the new values
    if bias:
        ours.bias.data[...] = ref.bias.data
    x = randn(x_shape, dtype, 7)
    w = weight(x_shape[:-1] + (3,), dtype)
    ref_value, (ref_gx,) = run(pdn, lambda m, t: ref(t), [x], w)
    value, (gx,) = run(gs, lambda m, t: ours(t), [x], w)
    assert_close(value, ref_value)
    assert_close(gx, ref_gx.astype(dtype), dtype)  # PyDyNet 1.1 returns a float64 x.grad here
    assert_close(ours.weight.grad, ref.weight.grad)
    if bias:
        assert_close(ours.bias.grad, ref.bias.grad)
    else:
        assert ours.bias is None
    assert [p.shape for p in ours.parameters()] == [p.shape for p in ref.parameters()]


def test_linear_attributes_and_repr():
    for args in [(4, 3), (4, 3, False), (1, 7, True)]:
        ours, ref = nn.Linear(*args), pnn.Linear(*args)
        assert repr(ours) == repr(ref)
        assert (ours.in_features, ours.out_features) == (ref.in_features, ref.out_features)
        assert ours.weight.dtype == np.float64  # dtype None is float64, as PyDyNet
    assert repr(nn.Linear(4, 3)) == "Linear(in_features=4, out_features=3, bias=True)"
    for dt in [np.float32, "float32", np.dtype("f4")]:
        layer = nn.Linear(2, 2, dtype=dt)
        assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert nn.Linear(2, 2, dtype=float).weight.dtype == np.float64


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_default_init_bounds(dtype):
    gs.manual_seed(11)
    layer = nn.Linear(50, 400, dtype=dtype)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    # kaiming_uniform(a=sqrt(5)) with PyDyNet's relu gain and fan_in = in_features = 50
    bound = math.sqrt(2) * math.sqrt(3 / 50)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.01 and w.var() == pytest.approx(bound ** 2 / 3, rel=0.03)
    bias_bound = 1 / math.sqrt(50)
    assert np.abs(b).max() <= bias_bound and np.abs(b).max() > 0.95 * bias_bound
    assert abs(b.mean()) < 0.02
    # PyDyNet's own layer has the same bounds
    ref = pnn.Linear(50, 400)
    assert np.abs(ref.weight.data).max() <= bound and np.abs(ref.bias.data).max() <= bias_bound


def test_linear_init_is_seeded():
    gs.manual_seed(5)
    a = nn.Linear(3, 4).weight.numpy().copy()
    gs.manual_seed(5)
    b = nn.Linear(3, 4).weight.numpy()
    assert np.array_equal(a, b)


def test_reset_parameters():
    layer = nn.Linear(8, 5)
    layer.weight.data[...] = 100
    layer.bias.data[...] = 100
    layer.reset_paramters()  # PyDyNet's spelling of reset_parameters
    assert np.abs(layer.weight.numpy()).max() <= math.sqrt(6 / 8)
    assert np.abs(layer.bias.numpy()).max() <= 1 / math.sqrt(8)
    table = nn.Embedding(6, 3, padding_idx=2)
    table.weight.data[...] = 100
    table.reset_parameters()
    assert np.all(table.weight.numpy()[2] == 0) and np.abs(table.weight.numpy()).max() < 10


def test_linear_assigned_parameter_is_used():
    layer = nn.Linear(2, 2)
    layer.weight = nn.Parameter(gs.Tensor(np.eye(2)))
    layer.bias.data[...] = 0
    assert_close(layer(gs.Tensor(np.array([[1.0, 2.0]]))).numpy(), np.array([[1.0, 2.0]]))


# ---- embedding ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("index_shape", [(5,), (2, 3), (2, 2, 3)], ids=str)
def test_embedding_functional_vs_pydynet(index_shape, padding_idx, dtype):
    table = randn((6, 4), dtype, 8)
    if padding_idx is not None:
        table[padding_idx] = 0  # where PyDyNet's masking and PyTorch's semantics agree
    indices = np.random.default_rng(9).integers(0, 6, index_shape)
    indices.flat[:3] = [2, 2, 5]  # repeated rows and the padding row
    w = weight(index_shape + (4,), dtype)

    def fn(m, t):
        return FUNCTIONAL[m].embedding(m.Tensor(indices), t, padding_idx)

    ref_value, (ref_grad,) = run(pdn, fn, [table], w)
    value, (grad,) = run(gs, fn, [table], w)
    assert_close(value, ref_value)
    # PyDyNet 1.1 counts a repeated index once in the gradient (`grad[x] += g` without
    # np.add.at); rows looked up once agree with it, and the whole gradient with NumPy.
    expected = scatter_rows(indices, w, table.shape, padding_idx)
    once = [r for r in range(6) if np.sum(indices == r) <= 1]
    assert_close(grad[once], ref_grad[once].astype(dtype), dtype)
    assert_close(grad, expected.astype(dtype), dtype)


def scatter_rows(indices, w, shape, padding_idx=None):
    """NumPy reference of the table gradient: rows of ``w`` added at ``indices``, none to padding."""
    expected = np.zeros(shape)
    np.add.at(expected, indices, np.asarray(w, dtype=np.float64))
    if padding_idx is not None:
        expected[padding_idx] = 0
    return expected


@pytest.mark.parametrize("padding_idx", [1, -3])
def test_embedding_padding_follows_pytorch(padding_idx):
    """PyDyNet zeroes the output at padding positions by a mask; gradswift follows PyTorch: the
    output is the padding row as it is, and that row gets no gradient. NumPy reference."""
    table = randn((4, 3), seed=10)  # a nonzero padding row shows the difference
    indices = np.array([[1, 0], [3, 1]])
    w = weight((2, 2, 3), np.float64)
    value, (grad,) = run(gs, lambda m, t: F.embedding(indices, t, padding_idx), [table], w)
    assert_close(value, table[indices])
    assert_close(grad, scatter_rows(indices, w, (4, 3), 1))


def test_embedding_large_matches_numpy():
    """Enough indices for the parallel gather and scatter."""
    table = randn((50, 16), seed=11)
    indices = np.random.default_rng(12).integers(0, 50, (20000,))
    w = weight((20000, 16), np.float64)
    value, (grad,) = run(gs, lambda m, t: F.embedding(indices, t), [table], w)
    assert_close(value, table[indices])
    assert_close(grad, scatter_rows(indices, w, (50, 16)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_layer_vs_pydynet(dtype):
    ours = nn.Embedding(7, 3, padding_idx=0, dtype=dtype)
    ref = pnn.Embedding(7, 3, padding_idx=0, dtype=dtype)
    ref.weight.data[...] = ours.weight.data  # PyDyNet leaves its table uninitialised
    indices = np.array([[0, 6, 2], [2, 0, 1]])
    w = weight((2, 3, 3), dtype)
    ref_value, _ = run(pdn, lambda m: ref(m.Tensor(indices)), [], w)
    value, _ = run(gs, lambda m: ours(m.Tensor(indices)), [], w)
    assert_close(value, ref_value)
    assert_close(ours.weight.grad, scatter_rows(indices, w, (7, 3), 0).astype(dtype), dtype)
    assert_close(ours.weight.grad[[1, 6]], ref.weight.grad[[1, 6]])  # rows used once (see above)


def test_embedding_attributes_and_init():
    gs.manual_seed(13)
    layer = nn.Embedding(2000, 8, padding_idx=-1)
    assert (layer.num_embeddings, layer.num_embedding, layer.embedding_dim) == (2000, 2000, 8)
    assert layer.padding_idx == 1999  # normalised, as PyTorch
    table = layer.weight.numpy()
    assert table.dtype == np.float64 and table.shape == (2000, 8)
    assert np.all(table[1999] == 0)
    assert abs(table[:-1].mean()) < 0.03 and table[:-1].std() == pytest.approx(1, abs=0.03)
    # PyDyNet prints an empty container for this layer; gradswift prints PyTorch's repr
    assert repr(layer) == "Embedding(2000, 8, padding_idx=1999)"
    assert repr(nn.Embedding(3, 2)) == "Embedding(3, 2)"
    assert nn.Embedding(3, 2).padding_idx is None
    assert nn.Embedding(3, 2, dtype=np.float32).weight.dtype == np.float32


def test_embedding_accepts_lists_and_empty_indices():
    layer = nn.Embedding(3, 2)
    assert_close(layer([2, 0]).numpy(), layer.weight.numpy()[[2, 0]])
    assert layer(np.zeros((0, 4), dtype=np.int64)).shape == (0, 4, 2)


# ---- dropout ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_mask_statistics_and_scale(p, dtype):
    gs.manual_seed(21)
    out = F.dropout(gs.Tensor(np.ones(200000, dtype=dtype)), p).numpy()
    assert out.dtype == dtype
    dropped = np.mean(out == 0)
    assert dropped == pytest.approx(p, abs=0.005)
    kept = out[out != 0]
    np.testing.assert_allclose(kept, np.full(kept.shape, 1 / (1 - p), dtype=dtype), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_gradient_is_mask_times_scale(dtype):
    x = randn((30, 40), dtype, 22)
    w = weight((30, 40), dtype)
    value, (grad,) = run(gs, lambda m, t: F.dropout(t, 0.4), [x], w)
    kept = value != 0
    assert 0.3 < 1 - kept.mean() < 0.5
    assert_close(value, np.where(kept, x / dtype(0.6), 0).astype(dtype))
    assert_close(grad, np.where(kept, w / dtype(0.6), 0).astype(dtype))


def test_dropout_is_reproducible_under_manual_seed():
    x = gs.Tensor(np.ones((50, 50)))
    gs.manual_seed(3)
    a = F.dropout(x, 0.5).numpy().copy()
    b = F.dropout(x, 0.5).numpy().copy()
    gs.manual_seed(3)
    c = nn.Dropout(0.5)(x).numpy()
    assert np.array_equal(a, c)
    assert not np.array_equal(a, b)


def test_dropout_identity_cases():
    x = randn((4, 5), seed=23)
    layer = nn.Dropout(0.7)
    layer.eval()
    for out in [layer(gs.Tensor(x)), F.dropout(gs.Tensor(x), 0.7, training=False),
                F.dropout(gs.Tensor(x), 0.0)]:
        assert_close(out.numpy(), x)
    layer.train()
    assert np.mean(layer(gs.Tensor(np.ones(1000))).numpy() == 0) > 0.5
    # gradient through the identity
    value, (grad,) = run(gs, lambda m, t: F.dropout(t, 0.5, training=False), [x], weight((4, 5), np.float64))
    assert_close(grad, weight((4, 5), np.float64))


def test_dropout_p_one_gives_zeros():
    """PyDyNet asserts p < 1; PyTorch allows p == 1 and returns zeros, as gradswift does."""
    x = randn((3, 4), seed=24)
    value, (grad,) = run(gs, lambda m, t: F.dropout(t, 1.0), [x], weight((3, 4), np.float64))
    assert_close(value, np.zeros((3, 4)))
    assert_close(grad, np.zeros((3, 4)))
    assert_close(nn.Dropout(1.0)(gs.Tensor(x)).numpy(), np.zeros((3, 4)))


def test_dropout_repr_and_attributes():
    for p in [0.5, 0.3, 0.25]:
        assert repr(nn.Dropout(p)) == repr(pnn.Dropout(p))
        assert nn.Dropout(p).p == p
    assert repr(nn.Dropout()) == "Dropout(p=0.5)"
    assert list(nn.Dropout().parameters()) == []


# ---- errors -------------------------------------------------------------------------------

def test_linear_errors():
    x, w = gs.Tensor(np.ones((2, 4))), gs.Tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"linear: input has 5 features .* in_features = 4"):
        F.linear(gs.Tensor(np.ones((2, 5))), w)
    with pytest.raises(ValueError, match="in_features = 4"):
        nn.Linear(4, 3)(gs.Tensor(np.ones((2, 3))))
    with pytest.raises(TypeError, match="linear: input must be float16, float32 or float64, got int64"):
        F.linear(gs.Tensor(np.ones((2, 4), dtype=np.int64)), w)
    with pytest.raises(TypeError, match="linear: input must be float16, float32 or float64, got int64"):
        nn.Linear(4, 3)(gs.Tensor(np.ones((2, 4), dtype=np.int64)))
    with pytest.raises(TypeError, match="linear: weight must be float16, float32 or float64, got int64"):
        F.linear(x, gs.Tensor(np.ones((4, 3), dtype=np.int64)))
    with pytest.raises(TypeError, match="linear: bias must be float16, float32 or float64, got bool"):
        F.linear(x, w, gs.Tensor(np.ones(3, dtype=bool)))
    with pytest.raises(ValueError, match="weight must be 2-D"):
        F.linear(x, gs.Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="at least one dimension"):
        F.linear(gs.Tensor(1.0), w)
    for bias_shape in [(4,), (2, 3), (1, 1, 3)]:
        with pytest.raises(ValueError, match="bias of shape"):
            F.linear(x, w, gs.Tensor(np.ones(bias_shape)))


def test_layer_constructor_errors():
    with pytest.raises(ValueError, match="Linear: in_features and out_features must be "
                                         "non-negative, got -1 and 3"):
        nn.Linear(-1, 3)
    with pytest.raises(ValueError, match="non-negative"):
        nn.Linear(3, -2)
    with pytest.raises(TypeError, match="Linear: dtype must be float16, float32 or float64, got int64"):
        nn.Linear(2, 3, dtype=np.int64)
    with pytest.raises(TypeError):
        nn.Linear(2.5, 3)
    with pytest.raises(MemoryError):
        nn.Linear(1 << 40, 1 << 40)
    with pytest.raises(OverflowError, match="in_features"):
        nn.Linear(1 << 70, 1)
    with pytest.raises(ValueError, match="Embedding: num_embeddings and embedding_dim must be non-negative"):
        nn.Embedding(-1, 2)
    with pytest.raises(ValueError, match="padding_idx 5 must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="padding_idx -6"):
        nn.Embedding(5, 2, padding_idx=-6)
    with pytest.raises(TypeError, match="Embedding: dtype must be float16, float32 or float64, got bool"):
        nn.Embedding(5, 2, dtype=bool)
    for p in [-0.1, 1.5, float("nan")]:
        with pytest.raises(ValueError, match="Dropout: probability has to be between 0 and 1"):
            nn.Dropout(p)
    with pytest.raises(TypeError, match="Dropout: p must be a real number, got str"):
        nn.Dropout("half")


def test_embedding_and_dropout_errors():
    table = gs.Tensor(np.ones((5, 2)))
    with pytest.raises(IndexError, match=r"embedding: index 5 is out of range for 5 embeddings "
                                         r"\(valid indices are 0...4\)"):
        F.embedding(gs.Tensor(np.array([0, 5])), table)
    with pytest.raises(IndexError, match="index -1 is out of range"):
        nn.Embedding(5, 2)(gs.Tensor(np.array([[1, -1]])))
    with pytest.raises(TypeError, match="embedding: indices must be an integer tensor, got float64"):
        F.embedding(gs.Tensor(np.array([0.0, 1.0])), table)
    with pytest.raises(TypeError, match="embedding: weight must be float16, float32 or float64, got int64"):
        F.embedding(gs.Tensor(np.array([0])), gs.Tensor(np.ones((5, 2), dtype=np.int64)))
    with pytest.raises(ValueError, match="weight must be 2-D"):
        F.embedding(gs.Tensor(np.array([0])), gs.Tensor(np.ones(5)))
    with pytest.raises(ValueError, match="padding_idx 7"):
        F.embedding(gs.Tensor(np.array([0])), table, 7)
    with pytest.raises(TypeError, match="dropout: input must be float16, float32 or float64, got int64"):
        F.dropout(gs.Tensor(np.array([1, 2])), 0.5)
    with pytest.raises(ValueError, match="dropout: probability has to be between 0 and 1, got 2.0"):
        F.dropout(gs.Tensor(np.ones(3)), 2.0)


def test_embedding_indices_changed_before_backward():
    """Indices overwritten in place after the forward are checked again, never read out of range."""
    table = gs.Tensor(np.ones((3, 2)), requires_grad=True)
    indices = gs.Tensor(np.array([0, 2]))
    out = F.embedding(indices, table)
    indices.data[...] = 9
    with pytest.raises(IndexError, match="embedding backward: index 9 is out of range"):
        out.sum().backward()


def test_layers_release_their_handles(handle_counter):
    before = handle_counter()
    for _ in range(3):
        layer = nn.Linear(3, 2)
        layer(gs.Tensor(np.ones((4, 3)), requires_grad=True)).sum().backward()
        emb = nn.Embedding(4, 2, padding_idx=1)
        emb([0, 1, 3]).sum().backward()
        nn.Dropout(0.2)(gs.Tensor(np.ones(5)))
        del layer, emb
    assert handle_counter() == before
