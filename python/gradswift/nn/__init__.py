"""Neural-network layers, functional ops and initialisers (PyDyNet 1.1's ``pydynet.nn``), and
gradient and parameter utilities (PyTorch's ``torch.nn.utils``)."""
from . import functional, init, parallel, utils
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .parameter import Parameter

__all__ = list(_modules_all) + ["Parameter", "functional", "init", "utils"]
