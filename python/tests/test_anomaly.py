"""Anomaly detection (``gradswift.autograd.detect_anomaly``), which PyDyNet 1.1 lacks: modelled
on ``torch.autograd.detect_anomaly`` and checked against NumPy. Forward checks cover the
operations recorded in the graph; backward checks each input gradient a node produces."""
import threading

import numpy as np
import pytest

import gradswift as gs
from gradswift.autograd import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from helpers import assert_close


@pytest.fixture(autouse=True)
def _mode_left_off():
    """Every test starts with detection off and must leave it off."""
    set_detect_anomaly(False)
    yield
    left_on = is_anomaly_enabled()
    set_detect_anomaly(False)
    assert not left_on, "the test left anomaly detection on"


def leaf(values, dtype=np.float64):
    return gs.Tensor(np.array(values, dtype=dtype), requires_grad=True)


# -- the switch -------------------------------------------------------------------------------

def test_off_by_default_and_set_at_once():
    assert is_anomaly_enabled() is False
    set_detect_anomaly(True)
    assert is_anomaly_enabled() is True
    set_detect_anomaly(False)
    assert is_anomaly_enabled() is False


def test_context_managers_restore_the_previous_mode_even_on_errors():
    with pytest.raises(KeyError):
        with detect_anomaly():
            assert is_anomaly_enabled()
            raise KeyError("leaving")
    assert not is_anomaly_enabled()
    with detect_anomaly():
        with set_detect_anomaly(False):  # as in PyTorch: usable as a context manager too
            assert not is_anomaly_enabled()
        assert is_anomaly_enabled()
        with detect_anomaly():
            assert is_anomaly_enabled()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()


def test_detect_anomaly_as_decorator_restores_after_an_anomaly():
    @detect_anomaly()
    def log_of(x):
        assert is_anomaly_enabled()
        return gs.log(x)

    assert not is_anomaly_enabled()
    with pytest.raises(RuntimeError, match="forward of 'log'"):
        log_of(leaf([-1.0]))
    assert not is_anomaly_enabled()


def test_mode_is_per_process():
    """Unlike grad mode (per thread), and as in PyTorch: a thread sees the switch."""
    errors = []

    def work():
        try:
            gs.log(leaf([-1.0]))
        except RuntimeError as error:
            errors.append(str(error))

    with detect_anomaly():
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert len(errors) == 1 and "forward of 'log'" in errors[0]


# -- forward ----------------------------------------------------------------------------------

def test_forward_names_op_value_index_and_shape():
    x = leaf([[1, 2, 3, -1], [1, 2, 3, 4]])
    with detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            gs.log(x)
    assert str(info.value) == "anomaly: forward of 'log' produced nan at index 3 (output shape (2, 4))"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_zero_over_zero_and_overflow(dtype):
    z = leaf([2, 0, 1], dtype)
    with detect_anomaly():
        with pytest.raises(RuntimeError, match=r"forward of 'div' produced nan at index 1 \(output shape \(3,\)\)"):
            z / z
        with pytest.raises(RuntimeError, match="forward of 'log' produced -inf at index 1"):
            gs.log(z)
        big = 100.0 if dtype == np.float32 else 1000.0
        with pytest.raises(RuntimeError, match="forward of 'exp' produced inf at index 0"):
            gs.exp(z * big)


def test_non_finite_data_is_blamed_on_first_recorded_op_with_a_note():
    data = gs.Tensor(np.array([1.0, np.nan, 3.0]))
    w = leaf([1.0, 1.0, 1.0])
    with detect_anomaly():
        scaled = data * 2  # no input requires grad: not recorded, not checked
        assert np.isnan(scaled.numpy()[1])
        with pytest.raises(RuntimeError, match="forward of 'mul' produced nan at index 1.*its input 0 already held"):
            scaled * w


def test_no_grad_code_is_not_checked():
    with detect_anomaly(), gs.no_grad():
        assert np.isnan(gs.log(leaf([-1.0])).numpy()[0])


# -- backward ---------------------------------------------------------------------------------

def test_backward_only_anomaly_of_sqrt_names_the_input():
    x = leaf([0.0, 1.0, 4.0])
    with detect_anomaly():
        y = gs.sqrt(x).sum()  # sqrt(0) = 0 is finite; its gradient is not
        assert y.item() == 3.0
        with pytest.raises(RuntimeError) as info:
            y.backward()
    assert str(info.value) == ("anomaly: backward of 'sqrt' produced inf in the gradient of input 0 "
                               "at index 0 (gradient shape (3,))")


def test_backward_only_anomaly_of_pow():
    x = leaf([0.0, 1.0])
    with detect_anomaly():
        y = (x ** 0.5).sum()
        with pytest.raises(RuntimeError, match="backward of 'pow' produced inf in the gradient of input 0"):
            y.backward()


def test_backward_only_anomaly_of_div_names_the_divisor():
    """a / b = 1, scaled by 1e20, is finite in float32; d/db = -1e20 / 1e-20 overflows."""
    a = gs.Tensor(np.array([1e-20, 1.0], dtype=np.float32))
    b = leaf([1e-20, 1.0], np.float32)
    with detect_anomaly():
        y = (a / b * 1e20).sum()
        with pytest.raises(RuntimeError, match=r"backward of 'div' produced -inf in the gradient of input 1 at index 0"):
            y.backward()


# -- off changes nothing; on agrees when finite --------------------------------------------------

def test_off_lets_non_finite_values_through():
    x = leaf([-1.0, 0.0, 4.0])
    y = gs.log(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.log(np.array([-1.0, 0.0, 4.0]))
    np.testing.assert_array_equal(y.numpy(), expected)
    r = leaf([0.0, 1.0])
    gs.sqrt(r).sum().backward()
    np.testing.assert_array_equal(r.grad, [np.inf, 0.5])


def test_on_and_off_give_identical_values_and_gradients():
    def run():
        x = leaf([[0.5, 1.0], [2.0, 3.0]])
        y = (gs.log(x) / gs.sqrt(x) + x ** 3).sum()
        y.backward()
        return y.item(), x.grad.copy()

    off = run()
    with detect_anomaly():
        on = run()
    assert off[0] == on[0]
    np.testing.assert_array_equal(off[1], on[1])
    v = np.array([[0.5, 1.0], [2.0, 3.0]])
    assert_close(off[1], (1 - np.log(v) / 2) / v ** 1.5 + 3 * v ** 2)


# -- the graph after an anomaly error -----------------------------------------------------------

def test_failed_backward_changes_no_grad_and_keeps_the_graph(handle_counter):
    start = handle_counter()
    w = leaf([2.0, 3.0, 4.0])
    x = leaf([0.0, 1.0, 4.0])
    w.grad[...] = 10.0  # gradients from an earlier step
    y = (w * gs.sqrt(x)).sum()  # w's gradient is computed before sqrt's backward fails
    with detect_anomaly():
        for _ in range(2):  # the graph is whole after the error: the same error again
            with pytest.raises(RuntimeError, match="backward of 'sqrt'"):
                y.backward()
    np.testing.assert_array_equal(w.grad, [10.0, 10.0, 10.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])

    y.backward()  # detection off: the walk goes through and the infinity reaches x.grad
    np.testing.assert_array_equal(w.grad, 10.0 + np.sqrt([0.0, 1.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [np.inf, 1.5, 1.0])
    with pytest.raises(RuntimeError, match="freed"):
        y.backward()
    del w, x, y
    assert handle_counter() == start


def test_abandoned_graph_after_forward_error_is_freed(handle_counter):
    start = handle_counter()
    x = leaf(np.linspace(-1, 1, 12).reshape(3, 4))
    with detect_anomaly():
        h = x * 3 + 1
        with pytest.raises(RuntimeError, match="forward of 'sqrt'"):
            gs.sqrt(h - 2)
        y = (h * h).sum()  # later calls work
        y.backward()
    assert_close(x.grad, 6 * (3 * x.numpy() + 1))
    del x, h, y
    assert handle_counter() == start


# -- training -----------------------------------------------------------------------------------

def mlp_losses(steps, anomaly):
    """Losses of a 4-16-1 MLP trained with SGD on a fixed regression problem."""
    gs.manual_seed(0)
    net = gs.nn.Sequential(gs.nn.Linear(4, 16), gs.nn.ReLU(), gs.nn.Linear(16, 1))
    optimizer = gs.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4))
    target = gs.Tensor(x @ np.array([[1.0], [-2.0], [0.5], [0.0]]))
    x = gs.Tensor(x)
    loss_fn = gs.nn.MSELoss()
    losses = []
    with set_detect_anomaly(anomaly):
        for _ in range(steps):
            loss = loss_fn(net(x), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


def test_training_with_detection_on_matches_training_with_it_off():
    on = mlp_losses(100, True)
    off = mlp_losses(100, False)
    assert on == off
    assert on[-1] < 0.1 * on[0]


def test_training_that_diverges_is_stopped_at_the_first_overflow():
    """A far too large learning rate: the error names an op instead of NaN losses."""
    gs.manual_seed(0)
    net = gs.nn.Sequential(gs.nn.Linear(4, 16), gs.nn.ReLU(), gs.nn.Linear(16, 1))
    optimizer = gs.optim.SGD(net.parameters(), lr=1e3, momentum=0.0)
    x = gs.Tensor(np.random.default_rng(1).standard_normal((32, 4)))
    target = gs.Tensor(np.ones((32, 1)))
    loss_fn = gs.nn.MSELoss()
    with detect_anomaly():
        with pytest.raises(RuntimeError, match=r"^anomaly: (forward|backward) of '\w+' produced (nan|inf|-inf)"):
            for _ in range(100):
                loss = loss_fn(net(x), target)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
