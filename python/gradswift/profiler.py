"""Where the time goes, op by op, as ``torch.profiler``::

    with gradswift.profiler.profile() as prof:
        loss = model(x).sum()
        loss.backward()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))

The engine times every library call (rows named by the C function: ``gs_matmul``), every
layer's forward (rows named by the layer: ``Linear``) and every backward rule the autograd walk
runs (rows named by the op that recorded it: ``matmul backward``; ``gs_backward``'s own self
time is the walk itself: gradient sums, broadcast reductions, hooks). A row's ``count`` is how
many times it ran, ``cpu_time_total`` its time nested rows included and
``self_cpu_time_total`` that less the time of the rows nested in it, in microseconds as
torch's; a layer's forward thus keeps only what its inner ops do not account for. The records
are process-wide: calls from every thread count while a profile runs, and one profile runs at
a time. Python's own time between calls is not counted anywhere.
"""
from ctypes import c_int64

from ._convert import read_string
from ._lib import check, lib
from ._release import release_pending

__all__ = ["profile", "FunctionEventAvg", "EventList"]


class FunctionEventAvg:
    """One row of ``key_averages()``: a name and its times (microseconds)."""

    def __init__(self, key, count, self_cpu_time_total, cpu_time_total):
        self.key = key
        self.count = count
        self.self_cpu_time_total = self_cpu_time_total
        self.cpu_time_total = cpu_time_total

    @property
    def cpu_time(self):
        """Average total time per call (microseconds)."""
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} count={self.count} self_cpu_time_total={self.self_cpu_time_total:.3f} "
                f"cpu_time_total={self.cpu_time_total:.3f}>")


class EventList(list):
    """The rows of a profile (a list of ``FunctionEventAvg``) with ``table``."""

    #: The columns ``table`` can sort by (largest first).
    SORT_KEYS = ("self_cpu_time_total", "cpu_time_total", "cpu_time", "count")

    @property
    def self_cpu_time_total(self):
        """The sum of the rows' self times (microseconds): the time spent in the library."""
        return sum(row.self_cpu_time_total for row in self)

    def table(self, sort_by="self_cpu_time_total", row_limit=100):
        """The rows as a text table, sorted by ``sort_by`` (largest first), at most ``row_limit``
        of them (all when negative), with each time's share of the total self time."""
        if sort_by not in self.SORT_KEYS:
            raise ValueError(f"sort_by must be one of {', '.join(self.SORT_KEYS)}, got {sort_by!r}")
        rows = sorted(self, key=lambda row: getattr(row, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        whole = self.self_cpu_time_total or 1.0
        width = max([len("Name")] + [len(row.key) for row in rows])
        heads = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        rule = "-" * width + "  " + "  ".join("-" * 12 for _ in heads)
        lines = [rule, f"{'Name':<{width}}  " + "  ".join(f"{h:>12}" for h in heads), rule]
        for row in rows:
            cells = [f"{100 * row.self_cpu_time_total / whole:.2f}%", _time(row.self_cpu_time_total),
                     f"{100 * row.cpu_time_total / whole:.2f}%", _time(row.cpu_time_total),
                     _time(row.cpu_time), str(row.count)]
            lines.append(f"{row.key:<{width}}  " + "  ".join(f"{c:>12}" for c in cells))
        lines += [rule, f"Self CPU time total: {_time(self.self_cpu_time_total)}"]
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def _time(microseconds):
    """A time in the unit that suits it, as torch's tables show them."""
    if microseconds >= 1e6:
        return f"{microseconds / 1e6:.3f}s"
    if microseconds >= 1e3:
        return f"{microseconds / 1e3:.3f}ms"
    return f"{microseconds:.3f}us"


class profile:
    """A profile of the library calls made between ``start()`` and ``stop()``, or inside a
    ``with`` block. The keyword arguments of ``torch.profiler.profile`` are accepted and
    ignored: gradswift profiles the CPU, records no shapes, stacks or memory, and has no
    schedule."""

    def __init__(self, **_torch_options):
        self._rows = None
        self._running = False

    def start(self):
        """Start recording (a RuntimeError when another profile is running)."""
        release_pending()  # tensors that died earlier are freed outside the profile
        check(lib.gs_profiler_start())
        self._running = True

    def stop(self):
        """Stop recording and read the rows."""
        release_pending()
        count = c_int64()
        check(lib.gs_profiler_stop(count))
        self._running = False
        rows = EventList()
        for index in range(count.value):
            calls, self_ns, total_ns = c_int64(), c_int64(), c_int64()
            check(lib.gs_profiler_record_times(index, calls, self_ns, total_ns))
            name = read_string(lib.gs_profiler_record_name, c_int64(index))
            rows.append(FunctionEventAvg(name, calls.value, self_ns.value / 1e3, total_ns.value / 1e3))
        self._rows = rows

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.stop()

    def key_averages(self):
        """The rows, one per name (an ``EventList``); only once the profile has stopped."""
        if self._rows is None:
            raise RuntimeError("profiler: key_averages() is available once the profile has stopped")
        return self._rows
