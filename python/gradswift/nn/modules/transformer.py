"""PyTorch's attention layers: MultiheadAttention (one engine call per forward), and
TransformerEncoderLayer and TransformerEncoder composed from it, Linear, LayerNorm and Dropout
as PyTorch composes them.

Weights follow gradswift's layouts: ``in_proj_weight`` is PyTorch's (3E, E), while
``out_proj`` and the feed-forward layers are gradswift Linears, whose weights are (in, out),
the transpose of PyTorch's. The default dtype is float64, as for every gradswift layer.
"""
import operator
from ctypes import c_uint64

from ..._lib import error, lib
from ...cuda import Device
from ...special import zeros
from ...tensor import as_tensor, wrap
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .dropout import Dropout
from .linear import Linear
from .module import Module, ModuleList
from .norm import LayerNorm

__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]


def _handle(t):
    """The handle of an optional tensor argument (0 for None); the Tensor is returned too, to be
    kept alive through the call."""
    if t is None:
        return 0, None
    t = as_tensor(t)
    return t._h, t


class MultiheadAttention(Module):
    """PyTorch's MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
    batch_first=False): ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``,
    weights None unless ``need_weights``. Bool masks leave out positions where True, float ones
    are added to the scores. ``kdim``/``vdim`` other than ``embed_dim``, ``add_bias_kv`` and
    ``add_zero_attn`` are not supported (ValueError)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        Device(device)
        embed_dim, num_heads = operator.index(embed_dim), operator.index(num_heads)
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be positive and divisible by "
                             f"num_heads ({num_heads})")
        if kdim not in (None, embed_dim) or vdim not in (None, embed_dim) or add_bias_kv or add_zero_attn:
            raise ValueError("MultiheadAttention: kdim/vdim other than embed_dim, add_bias_kv and add_zero_attn "
                             "are not supported")
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiheadAttention: dropout has to be between 0 and 1, got {dropout}")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.head_dim = embed_dim // num_heads
        self.batch_first = batch_first
        self.in_proj_weight = Parameter(zeros((3 * embed_dim, embed_dim), dtype=dtype))
        self.in_proj_bias = Parameter(zeros(3 * embed_dim, dtype=dtype)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's initialisation: Xavier-uniform in_proj_weight, zero biases (out_proj's
        weight keeps Linear's initialisation)."""
        init.xavier_uniform_(self.in_proj_weight)
        for bias in (self.in_proj_bias, self.out_proj.bias):
            if bias is not None:
                init.zeros_(bias)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
        in_bias, _ = _handle(self.in_proj_bias)
        out_bias, _ = _handle(self.out_proj.bias)
        padding, padding_tensor = _handle(key_padding_mask)
        mask, mask_tensor = _handle(attn_mask)
        output, weights = _out(lib.gs_multi_head_attention, q._h, k._h, v._h, self.num_heads, self.in_proj_weight._h,
                               in_bias, self.out_proj.weight._h, out_bias, padding, mask, bool(need_weights),
                               bool(average_attn_weights), bool(is_causal), float(self.dropout), self.training,
                               bool(self.batch_first))
        return output, weights


def _out(cfn, *args):
    """Calls ``cfn(*args, &result, &weights)``: (result, weights or None)."""
    result, weights = c_uint64(), c_uint64()
    st = cfn(*args, result, weights)
    if st:
        raise error(st)
    return wrap(result.value), (wrap(weights.value) if weights.value else None)


_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class TransformerEncoderLayer(Module):
    """PyTorch's TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
    activation="relu", layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True):
    self-attention then a feed-forward block, each with dropout and a residual connection,
    layer-normalised after (or, with ``norm_first``, before) each block. ``activation`` is
    "relu", "gelu" or a callable."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self._config = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                            activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                            norm_first=norm_first, bias=bias, device=device, dtype=dtype)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"activation should be relu/gelu, not {activation}")
            activation = _ACTIVATIONS[activation]
        elif not callable(activation):
            raise TypeError(f"activation must be 'relu', 'gelu' or a callable, got {type(activation).__name__}")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = as_tensor(src)
        if self.norm_first:
            x = x + self._attention_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._feed_forward_block(self.norm2(x))
        x = self.norm1(x + self._attention_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward_block(x))

    def _attention_block(self, x, mask, key_padding_mask, is_causal):
        out, _ = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask, need_weights=False,
                                is_causal=is_causal)
        return self.dropout1(out)

    def _feed_forward_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoder(Module):
    """PyTorch's TransformerEncoder(encoder_layer, num_layers, norm=None): ``num_layers`` copies
    of ``encoder_layer`` (each starting with its weights, as PyTorch's deep copies) applied in
    turn, then ``norm`` when given. ``forward(src, mask=None, src_key_padding_mask=None,
    is_causal=None)``."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        if not isinstance(encoder_layer, TransformerEncoderLayer):
            raise TypeError(f"encoder_layer must be a TransformerEncoderLayer, got {type(encoder_layer).__name__}")
        num_layers = operator.index(num_layers)
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        weights = encoder_layer.state_dict()
        layers = []
        for _ in range(num_layers):
            layer = TransformerEncoderLayer(**encoder_layer._config)
            layer.load_state_dict(weights)
            layer.activation = encoder_layer.activation
            layers.append(layer)
        self.layers = ModuleList(layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
