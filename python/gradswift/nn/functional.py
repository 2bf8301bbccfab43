"""Functional forms of the layers (PyDyNet 1.1's ``pydynet.nn.functional``).

Each function is one library call with a fused forward and backward in the engine.
"""
import operator

from .._convert import int64_argument
from .._convert import shape_array as _shape_array
from .._lib import lib
from ..tensor import Tensor, as_tensor, call  # noqa: F401
from ._arguments import normalized_dims as _normalized_dims
from ._arguments import pad_mode_code, reduction_code, softmax_axis

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu", "silu", "gelu", "elu", "selu", "celu", "softplus",
           "mish", "hardtanh", "relu6", "hardsigmoid", "hardswish", "logsigmoid",
           "linear", "embedding", "dropout", "dropout1d", "dropout2d",
           "softmax", "log_softmax", "mse_loss", "nll_loss", "cross_entropy_loss", "cross_entropy",
           "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div",
           "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "interpolate", "conv_transpose1d", "conv_transpose2d",
           "layer_norm", "batch_norm", "rms_norm", "group_norm", "instance_norm", "scaled_dot_product_attention",
           "pad"]

# ---- activations, linear, embedding, dropout ----------------------------------------------

def sigmoid(x):
    """1 / (1 + e^-x), elementwise (ints give NumPy's float type)."""
    x = as_tensor(x)  # a new Tensor must outlive the call
    return call(lib.gs_sigmoid, x._h)


def tanh(x):
    """Hyperbolic tangent, elementwise (ints give NumPy's float type)."""
    x = as_tensor(x)  # a new Tensor must outlive the call
    return call(lib.gs_tanh, x._h)


def relu(x, inplace=False):
    """max(x, 0), elementwise; the gradient at 0 is 0 (PyTorch's convention). Int and bool
    tensors keep their dtype."""
    x = as_tensor(x)  # a new Tensor must outlive the call
    return call(lib.gs_relu, x._h)


def leaky_relu(x, alpha=0.01):
    """x for x > 0, ``alpha * x`` otherwise (PyTorch's definition; the gradient at 0 is
    ``alpha``). Ints give NumPy's float type."""
    x = as_tensor(x)  # a new Tensor must outlive the call
    return call(lib.gs_leaky_relu, x._h, float(alpha))


def silu(x, inplace=False):
    """x * sigmoid(x), elementwise (ints give NumPy's float type). ``inplace`` is accepted for PyTorch
    code, and so are the other activations': the result is always a new tensor."""
    x = as_tensor(x)  # a new Tensor must outlive the call
    return call(lib.gs_silu, x._h)


def gelu(input, approximate="none"):
    """x * Phi(x), Phi the standard normal distribution function; ``approximate="tanh"``:
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    x = as_tensor(input)
    return call(lib.gs_gelu, x._h, approximate == "tanh")


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, ``alpha * (e^x - 1)`` otherwise."""
    x = as_tensor(input)
    return call(lib.gs_elu, x._h, float(alpha))


def selu(input, inplace=False):
    """``scale * elu(x, alpha)`` with the self-normalising constants (alpha 1.6733, scale 1.0507)."""
    x = as_tensor(input)
    return call(lib.gs_selu, x._h)


def celu(input, alpha=1.0, inplace=False):
    """x for x > 0, ``alpha * (e^(x / alpha) - 1)`` otherwise (alpha must not be 0)."""
    x = as_tensor(input)
    return call(lib.gs_celu, x._h, float(alpha))


def softplus(input, beta=1.0, threshold=20.0):
    """``ln(1 + e^(beta x)) / beta``, and x itself where ``beta * x > threshold``."""
    x = as_tensor(input)
    return call(lib.gs_softplus, x._h, float(beta), float(threshold))


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    x = as_tensor(input)
    return call(lib.gs_mish, x._h)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x limited to [min_val, max_val]; the gradient is 0 at and beyond the bounds (PyTorch's)."""
    x = as_tensor(input)
    return call(lib.gs_hardtanh, x._h, float(min_val), float(max_val))


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    x = as_tensor(input)
    return call(lib.gs_relu6, x._h)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    x = as_tensor(input)
    return call(lib.gs_hardsigmoid, x._h)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    x = as_tensor(input)
    return call(lib.gs_hardswish, x._h)


def logsigmoid(input):
    """ln(sigmoid(x)), without overflow."""
    x = as_tensor(input)
    return call(lib.gs_logsigmoid, x._h)


def linear(x, weight, bias=None):
    """``x @ weight + bias`` with ``weight`` of shape (in, out) (PyDyNet's layout) and ``bias``
    (out,) or None, as one fused op."""
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    return call(lib.gs_linear, x._h, weight._h, 0 if bias is None else bias._h)


def embedding(x, weight, padding_idx=None):
    """Rows of ``weight`` picked by the int indices ``x`` (shape ``x.shape + (dim,)``). The row
    ``padding_idx`` gets no gradient (PyTorch's semantics; PyDyNet zeroes the output there)."""
    x, weight = as_tensor(x), as_tensor(weight)
    padding = 0 if padding_idx is None else int64_argument("embedding padding_idx", padding_idx)
    return call(lib.gs_embedding, x._h, weight._h, padding, padding_idx is not None)


def dropout(x, p=0.5, training=True, inplace=False):
    """While ``training``, zeroes each element with probability ``p`` and scales the others by
    ``1 / (1 - p)``; otherwise returns ``x`` (PyTorch's functional form; ``inplace`` is accepted
    and gives a new tensor)."""
    x = as_tensor(x)
    return call(lib.gs_dropout, x._h, float(p), bool(training))


def dropout1d(input, p=0.5, training=True, inplace=False):
    """While ``training``, zeroes each channel of (N, C, L) or (C, L) ``input`` whole with
    probability ``p`` and scales the others by ``1 / (1 - p)``; otherwise returns ``input``."""
    x = as_tensor(input)  # kept alive through the call
    return call(lib.gs_channel_dropout, x._h, float(p), bool(training), 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """As ``dropout1d`` for (N, C, H, W) or (C, H, W) ``input``."""
    x = as_tensor(input)  # kept alive through the call
    return call(lib.gs_channel_dropout, x._h, float(p), bool(training), 2)


# ---- softmax and losses -------------------------------------------------------------------


def softmax(x, axis=None):
    """e^x / sum(e^x) along ``axis`` (None: over every element, as PyDyNet), computed stably."""
    ax, every = softmax_axis(axis)
    x = as_tensor(x)  # a new Tensor must outlive the call
    return call(lib.gs_softmax, x._h, ax, every)


def log_softmax(x, axis=None, keepdims=False):
    """x - log(sum(e^x)) along ``axis`` (None: over every element), computed stably. The result
    always has x's shape: ``keepdims`` is accepted for PyDyNet compatibility and ignored (in
    PyDyNet, ``keepdims=False`` only makes the subtraction broadcast wrongly)."""
    ax, every = softmax_axis(axis)
    x = as_tensor(x)  # a new Tensor must outlive the call
    return call(lib.gs_log_softmax, x._h, ax, every)


def mse_loss(y_pred, y_true, reduction="mean"):
    """Mean (or sum, or elementwise with ``'none'``) of ``(y_pred - y_true) ** 2``, with
    broadcasting; ``y_true`` may be a Tensor (it gets a gradient if it requires one) or an array."""
    code = reduction_code(reduction)
    pred, target = as_tensor(y_pred), as_tensor(y_true)  # kept alive across the call
    return call(lib.gs_mse_loss, pred._h, target._h, code)


def nll_loss(y_pred, y_true, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``y_pred`` (N, C). ``y_true`` is class
    indices (N,) (ints) or probabilities / one-hot rows of shape (N, C). As in PyTorch, a row's
    loss is ``-y_pred[i, y_true[i]]`` (or ``-sum_c y_true[i, c] * y_pred[i, c]``) and 'mean'
    divides by N (PyDyNet multiplies elementwise and averages over N*C)."""
    code = reduction_code(reduction)
    pred, target = as_tensor(y_pred), as_tensor(y_true)  # kept alive across the call
    return call(lib.gs_nll_loss, pred._h, target._h, code)


def cross_entropy_loss(y_pred, y_true, reduction="mean"):
    """Cross-entropy of logits ``y_pred`` (N, C) against class indices (N,) or probabilities
    (N, C), fused and stable (per-row log-sum-exp). 'mean' divides by N, as PyTorch (PyDyNet
    averages probability targets over N*C)."""
    code = reduction_code(reduction)
    pred, target = as_tensor(y_pred), as_tensor(y_true)  # kept alive across the call
    return call(lib.gs_cross_entropy, pred._h, target._h, code)


def l1_loss(input, target, *, reduction="mean"):
    """``|input - target|`` with broadcasting, reduced."""
    code = reduction_code(reduction)
    x, t = as_tensor(input), as_tensor(target)  # kept alive across the call
    return call(lib.gs_l1_loss, x._h, t._h, code)


def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):
    """``0.5 d**2 / beta`` where ``|d| < beta``, ``|d| - 0.5 beta`` elsewhere (d = input -
    target; ``beta=0`` is the L1 loss), reduced."""
    code = reduction_code(reduction)
    x, t = as_tensor(input), as_tensor(target)
    return call(lib.gs_smooth_l1_loss, x._h, t._h, code, float(beta))


def huber_loss(input, target, *, reduction="mean", delta=1.0):
    """``0.5 d**2`` where ``|d| < delta``, ``delta (|d| - 0.5 delta)`` elsewhere, reduced."""
    code = reduction_code(reduction)
    x, t = as_tensor(input), as_tensor(target)
    return call(lib.gs_huber_loss, x._h, t._h, code, float(delta))


def _optional(tensor):
    """``(Tensor or None, handle)``: the Tensor must outlive the call; 0 is the null handle."""
    if tensor is None:
        return None, 0
    tensor = as_tensor(tensor)
    return tensor, tensor._h


def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):
    """``-weight (t log p + (1 - t) log(1 - p))`` for probabilities ``input`` in [0, 1] (each
    log bounded below by -100, as PyTorch), ``weight`` broadcasting against the terms."""
    code = reduction_code(reduction)
    x, t = as_tensor(input), as_tensor(target)
    w, w_handle = _optional(weight)
    return call(lib.gs_binary_cross_entropy, x._h, t._h, w_handle, code)


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean", pos_weight=None):
    """Binary cross-entropy of logits, computed without overflow: ``-weight (pos_weight t log
    sigmoid(x) + (1 - t) log(1 - sigmoid(x)))``; ``pos_weight`` broadcasts against the last
    dimension (one weight per class)."""
    code = reduction_code(reduction)
    x, t = as_tensor(input), as_tensor(target)
    w, w_handle = _optional(weight)
    p, p_handle = _optional(pos_weight)
    return call(lib.gs_binary_cross_entropy_with_logits, x._h, t._h, w_handle, p_handle, code)


def kl_div(input, target, *, reduction="mean", log_target=False):
    """Kullback-Leibler divergence ``sum target (log target - input)`` of log-probabilities
    ``input`` (terms where the target is 0 count 0; with ``log_target`` the target is given as
    log-probabilities). ``reduction='batchmean'`` divides the sum by the batch size, which is
    the mathematical KL divergence; ``'mean'`` averages over every element, as PyTorch."""
    code = reduction_code(reduction, allow_batchmean=True)
    x, t = as_tensor(input), as_tensor(target)
    return call(lib.gs_kl_div, x._h, t._h, code, bool(log_target))


cross_entropy = cross_entropy_loss  # PyTorch's name


# ---- convolution and pooling --------------------------------------------------------------


def conv1d(x, kernel, padding=0, stride=1, *, bias=None):
    """1-D convolution of ``x`` (N, in_channels, L) with ``kernel`` (out_channels, in_channels,
    kernel_size), zero ``padding`` on both sides; ``bias`` (out_channels elements) is added when
    given (a gradswift extra)."""
    x, kernel, bias = as_tensor(x), as_tensor(kernel), None if bias is None else as_tensor(bias)
    return call(lib.gs_conv1d, x._h, kernel._h, 0 if bias is None else bias._h, int64_argument("stride", stride),
                int64_argument("padding", padding))


def conv2d(x, kernel, padding=0, stride=1, *, bias=None):
    """2-D convolution of ``x`` (N, in_channels, H, W) with ``kernel`` (out_channels,
    in_channels, kH, kW), the same stride and zero padding on both axes; ``bias``
    (out_channels elements) is added when given (a gradswift extra)."""
    x, kernel, bias = as_tensor(x), as_tensor(kernel), None if bias is None else as_tensor(bias)
    return call(lib.gs_conv2d, x._h, kernel._h, 0 if bias is None else bias._h, int64_argument("stride", stride),
                int64_argument("padding", padding))


def _pool(cfn, x, kernel_size, stride, padding):
    x, kernel_size = as_tensor(x), int64_argument("kernel_size", kernel_size)  # x stays referenced during the call
    stride = kernel_size if stride is None else int64_argument("stride", stride)
    return call(cfn, x._h, kernel_size, stride, int64_argument("padding", padding))


def max_pool1d(x, kernel_size, stride=None, padding=0):
    """Max pooling of (N, C, L) (stride defaults to kernel_size). As PyTorch, the padding
    counts as -inf (PyDyNet pads zeros) and the gradient goes to the first maximum."""
    return _pool(lib.gs_max_pool1d, x, kernel_size, stride, padding)


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling of (N, C, H, W) over square windows (stride defaults to kernel_size); the
    padding counts as -inf, as in PyTorch."""
    return _pool(lib.gs_max_pool2d, x, kernel_size, stride, padding)


def avg_pool1d(x, kernel_size, stride=None, padding=0):
    """Average pooling of (N, C, L), padded zeros counted (stride defaults to kernel_size)."""
    return _pool(lib.gs_avg_pool1d, x, kernel_size, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling of (N, C, H, W) over square windows, padded zeros counted (stride
    defaults to kernel_size)."""
    return _pool(lib.gs_avg_pool2d, x, kernel_size, stride, padding)


def adaptive_sizes(output_size, dims, name="output_size"):
    """PyTorch's output_size (an int, or a tuple of ``dims`` ints or None) as C sizes, None
    becoming -1 ("keep the input's size")."""
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    if len(sizes) != dims:
        raise ValueError(f"{name} must be an int or a tuple of {dims} values, got {output_size!r}")
    out = []
    for size in sizes:
        if size is None:
            out.append(-1)
            continue
        size = int64_argument(name, size)
        if size < 0:
            raise ValueError(f"{name} must be non-negative, got {output_size!r}")
        out.append(size)
    return out


def _no_indices(return_indices):
    if return_indices:
        raise ValueError("adaptive max pooling with return_indices=True is not supported by gradswift")


def adaptive_avg_pool1d(input, output_size):
    """PyTorch's adaptive average pooling of (N, C, L) or (C, L) to ``output_size`` windows,
    window i covering floor(i*L/out) to ceil((i+1)*L/out) (None keeps L)."""
    x, (size,) = as_tensor(input), adaptive_sizes(output_size, 1)
    return call(lib.gs_adaptive_avg_pool1d, x._h, size)


def adaptive_avg_pool2d(input, output_size):
    """PyTorch's adaptive average pooling of (N, C, H, W) or (C, H, W) to ``output_size`` (an
    int or an (H, W) pair whose None entries keep that size)."""
    x, (h, w) = as_tensor(input), adaptive_sizes(output_size, 2)
    return call(lib.gs_adaptive_avg_pool2d, x._h, h, w)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """PyTorch's adaptive max pooling of (N, C, L) or (C, L); the gradient goes to each
    window's first maximum. ``return_indices=True`` is not supported."""
    _no_indices(return_indices)
    x, (size,) = as_tensor(input), adaptive_sizes(output_size, 1)
    return call(lib.gs_adaptive_max_pool1d, x._h, size)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """PyTorch's adaptive max pooling of (N, C, H, W) or (C, H, W) (None in ``output_size``
    keeps that size). ``return_indices=True`` is not supported."""
    _no_indices(return_indices)
    x, (h, w) = as_tensor(input), adaptive_sizes(output_size, 2)
    return call(lib.gs_adaptive_max_pool2d, x._h, h, w)


_INTERPOLATION_MODES = {"nearest": 0, "linear": 1, "bilinear": 2}


def resample_arguments(size, scale_factor, mode, align_corners):
    """The C arguments (size_h, size_w, scale_h, scale_w, mode, align_corners) of interpolate
    and Upsample: a scalar goes to the width slot with height 0 (one value for every axis)."""
    if mode not in _INTERPOLATION_MODES:
        raise ValueError(f"interpolation mode {mode!r} is not supported (gradswift has 'nearest', 'linear' and 'bilinear')")
    if align_corners is not None and mode == "nearest":
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")

    def pair(name, value, convert):
        values = [convert(v) for v in value] if isinstance(value, (tuple, list)) else [convert(value)]
        if len(values) not in (1, 2):
            raise ValueError(f"{name} takes 1 or 2 values, got {value!r}")
        if not all(v > 0 for v in values):
            raise ValueError(f"{name} must be positive, got {value!r}")
        return (0, values[0]) if len(values) == 1 else tuple(values)
    sizes = (0, 0) if size is None else pair("size", size, lambda v: int64_argument("size", v))
    scales = (0.0, 0.0) if scale_factor is None else pair("scale_factor", scale_factor, float)
    return (*sizes, *scales, _INTERPOLATION_MODES[mode], bool(align_corners))


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """PyTorch's interpolate of (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor``
    (the factor then also sets the sampling step, as PyTorch without recompute_scale_factor):
    modes 'nearest', 'linear' (3-D) and 'bilinear' (4-D), ``align_corners`` for the linear ones.
    ``recompute_scale_factor=True`` and ``antialias=True`` are not supported."""
    if recompute_scale_factor or antialias:
        raise ValueError("interpolate: recompute_scale_factor=True and antialias=True are not supported by gradswift")
    x = as_tensor(input)
    return call(lib.gs_interpolate, x._h, *resample_arguments(size, scale_factor, mode, align_corners))


def _unsupported_groups(op, groups, dilation):
    if groups != 1 or dilation not in (1, (1,), (1, 1)):
        raise ValueError(f"{op}: groups and dilation other than 1 are not supported by gradswift")


def conv_pair(name, value, dims):
    """An int or a ``dims``-tuple of ints as a tuple of ``dims`` C ints."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims:
        raise ValueError(f"{name} must be an int or a tuple of {dims} ints, got {value!r}")
    return tuple(int64_argument(name, v) for v in values)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """PyTorch's conv_transpose1d of (N, in, L) with ``weight`` (in, out, kernel): length
    (L - 1) * stride - 2 * padding + kernel + output_padding. groups and dilation must be 1."""
    _unsupported_groups("conv_transpose1d", groups, dilation)
    x, weight, bias = as_tensor(input), as_tensor(weight), None if bias is None else as_tensor(bias)
    (s,), (p,), (o,) = (conv_pair(n, v, 1) for n, v in (("stride", stride), ("padding", padding),
                                                         ("output_padding", output_padding)))
    return call(lib.gs_conv_transpose1d, x._h, weight._h, 0 if bias is None else bias._h, s, p, o)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """PyTorch's conv_transpose2d of (N, in, H, W) with ``weight`` (in, out, kH, kW): size
    (H - 1) * stride - 2 * padding + kH + output_padding per axis (ints or pairs). groups and
    dilation must be 1."""
    _unsupported_groups("conv_transpose2d", groups, dilation)
    x, weight, bias = as_tensor(input), as_tensor(weight), None if bias is None else as_tensor(bias)
    s, p, o = (conv_pair(n, v, 2) for n, v in (("stride", stride), ("padding", padding), ("output_padding", output_padding)))
    return call(lib.gs_conv_transpose2d, x._h, weight._h, 0 if bias is None else bias._h, *s, *p, *o)


# ---- normalization ------------------------------------------------------------------------


def _norm_optional(t):
    """``t`` as a Tensor, or None."""
    return None if t is None else as_tensor(t)


def _norm_handle(t):
    """The engine handle of an optional Tensor (0 for None)."""
    return 0 if t is None else t._h


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """PyTorch's ``layer_norm``: each sample normalized over its trailing ``normalized_shape``
    dims (biased variance), then ``* weight + bias`` (optional, of shape ``normalized_shape``)."""
    x, weight, bias = as_tensor(x), _norm_optional(weight), _norm_optional(bias)
    dims = _normalized_dims(normalized_shape)
    return call(lib.gs_layer_norm, x._h, _shape_array(dims), len(dims), _norm_handle(weight), _norm_handle(bias),
                float(eps))


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """PyTorch's ``batch_norm`` for x of shape (N, C, ...), statistics per channel.

    Training normalizes with the batch statistics and updates ``running_mean`` and
    ``running_var`` in place (unbiased variance), when given; evaluation uses them. Per-channel
    tensors have shape (C,) or (1, C, 1, ...).
    """
    x, weight, bias = as_tensor(x), _norm_optional(weight), _norm_optional(bias)
    running_mean, running_var = _norm_optional(running_mean), _norm_optional(running_var)
    return call(lib.gs_batch_norm, x._h, _norm_handle(running_mean), _norm_handle(running_var), _norm_handle(weight),
                _norm_handle(bias), bool(training), float(momentum), float(eps))


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """PyTorch's ``group_norm`` for input of shape (N, C, ...): the C channels split into
    ``num_groups`` groups, each sample's group normalized over its channels and positions, then
    ``* weight + bias`` per channel (optional, shape (C,))."""
    x, weight, bias = as_tensor(input), _norm_optional(weight), _norm_optional(bias)
    return call(lib.gs_group_norm, x._h, operator.index(num_groups), _norm_handle(weight), _norm_handle(bias),
                float(eps))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """PyTorch's ``instance_norm`` for input of shape (N, C, L, ...): each sample's channel
    normalized over its positions (``use_input_stats``), updating ``running_mean`` and
    ``running_var`` in place when given; or normalized with those running statistics. Then
    ``* weight + bias`` per channel (optional, shape (C,))."""
    x, weight, bias = as_tensor(input), _norm_optional(weight), _norm_optional(bias)
    running_mean, running_var = _norm_optional(running_mean), _norm_optional(running_var)
    return call(lib.gs_instance_norm, x._h, _norm_handle(running_mean), _norm_handle(running_var),
                _norm_handle(weight), _norm_handle(bias), bool(use_input_stats), float(momentum), float(eps))


def rms_norm(x, normalized_shape, weight=None, eps=1e-6):
    """``x / sqrt(mean(x**2) + eps) * weight`` with the mean over the trailing
    ``normalized_shape`` dims (``weight`` optional, of shape ``normalized_shape``)."""
    x, weight = as_tensor(x), _norm_optional(weight)
    dims = _normalized_dims(normalized_shape)
    return call(lib.gs_rms_norm, x._h, _shape_array(dims), len(dims), _norm_handle(weight), float(eps))


# ---- attention ----------------------------------------------------------------------------


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """PyTorch's ``softmax(query @ key^T * scale + mask) @ value`` over the last two dims of
    query (..., L, E), key (..., S, E) and value (..., S, Ev), leading dims broadcast. A bool
    ``attn_mask`` marks the positions that take part (True), a float one is added to the scores;
    ``is_causal`` keeps positions j <= i; ``scale`` defaults to 1/sqrt(E); ``dropout_p`` drops
    weights (always, as PyTorch's functional form)."""
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    mask = None if attn_mask is None else as_tensor(attn_mask)  # kept alive through the call
    return call(lib.gs_scaled_dot_product_attention, q._h, k._h, v._h, 0 if mask is None else mask._h,
                float(dropout_p), bool(is_causal), float("nan") if scale is None else float(scale))


# ---- padding --------------------------------------------------------------------------------

def pad(input, pad, mode="constant", value=None):
    """``input`` padded as PyTorch's ``F.pad``: ``pad`` holds (before, after) pairs for the last
    dimension, then the one before it, ...; negative entries cut. ``mode`` is ``'constant'``
    (filled with ``value``, default 0), ``'reflect'`` (mirrored, each pad smaller than its
    dimension), ``'replicate'`` (the edge repeated) or ``'circular'`` (wrapped, each pad at
    most its dimension); the last three pad the last 1, 2 or 3 dimensions of a tensor with one
    or two more dimensions."""
    input = as_tensor(input)
    code = pad_mode_code(mode)
    if value is not None and mode != "constant":
        raise ValueError(f'pad: padding mode "{mode}" doesn\'t take in value argument')
    widths = [int64_argument("pad", p) for p in pad]
    return call(lib.gs_pad, input._h, _shape_array(widths), len(widths), code, float(0 if value is None else value))
