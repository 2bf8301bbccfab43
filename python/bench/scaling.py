"""How cost grows with the problem: training-step time and peak memory of gradswift and (when it
imports) PyTorch against the MLP's batch size and the Transformer block's sequence length, and
the MLP's inference (``no_grad`` forward) latency at batch 1 and 256. Prints Markdown tables and,
with ``--plot FILE`` and matplotlib installed, draws the two curves into a PNG.

    PYTHONPATH=python python3 python/bench/scaling.py                 # every size, 3 rounds
    PYTHONPATH=python python3 python/bench/scaling.py --quick         # a smoke run
    PYTHONPATH=python python3 python/bench/scaling.py --plot docs/results/scaling.png

The workloads are bench.py's (MLP 784-1024-1024-10 with Adam; the Transformer block at batch
``--transformer-batch``, 16 by default so the longest sequences stay within seconds). Every
(workload, size, framework) runs in a fresh Python process, in rounds of rotating framework
order, as in bench.py; peak memory is measured the same way (growth of the peak RSS from just
before the model is built). Run it as ``make bench`` runs bench.py: with ``OPENBLAS_CORETYPE``
and ``OPENBLAS_L2_SIZE`` unset, and read bench.py's machine facts beside it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import numpy as np

import bench
import machine

MLP_BATCHES = (32, 64, 128, 256, 512, 1024, 2048, 4096)
TRANSFORMER_LENGTHS = (16, 32, 64, 128, 256)
INFERENCE_BATCHES = (1, 256)
QUICK = {"mlp": (32, 64), "transformer": (8, 16), "inference": (1, 4)}


def _framework_grad(fw):
    """The framework's ``no_grad`` context manager."""
    return fw.torch.no_grad() if fw.is_torch else fw.pdn.no_grad()


def _inference(fw, batch):
    """A ``no_grad`` forward of the MLP on a batch of ``batch`` images."""
    net = bench.mlp_model(fw)
    images = fw.tensor(np.random.default_rng(0).random((batch, 1, 28, 28), dtype=np.float32))

    def step():
        with _framework_grad(fw):
            net(images)
    return step


def build(kind, fw, size, transformer_batch):
    """The step of one row: an MLP training step at batch ``size``, a Transformer block step at
    sequence length ``size``, or an MLP inference at batch ``size``."""
    if kind == "mlp":
        return bench.mlp(fw, False, batch=size)
    if kind == "transformer":
        return bench.transformer(fw, False, batch=transformer_batch, length=size)
    return _inference(fw, size)


def measure(kind, framework_name, size, transformer_batch, repeats):
    """Step times (seconds) after warm-up, and peak-memory growth (MiB), in this process."""
    fw = bench.Framework(framework_name)
    per_clock = 50 if kind == "inference" and size == 1 else 1
    return bench.timed_steps(fw, lambda: build(kind, fw, size, transformer_batch), per_clock, 3, repeats)


def run_worker(kind, framework_name, size, transformer_batch, repeats):
    """``measure`` in a fresh Python process."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", kind, framework_name, str(size),
               str(transformer_batch), str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{kind} {size} on {framework_name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def collect(kind, sizes, frameworks, transformer_batch, rounds, repeats):
    """{size: {framework: {"ms": median over every round's steps, "peak_mib": max over rounds}}}."""
    results = {}
    for size in sizes:
        runs = {f: [] for f in frameworks}
        for r in range(rounds):
            for f in frameworks[r % len(frameworks):] + frameworks[:r % len(frameworks)]:
                runs[f].append(run_worker(kind, f, size, transformer_batch, repeats))
        results[size] = {f: {"ms": statistics.median(t for x in rs for t in x["times"]) * 1e3,
                             "peak_mib": max(x["peak_mib"] for x in rs)} for f, rs in runs.items()}
        print(f"measured {kind} {size}: " + ", ".join(f"{f} {v['ms']:.3g} ms" for f, v in results[size].items()),
              file=sys.stderr)
    return results


def table(title, unit, results, frameworks):
    """A Markdown table: one row per size, time and peak memory per framework, and the ratio."""
    others = [f for f in frameworks if f != "gradswift"]
    header = [unit] + [f"{f} ms" for f in frameworks] + [f"gs / {f}" for f in others] \
        + [f"peak MiB {f}" for f in frameworks]
    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for size, row in results.items():
        cells = [str(size)] + [f"{row[f]['ms']:.3g}" for f in frameworks]
        cells += [f"{row['gradswift']['ms'] / row[f]['ms']:.2f}" for f in others]
        cells += [f"{row[f]['peak_mib']:.0f}" for f in frameworks]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(path, curves, frameworks):
    """Step time and peak memory against size, one panel per curve, log-log; False without
    matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(2, len(curves), figsize=(5.5 * len(curves), 7), squeeze=False)
    for column, (label, results) in enumerate(curves):
        sizes = list(results)
        for f in frameworks:
            axes[0][column].plot(sizes, [results[s][f]["ms"] for s in sizes], marker="o", label=f)
            axes[1][column].plot(sizes, [max(results[s][f]["peak_mib"], 0.1) for s in sizes], marker="o", label=f)
        for row, what in ((0, "step time (ms)"), (1, "peak memory growth (MiB)")):
            axes[row][column].set_xscale("log", base=2)
            axes[row][column].set_yscale("log")
            axes[row][column].set_xlabel(label)
            axes[row][column].set_ylabel(what)
            axes[row][column].grid(True, which="both", alpha=0.3)
            axes[row][column].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes per curve, one round (a smoke run)")
    parser.add_argument("--frameworks", nargs="+", choices=("gradswift", "PyTorch"), default=["gradswift", "PyTorch"],
                        help="frameworks to compare (PyTorch is skipped when not importable)")
    parser.add_argument("--rounds", type=int, help="rounds of fresh processes (default 3, 1 with --quick)")
    parser.add_argument("--transformer-batch", type=int, default=16, help="batch of the Transformer curve")
    parser.add_argument("--plot", metavar="PNG", help="draw the curves into this file (needs matplotlib)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw results there")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, framework_name, size, transformer_batch, repeats = args.worker
        print(json.dumps(measure(kind, framework_name, int(size), int(transformer_batch), int(repeats))))
        return
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    if "gradswift" not in args.frameworks:
        parser.error("--frameworks must include gradswift (the ratios are against it)")
    frameworks = [f for f in args.frameworks if bench.available(f)]
    repeats = 3 if args.quick else 10
    batch = 4 if args.quick else args.transformer_batch
    mlp = collect("mlp", QUICK["mlp"] if args.quick else MLP_BATCHES, frameworks, batch, rounds, repeats)
    transformer = collect("transformer", QUICK["transformer"] if args.quick else TRANSFORMER_LENGTHS, frameworks,
                          batch, rounds, repeats)
    inference = collect("inference", QUICK["inference"] if args.quick else INFERENCE_BATCHES, frameworks, batch,
                        rounds, 3 * repeats)
    print(table("MLP 784-1024-1024-10 training step (Adam) against batch size", "batch", mlp, frameworks))
    print()
    print(table(f"Transformer block training step at batch {batch} against sequence length", "length",
                transformer, frameworks))
    print()
    print(table("MLP inference (no_grad forward) latency", "batch", inference, frameworks))
    print(f"\nMedian step times over every step of {rounds} round(s) of fresh processes; gs / X below 1 means gradswift is "
          "faster; peak MiB: growth of the process's peak RSS while building and running the workload.")
    print("\n" + "\n".join(machine.describe(machine.collect(frameworks, 256 if args.quick else 1024),
                                            256 if args.quick else 1024)))
    if args.plot:
        drawn = plot(args.plot, [("MLP batch size", mlp), (f"Transformer sequence length (batch {batch})", transformer)],
                     frameworks)
        print(f"\nplot: {args.plot}" if drawn else "\nplot skipped: matplotlib is not installed")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"mlp": mlp, "transformer": transformer, "inference": inference, "rounds": rounds}, out, indent=1)


if __name__ == "__main__":
    main()
