"""``gradswift.linalg``: PyTorch's ``torch.linalg`` vector norms (``vector_norm``, and ``norm``
where it is one)."""
from . import _reductions
from .tensor import as_tensor

__all__ = ["vector_norm", "norm"]


def vector_norm(x, ord=2, dim=None, keepdim=False):
    """The ``ord``-norm of the elements of ``x`` over ``dim`` (None: every element):
    (Σ|x|^ord)^(1/ord), max|x| for inf, min|x| for -inf, the count of nonzeros for 0."""
    return _reductions.vector_norm(as_tensor(x), ord, dim, keepdim)


def norm(x, ord=None, dim=None, keepdim=False):
    """``torch.linalg.norm`` where it is a vector norm: ``ord`` None or ``'fro'`` (the 2-norm of
    the elements over ``dim``: the Frobenius norm of a matrix), or a number with a 1-D input or
    an int ``dim``. Other matrix norms raise NotImplementedError."""
    return _reductions.linalg_norm(as_tensor(x), ord, dim, keepdim)
