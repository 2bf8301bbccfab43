"""Data-parallel training over MPI: PyTorch's ``DistributedDataParallel`` on gradswift.distributed.

Each rank runs the same model on its own batch; after ``backward()`` every parameter's gradient
is the average over the ranks. Gradients travel in buckets of about ``bucket_cap_mb``: a
parameter's gradient hook runs as soon as the backward has finished it (the engine runs a
leaf's hooks right after the last node that adds to it), copies it into its bucket, and a full
bucket's allreduce starts at once (non-blocking MPI) while the backward goes on. The hook returns
a tensor over the bucket's memory, which the engine adds into ``.grad`` after the walk; the last
hook waits for every bucket, so the sums are complete by then.
"""
import contextlib

import numpy as np

from .. import distributed as dist
from ..dlpack import from_dlpack
from .modules.module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    """Gradients of some parameters of one dtype, reduced together."""

    def __init__(self, params):
        self.params = params
        self.offsets = np.cumsum([0] + [p.size for p in params])
        self.buffer = np.zeros(self.offsets[-1], dtype=params[0].dtype)
        self.ready = 0
        self.request = None

    def slot(self, index):
        """The bucket's memory for parameter ``index`` (its shape)."""
        return self.buffer[self.offsets[index]:self.offsets[index + 1]].reshape(self.params[index].shape)


class DistributedDataParallel(Module):
    """``DistributedDataParallel(module)``: broadcasts rank 0's parameters and buffers to every
    rank when it wraps the module (and the buffers again before each forward, with
    ``broadcast_buffers``); after each backward every parameter's gradient is the average over
    the ranks, reduced in buckets of about ``bucket_cap_mb`` while the backward runs. ``no_sync()``
    skips the reduction (gradient accumulation: the next synchronized backward averages what has
    accumulated). ``module`` is the wrapped model (``state_dict`` keys start with ``module.``, as
    PyTorch's). Every parameter that requires grad must get a gradient in every synchronized
    backward (PyTorch's ``find_unused_parameters=False``)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 bucket_cap_mb=25, find_unused_parameters=False, **kwargs):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps a Module, got {type(module).__name__}")
        if find_unused_parameters:
            raise ValueError("find_unused_parameters=True is not supported: every parameter must get a gradient")
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self._sync = True
        for _, tensor in module._named_state():
            dist.broadcast(tensor, 0)
        params = [p for p in module.parameters() if p.requires_grad]
        self._buckets = self._make_buckets(params[::-1], int(bucket_cap_mb * 2 ** 20))  # backward order, roughly
        self._parameter_count = len(params)
        self._pending = 0  # parameters whose hook has not run in the current backward
        self._next = 0  # the first bucket whose allreduce has not started
        self._hooks = [p.register_hook(self._hook_for(bucket, index))
                       for bucket in self._buckets for index, p in enumerate(bucket.params)]

    @staticmethod
    def _make_buckets(params, capacity):
        """Consecutive parameters of one dtype grouped up to ``capacity`` bytes per bucket."""
        buckets, current, size = [], [], 0
        for p in params:
            nbytes = p.size * np.dtype(p.dtype).itemsize
            if current and (size + nbytes > capacity or p.dtype != current[0].dtype):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += nbytes
        if current:
            buckets.append(_Bucket(current))
        return buckets

    def _hook_for(self, bucket, index):
        param = bucket.params[index]

        def hook(grad):
            if not self._sync:
                return None
            if self._pending == 0:
                self._pending = self._parameter_count
            slot = bucket.slot(index)
            slot[...] = grad.numpy()
            if param.grad is not None:
                slot += param.grad  # what no_sync steps accumulated takes part in the average
            bucket.ready += 1
            self._launch_ready_buckets()
            self._pending -= 1
            if self._pending == 0:
                self._finish()
            return from_dlpack(slot)

        return hook

    def _launch_ready_buckets(self):
        """Starts the allreduce of each full bucket, in bucket order (every rank must start the
        same collectives in the same order), as far as the buckets are full."""
        while self._next < len(self._buckets) and self._buckets[self._next].ready == len(self._buckets[self._next].params):
            bucket = self._buckets[self._next]
            bucket.request = dist.all_reduce(from_dlpack(bucket.buffer), dist.ReduceOp.AVG, async_op=True)
            self._next += 1

    def _finish(self):
        """Waits for every bucket and leaves in each slot the average minus what ``.grad`` holds
        now: the engine adds the slot to ``.grad`` after the walk, which then holds the average."""
        self._next = 0
        for bucket in self._buckets:
            bucket.request.wait()
            bucket.ready, bucket.request = 0, None
            for index, param in enumerate(bucket.params):
                if param.grad is not None:
                    bucket.slot(index)[...] -= param.grad

    def forward(self, *args, **kwargs):
        if self._sync and self._pending:
            raise RuntimeError("Expected to have finished reduction in the prior iteration before starting a new "
                               "one: some parameters got no gradient in the last backward")
        if self.broadcast_buffers:
            for _, tensor in self.module._named_state():
                if not tensor.requires_grad:
                    dist.broadcast(tensor, 0)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Within it, backward accumulates local gradients without reducing them."""
        previous, self._sync = self._sync, False
        try:
            yield
        finally:
            self._sync = previous
