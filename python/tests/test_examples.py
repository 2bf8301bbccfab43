"""The example scripts run, agree with their hand-derived gradients, and also run unchanged on
PyDyNet 1.1 (only the import line differs)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
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


# dropout_bn.py and ts_prediction.py

def epoch_lines(stdout):
    return [line for line in stdout.splitlines() if line.startswith("epoch ")]


@pytest.mark.parametrize("module", ["gradswift", "pydynet"])
def test_dropout_bn_quick_runs_unchanged_on_both(module, tmp_path):
    """dropout_bn.py --quick trains the three MLPs on half of the digits' training split for 5
    epochs on either framework; each one is well above chance (10 classes) on the test split."""
    png = tmp_path / "dropout_bn.png"
    results = tmp_path / "results.json"
    result = run_example("dropout_bn", module, ["--quick", "--output", str(png), "--results", str(results)], tmp_path)
    lines = epoch_lines(result.stdout)
    assert [line.split(":")[0] for line in lines] == [f"epoch {i}/5" for i in range(1, 6)]
    assert all("DNN_dropout" in line and "s training" in line for line in lines)
    assert "data: scikit-learn digits" in result.stdout or "data: Olivetti faces" in result.stdout
    assert "loss fell" in result.stdout
    figures = json.loads(results.read_text())
    networks = ["DNN", "DNN_dropout", "DNN_BN"]
    assert figures["data"] in ("scikit-learn digits", "Olivetti faces") and figures["epochs"] == 5
    assert set(figures["metrics"]) == {f"{part} accuracy ({net})" for part in ("train", "test") for net in networks}
    for net in networks:
        assert figures["metrics"][f"test accuracy ({net})"] > 0.3
        assert figures["history"][f"train accuracy ({net})"][-1] > figures["history"][f"train accuracy ({net})"][0]
    last = lines[-1]  # the printed figures are the JSON's, to 4 places
    assert f"DNN_BN {figures['metrics']['train accuracy (DNN_BN)']:.4f}/" in last
    assert png.stat().st_size > 0 if has_matplotlib() else not png.exists()


@pytest.mark.parametrize("module", ["gradswift", "pydynet"])
def test_ts_prediction_quick_runs_unchanged_on_both(module, tmp_path):
    """ts_prediction.py --quick (8 full-batch epochs on 300 windows) brings the GRU's test MSE
    far below the variance of the targets (what predicting their mean would score)."""
    png = tmp_path / "ts.png"
    results = tmp_path / "results.json"
    result = run_example("ts_prediction", module, ["--quick", "--output", str(png), "--results", str(results)],
                         tmp_path)
    lines = epoch_lines(result.stdout)
    assert [line.split(":")[0] for line in lines] == [f"epoch {i}/8" for i in range(1, 9)]
    test_mse = [float(line.split("TEST_MSE ")[1].split()[0]) for line in lines]
    variance = float(result.stdout.split("target variance ")[1].split(")")[0])
    assert 0.55 < variance < 0.65 and test_mse[-1] < 0.2 * variance and test_mse[-1] < test_mse[0]
    assert "loss fell" in result.stdout
    figures = json.loads(results.read_text())
    assert set(figures["metrics"]) == {"train MSE", "test MSE"} and figures["epochs"] == 8
    assert abs(figures["metrics"]["test MSE"] - test_mse[-1]) < 1e-5  # printed to 5 places
    assert len(figures["history"]["loss"]) == 8 and figures["seconds_per_epoch"] > 0
    assert png.stat().st_size > 0 if has_matplotlib() else not png.exists()
# ---- transformer.py ---------------------------------------------------------------------------
FORTUNES = "/usr/share/games/fortunes"


@pytest.mark.parametrize("module", ["gradswift", "pydynet"])
def test_transformer_quick_runs_unchanged_on_both(module, tmp_path):
    """transformer.py --quick (a slice of the fortunes acceptability task) learns on gradswift,
    and the same script with only the imports switched runs on PyDyNet."""
    assert os.path.isdir(FORTUNES), "the fortunes corpus is missing: `make setup` installs fortunes"
    png = tmp_path / "transformer.png"
    results = tmp_path / "results.json"
    result = run_example("transformer", module, ["--quick", "--output", str(png), "--results", str(results)],
                         tmp_path)
    lines = [line for line in result.stdout.splitlines() if line.startswith("epoch ") and "TEST_ACC" in line]
    train = [float(line.split("TRAIN_ACC ")[1].split()[0]) for line in lines]
    test = [float(line.split("TEST_ACC ")[1].split()[0]) for line in lines]
    assert [line.split(":")[0] for line in lines] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert all(0 <= a <= 1 for a in train + test)
    assert "loss fell" in result.stdout
    assert "sentences of the fortunes corpus" in result.stdout
    figures = json.loads(results.read_text())
    assert figures["epochs"] == 3 and figures["seconds_per_epoch"] > 0
    assert abs(figures["metrics"]["train accuracy"] - train[-1]) < 1e-4  # printed to 4 places
    assert abs(figures["metrics"]["test accuracy"] - test[-1]) < 1e-4
    assert png.stat().st_size > 0 if has_matplotlib() else not png.exists()


def _transformer_module():
    """examples/transformer.py imported as a module (its data functions)."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import transformer
    finally:
        sys.path.remove(str(EXAMPLES))
    return transformer


def test_transformer_reads_cola(tmp_path):
    """--data takes CoLA's in_domain_train.tsv: label column 1 (1 acceptable -> +1, 0 -> -1),
    the sentence in column 3, lower-cased words without punctuation."""
    import numpy as np
    tsv = tmp_path / "in_domain_train.tsv"
    tsv.write_text("gj04\t1\t\tOur friends won't buy this analysis, let alone the next one we propose.\n"
                   "gj04\t0\t*\tThey drank the pub.\n"
                   "gj04\t1\t\tThe sailors rode the breeze clear of the rocks.\n")
    texts, labels = _transformer_module().load_cola(str(tsv), seed=0)
    assert texts == [["our", "friends", "won't", "buy", "this", "analysis", "let", "alone", "the", "next", "one",
                      "we", "propose"], ["they", "drank", "the", "pub"],
                     ["the", "sailors", "rode", "the", "breeze", "clear", "of", "the", "rocks"]]
    assert labels.dtype == np.float32 and labels.tolist() == [1., -1., 1.]


def test_transformer_data_is_deterministic():
    """The fortunes task depends only on its arguments: same seed, same sentences and labels;
    about 30% scrambled, each scrambled sentence a real reordering of a corpus sentence."""
    import numpy as np
    transformer = _transformer_module()
    texts, labels = transformer.build_fortunes_task(FORTUNES, 7, 400)
    again, labels_again = transformer.build_fortunes_task(FORTUNES, 7, 400)
    other, _ = transformer.build_fortunes_task(FORTUNES, 8, 400)
    assert texts == again and np.array_equal(labels, labels_again)
    assert texts != other
    assert len(texts) == 400 and set(np.unique(labels)) == {-1., 1.}
    assert abs(np.mean(labels < 0) - 0.3) < 0.01
    assert all(4 <= len(words) <= 20 for words in texts)
    corpus = transformer.fortune_sentences(FORTUNES)
    by_words = {}
    for sentence in corpus:
        by_words.setdefault(tuple(sorted(sentence.split())), set()).add(sentence)
    for words, label in zip(texts, labels):
        originals = by_words.get(tuple(sorted(words)), set())
        if label > 0:
            assert " ".join(words) in originals
        else:  # a reordering of a corpus sentence, different from it (unless it hit another one)
            assert originals
            assert " ".join(words) not in originals or len(originals) > 1
    tokens, vocabulary = transformer.encode(texts)
    assert tokens.shape == (400, max(len(words) for words in texts)) and tokens.dtype == np.int64
    assert sorted(vocabulary.values()) == list(range(1, len(vocabulary) + 1))
    assert all((tokens[i, len(words):] == 0).all() and (tokens[i, :len(words)] > 0).all()
               for i, words in enumerate(texts))


# ---- higher_order.py ---------------------------------------------------------------------------
def test_higher_order_example_reaches_its_analytic_answers(tmp_path):
    """Newton-CG with Hessian-vector products reaches the Rosenbrock minimum exactly, and the
    gradient-penalty critic settles at the best critic's slope and estimate (gradswift only:
    PyDyNet has no second derivatives)."""
    results = tmp_path / "higher_order.json"
    png = tmp_path / "higher_order.png"
    run_example("higher_order", "gradswift", ["--output", str(png), "--results", str(results)], tmp_path, timeout=300)
    metrics = json.loads(results.read_text())["metrics"]
    assert metrics["hvp check"] < 1e-9
    assert metrics["newton max |x - 1|"] < 1e-8 and metrics["newton final f"] < 1e-20
    assert metrics["descent final f"] > 1.0  # gradient descent with as many evaluations is far behind
    best = metrics["best critic slope"]
    assert abs(metrics["critic slope"] - best) < 0.05 * best
    assert abs(metrics["critic distance estimate"] - best * metrics["true distance"]) < 0.05 * best * metrics["true distance"]
    if has_matplotlib():
        assert png.stat().st_size > 0


def test_modern_cnn_quick_learns_with_adamw_one_cycle_and_clipping(tmp_path):
    """modern_cnn.py --quick (gradswift only: GELU/Hardswish/Mish, AdamW with two parameter
    groups, OneCycleLR stepped per batch, clip_grad_norm_) learns, and its schedule has the
    one-cycle shape: a rise to max_lr at 30% of the steps, then a fall far below the start."""
    assert os.path.isdir(MNIST_DATA), "Fashion-MNIST is missing: `make setup` installs dataset-fashion-mnist"
    results = tmp_path / "results.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PYTHON_DIR), str(EXAMPLES)]), MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, "-W", "ignore", str(EXAMPLES / "modern_cnn.py"), "--quick",
                          "--output", str(tmp_path / "modern.png"), "--results", str(results)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(results.read_text())
    assert figures["metrics"]["test accuracy"] > 0.6
    lr = np.array(figures["history"]["lr"])
    peak = int(lr.argmax())
    # PyTorch's phases: the rise ends at step 0.3 * total - 1 (8.6 of 32 here), between two steps
    assert 0.95 * 3e-3 < lr.max() <= 3e-3 and abs(peak - (0.3 * len(lr) - 1)) <= 1
    assert lr[0] == pytest.approx(3e-3 / 25) and lr[-1] < lr[0] / 100
    assert max(figures["history"]["largest_grad_norm"]) > 1.0  # clipping acted
