"""The stage store: onboarding, atomic stage commits, stale marking, rollback, recovery, gates and the deal lock."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import Session, SQLModel, select

from dataabs.errors import LedgerError
from dataabs.ledger.audit import audit_count
from dataabs.ledger.db import session_scope
from dataabs.ledger.models import (
    Asset,
    DataAsset,
    Deal,
    Obligor,
    Party,
    QualityResult,
    RegistrySnapshot,
    ScheduleLine,
    StageRun,
    Verification,
)
from dataabs.ledger.store import (
    LIFECYCLE_STAGES,
    AuditInput,
    acquire_deal_lock,
    commit_stage,
    fail_stage_run,
    onboard_deal,
    record_gate,
    recover_interrupted,
    release_deal_lock,
    stage_states,
    start_stage_run,
)
from tests.ledger.conftest import PackageFactory

DEAL = "test-deal"
AUDIT = AuditInput(code_version="test", parameters={"as_of": "2025-06-30"}, input_hashes={"a": "1"})


def count(session: Session, model: type[SQLModel]) -> int:
    """Rows of a table."""
    return session.scalar(select(func.count()).select_from(model)) or 0


def statuses(engine: Engine) -> dict[str, str]:
    """Stage -> status of the test deal."""
    with session_scope(engine) as session:
        return {view.stage: view.status for view in stage_states(session, DEAL)}


def quality(score: str, dimension: str = "Q") -> QualityResult:
    """A quality row of the test deal."""
    return QualityResult(deal_id=DEAL, data_asset_id="da1", dimension=dimension, score=Decimal(score))


def run_stage(
    engine: Engine,
    stage: str,
    replace: dict[type[SQLModel], Sequence[SQLModel]] | None = None,
    append: Sequence[SQLModel] = (),
) -> str:
    """Start and commit one stage run, each step in its own transaction."""
    with session_scope(engine) as session:
        run_id = start_stage_run(session, DEAL, stage, flow_run_id="flow-1", parameters={"stage": stage})
    with session_scope(engine) as session:
        commit_stage(
            session,
            DEAL,
            stage,
            run_id,
            replace={k: list(v) for k, v in (replace or {}).items()},
            append=list(append),
            audit=AUDIT,
        )
    return run_id


@pytest.fixture
def onboarded(ledger_engine: Engine, make_package: PackageFactory) -> Engine:
    """A migrated ledger with the test deal onboarded."""
    with session_scope(ledger_engine) as session:
        onboard_deal(session, make_package())
    return ledger_engine


def test_onboard_twice_does_not_duplicate(onboarded: Engine, make_package: PackageFactory) -> None:
    with session_scope(onboarded) as session:
        onboard_deal(session, make_package())
    with session_scope(onboarded) as session:
        counts = {
            m.__name__: count(session, m) for m in (Deal, Party, Obligor, DataAsset, Asset, ScheduleLine)
        }
        assert counts == {"Deal": 1, "Party": 2, "Obligor": 2, "DataAsset": 1, "Asset": 2, "ScheduleLine": 4}
        asset = session.get_one(Asset, (DEAL, "a1"))
        assert asset.principal == Decimal("600000.00") and asset.data_asset_id == "da1"
        assert asset.guarantor_id == "bank1" and asset.restructured is False
        assert session.get_one(Asset, (DEAL, "a2")).data_asset_id is None
        data_asset = session.get_one(DataAsset, (DEAL, "da1"))
        assert data_asset.registry_name == "SZDEX" and data_asset.book_value == Decimal("1200000.50")
        assert session.get_one(Obligor, (DEAL, "ob2")).dishonest is None
        assert audit_count(session, DEAL) == 1  # the unchanged package is not a new event
    assert statuses(onboarded) == dict.fromkeys(LIFECYCLE_STAGES, "pending")


def test_changed_package_makes_passed_stages_stale(onboarded: Engine, make_package: PackageFactory) -> None:
    run_stage(onboarded, "governance", {QualityResult: [quality("90")]})
    with session_scope(onboarded) as session:
        onboard_deal(session, make_package(principal="600000.02", lines=2))
    with session_scope(onboarded) as session:
        assert session.get_one(Asset, (DEAL, "a1")).principal == Decimal("600000.02")
        assert count(session, ScheduleLine) == 4
        assert audit_count(session, DEAL) == 3
    assert statuses(onboarded)["governance"] == "stale"


def test_commit_stage_replaces_outputs_and_stales_later_stages(onboarded: Engine) -> None:
    run_stage(onboarded, "governance", {QualityResult: [quality("90"), quality("0.9", "completeness")]})
    snapshot = RegistrySnapshot(
        deal_id=DEAL,
        kind="certificate",
        certificate_no="20250900010000001",
        url_path="/certificates/1",
        response_sha256="ab" * 32,
        body={"status": "valid"},
    )
    check = Verification(deal_id=DEAL, data_asset_id="da1", check_id="V1", passed=True)
    rights_run = run_stage(onboarded, "rights", {Verification: [check]}, append=[snapshot])
    assert statuses(onboarded) == {
        **dict.fromkeys(LIFECYCLE_STAGES, "pending"),
        "governance": "passed",
        "rights": "passed",
    }
    governance_run = run_stage(onboarded, "governance", {QualityResult: [quality("95")]})
    with session_scope(onboarded) as session:
        rows = session.exec(select(QualityResult)).all()
        assert [(r.score, r.stage_run_id) for r in rows] == [(Decimal("95"), governance_run)]
        assert session.get_one(Verification, 1).stage_run_id == rights_run
        assert session.get_one(StageRun, governance_run).status == "passed"
    assert statuses(onboarded)["rights"] == "stale"
    check2 = Verification(deal_id=DEAL, data_asset_id="da1", check_id="V1", passed=True)
    snapshot2 = RegistrySnapshot(deal_id=DEAL, kind="pledges", url_path="/pledges", response_sha256="cd" * 32)
    run_stage(onboarded, "rights", {Verification: [check2]}, append=[snapshot2])
    with session_scope(onboarded) as session:
        assert count(session, RegistrySnapshot) == 2  # append-only evidence survives reruns
        assert count(session, Verification) == 1
        assert audit_count(session, DEAL) == 5


def test_failed_commit_leaves_previous_outputs_intact(onboarded: Engine) -> None:
    first_run = run_stage(onboarded, "governance", {QualityResult: [quality("90")]})
    with session_scope(onboarded) as session:
        run_id = start_stage_run(session, DEAL, "governance", flow_run_id=None, parameters={})
    foreign = QualityResult(deal_id="other-deal", data_asset_id="x", dimension="Q", score=Decimal(1))
    with pytest.raises(LedgerError, match="other-deal"), session_scope(onboarded) as session:
        commit_stage(
            session,
            DEAL,
            "governance",
            run_id,
            replace={QualityResult: [quality("10"), foreign]},
            append=[],
            audit=AUDIT,
        )
    with pytest.raises(RuntimeError, match="crash"), session_scope(onboarded) as session:
        commit_stage(
            session,
            DEAL,
            "governance",
            run_id,
            replace={QualityResult: [quality("20")]},
            append=[],
            audit=AUDIT,
        )
        raise RuntimeError("crash after the commit call, before the transaction committed")
    with session_scope(onboarded) as session:
        fail_stage_run(session, DEAL, "governance", run_id, "gate failed")
    with session_scope(onboarded) as session:
        rows = session.exec(select(QualityResult)).all()
        assert [(r.score, r.stage_run_id) for r in rows] == [(Decimal("90"), first_run)]
        assert audit_count(session, DEAL) == 2
        run = session.get_one(StageRun, run_id)
        assert (run.status, run.error) == ("failed", "gate failed")
    assert statuses(onboarded)["governance"] == "failed"


def test_recover_interrupted_fails_orphaned_runs(onboarded: Engine) -> None:
    with session_scope(onboarded) as session:
        run_id = start_stage_run(session, DEAL, "valuation", flow_run_id=None, parameters={})
    with pytest.raises(LedgerError, match="already running"), session_scope(onboarded) as session:
        start_stage_run(session, DEAL, "valuation", flow_run_id=None, parameters={})
    with session_scope(onboarded) as session:
        assert recover_interrupted(session, DEAL) == ["valuation"]
    with session_scope(onboarded) as session:
        run = session.get_one(StageRun, run_id)
        assert (run.status, run.error) == ("failed", "interrupted") and run.finished_at is not None
        assert recover_interrupted(session, DEAL) == []
    assert statuses(onboarded)["valuation"] == "failed"
    with pytest.raises(LedgerError, match="already failed"), session_scope(onboarded) as session:
        commit_stage(session, DEAL, "valuation", run_id, replace={}, append=[], audit=AUDIT)
    run_stage(onboarded, "valuation")
    assert statuses(onboarded)["valuation"] == "passed"


def test_gates_and_status_view(onboarded: Engine) -> None:
    with session_scope(onboarded) as session:
        run_id = start_stage_run(session, DEAL, "governance", flow_run_id=None, parameters={})
        gate = {
            "suite": "governance",
            "success": False,
            "evaluated": 12,
            "failed_critical": 1,
            "failed_warning": 2,
            "details": {"failed": [{"expectation": "q_min", "observed": Decimal("79.5")}]},
        }
        record_gate(session, DEAL, "governance", run_id, gate)
        fail_stage_run(session, DEAL, "governance", run_id, "gate governance failed")
    with session_scope(onboarded) as session:
        view = stage_states(session, DEAL)[0]
    assert (view.stage, view.status, view.gate_success) == ("governance", "failed", False)
    assert view.gate_summary == "governance failed: 12 evaluated, 1 critical and 2 warning failed"
    with pytest.raises(LedgerError, match="no-such-deal"), session_scope(onboarded) as session:
        stage_states(session, "no-such-deal")


def test_deal_lock_is_exclusive_and_expires(ledger_engine: Engine) -> None:
    def attempt(holder: str, ttl: int = 60) -> bool:
        with session_scope(ledger_engine) as session:
            return acquire_deal_lock(session, DEAL, holder, ttl)

    assert attempt("run-a")
    assert not attempt("run-b")
    assert attempt("run-a")  # the holder renews
    with session_scope(ledger_engine) as session:
        assert not release_deal_lock(session, DEAL, "run-b")
        assert release_deal_lock(session, DEAL, "run-a")
    assert attempt("run-b")
    with session_scope(ledger_engine) as session:
        session.execute(text("UPDATE deal_lock SET expires_at = :past"), {"past": "2000-01-01 00:00:00"})
    assert attempt("run-c")
    assert not attempt("run-b")


def test_deal_lock_race_has_one_winner(ledger_engine: Engine) -> None:
    barrier = threading.Barrier(6)
    winners: list[str] = []

    def contend(holder: str) -> None:
        barrier.wait()
        with session_scope(ledger_engine) as session:
            if acquire_deal_lock(session, DEAL, holder, 60):
                winners.append(holder)

    threads = [threading.Thread(target=contend, args=(f"run-{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
