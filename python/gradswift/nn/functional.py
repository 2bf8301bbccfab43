"""Functional forms of the layers (PyDyNet 1.1's ``pydynet.nn.functional``).

Each function is one library call with a fused forward and backward in the engine.
"""
from ..tensor import Tensor, as_tensor, call  # noqa: F401
from .._lib import lib  # noqa: F401

__all__ = []

# ---- activations, linear, embedding, dropout ----------------------------------------------

from .modules.linear import int64_argument  # noqa: E402


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
    padding = 0 if padding_idx is None else int64_argument("embedding", "padding_idx", padding_idx)
    return call(lib.gs_embedding, x._h, weight._h, padding, padding_idx is not None)


def dropout(x, p=0.5, training=True):
    """While ``training``, zeroes each element with probability ``p`` and scales the others by
    ``1 / (1 - p)``; otherwise returns ``x`` (PyTorch's functional form)."""
    x = as_tensor(x)
    return call(lib.gs_dropout, x._h, float(p), bool(training))


__all__ += ["linear", "embedding", "dropout"]

# ---- softmax and losses -------------------------------------------------------------------

# ---- convolution and pooling --------------------------------------------------------------

# ---- normalization ------------------------------------------------------------------------

# ---- recurrent cells ----------------------------------------------------------------------
