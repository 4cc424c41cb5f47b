"""Pricing analytics of one tranche (定价分析): WAL, yield, Macaulay and modified duration, spread over a curve.

Conventions (see ``docs/issuance.md``):
- time is ACT/365F from the settlement date: ``t_i = (d_i − settlement).days / 365``;
- WAL (加权平均期限) ``= Σ t_i·P_i / Σ P_i`` over principal payments;
- yield (收益率) is the IRR of the full price against the cash flows after settlement with **annual compounding**,
  ``price = Σ CF_i / (1 + y)^{t_i}`` — the quotation basis of China's exchange ABS market; par (100 per 100 of
  outstanding face) by default, so a quarterly 2.00% coupon bought at par yields about 2.015%;
- Macaulay duration ``D = Σ t_i·PV_i / Σ PV_i``; modified duration ``D / (1 + y)``;
- spread ``= (y − curve(WAL)) × 10⁴`` bp, the curve linearly interpolated on its tenors and flat beyond its ends.
Amounts may be ``Decimal`` (exact money); the analytics are float64.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from scipy.optimize import brentq

YEAR_DAYS = 365.0
BP = 1e4
YIELD_BRACKET = (-0.99, 10.0)

Amounts = Sequence[float] | Sequence[Decimal] | Sequence[float | Decimal]


@dataclass(frozen=True)
class Curve:
    """A yield curve (收益率曲线): annually compounded yields (decimals) at tenors in years, increasing."""

    tenors_years: tuple[float, ...]
    yields: tuple[float, ...]
    as_of: date | None = None
    name: str = "CGB"

    def __post_init__(self) -> None:
        tenors = np.asarray(self.tenors_years, dtype=float)
        if len(tenors) == 0 or len(tenors) != len(self.yields):
            raise ValueError("a curve needs as many yields as tenors, at least one")
        if np.any(np.diff(tenors) <= 0):
            raise ValueError(f"curve tenors must be strictly increasing: {self.tenors_years}")

    def rate_at(self, tenor_years: float) -> float:
        """The yield at a tenor: linear between tenors, flat beyond the first and last."""
        return float(np.interp(tenor_years, self.tenors_years, self.yields))


@dataclass(frozen=True)
class Analytics:
    """A tranche's pricing analytics at a settlement date and price."""

    wal_years: float
    yield_: float
    macaulay_duration: float
    modified_duration: float
    spread_bp: float | None


def year_times(settlement: date, dates: Sequence[date]) -> np.ndarray:
    """ACT/365F year fractions from the settlement date to each date."""
    return np.asarray([(d - settlement).days / YEAR_DAYS for d in dates], dtype=float)


def _future(settlement: date, dates: Sequence[date], amounts: Amounts) -> tuple[np.ndarray, np.ndarray]:
    """Times and float amounts of the flows strictly after settlement."""
    if len(dates) != len(amounts):
        raise ValueError(f"{len(dates)} dates but {len(amounts)} amounts")
    times = year_times(settlement, dates)
    values = np.asarray([float(a) for a in amounts], dtype=float)
    keep = times > 0
    return times[keep], values[keep]


def wal(settlement: date, dates: Sequence[date], principal: Amounts) -> float:
    """Weighted average life in years (加权平均期限): Σ t·P / Σ P over principal paid after settlement."""
    times, values = _future(settlement, dates, principal)
    total = values.sum()
    if total <= 0:
        raise ValueError("no principal is paid after settlement: WAL undefined")
    return float((times * values).sum() / total)


def discount_factors(times: np.ndarray, yield_: float) -> np.ndarray:
    """Annually compounded discount factors ``(1 + y)^−t``."""
    return np.power(1.0 + yield_, -times)


def present_value(settlement: date, dates: Sequence[date], amounts: Amounts, yield_: float) -> float:
    """Present value at settlement of the flows after it, at an annually compounded yield."""
    times, values = _future(settlement, dates, amounts)
    return float((values * discount_factors(times, yield_)).sum())


def yield_from_price(settlement: date, dates: Sequence[date], amounts: Amounts, price: float) -> float:
    """The annually compounded yield (IRR) at which the flows after settlement are worth ``price``."""
    times, values = _future(settlement, dates, amounts)
    if price <= 0 or values.sum() <= 0:
        raise ValueError("yield needs a positive price and positive cash flows after settlement")

    def excess(y: float) -> float:
        return float((values * discount_factors(times, y)).sum()) - price

    low, high = YIELD_BRACKET
    if excess(low) * excess(high) > 0:
        raise ValueError(f"no yield in [{low}, {high}] prices these flows at {price}")
    return float(brentq(excess, low, high, xtol=1e-14, rtol=1e-14, maxiter=200))


def macaulay_duration(settlement: date, dates: Sequence[date], amounts: Amounts, yield_: float) -> float:
    """Macaulay duration in years (麦考利久期): present-value-weighted mean time of the flows."""
    times, values = _future(settlement, dates, amounts)
    pv = values * discount_factors(times, yield_)
    return float((times * pv).sum() / pv.sum())


def modified_duration(macaulay: float, yield_: float) -> float:
    """Modified duration (修正久期) under annual compounding: Macaulay / (1 + y)."""
    return macaulay / (1.0 + yield_)


def spread_bp(yield_: float, curve: Curve, tenor_years: float) -> float:
    """Spread (利差) of a yield over the curve at a tenor, in basis points."""
    return (yield_ - curve.rate_at(tenor_years)) * BP


def par_price(settlement: date, dates: Sequence[date], principal: Amounts) -> float:
    """Outstanding face at settlement: the principal still to be paid after it."""
    return float(_future(settlement, dates, principal)[1].sum())


def analyse(
    settlement: date,
    dates: Sequence[date],
    principal: Amounts,
    cash_flows: Amounts,
    *,
    price_per_100: float = 100.0,
    curve: Curve | None = None,
) -> Analytics:
    """WAL, yield at a full price per 100 of outstanding face (par by default), durations and spread at the WAL."""
    life = wal(settlement, dates, principal)
    price = par_price(settlement, dates, principal) * price_per_100 / 100.0
    y = yield_from_price(settlement, dates, cash_flows, price)
    mac = macaulay_duration(settlement, dates, cash_flows, y)
    return Analytics(
        wal_years=life,
        yield_=y,
        macaulay_duration=mac,
        modified_duration=modified_duration(mac, y),
        spread_bp=None if curve is None else spread_bp(y, curve, life),
    )
