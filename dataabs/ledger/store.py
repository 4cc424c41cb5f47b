"""The stage store: onboarding, stage runs, atomic stage commits with stale marking, gates and the deal lock.

Every function works inside the caller's session (one transaction, see ``session_scope``); none commits.
A stage commit replaces the stage's outputs, passes the stage, marks the later lifecycle stages stale and
appends the audit event all in that one transaction, so a crash leaves the previous committed state intact.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, delete, insert, inspect, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, col, select

from dataabs import __version__
from dataabs.errors import LedgerError
from dataabs.ledger.audit import append_audit, lock_deal
from dataabs.ledger.db import is_sqlite
from dataabs.ledger.jsonutil import canonical_json, normalised
from dataabs.ledger.models import (
    DEAL_TABLES,
    Asset,
    DataAsset,
    Deal,
    DealLock,
    GateResult,
    Obligor,
    Party,
    ScheduleLine,
    StageRun,
    StageState,
)
from dataabs.ledger.types import utcnow
from dataabs.package import DealPackage

LIFECYCLE_STAGES: tuple[str, ...] = ("governance", "rights", "valuation", "enhancement", "pool", "issuance")
ONBOARD_STAGE = "onboard"
TAPE_TABLES: dict[str, type[SQLModel]] = {
    "obligors": Obligor,
    "data_assets": DataAsset,
    "assets": Asset,
    "schedules": ScheduleLine,
}
COLUMN_ALIASES = {"registry": "registry_name"}  # tape column -> model attribute, where the names differ


@dataclass(frozen=True)
class AuditInput:
    """What a stage commit records in the audit log besides the deal, stage and time."""

    code_version: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    input_hashes: Mapping[str, Any] = field(default_factory=dict)
    output_hashes: Mapping[str, Any] = field(default_factory=dict)
    flow_run_id: str | None = None


@dataclass(frozen=True)
class StageStateView:
    """A stage of a deal as ``dataabs status`` shows it."""

    stage: str
    status: str
    updated_at: datetime
    last_run_id: str | None
    gate_success: bool | None
    gate_summary: str | None


# --- deals ---------------------------------------------------------------------------------------------------


def require_deal(session: Session, deal_id: str) -> Deal:
    """The deal, or ``LedgerError`` naming it when it was never onboarded."""
    deal = session.get(Deal, deal_id)
    if deal is None:
        raise LedgerError(f"Deal {deal_id!r} is not in the ledger; onboard its package first.")
    return deal


def package_sha256(file_hashes: Mapping[str, str]) -> str:
    """One hash of a whole package: SHA-256 of the canonical JSON of its per-file hashes."""
    return hashlib.sha256(canonical_json(dict(file_hashes)).encode("utf-8")).hexdigest()


def onboard_deal(session: Session, package: DealPackage) -> None:
    """Upsert the deal and replace its parties and tapes; a changed package makes every passed stage stale."""
    file_hashes = package.file_hashes()
    digest = package_sha256(file_hashes)
    deal = session.get(Deal, package.deal_id)
    changed = deal is None or deal.package_sha256 != digest
    now = utcnow()
    if deal is None:
        deal = Deal(
            deal_id=package.deal_id,
            name=package.deal.name,
            model=package.deal.model,
            package_path=str(package.root),
            package_sha256=digest,
            onboarded_at=now,
            updated_at=now,
        )
        session.add(deal)
        session.flush()
    else:
        lock_deal(session, deal.deal_id)
        deal.name, deal.model, deal.package_path = package.deal.name, package.deal.model, str(package.root)
        deal.package_sha256, deal.updated_at = digest, now
    replace_deal_rows(session, package)
    ensure_stage_states(session, package.deal_id)
    if not changed:
        return
    set_status(session, package.deal_id, [*LIFECYCLE_STAGES], ("passed",), "stale")
    append_audit(
        session,
        package.deal_id,
        ONBOARD_STAGE,
        "onboard",
        flow_run_id=None,
        code_version=__version__,
        parameters={"package_path": str(package.root)},
        input_hashes=file_hashes,
        output_hashes={"package_sha256": digest},
    )


def replace_deal_rows(session: Session, package: DealPackage) -> None:
    """Delete the deal's party and tape rows (children first) and insert the package's (parents first)."""
    deal_id = package.deal_id
    for model in reversed(DEAL_TABLES):
        delete_deal_rows(session, model, deal_id)
    parties = [
        {
            "deal_id": deal_id,
            "party_id": p.id,
            "role": p.role,
            "name": p.name,
            "uscc": p.uscc,
            "rating": p.rating,
        }
        for p in package.deal.parties
    ]
    rows_by_table: dict[type[SQLModel], list[dict[str, Any]]] = {Party: parties}
    rows_by_table |= {
        model: tape_rows(model, package.tapes[name], deal_id) for name, model in TAPE_TABLES.items()
    }
    for model in DEAL_TABLES:
        if rows_by_table[model]:
            session.execute(insert(model), rows_by_table[model])


def table_of(model: type[SQLModel]) -> Table:
    """The table a SQLModel class maps."""
    return cast(Table, inspect(model).local_table)


def delete_deal_rows(session: Session, model: type[SQLModel], deal_id: str) -> None:
    """Delete every row of a deal from a deal-scoped table (ORM delete: the session forgets the rows too)."""
    table = table_of(model)
    if "deal_id" not in table.c:
        raise LedgerError(f"Table {table.name} has no deal_id: it cannot be replaced per deal.")
    session.execute(delete(model).where(table.c.deal_id == deal_id))


def tape_rows(model: type[SQLModel], frame: pd.DataFrame, deal_id: str) -> list[dict[str, Any]]:
    """The rows of a typed tape as column dicts of a table (extra tape columns are not stored)."""
    renamed = frame.rename(columns=COLUMN_ALIASES)
    columns = [c for c in renamed.columns if c in model.model_fields and c != "deal_id"]
    return [
        {"deal_id": deal_id, **{c: plain(v) for c, v in zip(columns, values, strict=True)}}
        for values in renamed[columns].itertuples(index=False, name=None)
    ]


def plain(value: Any) -> Any:
    """A DataFrame cell as a plain Python value: missing → None, numpy scalars unwrapped, Decimal kept."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) and not isinstance(value, str) else value


# --- stage states and runs -----------------------------------------------------------------------------------


def ensure_stage_states(session: Session, deal_id: str, stages: Iterable[str] = LIFECYCLE_STAGES) -> None:
    """Create missing stage states as pending."""
    for stage in stages:
        if session.get(StageState, (deal_id, stage)) is None:
            session.add(StageState(deal_id=deal_id, stage=stage, status="pending", updated_at=utcnow()))
    session.flush()


def set_status(
    session: Session, deal_id: str, stages: list[str], from_statuses: tuple[str, ...], to_status: str
) -> None:
    """Move the given stages of a deal that are in one of ``from_statuses`` to ``to_status``."""
    if not stages:
        return
    session.execute(
        update(StageState)
        .where(
            col(StageState.deal_id) == deal_id,
            col(StageState.stage).in_(stages),
            col(StageState.status).in_(from_statuses),
        )
        .values(status=to_status, updated_at=utcnow())
    )


def later_stages(stage: str) -> list[str]:
    """The lifecycle stages after ``stage`` (none for a stage outside the lifecycle)."""
    if stage not in LIFECYCLE_STAGES:
        return []
    return list(LIFECYCLE_STAGES[LIFECYCLE_STAGES.index(stage) + 1 :])


def start_stage_run(
    session: Session, deal_id: str, stage: str, *, flow_run_id: str | None, parameters: Mapping[str, Any]
) -> str:
    """Open a run of a stage (the stage becomes running) and return its id."""
    require_deal(session, deal_id)
    ensure_stage_states(session, deal_id, [stage])
    state = session.get_one(StageState, (deal_id, stage))
    if state.status == "running":
        raise LedgerError(
            f"Stage {stage} of deal {deal_id} is already running (run {state.last_run_id}); "
            "wait for it, or recover an interrupted run first."
        )
    now = utcnow()
    run = StageRun(
        id=str(uuid.uuid4()),
        deal_id=deal_id,
        stage=stage,
        status="running",
        started_at=now,
        flow_run_id=flow_run_id,
        parameters=normalised(dict(parameters)),
    )
    session.add(run)
    session.flush()
    state.status, state.last_run_id, state.updated_at = "running", run.id, now
    session.flush()
    return run.id


def running_run(session: Session, deal_id: str, stage: str, run_id: str) -> StageRun:
    """The run, checked to belong to this deal and stage and to be still running."""
    run = session.get(StageRun, run_id)
    if run is None or run.deal_id != deal_id or run.stage != stage:
        raise LedgerError(f"Run {run_id} is not a run of stage {stage} of deal {deal_id}.")
    if run.status != "running":
        raise LedgerError(f"Run {run_id} of stage {stage} of deal {deal_id} is already {run.status}.")
    return run


def finish_run(session: Session, run: StageRun, status: str, error: str | None = None) -> None:
    """Close a run and move its stage to the same status when the stage still points at it."""
    now = utcnow()
    run.status, run.finished_at, run.error = status, now, error
    state = session.get(StageState, (run.deal_id, run.stage))
    if state is not None and state.last_run_id == run.id:
        state.status, state.updated_at = status, now
    session.flush()


def commit_stage(
    session: Session,
    deal_id: str,
    stage: str,
    run_id: str,
    *,
    replace: Mapping[type[SQLModel], list[SQLModel]],
    append: list[SQLModel],
    audit: AuditInput,
) -> None:
    """Replace the stage's outputs, pass it, stale the later stages and append the audit event — one transaction."""
    run = running_run(session, deal_id, stage, run_id)
    lock_deal(session, deal_id)
    for model, rows in replace.items():
        delete_deal_rows(session, model, deal_id)
        add_rows(session, deal_id, run_id, rows)
    add_rows(session, deal_id, run_id, append)
    finish_run(session, run, "passed")
    set_status(session, deal_id, later_stages(stage), ("passed", "failed"), "stale")
    append_audit(
        session,
        deal_id,
        stage,
        "commit",
        flow_run_id=audit.flow_run_id,
        code_version=audit.code_version,
        parameters=audit.parameters,
        input_hashes=audit.input_hashes,
        output_hashes=audit.output_hashes,
    )


def add_rows(session: Session, deal_id: str, run_id: str, rows: list[SQLModel]) -> None:
    """Insert output rows of a deal, stamping ``stage_run_id`` where the table has one and it is unset."""
    for row in rows:
        if getattr(row, "deal_id", None) != deal_id:
            raise LedgerError(
                f"{type(row).__name__} row for deal {getattr(row, 'deal_id', None)!r} "
                f"cannot be committed under deal {deal_id!r}."
            )
        if "stage_run_id" in type(row).model_fields and getattr(row, "stage_run_id", None) is None:
            row.stage_run_id = run_id
    session.add_all(rows)
    session.flush()


def fail_stage_run(session: Session, deal_id: str, stage: str, run_id: str, error: str) -> None:
    """Mark a run and its stage failed; the previously committed outputs stay as they are."""
    run = session.get(StageRun, run_id)
    if run is None or run.deal_id != deal_id or run.stage != stage:
        raise LedgerError(f"Run {run_id} is not a run of stage {stage} of deal {deal_id}.")
    if run.status == "passed":
        raise LedgerError(f"Run {run_id} of stage {stage} of deal {deal_id} has already passed.")
    finish_run(session, run, "failed", error)


def recover_interrupted(session: Session, deal_id: str) -> list[str]:
    """Fail the runs a crashed process left running (call it holding the deal lock); returns their stages."""
    require_deal(session, deal_id)
    stages = set(running_stages(session, deal_id))
    runs = session.scalars(
        select(StageRun).where(col(StageRun.deal_id) == deal_id, col(StageRun.status) == "running")
    ).all()
    for run in runs:
        finish_run(session, run, "failed", "interrupted")
    stages |= {run.stage for run in runs}
    set_status(session, deal_id, sorted(stages), ("running",), "failed")
    return sorted(stages)


def running_stages(session: Session, deal_id: str) -> Iterable[str]:
    """Stages of a deal whose state is still running."""
    return session.scalars(
        select(col(StageState.stage)).where(
            col(StageState.deal_id) == deal_id, col(StageState.status) == "running"
        )
    ).all()


# --- gates and status ----------------------------------------------------------------------------------------


def record_gate(session: Session, deal_id: str, stage: str, run_id: str, gate: Mapping[str, Any]) -> None:
    """Store a gate result (suite, success, evaluated, failed_critical, failed_warning, details) of a run."""
    missing = [key for key in ("suite", "success") if key not in gate]
    if missing:
        raise LedgerError(f"Gate result of stage {stage} of deal {deal_id} lacks {', '.join(missing)}.")
    session.add(
        GateResult(
            deal_id=deal_id,
            stage=stage,
            stage_run_id=run_id,
            suite=str(gate["suite"]),
            success=bool(gate["success"]),
            evaluated=int(gate.get("evaluated", 0)),
            failed_critical=int(gate.get("failed_critical", 0)),
            failed_warning=int(gate.get("failed_warning", 0)),
            details=normalised(gate.get("details", {})),
            created_at=utcnow(),
        )
    )
    session.flush()


def gate_summary(gate: GateResult) -> str:
    """One line about a gate result."""
    verdict = "passed" if gate.success else "failed"
    return (
        f"{gate.suite} {verdict}: {gate.evaluated} evaluated, "
        f"{gate.failed_critical} critical and {gate.failed_warning} warning failed"
    )


def stage_states(session: Session, deal_id: str) -> list[StageStateView]:
    """Every stage of a deal in lifecycle order, with its last gate."""
    require_deal(session, deal_id)
    states = session.scalars(select(StageState).where(col(StageState.deal_id) == deal_id)).all()
    gates = session.scalars(
        select(GateResult).where(col(GateResult.deal_id) == deal_id).order_by(col(GateResult.id).desc())
    ).all()
    last_gate: dict[str, GateResult] = {}
    for result in gates:
        last_gate.setdefault(result.stage, result)
    order = {stage: i for i, stage in enumerate(LIFECYCLE_STAGES)}
    views = []
    for state in sorted(states, key=lambda s: (order.get(s.stage, len(order)), s.stage)):
        gate = last_gate.get(state.stage)
        views.append(
            StageStateView(
                stage=state.stage,
                status=state.status,
                updated_at=state.updated_at,
                last_run_id=state.last_run_id,
                gate_success=gate.success if gate else None,
                gate_summary=gate_summary(gate) if gate else None,
            )
        )
    return views


# --- the deal lock -------------------------------------------------------------------------------------------


def acquire_deal_lock(session: Session, deal_id: str, holder: str, ttl_seconds: int) -> bool:
    """Take (or renew) the deal's run lock for ``ttl_seconds``; False while another holder's lock is live."""
    if ttl_seconds <= 0:
        raise LedgerError(f"Deal lock TTL must be positive, got {ttl_seconds}.")
    now = utcnow()
    values = {"holder": holder, "acquired_at": now, "expires_at": now + timedelta(seconds=ttl_seconds)}
    table = table_of(DealLock)
    connection = session.connection()
    taken = connection.execute(
        update(table)
        .where(table.c.deal_id == deal_id, or_(table.c.expires_at <= now, table.c.holder == holder))
        .values(**values)
    ).rowcount
    if taken:
        return True
    dialect_insert = sqlite_insert if is_sqlite(session) else pg_insert
    claim = (
        dialect_insert(table)
        .values(deal_id=deal_id, **values)
        .on_conflict_do_nothing(index_elements=["deal_id"])
        .returning(table.c.deal_id)
    )
    return connection.execute(claim).first() is not None


def release_deal_lock(session: Session, deal_id: str, holder: str) -> bool:
    """Release the deal's run lock if ``holder`` holds it; True when a lock was released."""
    table = table_of(DealLock)
    released = (
        session.connection()
        .execute(delete(table).where(table.c.deal_id == deal_id, table.c.holder == holder))
        .rowcount
    )
    return released == 1


def deal_lock_holder(session: Session, deal_id: str) -> str | None:
    """Who holds the deal's run lock now (None when free)."""
    table = table_of(DealLock)
    row = session.connection().execute(select(table.c.holder).where(table.c.deal_id == deal_id)).first()
    return None if row is None else str(row[0])


def break_deal_lock(session: Session, deal_id: str, holder: str) -> bool:
    """Remove a lock whose holder is known to be dead; only that holder's lock (compare-and-delete)."""
    return release_deal_lock(session, deal_id, holder)
