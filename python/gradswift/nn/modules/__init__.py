"""The layers of ``gradswift.nn`` (PyDyNet 1.1's names)."""
from .module import Module, ModuleList, Sequential

__all__ = ["Module", "Sequential", "ModuleList"]
