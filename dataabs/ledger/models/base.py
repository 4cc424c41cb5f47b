"""Shared pieces of the ledger tables: constraint naming, typed column helpers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, DateTime
from sqlmodel import Field, SQLModel

from dataabs.ledger.types import Money, Rate, utcnow

# Named constraints, so later migrations (batch mode on SQLite) can alter or drop them by name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STAGE_STATUSES = ("pending", "running", "passed", "failed", "stale")
RUN_STATUSES = ("running", "passed", "failed")


def deal_key(*, primary_key: bool = True) -> Any:
    """The ``deal_id`` column every deal-scoped table carries, referencing ``deal``."""
    return Field(foreign_key="deal.deal_id", primary_key=primary_key, index=not primary_key, max_length=64)


def money(*, nullable: bool = False) -> Any:
    """A CNY amount column, ``Numeric(20, 2)``, Decimal in and out."""
    return Field(default=None if nullable else ..., sa_type=Money(), nullable=nullable)


def rate(*, nullable: bool = False) -> Any:
    """A rate/score column, ``Numeric(12, 8)``, Decimal in and out."""
    return Field(default=None if nullable else ..., sa_type=Rate(), nullable=nullable)


def json_dict() -> Any:
    """A JSON object column (works on SQLite and PostgreSQL)."""
    return Field(default_factory=dict, sa_type=JSON, nullable=False)


def timestamp(*, nullable: bool = False) -> Any:
    """A naive-UTC timestamp column, defaulting to now."""
    if nullable:
        return Field(default=None, sa_type=DateTime(), nullable=True)
    return Field(default_factory=utcnow, sa_type=DateTime(), nullable=False)


def run_key() -> Any:
    """The ``stage_run_id`` of the run that wrote a row."""
    return Field(default=None, foreign_key="stage_run.id", index=True, max_length=36)
