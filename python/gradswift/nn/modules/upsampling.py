"""PyTorch's Upsample layer, computed by the engine (``gradswift.nn.functional.interpolate``)."""
from ..functional import resample_arguments
from ..._lib import lib
from ._engine import EngineModule, engine_new

__all__ = ["Upsample"]


class Upsample(EngineModule):
    """Resamples (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor`` (exactly one),
    in mode 'nearest', 'linear' or 'bilinear'; printed as PyTorch prints it."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None):
        super().__init__()
        if recompute_scale_factor:
            raise ValueError("Upsample: recompute_scale_factor=True is not supported by gradswift")
        arguments = resample_arguments(size, scale_factor, mode, align_corners)
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners, self.recompute_scale_factor = mode, align_corners, recompute_scale_factor
        self._bind(engine_new(lib.gs_upsample_new, *arguments))

    def __repr__(self):
        target = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{type(self).__name__}({target}, mode={self.mode!r})"
