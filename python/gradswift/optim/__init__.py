"""Optimizers and learning-rate schedules (PyDyNet 1.1's ``pydynet.optim`` and PyTorch's additions)."""
from . import lr_scheduler
from .lbfgs import LBFGS
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, MultiStepLR, StepLR, _LRScheduler
from .optimizer import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, Optimizer, RMSprop

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "Adam", "AdamW", "RMSprop", "Adamax", "NAdam", "LBFGS",
           "lr_scheduler", "_LRScheduler", "ExponentialLR", "StepLR", "MultiStepLR", "CosineAnnealingLR"]
