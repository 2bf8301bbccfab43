"""The layers of ``gradswift.nn`` (PyDyNet 1.1's names)."""
from .module import Module, ModuleList, Sequential

__all__ = ["Module", "Sequential", "ModuleList"]
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm, RMSNorm  # noqa: E402
__all__ += ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "RMSNorm"]
