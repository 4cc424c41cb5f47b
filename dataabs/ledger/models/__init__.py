"""Ledger tables (SQLModel), one module per area; later stages add a ``models/<stage>.py`` and a migration."""

from __future__ import annotations

from dataabs.ledger.models.deal import DEAL_TABLES, Asset, DataAsset, Deal, Obligor, Party, ScheduleLine
from dataabs.ledger.models.enhancement import StressResult, StructureRecord
from dataabs.ledger.models.governance import QualityResult
from dataabs.ledger.models.issuance import IssuanceRecord, IssuedTranche
from dataabs.ledger.models.pool import PoolAsset, PoolSnapshot
from dataabs.ledger.models.rights import RegistrySnapshot, Verification
from dataabs.ledger.models.runs import AuditEvent, DealLock, GateResult, StageRun, StageState
from dataabs.ledger.models.servicing import (
    CollateralEvent,
    Collection,
    DisclosureEvent,
    DistributionLine,
    DistributionPeriod,
    ServicingClaim,
    TrancheBalance,
    TriggerTest,
)
from dataabs.ledger.models.valuation import LtvRecord, ValuationRecord

__all__ = [
    "DEAL_TABLES",
    "Asset",
    "AuditEvent",
    "CollateralEvent",
    "Collection",
    "DataAsset",
    "Deal",
    "DealLock",
    "DisclosureEvent",
    "DistributionLine",
    "DistributionPeriod",
    "GateResult",
    "IssuanceRecord",
    "IssuedTranche",
    "LtvRecord",
    "Obligor",
    "Party",
    "PoolAsset",
    "PoolSnapshot",
    "QualityResult",
    "RegistrySnapshot",
    "ScheduleLine",
    "ServicingClaim",
    "StageRun",
    "StageState",
    "StressResult",
    "StructureRecord",
    "TrancheBalance",
    "TriggerTest",
    "ValuationRecord",
    "Verification",
]
