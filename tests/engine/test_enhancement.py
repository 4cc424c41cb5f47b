"""Credit-enhancement metrics, sizing by bisection, first loss and exact integer interest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dataabs.calendar import accrued_interest, day_count_days
from dataabs.engine.enhancement import (
    check_size,
    first_loss,
    life_coverage,
    pool_shares,
    size_senior,
    standard_stresses,
    subordination,
)
from dataabs.engine.examples import demo_deal
from dataabs.engine.model import Scenario
from dataabs.engine.run import project_collections, run_deal
from dataabs.engine.waterfall import _muldiv_exact


def test_demo_metrics() -> None:
    """Demo deal: 5.01% subordination, 89.0% data-pledged, fully guaranteed, life coverage 1.077×."""
    deal = demo_deal()
    assert subordination(deal)["A"] == pytest.approx(6.7 / 133.7)
    shares = pool_shares(deal)
    assert shares["data_pledge_share"] == pytest.approx(119.0 / 133.7)
    assert shares["guarantee_coverage"] == 1.0
    assert life_coverage(deal, run_deal(deal)) == pytest.approx(1.0773, abs=1e-4)


def test_sizing_is_the_largest_passing_senior() -> None:
    """Sizing meets every criterion at the solution and fails at a 0.1% larger senior, in ≤ 40 evaluations."""
    deal = demo_deal()
    stresses = standard_stresses(deal)
    result = size_senior(deal, stresses, base_coverage=1.20, stressed_coverage=1.10)
    assert result.evaluations <= 40
    base = (Scenario(), project_collections(deal, Scenario()))
    projected = [(s, project_collections(deal, s)) for s in stresses]
    at = check_size(deal, result.size, base, projected, 1.20, 1.10)
    above = check_size(deal, result.size * Decimal("1.001"), base, projected, 1.20, 1.10)
    assert (
        at.passed and at.base_coverage >= 1.20 and at.worst_stressed_coverage >= 1.10 and at.senior_loss == 0
    )
    assert not above.passed
    assert Decimal(100_000_000) < result.size < Decimal(127_000_000)


def test_first_loss_multiple() -> None:
    """Without the guarantee, the subordinate loses before the senior as the default multiple grows."""
    deal = demo_deal()
    base = Scenario(cdr=0.01, all_supports_fail=True)
    sub = first_loss(deal, "SUB", base, tolerance=0.05)
    senior = first_loss(deal, "A", base, tolerance=0.05)
    assert sub is not None and senior is not None and sub < senior
    assert first_loss(deal, "A", Scenario(cdr=0.01)) is None  # the bank guarantee pays every default


@pytest.mark.parametrize("basis", ["ACT/365F", "ACT/360", "30/360"])
def test_integer_fen_interest_equals_decimal(basis: str) -> None:
    """The waterfall's integer-fen interest equals calendar.accrued_interest on Decimals, half-up."""
    start, end = date(2025, 7, 28), date(2025, 10, 26)
    for fen in (1, 5, 12_700_000_000, 98_765_432_1, 3):
        for rate in (Decimal("0.02"), Decimal("0.0375"), Decimal("0.001"), Decimal("0.12345")):
            num, den = rate.as_integer_ratio()
            days = day_count_days(start, end, basis)  # type: ignore[arg-type]
            base = 360 if basis != "ACT/365F" else 365
            exact = accrued_interest(Decimal(fen) / 100, rate, start, end, basis)  # type: ignore[arg-type]
            assert Decimal(_muldiv_exact(fen, num * days, den * base)) / 100 == exact
