"""The machine facts that decide a benchmark's ratios, printed beside bench.py's table: NumPy's
sgemm speed measured in the same run, the OpenBLAS variables that force a kernel, the BLAS
kernel and thread counts each framework runs with, and the CPU's vector flags
(``../shared/guide/toolchain.md``, "Benchmarks"). A slow BLAS hides the engine's own time, so a
table is only comparable with another measured on the same kind of run.

Each probe runs in a fresh process (``python machine.py PROBE``, printing one JSON object) so
that importing PyTorch or timing NumPy leaves nothing behind in the benchmark's processes.
"""
import json
import os
import subprocess
import sys
import time

VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
"""Environment variables that make OpenBLAS pick an older, slower kernel when set."""


def cpu_flags():
    """The CPU's avx2, fma and avx512* flags from /proc/cpuinfo (empty where unreadable)."""
    try:
        with open("/proc/cpuinfo") as info:
            flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    except OSError:
        return []
    return sorted(f for f in set(flags) if f in ("avx2", "fma") or f.startswith("avx512"))


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (None where unreadable)."""
    try:
        with open("/proc/cpuinfo") as info:
            return next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), None)
    except OSError:
        return None


def _blas_pools():
    """threadpoolctl's view of the BLAS libraries loaded in this process (None without it)."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    return [{k: pool.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
            for pool in threadpoolctl.threadpool_info() if pool.get("user_api") == "blas"]


def probe(name, side):
    """The facts of one framework, measured in this process: ``numpy`` (sgemm GFLOP/s of a
    ``side``-cubed float32 product, best of several), ``gradswift`` or ``PyTorch``."""
    import numpy as np
    if name == "numpy":
        a = np.random.default_rng(0).random((side, side), dtype=np.float32)
        a @ a
        best = min(_timed(lambda: a @ a) for _ in range(10 if side >= 1024 else 50))
        return {"sgemm_gflops": 2 * side ** 3 / best / 1e9, "blas": _blas_pools()}
    if name == "gradswift":
        import gradswift
        from gradswift import config
        blas = config.blas_info()
        return {"threads": gradswift.get_num_threads(), "blas_core": blas["core"],
                "blas_threads": blas["threads"], "blas_library": blas["library"]}
    if name == "PyTorch":
        import torch
        torch.set_num_threads(min(8, os.cpu_count() or 1))  # as bench.py's PyTorch workers
        return {"version": torch.__version__, "threads": torch.get_num_threads(),
                "interop_threads": torch.get_num_interop_threads(), "blas": _blas_pools()}
    raise ValueError(f"unknown probe {name!r}")


def _timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _run_probe(name, side):
    """``probe(name, side)`` in a fresh Python process (None when it fails, e.g. no PyTorch)."""
    done = subprocess.run([sys.executable, os.path.abspath(__file__), name, str(side)],
                          capture_output=True, text=True)
    if done.returncode:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def collect(frameworks, side):
    """Every fact, as a JSON-ready dict: the environment, the CPU, and one probe per framework
    of ``frameworks`` (gradswift, PyTorch) plus NumPy's sgemm with ``side``-sided matrices."""
    facts = {"environment": {v: os.environ.get(v) for v in VARIABLES},
             "cpu": {"model": cpu_model(), "cores": os.cpu_count(), "flags": cpu_flags()},
             "numpy": _run_probe("numpy", side)}
    for name in ("gradswift", "PyTorch"):
        if name in frameworks:
            facts[name] = _run_probe(name, side)
    return facts


def _pool_text(pools):
    """One line's worth about threadpoolctl's BLAS pools."""
    if pools is None:
        return "threadpoolctl not installed"
    return "; ".join(f"{p['internal_api']} {p['version']} kernel {p['architecture']}, {p['num_threads']} threads"
                     for p in pools) or "no BLAS loaded"


def describe(facts, side):
    """The facts as the lines printed under the table."""
    env = facts["environment"]
    unset = all(value is None for value in env.values())
    lines = ["Machine facts of this run:",
             "- " + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in env.items())
             + (" (OpenBLAS picks its kernel itself)" if unset else " (OpenBLAS forced to a kernel: ratios not "
                                                                    "comparable with a full-speed run)"),
             f"- CPU: {facts['cpu']['model']}, {facts['cpu']['cores']} cores; flags: "
             + (" ".join(facts["cpu"]["flags"]) or "none of avx2, fma, avx512*")]
    numpy = facts["numpy"]
    if numpy:
        lines.append(f"- NumPy sgemm {side}^3: {numpy['sgemm_gflops']:.0f} GFLOP/s; BLAS: {_pool_text(numpy['blas'])}")
    else:
        lines.append("- NumPy sgemm: probe failed")
    gs = facts.get("gradswift")
    if gs:
        lines.append(f"- gradswift: {gs['threads']} threads; OpenBLAS kernel {gs['blas_core']}, "
                     f"{gs['blas_threads']} threads ({gs['blas_library']})")
    elif "gradswift" in facts:
        lines.append("- gradswift: probe failed")
    torch = facts.get("PyTorch")
    if torch:
        lines.append(f"- PyTorch {torch['version']}: {torch['threads']} threads ({torch['interop_threads']} "
                     f"inter-op); BLAS: {_pool_text(torch['blas'])}")
    elif "PyTorch" in facts:
        lines.append("- PyTorch: probe failed")
    return lines


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], int(sys.argv[2]))))
