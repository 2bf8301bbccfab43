"""Where the time of a training step goes, op by op: gradswift's profiler
(``gradswift.profiler``) and, when it imports, ``torch.profiler`` on the same step of each
training workload of bench.py (built by bench.py's own builders).

    PYTHONPATH=python python3 python/bench/profile_ops.py                     # gradswift only
    PYTHONPATH=python /tmp/torchenv/bin/python python/bench/profile_ops.py    # beside PyTorch
    PYTHONPATH=python python3 python/bench/profile_ops.py --only gru --steps 5 --rows 20
    PYTHONPATH=python python3 python/bench/profile_ops.py --quick --frameworks gradswift   # smoke run

Each (workload, framework) runs in a fresh process (as in bench.py): warm-up steps, then
``--steps`` profiled steps; with ``--rounds N`` the frameworks alternate N times and each row
shows its smallest value over the rounds. A row is milliseconds per step. gradswift's rows are self times:
each library call (``gs_matmul``), layer forward (``Linear``) and backward rule (``matmul
backward``), with ``gs_backward``'s self time the walk itself (gradient sums, broadcast
reductions). PyTorch's rows are the total times of the calls made from Python (``aten::linear``,
``Optimizer.step#Adam.step``) and of each backward node (``AddmmBackward0``, with the
``AccumulateGrad`` of the leaves), so that both sides count each piece of work once.
Rows of the two frameworks that do the same work share a label (``LABELS``); the others keep
their own names. Python's own time between calls is in neither.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import warnings

import bench

TRAINING = ("mlp", "conv", "gru", "lstm", "transformer")

# (label, gradswift pattern, PyTorch pattern[, workloads]): rows whose names match a pattern are
# summed under the label, in the workloads listed (all when none are). The first matching label
# wins; names matching none keep their own.
RNN_CELL_OPS = r"^(Addmm|Mm|T|UnsafeSplit|Unbind|Stack|Mul|Sub|Add|Sigmoid|Tanh)Backward\d$"
LABELS = [
    # PyTorch runs GRU on the CPU as a chain of small ops (their backward nodes are the cell's
    # backward; the head Linear(32, 1) adds well under 0.1 ms to it) and LSTM as one oneDNN layer.
    ("GRU forward", r"^GRU$", r"^aten::(gru|zeros)$", {"gru"}),
    ("GRU backward", r"^gru\w* backward$", RNN_CELL_OPS, {"gru"}),
    ("LSTM forward", r"^LSTM$", r"^aten::(lstm|zeros)$", {"lstm"}),
    ("LSTM backward", r"^lstm\w* backward$", r"^(MkldnnRnnLayer|Lstm\w*)Backward\d$", {"lstm"}),
    ("linear forward", r"^Linear$|^gs_linear$", r"^aten::linear$"),
    ("linear backward", r"^linear backward$", r"^(Addmm|Mm|T)Backward\d$"),
    ("batched matmul forward", r"^gs_matmul$", r"^aten::matmul$"),
    ("batched matmul backward", r"^matmul backward$", r"^(Bmm|Matmul)Backward\d$"),
    ("conv2d forward", r"^Conv2d$|^gs_conv2d$", r"^aten::conv2d$"),
    ("conv2d backward", r"^conv2d backward$", r"^ConvolutionBackward\d$"),
    ("max_pool2d forward", r"^gs_max_pool2d$", r"^aten::max_pool2d$"),
    ("max_pool2d backward", r"^max_pool2d backward$", r"^MaxPool2DWithIndicesBackward\d$"),
    ("relu forward", r"^gs_relu$|^ReLU$", r"^aten::relu$"),
    ("relu backward", r"^relu backward$", r"^ReluBackward\d$"),
    ("layer_norm forward", r"^LayerNorm$", r"^aten::layer_norm$"),
    ("layer_norm backward", r"^layer_norm backward$", r"^NativeLayerNormBackward\d$"),
    ("softmax forward", r"^gs_softmax$", r"^aten::softmax$"),
    ("softmax backward", r"^softmax backward$", r"^SoftmaxBackward\d$"),
    ("embedding forward", r"^Embedding$", r"^aten::embedding$"),
    ("embedding backward", r"^embedding backward$", r"^EmbeddingBackward\d$"),
    ("permute / transpose forward", r"^gs_transpose$|^gs_permute$", r"^aten::(permute|transpose|t)$"),
    ("permute / transpose backward", r"^transpose backward$", r"^(Permute|Transpose)Backward\d$"),
    ("reshape forward", r"^gs_reshape$", r"^aten::(reshape|view)$"),
    ("reshape backward", r"^reshape backward$", r"^(Reshape\w*|View|UnsafeView)Backward\d$"),
    ("add forward", r"^gs_add$", r"^aten::add$"),
    ("add backward", r"^add backward$", r"^AddBackward\d$"),
    ("x / c forward", r"^gs_binary_scalar$", r"^aten::div$"),
    ("x / c backward", r"^div backward$", r"^DivBackward\d$"),
    ("loss forward", r"^gs_(cross_entropy|mse_loss|nll_loss)\w*$", r"^aten::(cross_entropy_loss|mse_loss)$"),
    ("loss backward", r"^(cross_entropy|mse_loss|nll_loss)\w* backward$", r"^(NllLoss|LogSoftmax|MseLoss)\w*Backward\d$"),
    ("index / select forward", r"^gs_index$", r"^aten::(select|slice|index)$"),
    ("index / select backward", r"^index backward$", r"^(Select|Slice|Index)Backward\d$"),
    ("optimizer step", r"^gs_optim_step$", r"^Optimizer\.step#"),
    ("zero_grad", r"^gs_optim_zero_grad$", r"^Optimizer\.zero_grad#"),
    ("backward walk (sums, leaf gradients)", r"^gs_backward$", r"AccumulateGrad$"),
    ("freeing results", r"^gs_tensor_release(_many)?$", None),  # PyTorch frees inside its ops
]


def gradswift_rows(fw, step, steps):
    """gradswift's self time per row name (ms per step) over ``steps`` profiled steps."""
    with fw.pdn.profiler.profile() as prof:
        for _ in range(steps):
            step()
    return {row.key: row.self_cpu_time_total / 1e3 / steps for row in prof.key_averages()}


def torch_rows(fw, step, steps):
    """PyTorch's total time per top-level call and per backward node (ms per step)."""
    torch = fw.torch
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    rows = {}
    for event in prof.events():
        name = event.name
        if name.startswith("autograd::engine::evaluate_function: "):
            name = name.split(": ", 1)[1].replace("torch::autograd::", "")
        elif event.cpu_parent is not None:
            continue
        rows[name] = rows.get(name, 0.0) + event.cpu_time_total / 1e3 / steps
    return rows


def measure(key, framework_name, steps, warmups, quick, threads):
    """Rows of ``steps`` profiled steps of workload ``key`` (bench.py's small sizes when
    ``quick``) after ``warmups`` steps, on ``threads`` threads (None: bench.py's count)."""
    fw = bench.Framework(framework_name)
    if threads:
        (fw.torch if fw.is_torch else fw.pdn).set_num_threads(threads)
    step = bench.WORKLOADS[key].build(fw, quick)
    for _ in range(warmups):
        step()
    return (torch_rows if fw.is_torch else gradswift_rows)(fw, step, steps)


def run_worker(key, framework_name, args):
    """``measure`` in a fresh process (this script's ``--worker``), with ``args``' settings."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", key, framework_name,
               "--steps", str(args.steps), "--warmups", str(args.warmups)] + (["--quick"] if args.quick else []) \
        + (["--threads", str(args.threads)] if args.threads else [])
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{key} on {framework_name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def smallest(runs):
    """Each row's smallest value over the rounds ``runs`` (a busy machine only adds time)."""
    return {name: min(run[name] for run in runs if name in run) for name in set().union(*runs)}


def labelled(rows, column, key):
    """Rows of workload ``key`` summed by label (``column`` 1: gradswift's patterns, 2:
    PyTorch's): label -> (ms per step, the names summed)."""
    labels = [entry for entry in LABELS if len(entry) < 4 or key in entry[3]]
    out = {}
    for name, ms in rows.items():
        label = next((entry[0] for entry in labels if entry[column] and re.search(entry[column], name)), name)
        total, names = out.get(label, (0.0, []))
        out[label] = (total + ms, names + [name])
    return out


def table(key, ours, theirs, limit):
    """Markdown table of workload ``key``: the ``limit`` largest labels of either framework,
    then the rest."""
    title = bench.WORKLOADS[key].title
    mine = labelled(ours, 1, key)
    other = labelled(theirs, 2, key) if theirs is not None else {}
    ranked = sorted(set(mine) | set(other), key=lambda k: -max(mine.get(k, (0,))[0], other.get(k, (0,))[0]))
    shown, rest = ranked[:limit], ranked[limit:]
    header = "| op | gradswift ms/step |" + (" PyTorch ms/step | gs - PyTorch |" if theirs is not None else "")
    lines = [f"**{title}**", "", header, "|---|---:|" + ("---:|---:|" if theirs is not None else "")]

    def line(label, a, b):
        cells = [label, f"{a:.2f}" if a is not None else "-"]
        if theirs is not None:
            cells += [f"{b:.2f}" if b is not None else "-", f"{(a or 0) - (b or 0):+.2f}"]
        return "| " + " | ".join(cells) + " |"
    for label in shown:
        lines.append(line(label, mine[label][0] if label in mine else None, other[label][0] if label in other else None))
    lines.append(line(f"other ({len(rest)} rows)", sum(mine[k][0] for k in rest if k in mine),
                      sum(other[k][0] for k in rest if k in other)))
    lines.append(line("**sum**", sum(v for v, _ in mine.values()), sum(v for v, _ in other.values())))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=TRAINING, metavar="WORKLOAD",
                        help=f"profile only these of {', '.join(TRAINING)}")
    parser.add_argument("--quick", action="store_true", help="bench.py's small sizes (a smoke run)")
    parser.add_argument("--frameworks", nargs="+", choices=("gradswift", "PyTorch"), default=["gradswift", "PyTorch"],
                        help="gradswift, and PyTorch beside it when it imports (default: both)")
    parser.add_argument("--rounds", type=int, default=1, help="fresh processes per framework, alternating; each "
                        "row shows its smallest value over the rounds (default 1)")
    parser.add_argument("--threads", type=int, help="threads of both frameworks (default: bench.py's, the core count "
                        "up to 8); 1 keeps a busy shared machine from stalling their thread pools")
    parser.add_argument("--steps", type=int, default=3, help="profiled steps (default 3)")
    parser.add_argument("--warmups", type=int, default=2, help="steps before profiling (default 2)")
    parser.add_argument("--rows", type=int, default=12, help="rows shown per table (default 12)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw rows there")
    parser.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "FRAMEWORK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmups < 0 or args.rounds < 1 or (args.threads is not None and args.threads < 1):
        parser.error("--steps, --rounds and --threads must be at least 1 and --warmups at least 0")
    if args.worker:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            print(json.dumps(measure(*args.worker, args.steps, args.warmups, args.quick, args.threads)))
        return
    if "gradswift" not in args.frameworks:
        parser.error("--frameworks must include gradswift")
    with_torch = "PyTorch" in args.frameworks and bench.available("PyTorch")
    raw = {}
    for key in args.only or TRAINING:
        runs = {"gradswift": [], "PyTorch": []}
        for _ in range(args.rounds):
            for framework in ("gradswift", "PyTorch") if with_torch else ("gradswift",):
                runs[framework].append(run_worker(key, framework, args))
        ours, theirs = smallest(runs["gradswift"]), smallest(runs["PyTorch"]) if with_torch else None
        raw[key] = {"gradswift": ours, "PyTorch": theirs}
        print(table(key, ours, theirs, args.rows), end="\n\n", flush=True)
    if "PyTorch" in args.frameworks and not with_torch:
        print("(PyTorch does not import in this Python: gradswift only)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(raw, out, indent=1)


if __name__ == "__main__":
    main()
