"""The hash-chained audit log: intact chains verify; edits, deletions and relinks are found; writers serialise."""

from __future__ import annotations

import threading
from decimal import Decimal
from itertools import pairwise

from sqlalchemy import Engine, text
from sqlmodel import col, select

from dataabs.ledger.audit import append_audit, event_hash, verify_audit_chain
from dataabs.ledger.db import session_scope
from dataabs.ledger.models import AuditEvent
from dataabs.ledger.store import onboard_deal
from tests.ledger.conftest import PackageFactory

DEAL = "test-deal"


def append(engine: Engine, n: int = 1, stage: str = "governance") -> None:
    """Append ``n`` commit events, each in its own transaction."""
    for i in range(n):
        with session_scope(engine) as session:
            append_audit(
                session,
                DEAL,
                stage,
                "commit",
                flow_run_id=f"flow-{i}",
                code_version="0.1.0",
                parameters={"amount": Decimal("1.10"), "n": i},
                input_hashes={"deal.yaml": "ab"},
                output_hashes={"quality.csv": "cd"},
            )


def chain(engine: Engine) -> list[str]:
    """The problems of the test deal's chain."""
    with session_scope(engine) as session:
        return verify_audit_chain(session, DEAL)


def onboarded(engine: Engine, make_package: PackageFactory) -> None:
    """Onboard the test deal (its first audit event)."""
    with session_scope(engine) as session:
        onboard_deal(session, make_package())


def test_chain_verifies_and_round_trips(ledger_engine: Engine, make_package: PackageFactory) -> None:
    onboarded(ledger_engine, make_package)
    append(ledger_engine, 3)
    assert chain(ledger_engine) == []
    with session_scope(ledger_engine) as session:
        events = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq))).all()
        assert [e.seq for e in events] == [1, 2, 3, 4]
        assert events[1].parameters == {"amount": "1.10", "n": 0}
        assert all(e.prev_hash == p.hash for p, e in pairwise(events))
        assert events[0].prev_hash == "0" * 64


def test_edited_row_is_found(ledger_engine: Engine, make_package: PackageFactory) -> None:
    onboarded(ledger_engine, make_package)
    append(ledger_engine, 3)
    with session_scope(ledger_engine) as session:
        session.execute(
            text("UPDATE audit_event SET code_version = 'forged' WHERE deal_id = :d AND seq = 3"), {"d": DEAL}
        )
    assert chain(ledger_engine) == [f"deal {DEAL}: hash mismatch at seq 3 (row edited)"]


def test_deleted_row_is_found(ledger_engine: Engine, make_package: PackageFactory) -> None:
    onboarded(ledger_engine, make_package)
    append(ledger_engine, 3)
    with session_scope(ledger_engine) as session:
        session.execute(text("DELETE FROM audit_event WHERE deal_id = :d AND seq = 2"), {"d": DEAL})
    assert chain(ledger_engine) == [f"deal {DEAL}: gap at seq 2 (row deleted?) before seq 3"]


def test_rehashed_forgery_breaks_the_link(ledger_engine: Engine, make_package: PackageFactory) -> None:
    onboarded(ledger_engine, make_package)
    append(ledger_engine, 3)
    with session_scope(ledger_engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.seq == 2)).one()
        event.parameters = {"amount": "999"}
        event.hash = event_hash(event)  # a forger who recomputes the edited row's own hash
    assert chain(ledger_engine) == [f"deal {DEAL}: broken link at seq 3 (prev_hash ≠ hash of seq 2)"]


def test_concurrent_writers_keep_seq_contiguous(ledger_engine: Engine, make_package: PackageFactory) -> None:
    onboarded(ledger_engine, make_package)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(stage: str) -> None:
        barrier.wait()
        try:
            append(ledger_engine, 15, stage)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(stage,)) for stage in ("governance", "rights")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope(ledger_engine) as session:
        seqs = session.exec(select(AuditEvent.seq).order_by(col(AuditEvent.seq))).all()
    assert seqs == list(range(1, 32))
    assert chain(ledger_engine) == []
