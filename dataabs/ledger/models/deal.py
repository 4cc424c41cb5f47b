"""The deal and its tapes as onboarded from the deal package; replaced whenever the deal is re-onboarded."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKeyConstraint
from sqlmodel import Field, SQLModel

from dataabs.ledger.models.base import deal_key, money, rate, timestamp


class Deal(SQLModel, table=True):
    """A deal (专项计划) known to the ledger, with the hash of the package it was onboarded from."""

    __tablename__ = "deal"

    deal_id: str = Field(primary_key=True, max_length=64)
    name: str
    model: str = Field(max_length=32)
    package_path: str
    package_sha256: str = Field(max_length=64)
    onboarded_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class Party(SQLModel, table=True):
    """A party to the deal from ``deal.yaml`` (manager, guarantor, custodian, ...)."""

    __tablename__ = "party"

    deal_id: str = deal_key()
    party_id: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=32)
    name: str
    uscc: str | None = None
    rating: str | None = None


class Obligor(SQLModel, table=True):
    """A row of the obligor tape."""

    __tablename__ = "obligor"

    deal_id: str = deal_key()
    obligor_id: str = Field(primary_key=True, max_length=64)
    name: str
    uscc: str
    province: str
    city: str
    industry: str = Field(max_length=1)
    dishonest: bool | None = None
    rating: str | None = None
    private: bool | None = None


class DataAsset(SQLModel, table=True):
    """A row of the data-asset tape (数据资产)."""

    __tablename__ = "data_asset"
    __table_args__ = (
        ForeignKeyConstraint(["deal_id", "holder_obligor_id"], ["obligor.deal_id", "obligor.obligor_id"]),
    )

    deal_id: str = deal_key()
    data_asset_id: str = Field(primary_key=True, max_length=64)
    name: str
    holder_obligor_id: str = Field(max_length=64)
    data_type: str
    classification: str = Field(max_length=16)
    source_type: str = Field(max_length=32)
    authorisation_ref: str | None = None
    authorisation_expiry: date | None = None
    waiver_ref: str | None = None
    risk_assessment_date: date | None = None
    sample_file: str
    spec_file: str
    certificate_no: str | None = None
    evidence_file: str | None = None
    registry_name: str | None = None  # tape column "registry" (the attribute name is reserved by SQLAlchemy)
    book_value: Decimal = money()


class Asset(SQLModel, table=True):
    """A row of the asset tape (loan, receivable, lease, revenue right)."""

    __tablename__ = "asset"
    __table_args__ = (
        ForeignKeyConstraint(["deal_id", "obligor_id"], ["obligor.deal_id", "obligor.obligor_id"]),
        ForeignKeyConstraint(
            ["deal_id", "data_asset_id"], ["data_asset.deal_id", "data_asset.data_asset_id"]
        ),
        ForeignKeyConstraint(["deal_id", "guarantor_id"], ["party.deal_id", "party.party_id"]),
    )

    deal_id: str = deal_key()
    asset_id: str = Field(primary_key=True, max_length=64)
    obligor_id: str = Field(max_length=64)
    asset_type: str = Field(max_length=16)
    principal: Decimal = money()
    currency: str = Field(max_length=3)
    rate: Decimal = rate()
    rate_type: str = Field(max_length=16)
    day_count: str = Field(max_length=16)
    origination_date: date
    maturity_date: date
    status: str = Field(max_length=16)
    max_days_past_due: int
    restructured: bool
    fully_drawn: bool
    data_asset_id: str | None = Field(default=None, max_length=64)
    guarantor_id: str | None = Field(default=None, max_length=64)


class ScheduleLine(SQLModel, table=True):
    """A scheduled principal (and optional interest) amount of an asset on a due date."""

    __tablename__ = "schedule_line"
    __table_args__ = (ForeignKeyConstraint(["deal_id", "asset_id"], ["asset.deal_id", "asset.asset_id"]),)

    deal_id: str = deal_key()
    asset_id: str = Field(primary_key=True, max_length=64)
    due_date: date = Field(primary_key=True)
    principal_due: Decimal = money()
    interest_due: Decimal | None = money(nullable=True)


# Insert order (parents first); deletes run in reverse.
DEAL_TABLES: tuple[type[SQLModel], ...] = (Party, Obligor, DataAsset, Asset, ScheduleLine)
