"""Outputs of the pool stage (资产池封包): the frozen snapshot (append-only history) and the frozen pool's assets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from dataabs.ledger.models.base import deal_key, money, run_key, timestamp


class PoolSnapshot(SQLModel, table=True):
    """A pool frozen at the cut-off (封包): canonical CSV, its SHA-256 and totals; every run appends one."""

    __tablename__ = "pool_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    stage_run_id: str | None = run_key()
    cut_off: date
    sha256: str = Field(max_length=64, index=True)
    asset_count: int
    principal_total: Decimal = money()
    asset_ids: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    csv_text: str = Field(sa_type=Text)
    created_at: datetime = timestamp()


class PoolAsset(SQLModel, table=True):
    """An asset of the deal's current frozen pool; the pool stage replaces these rows on every commit."""

    __tablename__ = "pool_asset"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    asset_id: str = Field(max_length=64)
    obligor_id: str = Field(max_length=64)
    data_asset_id: str | None = Field(default=None, max_length=64)
    principal: Decimal = money()
    snapshot_sha256: str = Field(max_length=64)
    stage_run_id: str | None = run_key()
