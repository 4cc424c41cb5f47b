"""Servicing periods on real parts: the sandbox bank over HTTP, the Prefect test server, GX gates, both ledgers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import yaml
from sqlmodel import func, select

from dataabs.engine.from_deal import engine_deal
from dataabs.engine.run import run_deal
from dataabs.errors import LedgerError
from dataabs.ledger.audit import verify_audit_chain
from dataabs.ledger.db import get_engine, session_scope
from dataabs.ledger.models import (
    AuditEvent,
    CollateralEvent,
    Collection,
    DisclosureEvent,
    DistributionLine,
    DistributionPeriod,
    ServicingClaim,
)
from dataabs.package import load_package
from dataabs.valuation import appraise, load_valuation
from flows.lifecycle import lifecycle
from flows.servicing import close_periods, servicing
from flows.surveillance import surveillance
from tests.flows.lifecycle_helpers import id_number
from tests.flows.servicing_helpers import (
    DEMO_DIR,
    claims_of,
    deal_copy,
    guarantee_receipts,
    issue,
    line,
    report,
    scenario_seed,
    seed_bank,
)

D = date
SENIOR = {  # interest and principal of senior A per payment date, from the issuance schedule
    D(2025, 10, 26): ("626301.37", "0.00"),
    D(2026, 1, 26): ("640219.18", "0.00"),
    D(2026, 4, 26): ("626301.37", "0.00"),
    D(2026, 7, 26): ("633260.27", "26740000.00"),
    D(2026, 10, 26): ("505420.27", "0.00"),
    D(2027, 1, 26): ("505420.27", "40110000.00"),
    D(2027, 4, 26): ("296630.14", "0.00"),
    D(2027, 7, 26): ("299926.03", "60150000.00"),
}
LAST = D(2027, 7, 26)
FILES = (
    "distribution.csv",
    "triggers.csv",
    "collections.csv",
    "reconciliation.csv",
    "suspense.csv",
    "claims.csv",
    "servicer_report.html",
    "servicer_report.xlsx",
    "distribution_report.html",
    "distribution_report.xlsx",
)


def count(model: Any, deal_id: str, **where: Any) -> int:
    """Rows of a ledger table for one deal (and optional column values)."""
    with session_scope(get_engine()) as session:
        query = select(func.count()).select_from(model).where(model.deal_id == deal_id)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(session.exec(query).one())


@pytest.fixture(scope="module")
def base_deal(
    module_ledger: str, prefect_server: str, sandbox: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path, list[dict[str, Any]]]]:
    """The demo deal issued and served through all eight periods to 2027-07-26 from the sandbox bank."""
    root = tmp_path_factory.mktemp("deals")
    deal = deal_copy(root, "demo-svc")
    seed_bank(sandbox, deal, scenario_seed(deal))
    out = root / "out"
    # Issued for real: the six lifecycle stages, whose issuance stage records the tranches servicing starts from.
    lifecycle(deal_dir=str(deal), out_dir=str(out), counterparties={"registry": sandbox, "curve": sandbox})
    results = close_periods("demo-svc", LAST, out_dir=str(out), counterparties={"bank": sandbox})
    yield deal, out, results


def test_base_case_pays_the_issuance_schedule_to_the_fen(
    base_deal: tuple[Path, Path, list[dict[str, Any]]],
) -> None:
    deal, out, results = base_deal
    assert [r["payment_date"] for r in results] == [d.isoformat() for d in SENIOR]
    assert all(r["status"] == "distributed" and r["deal_status"] == "normal" for r in results)
    projected = run_deal(engine_deal(load_package(deal))).schedule("A")
    for day, (interest, principal) in SENIOR.items():
        lines = report(out, "demo-svc", day, "distribution.csv")
        assert list(lines.columns) == ["seq", "step", "payee", "due", "paid", "shortfall"]
        assert line(lines, "interest", "A") == Decimal(interest), day
        assert line(lines, "principal", "A") == Decimal(principal), day
        expected = projected[projected["payment_date"] == day].iloc[0]
        assert (line(lines, "interest", "A"), line(lines, "principal", "A")) == (
            expected["interest"],
            expected["principal"],
        )
        assert (lines["shortfall"].map(Decimal) == 0).all()
        for name in FILES:
            assert (out / "demo-svc" / "servicing" / day.isoformat() / name).is_file(), (day, name)
        gate = json.loads(
            (out / "demo-svc" / "gates" / f"servicing-{day.isoformat()}.json").read_text("utf-8")
        )
        assert gate["success"] is True and gate["failed_critical"] == 0
    tranches = report(out, "demo-svc", LAST, "tranches.csv")
    assert Decimal(tranches.loc[tranches["tranche_id"] == "A", "closing_balance"].iloc[0]) == 0
    assert count(DistributionPeriod, "demo-svc") == 8
    assert count(Collection, "demo-svc") == 9 * 8  # every due of the nine loans to 2027-06-20, once each
    html = (out / "demo-svc" / "servicing" / LAST.isoformat() / "distribution_report.html").read_text("utf-8")
    assert "收益分配报告" in html and "Distribution report" in html
    with session_scope(get_engine()) as session:
        assert verify_audit_chain(session, "demo-svc") == []


def test_rerun_of_a_distributed_period_returns_the_stored_result(
    base_deal: tuple[Path, Path, list[dict[str, Any]]], sandbox: str
) -> None:
    _, out, _ = base_deal
    lines, audits = count(DistributionLine, "demo-svc"), count(AuditEvent, "demo-svc")
    again = servicing(deal_id="demo-svc", payment_date=D(2026, 7, 26), out_dir=str(out),
                      counterparties={"bank": sandbox})  # fmt: skip
    assert again["status"] == "already_distributed" and again["paid"] == next(
        r["paid"] for r in base_deal[2] if r["payment_date"] == "2026-07-26"
    )
    assert count(DistributionLine, "demo-svc") == lines and count(AuditEvent, "demo-svc") == audits
    assert close_periods("demo-svc", LAST, out_dir=str(out), counterparties={"bank": sandbox}) == []


def test_reopen_replaces_the_latest_period_and_is_audited(
    base_deal: tuple[Path, Path, list[dict[str, Any]]], sandbox: str
) -> None:
    _, out, results = base_deal
    with pytest.raises(LedgerError, match="later period"):
        servicing(deal_id="demo-svc", payment_date=D(2027, 4, 26), out_dir=str(out), reopen=True,
                  reason="statement corrected", counterparties={"bank": sandbox})  # fmt: skip
    lines = count(DistributionLine, "demo-svc")
    reopened = servicing(deal_id="demo-svc", payment_date=LAST, out_dir=str(out), reopen=True,
                         reason="custodian re-sent the July statement", counterparties={"bank": sandbox})  # fmt: skip
    assert reopened["status"] == "reopened" and reopened["reopened"] == 1
    assert reopened["paid"] == results[-1]["paid"]
    assert count(DistributionLine, "demo-svc") == lines and count(DistributionPeriod, "demo-svc") == 8
    with session_scope(get_engine()) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.deal_id == "demo-svc", AuditEvent.action == "reopen")
        ).one()
        assert event.parameters["reason"] == "custodian re-sent the July statement"
        assert verify_audit_chain(session, "demo-svc") == []
    assert count(ServicingClaim, "demo-svc") == 0


def test_a_period_waits_for_the_earlier_ones(
    base_deal: tuple[Path, Path, list[dict[str, Any]]], sandbox: str, tmp_path: Path
) -> None:
    deal = deal_copy(tmp_path, "demo-order")
    seed_bank(sandbox, deal, scenario_seed(deal))
    issue(deal)
    with pytest.raises(LedgerError, match="dataabs close demo-order --through 2026-01-26"):
        servicing(deal_id="demo-order", payment_date=D(2026, 1, 26), out_dir=str(tmp_path / "out"),
                  counterparties={"bank": sandbox})  # fmt: skip
    assert count(DistributionPeriod, "demo-order") == 0


def frame(out: Path, deal_id: str, day: date, name: str) -> pd.DataFrame:
    """Shorthand of ``report``."""
    return report(out, deal_id, day, name)


# ---------------------------------------------------------------------------------------------- stress cases


def serve_through(deal: Path, out: Path, sandbox: str, through: date) -> list[dict[str, Any]]:
    """Serve a deal copy from its first period to ``through``."""
    deal_id = load_package(deal).deal_id
    return close_periods(deal_id, through, out_dir=str(out), counterparties={"bank": sandbox})


def senior_rows(out: Path, deal_id: str, days: list[date]) -> list[dict[str, str]]:
    """Senior A's tranche statement row per date."""
    rows = []
    for day in days:
        tranches = report(out, deal_id, day, "tranches.csv")
        rows.append(tranches[tranches["tranche_id"] == "A"].iloc[0].to_dict())
    return rows


@pytest.mark.usefixtures("ledger_env", "prefect_server")
def test_largest_obligor_defaults_and_the_guarantee_pays(sandbox: str, tmp_path: Path) -> None:
    deal = deal_copy(tmp_path, "demo-guar")
    defaults = [{"obligor_id": "OB01", "from_date": "2025-09-20"}]
    claims = claims_of(deal, defaults=defaults)
    seed_bank(sandbox, deal, scenario_seed(deal, defaults=defaults, extra=guarantee_receipts(claims)))
    issue(deal)
    out = tmp_path / "out"
    serve_through(deal, out, sandbox, LAST)
    rows = senior_rows(out, "demo-guar", list(SENIOR))
    assert all(Decimal(r["interest_shortfall"]) == 0 for r in rows)  # no senior loss
    assert sum(Decimal(r["principal"]) for r in rows) == Decimal("127000000.00")
    assert Decimal(rows[-1]["closing_balance"]) == 0
    first = report(out, "demo-guar", D(2025, 10, 26), "claims.csv")
    assert first[["asset_id", "due_date", "amount", "paid", "status"]].values.tolist() == [
        ["L01", "2025-09-20", "239452.05", "239452.05", "paid"]
    ]
    assert count(ServicingClaim, "demo-guar", payment_date=LAST) == 8  # every L01 instalment was claimed
    html = (out / "demo-guar" / "servicing" / "2025-10-26" / "servicer_report.html").read_text("utf-8")
    assert "代偿" in html and "L01" in html
    # the default is 18.7% of the pool: the cumulative-default trigger accelerates the deal (senior paid first)
    assert (
        json.loads((out / "demo-guar" / "servicing" / "2026-01-26" / "summary.json").read_text("utf-8"))[
            "deal_status"
        ]
        == "accelerated"
    )


@pytest.mark.usefixtures("ledger_env", "prefect_server")
def test_two_defaults_and_the_guarantor_fails(sandbox: str, tmp_path: Path) -> None:
    deal = deal_copy(tmp_path, "demo-fail")
    defaults = [
        {"obligor_id": "OB01", "from_date": "2026-06-20"},
        {"obligor_id": "OB02", "from_date": "2026-06-20"},
    ]
    recovery = [
        {"value_date": "2027-06-25", "amount": "9000000.00", "asset_id": "L01", "kind": "data_recovery"}
    ]
    seed_bank(sandbox, deal, scenario_seed(deal, defaults=defaults, extra=recovery))
    issue(deal)
    out = tmp_path / "out"
    results = serve_through(deal, out, sandbox, LAST)
    assert [r["deal_status"] for r in results][3:] == ["normal", "accelerated", "accelerated", "accelerated",
                                                        "event_of_default"]  # fmt: skip
    april = report(out, "demo-fail", D(2027, 4, 26), "distribution.csv")
    assert (
        Decimal(april.loc[(april["step"] == "interest") & (april["payee"] == "A"), "shortfall"].iloc[0]) > 0
    )
    triggers = report(out, "demo-fail", D(2027, 4, 26), "triggers.csv")
    assert triggers.set_index("trigger_id").loc["eod-senior-interest", "fired"] == "True"
    july = report(out, "demo-fail", LAST, "distribution.csv")
    assert ("principal", "B") in set(zip(july["step"], july["payee"], strict=True))  # post-acceleration order
    senior = senior_rows(out, "demo-fail", [LAST])[0]
    assert Decimal(senior["closing_balance"]) > 0 and Decimal(senior["principal_shortfall"]) > 0
    claims = report(out, "demo-fail", LAST, "claims.csv")
    assert set(claims["asset_id"]) == {"L01", "L02"} and "paid" not in set(claims["status"])
    assert "overdue" in set(claims["status"])  # the guarantor did not pay past the expected payment date
    with session_scope(get_engine()) as session:
        kinds = set(
            session.exec(select(DisclosureEvent.kind).where(DisclosureEvent.deal_id == "demo-fail")).all()
        )
    assert {"asset_loss", "cash_flow_drop"} <= kinds


@pytest.mark.usefixtures("ledger_env", "prefect_server")
def test_cash_flow_down_more_than_20_percent_is_a_disclosure_event(sandbox: str, tmp_path: Path) -> None:
    deal = deal_copy(tmp_path, "demo-drop")
    partial = [{"asset_id": a, "due_date": "2025-09-20", "paid": "0.00"} for a in ("L01", "L02")]
    seed_bank(sandbox, deal, scenario_seed(deal, partial=partial))
    issue(deal)
    out = tmp_path / "out"
    serve_through(deal, out, sandbox, D(2025, 10, 26))
    disclosure = report(out, "demo-drop", D(2025, 10, 26), "disclosure.csv")
    drop = disclosure[disclosure["kind"] == "cash_flow_drop"]
    assert len(drop) == 1 and Decimal(drop["value"].iloc[0]) < Decimal("-0.20")
    # the two loans default within the period and the guarantor has not paid yet: a loss until it does
    assert set(disclosure["kind"]) == {"cash_flow_drop", "asset_loss"}
    assert count(DisclosureEvent, "demo-drop") == 2
    lines = report(out, "demo-drop", D(2025, 10, 26), "distribution.csv")
    assert line(lines, "interest", "A") == Decimal("626301.37")  # the senior is still paid in full
    assert "cash_flow_drop" in (
        out / "demo-drop" / "servicing" / "2025-10-26" / "servicer_report.html"
    ).read_text("utf-8")


@pytest.mark.usefixtures("ledger_env", "prefect_server")
def test_duplicate_bank_transactions_are_counted_once(sandbox: str, tmp_path: Path) -> None:
    deal = deal_copy(tmp_path, "demo-dup")
    seed = scenario_seed(deal, duplicated=[{"asset_id": "L03", "due_date": "2025-09-20"}])
    seed_bank(sandbox, deal, seed.model_copy(update={"duplicate_pages": [1]}))
    issue(deal)
    out = tmp_path / "out"
    serve_through(deal, out, sandbox, D(2025, 10, 26))
    assert count(Collection, "demo-dup") == 9  # one receipt per loan, however often the bank listed it
    lines = report(out, "demo-dup", D(2025, 10, 26), "distribution.csv")
    assert line(lines, "interest", "A") == Decimal("626301.37")
    assert report(out, "demo-dup", D(2025, 10, 26), "suspense.csv").empty


@pytest.mark.usefixtures("ledger_env", "prefect_server")
def test_deploy_creates_servicing_and_surveillance_deployments_on_the_payment_calendar(
    tmp_path: Path,
) -> None:
    from prefect.client.orchestration import get_client

    from flows import deployments

    package = load_package(deal_copy(tmp_path, "demo-deploy"))
    deployments.ensure_work_pool()
    deployments.ensure_deal_queue("demo-deploy")
    made = [
        deployments.deploy_servicing(package, tmp_path / "out"),
        deployments.deploy_surveillance(package, tmp_path / "out"),
    ]
    with get_client(sync_client=True) as client:
        servicing_dep = client.read_deployment(made[0].id)
        surveillance_dep = client.read_deployment(made[1].id)
    assert servicing_dep.parameters["deal_id"] == "demo-deploy"
    assert {"deal:demo-deploy", "stage:servicing"} <= set(servicing_dep.tags)
    rule = servicing_dep.schedules[0].schedule.rrule
    stamps = rule.split("RDATE:")[1].split(",")
    assert len(stamps) == 12 and stamps[0] == "20251027T090000"  # 2025-10-26 is a Sunday: paid the next day
    assert "20260126T090000" in stamps and servicing_dep.schedules[0].schedule.timezone == "Asia/Shanghai"
    assert surveillance_dep.schedules[0].schedule.cron == "0 8 1 * *"


# ------------------------------------------------------------------------------------------------ surveillance


def collateral_events(deal_id: str) -> list[tuple[str, str, str | None]]:
    """(kind, status, asset) of a deal's collateral events in order."""
    with session_scope(get_engine()) as session:
        rows = session.exec(
            select(CollateralEvent).where(CollateralEvent.deal_id == deal_id).order_by(CollateralEvent.id)
        ).all()
        return [(r.kind, r.status, r.asset_id) for r in rows]


@pytest.mark.usefixtures("ledger_env", "prefect_server")
def test_certificate_revoked_mid_life_accelerates_when_uncured(
    sandbox: str, sandbox_control: httpx.Client, tmp_path: Path
) -> None:
    trigger = {"id": "acceleration-data-collateral", "kind": "acceleration", "metric": "data_collateral_event",
               "operator": ">=", "threshold": 1}  # fmt: skip
    deal = deal_copy(tmp_path, "demo-revoke", lambda d: d["triggers"].append(trigger))
    seed_bank(sandbox, deal, scenario_seed(deal))
    issue(deal)
    out, urls = tmp_path / "out", {"bank": sandbox, "registry": sandbox}
    serve_through(deal, out, sandbox, D(2026, 1, 26))
    registry = json.loads((DEMO_DIR / "registry" / "registry.json").read_text(encoding="utf-8"))
    registry["certificates"][0]["status"] = "revoked"  # DA-V2X, pledged for L01
    sandbox_control.post("/_sandbox/seed", json={"deal_id": "demo", "registry": registry}).raise_for_status()
    surveillance(deal_id="demo-revoke", as_of=D(2026, 2, 1), out_dir=str(out), counterparties=urls)
    assert collateral_events("demo-revoke") == [("certificate_revoked", "open", "L01")]
    results = serve_through(deal, out, sandbox, D(2026, 7, 26))
    flags = {
        r["payment_date"]: json.loads((Path(r["report_dir"]) / "summary.json").read_text("utf-8"))
        for r in results
    }
    assert flags["2026-04-26"]["data_collateral_event"] is True  # cure period (60 days) over on 2026-04-02
    assert (
        flags["2026-04-26"]["deal_status"] == "normal" and flags["2026-07-26"]["deal_status"] == "accelerated"
    )


@pytest.mark.usefixtures("ledger_env", "prefect_server")
def test_revaluation_pushing_ltv_to_78_6_percent_requires_a_top_up(sandbox: str, tmp_path: Path) -> None:
    deal = deal_copy(tmp_path, "demo-ltv")
    issue(deal)
    spec = yaml.safe_load((deal / "valuation.yaml").read_text(encoding="utf-8"))
    v2x = next(a for a in spec["assets"] if a["data_asset_id"] == "DA-V2X")
    base = appraise(load_valuation(deal / "valuation.yaml").assets[0], Decimal(100)).final.value
    factor = (Decimal(25000000) / Decimal("0.786")) / base
    v2x["methods"]["income"]["revenue"] = [
        float(Decimal(r) * factor) for r in v2x["methods"]["income"]["revenue"]
    ]
    revalued = tmp_path / "revaluation.yaml"
    revalued.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = surveillance(deal_id="demo-ltv", as_of=D(2026, 3, 1), out_dir=str(tmp_path / "out"),
                          valuation_file=str(revalued), counterparties={"registry": sandbox})  # fmt: skip
    breach = [o for o in result["observations"] if o["kind"] == "ltv_breach"]
    assert [o["asset_id"] for o in breach] == ["L01"] and round(Decimal(breach[0]["value"]), 3) == Decimal(
        "0.786"
    )
    assert "top-up" in breach[0]["detail"]
    assert ("ltv_breach", "open", "L01") in collateral_events("demo-ltv")


@pytest.mark.usefixtures("ledger_env", "prefect_server")
def test_pii_in_a_refreshed_sample_is_a_collateral_event(sandbox: str, tmp_path: Path) -> None:
    deal = deal_copy(tmp_path, "demo-pii")
    issue(deal)
    samples = tmp_path / "refreshed"
    samples.mkdir()
    hotel = pd.read_csv(deal / "samples" / "DA-HOTEL.csv", dtype=str, keep_default_na=False)
    hotel.loc[0, "remark"] = f"客人身份证 {id_number('33010219800101123')}"
    hotel.to_csv(samples / "DA-HOTEL.csv", index=False)
    surveillance(deal_id="demo-pii", as_of=D(2026, 3, 1), out_dir=str(tmp_path / "out"), samples_dir=str(samples),
                 counterparties={"registry": sandbox})  # fmt: skip
    assert [e for e in collateral_events("demo-pii") if e[0] == "pii_found"] == [("pii_found", "open", "L03")]
    quality = pd.read_csv(tmp_path / "out" / "demo-pii" / "surveillance" / "2026-03-01" / "quality.csv",
                          encoding="utf-8-sig")  # fmt: skip
    assert quality.set_index("data_asset_id").loc["DA-HOTEL", "pii_findings"] >= 1


@pytest.mark.usefixtures("ledger_env")
def test_crash_after_collection_then_rerun_distributes_exactly_once(
    sandbox: str, prefect_server: str, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from prefect.client.orchestration import get_client

    deal = deal_copy(
        tmp_path, "demo-svc-crash", lambda d: d.update(counterparties={"bank": {"url": sandbox}})
    )
    # Many unidentified receipts: the period's suspense report takes seconds to write, a window to kill in.
    noise = [
        {"value_date": "2025-08-01", "amount": f"{100 + n}.00", "kind": "unidentified"} for n in range(12000)
    ]
    seed_bank(sandbox, deal, scenario_seed(deal, extra=noise))
    issue(deal)
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    process = subprocess.Popen(
        [sys.executable, "-m", "dataabs_cli.main", "service", "demo-svc-crash", "--date", "2025-10-26", "--out", str(out),
         "--deal-dir", str(deal)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while not list((out / "demo-svc-crash" / ".staging").glob("servicing-2025-10-26-*/collections.csv")):
            assert process.poll() is None and time.monotonic() < deadline, "the run ended before distributing"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    collected = count(Collection, "demo-svc-crash")
    assert collected == 9 + 12000 and count(DistributionPeriod, "demo-svc-crash") == 0
    with get_client(
        sync_client=True
    ) as client:  # the dead run's Prefect slot would come back after its lease
        client.delete_global_concurrency_limit_by_name("deal:demo-svc-crash")
    result = servicing(deal_id="demo-svc-crash", payment_date=D(2025, 10, 26), out_dir=str(out),
                       counterparties={"bank": sandbox})  # fmt: skip
    assert result["status"] == "distributed"
    assert (
        count(Collection, "demo-svc-crash") == collected and count(DistributionPeriod, "demo-svc-crash") == 1
    )
    lines = report(out, "demo-svc-crash", D(2025, 10, 26), "distribution.csv")
    assert line(lines, "interest", "A") == Decimal("626301.37")
    assert len(report(out, "demo-svc-crash", D(2025, 10, 26), "suspense.csv")) == 12000
