"""Benchmark of the governance assessment (数据治理) on one 10^6-row sample: GX-measured vs plain pandas.

``run(rows)`` builds a synthetic vehicle-telemetry sample (with a few dirty values, out-of-range speeds and
unknown codes), runs the full ``assess_data_asset`` (GX indicators, PII scan, k-anonymity, classification) and
the same indicators computed in plain pandas, and returns wall times, peak traced memory and their ratio.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataabs.governance.assess import assess_data_asset
from dataabs.governance.indicators import DIRTY, TYPE_PATTERNS, build_view, measure_indicators, typed_name
from dataabs.governance.policy import GovernancePolicy
from dataabs.governance.spec import DataSpec

CUT_OFF = date(2025, 6, 30)
SPEC: dict[str, Any] = {
    "standard": "T/CSAE 158-2020 车路协同数据规范",
    "row_key": ["record_id"],
    "columns": {
        "record_id": {"type": "string", "required": True, "unique": True, "pattern": r"^R\d{9}$"},
        "vehicle_type": {"type": "string", "codes": ["car", "bus", "truck"]},
        "speed_kmh": {"type": "number", "min": 0, "max": 200},
        "ts": {"type": "datetime", "required": True},
        "start_time": {"type": "datetime"},
        "end_time": {"type": "datetime"},
        "fare_base": {"type": "number"},
        "fare_extra": {"type": "number"},
        "fare_total": {"type": "number"},
        "district": {"type": "string"},
        "age_band": {"type": "string", "codes": ["<30", "30-49", "50+"]},
        "plate_masked": {"type": "string"},
    },
    "rules": [
        {"id": "end_after_start", "kind": "column_pair_ge", "a": "end_time", "b": "start_time"},
        {
            "id": "total_eq_sum",
            "kind": "sum_equals",
            "columns": ["fare_base", "fare_extra"],
            "total": "fare_total",
        },
    ],
    "timeliness": {"timestamp_column": "ts", "freshness_days": 45, "ordered_by": "ts"},
    "quasi_identifiers": ["district", "age_band"],
}
DATA_ASSET = {"data_asset_id": "DA-BENCH", "classification": "general", "source_type": "self_collected"}


def synthetic_sample(rows: int, seed: int = 7) -> pd.DataFrame:
    """A telemetry-like sample as text columns, with about 1% defects of several kinds."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-05-20") + pd.to_timedelta(np.arange(rows) * 3, unit="s")
    fmt = "%Y-%m-%d %H:%M:%S"
    base = rng.integers(5, 50, rows).astype(float)
    extra = rng.integers(0, 5, rows).astype(float)
    total = base + extra + np.where(rng.random(rows) < 0.01, 1.0, 0.0)
    speed = rng.uniform(-2, 160, rows).round(1).astype(str)
    vehicle = rng.choice(["car", "bus", "truck", "van", "NULL"], rows, p=[0.6, 0.2, 0.18, 0.01, 0.01])
    return pd.DataFrame(
        {
            "record_id": np.char.add("R", np.char.zfill(np.arange(rows).astype(str), 9)),
            "vehicle_type": vehicle,
            "speed_kmh": speed,
            "ts": start.strftime(fmt),
            "start_time": start.strftime(fmt),
            "end_time": (start + pd.Timedelta(minutes=3)).strftime(fmt),
            "fare_base": base.astype(str),
            "fare_extra": extra.astype(str),
            "fare_total": total.astype(str),
            "district": rng.choice([f"D{i:02d}" for i in range(16)], rows),
            "age_band": rng.choice(["<30", "30-49", "50+"], rows),
            "plate_masked": rng.choice(["浙A***12", "赣B***34", "陕C***56", "苏D***78"], rows),
        }
    ).astype("str")


def pandas_indicators(frame: pd.DataFrame, spec: DataSpec, cut_off: date) -> dict[str, tuple[int, int]]:
    """The same indicators as ``measure_indicators`` computed directly in pandas (the baseline)."""
    view = build_view(frame, spec)
    out: dict[str, list[tuple[int, int]]] = {}

    def add(name: str, ok: pd.Series, evaluated: pd.Series | None = None) -> None:
        mask = ok.notna() if evaluated is None else evaluated
        out.setdefault(name, []).append((int((ok[mask]).sum()), int(mask.sum())))

    for name, column in spec.columns.items():
        text = view[name]
        present = text.notna()
        if column.type in TYPE_PATTERNS:
            add("normativity.data_standard", text.str.contains(TYPE_PATTERNS[column.type]), present)
        if column.codes:
            add("normativity.reference_data", text.isin(column.codes), present)
        if column.min is not None or column.max is not None:
            typed = view[typed_name(name, column)]
            add("normativity.business_rules", typed.between(column.min, column.max), typed.notna())
        if column.required:
            add("completeness.element", present, pd.Series(True, index=view.index))
        if column.pattern:
            add("accuracy.format_compliance", text.str.contains(f"^(?:{column.pattern})$"), present)
        if column.unique:
            add("accuracy.uniqueness", ~text.duplicated(keep=False), present)
        add("accuracy.dirty_rate", ~text.str.contains(DIRTY), present)
    add(
        "completeness.record",
        view[spec.required_columns].notna().all(axis=1),
        pd.Series(True, index=view.index),
    )
    add(
        "accuracy.duplicate_rate",
        ~view[spec.row_key].duplicated(keep=False),
        pd.Series(True, index=view.index),
    )
    end, begin = view["end_time__typed"], view["start_time__typed"]
    add("consistency.rules", end >= begin, end.notna() & begin.notna())
    residual = view["__rule_total_eq_sum"]
    add("consistency.rules", residual.abs() <= 0.005, residual.notna())
    ts = view["ts__typed"]
    fresh = ts.max() >= pd.Timestamp(cut_off) - pd.Timedelta(days=45)
    out["timeliness.freshness"] = [(int(fresh), 1)]
    add("timeliness.ordering", ts.diff().fillna(pd.Timedelta(0)) >= pd.Timedelta(0), ts.notna())
    return {k: (sum(a for a, _ in v), sum(b for _, b in v)) for k, v in out.items()}


def _rss_mib() -> float:
    """Current resident memory of this process (Linux), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    """Result and wall seconds of one call."""
    began = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - began


def run(rows: int = 10**6) -> dict[str, Any]:
    """Time the full governance assessment of one sample and the plain-pandas indicators; report the ratio."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    spec = DataSpec.model_validate(SPEC)
    policy = GovernancePolicy()
    frame = synthetic_sample(rows)
    assess_data_asset(DATA_ASSET, frame.head(1000), spec, policy, CUT_OFF)  # warm up GX (import, context)
    rss_before = _rss_mib()
    assessment, assess_seconds = _timed(assess_data_asset, DATA_ASSET, frame, spec, policy, CUT_OFF)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    gx_indicators, gx_seconds = _timed(measure_indicators, frame, spec, CUT_OFF)
    baseline, pandas_seconds = _timed(pandas_indicators, frame, spec, CUT_OFF)
    gx_ab = {i.id: (i.met, i.evaluated) for i in gx_indicators}
    disagree = {k: {"gx": gx_ab.get(k), "pandas": v} for k, v in baseline.items() if gx_ab.get(k) != v}
    return {
        "rows": rows,
        "assessment_seconds": round(assess_seconds, 2),
        "rss_before_assessment_mib": round(rss_before, 1),
        "peak_rss_mib": round(peak_rss, 1),
        "gx_indicators_seconds": round(gx_seconds, 2),
        "pandas_indicators_seconds": round(pandas_seconds, 2),
        "ratio_gx_to_pandas": round(gx_seconds / pandas_seconds, 2),
        "indicators_disagreeing": disagree,
        "q": round(assessment.q, 2),
        "dimensions": {d: round(v, 4) for d, v in assessment.dimensions.items()},
        "blocking_reasons": assessment.blocking_reasons,
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10**6), ensure_ascii=False, indent=2))
