"""``gradswift.autograd``: grad mode, anomaly detection and gradient checking, with
``torch.autograd``'s names."""
from ._modes import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enable, no_grad,
                     set_detect_anomaly, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck

__all__ = ["is_grad_enable", "set_grad_enabled", "no_grad", "enable_grad",
           "is_anomaly_enabled", "set_detect_anomaly", "detect_anomaly", "gradcheck", "GradcheckError"]

for _public in (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enable, no_grad,
                set_detect_anomaly, set_grad_enabled):
    _public.__module__ = __name__  # documented here, whatever module defines it
del _public
