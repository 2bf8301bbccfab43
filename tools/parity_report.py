#!/usr/bin/env python3
"""The parity report: which ops and layers agree with PyDyNet 1.1 (or NumPy) in which language,
the parity status of every public name of PyDyNet 1.1, and which of the PyTorch names users
reach for gradswift offers.

    python3 tools/parity_report.py          print the report and write docs/parity.md
    python3 tools/parity_report.py --run    run the three golden readers first

The golden part comes from the results the readers record when they run (every `make test`
runs all three): .build/golden-results/{swift,c,python}.tsv, one line per case with its status
and largest absolute and relative error. Recorded results are used rather than running the
readers here because the Swift reader needs a debug build of the tests (minutes); `--run`
refreshes them (pytest, the C test binary, `swift test --filter GoldenTests`). A results file
older than the golden files is reported as stale.
"""
import argparse
import importlib
import subprocess
import sys
import types
import warnings
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "Tests" / "Golden"
RESULTS = ROOT / ".build" / "golden-results"
OUTPUT = ROOT / "docs" / "parity.md"
TESTS = ROOT / "python" / "tests"
LANGUAGES = [("swift", "Swift"), ("c", "C"), ("python", "Python")]
PYDYNET_MODULES = ["pydynet", "pydynet.nn", "pydynet.nn.functional", "pydynet.nn.init", "pydynet.optim", "pydynet.data"]

# Tensor methods and operators the golden cases exercise (pydynet.Tensor's share of them).
TENSOR_OPS = ["neg", "binary_scalar", "eq", "ne", "lt", "le", "gt", "ge", "astype", "getitem", "setitem"]

# Public names checked by other parity tests than the golden cases: (test files, what they check).
OTHER_TESTS = {
    "pydynet.Tensor": (["test_tensor.py"], "construction, dtypes, repr, data views, item/numpy, as PyDyNet"),
    "pydynet.Device": (["test_tensor.py"], "the device API (CPU only; CUDA requests raise)"),
    "pydynet.empty": (["test_tensor.py"], "shapes and dtypes"),
    "pydynet.zeros": (["test_tensor.py"], "values, shapes and dtypes"),
    "pydynet.ones": (["test_tensor.py"], "values, shapes and dtypes"),
    "pydynet.rand": (["test_tensor.py"], "shapes, dtypes and ranges (the engine's generator, not NumPy's)"),
    "pydynet.randn": (["test_tensor.py"], "shapes, dtypes and ranges (the engine's generator, not NumPy's)"),
    "pydynet.uniform": (["test_tensor.py"], "shapes, dtypes and ranges (the engine's generator, not NumPy's)"),
    "pydynet.no_grad": (["test_autograd.py"], "grad mode as a context manager and decorator"),
    "pydynet.enable_grad": (["test_autograd.py"], "grad mode as a context manager and decorator"),
    "pydynet.nn.Module": (["test_nn_module.py", "test_training_parity.py"], "registration, parameters, modes; whole models"),
    "pydynet.nn.ModuleList": (["test_nn_module.py"], "registration and indexing"),
    "pydynet.nn.Parameter": (["test_nn_module.py"], "registration, requires_grad"),
    "pydynet.nn.Sequential": (["test_nn_module.py", "test_gradcheck.py"], "chaining, registration; gradients of an MLP"),
    "pydynet.nn.Dropout": (["test_nn_linear.py"], "random masks: rates, scaling, train/eval"),
    "pydynet.nn.init.calculate_gain": (["test_nn_module.py"], "equal to PyDyNet's gains"),
    "pydynet.optim.Optimizer": (["test_optim.py"], "subclassing, zero_grad, state_dict"),
    "pydynet.optim.Adam": (["test_optim.py", "test_training_parity.py"], "steps equal to PyDyNet's; 20 training steps of the examples"),
}
for _name in ["uniform_", "normal_", "constant_", "ones_", "zeros_", "xavier_uniform_", "xavier_normal_",
              "kaiming_uniform_", "kaiming_normal_"]:
    OTHER_TESTS[f"pydynet.nn.init.{_name}"] = (["test_nn_module.py"], "PyDyNet's fans and bounds (the engine's generator)")
for _name in ["SGD", "Adagrad", "Adadelta"]:
    OTHER_TESTS[f"pydynet.optim.{_name}"] = (["test_optim.py"], "steps equal to PyDyNet's (PyTorch's where docs/differences.md says)")
for _name in ["ExponentialLR", "StepLR", "MultiStepLR", "CosineAnnealingLR"]:
    OTHER_TESTS[f"pydynet.optim.{_name}"] = (["test_optim.py"], "rates per epoch (PyTorch's closed forms where PyDyNet compounds)")
OTHER_TESTS.update({
    "pydynet.data.data_loader": (["test_data.py"], "the same batches as PyDyNet's, shuffled or not"),
    "pydynet.data.DataLoader": (["test_data.py"], "batches, drop_last and custom samplers against expected batches"),
    "pydynet.data.Dataset": (["test_data.py"], "subclassing; the base class raises NotImplementedError"),
    "pydynet.data.Sampler": (["test_data.py"], "subclassing; the base class raises NotImplementedError"),
})

# Names not covered, with the reason.
NOT_COVERED = {
    "pydynet.data.BatchSampler": "used inside DataLoader (test_data.py) but not compared on its own",
    "pydynet.data.RandomSampler": "used inside DataLoader (test_data.py) but not compared on its own",
    "pydynet.data.SequentialSampler": "used inside DataLoader (test_data.py) but not compared on its own",
}


# ---- golden cases and recorded results -------------------------------------------------------

def golden_cases():
    """{case id: (op, file, reference kind, whether it checks second derivatives)} of every case
    in the MANIFEST's files (a case with `hvp` lines checks second derivatives)."""
    cases = {}
    for line in (GOLDEN / "MANIFEST").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split()[0]
        case_id = op = None
        for text in (GOLDEN / name).read_text().splitlines():
            if text.startswith("case "):
                case_id = text.split()[1]
            elif text.startswith("op "):
                op = text.split()[1]
            elif text.startswith("ref "):
                cases[case_id] = (op, name, text[4:].split(":")[0], False)
            elif text.startswith("hvp "):
                cases[case_id] = cases[case_id][:3] + (True,)
    return cases


def recorded(language):
    """(summary dict, {case id: (ok, abs, rel)}) of a reader's results file, or (None, {})."""
    path = RESULTS / f"{language}.tsv"
    if not path.exists():
        return None, {}
    summary, rows = {"stale": path.stat().st_mtime < max(p.stat().st_mtime for p in GOLDEN.iterdir())}, {}
    for line in path.read_text().splitlines():
        if line.startswith("# reader"):
            for part in line[2:].split(";"):
                key, value = part.split()
                summary[key] = value
        elif line and not line.startswith("#"):
            case_id, op, file, status, err_abs, err_rel = line.split("\t")
            rows[case_id] = (status == "ok", float(err_abs), float(err_rel))
    return summary, rows


def run_readers():
    """Runs the three readers so that their results files are fresh."""
    commands = [("python", [sys.executable, "-m", "pytest", "python/tests/test_golden.py", "-q"]),
                ("c", ["make", "--no-print-directory", ".build/ctests/abi_tests"]),
                ("c", [".build/ctests/abi_tests"]),
                ("swift", ["swift", "test", "--filter", "GoldenTests"])]
    for language, command in commands:
        print(f"== {' '.join(command)}", flush=True)
        env = dict(__import__("os").environ, PYTHONPATH=str(ROOT / "python"))
        if subprocess.run(command, cwd=ROOT, env=env).returncode != 0:
            print(f"parity_report: {' '.join(command)} failed ({language} results may be incomplete)", file=sys.stderr)


def fmt(x):
    return "inf" if x == float("inf") else "0" if x == 0 else f"{x:.1e}"


def op_table(cases, results):
    """Markdown rows per op: files, languages checked, cases (and how many of them check second
    derivatives), max abs/rel error, references."""
    per_op = defaultdict(list)
    for case_id, (op, file, ref, second) in cases.items():
        per_op[op].append((case_id, file, ref, second))
    lines = ["| op | file | cases | languages checked | max abs error | max rel error | references |",
             "|---|---|---:|---|---:|---:|---|"]
    totals = {lang: [0, 0] for lang, _ in LANGUAGES}
    for op in sorted(per_op, key=lambda o: (per_op[o][0][1], o)):
        entries = per_op[op]
        checked, worst_abs, worst_rel = [], 0.0, 0.0
        for lang, label in LANGUAGES:
            rows = [results[lang].get(case_id) for case_id, *_ in entries]
            done = [r for r in rows if r is not None]
            failed = sum(not ok for ok, _, _ in done)
            totals[lang][0] += len(done)
            totals[lang][1] += failed
            if len(done) == len(entries) and not failed:
                checked.append(label)
            elif done:
                checked.append(f"{label} ({failed} failed, {len(entries) - len(done)} missing)")
            for ok, err_abs, err_rel in done:
                worst_abs, worst_rel = max(worst_abs, err_abs), max(worst_rel, err_rel)
        refs = defaultdict(int)
        for _, _, ref, _ in entries:
            refs[ref] += 1
        ref_text = ", ".join(f"{k} {v}" for k, v in sorted(refs.items()))
        files = ", ".join(dict.fromkeys(file for _, file, _, _ in entries))
        second = sum(s for *_, s in entries)
        count = f"{len(entries)}" + (f" ({second} second-order)" if second else "")
        lines.append(f"| `{op}` | {files} | {count} | {' '.join(checked) or 'none recorded'} | "
                     f"{fmt(worst_abs)} | {fmt(worst_rel)} | {ref_text} |")
    return lines, per_op, totals


def model_table():
    """The whole-training parity tests of python/tests/test_training_parity.py."""
    source = (TESTS / "test_training_parity.py").read_text()
    lines = ["| model | test | languages checked | what is compared |", "|---|---|---|---|"]
    for line in source.splitlines():
        if line.startswith("def test_") and "trains_like_pydynet" in line:
            name = line[4:line.index("(")]
            model = name[len("test_"):-len("_trains_like_pydynet")].replace("_", " ")
            lines.append(f"| {model} | `test_training_parity.py::{name}` (float64, float32) | Python | "
                         "loss at each of 20 steps and the final weights, from PyDyNet's initial weights "
                         "(bounds in the file's docstring) |")
    return lines


# ---- PyDyNet's public names ------------------------------------------------------------------

def public_names():
    """[(qualified name, object)] of every public name of PyDyNet 1.1's six modules, without the
    modules and the NumPy functions they import."""
    names = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module_name in PYDYNET_MODULES:
            module = importlib.import_module(module_name)
            for name in sorted(dir(module)):
                value = getattr(module, name)
                if name.startswith("_") or isinstance(value, types.ModuleType):
                    continue
                if not str(getattr(value, "__module__", "") or "").startswith("pydynet"):
                    continue  # e.g. pydynet.data.permutation is numpy.random.permutation
                names.append((f"{module_name}.{name}", value))
    return names


def golden_ops_for(qualified):
    """The golden op names that exercise a PyDyNet public name."""
    module, _, name = qualified.rpartition(".")
    if qualified == "pydynet.Tensor":
        return TENSOR_OPS
    if module == "pydynet":
        return [name]
    if module == "pydynet.nn":
        return [f"nn.{name}"]
    if module == "pydynet.nn.functional":
        return [f"F.{name}"]
    return []


def name_table(per_op):
    lines = ["| name | status | where |", "|---|---|---|"]
    seen, counts = {}, defaultdict(int)
    for qualified, value in public_names():
        original = seen.get(id(value))
        if original is None:
            seen[id(value)] = qualified
        ops = [op for op in golden_ops_for(qualified) if op in per_op]
        other = OTHER_TESTS.get(qualified)
        where = []
        if ops:
            where.append("golden: " + ", ".join(f"`{op}` ({len(per_op[op])})" for op in ops))
        if other:
            files, what = other
            for f in files:
                if not (TESTS / f).exists() or qualified.rpartition(".")[2] not in (TESTS / f).read_text():
                    raise SystemExit(f"parity_report: {f} does not mention {qualified}; update OTHER_TESTS")
            where.append(", ".join(f"python/tests/{f}" for f in files) + f" ({what})")
        if ops:
            status = "golden" + (" + other tests" if other else "")
        elif other:
            status = "other tests"
        elif original is not None:
            status, where = "re-export", [f"the same object as `{original}`"]
        else:
            status = "not covered"
            where.append(NOT_COVERED.get(qualified, "no test compares it with PyDyNet"))
        counts[status] += 1
        lines.append(f"| `{qualified}` | {status} | {'; '.join(where)} |")
    return lines, counts


# The PyTorch names users reach for (issue "Breadth for PyTorch users"), by where PyTorch has
# them; the report marks each as offered (the gradswift module has it) or not yet.
PYTORCH_NAMES = {
    "torch": """sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh log1p expm1 log2 log10
        exp2 rsqrt reciprocal floor ceil round trunc clamp clip where erf lerp hypot prod var std
        logsumexp norm cumsum cumprod all any sort argsort topk gather scatter scatter_add index_select
        masked_fill take_along_dim nonzero stack flatten unflatten permute broadcast_to tile
        repeat_interleave flip roll chunk tril triu einsum tensordot outer dot bmm diag trace arange
        linspace eye full zeros_like ones_like full_like rand_like randn_like randint randperm
        float16 half int32 int int16 short int8 uint8""",
    "Tensor": """sin cos tan asin acos atan atan2 sinh cosh asinh acosh atanh log1p expm1 log2 log10 exp2
        rsqrt reciprocal floor ceil round trunc clamp clip lerp hypot prod var std logsumexp norm cumsum
        cumprod all any sort argsort topk gather scatter scatter_add index_select masked_fill nonzero
        flatten unflatten permute expand broadcast_to tile repeat repeat_interleave flip roll chunk
        tril triu half float double char byte short int long bool to""",
    "torch.nn.functional": """gelu elu selu celu softplus mish hardtanh relu6 hardsigmoid hardswish
        logsigmoid pad l1_loss smooth_l1_loss huber_loss binary_cross_entropy
        binary_cross_entropy_with_logits kl_div group_norm instance_norm conv_transpose1d
        conv_transpose2d adaptive_avg_pool1d adaptive_avg_pool2d adaptive_max_pool2d interpolate""",
    "torch.nn": """GELU SiLU ELU SELU CELU Softplus Mish Hardtanh ReLU6 Hardsigmoid Hardswish LogSigmoid
        Flatten Unflatten Identity Dropout1d Dropout2d GroupNorm InstanceNorm2d ConvTranspose1d
        ConvTranspose2d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveMaxPool2d Upsample
        MultiheadAttention TransformerEncoderLayer TransformerEncoder BCELoss BCEWithLogitsLoss L1Loss
        SmoothL1Loss HuberLoss KLDivLoss""",
    "torch.nn.Module": """apply modules named_modules children named_children add_module register_buffer
        buffers named_buffers zero_grad requires_grad_""",
    "torch.nn.utils": "clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters",
    "torch.optim": "AdamW RMSprop Adamax NAdam LBFGS",
    "torch.optim.lr_scheduler": """LambdaLR MultiplicativeLR LinearLR ConstantLR OneCycleLR
        CosineAnnealingWarmRestarts ReduceLROnPlateau SequentialLR ChainedScheduler""",
}
# Where gradswift offers each PyTorch module's names.
GRADSWIFT_HOMES = {"torch": "gradswift", "Tensor": "gradswift.Tensor", "torch.nn.functional": "gradswift.nn.functional",
                   "torch.nn": "gradswift.nn", "torch.nn.Module": "gradswift.nn.Module",
                   "torch.nn.utils": "gradswift.nn.utils", "torch.optim": "gradswift.optim",
                   "torch.optim.lr_scheduler": "gradswift.optim.lr_scheduler"}


def pytorch_table():
    """The PyTorch coverage table: per module, the names gradswift offers and those not yet."""
    sys.path.insert(0, str(ROOT / "python"))
    lines = ["| PyTorch | gradswift | offered | not yet |", "|---|---|---|---|"]
    offered_total = wanted_total = 0
    for torch_module, names in PYTORCH_NAMES.items():
        home = GRADSWIFT_HOMES[torch_module]
        if home.endswith(".Module"):
            holder = importlib.import_module("gradswift.nn").Module
        elif home.endswith(".Tensor"):
            holder = importlib.import_module("gradswift").Tensor
        else:
            holder = importlib.import_module(home)
        wanted = names.split()
        offered = [n for n in wanted if hasattr(holder, n)]
        missing = [n for n in wanted if n not in offered]
        offered_total, wanted_total = offered_total + len(offered), wanted_total + len(wanted)
        lines.append(f"| `{torch_module}` | `{home}` | {len(offered)}: {' '.join(offered) or '-'} | "
                     f"{len(missing)}: {' '.join(missing) or '-'} |")
    return lines, offered_total, wanted_total


def report():
    cases = golden_cases()
    summaries, results = {}, {}
    for lang, _ in LANGUAGES:
        summaries[lang], results[lang] = recorded(lang)
    ops, per_op, totals = op_table(cases, results)
    names, counts = name_table(per_op)
    pytorch, offered, wanted = pytorch_table()
    readers = ["| reader | interface | cases checked | failed | time of the last run (s) | results |",
               "|---|---|---:|---:|---:|---|"]
    interfaces = {"swift": "engine API", "c": "C ABI", "python": "Python API"}
    for lang, label in LANGUAGES:
        s = summaries[lang]
        if s is None:
            readers.append(f"| {label} | {interfaces[lang]} | 0 | - | - | not recorded (run the reader) |")
        else:
            state = "stale: older than Tests/Golden" if s["stale"] else "current"
            readers.append(f"| {label} | {interfaces[lang]} | {totals[lang][0]} of {len(cases)} | {totals[lang][1]} | "
                           f"{s.get('seconds', '?')} | {state} |")
    status_counts = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    return "\n".join([
        "# Parity report",
        "",
        "Generated by `python3 tools/parity_report.py` from the golden cases (`Tests/Golden`, written by",
        "`tools/make_golden.py` from PyDyNet 1.1 and NumPy) and the results the three readers recorded",
        "in `.build/golden-results/` when they last ran (`make test` runs all three). Errors are the",
        "largest over the op's cases and the languages; the relative error is",
        "|actual - expected| / max(|expected|, atol / rtol), and every case must stay within",
        "1e-5 relative (float32) or 1e-10 (float64): see [Tests/Golden/README.md](../Tests/Golden/README.md).",
        "",
        "## Readers",
        "",
        "Times add up the cases' own run times (parsing and process start left out); `make ctest` runs",
        "the C binary last under valgrind, which makes it about 100 times slower.",
        "",
        *readers,
        "",
        f"## Ops and layers ({len(per_op)} ops, {len(cases)} cases)",
        "",
        "References: `pydynet` is PyDyNet 1.1's own function or layer; `pydynet-composed` is built",
        "from PyDyNet's primitives where gradswift follows PyTorch on purpose or PyDyNet fails; `numpy`",
        "is NumPy with a written-out gradient. Each case's file says why. Second-order cases",
        "(second.txt) also check the gradients of the first gradients (Hessian-vector products of",
        "sum(out * w), written out in NumPy); their errors are in the op's columns.",
        "",
        *ops,
        "",
        "## Models",
        "",
        *model_table(),
        "",
        f"## PyDyNet 1.1's public names ({sum(counts.values())}: {status_counts})",
        "",
        "Every public name of `" + "`, `".join(PYDYNET_MODULES) + "` (imported modules",
        "and NumPy functions left out). Finite-difference gradient checks of the differentiable ops",
        "and layers are in python/tests/test_gradcheck.py.",
        "",
        *names,
        "",
        f"## PyTorch names ({offered} of {wanted} offered)",
        "",
        "The PyTorch names the issue \"Breadth for PyTorch users\" lists (torch, Tensor methods,",
        "nn.functional, nn, Module methods, nn.utils, optim, lr_scheduler), with the ones gradswift",
        "already offers under PyTorch's name. Each offered name follows PyTorch's signature and",
        "defaults; NumPy's spelling is an alias where NumPy has the function. Tests against NumPy and",
        "finite differences are in python/tests (test_functions.py, test_losses.py, test_nn_utils.py, ...).",
        "",
        *pytorch,
        "",
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", action="store_true", help="run the Python, C and Swift golden readers first")
    args = parser.parse_args(argv)
    if args.run:
        run_readers()
    text = report()
    OUTPUT.write_text(text)
    print(text)
    print(f"(written to {OUTPUT.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
