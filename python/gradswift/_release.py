"""Batched release of dead tensor handles.

A Tensor that dies queues its handle here instead of making a ctypes call of its own (a ctypes
call costs more than a 1-element op's engine work); the queue is released with one
``gs_tensor_release_many`` call once it holds ``BATCH`` handles, and at the points where memory
or the handle count is looked at: before ``autograd.grad``, when a module is called, when grad
mode is switched, by ``memory_stats``/``empty_cache``, after each garbage collection (so
``gc.collect()`` frees what it made unreachable) and at interpreter exit. Not before each
``backward()``: the queue's few small tensors are not worth a call there, which a small graph's
step would pay every time (``docs/performance.md``, "The small graph"). A queued handle belongs
to an object Python can no longer reach, so releasing it later changes only when the engine may
free the tensor. Only small tensors wait: the engine sets the top bit of the handle of a tensor
whose storage holds 16 KiB or more (docs/abi-spec.md, "Handles"), and those are released at
once, so the queue keeps at most ``BATCH - 1`` dead tensors of under 16 KiB each.
"""
import atexit
import gc
import threading
from ctypes import c_uint64

from ._lib import bare, lib

__all__ = ["BATCH", "pending", "release_pending"]

BATCH = 32
"""Dead handles released per call."""

pending = []
"""Handles of dead tensors not released yet (appended by ``Tensor.__del__``)."""

_release_many = bare("gs_tensor_release_many")
_release_one = lib.gs_tensor_release
_releasing = threading.Lock()
_handles = (c_uint64 * BATCH)()  # the batch passed to C (used under ``_releasing`` only)


def release_pending():
    """Release every queued handle now. A call made while another release is running (in
    another thread, or from a finalizer it triggered) leaves the queue to that one."""
    if not _releasing.acquire(False):
        return
    try:
        while pending:
            # Copy, then drop exactly the copied front: finalizers running in between only append.
            batch = pending[:BATCH]
            n = len(batch)
            del pending[:n]
            _handles[:n] = batch
            if _release_many(_handles, n):
                # One was not live (released another way): the call released none, so release
                # the others one by one, ignoring that one's error as a finalizer would.
                for handle in batch:
                    _release_one(handle)
    finally:
        _releasing.release()


def _after_collection(phase, info):
    """gc callback: release the handles queued by the finalizers of a collection."""
    if phase == "stop" and pending:
        release_pending()


gc.callbacks.append(_after_collection)
atexit.register(release_pending)
