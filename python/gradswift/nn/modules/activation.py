"""Activation layers, engine modules: PyDyNet 1.1's Sigmoid, Tanh, ReLU, LeakyReLU and Softmax,
and PyTorch's GELU, SiLU, ELU, SELU, CELU, Softplus, Mish, Hardtanh, ReLU6, Hardsigmoid,
Hardswish and LogSigmoid. ``inplace`` is accepted where PyTorch has it (``nn.ReLU(inplace=True)``
is common in model definitions); the result is always a new tensor."""
from ..._lib import lib
from ._engine import EngineModule, engine_new
from .._arguments import softmax_axis

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "GELU", "SiLU", "ELU", "SELU", "CELU",
           "Softplus", "Mish", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "LogSigmoid"]


class _Configured(EngineModule):
    """An engine layer rebuilt when one of its ``_settings`` attributes is reassigned, so that
    ``layer.alpha = 0.2`` takes effect as it does in PyDyNet (whose forward reads the attribute)."""

    _settings = ()

    def __setattr__(self, name, value):
        EngineModule.__setattr__(self, name, value)
        if name in self._settings and "_engine" in self.__dict__:
            self._build()

    def _build(self):
        raise NotImplementedError


class Sigmoid(EngineModule):
    """Activation layer: 1 / (1 + e^-x)."""

    def __init__(self):
        super().__init__()
        self._bind(engine_new(lib.gs_sigmoid_new))


class Tanh(EngineModule):
    """Activation layer: tanh(x)."""

    def __init__(self):
        super().__init__()
        self._bind(engine_new(lib.gs_tanh_new))


class ReLU(EngineModule):
    """Activation layer: max(x, 0) (gradient 0 at 0, as PyTorch)."""

    def __init__(self, inplace=False):
        super().__init__()
        self._bind(engine_new(lib.gs_relu_new))


class LeakyReLU(_Configured):
    """Activation layer: x for x > 0, ``alpha * x`` otherwise."""

    _settings = ("alpha",)

    def __init__(self, alpha: float = 0.1):
        super().__init__()
        self.alpha = float(alpha)
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_leaky_relu_new, float(self.alpha)))


class Softmax(_Configured):
    """Activation layer: softmax along ``axis`` (None: over every element, as PyDyNet)."""

    _settings = ("axis",)

    def __init__(self, axis=None):
        super().__init__()
        self.axis = axis
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_softmax_new, *softmax_axis(self.axis)))


def _fixed(name, constructor, doc):
    """An activation layer class without settings, built by ``constructor`` (``gs_<x>_new``)."""

    def __init__(self, inplace=False):
        EngineModule.__init__(self)
        self._bind(engine_new(constructor))

    return type(name, (EngineModule,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


SiLU = _fixed("SiLU", lib.gs_silu_new, "Activation layer: x * sigmoid(x).")
SELU = _fixed("SELU", lib.gs_selu_new, "Activation layer: scale * elu(x, alpha) with the self-normalising constants.")
Mish = _fixed("Mish", lib.gs_mish_new, "Activation layer: x * tanh(softplus(x)).")
ReLU6 = _fixed("ReLU6", lib.gs_relu6_new, "Activation layer: min(max(x, 0), 6).")
Hardsigmoid = _fixed("Hardsigmoid", lib.gs_hardsigmoid_new, "Activation layer: relu6(x + 3) / 6.")
Hardswish = _fixed("Hardswish", lib.gs_hardswish_new, "Activation layer: x * relu6(x + 3) / 6.")
LogSigmoid = _fixed("LogSigmoid", lib.gs_logsigmoid_new, "Activation layer: ln(sigmoid(x)), without overflow.")


class GELU(_Configured):
    """Activation layer: x * Phi(x) (``approximate="none"``) or its tanh approximation (``"tanh"``)."""

    _settings = ("approximate",)

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate
        self._build()

    def _build(self):
        if self.approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {self.approximate!r}")
        self._bind(engine_new(lib.gs_gelu_new, self.approximate == "tanh"))


class ELU(_Configured):
    """Activation layer: x for x > 0, ``alpha * (e^x - 1)`` otherwise."""

    _settings = ("alpha",)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = float(alpha)
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_elu_new, float(self.alpha)))


class CELU(_Configured):
    """Activation layer: x for x > 0, ``alpha * (e^(x / alpha) - 1)`` otherwise (alpha != 0)."""

    _settings = ("alpha",)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = float(alpha)
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_celu_new, float(self.alpha)))


class Softplus(_Configured):
    """Activation layer: ``ln(1 + e^(beta x)) / beta``, x itself where ``beta * x > threshold``."""

    _settings = ("beta", "threshold")

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = float(beta), float(threshold)
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_softplus_new, float(self.beta), float(self.threshold)))


class Hardtanh(_Configured):
    """Activation layer: x limited to [min_val, max_val] (gradient 0 at and beyond the bounds)."""

    _settings = ("min_val", "max_val")

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val, self.max_val = float(min_val), float(max_val)
        self._build()

    def _build(self):
        self._bind(engine_new(lib.gs_hardtanh_new, float(self.min_val), float(self.max_val)))
