"""Sensitivity (敏感性分析): the value of each data asset under a ±shock of r, K and Q.

Shocks are relative (±10% of r is 14.8% → 13.32% / 16.28%, not ±10 points). r is shocked by scaling every
component of its build-up; K (revenue-share variant only) and Q are capped at 1 and 100. Each row reports one
method the parameter feeds (r, K → income; Q → cost and market) and the reconciled final value.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from dataabs.valuation.appraise import appraise
from dataabs.valuation.model import (
    AssetValuationResult,
    AssetValuationSpec,
    DiscountRateSpec,
    Method,
    RevenueShareIncome,
    SensitivityParameter,
    SensitivityRow,
)

RATIO = Decimal("0.0001")
FEEDS: dict[SensitivityParameter, tuple[Method, ...]] = {
    "r": ("income",),
    "K": ("income",),
    "Q": ("cost", "market"),
}


def scale_rate(rate: DiscountRateSpec, factor: Decimal) -> DiscountRateSpec:
    """The discount-rate build-up with every component scaled, so r scales by the factor."""
    premiums = {name: p * factor for name, p in rate.premiums.items()}
    return rate.model_copy(update={"risk_free": rate.risk_free * factor, "premiums": premiums})


def shock_rate(spec: AssetValuationSpec, factor: Decimal) -> AssetValuationSpec | None:
    """The spec with r scaled, or None without an income method."""
    income = spec.methods.income
    if income is None:
        return None
    shocked = income.model_copy(update={"discount_rate": scale_rate(income.discount_rate, factor)})
    return spec.model_copy(update={"methods": spec.methods.model_copy(update={"income": shocked})})


def shock_share(spec: AssetValuationSpec, factor: Decimal) -> AssetValuationSpec | None:
    """The spec with K scaled (capped at 1), or None unless income is a revenue share."""
    income = spec.methods.income
    if not isinstance(income, RevenueShareIncome):
        return None
    share = income.share
    one = Decimal(1)
    scaled = [min(k * factor, one) for k in share] if isinstance(share, list) else min(share * factor, one)
    shocked = income.model_copy(update={"share": scaled})
    return spec.model_copy(update={"methods": spec.methods.model_copy(update={"income": shocked})})


def compare(
    base: AssetValuationResult, shocked: AssetValuationResult, parameter: SensitivityParameter, shock: Decimal
) -> list[SensitivityRow]:
    """Rows comparing shocked with base values for the methods the parameter feeds, then the final value."""
    pairs = [
        (m, base.methods[m].value, shocked.methods[m].value) for m in FEEDS[parameter] if m in base.methods
    ]
    if not pairs:
        return []
    return [
        SensitivityRow(
            data_asset_id=base.data_asset_id,
            parameter=parameter,
            shock=shock,
            method=method,
            base_value=before,
            value=after,
            relative_change=((after / before - 1) if before else Decimal(0)).quantize(RATIO),
        )
        for method, before, after in [*pairs, ("final", base.final.value, shocked.final.value)]
    ]


def sensitivity_table(
    spec: AssetValuationSpec, quality_score: Decimal, shock: Decimal = Decimal("0.10")
) -> list[SensitivityRow]:
    """Values under −shock and +shock of r, K and Q, per affected method and final."""
    base = appraise(spec, quality_score)
    shocked: dict[SensitivityParameter, Callable[[Decimal], AssetValuationResult | None]] = {
        "r": lambda f: _maybe(shock_rate(spec, f), quality_score),
        "K": lambda f: _maybe(shock_share(spec, f), quality_score),
        "Q": lambda f: appraise(spec, min(quality_score * f, Decimal(100))),
    }
    rows: list[SensitivityRow] = []
    for parameter, run in shocked.items():
        for signed in (-shock, shock):
            result = run(1 + signed)
            if result is not None:
                rows += compare(base, result, parameter, signed)
    return rows


def _maybe(spec: AssetValuationSpec | None, quality_score: Decimal) -> AssetValuationResult | None:
    """Appraise a shocked spec when the shock applies."""
    return None if spec is None else appraise(spec, quality_score)
