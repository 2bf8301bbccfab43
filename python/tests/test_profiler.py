"""The per-op profiler (``gradswift.profiler``, modelled on ``torch.profiler``; PyDyNet has
none): the rows of a known sequence of ops, the self and total times of nested rows (checked as
identities and inequalities, never against a duration), nothing recorded while off, the table,
and the C functions' errors."""
import threading
import time
from ctypes import c_int64, create_string_buffer

import numpy as np
import pytest

import gradswift as gs
from gradswift import nn
from gradswift._lib import lib
from gradswift.profiler import profile

GS_ERR_INVALID_ARGUMENT, GS_ERR_INDEX, GS_ERR_INVALID_STATE = -2, -5, -7


def rows_by_key(prof):
    return {row.key: row for row in prof.key_averages()}


def leaf(values):
    return gs.Tensor(np.array(values, dtype=np.float32), requires_grad=True)


def test_known_ops_give_their_names_and_counts():
    a = leaf([1.0, 2.0, 3.0])
    with profile() as prof:
        b = a * a
        c = b * a
        c.sum().backward()
    rows = rows_by_key(prof)
    assert rows["gs_mul"].count == 2
    assert rows["gs_sum"].count == 1
    assert rows["gs_backward"].count == 1
    assert rows["mul backward"].count == 2
    assert rows["sum backward"].count == 1
    np.testing.assert_allclose(a.grad.data, 3 * np.array([1, 4, 9]))


def test_layers_are_rows_nested_in_the_module_call():
    net = nn.Linear(4, 3, dtype=np.float32)
    x = gs.Tensor(np.ones((2, 4), np.float32))
    with profile() as prof:
        net(x)
    rows = rows_by_key(prof)
    assert rows["Linear"].count == 1
    assert rows["gs_module_forward"].count == 1
    assert rows["gs_module_forward"].cpu_time_total >= rows["Linear"].cpu_time_total


def test_self_and_total_times_add_up():
    net = nn.Sequential(nn.Linear(8, 16, dtype=np.float32), nn.ReLU(), nn.Linear(16, 1, dtype=np.float32))
    x = gs.Tensor(np.random.default_rng(0).standard_normal((32, 8)).astype(np.float32))
    started = time.perf_counter()
    with profile() as prof:
        for _ in range(3):
            net(x).sum().backward()
    wall_us = (time.perf_counter() - started) * 1e6
    averages = prof.key_averages()
    rows = {row.key: row for row in averages}
    for row in averages:
        assert 0 <= row.self_cpu_time_total <= row.cpu_time_total
        assert row.count >= 1
    # Every backward rule runs inside gs_backward: its total is its self time plus theirs.
    backward = rows["gs_backward"]
    rules = sum(row.self_cpu_time_total for row in averages if row.key.endswith(" backward"))
    assert backward.cpu_time_total == pytest.approx(backward.self_cpu_time_total + rules, abs=0.01)
    calls = rows["gs_module_forward"]
    assert calls.cpu_time_total >= rows["Linear"].cpu_time_total + rows["ReLU"].cpu_time_total
    # Self times split the library's time, which lies inside the block.
    assert averages.self_cpu_time_total <= wall_us
    assert (rows["Linear"].count, rows["ReLU"].count, calls.count) == (6, 3, 9)


def test_nothing_is_recorded_while_off():
    a = leaf([1.0, 2.0])
    with profile() as first:
        a * a
    (a * a).sum().backward()  # off: not counted anywhere
    with profile() as second:
        pass
    assert rows_by_key(first)["gs_mul"].count == 1
    assert "gs_mul" not in rows_by_key(second) and "gs_backward" not in rows_by_key(second)


def test_calls_from_every_thread_count():
    def work():
        a = leaf([1.0, 2.0])  # one leaf per thread
        for _ in range(50):
            (a * a).sum().backward()
    threads = [threading.Thread(target=work) for _ in range(3)]
    with profile() as prof:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    rows = rows_by_key(prof)
    assert rows["gs_mul"].count == rows["mul backward"].count == rows["gs_backward"].count == 150
    for row in rows.values():
        assert 0 <= row.self_cpu_time_total <= row.cpu_time_total


def test_table_sorts_limits_and_rejects_unknown_columns():
    a = leaf([1.0, 2.0])
    with profile() as prof:
        for _ in range(3):
            (a * a).sum().backward()
    averages = prof.key_averages()
    text = averages.table(sort_by="count", row_limit=2)
    assert "Self CPU" in text and "CPU total" in text and "# of Calls" in text
    body = [line for line in text.splitlines() if line.split() and line.split()[-1].isdigit()]
    assert len(body) == 2
    counts = sorted((row.count for row in averages), reverse=True)[:2]
    assert [int(line.split()[-1]) for line in body] == counts
    assert str(averages) == averages.table()
    with pytest.raises(ValueError, match="sort_by"):
        averages.table(sort_by="cuda_time_total")
    assert averages[0].cpu_time == pytest.approx(averages[0].cpu_time_total / averages[0].count)


def test_one_profile_at_a_time_and_rows_only_after_stop():
    prof = profile()
    with pytest.raises(RuntimeError, match="stopped"):
        prof.key_averages()
    with profile():
        with pytest.raises(RuntimeError, match="already running"):
            profile().start()
    with pytest.raises(RuntimeError, match="not running"):
        prof.stop()


def test_c_functions_check_their_arguments():
    count, calls, self_ns, total_ns, length = (c_int64() for _ in range(5))
    assert lib.gs_profiler_stop(count) == GS_ERR_INVALID_STATE
    assert lib.gs_profiler_start() == 0
    assert lib.gs_profiler_stop(None) == GS_ERR_INVALID_ARGUMENT  # the profile goes on
    gs.Tensor(np.ones(2, np.float32)) + 1
    assert lib.gs_profiler_stop(count) == 0
    assert count.value >= 1
    buffer = create_string_buffer(8)
    assert lib.gs_profiler_record_name(count.value, buffer, 8, length) == GS_ERR_INDEX
    assert lib.gs_profiler_record_name(-1, buffer, 8, length) == GS_ERR_INDEX
    assert lib.gs_profiler_record_name(0, None, 8, length) == GS_ERR_INVALID_ARGUMENT
    assert lib.gs_profiler_record_name(0, buffer, -1, length) == GS_ERR_INVALID_ARGUMENT
    assert lib.gs_profiler_record_name(0, buffer, 8, None) == GS_ERR_INVALID_ARGUMENT
    assert lib.gs_profiler_record_times(count.value, calls, self_ns, total_ns) == GS_ERR_INDEX
    assert lib.gs_profiler_record_times(0, None, self_ns, total_ns) == GS_ERR_INVALID_ARGUMENT
    assert lib.gs_profiler_record_times(0, calls, None, total_ns) == GS_ERR_INVALID_ARGUMENT
    assert lib.gs_profiler_record_times(0, calls, self_ns, None) == GS_ERR_INVALID_ARGUMENT
    assert lib.gs_profiler_record_times(0, calls, self_ns, total_ns) == 0
    assert calls.value >= 1 and 0 <= self_ns.value <= total_ns.value
