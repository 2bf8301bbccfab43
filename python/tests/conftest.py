"""Shared fixtures. gradswift is imported unconditionally: a missing libgradswift.so makes the
test run fail (ImportError while loading this file), it never skips tests."""
import gc
import sys

import pytest

import gradswift  # an ImportError here (library not found) fails the run; nothing is skipped
from helpers import live_handles, reset_reference


@pytest.fixture(autouse=True)
def _clean_state():
    """Every test starts in grad mode with an empty PyDyNet graph."""
    gradswift.autograd.set_grad_enabled(True)
    reset_reference()
    yield
    gradswift.autograd.set_grad_enabled(True)


@pytest.fixture
def handle_counter():
    """A function returning the engine's live handle count after a garbage collection."""
    def count():
        gc.collect()
        return live_handles()
    return count


def pytest_terminal_summary(terminalreporter):
    """The per-op counts of the golden cases, when test_golden ran (it also writes its results file)."""
    golden = sys.modules.get("test_golden")
    summary = golden.report() if golden is not None else ""
    if summary:
        terminalreporter.write_line(summary.rstrip())
