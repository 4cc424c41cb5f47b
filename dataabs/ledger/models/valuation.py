"""Outputs of the valuation stage (数据资产评估): appraisals and loan-to-value, append-only history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Field, SQLModel

from dataabs.ledger.models.base import deal_key, json_dict, money, rate, run_key, timestamp


class ValuationRecord(SQLModel, table=True):
    """One appraised value of a data asset by one method (or the reconciled ``final``); never updated or deleted."""

    __tablename__ = "valuation_record"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    data_asset_id: str = Field(max_length=64, index=True)
    base_date: date
    method: str = Field(max_length=16)
    value: Decimal = money()
    inputs: dict[str, Any] = json_dict()
    final: bool = False
    reason: str = ""
    stage_run_id: str | None = run_key()
    created_at: datetime = timestamp()


class LtvRecord(SQLModel, table=True):
    """The loan-to-value of one data-pledged loan against its collateral's final value; never updated or deleted."""

    __tablename__ = "ltv_record"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    asset_id: str = Field(max_length=64)
    data_asset_id: str = Field(max_length=64)
    principal: Decimal = money()
    appraised_value: Decimal = money()
    ltv: Decimal = rate()
    status: str = Field(max_length=16)
    stage_run_id: str | None = run_key()
    created_at: datetime = timestamp()
