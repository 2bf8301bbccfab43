"""Grad mode (whether operations record the graph; per thread) and anomaly detection (whether
recorded results and gradients are checked for NaN and infinity; per process). Both flags are
kept by the engine. Public as ``gradswift.autograd``; a module of its own so that the tensor
code can use it without importing the autograd namespace (which imports the tensor code)."""
import functools
from ctypes import c_bool

from ._lib import check, lib
from ._release import release_pending

__all__ = ["is_grad_enable", "set_grad_enabled", "no_grad", "enable_grad",
           "is_anomaly_enabled", "set_detect_anomaly", "detect_anomaly"]

_get = lib.gs_is_grad_enabled
_set = lib.gs_set_grad_enabled


def is_grad_enable():
    """Whether grad mode is on in the calling thread."""
    flag = c_bool()
    check(_get(flag))
    return flag.value


def set_grad_enabled(mode):
    """Turn grad mode on or off in the calling thread."""
    check(_set(bool(mode)))


class _ModeSwitch:
    """Context manager and decorator setting a mode (read by ``_read``, written by ``_write``)
    to ``_mode`` and restoring the previous value after, also when an exception leaves it."""

    _mode = True
    _read = _write = None  # set by subclasses

    def __init__(self):
        self._saved = []

    def __enter__(self):
        release_pending()
        self._saved.append(type(self)._read())
        type(self)._write(self._mode)

    def __exit__(self, exc_type, exc_value, traceback):
        release_pending()
        type(self)._write(self._saved.pop())

    def __call__(self, func):
        """Use as a decorator: ``func`` runs with this mode."""
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class _GradMode(_ModeSwitch):
    """Grad mode as a switch."""

    _read = staticmethod(is_grad_enable)
    _write = staticmethod(set_grad_enabled)


class no_grad(_GradMode):
    """Disable gradient recording: ``with no_grad(): ...`` or ``@no_grad()``."""

    _mode = False


class enable_grad(_GradMode):
    """Enable gradient recording: ``with enable_grad(): ...`` or ``@enable_grad()``."""

    _mode = True


def is_anomaly_enabled():
    """Whether anomaly detection is on (for the whole process)."""
    flag = c_bool()
    check(lib.gs_is_anomaly_enabled(flag))
    return flag.value


def _write_anomaly(mode):
    """Turn anomaly detection on or off."""
    check(lib.gs_set_detect_anomaly(bool(mode)))


class detect_anomaly(_ModeSwitch):
    """Turn anomaly detection on: ``with detect_anomaly(): ...`` or ``@detect_anomaly()``.

    While on, an operation recorded in the graph whose result holds NaN or infinity, and a
    backward that computes such a gradient, raise RuntimeError naming the operation (and, in
    backward, which input), as ``torch.autograd.detect_anomaly`` does for backward. Checking
    costs a pass over each result, so leave it off outside debugging. The mode is per process
    (as in PyTorch), not per thread like grad mode."""

    _mode = True
    _read = staticmethod(is_anomaly_enabled)
    _write = staticmethod(_write_anomaly)


class set_detect_anomaly:
    """Turn anomaly detection on or off as ``mode`` says, at once: ``set_detect_anomaly(True)``.
    Used as a context manager (``with set_detect_anomaly(False): ...``) it restores the mode it
    found on exit, as PyTorch's does."""

    def __init__(self, mode):
        self._previous = is_anomaly_enabled()
        _write_anomaly(mode)

    def __enter__(self):
        pass

    def __exit__(self, exc_type, exc_value, traceback):
        _write_anomaly(self._previous)
