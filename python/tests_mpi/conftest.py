"""The MPI tests run in every rank of `mpirun -n 2 python -m pytest python/tests_mpi` (make
mpi-test). The process group is initialized once; a failing test aborts the whole job, so that no
rank is left waiting in a collective for one that has stopped."""
import sys

import pytest
from mpi4py import MPI

import gradswift.distributed as dist

if not dist.is_initialized():
    dist.init_process_group(backend="mpi")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        sys.stderr.write(f"\nrank {dist.get_rank()}: {item.nodeid} failed\n{report.longreprtext}\n")
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)
