"""Outputs of the issuance stage (发行): the issued tranches (replaced per run) and the issuance record (history).

Servicing starts from these rows: the tranches' sizes, coupons and dates, and the projected schedule at issuance.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from dataabs.ledger.models.base import deal_key, json_dict, money, rate, run_key, timestamp


class IssuedTranche(SQLModel, table=True):
    """A tranche as issued: size, coupon, rating, dates and WAL of the base-case projection."""

    __tablename__ = "issued_tranche"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    tranche_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    size: Decimal = money()
    coupon: Decimal | None = rate(nullable=True)
    coupon_source: str = Field(max_length=16)
    rating: str | None = Field(default=None, max_length=32)
    closing_date: date
    expected_maturity: date
    legal_maturity: date | None = None
    wal_years: Decimal | None = rate(nullable=True)
    yield_rate: Decimal | None = rate(nullable=True)
    spread_bp: Decimal | None = rate(nullable=True)
    stage_run_id: str | None = run_key()


class IssuanceRecord(SQLModel, table=True):
    """One issuance run: the frozen pool it rests on, the curve, the terms and the projected schedule (JSON)."""

    __tablename__ = "issuance_record"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    stage_run_id: str | None = run_key()
    closing_date: date
    pool_snapshot_sha256: str = Field(max_length=64)
    curve: dict[str, Any] = json_dict()
    terms: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=False)
    schedule: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, nullable=False)
    created_at: datetime = timestamp()
