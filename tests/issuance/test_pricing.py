"""Pricing analytics against hand calculations: WAL, yield, Macaulay and modified duration, curve spread."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dataabs.issuance.pricing import (
    Curve,
    analyse,
    macaulay_duration,
    modified_duration,
    present_value,
    spread_bp,
    wal,
    yield_from_price,
)

SETTLE = date(2025, 1, 1)
DATES = [date(2026, 1, 1), date(2027, 1, 1)]  # 365 and 730 days: t = 1 and 2 under ACT/365F
PRINCIPAL = [Decimal("50.00"), Decimal("50.00")]
FLOWS = [Decimal("55.00"), Decimal("52.50")]  # 5% annual interest on 100, then on 50


def test_two_payment_bond_wal_by_hand() -> None:
    assert wal(SETTLE, DATES, PRINCIPAL) == pytest.approx((1 * 50 + 2 * 50) / 100)


def test_two_payment_bond_yield_at_par_is_its_annual_coupon() -> None:
    assert yield_from_price(SETTLE, DATES, FLOWS, 100.0) == pytest.approx(0.05, abs=1e-12)


def test_two_payment_bond_durations_by_hand() -> None:
    pv1, pv2 = 55 / 1.05, 52.5 / 1.05**2  # 52.380952, 47.619048
    hand_macaulay = (1 * pv1 + 2 * pv2) / (pv1 + pv2)  # 1.476190
    mac = macaulay_duration(SETTLE, DATES, FLOWS, 0.05)
    assert mac == pytest.approx(hand_macaulay, abs=1e-12)
    assert round(mac, 6) == 1.476190
    assert modified_duration(mac, 0.05) == pytest.approx(hand_macaulay / 1.05)
    assert round(modified_duration(mac, 0.05), 6) == 1.405896


def test_yield_and_price_round_trip() -> None:
    y = yield_from_price(SETTLE, DATES, FLOWS, 98.5)
    assert y > 0.05
    assert present_value(SETTLE, DATES, FLOWS, y) == pytest.approx(98.5, abs=1e-9)


def test_flows_on_or_before_settlement_are_ignored() -> None:
    dates = [date(2024, 12, 1), SETTLE, *DATES]
    principal = [Decimal(10), Decimal(10), *PRINCIPAL]
    assert wal(SETTLE, dates, principal) == pytest.approx(1.5)


def test_wal_needs_principal_after_settlement() -> None:
    with pytest.raises(ValueError, match="WAL undefined"):
        wal(SETTLE, DATES, [0, 0])


def test_curve_interpolates_linearly_and_is_flat_beyond_its_ends() -> None:
    curve = Curve((1.0, 2.0, 5.0), (0.014, 0.015, 0.018))
    assert curve.rate_at(1.5) == pytest.approx(0.0145)
    assert curve.rate_at(3.5) == pytest.approx(0.0165)
    assert curve.rate_at(0.25) == pytest.approx(0.014)
    assert curve.rate_at(30.0) == pytest.approx(0.018)
    assert spread_bp(0.0200, curve, 1.5) == pytest.approx(55.0)


def test_curve_tenors_must_increase() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        Curve((1.0, 1.0), (0.01, 0.02))


def test_analyse_prices_at_par_by_default_and_below_par_on_request() -> None:
    curve = Curve((1.0, 2.0), (0.03, 0.04))
    at_par = analyse(SETTLE, DATES, PRINCIPAL, FLOWS, curve=curve)
    assert at_par.wal_years == pytest.approx(1.5)
    assert at_par.yield_ == pytest.approx(0.05)
    assert at_par.spread_bp == pytest.approx((0.05 - 0.035) * 1e4)
    discount = analyse(SETTLE, DATES, PRINCIPAL, FLOWS, price_per_100=99.0)
    assert discount.yield_ > at_par.yield_
    assert discount.spread_bp is None
