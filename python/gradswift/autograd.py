"""Grad mode: whether operations record the graph. The flag is per thread (kept by the engine)."""
import functools
from ctypes import c_bool

from ._lib import check, lib

__all__ = ["is_grad_enable", "set_grad_enabled", "no_grad", "enable_grad"]

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


class _GradMode:
    """Context manager and decorator setting grad mode to ``_mode`` and restoring it after."""

    _mode = True

    def __init__(self):
        self._saved = []

    def __enter__(self):
        self._saved.append(is_grad_enable())
        set_grad_enabled(self._mode)

    def __exit__(self, exc_type, exc_value, traceback):
        set_grad_enabled(self._saved.pop())

    def __call__(self, func):
        """Use as a decorator: ``func`` runs with this grad mode."""
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disable gradient recording: ``with no_grad(): ...`` or ``@no_grad()``."""

    _mode = False


class enable_grad(_GradMode):
    """Enable gradient recording: ``with enable_grad(): ...`` or ``@enable_grad()``."""

    _mode = True

from .gradcheck import GradcheckError, gradcheck  # noqa: E402  (finite-difference checks live there)

__all__ += ["gradcheck", "GradcheckError"]
