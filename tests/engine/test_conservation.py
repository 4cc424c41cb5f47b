"""Property: over random deals and collections every period distributes exactly its available funds."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataabs.calendar import add_months
from dataabs.engine.examples import demo_deal
from dataabs.engine.model import (
    CreditSupport,
    Deal,
    Fee,
    PeriodCollections,
    ReserveAccount,
    Scenario,
    Step,
    Tranche,
    Trigger,
)
from dataabs.engine.run import run_deal
from dataabs.engine.waterfall import WaterfallResult, run_waterfall

CLOSING = date(2025, 1, 15)
money = st.integers(min_value=0, max_value=5_000_000_00).map(lambda fen: Decimal(fen).scaleb(-2))
rates = st.integers(min_value=0, max_value=800).map(lambda bp: Decimal(bp).scaleb(-4))


@st.composite
def random_deals(draw: st.DrawFn) -> tuple[Deal, list[PeriodCollections]]:
    """A deal of 2–4 tranches, fees, a reserve, a shortfall undertaking and triggers, with random collections."""
    count = draw(st.integers(2, 4))
    kinds = ["senior"] * (count - 1) + ["subordinate"]
    amortisation = draw(
        st.lists(st.sampled_from(["sequential", "pro_rata", "scheduled"]), min_size=count, max_size=count)
    )
    periods = draw(st.integers(1, 12))
    dates = tuple(add_months(CLOSING, 3 * (k + 1)) for k in range(periods))
    tranches = tuple(
        Tranche(
            id=f"T{j}",
            seniority=min(j + 1, draw(st.integers(1, j + 1))),
            size=draw(money),
            coupon=draw(rates),
            day_count=draw(st.sampled_from(["ACT/365F", "ACT/360", "30/360"])),
            amortisation=amortisation[j],
            kind=kinds[j],
            schedule={d: draw(money) for d in dates if draw(st.booleans())},
        )
        for j in range(count)
    )
    fees = (
        Fee("management", "senior_balance", draw(rates)),
        Fee("servicing", "pool_balance", draw(rates), "ACT/360", cap=draw(st.none() | money)),
        Fee("tranche_fee", "tranche:T0", draw(rates)),
        Fee("rating", "fixed", fixed_amount=draw(money), months=(1, 4, 7, 10)),
    )
    reserve = ReserveAccount("reserve", target=draw(money), initial_balance=draw(money))
    support = CreditSupport(
        "undertaking",
        "shortfall_undertaking",
        covers=("T0",),
        limit=draw(st.none() | money),
        fails=draw(st.booleans()),
    )
    head = [Step("tax", "vat"), Step("tax", "surtax"), *(Step("fee", f.id) for f in fees)]
    claim = [Step("guarantee_claim", "undertaking")] if draw(st.booleans()) else []
    body = [
        *claim,
        *(Step("interest", t.id) for t in tranches[:-1]),
        *(Step("principal", t.id) for t in tranches),
    ]
    tail = [Step("reserve", "reserve"), Step("subordinate_return", tranches[-1].id)]
    residual = [Step("residual", tranches[-1].id)] if draw(st.booleans()) else []
    pool = Decimal(sum(t.size for t in tranches)) + draw(money)
    deal = Deal(
        id="random",
        cut_off_date=CLOSING,
        closing_date=CLOSING,
        payment_dates=dates,
        tranches=tranches,
        waterfall=tuple(head + body + tail + residual),
        acceleration_waterfall=tuple(head + body + residual),
        fees=fees,
        reserves=(reserve,),
        supports=(support,),
        triggers=(
            Trigger(
                "cdr",
                "cumulative_default_rate",
                ">",
                draw(rates) * 10,
                "accelerate",
                cure_periods=draw(st.integers(0, 2)),
            ),
            Trigger("eod", "senior_interest_shortfall", ">", Decimal(0), "event_of_default"),
            Trigger(
                "cover", "coverage", "<", Decimal("1.0"), "disclosure", cure_periods=1, periods_to_fire=2
            ),
            Trigger("call", "pool_factor", "<=", Decimal("0.1"), "clean_up"),
        ),
        initial_pool_balance=pool,
    )
    collections, balance, cumulative = [], pool, Decimal(0)
    for day in dates:
        principal, defaults = min(draw(money), balance), draw(money)
        defaults = min(defaults, balance - principal)
        balance -= principal + defaults
        cumulative += defaults
        collections.append(
            PeriodCollections(
                day, interest=draw(money), principal=principal, recoveries=draw(money), guarantee_principal=draw(money),
                defaults=defaults, cumulative_defaults=cumulative, pool_balance=balance,
                data_collateral_event=draw(st.booleans()),
            )
        )  # fmt: skip
    return deal, collections


def assert_conserved(deal: Deal, result: WaterfallResult) -> None:
    """Exact conservation, no negative balances, balances fall only by paid principal."""
    lines = result.distribution
    for row in result.periods.itertuples():
        period = lines[lines["payment_date"] == row.payment_date]
        assert period["paid"].sum() + row.carry_out == row.available
        assert row.available == row.collected + row.carry_in + row.reserve_draw + row.support_draw
        assert row.carry_out >= 0
        assert (period["paid"] >= 0).all() and (period["paid"] <= period["due"]).all()
        assert all(v == v.quantize(Decimal("0.01")) for v in period["paid"])
    tranches = result.tranches
    assert (tranches["closing_balance"] >= 0).all()
    assert (tranches["opening_balance"] - tranches["principal"] == tranches["closing_balance"]).all()
    for tranche in deal.tranches:
        rows = tranches[tranches["tranche_id"] == tranche.id]
        opening = rows["opening_balance"].tolist()
        assert opening[:1] == ([tranche.size] if result.period_count else [])
        assert opening[1:] == rows["closing_balance"].tolist()[:-1]
    accounts = result.accounts
    assert (accounts["closing"] >= 0).all()
    assert (accounts["opening"] + accounts["inflow"] - accounts["outflow"] == accounts["closing"]).all()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_deals())
def test_random_deals_conserve_cash(case: tuple[Deal, list[PeriodCollections]]) -> None:
    """Random deals fed actual-style collections distribute exactly and keep balances consistent."""
    deal, collections = case
    assert_conserved(deal, run_waterfall(deal, collections))


scenarios = st.builds(
    Scenario,
    cdr=st.floats(0, 0.5),
    cpr=st.floats(0, 0.5),
    recovery_rate=st.floats(0, 1),
    data_recovery_rate=st.floats(0, 0.3),
    data_recovery_lag_months=st.integers(0, 36),
    obligor_defaults=st.dictionaries(
        st.sampled_from([f"B{i:02d}" for i in range(1, 10)]),
        st.dates(date(2025, 7, 1), date(2027, 7, 1)),
        max_size=3,
    ),
    all_supports_fail=st.booleans(),
    delinquency_rate=st.floats(0, 0.3),
    asset_rate_shift=st.floats(-0.03, 0.03),
    coupon_shift=st.integers(-100, 300).map(lambda bp: Decimal(bp).scaleb(-4)),
)


@settings(max_examples=60, deadline=None)
@given(scenarios, st.integers(0, 5_000_000_00))
def test_demo_deal_under_random_scenarios_conserves_cash(scenario: Scenario, reserve_fen: int) -> None:
    """The demo deal with a reserve, projected under random scenarios, distributes exactly."""
    base = demo_deal()
    reserve = ReserveAccount("reserve", target=Decimal(reserve_fen).scaleb(-2))
    waterfall = (*base.waterfall[:8], Step("reserve", "reserve"), *base.waterfall[8:])
    deal = replace(base, reserves=(reserve,), waterfall=waterfall)
    assert_conserved(deal, run_deal(deal, scenario))
