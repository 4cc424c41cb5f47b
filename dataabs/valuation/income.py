"""Income approach (收益法): ``P = Σ_{t=1..n} F_t / (1+r)^t``.

``F_t`` comes from one of four variants (direct, revenue share, excess earnings, incremental), an optional decay
``(1 − d)^(t−1)`` is applied, ``r`` is built up from a risk-free rate and named premiums, and ``n`` is the
shortest of the certificate validity, the contract term, the product life and the forecast horizon. A final
part-year (n not whole) contributes its pro-rated flow discounted at the fractional time n.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dataabs.calendar import year_fraction
from dataabs.money import round_fen
from dataabs.valuation.model import (
    DirectIncome,
    DiscountRateSpec,
    ExcessEarningsIncome,
    IncomePeriod,
    IncomeResult,
    IncomeSpec,
    IncrementalIncome,
    LifeBound,
    LifeBounds,
    RevenueShareIncome,
)


def discount_rate(spec: DiscountRateSpec) -> Decimal:
    """Build-up discount rate r (累加法折现率) = risk-free + Σ premiums."""
    return spec.risk_free + sum(spec.premiums.values(), Decimal(0))


def _per_year(value: Decimal | list[Decimal], years: int) -> list[Decimal]:
    """A scalar repeated for every year, or the per-year list itself."""
    return list(value) if isinstance(value, list) else [value] * years


def base_cash_flows(spec: IncomeSpec) -> list[Decimal]:
    """F_t of the variant before decay, one per forecast year."""
    if isinstance(spec, DirectIncome):
        return list(spec.revenue)
    if isinstance(spec, RevenueShareIncome):
        shares = _per_year(spec.share, len(spec.revenue))
        return [r * k for r, k in zip(spec.revenue, shares, strict=True)]
    if isinstance(spec, ExcessEarningsIncome):
        years = len(spec.revenue)
        charges = [_per_year(c, years) for c in spec.charges.values()]
        return [r - sum((c[i] for c in charges), Decimal(0)) for i, r in enumerate(spec.revenue)]
    if isinstance(spec, IncrementalIncome):
        return [w - wo for w, wo in zip(spec.revenue_with, spec.revenue_without, strict=True)]
    raise TypeError(f"unknown income variant: {type(spec).__name__}")


def apply_decay(flows: list[Decimal], decay_rate: Decimal) -> list[Decimal]:
    """Apply the yearly decay d as F_t × (1 − d)^(t−1): year 1 as forecast, later years eroded."""
    return [f * (1 - decay_rate) ** i for i, f in enumerate(flows)]


def bound_years(bound: LifeBound, base_date: date) -> Decimal:
    """Years from the base date to a life bound (ACT/365F for dates); negative if already past."""
    if bound.years is not None:
        return bound.years
    assert bound.until is not None  # guaranteed by LifeBound's validator
    return year_fraction(base_date, bound.until)


def income_life(bounds: LifeBounds, base_date: date, forecast_years: int) -> tuple[Decimal, str]:
    """Income period n (收益期限) and the bound that sets it: the shortest of certificate, contract, product, forecast."""
    candidates: dict[str, Decimal] = {}
    for name in ("certificate", "contract", "product"):
        bound = getattr(bounds, name)
        if bound is not None:
            candidates[name] = bound_years(bound, base_date)
    candidates["forecast"] = Decimal(forecast_years)  # last, so a named bound wins a tie
    name = min(candidates, key=lambda k: candidates[k])
    return max(candidates[name], Decimal(0)), name


def discount_schedule(flows: list[Decimal], rate: Decimal, life: Decimal) -> list[IncomePeriod]:
    """Discount F_1..F_n at r; a final part-year is pro-rated and discounted at time n."""
    whole = int(life)
    periods: list[tuple[Decimal, Decimal]] = [(Decimal(t), flows[t - 1]) for t in range(1, whole + 1)]
    part = life - whole
    if part > 0 and whole < len(flows):
        periods.append((life, flows[whole] * part))
    rows = []
    for t, cash_flow in periods:
        factor = 1 / (1 + rate) ** t
        rows.append(
            IncomePeriod(t=t, cash_flow=cash_flow, discount_factor=factor, present_value=cash_flow * factor)
        )
    return rows


def value_income(spec: IncomeSpec, base_date: date) -> IncomeResult:
    """Income-approach value of a data asset, rounded to the fen."""
    flows = apply_decay(base_cash_flows(spec), spec.decay_rate)
    rate = discount_rate(spec.discount_rate)
    life, binding = income_life(spec.life, base_date, len(flows))
    periods = discount_schedule(flows, rate, life)
    value = round_fen(sum((p.present_value for p in periods), Decimal(0)))
    return IncomeResult(
        value=value,
        variant=spec.variant,
        discount_rate=rate,
        life_years=life,
        binding_bound=binding,
        periods=periods,
    )
