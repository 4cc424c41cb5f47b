"""Outputs of the enhancement stage (增信与分层): the sized structure (history) and the stress table (replaced)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Field, SQLModel

from dataabs.ledger.models.base import deal_key, json_dict, money, rate, run_key, timestamp


class StructureRecord(SQLModel, table=True):
    """The structure proposed by deal.yaml, the engine's sized senior and the full structure JSON, per run."""

    __tablename__ = "structure_record"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    stage_run_id: str | None = run_key()
    senior_proposed: Decimal = money()
    senior_sized: Decimal = money()
    evaluations: int
    structure: dict[str, Any] = json_dict()
    created_at: datetime = timestamp()


class StressResult(SQLModel, table=True):
    """One scenario of the stress grid for the committed structure; the stage replaces these rows each run."""

    __tablename__ = "stress_result"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    scenario: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    coverage: Decimal | None = rate(nullable=True)
    min_period_coverage: Decimal | None = rate(nullable=True)
    senior_loss: Decimal = money()
    passed: bool
    stage_run_id: str | None = run_key()
