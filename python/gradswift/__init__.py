"""gradswift: a deep-learning engine written in Swift, with PyDyNet 1.1's Python API.

``import gradswift as pdn`` runs PyDyNet scripts unchanged. The computations happen in
``libgradswift.so`` (found through ``$GRADSWIFT_LIBRARY``, next to this package, or in the
repository's ``.build/release``).
"""
from . import autograd, cuda, data, linalg, nn, optim
from ._modes import enable_grad, no_grad
from .cuda import Device
from . import ops
from .ops import *  # noqa: F401,F403 (the tensor functions, listed in ops.__all__)
from .serialization import load, save
from .special import empty, manual_seed, ones, rand, randn, uniform, zeros
from .tensor import Tensor
from ._lib import library_version

__version__ = library_version()  # the engine's version, from gs_version

__all__ = ["Tensor", *ops.__all__, "zeros", "ones", "rand", "randn", "empty", "uniform",
           "Device", "enable_grad", "no_grad", "manual_seed", "save", "load"]
