"""gradswift: a deep-learning engine written in Swift, with PyDyNet 1.1's Python API.

``import gradswift as pdn`` runs PyDyNet scripts unchanged. The computations happen in
``libgradswift.so`` (found through ``$GRADSWIFT_LIBRARY``, next to this package, or in the
repository's ``.build/release``).
"""
from . import autograd, cuda, data, nn, optim
from .autograd import enable_grad, no_grad
from .cuda import Device
from .ops import (abs, add, argmax, argmin, concat, div, dsplit, exp, hsplit, log, matmul, max,
                  maximum, mean, min, minimum, mul, pow, reshape, sigmoid, sign, split, sqrt,
                  square, squeeze, sub, sum, swapaxes, tanh, transpose, unsqueeze, vsplit)
from .serialization import load, save
from .special import empty, manual_seed, ones, rand, randn, uniform, zeros
from .tensor import Tensor
from ._lib import library_version

__version__ = library_version()  # the engine's version, from gs_version

__all__ = [
    "Tensor", "add", "sub", "mul", "div", "pow", "matmul", "abs", "sum", "mean", "min", "max",
    "argmax", "argmin", "maximum", "minimum", "exp", "log", "sign", "reshape", "transpose",
    "swapaxes", "concat", "sigmoid", "tanh", "sqrt", "square", "vsplit", "hsplit", "dsplit",
    "split", "unsqueeze", "squeeze", "zeros", "ones", "rand", "randn", "empty", "uniform",
    "Device", "enable_grad", "no_grad", "manual_seed",
]
__all__ += ["save", "load"]
