"""The large-block cache (tensors of 1 MiB and more): its byte limit holds over a sequence of
differently sized workloads, smaller requests reuse larger cached blocks (but a loop's sizes do
not split one another), blocks the current work no longer asks for are given back, and
empty_cache() returns the memory. Checked through memory_stats() and the process's resident
memory; nothing here is timed."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradswift as gs
import gradswift.nn.functional as F

MiB = 1 << 20

pytestmark = pytest.mark.skipif("GRADSWIFT_PLAIN_MALLOC" in os.environ,
                                reason="GRADSWIFT_PLAIN_MALLOC sends large blocks through malloc (for memory checkers)")


def resident_bytes():
    """The process's resident memory, from /proc/self/statm."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(autouse=True)
def restore_cache_limit():
    before = gs.get_cache_limit()
    gs.empty_cache()
    yield
    gs.set_cache_limit(before)
    gs.empty_cache()


def floats(mebibytes, value=None):
    """A float32 tensor of ``mebibytes`` MiB, uninitialised or filled with ``value``."""
    shape = (int(mebibytes * MiB) // 4,)
    return gs.empty(shape, dtype=np.float32) if value is None else gs.full(shape, value, dtype=np.float32)


def train(side, steps):
    """``steps`` forward and backward passes of a square product whose tensors (side^2 float32
    each) are large blocks, several alive at once; returns the cached bytes seen after each."""
    weight = gs.Tensor(np.full((side, side), 0.01, np.float32), requires_grad=True)
    inputs = gs.ones((side, side), dtype=np.float32)
    cached = []
    for _ in range(steps):
        (F.relu(inputs @ weight) @ weight).sum().backward()
        weight.grad = None
        cached.append(gs.memory_stats()["cached_bytes"])
    return cached


def test_cached_bytes_stay_within_the_limit_over_workloads_of_different_sizes():
    limit = 24 * MiB
    gs.set_cache_limit(limit)
    assert gs.get_cache_limit() == limit and gs.memory_stats()["cache_limit_bytes"] == limit
    start = resident_bytes()
    for side in (1024, 1536, 768, 2048, 1280, 512, 1792):  # blocks of 4, 9, 2.25, 16, 6.25, 1, 12.25 MiB
        cached = train(side, 3)
        assert max(cached) <= limit, (side, cached)
        assert gs.memory_stats()["cached_bytes"] <= limit, side
    stats = gs.memory_stats()
    assert 0 < stats["cached_bytes"] <= limit and stats["in_use_bytes"] == 0
    # The 2048 workload alone had about 80 MiB of large blocks alive at once; what the process
    # keeps after all of them is the cache (within the limit) plus malloc's small-block noise.
    assert stats["peak_in_use_bytes"] >= 48 * MiB
    assert resident_bytes() - start <= limit + 16 * MiB
    gs.set_cache_limit(0)  # lowering the limit gives back what is beyond it
    assert gs.memory_stats()["cached_bytes"] == 0


def test_empty_cache_returns_the_cached_memory():
    gs.set_cache_limit(512 * MiB)
    for side in (1536, 2048):
        train(side, 2)
    cached = gs.memory_stats()["cached_bytes"]
    assert cached >= 32 * MiB
    resident = resident_bytes()
    assert gs.empty_cache() == cached
    assert gs.memory_stats()["cached_bytes"] == 0
    assert resident - resident_bytes() >= cached * 3 // 4  # the pages went back to the system


def test_a_smaller_request_reuses_a_larger_cached_block():
    block = floats(8)
    del block
    before = gs.memory_stats()
    assert before["cached_bytes"] == 8 * MiB
    smaller = floats(5, 1.0)  # the first 5 MiB of the cached block; its last 3 MiB stay cached
    after = gs.memory_stats()
    assert (after["cache_hits"], after["cache_misses"]) == (before["cache_hits"] + 1, before["cache_misses"])
    assert after["cached_bytes"] == 3 * MiB
    smallest = floats(2.5, 2.0)  # from the 3 MiB rest; the last half MiB is too small to keep
    after = gs.memory_stats()
    assert after["cache_hits"] == before["cache_hits"] + 2 and after["cached_bytes"] == 0
    assert (smaller.numpy() == 1).all() and (smallest.numpy() == 2).all()  # distinct, writable pieces


def test_a_loop_s_sizes_do_not_split_one_another():
    for _ in range(3):  # a loop asking for 7 MiB and 3 MiB again and again: both are its sizes
        large, small = floats(7), floats(3)
        del large, small
    held = floats(3, 1.0)  # takes the cached 3 MiB block
    before = gs.memory_stats()
    assert before["cached_bytes"] == 7 * MiB
    other = floats(3, 2.0)  # fresh pages: splitting the 7 MiB block would send the loop's next 7 MiB request to fresh pages
    after = gs.memory_stats()
    assert (after["cache_hits"], after["cache_misses"]) == (before["cache_hits"], before["cache_misses"] + 1)
    assert after["cached_bytes"] == 7 * MiB
    large = floats(7, 3.0)  # the loop's next request finds its block
    last = gs.memory_stats()
    assert (last["cache_hits"], last["cache_misses"]) == (after["cache_hits"] + 1, after["cache_misses"])
    assert (held.numpy() == 1).all() and (other.numpy() == 2).all() and (large.numpy() == 3).all()


def test_a_block_the_work_no_longer_asks_for_is_given_back():
    stale = floats(6)
    del stale
    for i in range(20000):  # the current work: one 8 MiB tensor at a time, never 6 MiB
        current = floats(8)
        del current
        if gs.memory_stats()["cached_bytes"] == 8 * MiB:
            break
    assert gs.memory_stats()["cached_bytes"] == 8 * MiB, "the unused 6 MiB block was never trimmed"
    assert i >= 8  # kept at first: a loop's blocks are reused a few requests later
    assert gs.memory_stats()["cache_misses"] >= 1


def test_limit_must_be_a_non_negative_integer():
    with pytest.raises(ValueError, match="at least 0"):
        gs.set_cache_limit(-1)
    with pytest.raises(TypeError):
        gs.set_cache_limit(1.5)


def test_environment_variable_sets_the_limit_and_the_report_shows_it():
    code = "import gradswift as gs; print(gs.get_cache_limit()); print(gs.config.report())"
    environment = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", code], env=dict(environment, GRADSWIFT_CACHE_LIMIT_MB="16"),
                         capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == str(16 * MiB)
    assert "block cache limit:    16 MiB" in out and "$GRADSWIFT_CACHE_LIMIT_MB: 16" in out
    default = subprocess.run([sys.executable, "-c", code], env=dict(environment, GRADSWIFT_CACHE_LIMIT_MB="junk"),
                             capture_output=True, text=True, check=True).stdout
    assert int(default.split()[0]) == os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 8



def test_a_request_the_system_refuses_gives_back_the_cache_and_tries_again():
    code = """
import resource
import numpy as np
import gradswift as gs
blocks = [gs.empty((50 << 20) // 4, dtype=np.float32) for _ in range(4)]
del blocks  # 200 MiB cached
with open("/proc/self/status") as status:
    mapped = next(int(line.split()[1]) << 10 for line in status if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (mapped + (60 << 20), resource.RLIM_INFINITY))
big = gs.empty((150 << 20) // 4, dtype=np.float32)  # fits only once the cache is given back
print(gs.memory_stats()["cached_bytes"], gs.memory_stats()["in_use_bytes"])
"""
    environment = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", str(150 * MiB)]
