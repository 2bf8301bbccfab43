"""Runs the example scripts on gradswift and on PyDyNet 1.1 and writes the README's results table.

    python3 tools/example_results.py                      # every run, both frameworks (hours)
    python3 tools/example_results.py --only ts_prediction --frameworks gradswift
    python3 tools/example_results.py --table-only         # rebuild the table from stored results

Each run executes one script of python/examples in full mode, unchanged apart from the import line
for PyDyNet, with ``--results`` and ``--output`` pointing into docs/results/. The JSON files kept
there are the record the table is built from, so runs can be repeated one at a time
(``--skip-existing`` keeps finished ones). Seconds per epoch can come instead from short timing
runs (``--timing-epochs N``), done when the machine is idle: full runs take long enough that
other work on a 2-core machine distorts their clock. The table goes to docs/results.md and into
README.md between the ``results-table`` markers.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "python" / "examples"
RESULTS = ROOT / "docs" / "results"
sys.path.insert(0, str(EXAMPLES))
from common import framework_variant  # noqa: E402

FRAMEWORKS = {"gradswift": "gradswift", "pydynet": "PyDyNet 1.1"}


class Run:
    """One full-mode invocation of an example script."""

    def __init__(self, name, script, arguments=(), setting="", frameworks=tuple(FRAMEWORKS), epochs=True):
        self.name, self.script, self.arguments = name, script, list(arguments)
        self.setting, self.frameworks, self.has_epochs = setting, frameworks, epochs

    def record_path(self, framework, timing=False):
        """docs/results/<name>.<framework>.json, or .timing.json for a timing run."""
        return RESULTS / f"{self.name}.{framework}{'.timing' if timing else ''}.json"


RUNS = [
    Run("autograd1d", "autograd1d.py", setting="20 steps", epochs=False),
    Run("autograd2d", "autograd2d.py", setting="30 steps", epochs=False),
    Run("mnist-mlp", "mnist.py", ["--network", "mlp"], setting="MLP, 20 epochs"),
    # PyDyNet's ConvNet needs about 4 minutes an epoch here, so the comparison stops at 2 epochs
    Run("mnist-conv", "mnist.py", ["--network", "conv", "--epochs", "2"], setting="ConvNet, 2 epochs"),
    Run("dropout_bn", "dropout_bn.py", setting="3 MLPs, 50 epochs"),
    Run("ts_prediction", "ts_prediction.py", setting="GRU, 50 epochs"),
    Run("transformer", "transformer.py", setting="1 block, 100 epochs"),
    Run("mnist-conv-full", "mnist.py", ["--network", "conv"], setting="ConvNet, 20 epochs",
        frameworks=("gradswift",)),
    Run("modern_cnn", "modern_cnn.py", setting="ConvNet, AdamW + OneCycleLR + clipping, 5 epochs",
        frameworks=("gradswift",)),
]


def execute(run, framework, log_dir, timing_epochs=None):
    """Runs ``run`` on ``framework`` (only ``timing_epochs`` epochs for a timing run, whose plot is
    discarded); the script's output goes to a log file in ``log_dir``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    timing = timing_epochs is not None
    record_path = run.record_path(framework, timing)
    source = framework_variant((EXAMPLES / run.script).read_text(), framework)
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(ROOT / "python"), str(EXAMPLES)]))
    log = Path(log_dir) / record_path.with_suffix(".log").name
    with tempfile.TemporaryDirectory() as scratch, open(log, "w") as out:
        script = Path(scratch) / run.script
        script.write_text(source)
        plot = Path(scratch) / "plot.png" if timing else RESULTS / f"{run.name}.{framework}.png"
        extra = ["--epochs", str(timing_epochs)] if timing else []  # the last --epochs wins
        command = [sys.executable, "-W", "ignore", str(script), *run.arguments, *extra,
                   "--results", str(record_path), "--output", str(plot)]
        print(f"== {run.name} on {FRAMEWORKS[framework]}: {' '.join(command[3:])} (log: {log})", flush=True)
        started = time.perf_counter()
        status = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT).returncode
    minutes = (time.perf_counter() - started) / 60
    if status != 0:
        raise SystemExit(f"{run.name} on {framework} failed with status {status}; see {log}")
    record = json.loads(record_path.read_text())
    record["wall_minutes"] = minutes
    record["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    record_path.write_text(json.dumps(record, indent=1))
    print(f"   done in {minutes:.1f} min: {record['metrics']}", flush=True)


def describe(value):
    """A metric for the table: 4 significant figures, or an exponent for tiny values."""
    return f"{value:.2e}" if value != 0 and abs(value) < 1e-3 else f"{value:.4g}"


def epoch_seconds(record):
    """The median training time of an epoch (robust to a busy machine's slow epochs), or the
    script's own figure when it kept no per-epoch times."""
    seconds = record.get("history", {}).get("seconds")
    return float(statistics.median(seconds)) if seconds else record["seconds_per_epoch"]


def table():
    """The results table (markdown) from the JSON files in docs/results."""
    lines = ["| script | setting | data | metric | gradswift | PyDyNet 1.1 | s/epoch gradswift | s/epoch PyDyNet | speed-up |",
             "|---|---|---|---|---|---|---|---|---|"]
    for run in RUNS:
        records = {f: json.loads(run.record_path(f).read_text())
                   for f in run.frameworks if run.record_path(f).exists()}
        if not records:
            continue
        first = next(iter(records.values()))
        data = str(first["data"])
        data = os.path.basename(data.rstrip("/")) if os.path.exists(data) else data  # a directory: its name
        timings = {f: json.loads(run.record_path(f, timing=True).read_text())
                   for f in run.frameworks if run.record_path(f, timing=True).exists()}
        speeds = {f: epoch_seconds(timings.get(f, r)) for f, r in records.items()}
        ratio = (f"{speeds['pydynet'] / speeds['gradswift']:.1f}x"
                 if "pydynet" in speeds and "gradswift" in speeds else "")
        for i, metric in enumerate(first["metrics"]):
            cells = [describe(records[f]["metrics"][metric]) if f in records else
                     ("not run" if f in run.frameworks else "-") for f in FRAMEWORKS]
            timing = [f"{speeds[f]:.3g}" if f in speeds and i == 0 else "" for f in FRAMEWORKS]
            head = [f"`{run.script}`", run.setting, data] if i == 0 else ["", "", ""]
            lines.append("| " + " | ".join(head + [metric] + cells + timing + [ratio if i == 0 else ""]) + " |")
    return "\n".join(lines) + "\n"


def publish(text):
    """Writes the table to docs/results.md and between README.md's results-table markers."""
    (ROOT / "docs" / "results.md").write_text(
        "# Example results: gradswift and PyDyNet 1.1\n\n"
        "Produced by `python3 tools/example_results.py` (full runs of python/examples on both\n"
        "frameworks, same data and hyperparameters; seconds per epoch are the median over the epochs\n"
        "of the training steps' time, evaluation excluded).\n\n"
        + text)
    readme = ROOT / "README.md"
    content = readme.read_text()
    begin, end = "<!-- results-table begin -->", "<!-- results-table end -->"
    if begin in content and end in content:
        head, rest = content.split(begin, 1)
        readme.write_text(head + begin + "\n" + text + rest[rest.index(end):])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=[run.name for run in RUNS], help="runs to do (default: all)")
    parser.add_argument("--frameworks", nargs="+", choices=list(FRAMEWORKS), default=list(FRAMEWORKS))
    parser.add_argument("--skip-existing", action="store_true", help="keep runs whose results file exists")
    parser.add_argument("--table-only", action="store_true", help="only rebuild the table from docs/results")
    parser.add_argument("--timing-epochs", type=int, metavar="N",
                        help="instead of full runs, time N epochs of each script (for an idle machine); "
                             "the table takes seconds per epoch from these runs when they exist")
    parser.add_argument("--log-dir", default=tempfile.gettempdir(), help="where the scripts' output goes")
    args = parser.parse_args()
    if not args.table_only:
        timing = args.timing_epochs is not None
        for run in RUNS:
            if (args.only and run.name not in args.only) or (timing and not run.has_epochs):
                continue
            for framework in args.frameworks:
                if framework in run.frameworks and not (
                        args.skip_existing and run.record_path(framework, timing).exists()):
                    execute(run, framework, args.log_dir, args.timing_epochs)
    text = table()
    publish(text)
    print(text)


if __name__ == "__main__":
    main()
