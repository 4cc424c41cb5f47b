"""The ledger (台账): SQLModel tables, engine and migrations, the stage store and the hash-chained audit log."""

from __future__ import annotations

from dataabs.ledger.audit import append_audit, verify_audit_chain
from dataabs.ledger.db import current_revision, get_engine, head_revision, migrate, session_scope
from dataabs.ledger.store import (
    LIFECYCLE_STAGES,
    AuditInput,
    StageStateView,
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

__all__ = [
    "LIFECYCLE_STAGES",
    "AuditInput",
    "StageStateView",
    "acquire_deal_lock",
    "append_audit",
    "commit_stage",
    "current_revision",
    "fail_stage_run",
    "get_engine",
    "head_revision",
    "migrate",
    "onboard_deal",
    "record_gate",
    "recover_interrupted",
    "release_deal_lock",
    "session_scope",
    "stage_states",
    "start_stage_run",
    "verify_audit_chain",
]
