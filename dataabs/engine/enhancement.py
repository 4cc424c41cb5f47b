"""Credit-enhancement metrics, stress grid and senior sizing (增信测算).

Metrics read a waterfall result: period coverage (现金流覆盖倍数) and interest coverage, over-collateralisation,
subordination, excess spread, guarantee coverage, data-pledge share and tranche losses. The stress grid runs a deal
under rating-style scenarios (top obligors defaulting, the guarantor failing, data-collateral recovery 0–30% after
a long lag, prepayment and rate shocks). Sizing finds the largest senior size, on a grid of ``step`` yuan, that meets
the coverage thresholds in the base case and under every stress without a senior loss, by bisection on a bracket;
projections do not depend on the tranche sizes, so each scenario's collections are projected once and only the
waterfall is rerun per evaluation. First loss is the default multiple at which a tranche first loses a fen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
import pandas as pd

from dataabs.engine.model import Deal, PeriodCollections, Scenario
from dataabs.engine.run import project_collections
from dataabs.engine.waterfall import WaterfallResult, run_waterfall
from dataabs.money import ZERO

MONEY_COLUMNS = ["interest", "principal", "recoveries", "guarantee", "other"]
Measure = Callable[[Deal, WaterfallResult], float]


def period_metrics(deal: Deal, result: WaterfallResult) -> pd.DataFrame:
    """Per period: coverage, interest coverage, OC (pool principal / senior outstanding) and excess spread."""
    periods = result.periods.set_index("payment_date")
    pool = result.pool.set_index("payment_date")
    tranches = result.tranches
    senior = tranches[tranches["tranche_id"].isin(deal.senior_ids())].groupby("payment_date")
    senior_close = senior["closing_balance"].sum()
    senior_interest = senior["interest"].sum()
    costs = result.fees.groupby("payment_date")["paid"].sum()
    excess = pool["interest"] - costs - senior_interest
    years = (pd.to_datetime(periods.index) - pd.to_datetime(periods["period_start"])).dt.days / 365
    frame = pd.DataFrame(
        {
            "coverage": periods["coverage"],
            "interest_coverage": periods["interest_coverage"],
            "oc": _divide(pool["closing_balance"], senior_close),
            "excess_spread": excess,
            "excess_spread_rate": _divide(excess, pool["opening_balance"]) / years.to_numpy(),
        }
    )
    frame.index.name = "payment_date"
    return frame.reset_index()


def _divide(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Float ratio of two money series (NaN where the denominator is zero)."""
    num = numerator.astype(float)
    den = denominator.astype(float)
    return num / den.where(den != 0)


def life_coverage(deal: Deal, result: WaterfallResult) -> float:
    """Coverage over the deal's life: (pool cash − taxes − fees accrued) / (senior interest accrued + principal)."""
    pool_cash = float(result.pool[MONEY_COLUMNS].to_numpy(dtype=float).sum())
    fees = result.fees
    last = fees["payment_date"] == fees["payment_date"].max()
    costs = float(fees["paid"].astype(float).sum() + fees.loc[last, "shortfall"].astype(float).sum())
    senior = result.tranches[result.tranches["tranche_id"].isin(deal.senior_ids())]
    final = senior["payment_date"] == senior["payment_date"].max()
    interest = float(
        senior["interest"].astype(float).sum() + senior.loc[final, "interest_shortfall"].astype(float).sum()
    )
    principal = float(sum(deal.tranche(t).size for t in deal.senior_ids()))
    return (pool_cash - costs) / (interest + principal) if interest + principal else math.inf


def tranche_loss(result: WaterfallResult, tranche_id: str) -> Decimal:
    """What a tranche is still owed after the last period run: principal balance plus unpaid interest."""
    rows = result.tranches[result.tranches["tranche_id"] == tranche_id]
    if rows.empty:
        return ZERO
    last = rows.iloc[-1]
    return Decimal(last["closing_balance"]) + Decimal(last["interest_shortfall"])


def senior_loss(deal: Deal, result: WaterfallResult) -> Decimal:
    """Total loss of the senior tranches."""
    return sum((tranche_loss(result, t) for t in deal.senior_ids()), ZERO)


def subordination(deal: Deal) -> dict[str, float]:
    """Subordination per tranche (次级支持): share of the total issue ranking below it."""
    total = sum(t.size for t in deal.tranches)
    return {
        t.id: float(sum(u.size for u in deal.tranches if u.seniority > t.seniority) / total)
        for t in deal.tranches
    }


def pool_shares(deal: Deal) -> dict[str, float]:
    """Guarantee coverage (保函覆盖) and data-pledge share (数据资产质押占比) of pool principal."""
    if deal.pool is None:
        return {"guarantee_coverage": 0.0, "data_pledge_share": 0.0}
    total = deal.pool.principal()
    guaranteed = sum(float(t.balance.sum()) for t in deal.pool.tapes if t.guarantee is not None)
    pledged = sum(
        float(t.balance[t.data_pledged].sum()) for t in deal.pool.tapes if t.data_pledged is not None
    )
    return {"guarantee_coverage": guaranteed / total, "data_pledge_share": pledged / total}


def summary(deal: Deal, result: WaterfallResult) -> dict[str, object]:
    """Headline enhancement figures of one run."""
    metrics = period_metrics(deal, result)
    normal = result.periods["status"] == "normal"
    senior_size = float(sum(deal.tranche(t).size for t in deal.senior_ids()))
    return {
        "life_coverage": life_coverage(deal, result),
        "min_coverage": float(metrics.loc[normal.to_numpy(), "coverage"].min()),
        "min_interest_coverage": float(metrics["interest_coverage"].min()),
        "oc_at_closing": float(deal.pool_balance()) / senior_size if senior_size else math.inf,
        "excess_spread": float(metrics["excess_spread"].astype(float).sum()),
        "senior_loss": senior_loss(deal, result),
        "final_status": str(result.periods["status"].iloc[-1]),
        **{f"subordination_{k}": v for k, v in subordination(deal).items()},
        **pool_shares(deal),
    }


def top_obligors(deal: Deal, count: int) -> list[str]:
    """The ``count`` largest obligors by pool principal."""
    if deal.pool is None:
        return []
    frames = [pd.Series(t.balance, index=t.obligor) for t in deal.pool.tapes]
    totals = pd.concat(frames).groupby(level=0).sum().sort_values(ascending=False, kind="stable")
    return [str(o) for o in totals.index[:count]]


def standard_stresses(
    deal: Deal,
    *,
    top: Sequence[int] = (1, 2, 3),
    data_recoveries: Sequence[float] = (0.0, 0.1, 0.2, 0.3),
    data_recovery_lag_months: int = 24,
    guarantor_fails: bool = False,
    cprs: Sequence[float] = (0.1, 0.2),
    rate_shifts: Sequence[float] = (-0.01,),
) -> list[Scenario]:
    """Rating-style stresses: top 1–3 obligors default (guarantor paying or failing, data recovery 0–30% after
    a long lag), prepayment and asset-rate shocks."""
    first = deal.pool.tapes[0].dates[0] if deal.pool is not None and deal.pool.tapes else deal.closing_date
    scenarios = []
    for n in top:
        named = dict.fromkeys(top_obligors(deal, n), first)
        for recovery in data_recoveries if guarantor_fails else (0.0,):
            scenarios.append(
                Scenario(
                    name=f"top{n}_default_{'guarantor_fails' if guarantor_fails else 'guarantee_pays'}_rec{recovery:g}",
                    obligor_defaults=named,
                    all_supports_fail=guarantor_fails,
                    data_recovery_rate=recovery,
                    data_recovery_lag_months=data_recovery_lag_months,
                )
            )
    scenarios += [Scenario(name=f"cpr{c:g}", cpr=c) for c in cprs]
    scenarios += [Scenario(name=f"rate{s:+g}", asset_rate_shift=s) for s in rate_shifts]
    return scenarios


def stress_grid(deal: Deal, scenarios: Sequence[Scenario]) -> pd.DataFrame:
    """Run the deal under every scenario: one row each with coverage, senior loss and final status."""
    rows = []
    for scenario in scenarios:
        result = _run(deal, scenario, project_collections(deal, scenario))
        rows.append(
            {
                "scenario": scenario.name,
                "life_coverage": life_coverage(deal, result),
                "senior_loss": senior_loss(deal, result),
                **{f"loss_{t.id}": tranche_loss(result, t.id) for t in deal.tranches},
                "final_status": str(result.periods["status"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows)


def _run(deal: Deal, scenario: Scenario, collections: Sequence[PeriodCollections]) -> WaterfallResult:
    """Waterfall of a deal on given collections under a scenario's support failures and coupon shift."""
    failing = frozenset(s.id for s in deal.supports if scenario.support_fails(s))
    return run_waterfall(deal, collections, coupon_shift=scenario.coupon_shift, failing_supports=failing)


def with_senior_size(deal: Deal, size: Decimal, senior_id: str | None = None) -> Deal:
    """The deal with one senior tranche resized and the most junior tranche absorbing the difference."""
    senior_id = senior_id or deal.senior_ids()[0]
    junior = max(deal.tranches, key=lambda t: t.seniority)
    delta = size - deal.tranche(senior_id).size
    tranches = tuple(
        replace(t, size=size)
        if t.id == senior_id
        else replace(t, size=max(t.size - delta, ZERO))
        if t is junior
        else t
        for t in deal.tranches
    )
    return replace(deal, tranches=tranches)


@dataclass(frozen=True)
class SizingResult:
    """Outcome of senior sizing: the size, engine evaluations used and waterfall runs behind them."""

    size: Decimal
    evaluations: int
    waterfall_runs: int
    base_coverage: float
    worst_stressed_coverage: float


@dataclass(frozen=True)
class SizingCheck:
    """Whether one senior size meets every criterion, with the figures behind the verdict."""

    passed: bool
    base_coverage: float
    worst_stressed_coverage: float
    senior_loss: Decimal


def check_size(
    deal: Deal,
    size: Decimal,
    base: tuple[Scenario, Sequence[PeriodCollections]],
    stresses: Sequence[tuple[Scenario, Sequence[PeriodCollections]]],
    base_coverage: float,
    stressed_coverage: float,
    senior_id: str | None = None,
    measure: Measure | None = None,
) -> SizingCheck:
    """Test one senior size: base coverage, stressed coverage and no senior loss in any scenario.

    ``measure`` is the coverage figure the thresholds apply to (life coverage unless policy names another).
    """
    measure = measure or life_coverage
    sized = with_senior_size(deal, size, senior_id)
    base_result = _run(sized, *base)
    cover = measure(sized, base_result)
    loss = senior_loss(sized, base_result)
    worst = math.inf
    for scenario, collections in stresses:
        result = _run(sized, scenario, collections)
        worst = min(worst, measure(sized, result))
        loss += senior_loss(sized, result)
    passed = cover >= base_coverage and worst >= stressed_coverage and loss == 0
    return SizingCheck(passed, cover, worst, loss)


def size_senior(
    deal: Deal,
    stresses: Sequence[Scenario],
    *,
    base: Scenario | None = None,
    base_coverage: float = 1.20,
    stressed_coverage: float = 1.10,
    step: Decimal = Decimal(10000),
    max_evaluations: int = 40,
    senior_id: str | None = None,
    measure: Measure | None = None,
    max_size: Decimal | None = None,
) -> SizingResult:
    """Largest senior size (a multiple of ``step``) meeting coverage in the base case and every stress with no
    senior loss, by bisection between a passing and a failing size (thresholds from policy).

    ``measure`` is the coverage figure tested (default life coverage); ``max_size`` caps the senior (e.g. the
    issue less a required subordination)."""
    base_case = base or Scenario()
    projected_base = (base_case, project_collections(deal, base_case))
    projected = [(s, project_collections(deal, s)) for s in stresses]
    total = sum(t.size for t in deal.tranches)
    if max_size is not None:
        total = min(total, max_size)
    calls = 0

    def check(k: int) -> SizingCheck:
        nonlocal calls
        calls += 1
        if calls > max_evaluations:
            raise RuntimeError(f"deal {deal.id}: sizing needs more than {max_evaluations} evaluations")
        return check_size(
            deal, step * k, projected_base, projected, base_coverage, stressed_coverage, senior_id, measure
        )

    low, _high = _bisect_integer(lambda k: check(k).passed, 0, int(total // step))
    final = check(low)
    return SizingResult(
        step * low, calls, calls * (1 + len(stresses)), final.base_coverage, final.worst_stressed_coverage
    )


def _bisect_integer(passes: Callable[[int], bool], low: int, high: int) -> tuple[int, int]:
    """Bracket ``[low passes, high fails]`` narrowed to adjacent integers (``high`` is returned if it passes)."""
    if passes(high):
        return high, high
    while high - low > 1:
        middle = (low + high) // 2
        if passes(middle):
            low = middle
        else:
            high = middle
    return low, high


def first_loss(
    deal: Deal,
    tranche_id: str,
    base: Scenario,
    *,
    max_multiple: float = 50.0,
    tolerance: float = 0.01,
    unit_cdr: float = 0.01,
) -> float | None:
    """Smallest multiple of the base default rate at which a tranche first loses a fen (None if never)."""
    scenario = base if np.any(np.asarray(base.cdr) > 0) else replace(base, cdr=unit_cdr)

    def loses(multiple: float) -> bool:
        stressed = scenario.scaled(multiple)
        return tranche_loss(_run(deal, stressed, project_collections(deal, stressed)), tranche_id) > 0

    if not loses(max_multiple):
        return None
    low, high = 0.0, max_multiple
    while high - low > tolerance:
        middle = (low + high) / 2
        low, high = (low, middle) if loses(middle) else (middle, high)
    return high
