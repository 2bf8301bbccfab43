"""Functional forms of the layers (PyDyNet 1.1's ``pydynet.nn.functional``).

Each function is one library call with a fused forward and backward in the engine.
"""
from ..tensor import Tensor, as_tensor, call  # noqa: F401
from .._lib import lib  # noqa: F401

__all__ = []

# ---- activations, linear, embedding, dropout ----------------------------------------------

# ---- softmax and losses -------------------------------------------------------------------

# ---- convolution and pooling --------------------------------------------------------------

# ---- normalization ------------------------------------------------------------------------

# ---- recurrent cells ----------------------------------------------------------------------
