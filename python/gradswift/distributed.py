"""Collective communication between processes over MPI (PyTorch's ``torch.distributed`` names).

Run a script under ``mpirun -n N python script.py`` (or ``srun --mpi=pmix``); each process calls
``init_process_group(backend="mpi")`` and then the collectives. Collectives work in place on
the engine's memory (a tensor's ``.data`` is a NumPy view of it, handed to MPI without a copy)
for every dtype. Needs mpi4py (``make setup`` installs it with Open MPI); importing this module
does not, only ``init_process_group`` does.
"""
import enum
import sys
import traceback

import numpy as np

from .tensor import Tensor

__all__ = ["ReduceOp", "Work", "init_process_group", "is_initialized", "is_available", "get_rank", "get_world_size",
           "barrier", "all_reduce", "broadcast", "all_gather", "reduce_scatter", "destroy_process_group"]

_comm = None  # the process group's communicator once initialized


class ReduceOp(enum.Enum):
    """How all_reduce and reduce_scatter combine the ranks' values."""
    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


class Work:
    """What a collective called with ``async_op=True`` returns: ``wait()`` blocks until it is
    done (MPI's non-blocking request), ``is_completed()`` tests without blocking."""

    def __init__(self, request=None, finish=None):
        self._request, self._finish, self._done = request, finish, request is None

    def wait(self, timeout=None):
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def is_completed(self):
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()


def _result(request, finish, async_op):
    """A Work for ``async_op``, else waits for ``request`` and returns None."""
    work = Work(request, finish)
    if async_op:
        return work
    work.wait()
    return None


def is_available():
    """Whether mpi4py can be imported (the only backend is MPI)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def init_process_group(backend="mpi", init_method=None, world_size=-1, rank=-1, **kwargs):
    """Joins the processes MPI started into the default group. Only ``backend="mpi"`` exists;
    ``world_size`` and ``rank``, when given, must agree with MPI's."""
    global _comm
    if backend != "mpi":
        raise ValueError(f"backend {backend!r} is not available: gradswift communicates over MPI (backend='mpi')")
    if _comm is not None:
        raise RuntimeError("trying to initialize the default process group twice")
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise RuntimeError("gradswift.distributed needs mpi4py (make setup installs it with Open MPI)") from exc
    comm = MPI.COMM_WORLD
    if world_size not in (-1, None) and world_size != comm.size:
        raise ValueError(f"world_size {world_size} does not match MPI's {comm.size} processes")
    if rank not in (-1, None) and rank != comm.rank:
        raise ValueError(f"rank {rank} does not match MPI's rank {comm.rank}")
    _comm = comm
    sys.excepthook = _abort_job


def _abort_job(kind, value, trace):
    """An exception nobody caught ends the whole job (MPI_Abort), naming its rank, so that no
    other rank is left waiting in a collective for this one."""
    rank = _comm.rank if _comm is not None else "?"
    sys.stderr.write(f"gradswift.distributed: rank {rank} raised an uncaught exception; aborting the job\n")
    sys.stderr.write("".join(traceback.format_exception(kind, value, trace)))
    sys.stderr.flush()
    from mpi4py import MPI
    MPI.COMM_WORLD.Abort(1)


def is_initialized():
    """Whether init_process_group has been called (and not undone)."""
    return _comm is not None


def _group(group=None):
    if group is not None:
        raise ValueError("only the default process group exists (group=None)")
    if _comm is None:
        raise RuntimeError("Default process group has not been initialized, please make sure to call "
                           "init_process_group.")
    return _comm


def get_rank():
    """This process's rank, 0 to world size - 1."""
    return _group().rank


def get_world_size():
    """The number of processes in the group."""
    return _group().size


def barrier(group=None):
    """Returns once every rank has called it."""
    _group(group).Barrier()


def destroy_process_group():
    """Leaves the group (MPI itself finalizes at exit); uncaught exceptions no longer abort the job."""
    global _comm
    _group()
    _comm = None
    sys.excepthook = sys.__excepthook__


def _buffer(tensor, name="tensor"):
    """The NumPy view of ``tensor``'s engine memory that MPI reads and writes."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} must be a gradswift Tensor, got {type(tensor).__name__}")
    return tensor.data


def _mpi_op(op, dtype):
    """The MPI operation of ``op`` for ``dtype`` (bools combine logically, as in PyTorch)."""
    from mpi4py import MPI
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a ReduceOp, got {op!r}")
    if dtype == np.bool_:
        if op is ReduceOp.AVG:
            raise ValueError("ReduceOp.AVG is not defined for bool tensors")
        return MPI.LOR if op in (ReduceOp.SUM, ReduceOp.MAX) else MPI.LAND
    if op is ReduceOp.AVG and dtype.kind != "f":
        raise ValueError(f"ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX}[op]


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Every rank's ``tensor`` becomes the combination (``op``) of all ranks' values, in place;
    with ``async_op`` a Work to wait on (non-blocking MPI)."""
    from mpi4py import MPI
    comm = _group(group)
    data = _buffer(tensor)
    request = comm.Iallreduce(MPI.IN_PLACE, data, op=_mpi_op(op, data.dtype))
    average = (lambda: np.divide(data, comm.size, out=data)) if op is ReduceOp.AVG else None
    return _result(request, average, async_op)


def broadcast(tensor, src, group=None, async_op=False):
    """Every rank's ``tensor`` becomes rank ``src``'s, in place (same shape and dtype everywhere);
    with ``async_op`` a Work to wait on."""
    comm = _group(group)
    if not 0 <= src < comm.size:
        raise ValueError(f"src {src} is not a rank of a group of {comm.size}")
    return _result(comm.Ibcast(_buffer(tensor), root=src), None, async_op)


def _per_rank(comm, tensors, name, like, like_name):
    """The buffers of ``tensors``, one per rank, each with the shape and dtype of ``like``."""
    if len(tensors) != comm.size:
        raise ValueError(f"{name} must hold one tensor per rank ({comm.size}), got {len(tensors)}")
    buffers = [_buffer(t, f"{name}[]") for t in tensors]
    if any(b.shape != like.shape or b.dtype != like.dtype for b in buffers):
        raise ValueError(f"every tensor of {name} must have {like_name}'s shape {like.shape} and dtype {like.dtype}")
    return buffers


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[r]`` becomes rank r's ``tensor``, in place, on every rank (blocking; with
    ``async_op`` a completed Work)."""
    comm = _group(group)
    data = _buffer(tensor)
    outputs = _per_rank(comm, tensor_list, "tensor_list", data, "tensor")
    gathered = np.empty((comm.size,) + data.shape, dtype=data.dtype)  # one bucket for the exchange
    comm.Allgather(np.ascontiguousarray(data), gathered)
    for out, part in zip(outputs, gathered):
        out[...] = part
    return Work() if async_op else None


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """``output`` becomes the combination (``op``) over all ranks of their ``input_list[rank]``
    (blocking; with ``async_op`` a completed Work)."""
    comm = _group(group)
    out = _buffer(output, "output")
    inputs = _per_rank(comm, input_list, "input_list", out, "output")
    send = np.stack(inputs)  # one bucket for the exchange
    comm.Reduce_scatter_block(send, out, op=_mpi_op(op, out.dtype))
    if op is ReduceOp.AVG:
        out /= comm.size
    return Work() if async_op else None
