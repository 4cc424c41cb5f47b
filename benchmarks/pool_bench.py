"""Pool-cut benchmark: eligibility + selection over 10^5 candidates, stratification of 10^6 assets.

Not a timed test: ``python benchmarks/pool_bench.py`` prints a table. Peak memory is the traced Python/numpy
allocation peak of each step (``tracemalloc``), wall time is measured in a separate untraced run.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from dataabs.pool.constraints import CONSTRAINT_IDS, ConstraintPolicy, check_pool, failed
from dataabs.pool.rules import RULE_IDS, CutContext, EligibilityPolicy, candidate_frame, evaluate
from dataabs.pool.select import SelectionPolicy, select_pool
from dataabs.pool.strats import stratify
from dataabs.rights.uscc import make_uscc

CUT_OFF = date(2025, 6, 30)
CONTEXT = CutContext(CUT_OFF, date(2030, 12, 31), "data_pledged_loan", frozenset({"bank1", "bank2"}))
PROVINCES = [f"省{i:02d}" for i in range(31)]
INDUSTRIES = list("ABCDEFGHIJKLMNOPQRST")


def synthetic_tapes(n: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Typed tapes and stage results of ``n`` candidates; a few percent break one rule or another."""
    rng = np.random.default_rng(seed)
    n_obl = max(n // 5, 10)
    obligor_ids = np.array([f"O{i:06d}" for i in range(n_obl)], dtype=object)
    uscc = [make_uscc(f"91{i:015d}") for i in range(n_obl)]
    uscc = [u if rng.random() > 0.01 else u[:-1] + ("0" if u[-1] != "0" else "1") for u in uscc]
    obligors = pd.DataFrame(
        {
            "obligor_id": obligor_ids,
            "name": [f"企业{i}" for i in range(n_obl)],
            "uscc": uscc,
            "province": rng.choice(PROVINCES, n_obl, p=_zipf(len(PROVINCES))),
            "city": rng.choice([f"市{i}" for i in range(5)], n_obl),
            "industry": rng.choice(INDUSTRIES, n_obl, p=_zipf(len(INDUSTRIES))),
            "dishonest": rng.random(n_obl) < 0.01,
            "private": rng.random(n_obl) < 0.3,
        }
    )
    owner = np.minimum(rng.zipf(1.3, n) - 1, n_obl - 1)  # a few obligors hold many assets
    fen = np.round(rng.lognormal(np.log(1e6), 0.8, n) * 100).astype(np.int64)
    pledged = rng.random(n) < 0.6
    term_days = rng.integers(90, 1800, n)
    ids = np.array([f"A{i:07d}" for i in range(n)], dtype=object)
    data_ids = np.where(pledged, np.char.add("D", np.arange(n).astype(str)), None)
    assets = pd.DataFrame(
        {
            "asset_id": ids,
            "obligor_id": obligor_ids[owner],
            "asset_type": np.where(rng.random(n) < 0.99, "loan", "lease"),
            "principal": [Decimal(int(v)).scaleb(-2) for v in fen],
            "currency": "CNY",
            "rate": [Decimal(int(r)).scaleb(-4) for r in rng.integers(250, 900, n)],
            "rate_type": np.where(rng.random(n) < 0.98, "fixed", "floating"),
            "day_count": "ACT/365",
            "origination_date": [CUT_OFF - timedelta(days=int(d)) for d in rng.integers(1, 700, n)],
            "maturity_date": [CUT_OFF + timedelta(days=int(d)) for d in term_days],
            "status": np.where(rng.random(n) < 0.98, "performing", "overdue"),
            "max_days_past_due": np.where(rng.random(n) < 0.97, 0, 15),
            "restructured": rng.random(n) < 0.01,
            "fully_drawn": rng.random(n) < 0.99,
            "data_asset_id": data_ids,
            "guarantor_id": rng.choice(["bank1", "bank2"], n),
        }
    )
    da = data_ids[pledged]
    data_assets = pd.DataFrame(
        {
            "data_asset_id": da,
            "name": "数据",
            "holder_obligor_id": obligor_ids[owner[pledged]],
            "data_type": rng.choice(["telemetry", "transactions", "agronomy", "logistics"], len(da)),
            "classification": np.where(rng.random(len(da)) < 0.98, "general", "important"),
            "registry": rng.choice(["上海数据交易所", "深圳数据交易所", "北京国际大数据交易所"], len(da)),
        }
    )
    value = fen[pledged] / 100 / rng.uniform(0.3, 0.52, len(da))
    quality = pd.DataFrame({"data_asset_id": da, "Q": rng.uniform(75, 99, len(da))})
    rights = pd.DataFrame(
        {
            "data_asset_id": da,
            "passed_all": rng.random(len(da)) < 0.98,
            "pledge_perfected": True,
            "certificate_valid_to": [CUT_OFF + timedelta(days=int(d) + 400) for d in term_days[pledged]],
        }
    )
    valuation = pd.DataFrame(
        {
            "data_asset_id": da,
            "final_value": value,
            "method": rng.choice(["income", "cost"], len(da)),
            "base_date": [CUT_OFF - timedelta(days=int(d)) for d in rng.integers(1, 400, len(da))],
        }
    )
    return {
        "assets": assets,
        "obligors": obligors,
        "data_assets": data_assets,
        "quality": quality,
        "rights": rights,
        "valuation": valuation,
    }


def _zipf(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1) ** 0.8
    return w / w.sum()


def _measure(step: Callable[[], Any], memory: bool) -> tuple[Any, float, float]:
    """(result, seconds, peak MiB) of one step; memory tracing only when asked."""
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if memory else float("nan")
    if memory:
        tracemalloc.stop()
    return result, seconds, peak


def run(
    candidates: int = 100_000, strat_assets: int = 1_000_000, time_limit: float = 60.0, memory: bool = True
) -> dict[str, Any]:
    """Run the benchmark; returns a dict of timings, memory peaks and the selection's optimality gap."""
    tapes = synthetic_tapes(candidates)
    policy = EligibilityPolicy()

    def eligibility() -> tuple[pd.DataFrame, pd.DataFrame]:
        frame = candidate_frame(
            tapes["assets"],
            tapes["obligors"],
            tapes["data_assets"],
            CUT_OFF,
            quality=tapes["quality"],
            rights=tapes["rights"],
            valuation=tapes["valuation"],
        )
        return frame, evaluate(frame, policy, CONTEXT)

    (frame, elig), t_elig, _ = _measure(eligibility, False)
    eligible = frame[elig["eligible"].to_numpy()].reset_index(drop=True)
    target = Decimal(int(eligible["principal_fen"].sum() * 0.6)).scaleb(-2)
    constraints = ConstraintPolicy(
        target_principal=target, min_fill=0.9, wa_term_min_months=12, wa_term_max_months=36, min_provinces=5
    )
    settings = SelectionPolicy(time_limit_seconds=time_limit)
    selection, t_sel, _ = _measure(
        lambda: select_pool(eligible, constraints, "data_pledged_loan", settings), False
    )
    ok = not failed(check_pool(selection.pool(eligible), constraints, "data_pledged_loan"))
    out: dict[str, Any] = {
        "candidates": candidates,
        "asset_rules": len(RULE_IDS),
        "pool_constraints": len(CONSTRAINT_IDS),
        "eligible": len(eligible),
        "eligibility_seconds": t_elig,
        "violated_before_selection": [
            r.id for r in failed(check_pool(eligible, constraints, "data_pledged_loan"))
        ],
        "selection_method": selection.method,
        "selection_status": selection.status,
        "selected": int(selection.selected.sum()),
        "selected_principal": selection.principal_fen / 100,
        "upper_bound": (selection.upper_bound_fen or 0) / 100,
        "gap": selection.gap,
        "hhi_cuts": selection.hhi_cuts,
        "selection_seconds": t_sel,
        "selection_verified": ok,
    }
    big = _strat_frame(strat_assets)
    tables, t_strat, _ = _measure(lambda: stratify(big), False)
    out.update({"strat_assets": strat_assets, "strat_tables": len(tables), "strat_seconds": t_strat})
    if memory:
        out["eligibility_peak_mib"] = _measure(eligibility, True)[2]
        out["selection_peak_mib"] = _measure(
            lambda: select_pool(eligible, constraints, "data_pledged_loan", settings), True
        )[2]
        out["strat_peak_mib"] = _measure(lambda: stratify(big), True)[2]
    return out


def _strat_frame(n: int, seed: int = 1) -> pd.DataFrame:
    """A measured pool frame of ``n`` assets built with numpy (no per-row Decimal work)."""
    rng = np.random.default_rng(seed)
    n_obl = n // 10
    obligor = rng.integers(0, n_obl, n)
    pledged = rng.random(n) < 0.7
    return pd.DataFrame(
        {
            "asset_id": np.char.add("A", np.arange(n).astype(str)),
            "obligor_id": np.char.add("O", obligor.astype(str)),
            "obligor_name": np.char.add("企业", obligor.astype(str)),
            "private": (obligor % 3) == 0,
            "industry": rng.choice(INDUSTRIES, n),
            "province": rng.choice(PROVINCES, n),
            "city": rng.choice([f"市{i}" for i in range(5)], n),
            "principal_fen": np.round(rng.lognormal(np.log(1e6), 0.8, n) * 100).astype(np.int64),
            "rate_float": rng.uniform(0.025, 0.09, n),
            "remaining_term_months": rng.uniform(1, 60, n),
            "data_pledged": pledged,
            "data_type": np.where(pledged, rng.choice(["telemetry", "transactions", "agronomy"], n), None),
            "registry": np.where(pledged, rng.choice(["上海数据交易所", "深圳数据交易所"], n), None),
            "valuation_method": np.where(pledged, rng.choice(["income", "cost", "cost+income"], n), None),
            "ltv": np.where(pledged, rng.uniform(0.3, 0.5, n), np.nan),
            "guarantor_id": rng.choice(["bank1", "bank2", ""], n),
        }
    )


if __name__ == "__main__":
    args = [float(a) for a in sys.argv[1:]]
    result = run(*(int(a) for a in args[:2]), *(args[2:3])) if args else run()
    width = max(len(k) for k in result)
    for key, value in result.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {shown}")
