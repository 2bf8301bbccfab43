"""Finite-difference gradient checks (float64) of every differentiable op and layer, through
gradswift.autograd.gradcheck; and checks that gradcheck itself catches a wrong gradient."""
import warnings

import numpy as np
import pytest

import gradswift as pdn
import gradswift.nn as nn
import gradswift.nn.functional as F
from gradswift.autograd import GradcheckError, gradcheck, gradgradcheck


def leaf(shape, seed=0, low=None, away_from=None):
    """A float64 leaf requiring grad: standard normal values, or uniform in [low, low + 1] when
    ``low`` is given; values within 0.05 of ``away_from`` (a kink) are moved off it."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape) if low is None else low + rng.random(shape)
    if away_from is not None:
        close = np.abs(values - away_from) < 0.05
        values[close] = away_from + np.where(values[close] >= away_from, 0.05, -0.05)
    return pdn.Tensor(values, requires_grad=True)


def constant(values):
    return pdn.Tensor(np.asarray(values))


def zeros_at(shape, positions):
    """The values of ``leaf(shape)`` (seed 0) at ``positions``, else 0, as a constant: for the
    op's first input ``a``, ``a - zeros_at(...)`` is exactly zero there, so finite differences
    probe the function at inputs that are zero."""
    values = np.zeros(shape)
    for p in positions:
        values[p] = leaf(shape).numpy()[p]
    return constant(values)


def tensors_of(result):
    """The Tensors in a (possibly nested) tuple result, flattened."""
    if isinstance(result, (tuple, list)):
        return tuple(t for item in result for t in tensors_of(item))
    return (result,)


OPS = {
    # elementwise binary, with broadcasting
    "add": (lambda a, b: a + b, [(2, 3), (3,)]),
    "sub": (lambda a, b: a - b, [(2, 1), (1, 3)]),
    "mul": (lambda a, b: a * b, [(2, 3), (2, 1)]),
    "div": (lambda a, b: a / b, [(2, 3), dict(shape=(3,), low=1.0)]),
    "pow tensor": (lambda a, b: a ** b, [dict(shape=(2, 3), low=0.5), (2, 3)]),
    "pow scalar": (lambda a: a ** 3, [(4,)]),
    "rsub rdiv": (lambda a: 2.0 - 3.0 / a, [dict(shape=(4,), low=1.0)]),
    "neg": (lambda a: -a, [(3,)]),
    "maximum": (lambda a, b: pdn.maximum(a, b), [(2, 3), dict(shape=(3,), seed=1)]),
    "minimum": (lambda a, b: pdn.minimum(a, b), [(2, 3), dict(shape=(2, 3), seed=1)]),
    "0-d broadcast": (lambda a, b: a * b, [(), (2, 2)]),
    # unary
    "abs": (pdn.abs, [dict(shape=(5,), away_from=0.0)]),
    "exp": (pdn.exp, [(5,)]),
    "log": (pdn.log, [dict(shape=(5,), low=0.5)]),
    "sqrt": (pdn.sqrt, [dict(shape=(5,), low=0.5)]),
    "square": (pdn.square, [(5,)]),
    "sigmoid": (pdn.sigmoid, [(5,)]),
    "tanh": (pdn.tanh, [(5,)]),
    "sign": (pdn.sign, [dict(shape=(5,), away_from=0.0)]),
    "sin": (pdn.sin, [(5,)]),
    "cos": (pdn.cos, [(5,)]),
    "tan": (pdn.tan, [dict(shape=(5,), low=-0.6)]),
    "asin arcsin": (lambda a: (pdn.asin(a), pdn.arcsin(a)), [dict(shape=(5,), low=-0.5)]),
    "acos arccos": (lambda a: (pdn.acos(a), pdn.arccos(a)), [dict(shape=(5,), low=-0.5)]),
    "atan arctan": (lambda a: (pdn.atan(a), pdn.arctan(a)), [(5,)]),
    "sinh cosh": (lambda a: (pdn.sinh(a), pdn.cosh(a)), [(5,)]),
    "asinh arcsinh": (lambda a: (pdn.asinh(a), pdn.arcsinh(a)), [(5,)]),
    "acosh arccosh": (lambda a: (pdn.acosh(a), pdn.arccosh(a)), [dict(shape=(5,), low=1.5)]),
    "atanh arctanh": (lambda a: (pdn.atanh(a), pdn.arctanh(a)), [dict(shape=(5,), low=-0.5)]),
    "atan2 arctan2": (lambda a, b: (pdn.atan2(a, b), pdn.arctan2(b, a)), [(2, 3), dict(shape=(3,), low=0.5)]),
    "hypot": (pdn.hypot, [(2, 3), (3,)]),
    "log1p": (pdn.log1p, [dict(shape=(5,), low=0.0)]),
    "expm1 exp2": (lambda a: (pdn.expm1(a), pdn.exp2(a)), [(5,)]),
    "log2 log10": (lambda a: (pdn.log2(a), pdn.log10(a)), [dict(shape=(5,), low=0.5)]),
    "rsqrt reciprocal": (lambda a: (pdn.rsqrt(a), pdn.reciprocal(a)), [dict(shape=(5,), low=0.5)]),
    "erf": (pdn.erf, [(5,)]),
    # rounding: a zero gradient between the jumps, which the inputs avoid
    "floor ceil trunc fix round": (lambda a: (pdn.floor(a), pdn.ceil(a), pdn.trunc(a), pdn.fix(a), pdn.round(a, 1)),
                                   [dict(shape=(5,), low=0.2, away_from=0.55)]),
    "clamp tensors": (pdn.clamp, [(2, 3), dict(shape=(3,), seed=7), dict(shape=(2, 1), seed=8)]),
    "clip scalars": (lambda a: pdn.clip(a, -0.5, 0.5), [dict(shape=(6,), away_from=0.5)]),
    "where": (lambda a, b: pdn.where(a > b, a * 2, b), [(2, 3), dict(shape=(3,), seed=5)]),
    "lerp": (pdn.lerp, [(2, 3), (2, 3), (3,)]),
    # reductions
    "sum all": (lambda a: pdn.sum(a), [(2, 3)]),
    "sum axis keepdims": (lambda a: pdn.sum(a, axis=1, keepdims=True), [(2, 3, 2)]),
    "mean axes": (lambda a: pdn.mean(a, axis=(0, 2)), [(2, 3, 2)]),
    "max axis": (lambda a: pdn.max(a, axis=0), [(3, 4)]),
    "min all": (lambda a: pdn.min(a), [(3, 4)]),
    "max dim": (lambda a: pdn.max(a, dim=1).values, [(3, 4)]),
    "min dim keepdim": (lambda a: a.min(dim=0, keepdim=True).values, [(3, 4)]),
    "prod": (lambda a: pdn.prod(a, dim=1), [(2, 3)]),
    "prod with zeros": (lambda a: pdn.prod(a - zeros_at((3, 3), [(0, 1), (1, 0), (1, 2)]), dim=1), [(3, 3)]),
    "var std": (lambda a: (pdn.var(a, dim=1), a.std(correction=0)), [(3, 4)]),
    "logsumexp": (lambda a: pdn.logsumexp(a * 3, dim=(0, 2)), [(2, 3, 2)]),
    "norm": (lambda a: (pdn.norm(a), a.norm(3, dim=1), a.norm(1.5, dim=0, keepdim=True)), [(3, 4)]),
    "norm inf": (lambda a: (a.norm(float("inf"), dim=1), pdn.linalg.vector_norm(a, float("-inf"))),
                 [dict(shape=(3, 4), away_from=0.0)]),
    "norm 1": (lambda a: a.norm(1, dim=1), [dict(shape=(3, 4), away_from=0.0)]),
    "cumsum": (lambda a: pdn.cumsum(a, dim=1), [(2, 3, 2)]),
    "cumprod": (lambda a: a.cumprod(0), [(4, 3)]),
    "cumprod with zeros": (lambda a: pdn.cumprod(a - zeros_at((2, 5), [(0, 1), (0, 3), (1, 0)]), dim=1), [(2, 5)]),
    "sort": (lambda a: pdn.sort(a, dim=0, descending=True).values, [(4, 3)]),
    "topk": (lambda a: pdn.topk(a, 2).values, [(3, 5)]),
    # linear algebra
    "matmul 2-D": (pdn.matmul, [(3, 4), (4, 2)]),
    "matmul batched broadcast": (pdn.matmul, [(2, 1, 3, 4), (3, 4, 2)]),
    "matmul vector": (pdn.matmul, [(4,), (4, 3)]),
    "matmul vector-vector": (pdn.matmul, [(4,), (4,)]),
    # shape and indexing
    "reshape": (lambda a: a.reshape(3, 2) * constant(np.arange(6.).reshape(3, 2)), [(2, 3)]),
    "transpose": (lambda a: pdn.transpose(a, (2, 0, 1)) * constant(np.arange(24.).reshape(4, 2, 3)), [(2, 3, 4)]),
    "swapaxes": (lambda a: pdn.swapaxes(a, 0, 1), [(2, 3)]),
    "T": (lambda a: a.T, [(2, 3)]),
    "squeeze unsqueeze": (lambda a: pdn.unsqueeze(pdn.squeeze(a, 1), 0), [(2, 1, 3)]),
    "concat": (lambda a, b: pdn.concat([a, b, a], axis=1), [(2, 3), (2, 1)]),
    "split": (lambda a: tuple(pdn.split(a, [1, 3], axis=1)), [(2, 4)]),
    "hsplit vsplit": (lambda a: tuple(pdn.hsplit(a, 2)) + tuple(pdn.vsplit(a, 2)), [(2, 4)]),
    "dsplit": (lambda a: tuple(pdn.dsplit(a, 2)), [(1, 2, 4)]),
    "getitem slices": (lambda a: a[1:, ::2], [(3, 4)]),
    "getitem repeated indices": (lambda a: a[np.array([0, 2, 0])], [(3, 2)]),
    "getitem mask": (lambda a: a[np.array([True, False, True])], [(3, 2)]),
    # layout (PyTorch's names); squared so the second derivative goes through each backward twice
    "stack": (lambda a, b: pdn.stack([a, b, a], dim=1) ** 2, [(2, 3), dict(shape=(2, 3), seed=1)]),
    "flatten unflatten": (lambda a: pdn.unflatten(pdn.flatten(a, 1), 1, (4, -1)) ** 2, [(2, 3, 4)]),
    "permute movedim moveaxis": (lambda a: (pdn.permute(a, (2, 0, 1)) ** 2, pdn.movedim(a, 0, -1) ** 2,
                                            pdn.moveaxis(a, (0, 1), (1, 0)) ** 2), [(2, 3, 4)]),
    "expand broadcast_to": (lambda a: (a.expand(2, -1, 3) ** 2, pdn.broadcast_to(a, (3, 2, 3)) ** 2), [(2, 1)]),
    "tile repeat": (lambda a: (pdn.tile(a, (2, 1, 2)) ** 2, a.repeat(1, 3) ** 2), [(2, 3)]),
    "repeat_interleave": (lambda a: (pdn.repeat_interleave(a, 2) ** 2,
                                     pdn.repeat_interleave(a, constant([2, 0, 1]), dim=1) ** 2), [(2, 3)]),
    "flip roll": (lambda a: (pdn.flip(a, (0, 1)) ** 2, pdn.roll(a, (1, -1), (0, 1)) ** 2, pdn.roll(a, 2) ** 2), [(2, 3)]),
    "chunk": (lambda a: tuple(c ** 2 for c in pdn.chunk(a, 2, dim=1)), [(2, 5)]),
    "tril triu": (lambda a: (pdn.tril(a, -1) ** 2, pdn.triu(a, 1) ** 2), [(3, 4)]),
    "F.pad": (lambda a: tuple(F.pad(a, (2, 1, -1, 1), mode, **({"value": 0.5} if mode == "constant" else {})) ** 2
                              for mode in ("constant", "reflect", "replicate", "circular")), [(1, 2, 3)]),
    # nn.functional
    "F.sigmoid": (F.sigmoid, [(5,)]),
    "F.tanh": (F.tanh, [(5,)]),
    "F.relu": (F.relu, [dict(shape=(6,), away_from=0.0)]),
    "F.leaky_relu": (lambda a: F.leaky_relu(a, 0.2), [dict(shape=(6,), away_from=0.0)]),
    "F.silu": (F.silu, [(6,)]),
    "F.gelu": (F.gelu, [(6,)]),
    "F.gelu tanh": (lambda a: F.gelu(a, approximate="tanh"), [(6,)]),
    "F.elu": (lambda a: F.elu(a, 1.5), [dict(shape=(6,), away_from=0.0)]),
    "F.selu": (F.selu, [dict(shape=(6,), away_from=0.0)]),
    "F.celu": (lambda a: F.celu(a, 0.5), [dict(shape=(6,), away_from=0.0)]),
    "F.softplus": (lambda a: F.softplus(a, beta=2.0, threshold=1.0), [dict(shape=(6,), away_from=0.5)]),
    "F.mish": (F.mish, [(6,)]),
    "F.hardtanh": (lambda a: F.hardtanh(a, -0.5, 0.5), [dict(shape=(6,), away_from=0.5)]),
    "F.relu6": (lambda a: F.relu6(a * 4), [dict(shape=(6,), away_from=0.0)]),
    "F.hardsigmoid F.hardswish": (lambda a: (F.hardsigmoid(a * 4), F.hardswish(a * 4)), [dict(shape=(6,), away_from=0.75)]),
    "F.logsigmoid": (F.logsigmoid, [(6,)]),
    "F.linear": (F.linear, [(4, 3), (3, 2), (2,)]),  # weight is (in, out) as in PyDyNet
    "F.softmax": (lambda a: F.softmax(a, axis=1), [(2, 4)]),
    "F.log_softmax": (lambda a: F.log_softmax(a, axis=-1), [(2, 4)]),
    "F.mse_loss": (F.mse_loss, [(3, 2), dict(shape=(3, 2), seed=1)]),
    "F.mse_loss none": (lambda a, b: F.mse_loss(a, b, reduction="none"), [(3, 2), dict(shape=(3, 2), seed=1)]),
    "F.l1_loss": (F.l1_loss, [(3, 2), dict(shape=(2,), seed=1)]),
    "F.smooth_l1_loss F.huber_loss": (lambda a, b: (F.smooth_l1_loss(a, b, beta=0.5),
                                                    F.huber_loss(a, b, reduction="none", delta=0.8)),
                                      [(3, 2), dict(shape=(3, 2), seed=1)]),
    "F.binary_cross_entropy": (lambda a, t: F.binary_cross_entropy(F.sigmoid(a), t, constant([1.0, 2.0])),
                               [(3, 2), dict(shape=(3, 2), seed=1, low=0.0)]),
    "F.binary_cross_entropy_with_logits": (
        lambda a, t: F.binary_cross_entropy_with_logits(a, t, pos_weight=constant([2.0, 0.5]), reduction="sum"),
        [(3, 2), dict(shape=(3, 2), seed=1, low=0.0)]),
    "F.kl_div": (lambda a, t: F.kl_div(F.log_softmax(a, axis=1), t, reduction="batchmean"),
                 [(3, 4), dict(shape=(3, 4), seed=1, low=0.1)]),
    "F.kl_div log_target": (lambda a, t: F.kl_div(a, t, reduction="sum", log_target=True), [(3, 4), dict(shape=(3, 4), seed=1)]),
    "F.nll_loss": (lambda a: F.nll_loss(a, constant([1, 0, 3])), [(3, 4)]),
    "F.cross_entropy indices": (lambda a: F.cross_entropy_loss(a, constant([1, 0, 3])), [(3, 4)]),
    "F.cross_entropy_loss probabilities": (
        lambda a: F.cross_entropy_loss(a, constant(np.full((3, 4), 0.25)), reduction="sum"), [(3, 4)]),
    "F.conv1d": (lambda x, w, b: F.conv1d(x, w, padding=1, stride=2, bias=b), [(2, 2, 5), (3, 2, 3), (3,)]),
    "F.conv2d": (lambda x, w, b: F.conv2d(x, w, padding=1, stride=1, bias=b), [(1, 2, 4, 4), (2, 2, 3, 3), (2,)]),
    "F.conv2d strided": (lambda x, w: F.conv2d(x, w, padding=0, stride=2), [(2, 1, 5, 5), (2, 1, 3, 3)]),
    "F.max_pool1d": (lambda x: F.max_pool1d(x, 2), [(2, 2, 6)]),
    "F.max_pool2d": (lambda x: F.max_pool2d(x, 2, 2), [(1, 2, 4, 4)]),
    "F.avg_pool1d": (lambda x: F.avg_pool1d(x, 3, 1, 1), [(2, 2, 5)]),
    "F.avg_pool2d": (lambda x: F.avg_pool2d(x, 2, 1), [(1, 2, 3, 3)]),
    "F.adaptive_max_pool1d": (lambda x: F.adaptive_max_pool1d(x, 3), [(2, 2, 7)]),
    "F.adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (2, None)), [(2, 5, 4)]),
    "F.adaptive_avg_pool1d": (lambda x: F.adaptive_avg_pool1d(x, 4), [(2, 6)]),
    "F.adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (3, 4)), [(1, 2, 5, 7)]),
    "F.interpolate nearest": (lambda x: F.interpolate(x, size=(5, 3)), [(1, 2, 3, 4)]),
    "F.interpolate bilinear": (lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"), [(1, 2, 3, 4)]),
    "F.interpolate bilinear align_corners": (
        lambda x: F.interpolate(x, size=(5, 2), mode="bilinear", align_corners=True), [(1, 2, 3, 4)]),
    "F.interpolate linear": (lambda x: F.interpolate(x, size=7, mode="linear"), [(2, 2, 4)]),
    "F.conv_transpose1d": (lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1),
                           [(2, 2, 4), (2, 3, 3), (3,)]),
    "F.conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 1), padding=(1, 0), output_padding=(1, 0)),
                           [(1, 2, 3, 3), (2, 2, 3, 2), (2,)]),
    "F.layer_norm": (lambda x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    "F.batch_norm training": (
        lambda x, w, b: F.batch_norm(x, pdn.zeros(3, dtype=np.float64), pdn.ones(3, dtype=np.float64), w, b,
                                     training=True), [(4, 3), (3,), (3,)]),
    "F.rms_norm": (lambda x, w: F.rms_norm(x, (4,), w), [(3, 4), (4,)]),
    "F.group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 3), (4,), (4,)]),
    "F.instance_norm": (lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [(2, 3, 4), (3,), (3,)]),
    "F.dropout2d": (lambda a: (pdn.manual_seed(0), F.dropout2d(a, 0.5))[1], [(2, 3, 2, 2)]),
    "F.dropout1d": (lambda a: (pdn.manual_seed(0), F.dropout1d(a, 0.5))[1], [(2, 3, 4)]),
    "F.scaled_dot_product_attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v), [(2, 3, 4), (2, 5, 4), (2, 5, 3)]),
    "F.scaled_dot_product_attention causal float mask": (
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.5), [(3, 4), (3, 4), (3, 2), (3, 3)]),
    "F.embedding": (lambda w: F.embedding(constant([[0, 2], [2, 1]]), w), [(3, 4)]),
    "F.dropout": (lambda a: (pdn.manual_seed(0), F.dropout(a, 0.5))[1], [(3, 4)]),  # the same mask each call
    # indexing along a dimension (squared, so second derivatives pass through the op's backward)
    "gather": (lambda a: pdn.gather(a, 1, constant([[0, 0, 3], [2, 1, 1]])) ** 2, [(3, 4)]),
    "scatter": (lambda a, s: pdn.scatter(a, 1, constant([[3, 0], [1, 2]]), s) ** 2, [(2, 4), (2, 3)]),
    "scatter reduce add": (lambda a, s: pdn.scatter(a, 0, constant([[1, 1, 0]]), s, reduce="add") ** 2, [(2, 3), (1, 3)]),
    "scatter value multiply": (lambda a: pdn.scatter(a, 0, constant([[1, 1, 0]]), 2.5, reduce="multiply") ** 2, [(2, 3)]),
    "scatter_add": (lambda a, s: pdn.scatter_add(a, 1, constant([[1, 1], [0, 2]]), s) ** 2, [(2, 3), (2, 2)]),
    "index_select": (lambda a: pdn.index_select(a, 0, constant([2, 0, 2])) ** 2, [(3, 4)]),
    "masked_fill": (lambda a, v: pdn.masked_fill(a, constant([True, False, True]), v) ** 2, [(2, 3), ()]),
    "take_along_dim take_along_axis": (
        lambda a: (pdn.take_along_dim(a, constant([[1], [0], [3]]), 1) ** 2,
                   pdn.take_along_axis(a, constant([4, 11, 0]), None) ** 3), [(3, 4)]),
    # linear algebra
    "einsum": (lambda a, b: (pdn.einsum("ij,jk->ik", a, b), pdn.einsum("ii,ij", a[:, :3], a).sum() * pdn.einsum("j,jk->k", b[:, 0], b)),
               [(3, 4), (4, 2)]),
    "tensordot": (lambda a, b: pdn.tensordot(a, b, dims=([0, 2], [1, 0])), [(2, 3, 4), (4, 2, 2)]),
    "outer ger": (lambda a, b: (pdn.outer(a, b), pdn.ger(b, a)), [(3,), (2,)]),
    "dot": (lambda a, b: pdn.dot(a, b) * pdn.dot(a, a), [(4,), (4,)]),
    "bmm": (pdn.bmm, [(2, 3, 4), (2, 4, 2)]),
    "diag": (lambda a, m: (pdn.diag(a, 1) ** 2, pdn.diag(m, -1) ** 2), [(3,), (3, 4)]),
    "diagonal": (lambda a: pdn.diagonal(a, 1, 0, 2) ** 2, [(3, 2, 4)]),
    "trace": (lambda a: pdn.trace(a) ** 2, [(3, 4)]),
}


def build_input(spec, index):
    if isinstance(spec, tuple):
        return leaf(spec, seed=index)
    spec = dict(spec)
    return leaf(spec.pop("shape"), seed=spec.pop("seed", index), **spec)


@pytest.mark.parametrize("name", list(OPS))
def test_op_gradients_match_finite_differences(name):
    func, specs = OPS[name]
    inputs = tuple(build_input(spec, i) for i, spec in enumerate(specs))
    assert gradcheck(lambda *args: tensors_of(func(*args)), inputs)


def layer_case(make, input_shape, *, away_from=None, call=None):
    return make, input_shape, away_from, call


LAYERS = {
    "Linear": layer_case(lambda: nn.Linear(3, 2, dtype=np.float64), (4, 3)),
    "Conv1d": layer_case(lambda: nn.Conv1d(2, 3, 3, padding=1, dtype=np.float64), (2, 2, 5)),
    "Conv2d": layer_case(lambda: nn.Conv2d(2, 2, 3, stride=2, padding=1, dtype=np.float64), (1, 2, 5, 5)),
    "BatchNorm1d": layer_case(lambda: nn.BatchNorm1d(3, dtype=np.float64), (5, 3)),
    "BatchNorm2d": layer_case(lambda: nn.BatchNorm2d(2, dtype=np.float64), (3, 2, 2, 2)),
    "LayerNorm": layer_case(lambda: nn.LayerNorm((2, 3), dtype=np.float64), (2, 2, 3)),
    "RMSNorm": layer_case(lambda: nn.RMSNorm(4, dtype=np.float64), (3, 4)),
    "GroupNorm": layer_case(lambda: nn.GroupNorm(2, 4, dtype=np.float64), (2, 4, 3)),
    "InstanceNorm1d": layer_case(lambda: nn.InstanceNorm1d(3, affine=True, dtype=np.float64), (2, 3, 4)),
    "InstanceNorm2d": layer_case(lambda: nn.InstanceNorm2d(2, dtype=np.float64), (2, 2, 3, 3)),
    "Dropout1d Dropout2d": layer_case(lambda: nn.Sequential(nn.Dropout1d(0.4), nn.Dropout2d(0.4)), (2, 3, 4, 1),
                                      call=lambda layer, x: (pdn.manual_seed(0), layer[1](layer[0](x[..., 0])[..., None]))[1]),
    "MultiheadAttention": layer_case(lambda: nn.MultiheadAttention(4, 2, dtype=np.float64), (3, 2, 4),
                                     call=lambda layer, x: layer(x, x, x)),
    "TransformerEncoderLayer": layer_case(
        lambda: nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation="gelu", batch_first=True,
                                           dtype=np.float64), (2, 3, 4)),
    "TransformerEncoder": layer_case(
        lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, dtype=np.float64), 2,
                                      norm=nn.LayerNorm(4, dtype=np.float64)), (3, 2, 4)),
    "RNNCell": layer_case(lambda: nn.RNNCell(3, 2, dtype=np.float64), (4, 3)),
    "LSTMCell": layer_case(lambda: nn.LSTMCell(3, 2, dtype=np.float64), (4, 3)),
    "GRUCell": layer_case(lambda: nn.GRUCell(3, 2, dtype=np.float64), (4, 3)),
    "RNN relu 2 layers": layer_case(lambda: nn.RNN(2, 3, num_layers=2, nonlinearity="relu", dtype=np.float64),
                                    (4, 2, 2)),
    "LSTM bidirectional": layer_case(lambda: nn.LSTM(2, 3, bidirectional=True, batch_first=True,
                                                     dtype=np.float64), (2, 4, 2)),
    "GRU 2 layers bidirectional": layer_case(lambda: nn.GRU(2, 2, num_layers=2, bidirectional=True,
                                                            dtype=np.float64), (3, 2, 2)),
    "Sequential MLP": layer_case(lambda: nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.Tanh(),
                                                       nn.Linear(4, 2, dtype=np.float64), nn.Sigmoid()), (2, 3)),
    "MaxPool2d": layer_case(lambda: nn.MaxPool2d(2), (1, 1, 4, 4)),
    "AdaptiveMaxPool1d": layer_case(lambda: nn.AdaptiveMaxPool1d(3), (2, 5)),
    "AdaptiveMaxPool2d": layer_case(lambda: nn.AdaptiveMaxPool2d((2, None)), (1, 2, 5, 3)),
    "AdaptiveAvgPool1d": layer_case(lambda: nn.AdaptiveAvgPool1d(4), (2, 2, 6)),
    "AdaptiveAvgPool2d": layer_case(lambda: nn.AdaptiveAvgPool2d(3), (2, 4, 5)),
    "Upsample": layer_case(lambda: nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True), (1, 2, 2, 3)),
    "ConvTranspose1d": layer_case(lambda: nn.ConvTranspose1d(2, 3, 3, stride=2, dtype=np.float64), (2, 2, 4)),
    "ConvTranspose2d": layer_case(lambda: nn.ConvTranspose2d(2, 2, (3, 2), stride=2, padding=1, output_padding=1,
                                                             dtype=np.float64), (1, 2, 3, 3)),
    "AvgPool1d": layer_case(lambda: nn.AvgPool1d(2), (2, 1, 4)),
    "LeakyReLU": layer_case(lambda: nn.LeakyReLU(0.3), (5,), away_from=0.0),
    "ReLU": layer_case(nn.ReLU, (5,), away_from=0.0),
    "Sigmoid": layer_case(nn.Sigmoid, (5,)),
    "Tanh": layer_case(nn.Tanh, (5,)),
    "GELU": layer_case(lambda: nn.GELU("tanh"), (5,)),
    "SiLU Mish LogSigmoid": layer_case(lambda: nn.Sequential(nn.SiLU(), nn.Mish(), nn.LogSigmoid()), (5,)),
    "ELU SELU CELU": layer_case(lambda: nn.Sequential(nn.ELU(0.5), nn.SELU(), nn.CELU(2.0)), (5,), away_from=0.0),
    "Softplus": layer_case(lambda: nn.Softplus(beta=0.5), (5,)),
    "Hardtanh ReLU6 Hardsigmoid Hardswish": layer_case(
        lambda: nn.Sequential(nn.Hardswish(), nn.Hardsigmoid(), nn.ReLU6(), nn.Hardtanh(-0.3, 0.6)), (5,), away_from=0.0),
    "MaxPool1d": layer_case(lambda: nn.MaxPool1d(2), (2, 1, 6)),
    "AvgPool2d": layer_case(lambda: nn.AvgPool2d(2), (1, 1, 4, 4)),
    "Dropout": layer_case(lambda: nn.Dropout(0.3), (3, 4), call=lambda layer, x: (pdn.manual_seed(0), layer(x))[1]),
    "Embedding": layer_case(lambda: nn.Embedding(4, 3, dtype=np.float64), (2, 2, 3),
                            call=lambda layer, x: layer(constant([[0, 3], [3, 1]])) * x),
    "NLLLoss": layer_case(nn.NLLLoss, (3, 4), call=lambda layer, x: layer(F.log_softmax(x, axis=1), constant([2, 0, 1]))),
    "Softmax": layer_case(lambda: nn.Softmax(axis=-1), (2, 3)),
    "CrossEntropyLoss": layer_case(lambda: nn.CrossEntropyLoss(), (3, 4),
                                   call=lambda layer, x: layer(x, constant([2, 0, 1]))),
    "L1Loss": layer_case(nn.L1Loss, (3, 2), call=lambda layer, x: layer(x, constant(np.zeros((3, 2))))),
    "SmoothL1Loss": layer_case(lambda: nn.SmoothL1Loss(beta=2.0), (3, 2),
                               call=lambda layer, x: layer(x, constant(np.zeros((3, 2))))),
    "HuberLoss": layer_case(lambda: nn.HuberLoss(reduction="sum", delta=0.5), (3, 2),
                            call=lambda layer, x: layer(x, constant(np.zeros((3, 2))))),
    "BCELoss": layer_case(lambda: nn.BCELoss(weight=constant([0.5, 2.0])), (3, 2),
                          call=lambda layer, x: layer(F.sigmoid(x), constant(np.full((3, 2), 0.3)))),
    "BCEWithLogitsLoss": layer_case(lambda: nn.BCEWithLogitsLoss(pos_weight=constant([3.0, 1.0])), (3, 2),
                                    call=lambda layer, x: layer(x, constant(np.full((3, 2), 0.7)))),
    "KLDivLoss": layer_case(lambda: nn.KLDivLoss(reduction="batchmean"), (3, 4),
                            call=lambda layer, x: layer(F.log_softmax(x, axis=1), constant(np.full((3, 4), 0.25)))),
    "Flatten Unflatten Identity": layer_case(lambda: nn.Sequential(nn.Flatten(), nn.Identity(), nn.Unflatten(1, (3, 2))),
                                             (2, 3, 2), call=lambda layer, x: layer(x) ** 2),
    "ZeroPad1d ConstantPad1d ReflectionPad1d ReplicationPad1d CircularPad1d": layer_case(
        lambda: nn.Sequential(nn.ZeroPad1d((1, 0)), nn.ConstantPad1d(1, 0.5), nn.ReflectionPad1d(2),
                              nn.ReplicationPad1d((0, 1)), nn.CircularPad1d(1)),
        (1, 2, 3), call=lambda layer, x: layer(x) ** 2),
    "ZeroPad2d ConstantPad2d ReflectionPad2d ReplicationPad2d CircularPad2d": layer_case(
        lambda: nn.Sequential(nn.ZeroPad2d((1, 0, 0, 1)), nn.ConstantPad2d(1, -1.0), nn.ReflectionPad2d(1),
                              nn.ReplicationPad2d((0, 1, 1, 0)), nn.CircularPad2d(1)),
        (1, 1, 2, 3), call=lambda layer, x: layer(x) ** 2),
    "MSELoss sum": layer_case(lambda: nn.MSELoss(reduction="sum"), (3, 2),
                              call=lambda layer, x: layer(x, constant(np.ones((3, 2))))),
}


def layer_function(name):
    """``(func, inputs)`` for the LAYERS case ``name``: ``func`` maps the input (and the
    parameters, which it ignores: checks perturb them in place) to the layer's outputs."""
    make, input_shape, away_from, call = LAYERS[name]
    layer = make()
    x = leaf(input_shape, seed=3, away_from=away_from)
    forward = call or (lambda module, value: module(value))
    return (lambda value, *_: tensors_of(forward(layer, value))), (x, *layer.parameters())


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_gradients_match_finite_differences(name):
    """Gradients of the input and of every parameter, the parameters perturbed in place."""
    assert gradcheck(*layer_function(name))


def test_embedding_layer_weight_gradient():
    """Without padding_idx: the padding row is kept out of the gradient on purpose (as in
    PyTorch), which finite differences would see as a mismatch."""
    layer = nn.Embedding(5, 3, dtype=np.float64)
    indices = constant([[0, 4, 1], [4, 4, 2]])
    assert gradcheck(lambda weight: layer(indices), (layer.weight,))


def test_gradcheck_reports_a_wrong_gradient():
    """Treating one factor of x * x as a constant halves the analytical gradient."""
    x = leaf((3,), seed=5)

    def wrong(t):
        return t * pdn.Tensor(t.data.copy())

    with pytest.raises(GradcheckError, match="Jacobian mismatch for input 0"):
        gradcheck(wrong, (x,))
    assert gradcheck(wrong, (x,), raise_exception=False) is False


def test_gradcheck_leaves_inputs_and_gradients_unchanged():
    x = leaf((2, 3), seed=6)
    before = x.data.copy()
    gradcheck(lambda t: pdn.exp(t) * t, (x,))
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None or not np.any(x.grad)


def test_gradcheck_argument_errors():
    with pytest.raises(ValueError, match="no input requires a gradient"):
        gradcheck(lambda t: t * 2, (pdn.Tensor(np.ones(2)),))
    with pytest.raises(TypeError, match="output 0 of func is float"):
        gradcheck(lambda t: 1.0, (leaf((2,)),))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = pdn.Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
        gradcheck(lambda t: t * 2, (x,), eps=1e-3, atol=1e-3)
    assert any("not float64" in str(w.message) for w in caught)


# ---- second derivatives ------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(OPS))
def test_op_second_derivatives_match_finite_differences(name):
    func, specs = OPS[name]
    inputs = tuple(build_input(spec, i) for i, spec in enumerate(specs))
    assert gradgradcheck(lambda *args: tensors_of(func(*args)), inputs)


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_second_derivatives_match_finite_differences(name):
    assert gradgradcheck(*layer_function(name))


def test_every_differentiable_export_has_first_and_second_derivative_checks():
    """A new op, function or layer must get a row in OPS or LAYERS (checked above to the
    second order), or be named here as not differentiable."""
    covered = {word for key in [*OPS, *LAYERS] for word in key.split()}
    not_differentiable = {"argmax", "argmin", "nonzero", "argwhere", "argsort", "all", "any", "Module", "Sequential", "ModuleList", "Parameter", "functional", "init",
                          "utils"}
    exported = [*pdn.ops.__all__, *(f"F.{name}" for name in F.__all__), *nn.__all__]
    missing = [name for name in exported if name not in covered and name not in not_differentiable]
    assert missing == [], f"no derivative checks for {missing}"
