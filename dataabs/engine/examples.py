"""Example engine deals: the demo deal of domain.md §3 (modelled on 华鑫-鑫欣 phase 1) and its stress scenarios.

The lead builds the same deal from ``config/deals/<id>/deal.yaml``; ``demo_deal()`` is the reference it is
compared with. Senior principal passes the pool's principal collections through sequentially, which gives the
published schedule 26.74m / 40.11m / 60.15m.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from dataabs.calendar import add_months
from dataabs.engine.model import (
    AssetTape,
    CreditSupport,
    Deal,
    Fee,
    Pool,
    Scenario,
    Step,
    Taxes,
    Tranche,
    Trigger,
)

DEMO_PRINCIPALS = (25.0, 20.0, 16.0, 14.7, 13.0, 12.0, 11.0, 11.0, 11.0)
DEMO_DATA_PLEDGED = (True, True, True, False, True, True, True, True, True)


def quarterly_dates(first: date, last: date) -> tuple[date, ...]:
    """Every third month from ``first`` to ``last`` inclusive."""
    dates = [first]
    while dates[-1] < last:
        dates.append(add_months(first, 3 * len(dates)))
    return tuple(dates)


def demo_pool() -> Pool:
    """The nine data-pledged trust loans (信托贷款) of the demo deal, each under a bank guarantee (保函)."""
    count = len(DEMO_PRINCIPALS)
    dates = quarterly_dates(date(2025, 9, 20), date(2027, 6, 20))
    schedule = np.zeros(len(dates))
    for day, share in ((date(2026, 6, 20), 0.2), (date(2026, 12, 20), 0.3), (date(2027, 6, 20), 0.5)):
        schedule[dates.index(day)] = share
    tape = AssetTape(
        asset_id=np.asarray([f"L{i + 1:02d}" for i in range(count)]),
        obligor=np.asarray([f"B{i + 1:02d}" for i in range(count)]),
        balance=np.asarray(DEMO_PRINCIPALS) * 1e6,
        rate=np.full(count, 0.038),
        dates=dates,
        accrual_start=date(2025, 6, 20),
        kind="loan",
        amortisation="schedule",
        day_count="ACT/365",
        schedule=schedule,
        guarantee="bank_guarantee",
        data_pledged=np.asarray(DEMO_DATA_PLEDGED),
    )
    return Pool(tapes=(tape,))


def demo_waterfall() -> tuple[Step, ...]:
    """Priority of payments of the demo deal; after acceleration the same order pays senior principal to zero."""
    return (
        Step("tax", "vat"),
        Step("tax", "surtax"),
        Step("fee", "management"),
        Step("fee", "custody"),
        Step("fee", "servicing"),
        Step("fee", "rating"),
        Step("interest", "A"),
        Step("principal", "A"),
        Step("principal", "SUB"),
        Step("subordinate_return", "SUB"),
        Step("residual", "SUB"),
    )


def demo_deal() -> Deal:
    """The demo deal (domain.md §3): senior A ¥127.0m at 2.00%, subordinate ¥6.7m, 9 loans of ¥133.7m."""
    expected = date(2027, 7, 26)
    return Deal(
        id="demo-xinxin-1",
        cut_off_date=date(2025, 6, 30),
        closing_date=date(2025, 7, 28),
        payment_dates=quarterly_dates(date(2025, 10, 26), date(2028, 7, 26)),
        tranches=(
            Tranche(
                "A", 1, Decimal("127000000.00"), Decimal("0.02"), "ACT/365F", "sequential", "senior", expected
            ),
            Tranche(
                "SUB", 2, Decimal("6700000.00"), Decimal(0), "ACT/365F", "sequential", "subordinate", expected
            ),
        ),
        fees=(
            Fee("management", "senior_balance", Decimal("0.0010"), "ACT/365F"),
            Fee("custody", "senior_balance", Decimal("0.0001"), "ACT/365F"),
            Fee("servicing", "pool_balance", Decimal("0.0005"), "ACT/365F"),
            Fee("rating", "fixed", fixed_amount=Decimal("100000.00"), months=(7,)),
        ),
        taxes=Taxes(vat_rate=Decimal("0.03"), surtax_rate=Decimal("0.12"), vat_inclusive=True),
        supports=(CreditSupport("bank_guarantee", "asset_guarantee", "bank", delay_days=30),),
        waterfall=demo_waterfall(),
        acceleration_waterfall=demo_waterfall(),
        triggers=(
            Trigger("cumulative_default", "cumulative_default_rate", ">", Decimal("0.10"), "accelerate"),
            Trigger(
                "senior_interest_default", "senior_interest_shortfall", ">", Decimal(0), "event_of_default"
            ),
            Trigger(
                "data_collateral", "data_collateral_event", ">=", Decimal(1), "disclosure", cure_periods=1
            ),
            Trigger("rating_downgrade", "rating_downgrade", ">=", Decimal(1), "disclosure", cure_periods=1),
            Trigger("clean_up", "pool_factor", "<=", Decimal("0.10"), "clean_up"),
        ),
        pool=demo_pool(),
    )


def demo_stress(name: str) -> Scenario:
    """Named stress scenarios of the demo deal (domain.md §3)."""
    first_default = date(2025, 9, 20)
    scenarios = {
        "base": Scenario(),
        "largest_defaults_guarantee_pays": Scenario(name=name, obligor_defaults={"B01": first_default}),
        "two_defaults_guarantor_fails": Scenario(
            name=name,
            obligor_defaults={"B01": first_default, "B02": first_default},
            all_supports_fail=True,
            data_recovery_rate=0.20,
            data_recovery_lag_months=12,
        ),
    }
    return scenarios[name]
