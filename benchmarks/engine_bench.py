"""Engine benchmarks: projection throughput vs bare numpy, waterfall latency (exact vs float), grid and sizing.

Not a timed test: ``run(sizes)`` returns the figures and ``python benchmarks/engine_bench.py`` prints a table.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from dataabs.calendar import add_months
from dataabs.engine.enhancement import size_senior, standard_stresses
from dataabs.engine.examples import demo_deal
from dataabs.engine.model import (
    AssetTape,
    Deal,
    Fee,
    PeriodCollections,
    ReserveAccount,
    Scenario,
    Step,
    Tranche,
    Trigger,
)
from dataabs.engine.projection import level_payment, project_tape
from dataabs.engine.run import run_deal
from dataabs.engine.waterfall import run_waterfall

START = date(2025, 1, 31)


def loan_tape(loans: int, periods: int) -> AssetTape:
    """Random level-pay loans on a monthly calendar."""
    rng = np.random.default_rng(1)
    return AssetTape(
        asset_id=np.arange(loans).astype(str),
        obligor=np.arange(loans).astype(str),
        balance=rng.uniform(1e4, 1e6, loans),
        rate=rng.uniform(0.02, 0.12, loans),
        dates=tuple(add_months(START, k + 1) for k in range(periods)),
        accrual_start=START,
        amortisation="level_pay",
        term=rng.integers(periods // 2, periods + 1, loans),
    )


def bare_kernel(tape: AssetTape, smm: float, mdr: float) -> float:
    """The same per-period arithmetic as the projection, as bare numpy with no bookkeeping."""
    balance = tape.balance.copy()
    rate = tape.rate / 12
    payment = level_payment(balance, rate, tape.term)
    total = 0.0
    for _ in tape.dates:
        defaults = balance * mdr
        balance -= defaults
        payment = payment * (1 - mdr)
        interest = balance * rate
        principal = np.minimum(payment - interest, balance)
        balance -= principal
        prepaid = balance * smm
        balance -= prepaid
        payment = payment * (1 - smm)
        total += interest.sum() + principal.sum() + prepaid.sum() + defaults.sum()
    return total


def best_of(func: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def median_of(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_projection(loans: int, periods: int) -> dict[str, float]:
    """Asset-periods per second of the engine projection and of the bare kernel (CPR 10%, CDR 2%)."""
    tape = loan_tape(loans, periods)
    scenario = Scenario(cdr=0.02, cpr=0.10, recovery_rate=0.5)
    mean_fraction = float(
        np.mean([(b - a).days / 365 for a, b in zip((START, *tape.dates), tape.dates, strict=False)])
    )
    smm, mdr = 1 - 0.9**mean_fraction, 1 - 0.98**mean_fraction
    engine = best_of(lambda: project_tape(tape, scenario), 3)
    bare = best_of(lambda: bare_kernel(tape, smm, mdr), 3)
    work = loans * periods
    return {
        "engine_s": engine,
        "bare_s": bare,
        "engine_aps": work / engine,
        "bare_aps": work / bare,
        "ratio": engine / bare,
    }


def four_tranche_deal(periods: int) -> tuple[Deal, list[PeriodCollections]]:
    """A 360-period deal: A1/A2 pro rata, B, subordinate; four fees, a reserve, four triggers; level collections."""
    dates = tuple(add_months(date(2025, 2, 26), k) for k in range(periods))
    tranches = (
        Tranche("A1", 1, Decimal("600000000"), Decimal("0.021"), amortisation="pro_rata"),
        Tranche("A2", 1, Decimal("200000000"), Decimal("0.023"), amortisation="pro_rata"),
        Tranche("B", 2, Decimal("120000000"), Decimal("0.035"), kind="mezzanine"),
        Tranche("SUB", 3, Decimal("80000000"), kind="subordinate"),
    )
    fees = (
        Fee("management", "senior_balance", Decimal("0.001")),
        Fee("custody", "senior_balance", Decimal("0.0001")),
        Fee("servicing", "pool_balance", Decimal("0.0005")),
        Fee("rating", "fixed", fixed_amount=Decimal("100000"), months=(7,)),
    )
    taxes_fees = [Step("tax", "vat"), Step("tax", "surtax"), *(Step("fee", f.id) for f in fees)]
    pay = [Step("interest", "A1"), Step("interest", "A2"), Step("principal", "A1"), Step("principal", "A2")]
    pay += [
        Step("interest", "B"),
        Step("principal", "B"),
        Step("reserve", "reserve"),
        Step("principal", "SUB"),
    ]
    pay += [Step("subordinate_return", "SUB"), Step("residual", "SUB")]
    pool = Decimal("1000000000")
    deal = Deal(
        id="bench-4",
        cut_off_date=date(2025, 1, 26),
        closing_date=date(2025, 1, 26),
        payment_dates=dates,
        tranches=tranches,
        waterfall=tuple(taxes_fees + pay),
        acceleration_waterfall=tuple(taxes_fees + pay),
        fees=fees,
        reserves=(ReserveAccount("reserve", Decimal("5000000")),),
        triggers=(
            Trigger("cdr", "cumulative_default_rate", ">", Decimal("0.2"), "accelerate"),
            Trigger("eod", "senior_interest_shortfall", ">", Decimal(0), "event_of_default"),
            Trigger("cover", "coverage", "<", Decimal("1.0"), "disclosure", cure_periods=1),
            Trigger("call", "pool_factor", "<=", Decimal("0.01"), "clean_up"),
        ),
        initial_pool_balance=pool,
    )
    principal = pool / periods
    collections, balance = [], pool
    for k, day in enumerate(dates):
        balance -= principal
        collections.append(
            PeriodCollections(
                day,
                interest=Decimal(round(float(balance + principal) * 0.045 / 12, 2)).quantize(Decimal("0.01")),
                principal=principal.quantize(Decimal("0.01")),
                defaults=Decimal(0),
                cumulative_defaults=Decimal(k * 1000),
                pool_balance=balance.quantize(Decimal("0.01")),
            )
        )
    return deal, collections


def bench_waterfall(periods: int) -> dict[str, float]:
    """Median time of one waterfall run, exact (integer fen) and float, and with the statement frames built."""
    deal, collections = four_tranche_deal(periods)
    exact = median_of(lambda: run_waterfall(deal, collections), 21)
    floats = median_of(lambda: run_waterfall(deal, collections, exact=False), 21)
    frames = median_of(lambda: run_waterfall(deal, collections).tranches, 5)
    runs = run_waterfall(deal, collections).period_count
    return {
        "periods": runs,
        "exact_ms": exact * 1e3,
        "float_ms": floats * 1e3,
        "exact_with_frames_ms": frames * 1e3,
    }


def scenario_grid(count: int) -> list[Scenario]:
    """``count`` scenarios over CDR, CPR, data recovery, guarantor failure and named defaults."""
    rng = np.random.default_rng(5)
    obligors = [f"B{i:02d}" for i in range(1, 10)]
    return [
        Scenario(
            name=f"s{k}",
            cdr=float(rng.uniform(0, 0.2)),
            cpr=float(rng.uniform(0, 0.3)),
            data_recovery_rate=float(rng.uniform(0, 0.3)),
            data_recovery_lag_months=int(rng.integers(6, 36)),
            all_supports_fail=bool(rng.random() < 0.5),
            obligor_defaults={
                o: date(2026, 3, 20) for o in rng.choice(obligors, int(rng.integers(0, 4)), replace=False)
            },
        )
        for k in range(count)
    ]


def bench_grid_and_sizing(count: int) -> dict[str, float]:
    """Wall time of a scenario grid on the demo deal, and of the senior sizing solve."""
    deal = demo_deal()
    scenarios = scenario_grid(count)
    start = time.perf_counter()
    for scenario in scenarios:
        run_deal(deal, scenario)
    grid = time.perf_counter() - start
    start = time.perf_counter()
    sizing = size_senior(deal, standard_stresses(deal), step=Decimal(1))
    solve = time.perf_counter() - start
    return {
        "grid_scenarios": count,
        "grid_s": grid,
        "sizing_s": solve,
        "sizing_evaluations": sizing.evaluations,
        "sizing_waterfall_runs": sizing.waterfall_runs,
        "sizing_size": float(sizing.size),
    }


def run(sizes: dict[str, int] | None = None) -> dict[str, Any]:
    """Run every benchmark; ``sizes`` may override loans, periods, waterfall_periods and scenarios."""
    s = {"loans": 100_000, "periods": 360, "waterfall_periods": 360, "scenarios": 1_000, **(sizes or {})}
    return {
        "projection": bench_projection(s["loans"], s["periods"]),
        "waterfall": bench_waterfall(s["waterfall_periods"]),
        "grid": bench_grid_and_sizing(s["scenarios"]),
    }


def _print(results: dict[str, Any]) -> None:
    """Print the results as a two-column table."""
    for group, figures in results.items():
        for name, value in figures.items():
            text = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
            print(f"{group:<11} {name:<24} {text:>20}")


if __name__ == "__main__":
    _print(run())
