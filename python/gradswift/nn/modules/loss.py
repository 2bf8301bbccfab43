"""Loss layers (PyDyNet 1.1's MSELoss, NLLLoss, CrossEntropyLoss and PyTorch's L1Loss,
SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss), engine modules whose forward
takes ``(y_pred, y_true)``; targets may be Tensors or arrays (ints are class indices)."""
from ..._lib import lib
from ...tensor import as_tensor
from .activation import _Configured
from ._engine import engine_new
from .._arguments import reduction_code

__all__ = ["MSELoss", "NLLLoss", "CrossEntropyLoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss"]


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


class _PointwiseLoss(_Configured):
    """A PyTorch loss with settings (rebuilt when one is reassigned), printed as PyTorch
    prints it: ``L1Loss()``."""

    def __repr__(self):
        return f"{type(self).__name__}()"

    def _register_weights(self, **weights):
        """Registers each optional weight as a buffer (PyTorch's), converted to a Tensor."""
        for name, value in weights.items():
            self.register_buffer(name, None if value is None else as_tensor(value))

    @staticmethod
    def _handle(tensor):
        return 0 if tensor is None else tensor._h


class L1Loss(_PointwiseLoss):
    """Mean absolute error ``|y_pred - y_true|``, with broadcasting."""

    _settings = ("reduction",)

    def __init__(self, *, reduction="mean"):
        super().__init__()
        reduction_code(reduction)
        self.reduction = reduction
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_l1_loss_new, reduction_code(self.reduction)))


class SmoothL1Loss(_PointwiseLoss):
    """``0.5 d**2 / beta`` where ``|d| < beta``, ``|d| - 0.5 beta`` elsewhere."""

    _settings = ("reduction", "beta")

    def __init__(self, *, reduction="mean", beta=1.0):
        super().__init__()
        reduction_code(reduction)
        self.reduction, self.beta = reduction, float(beta)
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_smooth_l1_loss_new, reduction_code(self.reduction), float(self.beta)))


class HuberLoss(_PointwiseLoss):
    """``0.5 d**2`` where ``|d| < delta``, ``delta (|d| - 0.5 delta)`` elsewhere."""

    _settings = ("reduction", "delta")

    def __init__(self, *, reduction="mean", delta=1.0):
        super().__init__()
        reduction_code(reduction)
        self.reduction, self.delta = reduction, float(delta)
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_huber_loss_new, reduction_code(self.reduction), float(self.delta)))


class BCELoss(_PointwiseLoss):
    """Binary cross-entropy of probabilities, with an optional ``weight`` buffer."""

    _settings = ("reduction", "weight")

    def __init__(self, weight=None, *, reduction="mean"):
        super().__init__()
        reduction_code(reduction)
        self.reduction = reduction
        self._register_weights(weight=weight)
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_bce_loss_new, self._handle(self.weight), reduction_code(self.reduction)))


class BCEWithLogitsLoss(_PointwiseLoss):
    """Binary cross-entropy of logits (stable), with optional ``weight`` and ``pos_weight``
    buffers (``pos_weight``: one weight per class, the last dimension)."""

    _settings = ("reduction", "weight", "pos_weight")

    def __init__(self, weight=None, *, reduction="mean", pos_weight=None):
        super().__init__()
        reduction_code(reduction)
        self.reduction = reduction
        self._register_weights(weight=weight, pos_weight=pos_weight)
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_bce_with_logits_loss_new, self._handle(self.weight),
                              self._handle(self.pos_weight), reduction_code(self.reduction)))


class KLDivLoss(_PointwiseLoss):
    """Kullback-Leibler divergence of log-probabilities from a target (probabilities, or
    log-probabilities with ``log_target``); ``reduction='batchmean'`` is the true divergence."""

    _settings = ("reduction", "log_target")

    def __init__(self, *, reduction="mean", log_target=False):
        super().__init__()
        reduction_code(reduction, allow_batchmean=True)
        self.reduction, self.log_target = reduction, bool(log_target)
        self._build()

    def _build(self):
        code = reduction_code(self.reduction, allow_batchmean=True)
        self._bind(engine_new(lib.gs_kl_div_loss_new, code, bool(self.log_target)))
