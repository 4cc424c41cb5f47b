"""The benchmark suite runs end to end at small sizes and writes its JSON (a behaviour test: no timing asserts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dataabs.settings import REPO_ROOT

FAST = ["projection", "waterfall", "reconciliation", "stratification"]


def test_small_suite_writes_machine_facts_baselines_and_ratios(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sizes", "small", "--only", ",".join(FAST), "--results-dir", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    results = json.loads(files[0].read_text(encoding="utf-8"))
    machine = results["machine"]
    assert machine["cpu_count"] >= 1 and machine["cpu_model"] and machine["memory_gib"] > 0
    assert machine["python"].count(".") == 2
    assert set(machine["packages"]) == {"prefect", "great-expectations", "pandas", "numpy", "sqlmodel"}
    assert all(machine["packages"].values())
    assert set(results["benchmarks"]) == set(FAST)
    for name, bench in results["benchmarks"].items():
        assert "error" not in bench, f"{name}: {bench.get('error')}"
        assert bench["baseline"] and bench["baseline_value"] > 0, name
        assert bench["ratio"] == bench["value"] / bench["baseline_value"], name
        assert bench["verdict"] in {"met", "missed", "report"}, name
        assert bench["peak_rss_mib"] > 0, name
    assert results["benchmarks"]["projection"]["target"] == "ratio <= 1.5"
    assert "absolute_verdict" in results["benchmarks"]["waterfall"]["details"]
    assert "benchmark" in proc.stdout and "verdict" in proc.stdout  # the printed table
