"""Pool cut and issuance as gated lifecycle stages: task functions on synthetic report folders, then the real flow
(Prefect server, GX gates, sandbox curve, both ledgers) on the demo deal."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sqlmodel import select

from dataabs.errors import GateFailed
from dataabs.gx import load_suite, render_suite, run_suite
from dataabs.ledger.db import get_engine, session_scope
from dataabs.ledger.models import AuditEvent, IssuanceRecord, IssuedTranche, PoolAsset, PoolSnapshot
from dataabs.package import load_package
from dataabs.settings import REPO_ROOT
from flows.lifecycle import lifecycle
from tasks import issuance as ti
from tasks import pool as tp
from tasks import report as tr
from tasks.context import StageContext
from tests.flows.lifecycle_helpers import count, states

DEMO = REPO_ROOT / "config" / "deals" / "demo"
SUITES = REPO_ROOT / "expectations"
D = Decimal
EXPECTED_A = [  # the engine's base case of the demo senior (tests/engine/test_demo_deal.py), to the fen
    ("2025-10-26", D("127000000.00"), D("626301.37"), D("0.00"), D("127000000.00")),
    ("2026-01-26", D("127000000.00"), D("640219.18"), D("0.00"), D("127000000.00")),
    ("2026-04-26", D("127000000.00"), D("626301.37"), D("0.00"), D("127000000.00")),
    ("2026-07-26", D("127000000.00"), D("633260.27"), D("26740000.00"), D("100260000.00")),
    ("2026-10-26", D("100260000.00"), D("505420.27"), D("0.00"), D("100260000.00")),
    ("2027-01-26", D("100260000.00"), D("505420.27"), D("40110000.00"), D("60150000.00")),
    ("2027-04-26", D("60150000.00"), D("296630.14"), D("0.00"), D("60150000.00")),
    ("2027-07-26", D("60150000.00"), D("299926.03"), D("60150000.00"), D("0.00")),
]
SUMMARY_KEYS = {
    "asset_count",
    "principal_total",
    "data_pledged_share",
    "max_obligor_share",
    "hhi",
    "effective_obligors",
    "wa_rate",
    "wa_remaining_term_months",
}
# Four data assets keep the pledged loans L01, L02, L03, L05 (74.0m of 133.7m = 55.3%, above the 50% label).
FOUR_PLEDGES = ["DA-V2X", "DA-PADDY", "DA-HOTEL", "DA-PARKING"]


def edit_yaml(path: Path, edit: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    """Rewrite a YAML file of a package copy through an in-place edit."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def gate(stage: str, ctx: StageContext, folder: Path, module: object) -> dict:  # type: ignore[type-arg]
    """Run a stage's real GX suite over a folder, as the runner does."""
    suite = render_suite(load_suite(SUITES / f"{stage}.json"), module.gate_params(ctx))  # type: ignore[attr-defined]
    return run_suite(suite, module.gate_tables(ctx, folder)).to_json()  # type: ignore[attr-defined]


# --- task functions on synthetic report folders (no Prefect server) -------------------------------------------


def synthetic_context(
    out: Path, deal_dir: Path = DEMO, counterparties: dict[str, str] | None = None
) -> StageContext:
    """Earlier stages' committed outputs for a package, written by hand: Q 95, V1–V9 passed, value = principal/0.45."""
    package = load_package(deal_dir)
    ctx = StageContext(
        deal_id=package.deal_id,
        deal_dir=deal_dir.resolve(),
        out_dir=out,
        as_of=package.deal.dates.cut_off,
        counterparties=counterparties or {},
    )
    data_assets = list(package.data_assets["data_asset_id"])
    certificates = dict(
        zip(package.data_assets["data_asset_id"], package.data_assets["certificate_no"], strict=True)
    )
    pledged = package.assets[package.assets["data_asset_id"].fillna("") != ""]
    values = {
        d: (D(p) / D("0.45")).quantize(D("0.01"))
        for d, p in zip(pledged["data_asset_id"], pledged["principal"], strict=True)
    }
    frames = {
        "governance/quality.csv": pd.DataFrame(
            {"data_asset_id": data_assets, "dimension": "Q", "score": 95.0}
        ),
        "rights/verification.csv": pd.DataFrame(
            [
                {
                    "data_asset_id": d,
                    "certificate_no": certificates[d],
                    "check_id": f"V{i}",
                    "passed": True,
                    "detail": "",
                }
                for d in data_assets
                for i in range(1, 10)
            ]
        ),
        "valuation/valuations.csv": pd.DataFrame(
            [
                {"data_asset_id": d, "method": m, "value": values[d], "base_date": "2025-06-30"}
                for d in data_assets
                for m in ("cost", "income", "final")
            ]
        ),
        "valuation/ltv.csv": pd.DataFrame(
            {"asset_id": pledged["asset_id"], "data_asset_id": pledged["data_asset_id"], "ltv": 0.45}
        ),
        "enhancement/stress.csv": pd.DataFrame({"scenario": ["base"], "kind": ["base"], "coverage": [1.8]}),
    }
    for relative, frame in frames.items():
        path = ctx.deal_out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    structure = {
        "tranches": [{"id": t.id, "size": float(t.size)} for t in package.deal.tranches],
        "pool_principal": float(package.assets["principal"].sum()),
    }
    (ctx.deal_out / "enhancement" / "structure.json").write_text(json.dumps(structure), encoding="utf-8")
    return ctx


def copy_demo(tmp_path: Path) -> Path:
    """A copy of the demo package (same deal id) to edit."""
    deal = tmp_path / "deal"
    shutil.copytree(DEMO, deal)
    return deal


def cut_pool(ctx: StageContext) -> Path:
    """Run the pool stage's tasks into the committed pool folder (bypassing the runner)."""
    folder = ctx.stage_dir("pool")
    folder.mkdir(parents=True, exist_ok=True)
    tp.check_eligibility.fn(ctx, folder)
    tp.select_and_freeze.fn(ctx, folder)
    tp.write_strats.fn(ctx, folder)
    return folder


def test_pool_tasks_freeze_the_demo_pool_and_the_gate_passes(tmp_path: Path) -> None:
    ctx = synthetic_context(tmp_path / "out")
    folder = cut_pool(ctx)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) == SUMMARY_KEYS | {"snapshot_sha256"}
    assert summary["principal_total"] == "133700000.00" and summary["asset_count"] == 9
    assert summary["data_pledged_share"] == 0.890052 and summary["max_obligor_share"] == 0.186986
    assert summary["hhi"] == 0.121567 and summary["wa_remaining_term_months"] == pytest.approx(
        23.67, abs=0.01
    )
    assert summary["snapshot_sha256"] == hashlib.sha256((folder / "snapshot.csv").read_bytes()).hexdigest()
    eligibility = pd.read_csv(folder / "eligibility.csv", encoding="utf-8-sig")
    assert (
        list(eligibility.columns) == ["asset_id", "eligible", "failed_rules"]
        and eligibility["eligible"].all()
    )
    selection = json.loads((folder / "selection.json").read_text(encoding="utf-8"))
    assert {"method", "status", "gap", "binding", "explanation"} <= set(selection)
    assert selection["method"] == "all"
    assert pd.read_csv(folder / "constraints.csv", encoding="utf-8-sig")["passed"].all()
    assert (folder / "strats" / "obligor.csv").is_file() and (folder / "strats.xlsx").is_file()
    assert pd.read_excel(folder / "strats.xlsx", sheet_name="province").columns[0] == "省份 Province"
    result = gate("pool", ctx, folder, tp)
    assert result["success"] is True, result["failures"]
    frozen = tp.frozen_pool(ctx)
    assert list(frozen["asset_id"]) == [f"L0{i}" for i in range(1, 10)]
    assert sum(frozen["principal"], D(0)) == D("133700000.00")


def test_frozen_pool_refuses_a_changed_snapshot(tmp_path: Path) -> None:
    ctx = synthetic_context(tmp_path / "out")
    folder = cut_pool(ctx)
    snapshot = folder / "snapshot.csv"
    snapshot.write_bytes(snapshot.read_bytes().replace(b"25000000.00", b"25000001.00"))
    with pytest.raises(tp.PoolSnapshotInvalid, match="changed after the cut"):
        tp.frozen_pool(ctx)
    reconciliation = tp.reconciliation(ctx, folder).set_index("check")
    assert not reconciliation.loc["summary snapshot_sha256 = SHA-256 of snapshot.csv", "passed"]
    assert not reconciliation.loc["snapshot principal = Σ selected tape principal", "passed"]


def test_pool_selection_to_a_target_uses_the_milp(tmp_path: Path) -> None:
    deal = copy_demo(tmp_path)
    edit_yaml(
        deal / "deal.yaml",
        lambda d: d.update(policy={"pool": {"constraints": {"target_principal": 110000000}}}),
    )
    ctx = synthetic_context(tmp_path / "out", deal)
    folder = cut_pool(ctx)
    selection = json.loads((folder / "selection.json").read_text(encoding="utf-8"))
    assert selection["method"] == "milp" and selection["status"] == "optimal" and selection["gap"] == 0.0
    assert D(selection["selected"]["principal"]) <= D("110000000") and selection["selected"]["count"] == 8
    assert gate("pool", ctx, folder, tp)["success"] is True


def test_issuance_tasks_price_the_demo_and_block_on_a_missing_document(tmp_path: Path, sandbox: str) -> None:
    deal = copy_demo(tmp_path)
    edit_yaml(
        deal / "deal.yaml",
        lambda d: d.update(documents=[x for x in d["documents"] if x["id"] != "legal_opinion"]),
    )
    ctx = synthetic_context(tmp_path / "out", deal, {"curve": sandbox})
    cut_pool(ctx)
    folder = ctx.stage_dir("issuance")
    folder.mkdir(parents=True)
    ti.fetch_reference_curve.fn(ctx, folder)
    ti.price_tranches.fn(ctx, folder)
    ti.check_offering_documents.fn(ctx, folder)
    ti.term_sheet.fn(ctx, folder)
    schedule = ti.read_schedule(folder)
    senior = schedule[schedule["tranche_id"] == "A"].drop(columns="tranche_id")
    assert [tuple(r) for r in senior.itertuples(index=False)] == EXPECTED_A
    tranches = ti.read_tranches(folder).set_index("tranche_id")
    assert tranches.loc["A", "coupon"] == 0.02 and tranches.loc["A", "rating"] == "AAAsf"
    assert tranches.loc["A", "wal_years"] == pytest.approx(1.6274, abs=1e-4)
    assert tranches.loc["A", "spread_bp"] > 0  # against the sandbox CGB curve
    result = gate("issuance", ctx, folder, ti)
    assert result["success"] is False
    assert any("legal_opinion" in line for line in result["failures"])
    assert any("法律意见书" in line for line in ti.explain(ctx, folder))


def test_proposed_coupon_from_the_curve_plus_spread(tmp_path: Path, sandbox: str) -> None:
    deal = copy_demo(tmp_path)

    def propose(d: dict) -> None:  # type: ignore[type-arg]
        d["tranches"][0]["coupon"] = None
        d["tranches"][0]["spread_bp"] = 50

    edit_yaml(deal / "deal.yaml", propose)
    ctx = synthetic_context(tmp_path / "out", deal, {"curve": sandbox})
    cut_pool(ctx)
    folder = ctx.stage_dir("issuance")
    folder.mkdir(parents=True)
    ti.fetch_reference_curve.fn(ctx, folder)
    ti.price_tranches.fn(ctx, folder)
    tranches = ti.read_tranches(folder).set_index("tranche_id")
    curve = ti.curve_of(json.loads((folder / "curve.json").read_text(encoding="utf-8")))
    assert curve is not None and curve.as_of == date(2025, 7, 28)
    expected = round(curve.rate_at(tranches.loc["A", "wal_years"]) + 0.0050, 4)
    assert tranches.loc["A", "coupon"] == pytest.approx(expected, abs=1e-9)
    assert tranches.loc["A", "coupon_source"] == "proposed"
    assert tranches.loc["A", "spread_bp"] == pytest.approx(50, abs=3)


def test_deal_report_from_whatever_is_committed(tmp_path: Path) -> None:
    ctx = synthetic_context(tmp_path / "out")
    tr.write_report(ctx)
    html = (ctx.deal_out / "report.html").read_text(encoding="utf-8")
    assert "数据质量 Data quality" in html and "<script" not in html
    cut_pool(ctx)
    tr.write_report(ctx)
    html = (ctx.deal_out / "report.html").read_text(encoding="utf-8")
    assert 'id="strats"' in html
    assert "数据质量 Quality" in pd.ExcelFile(ctx.deal_out / "report.xlsx").sheet_names


# --- the real flow on both ledgers ----------------------------------------------------------------------------


def run_flow(deal_dir: Path, out: Path, sandbox: str, stages: list[str] | None = None) -> dict[str, str]:
    """The lifecycle flow for real, with the sandbox as registry, bank and reference curve."""
    urls = {"registry": sandbox, "bank": sandbox, "curve": sandbox}
    return lifecycle(deal_dir=str(deal_dir), stages=stages, out_dir=str(out), counterparties=urls)


@pytest.mark.usefixtures("prefect_server", "ledger_env")
def test_demo_runs_all_six_stages_to_issuance(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-pi"), tmp_path / "out"
    result = run_flow(deal, out, sandbox)
    stages = ["governance", "rights", "valuation", "enhancement", "pool", "issuance"]
    assert list(result) == stages and set(states("demo-pi").values()) == {"passed"}
    folder = out / "demo-pi"
    summary = json.loads((folder / "pool" / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) == SUMMARY_KEYS | {"snapshot_sha256"} and summary["principal_total"] == "133700000.00"
    eligibility = pd.read_csv(folder / "pool" / "eligibility.csv", encoding="utf-8-sig")
    assert (
        list(eligibility.columns) == ["asset_id", "eligible", "failed_rules"]
        and eligibility["eligible"].all()
    )
    assert (folder / "pool" / "strats" / "province.csv").is_file()
    schedule = pd.read_csv(folder / "issuance" / "schedule.csv", encoding="utf-8-sig", dtype=str)
    assert list(schedule.columns) == [
        "payment_date",
        "tranche_id",
        "opening_balance",
        "interest",
        "principal",
        "closing_balance",
    ]
    senior = schedule[schedule["tranche_id"] == "A"].drop(columns="tranche_id")
    assert [(r[0], *map(D, r[1:])) for r in senior.itertuples(index=False)] == EXPECTED_A
    tranches = pd.read_csv(folder / "issuance" / "tranches.csv", encoding="utf-8-sig")
    assert list(tranches.columns[:5]) == ["tranche_id", "size", "coupon", "wal_years", "expected_maturity"]
    for name in (
        "documents.csv",
        "term_sheet.html",
        "term_sheet.xlsx",
        "prospectus_tables.xlsx",
        "curve.json",
    ):
        assert (folder / "issuance" / name).is_file(), name
    for stage in ("pool", "issuance"):
        assert json.loads((folder / "gates" / f"{stage}.json").read_text(encoding="utf-8"))["success"] is True
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "Not yet available" not in html and (folder / "report.xlsx").is_file()

    sha = hashlib.sha256((folder / "pool" / "snapshot.csv").read_bytes()).hexdigest()
    assert summary["snapshot_sha256"] == sha
    with session_scope(get_engine()) as session:
        snapshot = session.exec(select(PoolSnapshot).where(PoolSnapshot.deal_id == "demo-pi")).one()
        assert snapshot.sha256 == sha and snapshot.asset_count == 9
        assert snapshot.principal_total == D("133700000.00")
        assert hashlib.sha256(snapshot.csv_text.encode("utf-8")).hexdigest() == sha
        pool_audit = session.exec(
            select(AuditEvent).where(AuditEvent.deal_id == "demo-pi", AuditEvent.stage == "pool")
        ).one()
        assert pool_audit.output_hashes["snapshot.csv"] == sha
        issued = {
            t.tranche_id: t
            for t in session.exec(select(IssuedTranche).where(IssuedTranche.deal_id == "demo-pi"))
        }
        assert issued["A"].size == D("127000000.00") and issued["A"].coupon == D("0.02")
        assert issued["A"].rating == "AAAsf" and issued["A"].legal_maturity == date(2028, 7, 26)
        record = session.exec(select(IssuanceRecord).where(IssuanceRecord.deal_id == "demo-pi")).one()
        assert record.pool_snapshot_sha256 == sha and len(record.schedule) == len(schedule)
    assert count(PoolAsset, "demo-pi") == 9


@pytest.mark.usefixtures("prefect_server", "ledger_env")
def test_missing_required_document_blocks_issuance(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-nodoc", FOUR_PLEDGES), tmp_path / "out"
    edit_yaml(
        deal / "deal.yaml",
        lambda d: d.update(documents=[x for x in d["documents"] if x["id"] != "rating_report"]),
    )
    with pytest.raises(GateFailed, match="rating_report") as failure:
        run_flow(deal, out, sandbox)
    assert "评级报告" in str(failure.value)
    assert states("demo-nodoc")["pool"] == "passed" and states("demo-nodoc")["issuance"] == "failed"
    gate_file = json.loads((out / "demo-nodoc" / "gates" / "issuance.json").read_text(encoding="utf-8"))
    assert gate_file["success"] is False and any("rating_report" in f for f in gate_file["failures"])
    assert not (out / "demo-nodoc" / "issuance").exists() and count(IssuedTranche, "demo-nodoc") == 0


@pytest.mark.usefixtures("prefect_server", "ledger_env")
def test_pool_constraint_breach_blocks_the_cut(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-breach", FOUR_PLEDGES), tmp_path / "out"
    edit_yaml(
        deal / "deal.yaml", lambda d: d.update(policy={"pool": {"constraints": {"max_obligor_share": 0.15}}})
    )
    stages = ["governance", "rights", "valuation", "enhancement", "pool"]
    with pytest.raises(
        GateFailed, match=r"P02_single_obligor: largest obligor OB01 holds 18\.70% \(cap 15\.00%\)"
    ):
        run_flow(deal, out, sandbox, stages)
    gate_file = json.loads((out / "demo-breach" / "gates" / "pool.json").read_text(encoding="utf-8"))
    assert any("P02_single_obligor" in f and "18.70%" in f for f in gate_file["failures"])
    assert states("demo-breach")["pool"] == "failed" and count(PoolSnapshot, "demo-breach") == 0
