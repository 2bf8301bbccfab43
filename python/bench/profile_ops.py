"""Where the time of a training step goes, op by op: gradswift's profiler
(``gradswift.profiler``) and, when it imports, ``torch.profiler`` on the same step of each
training workload of bench.py (built by bench.py's own builders).

    PYTHONPATH=python python3 python/bench/profile_ops.py                     # gradswift only
    PYTHONPATH=python /tmp/torchenv/bin/python python/bench/profile_ops.py    # beside PyTorch
    PYTHONPATH=python python3 python/bench/profile_ops.py --only gru --steps 5 --rows 20
    PYTHONPATH=python python3 python/bench/profile_ops.py --quick --frameworks gradswift   # smoke run

Each (workload, framework) runs in a fresh process (as in bench.py): warm-up steps, then
``--steps`` profiled steps. A row is milliseconds per step. gradswift's rows are self times:
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

# (label, gradswift pattern, PyTorch pattern): rows whose names match a pattern are summed
# under the label. The first matching label wins; names matching none keep their own.
LABELS = [
    ("linear forward", r"^Linear$|^gs_linear$", r"^aten::linear$"),
    ("linear backward", r"^linear backward$", r"^(Addmm|Mm|T|Linear)Backward\d$"),
    ("matmul forward", r"^gs_matmul$", r"^aten::matmul$"),
    ("matmul backward", r"^matmul backward$", r"^(Bmm|Mm|Unsafe\w*|Matmul)Backward\d$"),
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
    ("GRU forward", r"^GRU$", r"^aten::gru$"),
    ("GRU backward", r"^gru\w* backward$", r"^(Gru|MkldnnRnnLayer|Cudnn)\w*Backward\d$"),
    ("LSTM forward", r"^LSTM$", r"^aten::lstm$"),
    ("LSTM backward", r"^lstm\w* backward$", r"^(Lstm|MkldnnRnnLayer)\w*Backward\d$"),
    ("permute / transpose forward", r"^gs_transpose$|^gs_permute$", r"^aten::(permute|transpose|t)$"),
    ("permute / transpose backward", r"^transpose backward$", r"^(Permute|Transpose|T)Backward\d$"),
    ("reshape forward", r"^gs_reshape$", r"^aten::(reshape|view)$"),
    ("reshape backward", r"^reshape backward$", r"^(Reshape\w*|View|Unsafe\w*View)Backward\d$"),
    ("add forward", r"^gs_add$", r"^aten::add$"),
    ("add backward", r"^add backward$", r"^AddBackward\d$"),
    ("scalar ops forward", r"^gs_binary_scalar$", r"^aten::(div|mul|rsub)$"),
    ("loss forward", r"^gs_(cross_entropy|mse_loss|nll_loss)\w*$", r"^aten::(cross_entropy_loss|mse_loss)$"),
    ("loss backward", r"^(cross_entropy|mse_loss|nll_loss)\w* backward$", r"^(NllLoss|LogSoftmax|MseLoss)\w*Backward\d$"),
    ("index forward", r"^gs_index$", r"^aten::(select|slice|index)$"),
    ("index backward", r"^index backward$", r"^(Select|Slice|Index)Backward\d$"),
    ("optimizer step", r"^gs_optim_step$", r"^Optimizer\.step#"),
    ("zero_grad", r"^gs_optim_zero_grad$", r"^Optimizer\.zero_grad#"),
    ("backward walk (sums, leaf gradients)", r"^gs_backward$", r"AccumulateGrad$"),
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


def measure(key, framework_name, steps, warmups, quick):
    """Rows of ``steps`` profiled steps of workload ``key`` (bench.py's small sizes when
    ``quick``) after ``warmups`` steps."""
    fw = bench.Framework(framework_name)
    step = bench.WORKLOADS[key].build(fw, quick)
    for _ in range(warmups):
        step()
    return (torch_rows if fw.is_torch else gradswift_rows)(fw, step, steps)


def run_worker(key, framework_name, steps, warmups, quick):
    """``measure`` in a fresh process (this script's ``--worker``)."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", key, framework_name,
               "--steps", str(steps), "--warmups", str(warmups)] + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{key} on {framework_name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def labelled(rows, column):
    """Rows summed by label (``column`` 1: gradswift's patterns, 2: PyTorch's): label ->
    (ms per step, the names summed)."""
    out = {}
    for name, ms in rows.items():
        label = next((entry[0] for entry in LABELS if re.search(entry[column], name)), name)
        total, names = out.get(label, (0.0, []))
        out[label] = (total + ms, names + [name])
    return out


def table(title, ours, theirs, limit):
    """Markdown table: the ``limit`` largest labels of either framework, then the rest."""
    mine = labelled(ours, 1)
    other = labelled(theirs, 2) if theirs is not None else {}
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
    parser.add_argument("--steps", type=int, default=3, help="profiled steps (default 3)")
    parser.add_argument("--warmups", type=int, default=2, help="steps before profiling (default 2)")
    parser.add_argument("--rows", type=int, default=12, help="rows shown per table (default 12)")
    parser.add_argument("--json", metavar="FILE", help="also write the raw rows there")
    parser.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "FRAMEWORK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmups < 0:
        parser.error("--steps must be at least 1 and --warmups at least 0")
    if args.worker:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            print(json.dumps(measure(*args.worker, args.steps, args.warmups, args.quick)))
        return
    if "gradswift" not in args.frameworks:
        parser.error("--frameworks must include gradswift")
    with_torch = "PyTorch" in args.frameworks and bench.available("PyTorch")
    raw = {}
    for key in args.only or TRAINING:
        ours = run_worker(key, "gradswift", args.steps, args.warmups, args.quick)
        theirs = run_worker(key, "PyTorch", args.steps, args.warmups, args.quick) if with_torch else None
        raw[key] = {"gradswift": ours, "PyTorch": theirs}
        print(table(bench.WORKLOADS[key].title, ours, theirs, args.rows), end="\n\n", flush=True)
    if "PyTorch" in args.frameworks and not with_torch:
        print("(PyTorch does not import in this Python: gradswift only)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(raw, out, indent=1)


if __name__ == "__main__":
    main()
