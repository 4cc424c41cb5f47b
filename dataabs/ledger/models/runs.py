"""Run bookkeeping: stage states, stage runs, gate results, the hash-chained audit log and the deal lock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dataabs.ledger.models.base import RUN_STATUSES, STAGE_STATUSES, deal_key, json_dict, run_key, timestamp


def _status_check(statuses: tuple[str, ...]) -> CheckConstraint:
    """A CHECK constraint limiting ``status`` to the given values."""
    return CheckConstraint(f"status IN ({', '.join(repr(s) for s in statuses)})", name="status")


class StageRun(SQLModel, table=True):
    """One attempt at a stage of a deal, from start to pass or fail."""

    __tablename__ = "stage_run"
    __table_args__ = (_status_check(RUN_STATUSES),)

    id: str = Field(primary_key=True, max_length=36)
    deal_id: str = deal_key(primary_key=False)
    stage: str = Field(max_length=32)
    status: str = Field(max_length=16)
    started_at: datetime = timestamp()
    finished_at: datetime | None = timestamp(nullable=True)
    flow_run_id: str | None = Field(default=None, max_length=64)
    parameters: dict[str, Any] = json_dict()
    error: str | None = Field(default=None, sa_type=Text)


class StageState(SQLModel, table=True):
    """Where a stage of a deal stands: pending, running, passed, failed or stale."""

    __tablename__ = "stage_state"
    __table_args__ = (_status_check(STAGE_STATUSES),)

    deal_id: str = deal_key()
    stage: str = Field(primary_key=True, max_length=32)
    status: str = Field(default="pending", max_length=16)
    last_run_id: str | None = run_key()
    updated_at: datetime = timestamp()


class GateResult(SQLModel, table=True):
    """The outcome of a stage's data-quality gate (a GX suite) for one run."""

    __tablename__ = "gate_result"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    stage: str = Field(max_length=32)
    stage_run_id: str | None = run_key()
    suite: str
    success: bool
    evaluated: int = 0
    failed_critical: int = 0
    failed_warning: int = 0
    details: Any = Field(default_factory=dict, sa_type=JSON, nullable=False)
    created_at: datetime = timestamp()


class AuditEvent(SQLModel, table=True):
    """One entry of the append-only audit log; ``hash`` chains it to the previous entry of the deal."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("deal_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    seq: int
    created_at: datetime = timestamp()
    stage: str = Field(max_length=32)
    action: str = Field(max_length=32)
    flow_run_id: str | None = Field(default=None, max_length=64)
    code_version: str = Field(max_length=64)
    parameters: dict[str, Any] = json_dict()
    input_hashes: dict[str, Any] = json_dict()
    output_hashes: dict[str, Any] = json_dict()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class DealLock(SQLModel, table=True):
    """The "one run per deal at a time" lock: a holder and an expiry (no foreign key: locks may precede onboarding)."""

    __tablename__ = "deal_lock"

    deal_id: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    acquired_at: datetime = timestamp()
    expires_at: datetime = timestamp()
