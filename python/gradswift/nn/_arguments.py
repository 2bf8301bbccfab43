"""Argument decoding shared by the layers and the functional forms."""
import operator

from .._abi import ENUMS

__all__ = ["softmax_axis", "reduction_code", "normalized_dims", "pad_mode_code"]

_REDUCTIONS = ENUMS["gs_reduction"]
_PAD_MODES = ENUMS["gs_pad_mode"]


def softmax_axis(axis):
    """``(axis, all_axes)`` for the C softmax functions: None means every element; an int or
    a one-element tuple names one axis (several axes are not supported: TypeError)."""
    if axis is None:
        return 0, True
    if isinstance(axis, (tuple, list)):
        if len(axis) != 1:
            raise TypeError(f"softmax: axis must be an int or None, got {axis!r} "
                            "(a tuple of several axes is not supported)")
        axis = axis[0]
    if isinstance(axis, bool) or not hasattr(axis, "__index__"):
        raise TypeError(f"softmax: axis must be an int or None, got {type(axis).__name__}")
    return axis.__index__(), False


def reduction_code(reduction, allow_batchmean=False):
    """The gs_reduction code of ``'mean'``, ``'sum'`` or ``'none'``, and of ``'batchmean'``
    where ``allow_batchmean`` (KL divergence); ValueError otherwise."""
    allowed = ("mean", "sum", "none") + (("batchmean",) if allow_batchmean else ())
    if not isinstance(reduction, str) or reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"reduction must be {names}, got {reduction!r}")
    return _REDUCTIONS[reduction]


def normalized_dims(normalized_shape):
    """``normalized_shape`` (an int or a sequence of ints) as a tuple of ints."""
    if isinstance(normalized_shape, (tuple, list)):
        return tuple(operator.index(d) for d in normalized_shape)
    return (operator.index(normalized_shape),)


def pad_mode_code(mode):
    """The gs_pad_mode code of ``'constant'``, ``'reflect'``, ``'replicate'`` or
    ``'circular'``; ValueError otherwise (PyTorch raises NotImplementedError)."""
    if not isinstance(mode, str) or mode not in _PAD_MODES:
        raise ValueError(f"pad: unrecognised padding mode {mode!r} (expected one of {', '.join(_PAD_MODES)})")
    return _PAD_MODES[mode]
