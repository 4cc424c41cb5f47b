"""deal.yaml → engine mapping (dataabs.engine.from_deal): the demo package reproduces the reference demo deal."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dataabs.engine.examples import demo_deal
from dataabs.engine.from_deal import METRIC_MAP, engine_deal, guarantee_cover, payment_dates
from dataabs.engine.run import run_deal
from dataabs.errors import PackageInvalid
from dataabs.package import load_package
from tests.conftest import DEMO_DIR

# Senior A of the demo (domain.md §3): payment date → (interest, principal, closing balance), to the fen.
SENIOR_A = {
    "2025-10-26": ("626301.37", "0.00", "127000000.00"),
    "2026-01-26": ("640219.18", "0.00", "127000000.00"),
    "2026-04-26": ("626301.37", "0.00", "127000000.00"),
    "2026-07-26": ("633260.27", "26740000.00", "100260000.00"),
    "2026-10-26": ("505420.27", "0.00", "100260000.00"),
    "2027-01-26": ("505420.27", "40110000.00", "60150000.00"),
    "2027-04-26": ("296630.14", "0.00", "60150000.00"),
    "2027-07-26": ("299926.03", "60150000.00", "0.00"),
}


@pytest.fixture(scope="module")
def demo_package():  # type: ignore[no-untyped-def]
    return load_package(DEMO_DIR)


def test_demo_package_gives_the_senior_schedule_to_the_fen(demo_package) -> None:  # type: ignore[no-untyped-def]
    schedule = run_deal(engine_deal(demo_package)).schedule("A")
    got = {
        str(r.payment_date): (str(r.interest), str(r.principal), str(r.closing_balance))
        for r in schedule.itertuples(index=False)
        if str(r.payment_date) in SENIOR_A
    }
    assert got == SENIOR_A


def test_demo_package_matches_the_reference_engine_deal(demo_package) -> None:  # type: ignore[no-untyped-def]
    built, reference = engine_deal(demo_package), demo_deal()
    assert built.payment_dates == reference.payment_dates
    assert [(t.size, t.coupon, t.seniority, t.kind) for t in built.tranches] == [
        (t.size, t.coupon, t.seniority, t.kind) for t in reference.tranches
    ]
    assert built.pool is not None and reference.pool is not None
    assert built.pool.principal() == pytest.approx(reference.pool.principal())
    columns = ["payment_date", "opening_balance", "interest", "principal", "closing_balance"]
    mine, theirs = run_deal(built).schedule("A")[columns], run_deal(reference).schedule("A")[columns]
    # The reference stops once both classes are repaid; deal.yaml's normal waterfall has no B principal step.
    pd.testing.assert_frame_equal(
        mine.head(len(theirs)).reset_index(drop=True), theirs.reset_index(drop=True)
    )


def test_conservation_holds_on_the_mapped_deal(demo_package) -> None:  # type: ignore[no-untyped-def]
    result = run_deal(engine_deal(demo_package))
    periods = result.periods
    for row in periods.itertuples(index=False):
        assert Decimal(row.paid) + Decimal(row.carry_out) == Decimal(row.available)
    lines = result.distribution.groupby("payment_date")["paid"].apply(lambda s: sum(Decimal(v) for v in s))
    for row in periods.itertuples(index=False):
        assert lines.get(row.payment_date, Decimal(0)) == Decimal(row.paid)


def test_each_guarantee_covers_its_loan_principal_plus_interest(demo_package) -> None:  # type: ignore[no-untyped-def]
    cover = guarantee_cover(demo_package)
    assert len(cover) == 9
    assert all(Decimal(a) >= d for a, d in zip(cover["amount"], cover["dues"], strict=True))


def test_ltv_trigger_maps_onto_the_data_collateral_event(demo_package) -> None:  # type: ignore[no-untyped-def]
    trigger = next(t for t in engine_deal(demo_package).triggers if t.id == "data-collateral-ltv")
    assert (trigger.metric, trigger.operator, trigger.threshold) == ("data_collateral_event", ">=", 1)
    assert METRIC_MAP["ltv"] == "data_collateral_event"


def test_unknown_trigger_metric_names_deal_yaml_and_the_key(tmp_path: Path) -> None:
    deal = yaml.safe_load((DEMO_DIR / "deal.yaml").read_text(encoding="utf-8"))
    deal["triggers"][0]["metric"] = "moon_phase"
    package = load_package(DEMO_DIR)
    bad = package.deal.model_validate(deal)
    object.__setattr__(package, "deal", bad)
    with pytest.raises(PackageInvalid) as failed:
        engine_deal(package)
    text = str(failed.value)
    assert (
        "deal.yaml" in text
        and f"triggers.{deal['triggers'][0]['id']}.metric" in text
        and "moon_phase" in text
    )


def test_payment_dates_follow_the_calendar(demo_package) -> None:  # type: ignore[no-untyped-def]
    dates = payment_dates(demo_package.deal)
    assert dates[0].isoformat() == "2025-10-26" and dates[-1].isoformat() == "2028-07-26" and len(dates) == 12


def test_pool_balance_is_the_exact_tape_total() -> None:
    # A float sum of 10^4 fractional-yuan loans missed by 1e-8 yuan and blocked the issuance gate (benchmark run).
    from dataclasses import replace
    from decimal import Decimal

    from dataabs.engine.from_deal import engine_deal
    from dataabs.package import load_package
    from dataabs.settings import REPO_ROOT

    package = load_package(REPO_ROOT / "config" / "deals" / "demo")
    assets = package.assets.copy()
    assets["principal"] = [p + Decimal("0.01") * (i + 1) for i, p in enumerate(assets["principal"])]
    schedules = package.schedules.copy()
    for asset_id, principal in zip(assets["asset_id"], assets["principal"], strict=True):
        last = schedules.index[schedules["asset_id"] == asset_id][-1]
        schedules.loc[last, "principal_due"] += (
            principal - package.assets.set_index("asset_id").loc[asset_id, "principal"]
        )
    changed = replace(package, tapes={**package.tapes, "assets": assets, "schedules": schedules})
    balance = engine_deal(changed).pool_balance()
    assert isinstance(balance, Decimal)
    assert balance == sum(assets["principal"], Decimal(0)) == Decimal("133700000.45")
