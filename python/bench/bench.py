"""Side-by-side speed and memory of gradswift, PyDyNet 1.1 and (when importable) PyTorch on the
workloads of the PyDyNet example scripts. Prints one Markdown table of median times, ratios and
peak memory.

    make bench                                                  # setup, build, every workload
    PYTHONPATH=python python3 python/bench/bench.py              # the same, as it is
    PYTHONPATH=python python3 python/bench/bench.py --quick      # small sizes: a smoke run
    PYTHONPATH=python python3 python/bench/bench.py --only mlp conv --frameworks gradswift PyTorch

Every (workload, framework) pair runs in a fresh Python process, so one framework's threads,
caches and allocations never touch another's timings, and peak memory is that process's own:
the growth of its peak resident set from just before the model is built (after the imports
and a first matrix product, which sets up the BLAS library's buffers) to the end of the timed
steps, so it counts the model, data, optimizer state, activations and gradients. Each pair
runs once per round (three rounds by default, in rotating order) and the table shows the median
over all rounds' steps. Training workloads time whole steps (forward, loss, zero_grad, backward,
optimizer step) after warm-up steps; all use float32 and PyDyNet's shapes
(``../shared/guide/baselines.md``).

Beside the table it prints the machine facts that decide the ratios (machine.py): NumPy's sgemm
speed measured in the same run, ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` as found (``make
bench`` unsets both for its command alone), the BLAS kernel and thread counts of each framework
and the CPU's vector flags.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

import machine

FRAMEWORKS = ("gradswift", "PyDyNet", "PyTorch")


class Framework:
    """One framework behind the names the workloads use: ``tensor``, ``nn``, ``F``, ``optim``,
    plus the few calls whose spelling differs between the PyDyNet API and PyTorch's."""

    def __init__(self, name):
        self.name = name
        self.is_torch = name == "PyTorch"
        if self.is_torch:
            import torch
            torch.set_num_threads(min(8, os.cpu_count() or 1))  # as many as gradswift uses
            self.torch, self.nn, self.F, self.optim = torch, torch.nn, torch.nn.functional, torch.optim
            self.dtype = torch.float32
            self.cross_entropy = torch.nn.functional.cross_entropy
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name == "gradswift":
                import gradswift as pdn
                import gradswift.nn.functional as F
                from gradswift import nn, optim
            else:
                import pydynet as pdn
                import pydynet.nn.functional as F
                from pydynet import nn, optim
        self.pdn, self.nn, self.F, self.optim = pdn, nn, F, optim
        self.dtype = np.float32
        self.cross_entropy = F.cross_entropy_loss

    def tensor(self, array, requires_grad=False):
        """A tensor holding ``array`` (its dtype kept)."""
        if self.is_torch:
            return self.torch.tensor(array, requires_grad=requires_grad)
        return self.pdn.Tensor(array, requires_grad=requires_grad)

    def permute(self, x, axes):
        """``x`` with its axes reordered."""
        return x.permute(*axes) if self.is_torch else x.transpose(*axes)

    def softmax(self, x, axis):
        """Softmax over ``axis``."""
        return self.torch.softmax(x, dim=axis) if self.is_torch else self.F.softmax(x, axis=axis)


# ---- workloads: each builds its data and model and returns a zero-argument step -------------

def tiny_add(fw, quick):
    """One 1-element ``a + b`` (the result is dropped, as in a loop)."""
    a, b = fw.tensor(np.ones(1, np.float32)), fw.tensor(np.ones(1, np.float32))
    return lambda: a + b


def small_graph(fw, quick):
    """Forward and backward of ``(x*w + b).sum()`` on 4 elements."""
    x = fw.tensor(np.ones(4, np.float32))
    w, b = fw.tensor(np.ones(4, np.float32), True), fw.tensor(np.ones(4, np.float32), True)

    def step():
        (x * w + b).sum().backward()
    return step


def _unwrapped(net):
    """The model itself (the default ``wrap``)."""
    return net


def training_step(fw, net, loss_of, inputs, lr):
    """One Adam step of ``net`` on ``inputs`` with the loss ``loss_of(net(*inputs))``."""
    optimizer = fw.optim.Adam(net.parameters(), lr=lr)

    def step():
        loss = loss_of(net(*inputs))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def classifier_step(fw, net, image_shape, batch):
    """An Adam step of a 10-class image classifier on a random batch."""
    rng = np.random.default_rng(0)
    images = fw.tensor(rng.random((batch,) + image_shape, dtype=np.float32))
    labels = fw.tensor(rng.integers(0, 10, batch))
    return training_step(fw, net, lambda out: fw.cross_entropy(out, labels), (images,), 1e-4)


def mlp_model(fw):
    """mnist.py's MLP 784-1024-1024-10 in the framework's float type."""
    nn, F, kw = fw.nn, fw.F, {"dtype": fw.dtype}

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2, self.l3 = nn.Linear(784, 1024, **kw), nn.Linear(1024, 1024, **kw), nn.Linear(1024, 10, **kw)

        def forward(self, x):
            return self.l3(F.relu(self.l2(F.relu(self.l1(x.reshape(-1, 784))))))
    return MLP()


def mlp(fw, quick, batch=None, wrap=None):
    """mnist.py's MLP 784-1024-1024-10, batch 256 (or ``batch``); ``wrap`` wraps the model
    (DistributedDataParallel in ddp_bench.py)."""
    return classifier_step(fw, (wrap or _unwrapped)(mlp_model(fw)), (1, 28, 28), batch or (64 if quick else 256))


def conv(fw, quick):
    """mnist.py's ConvNet: conv 1-20 3x3, pool, conv 20-50 3x3, pool, fc 2450-500-10; batch 256."""
    nn, F, kw = fw.nn, fw.F, {"dtype": fw.dtype}

    class ConvNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 20, 3, 1, 1, **kw), nn.Conv2d(20, 50, 3, 1, 1, **kw)
            self.f1, self.f2 = nn.Linear(2450, 500, **kw), nn.Linear(500, 10, **kw)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.c1(x)), 2, 2)
            x = F.max_pool2d(F.relu(self.c2(x)), 2, 2)
            return self.f2(F.relu(self.f1(x.reshape(-1, 2450))))
    return classifier_step(fw, ConvNet(), (1, 28, 28), 16 if quick else 256)


def recurrent(layer):
    """ts_prediction.py's model with ``layer`` (GRU or LSTM): 32 hidden units over windows of
    40 steps of a 1-D series, the last output to Linear(32, 1), MSE, full batch (1568 windows)."""

    def build(fw, quick):
        nn, F, kw = fw.nn, fw.F, {"dtype": fw.dtype}

        class Regressor(nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn, self.head = getattr(nn, layer)(1, 32, batch_first=True, **kw), nn.Linear(32, 1, **kw)

            def forward(self, x):
                return self.head(self.rnn(x)[0][:, -1])
        rng = np.random.default_rng(0)
        n = 128 if quick else 1568
        windows = fw.tensor(rng.standard_normal((n, 40, 1)).astype(np.float32))
        targets = fw.tensor(rng.standard_normal((n, 1)).astype(np.float32))
        return training_step(fw, Regressor(), lambda out: fw.F.mse_loss(out, targets), (windows,), 0.01)
    build.__doc__ = recurrent.__doc__.replace("``layer`` (GRU or LSTM)", layer)
    return build


def transformer(fw, quick, batch=None, wrap=None, length=None):
    """transformer.py's block: embedding 5000x512 (padding index 0) plus fixed positions, 4-head
    self-attention with a padding mask, residuals and LayerNorms, FFN 512-1536-512, a linear head
    on the first token, MSE against +-1; batch 128 (or ``batch``) of length 44 (or ``length``);
    ``wrap`` as mlp's."""
    nn, F, kw = fw.nn, fw.F, {"dtype": fw.dtype}
    width, heads, hidden, vocabulary = 512, 4, 1536, 5000
    n, length = (8, 12) if quick else (batch or 128, length or 44)
    rng = np.random.default_rng(0)
    lengths = rng.integers(4, length + 1, n)
    tokens_np = rng.integers(1, vocabulary, (n, length))
    tokens_np[np.arange(length) >= lengths[:, None]] = 0
    mask_np = np.where(tokens_np == 0, -np.inf, 0.).astype(np.float32)[:, None, None, :]
    angle = np.arange(length)[:, None] * np.exp(-math.log(1e4) * np.arange(0, width, 2) / width)
    positions_np = np.stack([np.sin(angle), np.cos(angle)], -1).reshape(length, width).astype(np.float32)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocabulary, width, padding_idx=0, **kw)
            if not fw.is_torch:
                self.embedding.reset_parameters()  # PyDyNet 1.1 leaves the table uninitialised
            self.query, self.key, self.value, self.out = (nn.Linear(width, width, bias=False, **kw) for _ in range(4))
            self.norm1, self.norm2 = nn.LayerNorm(width, **kw), nn.LayerNorm(width, **kw)
            self.feed_forward1, self.feed_forward2 = nn.Linear(width, hidden, **kw), nn.Linear(hidden, width, **kw)
            self.head = nn.Linear(width, 1, **kw)

        def split_heads(self, x):
            return fw.permute(x.reshape(n, length, heads, width // heads), (0, 2, 1, 3))

        def forward(self, tokens, positions, key_mask):
            x = (self.embedding(tokens) + positions).reshape(n * length, width)
            q, k, v = self.split_heads(self.query(x)), self.split_heads(self.key(x)), self.split_heads(self.value(x))
            scores = q @ fw.permute(k, (0, 1, 3, 2)) / math.sqrt(width // heads) + key_mask
            attended = fw.permute(fw.softmax(scores, -1) @ v, (0, 2, 1, 3)).reshape(n * length, width)
            x = self.norm1(x + self.out(attended))
            x = self.norm2(x + self.feed_forward2(F.relu(self.feed_forward1(x))))
            return self.head(x.reshape(n, length, width)[:, 0]).reshape(-1)
    targets = fw.tensor(rng.choice([-1., 1.], n).astype(np.float32))
    inputs = (fw.tensor(tokens_np), fw.tensor(positions_np), fw.tensor(mask_np))
    return training_step(fw, (wrap or _unwrapped)(Block()), lambda out: F.mse_loss(out, targets), inputs, 1e-4)


def sgemm_size(quick):
    """Side of the square float32 matrices of the sgemm workload."""
    return 256 if quick else 1024


def sgemm(fw, quick):
    """``a @ a`` on float32 square matrices (no gradient)."""
    a = fw.tensor(np.random.default_rng(0).random((sgemm_size(quick),) * 2, dtype=np.float32))
    return lambda: a @ a


class Workload:
    """A row of the table: what it measures, how to build it, how many timed runs in all
    (split over the rounds; a microsecond workload's run is 100 steps)."""

    def __init__(self, title, build, repeats, unit):
        self.title, self.build, self.repeats, self.unit = title, build, repeats, unit


WORKLOADS = {
    "add": Workload("1-element `a + b`", tiny_add, 60, "us"),
    "graph": Workload("`(x*w + b).sum().backward()`, 4 elements", small_graph, 30, "us"),
    "mlp": Workload("MLP 784-1024-1024-10 step, batch 256", mlp, 30, "ms"),
    "conv": Workload("ConvNet step, batch 256", conv, 9, "ms"),
    "gru": Workload("GRU(1, 32) step, 1568 windows of 40", recurrent("GRU"), 12, "ms"),
    "lstm": Workload("LSTM(1, 32) step, 1568 windows of 40", recurrent("LSTM"), 12, "ms"),
    "transformer": Workload("Transformer block step, batch 128 x 44", transformer, 6, "ms"),
    "sgemm": Workload("sgemm 1024^3 through the framework", sgemm, 15, "GFLOP/s"),
}


# ---- measuring, in a worker process -------------------------------------------------------

def memory_kib(field):
    """A ``Vm*`` field of /proc/self/status, in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def reset_peak_memory():
    """Restart the kernel's peak-RSS counter (VmHWM) at the current RSS."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def measure(key, framework_name, quick, repeats):
    """Step times (seconds) of ``repeats`` timed runs of one workload on one framework, after
    warm-up runs, and the growth of peak memory (MiB) while it was built and run."""
    workload = WORKLOADS[key]
    fw = Framework(framework_name)
    per_clock = 100 if workload.unit == "us" else 1  # microsecond steps are timed 100 at a time
    return timed_steps(fw, lambda: workload.build(fw, quick), per_clock, 2, repeats)


def timed_steps(fw, build, per_clock, warmups, repeats):
    """Times of ``repeats`` timed runs (seconds per step, each run ``per_clock`` steps) of the
    step ``build()`` makes, after ``warmups`` runs, and the growth of peak memory (MiB) from just
    before it is built."""
    square = fw.tensor(np.ones((64, 64), np.float32))
    square @ square  # the BLAS library's own buffers come before the baseline
    reset_peak_memory()
    start_kib = memory_kib("VmRSS")
    step = build()
    for _ in range(warmups * per_clock):
        step()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(per_clock):
            step()
        times.append((time.perf_counter() - started) / per_clock)
    return {"times": times, "peak_mib": (memory_kib("VmHWM") - start_kib) / 1024}


def summarize(key, runs, quick):
    """The table's value (median time in the workload's unit, or GFLOP/s) and peak MiB of a
    framework's runs (one per round)."""
    unit = WORKLOADS[key].unit
    seconds = statistics.median(t for run in runs for t in run["times"])
    if unit == "GFLOP/s":
        value = 2 * sgemm_size(quick) ** 3 / seconds / 1e9
    else:
        value = seconds * (1e6 if unit == "us" else 1e3)
    return {"value": value, "peak_mib": max(run["peak_mib"] for run in runs)}


def available(framework_name):
    """Whether the framework imports in this Python (PyTorch is optional; a broken install, e.g.
    one missing its shared libraries, counts as absent)."""
    module = {"gradswift": "gradswift", "PyDyNet": "pydynet", "PyTorch": "torch"}[framework_name]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            __import__(module)
    except Exception:
        return False
    return True


def run_worker(key, framework_name, quick, repeats):
    """Measure in a fresh Python process; returns the worker's result or raises with its stderr."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", key, framework_name, str(repeats)] \
        + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{key} on {framework_name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the table --------------------------------------------------------------------------

def format_value(value, unit):
    """``value`` with its unit, 3 significant digits' worth."""
    suffix = {"us": " us", "ms": " ms", "GFLOP/s": " GF/s"}[unit]
    return f"{value:.3g}{suffix}" if value < 100 else f"{value:.0f}{suffix}"


def ratio(ours, theirs, unit):
    """gradswift's time over theirs (< 1: gradswift faster); for GFLOP/s theirs over ours."""
    if ours is None or theirs is None:
        return "-"
    return f"{(theirs / ours if unit == 'GFLOP/s' else ours / theirs):.2f}"


def table(results, frameworks):
    """Markdown table of the results: one row per workload."""
    others = [f for f in frameworks if f != "gradswift"]
    header = ["workload"] + list(frameworks) + [f"gs / {f}" for f in others] \
        + [f"peak MiB {f}" for f in frameworks]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, row in results.items():
        unit = WORKLOADS[key].unit
        value = {f: row[f]["value"] if f in row else None for f in frameworks}
        cells = [WORKLOADS[key].title]
        cells += [format_value(value[f], unit) if value[f] is not None else "-" for f in frameworks]
        cells += [ratio(value["gradswift"], value[f], unit) for f in others]
        cells += [f"{row[f]['peak_mib']:.0f}" if f in row else "-" for f in frameworks]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (a smoke run)")
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), metavar="WORKLOAD",
                        help=f"run only these of {', '.join(WORKLOADS)}")
    parser.add_argument("--frameworks", nargs="+", choices=FRAMEWORKS,
                        help="frameworks to compare (PyTorch is skipped when not importable; default: all, "
                        "with --one-process gradswift and PyTorch)")
    parser.add_argument("--rounds", type=int, help="rounds of one fresh process per framework, in rotating "
                        "order, so that a slow spell of a shared machine hits every framework "
                        "(default 3, 1 with --quick)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw results there")
    parser.add_argument("--one-process", action="store_true", help="run the training workloads (default: "
                        "mlp gru transformer conv, or --only's in its order) one after another in one process, "
                        "each against itself in a fresh process (python/bench/one_process.py)")
    parser.add_argument("--reverse", action="store_true", help="with --one-process: the workloads in reverse order")
    parser.add_argument("--worker", nargs=3, metavar=("WORKLOAD", "FRAMEWORK", "REPEATS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        key, framework_name, repeats = args.worker
        print(json.dumps(measure(key, framework_name, args.quick, int(repeats))))
        return
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.reverse and not args.one_process:
        parser.error("--reverse goes with --one-process")
    if args.frameworks is None:
        args.frameworks = ["gradswift", "PyTorch"] if args.one_process else list(FRAMEWORKS)
    if "gradswift" not in args.frameworks:
        parser.error("--frameworks must include gradswift (the ratios are against it)")
    frameworks = [f for f in args.frameworks if available(f)]
    if "gradswift" not in frameworks:
        parser.error("gradswift does not import: build it first (make build)")
    skipped = sorted(set(args.frameworks) - set(frameworks))
    if args.one_process:
        import one_process
        one_process.main(args, frameworks)
        return
    facts = machine.collect(frameworks, sgemm_size(args.quick))
    results, raw = {}, {}
    for key in args.only or WORKLOADS:
        repeats = max(3, WORKLOADS[key].repeats // (10 if args.quick else rounds))
        raw[key] = {f: [] for f in frameworks}
        for r in range(rounds):
            for f in frameworks[r % len(frameworks):] + frameworks[:r % len(frameworks)]:
                raw[key][f].append(run_worker(key, f, args.quick, repeats))
        results[key] = {f: summarize(key, runs, args.quick) for f, runs in raw[key].items()}
        print(f"measured {key}: " + ", ".join(
            f"{f} {format_value(r['value'], WORKLOADS[key].unit)}" for f, r in results[key].items()), file=sys.stderr)
    print(table(results, frameworks))
    print(f"\nMedian times over {rounds} round(s) ({'--quick sizes' if args.quick else 'full sizes'}); gs / X below 1 means gradswift "
          "is faster (for sgemm: GFLOP/s of X over gradswift's). Peak MiB: growth of the process's peak RSS "
          "while building and running the workload." + (f" Not importable: {', '.join(skipped)}." if skipped else ""))
    print("\n" + "\n".join(machine.describe(facts, sgemm_size(args.quick))))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"quick": args.quick, "rounds": rounds, "machine": facts, "results": results, "runs": raw},
                      out, indent=1)


if __name__ == "__main__":
    main()
