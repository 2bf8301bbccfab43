"""The example scripts run, agree with their hand-derived gradients, and also run unchanged on
PyDyNet 1.1 (only the import line differs)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
EXAMPLES = PYTHON_DIR / "examples"
sys.path.insert(0, str(EXAMPLES))
from common import framework_variant  # noqa: E402


def run_example(name, module, arguments, tmp_path, timeout=600):
    """Runs ``examples/<name>.py`` with ``arguments`` on ``module`` (gradswift, or pydynet with
    only the imports switched) from a copy in ``tmp_path``; returns the finished process."""
    source = (EXAMPLES / f"{name}.py").read_text()
    assert "import gradswift as pdn" in source
    script = tmp_path / f"{name}.py"
    script.write_text(framework_variant(source, module))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PYTHON_DIR), str(EXAMPLES)]), MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-W", "ignore", str(script), *arguments],
                            capture_output=True, text=True, env=env, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize("module", ["gradswift", "pydynet"])
@pytest.mark.parametrize("name", ["autograd1d", "autograd2d"])
def test_example(name, module, tmp_path):
    png = tmp_path / "plot.png"
    result = run_example(name, module, ["--output", str(png)], tmp_path, timeout=300)
    line = next(l for l in result.stdout.splitlines() if l.startswith("max difference"))
    assert float(line.rsplit(" ", 1)[1]) < 1e-10
    if has_matplotlib():
        assert png.stat().st_size > 0 and f"plot saved to {png}" in result.stdout
    else:
        assert "step" in result.stdout


MNIST_DATA = "/usr/share/datasets/fashion-mnist"


@pytest.mark.parametrize("module", ["gradswift", "pydynet"])
def test_mnist_quick_runs_unchanged_on_both(module, tmp_path):
    """mnist.py --quick (MLP) learns on gradswift, and the same script with only the imports
    switched runs on PyDyNet: the script uses PyDyNet's API alone."""
    assert os.path.isdir(MNIST_DATA), "Fashion-MNIST is missing: `make setup` installs dataset-fashion-mnist"
    png = tmp_path / "mnist.png"
    results = tmp_path / "results.json"
    result = run_example("mnist", module, ["--quick", "--network", "mlp", "--output", str(png),
                                           "--results", str(results)], tmp_path)
    accuracies = [float(line.split("TEST_ACC ")[1].split()[0]) for line in result.stdout.splitlines()
                  if line.startswith("epoch ") and "TEST_ACC" in line]
    assert len(accuracies) == 2 and accuracies[-1] > 0.5
    assert "loss fell" in result.stdout
    assert abs(json.loads(results.read_text())["metrics"]["test accuracy"] - accuracies[-1]) < 1e-4  # printed to 4 places
    assert png.stat().st_size > 0 if has_matplotlib() else not png.exists()
