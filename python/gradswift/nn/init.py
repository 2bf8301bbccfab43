"""Parameter initialisers (PyDyNet 1.1's ``pydynet.nn.init``), filling tensors in place.

Samples come from the engine's generator, so ``gradswift.manual_seed`` makes them reproducible
(PyDyNet draws from NumPy's global generator). Fans are counted as PyDyNet does: fan_in is
dim 0 times the receptive field, which fits its (in, out) Linear weights.
"""
import math
from ctypes import c_double

from .._abi import ENUMS
from .._lib import check, lib

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "ones_", "zeros_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]

_NONLINEARITIES = ENUMS["gs_nonlinearity"]
_MODES = ENUMS["gs_fan_mode"]


def _code(table, value, what):
    try:
        return table[value]
    except (KeyError, TypeError):
        raise ValueError(f"unknown {what} {value!r}; expected one of {sorted(table)}") from None


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for ``nonlinearity``; ``param`` is leaky_relu's slope (default 0.01)."""
    out = c_double()
    slope = math.nan if param is None else float(param)
    check(lib.gs_init_gain(_code(_NONLINEARITIES, nonlinearity, "nonlinearity"), slope, out))
    return out.value


def uniform_(tensor, a=0., b=1.):
    """Fills ``tensor`` from U(a, b) and returns it."""
    check(lib.gs_init_uniform(tensor._h, float(a), float(b)))
    return tensor


def normal_(tensor, mean=0., std=1.):
    """Fills ``tensor`` from N(mean, std²) and returns it."""
    check(lib.gs_init_normal(tensor._h, float(mean), float(std)))
    return tensor


def constant_(tensor, val):
    """Sets every element of ``tensor`` to ``val`` and returns it."""
    check(lib.gs_init_constant(tensor._h, float(val)))
    return tensor


def ones_(tensor):
    """Fills ``tensor`` with ones."""
    return constant_(tensor, 1.)


def zeros_(tensor):
    """Fills ``tensor`` with zeros."""
    return constant_(tensor, 0.)


def xavier_uniform_(tensor, gain=1.):
    """Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    check(lib.gs_init_xavier_uniform(tensor._h, float(gain)))
    return tensor


def xavier_normal_(tensor, gain=1.):
    """Glorot normal: N(0, s²) with s = gain * sqrt(2 / (fan_in + fan_out))."""
    check(lib.gs_init_xavier_normal(tensor._h, float(gain)))
    return tensor


def kaiming_uniform_(tensor, a=0., mode="fan_in", nonlinearity="relu"):
    """He uniform: U(-b, b) with b = calculate_gain(nonlinearity, a) * sqrt(3 / fan)."""
    check(lib.gs_init_kaiming_uniform(tensor._h, float(a), _code(_MODES, mode, "mode"),
                                      _code(_NONLINEARITIES, nonlinearity, "nonlinearity")))
    return tensor


def kaiming_normal_(tensor, a=0., mode="fan_in", nonlinearity="relu"):
    """He normal: N(0, s²) with s = calculate_gain(nonlinearity, a) / sqrt(fan)."""
    check(lib.gs_init_kaiming_normal(tensor._h, float(a), _code(_MODES, mode, "mode"),
                                     _code(_NONLINEARITIES, nonlinearity, "nonlinearity")))
    return tensor
