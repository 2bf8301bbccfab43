"""Loss layers (PyDyNet 1.1's MSELoss, NLLLoss, CrossEntropyLoss), engine modules whose
forward takes ``(y_pred, y_true)``; targets may be Tensors or arrays (ints are class indices)."""
from ..._lib import lib
from .activation import _Configured
from ._engine import engine_new
from .._arguments import reduction_code

__all__ = ["MSELoss", "NLLLoss", "CrossEntropyLoss"]


class _Loss(_Configured):
    """A loss with ``reduction`` 'mean' (default), 'sum' or 'none' (PyTorch's extra);
    anything else raises ValueError."""

    _settings = ("reduction",)
    _constructor = None

    def __init__(self, reduction="mean"):
        super().__init__()
        reduction_code(reduction)
        self.reduction = reduction

    def _build(self):
        self._bind(engine_new(type(self)._constructor, reduction_code(self.reduction)))

    def __setattr__(self, name, value):
        # the first assignment of reduction builds the engine module
        if name == "reduction" and "_engine" not in self.__dict__:
            object.__setattr__(self, name, value)
            self._build()
        else:
            _Configured.__setattr__(self, name, value)


class MSELoss(_Loss):
    """Mean squared error ``(y_pred - y_true) ** 2``, with broadcasting."""

    _constructor = lib.gs_mse_loss_new


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities against class indices or probabilities."""

    _constructor = lib.gs_nll_loss_new


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against class indices or probabilities (fused log-softmax)."""

    _constructor = lib.gs_cross_entropy_loss_new
