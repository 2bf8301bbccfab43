"""Dropout: an engine layer, active in training mode only."""
import numbers

from ..._lib import lib
from ._engine import EngineModule, engine_new

__all__ = ["Dropout", "Dropout1d", "Dropout2d"]


class Dropout(EngineModule):
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)`` while
    training (``p == 1`` gives zeros, as PyTorch); the identity after ``eval()``."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = _probability(type(self).__name__, p)
        self.inplace = inplace
        self._bind(engine_new(lib.gs_dropout_new, float(p)))


class Dropout1d(EngineModule):
    """While training, zeroes each channel of (N, C, L) or (C, L) inputs whole with probability
    ``p`` and scales the others by ``1 / (1 - p)``; the identity after ``eval()``. ``inplace``
    is accepted and gives a new tensor."""

    _spatial_dims = 1

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = _probability(type(self).__name__, p)
        self.inplace = inplace
        self._bind(engine_new(lib.gs_channel_dropout_new, float(p), self._spatial_dims))


class Dropout2d(Dropout1d):
    """As Dropout1d for (N, C, H, W) or (C, H, W) inputs."""

    _spatial_dims = 2


def _probability(layer, p):
    """``p`` checked to be a real number (the engine checks its range)."""
    if not isinstance(p, numbers.Real):
        raise TypeError(f"{layer}: p must be a real number, got {type(p).__name__}")
    return p
