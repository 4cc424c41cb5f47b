"""Tranche terms on the demo deal: WAL of senior A by hand, coupons entered or proposed, the tranches table."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from dataabs.engine import run_deal
from dataabs.engine.examples import demo_deal
from dataabs.issuance.pricing import Curve, present_value
from dataabs.issuance.terms import (
    TERMS_COLUMNS,
    TRANCHE_COLUMNS,
    Proposed,
    price_issuance,
    propose_coupon,
    round_to_step,
    schedule_frame,
    schedule_wal,
    tranches_frame,
)

CLOSING = date(2025, 7, 28)
FLAT = Curve((0.25, 30.0), (0.014, 0.014), as_of=CLOSING)


def test_demo_senior_wal_matches_a_hand_computation_from_the_schedule() -> None:
    result = run_deal(demo_deal())
    schedule = result.schedule("A")
    paid = schedule[schedule["principal"] > 0]
    assert [str(d) for d in paid["payment_date"]] == ["2026-07-26", "2027-01-26", "2027-07-26"]
    assert [float(p) for p in paid["principal"]] == [26_740_000.0, 40_110_000.0, 60_150_000.0]
    # days from closing 2025-07-28: 363, 547, 728 (ACT/365F)
    hand = (26.74 * 363 + 40.11 * 547 + 60.15 * 728) / (127.0 * 365)
    assert round(hand, 4) == 1.6274
    assert round(schedule_wal(result, "A", CLOSING), 4) == round(hand, 4)


def test_demo_senior_at_par_yields_its_coupon_compounded_annually() -> None:
    issuance = price_issuance(demo_deal(), ratings={"A": "AAAsf"})
    senior = issuance.term("A")
    assert senior.coupon == Decimal("0.02") and senior.coupon_source == "structure"
    assert 0.0200 < senior.analytics.yield_ < 0.0203  # quarterly 2.00% ≈ 2.015% annual
    schedule = issuance.result.schedule("A")
    flows = [i + p for i, p in zip(schedule["interest"], schedule["principal"], strict=True)]
    pv = present_value(CLOSING, list(schedule["payment_date"]), flows, senior.analytics.yield_)
    assert pv == pytest.approx(127_000_000.0, abs=1e-3)
    assert senior.analytics.macaulay_duration < senior.analytics.wal_years
    assert senior.analytics.modified_duration == pytest.approx(
        senior.analytics.macaulay_duration / (1 + senior.analytics.yield_)
    )


def test_coupon_rounding_is_half_up_to_the_step() -> None:
    assert round_to_step(0.02005) == Decimal("0.0201")
    assert round_to_step(0.0200499) == Decimal("0.0200")
    assert round_to_step(0.02012, Decimal("0.0005")) == Decimal("0.0200")
    assert propose_coupon(FLAT, 1.63, 60.0) == Decimal("0.0200")


def test_proposed_coupon_is_curve_at_wal_plus_spread_and_drives_the_schedule() -> None:
    curve = Curve((1.0, 2.0), (0.0140, 0.0150))
    issuance = price_issuance(demo_deal(), {"A": Proposed(spread_bp=45)}, curve=curve)
    senior = issuance.term("A")
    wal_years = senior.analytics.wal_years
    expected = round_to_step(0.0140 + (wal_years - 1.0) * 0.0010 + 0.0045)
    assert senior.coupon == expected and senior.coupon_source == "proposed"
    assert issuance.deal.tranche("A").coupon == expected
    first = issuance.result.schedule("A").iloc[0]
    assert float(first["interest"]) == pytest.approx(127_000_000 * float(expected) * 90 / 365, abs=0.01)
    assert senior.analytics.spread_bp == pytest.approx(
        (senior.analytics.yield_ - curve.rate_at(wal_years)) * 1e4
    )


def test_entered_coupon_wins_and_proposing_needs_a_curve() -> None:
    issuance = price_issuance(demo_deal(), {"A": Decimal("0.0215")})
    assert issuance.term("A").coupon == Decimal("0.0215")
    assert issuance.term("A").coupon_source == "entered"
    with pytest.raises(ValueError, match="needs a reference curve"):
        price_issuance(demo_deal(), {"A": Proposed(50)})


def test_tranches_frame_has_the_report_contract_columns_first() -> None:
    issuance = price_issuance(
        demo_deal(), curve=FLAT, ratings={"A": "AAAsf"}, legal_maturity=date(2028, 7, 26)
    )
    frame = tranches_frame(issuance)
    assert list(frame.columns) == TERMS_COLUMNS
    assert list(frame.columns[: len(TRANCHE_COLUMNS)]) == TRANCHE_COLUMNS
    senior = frame.set_index("tranche_id").loc["A"]
    assert senior["expected_maturity"] == "2027-07-26"
    assert senior["legal_maturity"] == "2028-07-26"
    assert senior["rating"] == "AAAsf"
    assert senior["spread_bp"] == pytest.approx((senior["yield"] - 0.014) * 1e4)
    sub = frame.set_index("tranche_id").loc["SUB"]
    assert sub["coupon"] is None or math.isnan(sub["coupon"])
    assert math.isnan(sub["yield"]) and sub["wal_years"] > 0


def test_schedule_frame_has_the_report_contract_columns() -> None:
    frame = schedule_frame(price_issuance(demo_deal()))
    assert list(frame.columns) == [
        "payment_date",
        "tranche_id",
        "opening_balance",
        "interest",
        "principal",
        "closing_balance",
    ]
    assert frame["payment_date"].iloc[0] == "2025-10-26"
