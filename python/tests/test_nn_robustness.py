"""Regressions from the review of the neural-network library: inputs that used to crash or hang
the process, or that ctypes silently wrapped. Cases that could kill or block the interpreter run
in a subprocess, so a regression fails the test instead of the test run."""
import io
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import gradswift as gs
import gradswift.nn as nn
import gradswift.nn.functional as F
import gradswift.optim as optim


def run_isolated(body, timeout=60):
    """Runs ``body`` (Python source) in a fresh interpreter and returns its stdout lines; fails
    when the process dies (a Swift trap is SIGILL or SIGTRAP) or hangs."""
    script = "import numpy as np, gradswift as gs, gradswift.nn as nn, gradswift.optim as optim\n"
    script += textwrap.dedent(body)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    try:
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung for {timeout} s:\n{body}")
    assert out.returncode == 0, f"exit status {out.returncode}\n{out.stdout}\n{out.stderr[-2000:]}"
    return out.stdout.splitlines()


# ---- counters at the end of int64 (used to trap on `+= 1`) --------------------------------------
@pytest.mark.parametrize("kind", ["SGD", "Adam", "Adagrad", "Adadelta"])
def test_optimizer_step_at_the_largest_step_count_raises(kind):
    lines = run_isolated(f"""
        layer = nn.Linear(3, 2)
        opt = optim.{kind}(layer.parameters(), lr=0.1)
        layer(gs.Tensor(np.ones((4, 3)))).sum().backward()
        state = opt.state_dict()
        state["step"] = 2**63 - 1
        opt.load_state_dict(state)
        before = layer.weight.numpy().copy()
        try:
            opt.step()
        except RuntimeError as exc:
            print("raised", exc)
        print("unchanged", np.array_equal(before, layer.weight.numpy()))
    """)
    assert lines[0].startswith("raised ") and "step count" in lines[0]
    assert lines[1] == "unchanged True"


def test_scheduler_at_the_largest_epoch_raises():
    lines = run_isolated("""
        opt = optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)
        optim.StepLR(opt, 5)  # records the initial rate, so a schedule can be resumed
        for last in (2**63 - 1, 2**63 - 2):
            try:
                s = optim.StepLR(opt, 5, last_epoch=last)
                print("epoch", s.last_epoch)
                s.step()
            except RuntimeError as exc:
                print("raised", exc)
    """)
    assert lines[0].startswith("raised ") and "epoch" in lines[0]
    assert lines[1] == f"epoch {2**63 - 1}"
    assert lines[2].startswith("raised ")


# ---- float32 uniform fills (used to loop forever) -----------------------------------------------
def test_float32_uniform_over_a_range_without_a_float32_below_high_returns_low():
    lines = run_isolated("""
        for low, high in [(1.0, 1.0 + 1e-12), (0.0, 1e-50), (2.0, 2.0)]:
            t = gs.Tensor(np.zeros(4, dtype=np.float32))
            gs.nn.init.uniform_(t, low, high)
            print(t.numpy().tolist())
    """, timeout=30)
    assert lines == ["[1.0, 1.0, 1.0, 1.0]", "[0.0, 0.0, 0.0, 0.0]", "[2.0, 2.0, 2.0, 2.0]"]


def test_float32_uniform_beyond_the_float32_range_raises():
    lines = run_isolated("""
        for low, high in [(3.41e38, 3.5e38), (0.1, 1e308), (-1e39, 0.0)]:
            try:
                gs.nn.init.uniform_(gs.Tensor(np.zeros(4, dtype=np.float32)), low, high)
                print("filled")
            except ValueError as exc:
                print("raised", exc)
    """, timeout=30)
    assert all(line.startswith("raised ") and "float32" in line for line in lines), lines


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_uniform_fills_stay_in_the_half_open_range(dtype):
    t = gs.Tensor(np.zeros(20000, dtype=dtype))
    gs.nn.init.uniform_(t, 0.0, 1.0)
    values = t.numpy()
    assert values.min() >= 0.0 and values.max() < 1.0
    t = gs.Tensor(np.zeros(1000, dtype=dtype))
    gs.nn.init.uniform_(t, 1.0, 1.0 + 3e-7)  # a few float32 steps: every value below high
    assert (t.numpy() >= 1.0).all() and (t.numpy() < dtype(1.0 + 3e-7)).all()


# ---- integers ctypes would wrap silently --------------------------------------------------------
def _sgd():
    return optim.SGD(nn.Linear(3, 2).parameters(), lr=0.1)


@pytest.mark.parametrize("make", [
    lambda: optim.StepLR(_sgd(), 2**64 + 1),
    lambda: optim.MultiStepLR(_sgd(), [2**64]),
    lambda: optim.CosineAnnealingLR(_sgd(), 2**64 + 3),
    lambda: optim.ExponentialLR(_sgd(), 0.5, last_epoch=2**64),
    lambda: nn.BatchNorm1d(2**64 + 3),
    lambda: nn.BatchNorm2d(2**64 + 3),
    lambda: nn.LayerNorm([3, 2**64 + 3]),
    lambda: nn.RMSNorm(2**64 + 3),
    lambda: F.layer_norm(gs.Tensor(np.ones((2, 3))), 2**64 + 3),
    lambda: gs.zeros((2**64 + 2,)),
    lambda: gs.Tensor(np.ones(3)).reshape(2**64 + 3),
    lambda: gs.Tensor(np.ones((3, 2))).sum(axis=2**64 + 1),
], ids=["StepLR", "MultiStepLR", "CosineAnnealingLR", "last_epoch", "BatchNorm1d", "BatchNorm2d",
        "LayerNorm", "RMSNorm", "layer_norm", "zeros", "reshape", "sum-axis"])
def test_integers_outside_int64_raise_overflow_error(make):
    with pytest.raises(OverflowError, match="int64"):
        make()


def test_optimizer_state_with_a_step_outside_int64_is_refused():
    layer = nn.Linear(3, 2)
    opt = optim.Adam(layer.parameters())
    state = opt.state_dict()
    state["step"] = 2**64  # ctypes used to store it as 0
    with pytest.raises(OverflowError, match="step"):
        opt.load_state_dict(state)
    assert opt.state_dict()["step"] == 0


# ---- damaged checkpoints --------------------------------------------------------------------------
def test_load_of_an_unterminated_npy_header_raises_value_error(tmp_path):
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2)"  # no closing brace
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    member = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(48)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("weight.npy", member)
    path = tmp_path / "damaged.npz"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="not a valid gradswift checkpoint"):
        gs.load(path)


# ---- hostile arguments that must raise, not crash ---------------------------------------------------
# Each runs in one subprocess; a crash names the last case started.
HOSTILE = [
    "nn.Linear(2**62, 2**62)",
    "nn.Embedding(5, 3, padding_idx=5)",
    "nn.Embedding(5, 3)(np.array([5]))",
    "F.embedding(np.array([1]), gs.Tensor(np.ones((5, 3))), padding_idx=-2**63)",
    "F.dropout(gs.Tensor(np.ones(3)), p=float('nan'))",
    "F.softmax(gs.Tensor(np.ones((2, 3))), axis=-2**63)",
    "F.cross_entropy(gs.Tensor(np.ones((2, 3))), np.array([0, 2**40]))",
    "F.nll_loss(gs.Tensor(np.ones((2, 3))), np.array([0, -1]))",
    "F.conv1d(gs.Tensor(np.ones((2, 3, 8))), gs.Tensor(np.ones((4, 3, 3))), stride=0)",
    "F.conv2d(gs.Tensor(np.ones((2, 3, 8, 8))), gs.Tensor(np.ones((4, 3, 3, 3))), padding=2**62)",
    "F.conv2d(gs.Tensor(np.ones((2, 3, 2, 2))), gs.Tensor(np.ones((4, 3, 3, 3))))",
    "F.max_pool2d(gs.Tensor(np.ones((2, 3, 8, 8))), 2**62)",
    "F.avg_pool1d(gs.Tensor(np.ones((2, 3, 8))), 2, padding=-1)",
    "F.batch_norm(gs.Tensor(np.ones((4, 3))), gs.Tensor(np.ones(5)), gs.Tensor(np.ones(3)), training=True)",
    "F.layer_norm(gs.Tensor(np.ones((2, 3))), (2**62, 2**62))",
    "nn.RNN(4, 2**62)",
    "nn.LSTM(4, 6)(gs.Tensor(np.ones((5, 3, 4))), (gs.Tensor(np.ones((1, 3, 6))), None))",
    "nn.GRU(4, 6)(gs.Tensor(np.ones((5, 3, 4))), gs.Tensor(np.ones((2, 3, 6))))",
    "nn.LSTMCell(4, 6)(gs.Tensor(np.ones((3, 4))), (gs.Tensor(np.ones((3, 7))), gs.Tensor(np.ones((3, 6)))))",
    "optim.Adam(nn.Linear(3, 2).parameters(), betas=(1.0, 0.9))",
    "optim.SGD(nn.Linear(3, 2).parameters(), lr=float('nan'))",
    "optim.StepLR(optim.SGD(nn.Linear(3, 2).parameters(), 0.1), 0)",
]


def test_hostile_arguments_raise_python_exceptions():
    body = "import gradswift.nn.functional as F\n"
    body += "for i, case in enumerate(%r):\n" % (HOSTILE,)
    body += textwrap.indent(textwrap.dedent("""
        print("start", i, flush=True)
        try:
            eval(case)
            print("accepted", i)
        except Exception as exc:
            print("raised", i, type(exc).__name__)
    """), "    ")
    lines = run_isolated(body)
    outcomes = [line for line in lines if not line.startswith("start")]
    accepted = [HOSTILE[int(line.split()[1])] for line in outcomes if line.startswith("accepted")]
    assert len(outcomes) == len(HOSTILE) and not accepted, accepted
