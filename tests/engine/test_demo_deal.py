"""The demo deal (domain.md §3): senior schedule to the fen, exact distributions, and the two-default stress."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dataabs.engine.examples import demo_deal, demo_stress
from dataabs.engine.run import run_deal
from dataabs.engine.waterfall import WaterfallResult

D = Decimal
EXPECTED_A = [
    # payment date, opening balance, interest, principal, closing balance
    (date(2025, 10, 26), D("127000000.00"), D("626301.37"), D("0.00"), D("127000000.00")),
    (date(2026, 1, 26), D("127000000.00"), D("640219.18"), D("0.00"), D("127000000.00")),
    (date(2026, 4, 26), D("127000000.00"), D("626301.37"), D("0.00"), D("127000000.00")),
    (date(2026, 7, 26), D("127000000.00"), D("633260.27"), D("26740000.00"), D("100260000.00")),
    (date(2026, 10, 26), D("100260000.00"), D("505420.27"), D("0.00"), D("100260000.00")),
    (date(2027, 1, 26), D("100260000.00"), D("505420.27"), D("40110000.00"), D("60150000.00")),
    (date(2027, 4, 26), D("60150000.00"), D("296630.14"), D("0.00"), D("60150000.00")),
    (date(2027, 7, 26), D("60150000.00"), D("299926.03"), D("60150000.00"), D("0.00")),
]


@pytest.fixture(scope="module")
def base() -> WaterfallResult:
    """The demo deal's base case."""
    return run_deal(demo_deal())


def test_senior_schedule_to_the_fen(base: WaterfallResult) -> None:
    """Senior A pays exactly the published schedule and is repaid at expected maturity."""
    rows = [tuple(r) for r in base.schedule("A").drop(columns="tranche_id").itertuples(index=False)]
    assert rows == EXPECTED_A
    assert all(isinstance(v, Decimal) for row in rows for v in row[1:])


def test_subordinate_repaid_from_last_principal(base: WaterfallResult) -> None:
    """The last 50% instalment (66.85m) repays A's 60.15m and the subordinate's 6.70m."""
    sub = base.schedule("SUB")
    assert sub["principal"].tolist()[-1] == D("6700000.00")
    assert sub["closing_balance"].tolist()[-1] == D("0.00")
    assert base.period_count == 8


def test_first_period_collections_and_costs(base: WaterfallResult) -> None:
    """First period: 92 days of 3.80% on 133.7m, 3% VAT inside it, 12% surtax, fees on 90 days."""
    first = base.distribution_lines(date(2025, 10, 26)).set_index("payee")["paid"]
    assert base.pool["interest"].iloc[0] == D("1280589.59")
    assert first["vat"] == D("37298.73")  # 1,280,589.59 × 3 / 103
    assert first["surtax"] == D("4475.85")
    assert first["management"] == D("31315.07")  # 127m × 0.10% × 90/365
    assert first["custody"] == D("3131.51")
    assert first["servicing"] == D("16483.56")  # 133.7m × 0.05% × 90/365
    assert first["rating"] == D("0.00")
    july = base.distribution_lines(date(2026, 7, 26)).set_index("payee")["paid"]
    assert july["rating"] == D("100000.00")


def test_distribution_is_exact_every_period(base: WaterfallResult) -> None:
    """Σ paid lines + carry-forward equals available funds to the fen in every period."""
    paid = base.distribution.groupby("payment_date")["paid"].sum()
    for row in base.periods.itertuples():
        assert paid[row.payment_date] + row.carry_out == row.available
        assert row.available == row.collected + row.carry_in + row.reserve_draw + row.support_draw
    assert list(base.distribution_lines(date(2026, 7, 26)).columns) == [
        "seq",
        "step",
        "payee",
        "due",
        "paid",
        "shortfall",
    ]


def test_two_defaults_guarantor_fails_reaches_event_of_default() -> None:
    """Two largest obligors default, the guarantor fails, 20% data recovery after 12 months: the cumulative
    default trigger accelerates, the pool runs dry and unpaid senior interest is an event of default."""
    result = run_deal(demo_deal(), demo_stress("two_defaults_guarantor_fails"))
    status = result.periods.set_index("payment_date")["status"]
    assert status[date(2025, 10, 26)] == "normal"
    assert status[date(2026, 1, 26)] == "accelerated"
    assert status[date(2028, 1, 26)] == "event_of_default"
    assert result.pool["recoveries"].sum() == D("9000000.00")  # 20% of 45m, 12 months after 2025-09-20
    triggers = result.triggers
    fired = triggers[(triggers["trigger_id"] == "senior_interest_default") & triggers["fired"]]
    assert fired["payment_date"].iloc[0] == date(2027, 10, 26)
    assert fired["value"].iloc[0] == pytest.approx(145591.65)
    # after acceleration all funds beyond interest and costs go to senior principal; nothing reaches SUB
    a = result.schedule("A")
    accelerated = a[a["payment_date"] >= date(2026, 1, 26)]
    lines = result.distribution
    after = lines[lines["payment_date"] >= date(2026, 1, 26)]
    assert after.loc[after["payee"] == "SUB", "paid"].sum() == D(0)
    assert accelerated["principal"].sum() == D("127000000.00") - a["closing_balance"].iloc[-1]
    assert a["closing_balance"].iloc[-1] == D("28880951.94")


def test_guaranteed_default_repays_senior_early() -> None:
    """The largest obligor defaults and the bank guarantee pays 30 days later: senior loses nothing."""
    result = run_deal(demo_deal(), demo_stress("largest_defaults_guarantee_pays"))
    assert result.pool["guarantee"].iloc[0] == D("25239452.05")  # 25m + 92 days of 3.80% interest
    assert result.schedule("A")["closing_balance"].iloc[-1] == D("0.00")
