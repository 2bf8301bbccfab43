"""gradswift: a deep-learning engine written in Swift, with PyDyNet 1.1's Python API.

``import gradswift as pdn`` runs PyDyNet scripts unchanged. The computations happen in
``libgradswift.so`` (found through ``$GRADSWIFT_LIBRARY``, next to this package, or in the
repository's ``.build/release``).
"""
import numpy as np

from . import autograd, config, cuda, data, linalg, nn, optim, profiler
from .config import empty_cache, get_cache_limit, get_num_threads, memory_stats, set_cache_limit, set_num_threads
from .dlpack import from_dlpack
from ._modes import enable_grad, no_grad
from .cuda import Device
from . import ops
from .ops import *  # noqa: F401,F403 (the tensor functions, listed in ops.__all__)
from .serialization import load, save
from . import special
from .special import *  # noqa: F401,F403 (creation functions, listed in special.__all__)
from .tensor import Tensor
from ._lib import library_version

__version__ = library_version()  # the engine's version, from gs_version

#: PyTorch's dtype names, as the NumPy types gradswift's tensors report (left out of __all__:
#: ``from gradswift import *`` must not shadow the builtins float and bool).
float16 = half = np.float16
float32 = float = np.float32
float64 = double = np.float64
int8 = np.int8
uint8 = np.uint8
int16 = short = np.int16
int32 = int = np.int32
int64 = long = np.int64
bool = np.bool_

__all__ = ["Tensor", *ops.__all__, *special.__all__, "Device", "enable_grad", "no_grad", "save", "load", "set_num_threads",
           "get_num_threads", "memory_stats", "empty_cache", "set_cache_limit",
           "get_cache_limit", "from_dlpack"]
