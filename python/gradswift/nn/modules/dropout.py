"""Dropout: an engine layer, active in training mode only."""
import numbers

from ..._lib import lib
from ._engine import EngineModule, engine_new

__all__ = ["Dropout"]


class Dropout(EngineModule):
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)`` while
    training (``p == 1`` gives zeros, as PyTorch); the identity after ``eval()``."""

    def __init__(self, p=0.5):
        super().__init__()
        if not isinstance(p, numbers.Real):
            raise TypeError(f"Dropout: p must be a real number, got {type(p).__name__}")
        self.p = p
        self._bind(engine_new(lib.gs_dropout_new, float(p)))
