"""Smoke tests of python/bench/bench.py --quick (every workload runs on every installed framework,
the table has a row for each and the machine facts that decide the ratios are printed beside it;
--one-process runs the training workloads in one process, in both orders, with a row each) and
of python/bench/scaling.py --quick and python/bench/profile_ops.py --quick. They assert nothing about time (timings belong to the
benches)."""
import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench.py"
sys.path.insert(0, str(BENCH.parent))
import bench  # noqa: E402
import one_process  # noqa: E402


def test_quick_run_prints_a_row_per_workload(tmp_path):
    frameworks = [f for f in bench.FRAMEWORKS if f != "PyTorch"]  # PyTorch is optional and slow to import
    env = dict(os.environ, PYTHONPATH=str(BENCH.parents[1]))
    out = subprocess.run([sys.executable, str(BENCH), "--quick", "--frameworks", *frameworks,
                          "--json", str(tmp_path / "bench.json")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(bench.WORKLOADS)
    for workload in bench.WORKLOADS.values():
        assert any(row.startswith(f"| {workload.title} |") for row in rows), workload.title
    facts = out.stdout[out.stdout.index("Machine facts of this run:"):].splitlines()
    for variable in ("OPENBLAS_CORETYPE=", "OPENBLAS_L2_SIZE="):
        assert any(variable in line for line in facts), variable
    assert any(line.startswith("- CPU: ") and "flags: " in line for line in facts)
    assert any(line.startswith("- NumPy sgemm 256^3: ") and "GFLOP/s" in line for line in facts)
    assert any(line.startswith("- gradswift: ") and "threads" in line for line in facts)
    machine = json.loads((tmp_path / "bench.json").read_text())["machine"]
    assert machine["numpy"]["sgemm_gflops"] > 0 and machine["gradswift"]["threads"] >= 1
    results = json.loads((tmp_path / "bench.json").read_text())["results"]
    assert set(results) == set(bench.WORKLOADS)
    for key, row in results.items():
        assert set(row) == set(frameworks)
        for framework, measured in row.items():
            assert measured["value"] > 0 and measured["peak_mib"] >= 0, (key, framework)


def test_rounds_must_be_positive():
    env = dict(os.environ, PYTHONPATH=str(BENCH.parents[1]))
    out = subprocess.run([sys.executable, str(BENCH), "--quick", "--rounds", "0"],
                         capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "--rounds must be at least 1" in out.stderr


def test_gradswift_is_required():
    env = dict(os.environ, PYTHONPATH=str(BENCH.parents[1]))
    out = subprocess.run([sys.executable, str(BENCH), "--quick", "--frameworks", "PyDyNet"],
                         capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "must include gradswift" in out.stderr


def test_scaling_quick_run_prints_its_three_tables(tmp_path):
    scaling = BENCH.parent / "scaling.py"
    env = dict(os.environ, PYTHONPATH=str(BENCH.parents[1]))
    out = subprocess.run([sys.executable, str(scaling), "--quick", "--frameworks", "gradswift",
                          "--json", str(tmp_path / "scaling.json")],
                         capture_output=True, text=True, env=env, timeout=900)
    assert out.returncode == 0, out.stderr
    for title in ("MLP 784-1024-1024-10 training step", "Transformer block training step", "MLP inference"):
        assert title in out.stdout, title
    assert "Machine facts of this run:" in out.stdout
    results = json.loads((tmp_path / "scaling.json").read_text())
    for curve in ("mlp", "transformer", "inference"):
        assert len(results[curve]) == 2
        for row in results[curve].values():
            assert row["gradswift"]["ms"] > 0 and row["gradswift"]["peak_mib"] >= 0


def test_profile_ops_quick_run_prints_a_table_per_workload(tmp_path):
    script = BENCH.parent / "profile_ops.py"
    env = dict(os.environ, PYTHONPATH=str(BENCH.parents[1]))
    out = subprocess.run([sys.executable, str(script), "--quick", "--frameworks", "gradswift", "--steps", "1",
                          "--warmups", "1", "--json", str(tmp_path / "ops.json")],
                         capture_output=True, text=True, env=env, timeout=900)
    assert out.returncode == 0, out.stderr
    for key in ("mlp", "conv", "gru", "lstm", "transformer"):
        assert f"**{bench.WORKLOADS[key].title}**" in out.stdout, key
    rows = json.loads((tmp_path / "ops.json").read_text())
    assert set(rows) == {"mlp", "conv", "gru", "lstm", "transformer"}
    for key, by_framework in rows.items():
        assert by_framework["PyTorch"] is None
        ours = by_framework["gradswift"]
        assert "gs_backward" in ours and "gs_optim_step" in ours and "linear backward" in ours, key
        assert all(ms >= 0 for ms in ours.values())
    assert "| linear backward |" in out.stdout and "| **sum** |" in out.stdout


def test_one_process_quick_run_prints_a_row_per_workload_in_both_orders(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(BENCH.parents[1]))
    for order in ([], ["--reverse"]):
        out = subprocess.run([sys.executable, str(BENCH), "--one-process", *order, "--quick", "--frameworks",
                              "gradswift", "--json", str(tmp_path / "one.json")],
                             capture_output=True, text=True, env=env, timeout=600)
        assert out.returncode == 0, out.stderr
        rows = [line for line in out.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
        keys = list(reversed(one_process.SEQUENCE)) if order else list(one_process.SEQUENCE)
        assert [row.split(" | ")[0][2:] for row in rows] == [bench.WORKLOADS[key].title for key in keys]
        results = json.loads((tmp_path / "one.json").read_text())
        assert results["order"] == keys
        for figures in (results["shared"]["gradswift"], results["fresh"]["gradswift"]):
            assert set(figures) == set(keys)
            for key, measured in figures.items():
                assert measured["median_ms"] > 0 and measured["peak_rss_mib"] > 0, key
                assert measured["minor_faults_per_step"] >= 0 and measured["cache_misses_per_step"] >= 0, key


def test_reverse_needs_one_process():
    env = dict(os.environ, PYTHONPATH=str(BENCH.parents[1]))
    out = subprocess.run([sys.executable, str(BENCH), "--quick", "--reverse"], capture_output=True, text=True, env=env)
    assert out.returncode != 0 and "--reverse goes with --one-process" in out.stderr
