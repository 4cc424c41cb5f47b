"""Outputs of the rights stage (确权): registry snapshots (append-only) and verification checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from dataabs.ledger.models.base import deal_key, json_dict, run_key, timestamp


class RegistrySnapshot(SQLModel, table=True):
    """A registry response as fetched (certificate or pledge search): evidence, never deleted."""

    __tablename__ = "registry_snapshot"
    __table_args__ = (CheckConstraint("kind IN ('certificate', 'pledges')", name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    kind: str = Field(max_length=16)
    certificate_no: str | None = Field(default=None, max_length=64)
    url_path: str
    fetched_at: datetime = timestamp()
    response_sha256: str = Field(max_length=64)
    body: dict[str, Any] = json_dict()
    stage_run_id: str | None = run_key()


class Verification(SQLModel, table=True):
    """The result of one verification check (V1–V9) of a data asset's certificate."""

    __tablename__ = "verification"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    data_asset_id: str = Field(max_length=64)
    certificate_no: str | None = Field(default=None, max_length=64)
    check_id: str = Field(max_length=16)
    passed: bool
    detail: str = ""
    stage_run_id: str | None = run_key()
