"""PyTorch's shape layers ``Flatten``, ``Unflatten`` and ``Identity``: Python modules over the
engine's shape functions (no parameters, nothing for the engine's module system to keep)."""
from ... import ops
from .module import Module

__all__ = ["Flatten", "Unflatten", "Identity"]


class Flatten(Module):
    """Layer: axes ``start_dim..end_dim`` merged into one (by default all but the batch axis)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return ops.flatten(input, self.start_dim, self.end_dim)

    def __repr__(self):
        return f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim})"


class Unflatten(Module):
    """Layer: axis ``dim`` split into axes of ``unflattened_size``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        return ops.unflatten(input, self.dim, self.unflattened_size)

    def __repr__(self):
        return f"Unflatten(dim={self.dim}, unflattened_size={self.unflattened_size})"


class Identity(Module):
    """Layer returning its input unchanged (arguments are accepted and ignored, as PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input

    def __repr__(self):
        return "Identity()"
