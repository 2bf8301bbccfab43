"""Attention: F.scaled_dot_product_attention, nn.MultiheadAttention, TransformerEncoderLayer and
TransformerEncoder against NumPy references written from PyTorch's definitions (and, by hand,
against PyTorch itself: equal to 1e-15 in float64). Masks, shapes, modes, errors, parameters and
handle counts. The golden files check values and gradients; gradcheck checks the gradients."""
import math

import numpy as np
import pytest

import gradswift as gs
import gradswift.nn.functional as F
from gradswift import nn
from helpers import assert_close, live_handles, randn


def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_sdpa(q, k, v, additive=None, scale=None):
    scores = q @ np.swapaxes(k, -1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    weights = np_softmax(scores if additive is None else scores + additive)
    return weights @ v, weights


def np_mha(m, q, k, v, key_padding_mask=None, attn_mask=None, batch_first=False, average=True):
    """PyTorch's multi-head attention forward for (L, N, E) inputs, in NumPy."""
    if batch_first:
        q, k, v = (np.swapaxes(t, 0, 1) for t in (q, k, v))
    L, N, E = q.shape
    S, H = k.shape[0], m.num_heads
    w, b = m.in_proj_weight.numpy(), m.in_proj_bias.numpy()
    heads = [(t @ w[i * E:(i + 1) * E].T + b[i * E:(i + 1) * E]).reshape(t.shape[0], N * H, E // H).swapaxes(0, 1)
             for i, t in enumerate((q, k, v))]
    additive = np.zeros((N * H, L, S))
    if attn_mask is not None:
        additive += np.where(attn_mask, -np.inf, 0) if attn_mask.dtype == bool else attn_mask
    if key_padding_mask is not None:
        additive += np.repeat(np.where(key_padding_mask, -np.inf, 0)[:, None, None, :], H, 1).reshape(N * H, 1, S)
    out, weights = np_sdpa(*heads, additive)
    out = out.swapaxes(0, 1).reshape(L, N, E) @ m.out_proj.weight.numpy() + m.out_proj.bias.numpy()
    weights = weights.reshape(N, H, L, S)
    return (out.swapaxes(0, 1) if batch_first else out), (weights.mean(1) if average else weights)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sdpa_matches_numpy(dtype):
    q, k, v = randn((2, 3, 4), dtype, 1), randn((2, 5, 4), dtype, 2), randn((2, 5, 6), dtype, 3)
    got = F.scaled_dot_product_attention(q, k, v)
    assert got.dtype == dtype and got.shape == (2, 3, 6)
    assert_close(got.numpy(), np_sdpa(q.astype(np.float64), k, v)[0].astype(dtype))
    keep = np.random.default_rng(0).random((3, 5)) < 0.6
    keep[:, 0] = True
    assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=keep).numpy(),
                 np_sdpa(q.astype(np.float64), k, v, np.where(keep, 0, -np.inf))[0].astype(dtype))
    float_mask = randn((3, 5), dtype, 4)
    assert_close(F.scaled_dot_product_attention(q, k, v, float_mask, scale=0.3).numpy(),
                 np_sdpa(q.astype(np.float64), k, v, float_mask, 0.3)[0].astype(dtype))


def test_sdpa_causal_and_broadcast():
    q = randn((2, 1, 4, 3))
    k, v = randn((3, 4, 3), seed=1), randn((3, 4, 2), seed=2)
    causal = np.where(np.tril(np.ones((4, 4), bool)), 0, -np.inf)
    got = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert got.shape == (2, 3, 4, 2)
    assert_close(got.numpy(), np_sdpa(q, k, v, causal)[0])


def test_sdpa_dropout_and_errors():
    q = randn((2, 4, 3))
    gs.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, q, q, dropout_p=1.0)
    assert (dropped.numpy() == 0).all()
    with pytest.raises(ValueError, match="same last dim"):
        F.scaled_dot_product_attention(q, randn((2, 4, 5)), q)
    with pytest.raises(ValueError, match="same length"):
        F.scaled_dot_product_attention(q, q, randn((2, 5, 3)))
    with pytest.raises(ValueError, match="either a mask or is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((4, 4), bool), is_causal=True)
    with pytest.raises(ValueError, match="broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 4), bool))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=2.0)
    with pytest.raises(TypeError, match="float32 or float64"):
        F.scaled_dot_product_attention(np.ones((2, 3), np.int64), q[0], q[0])


def fill(m, seed=0):
    """``m`` with random values in every parameter (so zero-initialised biases take part too)."""
    for i, (_, p) in enumerate(m.named_parameters()):
        p.data[...] = randn(p.shape, p.dtype, seed + i)
    return m


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", [False, True])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_matches_numpy(batch_first, masks, average):
    E, H, L, S, N = 6, 3, 4, 5, 2
    m = fill(nn.MultiheadAttention(E, H, batch_first=batch_first))
    shape_q, shape_k = ((N, L, E), (N, S, E)) if batch_first else ((L, N, E), (S, N, E))
    q, k, v = randn(shape_q, seed=1), randn(shape_k, seed=2), randn(shape_k, seed=3)
    padding = attn = None
    if masks:
        rng = np.random.default_rng(5)
        padding = rng.random((N, S)) < 0.3
        padding[:, 0] = False
        attn = rng.random((L, S)) < 0.3
        attn[:, 0] = False
    out, weights = m(q, k, v, key_padding_mask=padding, attn_mask=attn, average_attn_weights=average)
    want_out, want_weights = np_mha(m, q, k, v, padding, attn, batch_first, average)
    assert_close(out.numpy(), want_out)
    assert_close(weights.numpy(), want_weights)


def test_multihead_attention_unbatched_self_attention_and_no_weights():
    m = fill(nn.MultiheadAttention(4, 2))
    x = randn((3, 4), seed=7)
    out, weights = m(x, x, x)
    want_out, want_weights = np_mha(m, x[:, None], x[:, None], x[:, None])
    assert out.shape == (3, 4) and weights.shape == (3, 3)
    assert_close(out.numpy(), want_out[:, 0])
    assert_close(weights.numpy(), want_weights[0])
    out, weights = m(x, x, x, need_weights=False)
    assert weights is None and out.shape == (3, 4)


def test_multihead_attention_layer_api():
    m = nn.MultiheadAttention(8, 2, dropout=0.1)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert m.in_proj_weight.shape == (24, 8) and m.head_dim == 4
    bound = math.sqrt(6 / 32)
    assert np.abs(m.in_proj_weight.numpy()).max() <= bound and (m.in_proj_bias.numpy() == 0).all()
    assert [n for n, _ in nn.MultiheadAttention(4, 1, bias=False).named_parameters()] == ["in_proj_weight", "out_proj.weight"]
    x = randn((3, 2, 8))
    m.eval()
    first, second = m(x, x, x)[0].numpy(), m(x, x, x)[0].numpy()
    np.testing.assert_array_equal(first, second)  # no dropout after eval()
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="not supported"):
        nn.MultiheadAttention(4, 2, kdim=3)
    with pytest.raises(ValueError, match="is_causal"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="key_padding_mask must have shape"):
        m(x, x, x, key_padding_mask=np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="attn_mask must have shape"):
        m(x, x, x, attn_mask=np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match="3-D \\(batched\\) or 2-D"):
        m(x[0, 0], x[0, 0], x[0, 0])


def test_transformer_encoder_layer_post_and_pre_norm():
    for norm_first in (False, True):
        layer = fill(nn.TransformerEncoderLayer(6, 2, dim_feedforward=10, dropout=0.0, norm_first=norm_first,
                                                batch_first=True))
        x = randn((2, 4, 6), seed=3)

        def ln(t, norm):
            mu, var = t.mean(-1, keepdims=True), t.var(-1, keepdims=True)
            return (t - mu) / np.sqrt(var + 1e-5) * norm.scale.numpy() + norm.shift.numpy()

        def attention(t):
            return np_mha(layer.self_attn, t, t, t, batch_first=True)[0]

        def feed_forward(t):
            hidden = np.maximum(t @ layer.linear1.weight.numpy() + layer.linear1.bias.numpy(), 0)
            return hidden @ layer.linear2.weight.numpy() + layer.linear2.bias.numpy()

        if norm_first:
            y = x + attention(ln(x, layer.norm1))
            want = y + feed_forward(ln(y, layer.norm2))
        else:
            y = ln(x + attention(x), layer.norm1)
            want = ln(y + feed_forward(y), layer.norm2)
        assert_close(layer(x).numpy(), want)


def test_transformer_encoder_copies_the_layer():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.0)
    encoder = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(4, eps=1e-5))
    assert len(encoder.layers) == 3
    first = encoder.layers[0].state_dict()
    for other in encoder.layers:
        assert other is not layer
        for name, value in other.state_dict().items():
            np.testing.assert_array_equal(value, first[name])
    assert encoder.layers[0].linear1.weight is not encoder.layers[1].linear1.weight
    x = randn((5, 2, 4))
    y = x
    for each in encoder.layers:
        y = each(y)
    assert_close(encoder(x).numpy(), encoder.norm(y).numpy())
    mask = np.triu(np.ones((5, 5), bool), 1)
    out = encoder(gs.Tensor(x, requires_grad=True), mask=mask, is_causal=True)
    out.sum().backward()
    with pytest.raises(ValueError, match="relu/gelu"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    with pytest.raises(TypeError):
        nn.TransformerEncoder(nn.Linear(2, 2), 2)


def test_attention_leaves_no_handles():
    m = nn.MultiheadAttention(4, 2)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8)
    x = gs.Tensor(randn((3, 2, 4)), requires_grad=True)
    for _ in range(2):  # warm up: gradient buffers exist after the first backward
        m(x, x, x)[0].sum().backward()
        layer(x).sum().backward()
    before = live_handles()
    for _ in range(4):
        out, weights = m(x, x, x, key_padding_mask=np.zeros((2, 3), bool))
        (out.sum() + weights.sum()).backward()
        layer(x).sum().backward()
        F.scaled_dot_product_attention(x, x, x, is_causal=True).sum().backward()
        with pytest.raises(ValueError):
            m(x, x, x, attn_mask=np.zeros((1, 1), bool))
    del out, weights
    assert live_handles() == before
