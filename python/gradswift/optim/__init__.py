"""Optimizers and learning-rate schedules (PyDyNet 1.1's ``pydynet.optim``)."""
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, MultiStepLR, StepLR, _LRScheduler
from .optimizer import SGD, Adadelta, Adagrad, Adam, Optimizer

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "Adam", "_LRScheduler", "ExponentialLR",
           "StepLR", "MultiStepLR", "CosineAnnealingLR"]
