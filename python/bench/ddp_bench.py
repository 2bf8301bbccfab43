"""Data-parallel measurements for docs/distributed.md, run under mpirun (see that file).

    mpirun -n 2 python python/bench/ddp_bench.py allreduce          allreduce bandwidth, 4 KB to 64 MB
    mpirun -n R python python/bench/ddp_bench.py step WORKLOAD MODE  one training step's time

``step`` times bench.py's MLP or Transformer-block step with the global batch split over the R
ranks: MODE ``ddp`` wraps the model in DistributedDataParallel, ``local`` trains each rank's
share alone (no communication: what DDP adds is the difference). Rank 0 prints the result.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the workloads)

import gradswift as gs  # noqa: E402
import gradswift.distributed as dist  # noqa: E402
from gradswift.nn.parallel import DistributedDataParallel  # noqa: E402

SIZES = [4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20]


def median_seconds(step, repeats, warmup=2):
    """The median duration of ``step()`` over ``repeats`` runs, all ranks starting together."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        dist.barrier()
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def allreduce_table():
    """Rows of (bytes, seconds, algorithm GB/s, bus GB/s) for float32 buckets."""
    world, rows = dist.get_world_size(), []
    for nbytes in SIZES:
        bucket = gs.zeros(nbytes // 4, dtype=np.float32)
        seconds = median_seconds(lambda: dist.all_reduce(bucket), repeats=max(5, min(200, (64 << 20) // nbytes)))
        algorithm = nbytes / seconds / 1e9
        rows.append((nbytes, seconds, algorithm, algorithm * 2 * (world - 1) / world))
    return rows


def step_time(workload, mode):
    """The median step time of ``workload`` ("mlp" or "transformer") in ``mode``."""
    world = dist.get_world_size()
    full = {"mlp": 256, "transformer": 128}[workload]
    wrap = DistributedDataParallel if mode == "ddp" else None
    step = getattr(bench, workload)(bench.Framework("gradswift"), False, batch=full // world, wrap=wrap)
    return median_seconds(step, repeats=10 if workload == "mlp" else 5)


def main(argv):
    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if argv[:1] == ["allreduce"]:
        rows = allreduce_table()
        if rank == 0:
            print(f"allreduce of a float32 bucket, {world} ranks, median time")
            print("| bucket | time | algorithm bandwidth | bus bandwidth |")
            print("|---|---|---|---|")
            for nbytes, seconds, algorithm, bus in rows:
                size = f"{nbytes >> 20} MB" if nbytes >= 1 << 20 else f"{nbytes >> 10} KB"
                print(f"| {size} | {seconds * 1e6:.0f} us | {algorithm:.2f} GB/s | {bus:.2f} GB/s |")
    elif argv[:1] == ["step"] and len(argv) == 3 and argv[1] in ("mlp", "transformer") and argv[2] in ("ddp", "local"):
        seconds = step_time(argv[1], argv[2])
        if rank == 0:
            print(f"{argv[1]} step, {world} rank(s) x {gs.get_num_threads()} thread(s), {argv[2]}: {seconds * 1e3:.1f} ms")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
