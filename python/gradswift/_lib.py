"""Loading of ``libgradswift.so``, its C prototypes and the mapping of status codes to exceptions.

The library is searched, in order, at ``$GRADSWIFT_LIBRARY``, next to this package
(``gradswift/libgradswift.so``) and in the repository's ``.build/release/`` directory.
"""
import ctypes
import os
import threading

from ._abi import (CALLBACKS, GS_ERR_DTYPE, GS_ERR_INDEX, GS_ERR_INTERNAL, GS_ERR_INVALID_ARGUMENT, GS_ERR_INVALID_HANDLE,
                   GS_ERR_INVALID_STATE, GS_ERR_OUT_OF_MEMORY, GS_ERR_SHAPE_MISMATCH, PROTOTYPES)

__all__ = ["lib", "check", "error", "LIBRARY_PATH", "CALLBACK_TYPES", "defer_exception"]

_SCALARS = {
    "int32_t": ctypes.c_int32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "double": ctypes.c_double,
    "bool": ctypes.c_bool,
}


def _ctype(spec):
    """Translate a C type string of the prototype table into a ctypes type (``None`` for void)."""
    spec = " ".join(spec.replace("const ", "").split())
    if spec in CALLBACK_TYPES:
        return CALLBACK_TYPES[spec]
    if spec == "void":
        return None
    if spec == "char *":
        return ctypes.c_char_p
    if spec == "char * *":  # an array of strings (const char *const *)
        return ctypes.POINTER(ctypes.c_char_p)
    if spec == "void *":
        return ctypes.c_void_p
    if spec == "void **":
        return ctypes.POINTER(ctypes.c_void_p)
    if spec.endswith("*"):
        return ctypes.POINTER(_SCALARS[spec[:-1].strip()])
    return _SCALARS[spec]


CALLBACK_TYPES = {}
"""The ctypes function types of the ABI's callback typedefs, by name."""
CALLBACK_TYPES.update((name, ctypes.CFUNCTYPE(_ctype(ret), *map(_ctype, args)))
                      for name, (ret, args) in CALLBACKS.items())


def _candidates():
    """Paths where the shared library may live, in search order."""
    here = os.path.dirname(os.path.abspath(__file__))
    paths = []
    env = os.environ.get("GRADSWIFT_LIBRARY")
    if env:
        paths.append(env)
    paths.append(os.path.join(here, "libgradswift.so"))
    paths.append(os.path.normpath(os.path.join(here, "..", "..", ".build", "release", "libgradswift.so")))
    return paths


def _load():
    """Load the first library found among the candidates, or raise ImportError naming them all.
    Its OpenBLAS loads with ``OPENBLAS_NUM_THREADS=1`` (set in the environment for the load
    only, unless the user set it), so it starts no worker threads of its own: the engine runs
    BLAS on one thread and splits large products over its own threads."""
    added = "OPENBLAS_NUM_THREADS" not in os.environ
    if added:
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        return _load_first()
    finally:
        if added:
            del os.environ["OPENBLAS_NUM_THREADS"]


def _load_first():
    """``_load`` without the OpenBLAS setting."""
    tried = []
    for path in _candidates():
        if not os.path.exists(path):
            tried.append(f"{path} (not found)")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            tried.append(f"{path} ({exc})")
    raise ImportError(
        "gradswift: cannot load libgradswift.so; set GRADSWIFT_LIBRARY or build it with "
        "`swift build -c release`. Tried:\n  " + "\n  ".join(tried))


lib, LIBRARY_PATH = _load()

_missing = [name for name, _, _ in PROTOTYPES if not hasattr(lib, name)]
if _missing:  # a library older than this package
    raise ImportError(f"gradswift: {LIBRARY_PATH} lacks {', '.join(_missing)}; rebuild it "
                      "(`swift build -c release`) to match this package")
for _name, _restype, _argtypes in PROTOTYPES:
    _fn = getattr(lib, _name)
    _fn.restype = _ctype(_restype)
    _fn.argtypes = [_ctype(a) for a in _argtypes]



def bare(name):
    """The C function ``name`` without argtypes, for the hottest calls: its arguments must be
    ctypes values already (or Python ints and bools, for C ``int32_t`` and ``bool``
    parameters), which skips the per-argument conversions argtypes make on every call."""
    return lib._FuncPtr((name, lib))


_EXCEPTIONS = {
    GS_ERR_INVALID_HANDLE: ValueError,
    GS_ERR_INVALID_ARGUMENT: ValueError,
    GS_ERR_SHAPE_MISMATCH: ValueError,
    GS_ERR_DTYPE: TypeError,
    GS_ERR_INDEX: IndexError,
    GS_ERR_OUT_OF_MEMORY: MemoryError,  # also a size too large
    GS_ERR_INVALID_STATE: RuntimeError,
    GS_ERR_INTERNAL: RuntimeError,
}

_last_error = lib.gs_last_error
_deferred = threading.local()


def defer_exception(exc):
    """Keep ``exc``, raised by Python code the library called back (a hook, a custom
    function's backward), to be raised by the library call that made the callback fail."""
    _deferred.exception = exc


def error(status):
    """Return the exception for a non-zero status: the exception of a Python callback that made
    the call fail, if any, else one carrying the library's last error message."""
    exc = getattr(_deferred, "exception", None)
    if exc is not None:
        _deferred.exception = None
        return exc
    message = _last_error()
    text = message.decode("utf-8", "replace") if message else ""
    return _EXCEPTIONS.get(status, RuntimeError)(text or f"gradswift error {status}")


def check(status):
    """Raise the exception mapped from ``status`` unless it is 0 (GS_OK)."""
    if status:
        raise error(status)


def library_version():
    """The engine's version as ``"major.minor.patch"`` (``gs_version``)."""
    parts = [ctypes.c_int32() for _ in range(3)]
    check(lib.gs_version(*parts))
    return ".".join(str(part.value) for part in parts)
