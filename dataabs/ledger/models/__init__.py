"""Ledger tables (SQLModel), one module per area; later stages add a ``models/<stage>.py`` and a migration."""

from __future__ import annotations

from dataabs.ledger.models.deal import DEAL_TABLES, Asset, DataAsset, Deal, Obligor, Party, ScheduleLine
from dataabs.ledger.models.governance import QualityResult
from dataabs.ledger.models.rights import RegistrySnapshot, Verification
from dataabs.ledger.models.runs import AuditEvent, DealLock, GateResult, StageRun, StageState

__all__ = [
    "DEAL_TABLES",
    "Asset",
    "AuditEvent",
    "DataAsset",
    "Deal",
    "DealLock",
    "GateResult",
    "Obligor",
    "Party",
    "QualityResult",
    "RegistrySnapshot",
    "ScheduleLine",
    "StageRun",
    "StageState",
    "Verification",
]
