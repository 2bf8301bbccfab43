"""``bench.py --one-process``: the training workloads run one after another in ONE process, as in
a user's session, each step time set against the same workload alone in a fresh process.

    PYTHONPATH=python python3 python/bench/bench.py --one-process             # MLP, GRU, Transformer, ConvNet
    PYTHONPATH=python python3 python/bench/bench.py --one-process --reverse   # ConvNet, Transformer, GRU, MLP
    PYTHONPATH=python python3 python/bench/bench.py --one-process --only conv mlp --quick

For every workload the worker records, over its timed steps: the median step time, and per step
the minor page faults, the kernel and user CPU time (getrusage), the context switches, and the
CPU time of the threads other than the calling one (from /proc/self/task: OpenBLAS's and the
engine's workers; a thread spinning while idle shows up there); then its peak resident set
(VmHWM, restarted when the workload is built) and the resident set after the last step, the
CPU time the other threads take while the process then sleeps for a quarter second (idle
spinning), and, once the model and data are gone, the resident set left and, for gradswift,
``memory_stats()`` (bytes in use and cached, cache hits and misses during the steps). The fresh-process figures come from the same worker run on
the one workload; rounds alternate the shared process and the fresh ones.
"""
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

import bench

# The training workloads of issue 19, in the order it measured them.
SEQUENCE = ("mlp", "gru", "transformer", "conv")
# After a workload's last step, the process idles this long while its threads' CPU is read.
IDLE_SECONDS = 0.25


def _thread_cpu_seconds():
    """CPU seconds (user + system) of each of this process's threads, by thread id."""
    ticks = os.sysconf("SC_CLK_TCK")
    times = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        times[int(tid)] = (int(fields[11]) + int(fields[12])) / ticks
    return times


def _gradswift_stats(fw):
    """gradswift's ``memory_stats()``, or None for another framework."""
    return fw.pdn.memory_stats() if fw.name == "gradswift" else None


def run_workload(fw, key, quick, repeats):
    """Builds ``key`` on ``fw``, warms it up, times ``repeats`` steps; returns its figures."""
    workload = bench.WORKLOADS[key]
    gc.collect()
    bench.reset_peak_memory()
    start_kib = bench.memory_kib("VmRSS")
    step = workload.build(fw, quick)
    for _ in range(2):
        step()
    stats_before = _gradswift_stats(fw)
    usage_before, threads_before = resource.getrusage(resource.RUSAGE_SELF), _thread_cpu_seconds()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    usage, threads = resource.getrusage(resource.RUSAGE_SELF), _thread_cpu_seconds()
    stats_after = _gradswift_stats(fw)
    peak_kib, last_kib = bench.memory_kib("VmHWM"), bench.memory_kib("VmRSS")
    time.sleep(IDLE_SECONDS)  # no work: what the other threads burn now is spinning
    idle_threads = _thread_cpu_seconds()
    del step
    gc.collect()
    own = threading.get_native_id()
    other_cpu = sum(t - threads_before.get(tid, 0.0) for tid, t in threads.items() if tid != own)
    idle_cpu = sum(t - threads.get(tid, 0.0) for tid, t in idle_threads.items() if tid != own)
    result = {
        "key": key,
        "times": times,
        "median_ms": statistics.median(times) * 1e3,
        "minor_faults_per_step": (usage.ru_minflt - usage_before.ru_minflt) / repeats,
        "system_ms_per_step": (usage.ru_stime - usage_before.ru_stime) * 1e3 / repeats,
        "user_ms_per_step": (usage.ru_utime - usage_before.ru_utime) * 1e3 / repeats,
        "switches_per_step": (usage.ru_nvcsw - usage_before.ru_nvcsw + usage.ru_nivcsw - usage_before.ru_nivcsw) / repeats,
        "other_threads_ms_per_step": other_cpu * 1e3 / repeats,
        "idle_other_threads_ms": idle_cpu * 1e3,
        "rss_start_mib": start_kib / 1024,
        "peak_rss_mib": peak_kib / 1024,
        "rss_last_step_mib": last_kib / 1024,
        "rss_after_mib": bench.memory_kib("VmRSS") / 1024,
    }
    if stats_after is not None:
        after_free = _gradswift_stats(fw)
        result.update({
            "cache_hits_per_step": (stats_after["cache_hits"] - stats_before["cache_hits"]) / repeats,
            "cache_misses_per_step": (stats_after["cache_misses"] - stats_before["cache_misses"]) / repeats,
            "in_use_after_mib": after_free["in_use_bytes"] / 2**20,
            "cached_after_mib": after_free["cached_bytes"] / 2**20,
        })
    return result


def measure_sequence(keys, framework_name, quick, repeats):
    """Runs ``keys`` in order in this process on one framework; the figures of each."""
    fw = bench.Framework(framework_name)
    square = fw.tensor(np.ones((64, 64), np.float32))
    square @ square  # the BLAS library's own buffers come before the first workload
    return [run_workload(fw, key, quick, repeats[key]) for key in keys]


def run_worker(keys, framework_name, quick, repeats):
    """``measure_sequence`` in a fresh Python process; its list of figures."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", framework_name, json.dumps(repeats), *keys] \
        + (["--quick"] if quick else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.path.dirname(bench.__file__),
                                                                     os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        raise RuntimeError(f"{' '.join(keys)} on {framework_name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median_figures(runs):
    """One workload's figures over rounds: the median of each number (times pooled)."""
    merged = {"times": [t for run in runs for t in run["times"]]}
    merged["median_ms"] = statistics.median(merged["times"]) * 1e3
    for name in runs[0]:
        if name not in ("key", "times", "median_ms"):
            merged[name] = statistics.median(run[name] for run in runs)
    return merged


def table(keys, frameworks, shared, fresh):
    """Markdown table: for each workload and framework, shared-process time against fresh, peak
    RSS both ways, the memory left after the workload, and the page faults and kernel time."""
    header = ["workload", "framework", "shared ms", "fresh ms", "shared / fresh", "peak RSS MiB shared",
              "peak RSS MiB fresh", "RSS at last step MiB shared", "RSS at last step MiB fresh", "RSS after MiB shared", "faults / step shared", "faults / step fresh",
              "kernel ms / step shared", "kernel ms / step fresh", "other threads ms / step shared",
              "other threads ms / step fresh", "idle spin ms shared", "cache hits / misses per step shared"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key in keys:
        for f in frameworks:
            s, r = shared[f][key], fresh[f][key]
            cache = (f"{s['cache_hits_per_step']:.1f} / {s['cache_misses_per_step']:.1f}"
                     if "cache_hits_per_step" in s else "-")
            lines.append("| " + " | ".join([
                bench.WORKLOADS[key].title, f, f"{s['median_ms']:.3g}", f"{r['median_ms']:.3g}",
                f"{s['median_ms'] / r['median_ms']:.2f}", f"{s['peak_rss_mib']:.0f}", f"{r['peak_rss_mib']:.0f}",
                f"{s['rss_last_step_mib']:.0f}", f"{r['rss_last_step_mib']:.0f}", f"{s['rss_after_mib']:.0f}", f"{s['minor_faults_per_step']:.0f}", f"{r['minor_faults_per_step']:.0f}",
                f"{s['system_ms_per_step']:.1f}", f"{r['system_ms_per_step']:.1f}",
                f"{s['other_threads_ms_per_step']:.0f}", f"{r['other_threads_ms_per_step']:.0f}",
                f"{s['idle_other_threads_ms']:.0f}", cache]) + " |")
    return "\n".join(lines)


def main(args, frameworks):
    """``bench.py --one-process``: parsed ``args`` of bench.py, the importable ``frameworks``."""
    keys = list(args.only or SEQUENCE)
    if args.reverse:
        keys.reverse()
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    repeats = {key: max(3, bench.WORKLOADS[key].repeats // (10 if args.quick else rounds)) for key in keys}
    shared_runs = {f: {key: [] for key in keys} for f in frameworks}
    fresh_runs = {f: {key: [] for key in keys} for f in frameworks}
    for r in range(rounds):
        for f in frameworks:
            for figures in run_worker(keys, f, args.quick, repeats):
                shared_runs[f][figures["key"]].append(figures)
            for key in keys:
                fresh_runs[f][key].append(run_worker([key], f, args.quick, repeats)[0])
        print(f"round {r + 1} of {rounds} done", file=sys.stderr)
    shared = {f: {key: _median_figures(runs) for key, runs in by_key.items()} for f, by_key in shared_runs.items()}
    fresh = {f: {key: _median_figures(runs) for key, runs in by_key.items()} for f, by_key in fresh_runs.items()}
    print(f"One process running {', '.join(keys)} in that order, against each alone in a fresh process:\n")
    print(table(keys, frameworks, shared, fresh))
    print(f"\nMedians over {rounds} round(s) ({'--quick sizes' if args.quick else 'full sizes'}). Peak RSS: the "
          "process's whole resident set at its highest while the workload ran; at last step: right after its last "
          "timed step; after: once its model and data were dropped. Faults: minor page faults; kernel: system CPU time (getrusage); other threads: CPU time "
          "of every thread but the calling one (OpenBLAS's and the engine's workers); idle spin: their CPU time "
          f"in the {IDLE_SECONDS} s the process sleeps after the workload's last step.")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"quick": args.quick, "rounds": rounds, "order": keys, "shared": shared, "fresh": fresh,
                       "runs": {"shared": shared_runs, "fresh": fresh_runs}}, out, indent=1)


if __name__ == "__main__":
    # --worker FRAMEWORK REPEATS_JSON KEY... [--quick]: one process, the keys in order.
    argv = sys.argv[1:]
    quick = "--quick" in argv
    argv = [a for a in argv if a != "--quick"]
    assert argv[0] == "--worker", "run through bench.py --one-process"
    print(json.dumps(measure_sequence(argv[3:], argv[1], quick, json.loads(argv[2]))))
