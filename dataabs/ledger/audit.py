"""The append-only, hash-chained audit log (审计日志): one event per ledger change of a deal."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from dataabs.errors import LedgerError
from dataabs.ledger.db import is_sqlite
from dataabs.ledger.jsonutil import canonical_json, normalised
from dataabs.ledger.models import AuditEvent, Deal
from dataabs.ledger.types import utcnow

GENESIS_HASH = "0" * 64
HASHED_FIELDS = (
    "deal_id",
    "seq",
    "created_at",
    "stage",
    "action",
    "flow_run_id",
    "code_version",
    "parameters",
    "input_hashes",
    "output_hashes",
    "prev_hash",
)


def event_hash(event: AuditEvent) -> str:
    """SHA-256 of the canonical JSON of the event's fields, ``prev_hash`` included."""
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def lock_deal(session: Session, deal_id: str) -> None:
    """Serialise writers of one deal: ``SELECT … FOR UPDATE`` on PostgreSQL, the database write lock on SQLite."""
    if is_sqlite(session):
        touch = update(Deal).where(col(Deal.deal_id) == deal_id).values(updated_at=col(Deal.updated_at))
        found = session.connection().execute(touch).rowcount == 1
    else:
        locked = select(col(Deal.deal_id)).where(col(Deal.deal_id) == deal_id).with_for_update()
        found = session.exec(locked).first() is not None
    if not found:
        raise LedgerError(f"Deal {deal_id!r} is not in the ledger; onboard its package first.")


def append_audit(
    session: Session,
    deal_id: str,
    stage: str,
    action: str,
    *,
    flow_run_id: str | None,
    code_version: str,
    parameters: Mapping[str, Any],
    input_hashes: Mapping[str, Any],
    output_hashes: Mapping[str, Any],
) -> AuditEvent:
    """Append the next event of a deal's chain, in the caller's transaction (the deal row is locked first)."""
    lock_deal(session, deal_id)
    last = session.execute(
        select(col(AuditEvent.seq), col(AuditEvent.hash))
        .where(col(AuditEvent.deal_id) == deal_id)
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    event = AuditEvent(
        deal_id=deal_id,
        seq=(last.seq + 1) if last else 1,
        created_at=utcnow(),
        stage=stage,
        action=action,
        flow_run_id=flow_run_id,
        code_version=code_version,
        parameters=normalised(dict(parameters)),
        input_hashes=normalised(dict(input_hashes)),
        output_hashes=normalised(dict(output_hashes)),
        prev_hash=last.hash if last else GENESIS_HASH,
        hash="",
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


def verify_audit_chain(session: Session, deal_id: str) -> list[str]:
    """Every problem of a deal's audit chain (empty when intact): edited rows, gaps, broken links."""
    if session.get(Deal, deal_id) is None:
        raise LedgerError(f"Deal {deal_id!r} is not in the ledger; onboard its package first.")
    events = session.scalars(
        select(AuditEvent).where(col(AuditEvent.deal_id) == deal_id).order_by(col(AuditEvent.seq))
    ).all()
    problems: list[str] = []
    expected_seq, prev_hash = 1, GENESIS_HASH
    for event in events:
        if event.seq != expected_seq:
            missing = (
                f"{expected_seq}" if event.seq == expected_seq + 1 else f"{expected_seq}–{event.seq - 1}"
            )
            problems.append(f"deal {deal_id}: gap at seq {missing} (row deleted?) before seq {event.seq}")
        elif event.prev_hash != prev_hash:
            problems.append(
                f"deal {deal_id}: broken link at seq {event.seq} (prev_hash ≠ hash of seq {event.seq - 1})"
            )
        if event_hash(event) != event.hash:
            problems.append(f"deal {deal_id}: hash mismatch at seq {event.seq} (row edited)")
        expected_seq, prev_hash = event.seq + 1, event.hash
    return problems


def audit_count(session: Session, deal_id: str) -> int:
    """How many audit events a deal has."""
    return session.scalar(select(func.count()).where(col(AuditEvent.deal_id) == deal_id)) or 0
