"""Concurrent use from several threads: independent graphs give the results they give alone,
grad mode and the last error message are per thread, and handles are counted exactly.
ctypes releases the GIL during each engine call, so the engine really runs them concurrently."""
import threading

import numpy as np
import pytest

import gradswift as pdn
import gradswift.nn as nn
import gradswift.nn.functional as F
from gradswift.optim import SGD

from helpers import live_handles

THREADS = 4


def run_threads(target, count=THREADS):
    """Runs ``target(i)`` on ``count`` threads started together; returns results, re-raises errors."""
    results, errors = [None] * count, []
    barrier = threading.Barrier(count)

    def body(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as e:  # noqa: B902 - reported to the test below
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def train(seed, steps=60):
    """A small MLP trained with SGD on seed-dependent data; its losses and final weights."""
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((128, 16)), rng.integers(0, 4, 128)
    net = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 4))
    for parameter in net.parameters():  # the engine's shared generator is not per thread
        parameter.data[...] = rng.standard_normal(parameter.shape) * 0.3
    optimizer = SGD(net.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy_loss(net(pdn.Tensor(x)), pdn.Tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses), [p.data.copy() for p in net.parameters()]


def test_independent_training_loops_on_four_threads_match_serial_runs():
    start = live_handles()
    serial = [train(seed) for seed in range(THREADS)]
    concurrent = run_threads(train)
    for (losses, weights), (expected_losses, expected_weights) in zip(concurrent, serial):
        np.testing.assert_allclose(losses, expected_losses, rtol=1e-10)
        for w, e in zip(weights, expected_weights):
            np.testing.assert_allclose(w, e, rtol=1e-10, atol=1e-12)
        assert losses[-1] < losses[0] / 2
    del serial, concurrent
    assert live_handles() == start


def test_large_ops_from_four_threads():
    """Ops big enough to split over the cores themselves (and BLAS products) from 4 threads."""
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((300, 400)), rng.standard_normal((400, 200))

    def work(i):
        x = pdn.Tensor(a * (i + 1), requires_grad=True)
        out = pdn.sum(pdn.exp(pdn.tanh(x @ pdn.Tensor(b))))
        out.backward()
        return out.item(), x.grad.copy()

    results = run_threads(work)
    for i, (value, grad) in enumerate(results):
        t = np.tanh((a * (i + 1)) @ b)
        np.testing.assert_allclose(value, np.exp(t).sum(), rtol=1e-10)
        np.testing.assert_allclose(grad, (np.exp(t) * (1 - t ** 2)) @ b.T, rtol=1e-9, atol=1e-9)


def test_grad_mode_is_per_thread():
    def work(i):
        x = pdn.Tensor(np.ones(3), requires_grad=True)
        recorded = []
        for _ in range(200):
            if i % 2:
                with pdn.no_grad():
                    recorded.append((x * 2).requires_grad)
            else:
                recorded.append((x * 2).requires_grad)
        return recorded

    for i, recorded in enumerate(run_threads(work)):
        assert recorded == [i % 2 == 0] * 200


def test_error_messages_are_per_thread():
    def work(i):
        messages = set()
        for _ in range(200):
            with pytest.raises(ValueError) as caught:
                pdn.Tensor(np.ones((2, i + 1))) @ pdn.Tensor(np.ones((i + 3, 2)))
            messages.add(str(caught.value))
        return messages

    for i, messages in enumerate(run_threads(work)):
        assert len(messages) == 1
        assert f"(2, {i + 1})" in next(iter(messages)) and f"({i + 3}, 2)" in next(iter(messages))
