"""Outputs of the governance stage (数据治理): GB/T 36344 quality indicators and scores."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Field, SQLModel

from dataabs.ledger.models.base import deal_key, rate, run_key


class QualityResult(SQLModel, table=True):
    """One quality score of a data asset: an indicator, a dimension score, or the overall ``Q``."""

    __tablename__ = "quality_result"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    data_asset_id: str = Field(max_length=64)
    dimension: str = Field(max_length=32)
    indicator: str | None = Field(default=None, max_length=64)
    score: Decimal = rate()
    stage_run_id: str | None = run_key()
