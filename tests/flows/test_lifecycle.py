"""The lifecycle flow on real parts: Prefect server, GX gates, the ledger (SQLite and PostgreSQL), the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from dataabs.errors import GateFailed, LedgerError
from dataabs.ledger.audit import verify_audit_chain
from dataabs.ledger.db import get_engine, session_scope
from dataabs.ledger.models import QualityResult, RegistrySnapshot, Verification
from tests.flows.lifecycle_helpers import count, run, states, tree_bytes

pytestmark = pytest.mark.usefixtures("prefect_server", "ledger_env")

DIMENSIONS = {"normativity", "completeness", "accuracy", "consistency", "timeliness", "accessibility", "Q"}


def test_demo_passes_governance_and_rights(
    deal_variant: Callable[[str], Path], sandbox: str, tmp_path: Path
) -> None:
    deal = deal_variant("demo")
    out = tmp_path / "out"
    result = run(deal, out, sandbox, stages=["governance", "rights"])
    assert set(result) == {"governance", "rights"}
    quality = pd.read_csv(out / "demo" / "governance" / "quality.csv", encoding="utf-8-sig")
    assert list(quality.columns) == ["data_asset_id", "dimension", "score"]
    assert len(quality) == 8 * 7 and set(quality["dimension"]) == DIMENSIONS
    q = quality[quality["dimension"] == "Q"]
    assert q["score"].between(80, 100).all()
    verification = pd.read_csv(out / "demo" / "rights" / "verification.csv", encoding="utf-8-sig")
    assert list(verification.columns) == ["data_asset_id", "certificate_no", "check_id", "passed", "detail"]
    assert len(verification) == 8 * 9 and verification["passed"].all()
    for stage in ("governance", "rights"):
        gate = json.loads((out / "demo" / "gates" / f"{stage}.json").read_text(encoding="utf-8"))
        assert gate["success"] is True and gate["failed_critical"] == 0
    assert states("demo") == {
        "governance": "passed",
        "rights": "passed",
        "valuation": "pending",
        "enhancement": "pending",
        "pool": "pending",
        "issuance": "pending",
    }
    assert count(Verification, "demo") == 72
    assert count(RegistrySnapshot, "demo") == 16  # a certificate and a pledge search per data asset
    with session_scope(get_engine()) as session:
        assert verify_audit_chain(session, "demo") == []


def test_rerun_of_one_stage_replaces_outputs_and_marks_later_stale(
    deal_variant: Callable[[str], Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-rerun"), tmp_path / "out"
    run(deal, out, sandbox, stages=["governance", "rights"])
    quality_rows, snapshots = count(QualityResult, "demo-rerun"), count(RegistrySnapshot, "demo-rerun")
    run(deal, out, sandbox, stages=["governance"])
    assert count(QualityResult, "demo-rerun") == quality_rows  # replaced, not duplicated
    assert states("demo-rerun")["rights"] == "stale"
    run(deal, out, sandbox, stages=["rights"])
    assert states("demo-rerun")["rights"] == "passed"
    assert count(Verification, "demo-rerun") == 72
    assert count(RegistrySnapshot, "demo-rerun") == 2 * snapshots  # registry answers are history: appended
    assert not (out / "demo-rerun" / ".staging").exists() or not any(
        (out / "demo-rerun" / ".staging").iterdir()
    )


def test_stage_refuses_to_run_before_earlier_stages_pass(
    deal_variant: Callable[[str], Path], sandbox: str, tmp_path: Path
) -> None:
    deal = deal_variant("demo-order")
    with pytest.raises(LedgerError, match=r"needs the earlier stages passed.*governance is pending"):
        run(deal, tmp_path / "out", sandbox, stages=["rights"])
    assert states("demo-order")["rights"] == "pending"


def test_failed_gate_commits_nothing_and_keeps_previous_outputs(
    deal_variant: Callable[[str], Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-keep"), tmp_path / "out"
    run(deal, out, sandbox, stages=["governance"])
    before_files = tree_bytes(out / "demo-keep" / "governance")
    before_rows = count(QualityResult, "demo-keep")
    # Break the package: a core-data classification is a hard block (GB/T 43697).
    data_assets = deal / "data_assets.csv"
    text = data_assets.read_text(encoding="utf-8")
    data_assets.write_text(text.replace(",general,", ",core,", 1), encoding="utf-8")
    with pytest.raises(GateFailed, match="core"):
        run(deal, out, sandbox, stages=["governance"])
    assert tree_bytes(out / "demo-keep" / "governance") == before_files
    assert count(QualityResult, "demo-keep") == before_rows
    assert states("demo-keep")["governance"] == "failed"
    gate = json.loads((out / "demo-keep" / "gates" / "governance.json").read_text(encoding="utf-8"))
    assert gate["success"] is False and gate["failed_critical"] >= 1
