"""The layers of ``gradswift.nn`` (PyDyNet 1.1's names)."""
from .module import Module, ModuleList, Sequential

__all__ = ["Module", "Sequential", "ModuleList"]
from .conv import Conv1d, Conv2d  # noqa: E402
from .pool import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d  # noqa: E402

__all__ += ["Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"]
