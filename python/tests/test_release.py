"""Batched release of dead tensor handles (gradswift/_release.py): small dead tensors wait in a
queue of fewer than BATCH handles, large ones are released at once, and every flush point
empties the queue, so the handle count stays flat."""
import gc

import numpy as np

import gradswift as gs
from gradswift import _release
from gradswift._release import BATCH, pending, release_pending
from helpers import live_handles


def handle_of_result(shape):
    a = gs.Tensor(np.ones(shape, np.float32))
    return (a + a)._h


def test_dead_small_tensors_wait_in_a_bounded_queue():
    start = live_handles()
    a = gs.Tensor(np.ones(3, np.float32))
    for _ in range(5 * BATCH):
        a + a
        assert len(pending) < BATCH
    assert live_handles() == start + 1  # live_handles releases the queue first
    del a
    assert live_handles() == start


def test_a_large_tensor_is_released_at_once():
    release_pending()
    start = live_handles()
    small, large = handle_of_result(4), handle_of_result((64, 64))  # 16 B and 16 KiB
    assert small >> 63 == 0 and large >> 63 == 1
    assert small in pending and large not in pending  # large: gone already
    queued = list(pending)
    big = gs.Tensor(np.ones((128, 128), np.float32))
    del big
    assert pending == queued
    release_pending()
    assert live_handles() == start


def test_every_flush_point_empties_the_queue():
    x = gs.Tensor(np.ones(2, np.float32), requires_grad=True)
    layer = gs.nn.Linear(2, 2)
    loss = (x * x).sum()
    mode = gs.no_grad()
    flushes = [gc.collect, gs.memory_stats, gs.empty_cache, lambda: layer(x),
               lambda: gs.autograd.grad(loss, x), mode.__enter__, lambda: mode.__exit__(None, None, None)]
    kept = []  # results of the flushes: alive, so not queued after
    for flush in flushes:
        x + x
        assert pending
        kept.append(flush())
        assert not pending, flush


def test_backward_leaves_the_queue_to_the_next_flush():
    """The dead intermediate results a graph holds are queued, not released, through a
    backward: the gradients are right, and the next flush releases everything."""
    start = live_handles()
    w = gs.Tensor(np.arange(4, dtype=np.float32), requires_grad=True)
    gc.disable()  # (a collection would flush the queue)
    try:
        loss = (w * w + w).sum()  # the two intermediate results are dead, their handles queued
        queued = list(pending)
        assert len(queued) == 2
        loss.backward()
        assert pending == queued
    finally:
        gc.enable()
    np.testing.assert_array_equal(w.grad, 2 * np.arange(4, dtype=np.float32) + 1)
    del loss, w
    release_pending()
    assert live_handles() == start


def test_a_finalizer_running_during_a_release_only_queues():
    """A release that runs while another is in progress (a finalizer triggered by it, or
    another thread) leaves the queue to the one running."""
    a = gs.Tensor(np.ones(1, np.float32))
    release_pending()
    a + a
    assert _release._releasing.acquire(False)
    try:
        release_pending()  # another release is running: nothing happens
        assert len(pending) == 1
    finally:
        _release._releasing.release()
    release_pending()
    assert not pending


def test_a_handle_released_another_way_does_not_hold_back_the_others():
    release_pending()
    start = live_handles()
    a = gs.Tensor(np.ones(1, np.float32))
    results = [a + a for _ in range(3)]
    handles = [r._h for r in results]
    assert _release._release_one(handles[1]) == 0  # released behind the Tensor's back
    del results
    assert len(pending) == 3
    release_pending()  # the batch call fails on the dead one; the other two are still released
    assert not pending
    assert live_handles() == start + 1
