"""``gradswift.autograd``: grad mode, anomaly detection, ``grad``, custom functions
(``Function``), gradient checking and ``functional`` derivatives, with ``torch.autograd``'s
names."""
from .._modes import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enable, no_grad,
                      set_detect_anomaly, set_grad_enabled)
from . import functional
from .function import Function, FunctionCtx
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import grad

__all__ = ["is_grad_enable", "set_grad_enabled", "no_grad", "enable_grad",
           "is_anomaly_enabled", "set_detect_anomaly", "detect_anomaly", "grad", "Function",
           "FunctionCtx", "gradcheck", "gradgradcheck", "GradcheckError", "functional"]

for _public in (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enable, no_grad,
                set_detect_anomaly, set_grad_enabled):
    _public.__module__ = __name__  # documented here, whatever module defines it
del _public
