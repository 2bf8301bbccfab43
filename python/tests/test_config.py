"""Library-wide settings and facts: the thread budget (set_num_threads, GRADSWIFT_NUM_THREADS;
OpenBLAS itself stays on one thread), ``python -m gradswift``, and the one version (the engine's, which the
package metadata reads from the Swift source)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradswift as gs

PYTHON_DIR = Path(__file__).resolve().parents[1]


def run_python(code, **env):
    """Output of ``code`` run by a fresh interpreter that imports this checkout's package."""
    environment = dict(os.environ, PYTHONPATH=str(PYTHON_DIR), **env)
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          check=True).stdout


def test_set_num_threads_sets_the_budget_and_blas_stays_on_one_thread():
    before = gs.get_num_threads()
    try:
        a = gs.randn(300, 300)
        for threads in (1, 2, 3):
            gs.set_num_threads(threads)
            assert gs.get_num_threads() == threads and gs.config.blas_info()["threads"] == 1
            np.testing.assert_allclose((a @ a).numpy(), a.numpy() @ a.numpy(), rtol=1e-10)
    finally:
        gs.set_num_threads(before)
    for bad in (0, -3, 5000):
        with pytest.raises(ValueError, match="1...1024"):
            gs.set_num_threads(bad)
    with pytest.raises(TypeError):
        gs.set_num_threads(1.5)


def test_environment_variable_sets_the_budget():
    code = "import gradswift as gs; print(gs.get_num_threads(), gs.config.blas_info()['threads'])"
    assert run_python(code, GRADSWIFT_NUM_THREADS="1").split() == ["1", "1"]
    assert run_python(code, GRADSWIFT_NUM_THREADS="2").split() == ["2", "1"]
    cores = min(8, os.cpu_count())
    assert run_python(code, GRADSWIFT_NUM_THREADS="junk").split()[0] == str(cores)


# CPU time of every thread but the main one over 0.5 s of sleep after three 1024^3 products
# split over two threads: a BLAS worker left spinning after them would take about 90 ms (with
# OpenBLAS's own timeout, 2^28 cycles); the library's OpenBLAS runs on one thread.
IDLE_SPIN = """
import os, time, numpy as np, gradswift as gs
def others():
    pid, total = os.getpid(), 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        if int(tid) != pid:
            fields = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total * 1000 // os.sysconf("SC_CLK_TCK")
a = gs.Tensor(np.ones((1024, 1024), np.float32))
for _ in range(3):
    gs.matmul(a, a)
start = others()
time.sleep(0.5)
print(others() - start, os.environ.get("OPENBLAS_NUM_THREADS"))
"""


def test_no_thread_spins_after_products():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", IDLE_SPIN], env=dict(env, PYTHONPATH=str(PYTHON_DIR),
                         GRADSWIFT_NUM_THREADS="2"), capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == "None"  # set for the library's load only
    assert int(out[0]) < 45, f"threads spun for {out[0]} ms of CPU while idle"
    assert run_python("import os, gradswift; print(os.environ['OPENBLAS_NUM_THREADS'])",
                      OPENBLAS_NUM_THREADS="3").strip() == "3"  # the user's own value is kept


def test_module_report_names_version_library_and_blas():
    out = subprocess.run([sys.executable, "-m", "gradswift"], env=dict(os.environ, PYTHONPATH=str(PYTHON_DIR)),
                         capture_output=True, text=True, check=True).stdout
    assert f"gradswift version:    {gs.__version__}" in out
    assert gs._lib.LIBRARY_PATH in out
    assert "BLAS config:          OpenBLAS" in out
    assert "engine threads:" in out and "CPU features:" in out


def test_one_version():
    metadata = subprocess.run([sys.executable, "setup.py", "--version"], cwd=PYTHON_DIR.parent, capture_output=True,
                              text=True, check=True).stdout.split()[-1]
    assert metadata == gs.__version__
    assert [int(p) for p in gs.__version__.split(".")] >= [0, 2, 0]


def _resident_bytes():
    """The process's resident memory, from /proc/self/statm."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_memory_stats_and_empty_cache_return_memory():
    gs.empty_cache()
    before = gs.memory_stats()
    blocks = [gs.ones(8 << 20, dtype=np.float32) for _ in range(4)]  # 4 x 32 MiB, pages touched
    during = gs.memory_stats()
    assert during["in_use_bytes"] - before["in_use_bytes"] >= 4 * (32 << 20)
    assert during["peak_in_use_bytes"] >= during["in_use_bytes"]
    del blocks
    after_free = gs.memory_stats()
    assert after_free["cached_bytes"] >= 4 * (32 << 20)  # kept for reuse
    again = gs.ones(8 << 20, dtype=np.float32)  # the same size: served from the cache
    assert gs.memory_stats()["cache_hits"] == after_free["cache_hits"] + 1
    del again
    resident = _resident_bytes()
    freed = gs.empty_cache()
    assert freed >= 4 * (32 << 20)
    assert gs.memory_stats()["cached_bytes"] == 0
    assert resident - _resident_bytes() >= 3 * (32 << 20)  # the pages went back to the system
