"""The benchmark suite: every benchmark against a baseline measured in the same run, plus scaling curves.

``python -m benchmarks [--sizes small|default|large] [--only NAME,...]`` runs each benchmark in its own
subprocess (so one benchmark's memory never inflates the next one's peak RSS), prints a table and writes
``benchmarks/results/<date>.json`` with the machine facts. Lifecycle benchmarks share one Prefect test server
started here; the scaling curve runs one subprocess per pool size under a time budget and fits the growth exponent.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PACKAGES = ("prefect", "great-expectations", "pandas", "numpy", "sqlmodel")

PRESETS: dict[str, dict[str, Any]] = {
    "small": {
        "loans": 10_000, "periods": 60, "waterfall_periods": 360, "governance_rows": 10_000,
        "reconcile_assets": 1_000, "strat_assets": 10_000, "candidates": 1_000, "selection_limit": 20.0,
        "scale_sizes": [1_000, 10_000], "scale_budget": 150.0,
    },
    "default": {
        "loans": 100_000, "periods": 360, "waterfall_periods": 360, "governance_rows": 1_000_000,
        "reconcile_assets": 100_000, "strat_assets": 1_000_000, "candidates": 100_000, "selection_limit": 60.0,
        "scale_sizes": [1_000, 10_000, 100_000, 1_000_000], "scale_budget": 420.0,
    },
    "large": {
        "loans": 100_000, "periods": 360, "waterfall_periods": 360, "governance_rows": 1_000_000,
        "reconcile_assets": 100_000, "strat_assets": 1_000_000, "candidates": 100_000, "selection_limit": 60.0,
        "scale_sizes": [1_000, 10_000, 100_000, 1_000_000], "scale_budget": 7200.0,
    },
}  # fmt: skip


def record(
    measure: str,
    value: float,
    baseline: str,
    baseline_value: float,
    target: float | None,
    unit: str = "s",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One benchmark row: the measured value, its same-run baseline, the ratio and the verdict on the target."""
    ratio = value / baseline_value if baseline_value else float("nan")
    verdict = "report" if target is None else ("met" if ratio <= target else "missed")
    return {
        "measure": measure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio,
        "target": None if target is None else f"ratio <= {target:g}",
        "verdict": verdict,
        "details": details or {},
    }


# --- benchmarks run inside a child process -----------------------------------------------------------------


def bench_projection(p: dict[str, Any]) -> dict[str, Any]:
    """Asset projection vs a bare numpy kernel doing the same arithmetic (engine_bench)."""
    from benchmarks import engine_bench

    r = engine_bench.bench_projection(p["loans"], p["periods"])
    details = {
        "loans": p["loans"],
        "periods": p["periods"],
        "engine_aps": r["engine_aps"],
        "bare_aps": r["bare_aps"],
    }
    return record("projection", r["engine_s"], "bare numpy kernel", r["bare_s"], 1.5, details=details)


def bench_waterfall(p: dict[str, Any]) -> dict[str, Any]:
    """One exact-money waterfall run vs the same waterfall in float; and the 5 ms median target (engine_bench)."""
    from benchmarks import engine_bench

    r = engine_bench.bench_waterfall(p["waterfall_periods"])
    out = record(
        "waterfall exact (median)", r["exact_ms"], "same waterfall, float", r["float_ms"], None, "ms"
    )
    out["details"] = {
        **r,
        "absolute_target_ms": 5.0,
        "absolute_verdict": "met" if r["exact_ms"] <= 5.0 else "missed",
        "gap_ms": r["exact_ms"] - 5.0,
    }
    return out


def bench_governance(p: dict[str, Any]) -> dict[str, Any]:
    """The full GX assessment of a data asset vs plain pandas computing the same indicators (governance_bench)."""
    from benchmarks import governance_bench

    r = governance_bench.run(p["governance_rows"])
    target = 3.0 if p["governance_rows"] >= 10**6 else None
    details = {k: v for k, v in r.items() if k not in ("dimensions",)}
    details["ratio_indicators_only"] = r["ratio_gx_to_pandas"]
    return record(
        "governance gate (full assessment)", r["assessment_seconds"], "pandas indicators",
        r["pandas_indicators_seconds"], target, details=details,
    )  # fmt: skip


def bench_reconciliation(p: dict[str, Any]) -> dict[str, Any]:
    """Reconciliation of receipts against dues vs a plain pandas merge (servicing_bench)."""
    import time as _time

    from benchmarks import servicing_bench as sb

    if p["reconcile_assets"] == sb.ASSETS:
        r = sb.run()
    else:
        inputs = sb.make_inputs(assets=p["reconcile_assets"])
        began = _time.perf_counter()
        sb.plain_merge(inputs)
        merge = _time.perf_counter() - began
        began = _time.perf_counter()
        sb.reconcile(inputs["receipts"], inputs["dues"], inputs["assets"], inputs["periods"])
        r = {"receipts": len(inputs["receipts"]), "plain_merge_seconds": merge,
             "reconcile_seconds": _time.perf_counter() - began}  # fmt: skip
    target = 2.0 if r["receipts"] >= 10**6 else None
    details = {"receipts": int(r["receipts"]), "assets": p["reconcile_assets"]}
    return record(
        "reconcile", r["reconcile_seconds"], "pandas merge", r["plain_merge_seconds"], target, details=details
    )


def _groupby_pass(frame: Any) -> Any:
    """The baseline: a single pandas groupby pass (per obligor: count, principal, rate-weighted principal)."""
    weighted = frame["principal_fen"] * frame["rate_float"]
    return (
        frame.assign(w=weighted)
        .groupby("obligor_id", sort=False)
        .agg(n=("asset_id", "size"), principal=("principal_fen", "sum"), w=("w", "sum"))
    )


def bench_stratification(p: dict[str, Any]) -> dict[str, Any]:
    """Every strat table of a pool vs one pandas groupby pass (pool_bench's frame and ``stratify``)."""
    from benchmarks import pool_bench
    from dataabs.pool.strats import stratify

    frame = pool_bench._strat_frame(p["strat_assets"])
    _, base = _best(lambda: _groupby_pass(frame), 2)
    tables, strat = _best(lambda: stratify(frame), 2)
    details = {"assets": p["strat_assets"], "tables": len(tables)}
    return record("stratify (all tables)", strat, "one pandas groupby", base, None, details=details)


def bench_selection(p: dict[str, Any]) -> dict[str, Any]:
    """Eligibility + selection over candidates: wall time, peak RSS, optimality gap (pool_bench)."""
    from benchmarks import pool_bench

    r = pool_bench.run(p["candidates"], 1_000, p["selection_limit"], memory=False)
    total = r["eligibility_seconds"] + r["selection_seconds"]
    details = {k: r[k] for k in ("candidates", "eligible", "eligibility_seconds", "selection_seconds",
                                "selection_method", "selection_status", "gap", "selection_verified")}  # fmt: skip
    out = record(
        "eligibility + selection", total, "selection time limit", p["selection_limit"], None, details=details
    )
    out["ratio"] = r["gap"] if r["gap"] is not None else float("nan")
    out["baseline"], out["baseline_value"] = "LP upper bound (ratio = optimality gap)", r["upper_bound"]
    out["value"] = total
    return out


def _best(func: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    """Result and best wall seconds of ``repeat`` calls."""
    best, result = math.inf, None
    for _ in range(repeat):
        began = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - began)
    return result, best


def lifecycle_child(assets: int, workdir: str, bare: bool, demo: bool) -> dict[str, Any]:
    """One lifecycle run (child side)."""
    from benchmarks.lifecycle_bench import run_lifecycle

    return run_lifecycle(assets, workdir, bare=bare, demo=demo)


def servicing_child(workdir: str, deal_dir: str, out_dir: str, deal_id: str) -> dict[str, Any]:
    """One servicing period (child side)."""
    from benchmarks.lifecycle_bench import run_servicing

    return run_servicing(workdir, deal_dir, out_dir, deal_id)


CHILD_CALLS: dict[str, Callable[..., dict[str, Any]]] = {
    "projection": bench_projection,
    "waterfall": bench_waterfall,
    "governance": bench_governance,
    "reconciliation": bench_reconciliation,
    "stratification": bench_stratification,
    "selection": bench_selection,
    "lifecycle_child": lifecycle_child,
    "servicing_child": servicing_child,
}


def _child_main(call: str, kwargs_json: str, out: str) -> None:
    """Child entry: run one call, add wall time and the RSS high-water mark, write JSON."""
    began = time.perf_counter()
    result = CHILD_CALLS[call](**json.loads(kwargs_json))
    result["child_wall_seconds"] = time.perf_counter() - began
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")


def in_child(
    call: str, kwargs: dict[str, Any], timeout: float | None = None, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run one call in a fresh Python process; the result dict, or ``{"error": ...}`` on failure or timeout."""
    with tempfile.TemporaryDirectory(prefix="dataabs-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.suite",
            "--call",
            call,
            "--kwargs",
            json.dumps(kwargs),
            "--out",
            str(out),
        ]
        log = Path(tmp) / "child.log"
        began = time.perf_counter()
        try:
            with log.open("w") as sink:
                proc = subprocess.run(cmd, cwd=REPO_ROOT, env={**os.environ, **(env or {})}, stdout=sink,
                                      stderr=subprocess.STDOUT, timeout=timeout, check=False)  # fmt: skip
        except subprocess.TimeoutExpired:
            return {
                "error": f"timed out after {timeout:.0f} s",
                "timed_out": True,
                "wall": time.perf_counter() - began,
            }
        if proc.returncode != 0 or not out.exists():
            tail = log.read_text(errors="replace").strip().splitlines()[-6:]
            return {
                "error": f"exit {proc.returncode}: " + " | ".join(tail),
                "wall": time.perf_counter() - began,
            }
        return json.loads(out.read_text(encoding="utf-8"))


# --- benchmarks orchestrated from the parent ------------------------------------------------------------------


def bench_lifecycle(p: dict[str, Any], env: dict[str, str], work: Path) -> dict[str, Any]:
    """The demo lifecycle on Prefect (embedded server) vs the same stage functions called without Prefect."""
    flow = in_child(
        "lifecycle_child",
        {"assets": 9, "workdir": str(work / "demo-prefect"), "bare": False, "demo": True},
        env=env,
    )
    bare = in_child(
        "lifecycle_child",
        {"assets": 9, "workdir": str(work / "demo-bare"), "bare": True, "demo": True},
        env=env,
    )
    if "error" in flow or "error" in bare:
        return {"error": flow.get("error") or bare.get("error")}
    out = record("lifecycle on Prefect (demo)", flow["lifecycle_seconds"], "same stages without Prefect",
                 bare["lifecycle_seconds"], None)  # fmt: skip
    out["details"] = {
        "overhead_seconds": flow["lifecycle_seconds"] - bare["lifecycle_seconds"],
        "task_runs": flow.get("task_runs"),
        "stages_prefect": flow["stages"],
        "stages_bare": bare["stages"],
    }
    out["peak_rss_mib"] = flow["peak_rss_mib"]
    return out


def fit_exponent(sizes: list[float], values: list[float]) -> float | None:
    """Least-squares slope of log(value) on log(size)."""
    if len(sizes) < 2:
        return None
    xs, ys = [math.log(s) for s in sizes], [math.log(max(v, 1e-9)) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def bench_scaling(p: dict[str, Any], env: dict[str, str], work: Path) -> dict[str, Any]:
    """Lifecycle and one servicing period at each pool size, a subprocess per size, under a time budget."""
    budget, began = p["scale_budget"], time.perf_counter()
    points: list[dict[str, Any]] = []
    stopped: str | None = None
    for size in p["scale_sizes"]:
        left = budget - (time.perf_counter() - began)
        done = [q for q in points if "error" not in q]
        if len(done) >= 2:
            k = fit_exponent([q["assets"] for q in done], [q["total_seconds"] for q in done]) or 1.0
            projected = done[-1]["total_seconds"] * (size / done[-1]["assets"]) ** k
            if projected > left:
                stopped = f"{size:,} assets not run: projected {projected:,.0f} s (exponent {k:.2f}) > {left:,.0f} s left of the budget"
                break
        if left <= 0 or (done and left < done[-1]["total_seconds"]):
            stopped = f"{size:,} assets not run: {max(left, 0):.0f} s left of the {budget:.0f} s budget"
            break
        workdir = work / f"scale-{size}"
        life = in_child("lifecycle_child", {"assets": size, "workdir": str(workdir), "bare": False, "demo": False},
                        timeout=left, env=env)  # fmt: skip
        point: dict[str, Any] = {"assets": size}
        if "error" in life:
            point["error"] = f"lifecycle: {life['error']}"
            points.append(point)
            stopped = f"{size:,} assets: {point['error']}"
            break
        point.update(
            lifecycle_seconds=life["lifecycle_seconds"], lifecycle_peak_rss_mib=life["peak_rss_mib"],
            generate_seconds=life["generate_seconds"], stages=life["stages"], task_runs=life.get("task_runs"),
        )  # fmt: skip
        left = budget - (time.perf_counter() - began)
        serv = in_child("servicing_child", {"workdir": str(workdir), "deal_dir": life["deal_dir"],
                        "out_dir": life["out_dir"], "deal_id": f"bench-{size}"}, timeout=max(left, 60), env=env)  # fmt: skip
        if "error" in serv:
            point["servicing_error"] = serv["error"]
        else:
            point.update(servicing_seconds=serv["servicing_seconds"], servicing_peak_rss_mib=serv["peak_rss_mib"],
                         receipts=serv["receipts"])  # fmt: skip
        point["total_seconds"] = point["lifecycle_seconds"] + point.get("servicing_seconds", 0.0)
        points.append(point)
    done = [q for q in points if "error" not in q]
    sizes = [q["assets"] for q in done]
    served = [q for q in done if "servicing_seconds" in q]
    exponents = {
        "lifecycle": fit_exponent(sizes, [q["lifecycle_seconds"] for q in done]),
        "servicing": fit_exponent([q["assets"] for q in served], [q["servicing_seconds"] for q in served]),
    }
    stage_names = sorted({s for q in done for s in q["stages"]})
    exponents.update(
        {f"stage:{s}": fit_exponent(sizes, [q["stages"].get(s, 0.0) for q in done]) for s in stage_names}
    )
    runs = {q["assets"]: q.get("task_runs") for q in done}
    peak = max(
        [q.get("lifecycle_peak_rss_mib", 0) for q in done]
        + [q.get("servicing_peak_rss_mib", 0) for q in done]
        or [0]
    )
    return {
        "points": points,
        "largest_done": max(sizes) if sizes else None,
        "stopped": stopped,
        "exponents": exponents,
        "exponent_target": 1.1,
        "exponent_verdict": _exp_verdict(exponents["lifecycle"], exponents["servicing"]),
        "peak_rss_mib": peak,
        "memory_verdict": ("met" if peak < 8 * 1024 else "missed")
        + ("" if 10**6 in sizes else " (10^6 not reached)"),
        "task_runs_by_size": runs,
        "task_runs_independent": len({v for v in runs.values() if v is not None}) <= 1,
    }


def _exp_verdict(*exponents: float | None) -> str:
    """``met`` when every fitted exponent is at most 1.1."""
    known = [e for e in exponents if e is not None]
    if not known:
        return "n/a"
    return "met" if all(e <= 1.1 for e in known) else "missed"


PARENT_BENCHES = {"lifecycle": bench_lifecycle, "scaling": bench_scaling}
ORDER = [
    "projection",
    "waterfall",
    "governance",
    "reconciliation",
    "stratification",
    "selection",
    "lifecycle",
    "scaling",
]


def machine_facts() -> dict[str, Any]:
    """CPU count and model, memory, load, Python and package versions."""
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor() or "unknown",
    )  # fmt: skip
    mem_kib = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 2**20, 1),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
    }


def _fmt(value: Any, unit: str = "") -> str:
    """A number for the table."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        text = f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text} {unit}".strip()


def print_table(results: dict[str, Any]) -> None:
    """The results as rich tables: one row per benchmark, then the scaling curve."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    table = Table(title=f"dataabs benchmarks — {results['sizes']} sizes, {results['date']}")
    for col in (
        "benchmark",
        "measure",
        "value",
        "baseline",
        "baseline value",
        "ratio",
        "target",
        "verdict",
        "peak RSS MiB",
    ):
        table.add_column(col)
    for name, r in results["benchmarks"].items():
        if name == "scaling":
            continue
        if "error" in r:
            table.add_row(name, "ERROR", r["error"][:80], "", "", "", "", "error", "")
            continue
        unit = r.get("unit", "s")
        table.add_row(
            name, r["measure"], _fmt(r["value"], unit), r["baseline"], _fmt(r["baseline_value"], unit if name != "selection" else ""),
            _fmt(r["ratio"]), r["target"] or "report", r["verdict"], _fmt(round(r.get("peak_rss_mib", 0.0))),
        )  # fmt: skip
    console.print(table)
    scaling = results["benchmarks"].get("scaling")
    if scaling and "points" in scaling:
        curve = Table(title="scaling: lifecycle (Prefect) and one servicing period, one subprocess per size")
        for col in (
            "assets",
            "lifecycle s",
            "lifecycle RSS MiB",
            "servicing s",
            "servicing RSS MiB",
            "task runs",
            "slowest stage",
        ):
            curve.add_column(col)
        for q in scaling["points"]:
            if "error" in q:
                curve.add_row(_fmt(q["assets"]), "ERROR", q["error"][:60], "", "", "", "")
                continue
            slow = max(q["stages"].items(), key=lambda kv: kv[1])
            curve.add_row(
                _fmt(q["assets"]), _fmt(q["lifecycle_seconds"]), _fmt(round(q["lifecycle_peak_rss_mib"])),
                _fmt(q.get("servicing_seconds")), _fmt(round(q.get("servicing_peak_rss_mib", 0))) if "servicing_peak_rss_mib" in q else "—",
                _fmt(q.get("task_runs")), f"{slow[0]} {slow[1]:.1f} s",
            )  # fmt: skip
        console.print(curve)
        exps = ", ".join(f"{k} {v:.2f}" for k, v in scaling["exponents"].items() if v is not None)
        console.print(f"growth exponents (target ≤ 1.1: {scaling['exponent_verdict']}): {exps}")
        console.print(f"peak RSS {scaling['peak_rss_mib']:.0f} MiB (< 8 GiB: {scaling['memory_verdict']}); "
                      f"largest size done {_fmt(scaling['largest_done'])}; {scaling['stopped'] or 'all sizes done'}")  # fmt: skip
        console.print(f"task runs by pool size: {scaling['task_runs_by_size']} "
                      f"(independent of size: {scaling['task_runs_independent']})")  # fmt: skip


def run_suite(sizes: str, only: list[str] | None) -> dict[str, Any]:
    """Run the chosen benchmarks at a size preset; returns the results dict (also written as JSON)."""
    preset = PRESETS[sizes]
    for key, value in (("PREFECT_SERVER_ANALYTICS_ENABLED", "false"), ("DO_NOT_TRACK", "1")):
        os.environ.setdefault(key, value)
    names = [n for n in ORDER if not only or n in only]
    unknown = sorted(set(only or []) - set(ORDER))
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(ORDER)})")
    started = time.perf_counter()
    results: dict[str, Any] = {"date": datetime.now().isoformat(timespec="seconds"), "sizes": sizes,
                               "preset": preset, "machine": machine_facts(), "benchmarks": {}}  # fmt: skip
    child_env = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false",
                 "PREFECT_LOGGING_LEVEL": "WARNING"}  # fmt: skip
    for name in names:
        if name in PARENT_BENCHES:
            continue
        began = time.perf_counter()
        print(f"[{time.perf_counter() - started:7.1f} s] {name} ...", flush=True)
        results["benchmarks"][name] = in_child(name, {"p": preset}, env=child_env)
        results["benchmarks"][name]["bench_wall_seconds"] = time.perf_counter() - began
    if any(n in PARENT_BENCHES for n in names):
        from prefect.settings import PREFECT_API_URL
        from prefect.testing.utilities import prefect_test_harness

        print(f"[{time.perf_counter() - started:7.1f} s] starting the Prefect test server ...", flush=True)
        with (
            prefect_test_harness(server_startup_timeout=120),
            tempfile.TemporaryDirectory(prefix="dataabs-bench-") as tmp,
        ):
            env = {**child_env, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
            for name in names:
                if name not in PARENT_BENCHES:
                    continue
                print(f"[{time.perf_counter() - started:7.1f} s] {name} ...", flush=True)
                began = time.perf_counter()
                results["benchmarks"][name] = PARENT_BENCHES[name](preset, env, Path(tmp) / name)
                results["benchmarks"][name]["bench_wall_seconds"] = time.perf_counter() - began
    results["total_seconds"] = time.perf_counter() - started
    results["machine"]["load_average_end"] = os.getloadavg()
    return results


def main(argv: list[str] | None = None) -> int:
    """CLI of ``python -m benchmarks``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", choices=sorted(PRESETS), default="default")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(ORDER)}")
    parser.add_argument("--results-dir", default=str(RESULTS_DIR), help="where <date>.json is written")
    parser.add_argument("--call", help=argparse.SUPPRESS)
    parser.add_argument("--kwargs", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.call:
        _child_main(args.call, args.kwargs or "{}", args.out)
        return 0
    only = [n.strip() for n in args.only.split(",") if n.strip()] or None
    results = run_suite(args.sizes, only)
    folder = Path(args.results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{datetime.now():%Y-%m-%d}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print_table(results)
    print(f"written {path} in {results['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
