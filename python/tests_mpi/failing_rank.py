"""Run by `make mpi-test` in two ranks: rank 1 raises while rank 0 waits in a collective. The
job must end at once with a non-zero status and a message naming rank 1."""
import gradswift as gs
import gradswift.distributed as dist

dist.init_process_group(backend="mpi")
if dist.get_rank() == 1:
    raise ValueError("a failure on rank 1")
dist.all_reduce(gs.ones(3))  # never completes: rank 1 does not take part
