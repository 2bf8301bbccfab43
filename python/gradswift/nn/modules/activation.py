"""Activation layers (PyDyNet 1.1's Sigmoid, Tanh, ReLU, LeakyReLU, Softmax), engine modules."""
from ..._lib import lib
from ._engine import EngineModule, engine_new
from .._arguments import softmax_axis

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax"]


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

    def __init__(self):
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
