"""Device handling. gradswift runs on the CPU only: CUDA is never available."""
import numpy as np

__all__ = ["is_available", "device_count", "current_device", "set_device", "Device"]


def is_available():
    """Whether CUDA can be used: always False for gradswift."""
    return False


def device_count():
    """Number of CUDA devices: always 0."""
    return 0


def current_device():
    """The current CUDA device: raises RuntimeError, there is none."""
    raise RuntimeError("CUDA is not available: gradswift runs on the CPU only")


def set_device(device):
    """Select a CUDA device: raises RuntimeError, there is none."""
    raise RuntimeError("CUDA is not available: gradswift runs on the CPU only")


def _is_cuda_spec(spec):
    """Whether ``spec`` names a CUDA device (``'cuda'``, ``'cuda:N'`` or an int); ValueError if unknown."""
    if isinstance(spec, bool):
        raise ValueError(f"Unknown device {spec!r}")
    if isinstance(spec, int):
        return True
    if isinstance(spec, str):
        if spec == "cpu":
            return False
        if spec.startswith("cuda"):
            index = spec[4:]
            if index and not (index.startswith(":") and index[1:].isdigit()):
                raise ValueError(f"Wrong cuda id {index.lstrip(':')!r}")
            return True
        raise ValueError(f"Unknown device {spec!r}")
    if spec is None or isinstance(spec, Device):
        return False
    raise ValueError(f"Unknown device {spec!r}")


class Device:
    """A compute device, as in PyDyNet. Only the CPU exists: ``Device()``, ``Device('cpu')``.

    Asking for a CUDA device (``'cuda'``, ``'cuda:0'``, ``0``) raises RuntimeError. The device is
    a context manager that does nothing (``with x.device: ...``).
    """

    def __init__(self, device=None):
        if _is_cuda_spec(device):
            raise RuntimeError(f"CUDA device {device!r} requested, but gradswift runs on the CPU "
                               "only (cuda.is_available() is False)")
        self.device = "cpu"

    @property
    def xp(self):
        """The array module of this device (always NumPy)."""
        return np

    def __repr__(self):
        return "Device(type='cpu')"

    def __eq__(self, other):
        if isinstance(other, Device):
            return True
        try:
            return not _is_cuda_spec(other)
        except ValueError:
            return NotImplemented

    def __hash__(self):
        return hash("cpu")

    def __enter__(self):
        return None

    def __exit__(self, exc_type, exc_value, traceback):
        return None


CPU = Device()
