"""Library-wide settings and facts: the thread budget, and what ``python -m gradswift`` reports
(version, library, BLAS, threads, CPU features) for bug reports, after PyTorch's ``collect_env``.
"""
import ctypes
import operator
import os
import platform
import sys

import numpy as np

from ._lib import LIBRARY_PATH, check, lib, library_version
from ._release import release_pending

__all__ = ["set_num_threads", "get_num_threads", "memory_stats", "empty_cache", "set_cache_limit",
           "get_cache_limit", "blas_info", "cpu_features", "report"]

# The CPU flags the engine's kernels and OpenBLAS make use of, in the order reported.
_FEATURES = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_tile")


def set_num_threads(n):
    """Sets the threads the engine's parallel loops and matrix products use (1 to 1024; OpenBLAS
    itself runs on one thread, each large product split over the budget). The budget starts at
    ``$GRADSWIFT_NUM_THREADS`` when set, else at the core count (at most 8)."""
    check(lib.gs_set_num_threads(operator.index(n)))


def get_num_threads():
    """The library's thread budget (``set_num_threads``)."""
    out = ctypes.c_int64()
    check(lib.gs_get_num_threads(out))
    return out.value


def memory_stats():
    """The large-block cache's statistics (tensors of 1 MiB and more come from it), after
    ``torch.cuda.memory_stats``: ``in_use_bytes`` (held by tensors), ``cached_bytes`` (freed
    blocks kept for reuse), ``peak_in_use_bytes`` (the most ever in use at once),
    ``cache_hits`` / ``cache_misses`` (requests served by a kept block / by fresh memory) and
    ``cache_limit_bytes`` (``set_cache_limit``)."""
    release_pending()
    values = [ctypes.c_int64() for _ in range(5)]
    check(lib.gs_memory_stats(*values))
    names = ("in_use_bytes", "cached_bytes", "peak_in_use_bytes", "cache_hits", "cache_misses")
    stats = dict(zip(names, (v.value for v in values)))
    stats["cache_limit_bytes"] = get_cache_limit()
    return stats


def empty_cache():
    """Gives the freed large blocks the cache keeps back to the system (``torch.cuda.empty_cache``);
    returns the bytes freed. Tensors in use are not touched."""
    release_pending()
    freed = ctypes.c_int64()
    check(lib.gs_empty_cache(freed))
    return freed.value


def set_cache_limit(nbytes):
    """Sets the most bytes of freed large blocks the cache keeps (0: none), giving back the
    blocks freed longest ago beyond it. It starts at ``$GRADSWIFT_CACHE_LIMIT_MB`` MiB when set,
    else at an eighth of physical memory."""
    check(lib.gs_set_cache_limit(operator.index(nbytes)))


def get_cache_limit():
    """The most bytes of freed large blocks the cache keeps (``set_cache_limit``)."""
    out = ctypes.c_int64()
    check(lib.gs_get_cache_limit(out))
    return out.value


def _blas_function(name, restype):
    """An OpenBLAS function found through the library's own dependencies (None if absent)."""
    try:
        fn = getattr(lib, name)
    except AttributeError:
        return None
    fn.restype, fn.argtypes = restype, []
    return fn


class _DlInfo(ctypes.Structure):
    """glibc's Dl_info: the file and symbol an address belongs to."""
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _file_of(function):
    """The path of the shared library that defines the ctypes ``function`` (None if unknown)."""
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except AttributeError:
        return None
    dladdr.argtypes, dladdr.restype = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)], ctypes.c_int
    info = _DlInfo()
    if not dladdr(ctypes.cast(function, ctypes.c_void_p), ctypes.byref(info)) or not info.dli_fname:
        return None
    return os.path.realpath(info.dli_fname.decode())


def blas_info():
    """What BLAS the library runs on: its file, OpenBLAS's build configuration, the kernel it
    chose for this CPU and its thread count (None for what cannot be read)."""
    config = _blas_function("openblas_get_config", ctypes.c_char_p)
    core = _blas_function("openblas_get_corename", ctypes.c_char_p)
    threads = _blas_function("openblas_get_num_threads", ctypes.c_int)
    return {"library": _file_of(config) if config else None,
            "config": config().decode() if config else None,
            "core": core().decode() if core else None,
            "threads": threads() if threads else None}


def cpu_features():
    """The CPU flags of ``/proc/cpuinfo`` that matter to the kernels (empty where unreadable)."""
    try:
        with open("/proc/cpuinfo") as info:
            flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    except OSError:
        flags = []
    return [f for f in _FEATURES if f in flags]


def report():
    """The text ``python -m gradswift`` prints."""
    blas = blas_info()
    variables = ("GRADSWIFT_NUM_THREADS", "GRADSWIFT_LIBRARY", "GRADSWIFT_CACHE_LIMIT_MB", "GRADSWIFT_PLAIN_MALLOC",
                 "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_THREAD_TIMEOUT",
                 "OMP_NUM_THREADS")
    lines = [
        f"gradswift version:    {library_version()}",
        f"library:              {LIBRARY_PATH}",
        f"Python:               {sys.version.split()[0]} ({platform.python_implementation()})",
        f"NumPy:                {np.__version__}",
        f"platform:             {platform.platform()}",
        f"cores online:         {os.cpu_count()}",
        f"engine threads:       {get_num_threads()}",
        f"block cache limit:    {get_cache_limit() >> 20} MiB",
        f"BLAS library:         {blas['library']}",
        f"BLAS config:          {blas['config']}",
        f"BLAS kernel:          {blas['core']}",
        f"BLAS threads:         {blas['threads']}",
        f"CPU features:         {' '.join(cpu_features()) or 'none found'}",
    ]
    lines += [f"${name}: {os.environ[name]}" for name in variables if name in os.environ]
    return "\n".join(lines)
