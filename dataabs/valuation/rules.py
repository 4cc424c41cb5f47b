"""Validation rules of the valuation gate (估值闸门): pure functions, each returning the problems it finds.

Rule ids: ``value_positive`` (every method value and the final value positive and finite), ``coefficient_bounds``
(market factors X1..X5 inside the policy band unless justified, δ in (0, 1], r > 0), ``comparables`` (enough
comparables traded within the window before the base date), ``base_date_age`` (valuation not older than policy
allows, not in the future), ``ltv`` (pledge LTV within policy at origination or re-valuation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from dataabs.calendar import add_months
from dataabs.valuation.cost import delta
from dataabs.valuation.income import discount_rate
from dataabs.valuation.ltv import LtvRow, LtvStage
from dataabs.valuation.market import comparable_factors
from dataabs.valuation.model import AssetValuationResult, AssetValuationSpec, ValuationPolicy

Severity = Literal["critical", "warning"]


@dataclass(frozen=True)
class ValuationProblem:
    """One failed valuation rule for one data asset (or loan)."""

    subject_id: str
    rule: str
    detail: str
    severity: Severity = "critical"

    def __str__(self) -> str:
        return f"{self.subject_id}: [{self.rule}] {self.detail}"


def check_values(result: AssetValuationResult) -> list[ValuationProblem]:
    """Every method value and the final value are finite and positive."""
    values: dict[str, Decimal] = {m: r.value for m, r in result.methods.items()}
    values["final"] = result.final.value
    return [
        ValuationProblem(
            result.data_asset_id, "value_positive", f"{name} value {value} is not positive and finite"
        )
        for name, value in values.items()
        if not (value.is_finite() and value > 0)
    ]


def check_coefficients(
    spec: AssetValuationSpec, quality_score: Decimal, policy: ValuationPolicy
) -> list[ValuationProblem]:
    """Market factors within [factor_min, factor_max] unless justified; δ in (0, 1]; r positive."""
    asset, methods, problems = spec.data_asset_id, spec.methods, []
    if methods.market is not None:
        for comp in methods.market.comparables:
            for factor, x in comparable_factors(comp, methods.market, quality_score).items():
                justified = bool(comp.justifications.get(factor, "").strip())
                if not (policy.factor_min <= x <= policy.factor_max or justified):
                    problems.append(
                        ValuationProblem(
                            asset,
                            "coefficient_bounds",
                            f"comparable {comp.id}: {factor} factor {x:.4f} outside "
                            f"[{policy.factor_min}, {policy.factor_max}] without a justification",
                        )
                    )
    if methods.cost is not None:
        d = delta(methods.cost, quality_score)
        if not 0 < d <= 1:
            problems.append(ValuationProblem(asset, "coefficient_bounds", f"cost δ {d:.4f} outside (0, 1]"))
    if methods.income is not None:
        r = discount_rate(methods.income.discount_rate)
        if r <= 0:
            problems.append(
                ValuationProblem(asset, "coefficient_bounds", f"discount rate {r} is not positive")
            )
    return problems


def check_comparables(spec: AssetValuationSpec, policy: ValuationPolicy) -> list[ValuationProblem]:
    """Market method: at least ``min_comparables`` traded within the window up to the base date."""
    market = spec.methods.market
    if market is None:
        return []
    earliest, asset = add_months(spec.base_date, -policy.comparable_window_months), spec.data_asset_id
    problems = [
        ValuationProblem(asset, "comparables", f"comparable {c.id} traded {c.traded_on}, after the base date")
        for c in market.comparables
        if c.traded_on > spec.base_date
    ]
    problems += [
        ValuationProblem(
            asset,
            "comparables",
            f"comparable {c.id} traded {c.traded_on}, more than {policy.comparable_window_months} months "
            "before the base date",
            "warning",
        )
        for c in market.comparables
        if c.traded_on < earliest
    ]
    recent = [c for c in market.comparables if earliest <= c.traded_on <= spec.base_date]
    if len(recent) < policy.min_comparables:
        problems.append(
            ValuationProblem(
                asset,
                "comparables",
                f"{len(recent)} comparable(s) traded between {earliest} and {spec.base_date}; "
                f"policy requires {policy.min_comparables}",
            )
        )
    return problems


def check_base_date(spec: AssetValuationSpec, as_of: date, policy: ValuationPolicy) -> list[ValuationProblem]:
    """The base date is not after ``as_of`` and not more than ``max_base_date_age_months`` before it."""
    months, asset = policy.max_base_date_age_months, spec.data_asset_id
    if spec.base_date > as_of:
        return [ValuationProblem(asset, "base_date_age", f"base date {spec.base_date} is after {as_of}")]
    if add_months(spec.base_date, months) < as_of:
        detail = f"base date {spec.base_date} is more than {months} months before {as_of}; re-value the asset"
        return [ValuationProblem(asset, "base_date_age", detail)]
    return []


def check_ltv(rows: Iterable[LtvRow], stage: LtvStage) -> list[ValuationProblem]:
    """Pledge LTV within policy: origination limit, or warning/cure levels at re-valuation."""
    problems = []
    for row in rows:
        shown = "n/a (no appraised value)" if row.ltv is None else f"{row.ltv:.2%}"
        if row.status in ("above_origination_limit", "cure"):
            problems.append(ValuationProblem(row.loan_id, "ltv", f"{stage} LTV {shown}: {row.status}"))
        elif row.status == "warning":
            problems.append(ValuationProblem(row.loan_id, "ltv", f"{stage} LTV {shown}: warning", "warning"))
    return problems


def validate_asset(
    spec: AssetValuationSpec,
    result: AssetValuationResult,
    as_of: date,
    policy: ValuationPolicy,
) -> list[ValuationProblem]:
    """All per-asset rules (everything but LTV, which needs the loan tape)."""
    return [
        *check_values(result),
        *check_coefficients(spec, result.quality_score, policy),
        *check_comparables(spec, policy),
        *check_base_date(spec, as_of, policy),
    ]


def validate_deal(
    specs: Iterable[AssetValuationSpec],
    results: Mapping[str, AssetValuationResult],
    as_of: date,
    policy: ValuationPolicy,
) -> list[ValuationProblem]:
    """Per-asset rules over every asset of a deal; ``results`` keyed by data_asset_id."""
    return [p for s in specs for p in validate_asset(s, results[s.data_asset_id], as_of, policy)]
