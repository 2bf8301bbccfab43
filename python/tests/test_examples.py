"""The example scripts run, agree with their hand-derived gradients, and also run unchanged on
PyDyNet 1.1 (only the import line differs)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
EXAMPLES = PYTHON_DIR / "examples"


@pytest.mark.parametrize("module", ["gradswift", "pydynet"])
@pytest.mark.parametrize("name", ["autograd1d", "autograd2d"])
def test_example(name, module, tmp_path):
    source = (EXAMPLES / f"{name}.py").read_text()
    assert "import gradswift as pdn" in source
    script = tmp_path / f"{name}.py"
    script.write_text(source.replace("import gradswift as pdn", f"import {module} as pdn"))
    png = tmp_path / "plot.png"
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR), MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-W", "ignore", str(script), "--output", str(png)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    line = next(l for l in result.stdout.splitlines() if l.startswith("max difference"))
    assert float(line.rsplit(" ", 1)[1]) < 1e-10
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "step" in result.stdout
    else:
        assert png.stat().st_size > 0 and f"plot saved to {png}" in result.stdout


MNIST_DATA = "/usr/share/datasets/fashion-mnist"


@pytest.mark.parametrize("module", ["gradswift", "pydynet"])
def test_mnist_quick_runs_unchanged_on_both(module, tmp_path):
    """mnist.py --quick (MLP) learns on gradswift, and the same script with only the imports
    switched runs on PyDyNet: the script uses PyDyNet's API alone."""
    assert os.path.isdir(MNIST_DATA), "Fashion-MNIST is missing: `make setup` installs dataset-fashion-mnist"
    source = (EXAMPLES / "mnist.py").read_text()
    if module == "pydynet":
        source = source.replace("import gradswift as pdn", "import pydynet as pdn").replace("gradswift.", "pydynet.")
    script = tmp_path / "mnist.py"
    script.write_text(source)
    png = tmp_path / "mnist.png"
    env = dict(os.environ, PYTHONPATH=str(PYTHON_DIR), MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-W", "ignore", str(script), "--quick", "--network", "mlp",
                             "--output", str(png)], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    accuracies = [float(line.split("TEST_ACC ")[1].split()[0]) for line in result.stdout.splitlines()
                  if line.startswith("epoch ") and "TEST_ACC" in line]
    assert len(accuracies) == 2 and accuracies[-1] > 0.5
