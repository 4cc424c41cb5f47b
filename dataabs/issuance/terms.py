"""Tranche terms (发行条款): size and structure from credit enhancement, the coupon entered or proposed, analytics.

A coupon is either entered by the operator after book-building (簿记建档) as a ``Decimal``, or ``Proposed``: the
reference-curve yield at the tranche's WAL plus a spread, rounded half-up to a step (0.01% by default). Tranches
given neither keep the coupon of the enhancement structure. Proposed coupons are solved to a fixed point (the WAL
is read from a run at the proposed coupon), which for a pass-through senior takes one pass. Subordinate tranches
(次级) are residual claims: they get a WAL but no coupon, yield, duration or spread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import pandas as pd

from dataabs.engine import Deal, Scenario, WaterfallResult, run_deal
from dataabs.issuance.pricing import Analytics, Curve, analyse, wal

COUPON_STEP = Decimal("0.0001")
MAX_COUPON_PASSES = 5
TRANCHE_COLUMNS = ["tranche_id", "size", "coupon", "wal_years", "expected_maturity"]
TERMS_COLUMNS = [
    *TRANCHE_COLUMNS,
    "yield",
    "macaulay_duration",
    "modified_duration",
    "spread_bp",
    "rating",
    "legal_maturity",
]

CouponSource = Literal["entered", "proposed", "structure", "residual"]


@dataclass(frozen=True)
class Proposed:
    """Ask for a proposed coupon: the reference-curve yield at the tranche's WAL plus ``spread_bp``."""

    spread_bp: float


CouponInput = Decimal | Proposed


@dataclass(frozen=True)
class TrancheTerms:
    """One tranche's terms and analytics at issuance."""

    tranche_id: str
    kind: str
    size: Decimal
    coupon: Decimal | None
    coupon_source: CouponSource
    rating: str | None
    expected_maturity: date
    legal_maturity: date | None
    analytics: Analytics


@dataclass(frozen=True)
class Issuance:
    """A priced deal: the deal with its final coupons, its projected run, settlement, curve and tranche terms."""

    deal: Deal
    result: WaterfallResult
    settlement: date
    curve: Curve | None
    terms: tuple[TrancheTerms, ...]

    def term(self, tranche_id: str) -> TrancheTerms:
        """The terms of one tranche."""
        return next(t for t in self.terms if t.tranche_id == tranche_id)


def round_to_step(rate: float, step: Decimal = COUPON_STEP) -> Decimal:
    """A rate rounded half-up to a multiple of ``step`` (0.0001 = 0.01%)."""
    units = (Decimal(repr(rate)) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return units * step


def propose_coupon(curve: Curve, wal_years: float, spread_bp: float, step: Decimal = COUPON_STEP) -> Decimal:
    """Proposed coupon (建议票面利率): curve yield at the WAL plus the spread, rounded half-up to ``step``."""
    return round_to_step(curve.rate_at(wal_years) + spread_bp / 1e4, step)


def with_coupons(deal: Deal, coupons: Mapping[str, Decimal]) -> Deal:
    """The deal with the given tranches' coupons replaced."""
    unknown = sorted(set(coupons) - {t.id for t in deal.tranches})
    if unknown:
        raise ValueError(f"deal {deal.id}: no tranche {unknown}")
    tranches = tuple(replace(t, coupon=coupons.get(t.id, t.coupon)) for t in deal.tranches)
    return replace(deal, tranches=tranches)


def schedule_wal(result: WaterfallResult, tranche_id: str, settlement: date) -> float:
    """WAL in years of a tranche's projected principal payments."""
    frame = result.schedule(tranche_id)
    return wal(settlement, list(frame["payment_date"]), list(frame["principal"]))


def tranche_analytics(
    result: WaterfallResult,
    tranche_id: str,
    settlement: date,
    *,
    curve: Curve | None = None,
    price_per_100: float = 100.0,
) -> Analytics:
    """Analytics of a tranche's projected schedule: cash flow = interest + principal."""
    frame = result.schedule(tranche_id)
    dates = list(frame["payment_date"])
    principal = list(frame["principal"])
    flows = [i + p for i, p in zip(frame["interest"], frame["principal"], strict=True)]
    return analyse(settlement, dates, principal, flows, price_per_100=price_per_100, curve=curve)


def _residual_analytics(result: WaterfallResult, tranche_id: str, settlement: date) -> Analytics:
    """A residual tranche's analytics: its WAL only (NaN when the waterfall pays it no principal, only residual)."""
    nan = math.nan
    frame = result.schedule(tranche_id)
    if not any(
        p > 0 for d, p in zip(frame["payment_date"], frame["principal"], strict=True) if d > settlement
    ):
        return Analytics(nan, nan, nan, nan, None)
    return Analytics(schedule_wal(result, tranche_id, settlement), nan, nan, nan, None)


def _solve_coupons(
    deal: Deal,
    coupons: Mapping[str, CouponInput],
    curve: Curve | None,
    settlement: date,
    scenario: Scenario | None,
    step: Decimal,
) -> tuple[Deal, WaterfallResult]:
    """Apply entered coupons, then re-propose the others from the WAL of the latest run until they settle."""
    deal = with_coupons(deal, {k: v for k, v in coupons.items() if isinstance(v, Decimal)})
    result = run_deal(deal, scenario)
    proposed = {k: v for k, v in coupons.items() if isinstance(v, Proposed)}
    if not proposed:
        return deal, result
    if curve is None:
        raise ValueError(f"deal {deal.id}: proposing coupons for {sorted(proposed)} needs a reference curve")
    for _ in range(MAX_COUPON_PASSES):
        new = {
            k: propose_coupon(curve, schedule_wal(result, k, settlement), p.spread_bp, step)
            for k, p in proposed.items()
        }
        if all(deal.tranche(k).coupon == c for k, c in new.items()):
            return deal, result
        deal = with_coupons(deal, new)
        result = run_deal(deal, scenario)
    raise ValueError(f"deal {deal.id}: proposed coupons did not settle in {MAX_COUPON_PASSES} passes")


def _source(tranche_id: str, kind: str, coupons: Mapping[str, CouponInput]) -> CouponSource:
    """Where a tranche's coupon came from."""
    if kind == "subordinate":
        return "residual"
    given = coupons.get(tranche_id)
    if given is None:
        return "structure"
    return "proposed" if isinstance(given, Proposed) else "entered"


def _expected_maturity(result: WaterfallResult, tranche_id: str, stated: date | None) -> date:
    """The stated expected maturity, else the projected date of the last principal payment."""
    if stated is not None:
        return stated
    frame = result.schedule(tranche_id)
    paid = frame.loc[frame["principal"] > 0, "payment_date"]
    return date.fromisoformat(str(paid.iloc[-1])) if len(paid) else frame["payment_date"].iloc[-1]


def price_issuance(
    deal: Deal,
    coupons: Mapping[str, CouponInput] | None = None,
    *,
    curve: Curve | None = None,
    settlement: date | None = None,
    ratings: Mapping[str, str] | None = None,
    legal_maturity: date | Mapping[str, date] | None = None,
    scenario: Scenario | None = None,
    price_per_100: float = 100.0,
    step: Decimal = COUPON_STEP,
) -> Issuance:
    """Fix each tranche's coupon (entered, proposed or the structure's), project the deal and price every tranche."""
    coupons = coupons or {}
    settlement = settlement or deal.closing_date
    deal, result = _solve_coupons(deal, coupons, curve, settlement, scenario, step)
    ratings = ratings or {}
    terms = []
    for tranche in deal.tranches:
        source = _source(tranche.id, tranche.kind, coupons)
        analytics = (
            _residual_analytics(result, tranche.id, settlement)
            if source == "residual"
            else tranche_analytics(result, tranche.id, settlement, curve=curve, price_per_100=price_per_100)
        )
        legal = legal_maturity.get(tranche.id) if isinstance(legal_maturity, Mapping) else legal_maturity
        terms.append(
            TrancheTerms(
                tranche_id=tranche.id,
                kind=tranche.kind,
                size=tranche.size,
                coupon=None if source == "residual" else tranche.coupon,
                coupon_source=source,
                rating=ratings.get(tranche.id),
                expected_maturity=_expected_maturity(result, tranche.id, tranche.expected_maturity),
                legal_maturity=legal,
                analytics=analytics,
            )
        )
    return Issuance(deal, result, settlement, curve, tuple(terms))


def tranches_frame(issuance: Issuance) -> pd.DataFrame:
    """Tranche terms in the ``issuance/tranches.csv`` columns, then yield, durations, spread, rating, legal maturity."""
    rows = [
        {
            "tranche_id": t.tranche_id,
            "size": t.size,
            "coupon": None if t.coupon is None else float(t.coupon),
            "wal_years": t.analytics.wal_years,
            "expected_maturity": t.expected_maturity.isoformat(),
            "yield": t.analytics.yield_,
            "macaulay_duration": t.analytics.macaulay_duration,
            "modified_duration": t.analytics.modified_duration,
            "spread_bp": math.nan if t.analytics.spread_bp is None else t.analytics.spread_bp,
            "rating": t.rating,
            "legal_maturity": None if t.legal_maturity is None else t.legal_maturity.isoformat(),
        }
        for t in issuance.terms
    ]
    return pd.DataFrame(rows, columns=TERMS_COLUMNS)


def schedule_frame(issuance: Issuance) -> pd.DataFrame:
    """Projected payment schedule of every tranche in the ``issuance/schedule.csv`` columns."""
    frame = issuance.result.schedule()
    frame["payment_date"] = [str(d) for d in frame["payment_date"]]
    return frame
