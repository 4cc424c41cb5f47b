"""Asset projection: vectorised level-pay loans against a closed-form reference, and the other asset kinds."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from dataabs.calendar import add_months
from dataabs.engine.model import AssetTape, CreditSupport, Pool, Scenario
from dataabs.engine.projection import collections_by_period, project_pool, project_tape

START = date(2025, 1, 31)


def monthly(count: int) -> tuple[date, ...]:
    """Month-end payment dates after START."""
    return tuple(add_months(START, k + 1) for k in range(count))


def level_pay_tape(n: int, periods: int, seed: int = 7) -> AssetTape:
    """``n`` random level-pay loans (等额本息) on one monthly calendar."""
    rng = np.random.default_rng(seed)
    return AssetTape(
        asset_id=np.asarray([f"L{i}" for i in range(n)]),
        obligor=np.asarray([f"O{i}" for i in range(n)]),
        balance=rng.uniform(1e4, 1e6, n),
        rate=rng.uniform(0.0, 0.12, n),
        dates=monthly(periods),
        accrual_start=START,
        amortisation="level_pay",
        term=rng.integers(1, periods + 1, n),
    )


def test_ten_thousand_level_pay_loans_match_closed_form() -> None:
    """10^4 loans: pool interest, principal and balance equal the textbook annuity formulas summed per loan."""
    tape = level_pay_tape(10_000, 120)
    flows = project_tape(tape, Scenario())
    r = tape.rate / 12
    t = np.arange(121)[:, None]
    n = tape.term[None, :]
    growth_n, growth_t = (1 + r) ** n, (1 + r) ** np.minimum(t, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        annuity = np.where(r > 0, (growth_n - growth_t) / (growth_n - 1), 1 - np.minimum(t, n) / n)
    balances = tape.balance * annuity  # (periods + 1, loans)
    principal = (balances[:-1] - balances[1:]).sum(axis=1)
    interest = (balances[:-1] * r).sum(axis=1)
    np.testing.assert_allclose(flows["scheduled_principal"].to_numpy(), principal, rtol=1e-9, atol=1e-4)
    np.testing.assert_allclose(flows["interest"].to_numpy(), interest, rtol=1e-9, atol=1e-4)
    np.testing.assert_allclose(flows["balance"].to_numpy(), balances[1:].sum(axis=1), rtol=1e-9, atol=1e-3)
    assert flows["balance"].iloc[-1] == pytest.approx(0, abs=1e-3)


def test_prepayment_and_default_follow_a_loan_by_loan_loop() -> None:
    """CPR and CDR on a few loans equal a plain per-loan loop with the same conventions."""
    tape = level_pay_tape(5, 24, seed=3)
    scenario = Scenario(cdr=0.05, cpr=0.10, recovery_rate=0.4, recovery_lag_months=0)
    flows = project_tape(tape, scenario)
    bounds = [START, *tape.dates]
    fractions = [(b - a).days / 365 for a, b in itertools.pairwise(bounds)]
    totals = np.zeros((24, 3))
    for b, rate, term in zip(tape.balance, tape.rate, tape.term, strict=True):
        r = rate / 12
        payment = b * r / (1 - (1 + r) ** -term) if r else b / term
        for k in range(24):
            smm, mdr = 1 - 0.9 ** fractions[k], 1 - 0.95 ** fractions[k]
            default = b * mdr
            b -= default
            payment *= 1 - mdr
            interest = b * r
            principal = min(payment - interest, b)
            b -= principal
            prepaid = b * smm
            b -= prepaid
            payment *= 1 - smm
            totals[k] += (interest, principal + prepaid, default)
    periods = flows.loc[list(tape.dates)]
    np.testing.assert_allclose(periods["interest"], totals[:, 0], rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(
        periods["scheduled_principal"] + periods["prepayment"], totals[:, 1], rtol=1e-10, atol=1e-6
    )
    np.testing.assert_allclose(periods["default"], totals[:, 2], rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(periods["recovery"], 0.4 * totals[:, 2], rtol=1e-10, atol=1e-6)


def test_receivables_leases_and_revenue_rights() -> None:
    """Receivables pay once net of dilution; leases pay level rent; revenue rights decay with churn."""
    dates = monthly(6)
    ids = np.asarray(["a", "b"])
    receivables = AssetTape(
        ids,
        ids,
        np.asarray([100.0, 200.0]),
        np.zeros(2),
        dates,
        START,
        "receivable",
        "bullet",
        term=np.asarray([2, 4]),
        dilution=0.05,
    )
    leases = AssetTape(
        ids,
        ids,
        np.asarray([600.0, 300.0]),
        np.zeros(2),
        dates,
        START,
        "lease",
        "equal_principal",
        term=np.asarray([6, 3]),
    )
    cash = np.asarray([[10.0, 10, 10, 10, 10, 10], [5, 5, 5, 5, 5, 5]])
    revenue = AssetTape(
        ids, ids, cash.sum(axis=1), np.zeros(2), dates, START, "revenue", "schedule", schedule=cash, churn=0.0
    )
    flows = project_pool(Pool((receivables, leases, revenue)), Scenario(churn=None))
    principal = flows["scheduled_principal"].to_numpy()
    np.testing.assert_allclose(
        principal, [100 + 100 + 15, 100 + 95 + 100 + 15, 100 + 100 + 15, 100 + 190 + 15, 100 + 15, 100 + 15]
    )
    assert flows["dilution"].sum() == pytest.approx(15)
    churned = project_tape(revenue, Scenario(churn=0.12))
    assert churned["scheduled_principal"].iloc[-1] < 15 * 0.99
    assert churned["balance"].iloc[-1] == pytest.approx(0, abs=1e-9)


def test_guarantee_pays_after_delay_and_collections_are_fen() -> None:
    """A named default on a guaranteed loan is paid by the guarantor 30 days later, into that period."""
    dates = monthly(3)
    tape = AssetTape(
        np.asarray(["x", "y"]),
        np.asarray(["X", "Y"]),
        np.asarray([1000.0, 1000.0]),
        np.full(2, 0.0365),
        dates,
        START,
        amortisation="bullet",
        day_count="ACT/365",
        guarantee="g",
    )
    support = CreditSupport("g", delay_days=30)
    flows = project_pool(Pool((tape,)), Scenario(obligor_defaults={"X": date(2025, 2, 10)}), (support,))
    paid_on = dates[0].replace(day=dates[0].day) + (date(2025, 3, 30) - dates[0])
    assert flows.loc[paid_on, "guarantee_principal"] == pytest.approx(1000)
    assert flows.loc[paid_on, "guarantee_interest"] == pytest.approx(1000 * 0.0365 * 28 / 365)
    collections = collections_by_period(flows, dates, START, 2000.0)
    assert sum(c.guarantee_principal for c in collections) == 1000
    assert collections[1].guarantee_interest == Decimal("2.80")
    assert str(collections[0].interest) == "2.80"
