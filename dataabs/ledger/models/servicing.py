"""Servicing-period tables (存续期): collections by bank transaction id, one distribution per (deal, payment date),
its lines, tranche balances, trigger tests, claims and disclosures; surveillance's data-collateral events.

Exactly-once lives in the schema: ``collection`` is unique on (deal_id, transaction_id), so a receipt fetched twice
(a rerun, a duplicate page, the same statement imported again) is stored once; ``distribution_period`` is unique on
(deal_id, payment_date), so a period is distributed once unless an operator reopens it (which deletes the period's
rows and writes new ones in one transaction, audited). ``collateral_event`` is history: rows are only appended.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Float, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dataabs.ledger.models.base import deal_key, json_dict, money, rate, timestamp


def period_key() -> Any:
    """The distribution period a child row belongs to."""
    return Field(sa_column=Column(Integer, ForeignKey("distribution_period.id"), nullable=False, index=True))


class Collection(SQLModel, table=True):
    """A bank transaction on the plan's collection account (归集账户流水), stored once per transaction id."""

    __tablename__ = "collection"
    __table_args__ = (UniqueConstraint("deal_id", "transaction_id"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    transaction_id: str = Field(max_length=64)
    value_date: date = Field(index=True)
    amount: Decimal = money()
    currency: str = Field(default="CNY", max_length=3)
    counterparty_name: str = Field(default="", max_length=200)
    counterparty_account: str = Field(default="", max_length=64)
    reference: str = Field(default="", max_length=500)
    direction: str = Field(max_length=8)
    source: str = Field(max_length=16, description="bank (fetched over the API) or statement (a file).")
    source_ref: str = Field(default="", max_length=500)
    collected_for: date = Field(description="The payment date of the run that first stored it.")
    flow_run_id: str | None = Field(default=None, max_length=36)
    collected_at: datetime = timestamp()


class DistributionPeriod(SQLModel, table=True):
    """A distributed payment period (收益分配): the funds, the status it ran under and its frozen collections."""

    __tablename__ = "distribution_period"
    __table_args__ = (UniqueConstraint("deal_id", "payment_date"),)

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    payment_date: date
    period_index: int
    deal_status: str = Field(max_length=32)
    collected: Decimal = money()
    carry_in: Decimal = money()
    available: Decimal = money()
    paid: Decimal = money()
    carry_forward: Decimal = money()
    collections: dict[str, Any] = json_dict()
    adjustments: dict[str, Any] = json_dict()
    receipts: int = 0
    inputs_sha256: str = Field(max_length=64)
    report_dir: str = Field(default="", max_length=1000)
    flow_run_id: str | None = Field(default=None, max_length=36)
    distributed_at: datetime = timestamp()
    reopened: int = 0
    reopen_reason: str | None = Field(default=None, sa_type=Text)


class DistributionLine(SQLModel, table=True):
    """One line of a period's distribution: ``seq, step, payee, due, paid, shortfall``."""

    __tablename__ = "distribution_line"

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = period_key()
    deal_id: str = deal_key(primary_key=False)
    payment_date: date
    seq: int
    step: str = Field(max_length=32)
    payee: str = Field(max_length=64)
    due: Decimal = money()
    paid: Decimal = money()
    shortfall: Decimal = money()


class TrancheBalance(SQLModel, table=True):
    """A tranche's statement for a period: opening balance, interest and principal due and paid, closing."""

    __tablename__ = "tranche_balance"

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = period_key()
    deal_id: str = deal_key(primary_key=False)
    payment_date: date
    tranche_id: str = Field(max_length=64)
    opening_balance: Decimal = money()
    interest_due: Decimal = money()
    interest: Decimal = money()
    principal_due: Decimal = money()
    principal: Decimal = money()
    closing_balance: Decimal = money()
    shortfall: Decimal = money()


class TriggerTest(SQLModel, table=True):
    """A trigger tested at the end of a period: metric value, threshold, breached, fired, resulting status."""

    __tablename__ = "trigger_test"

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = period_key()
    deal_id: str = deal_key(primary_key=False)
    payment_date: date
    trigger_id: str = Field(max_length=64)
    metric: str = Field(max_length=64)
    value: float | None = Field(default=None, sa_type=Float)
    threshold: Decimal = rate()
    breached: bool
    fired: bool
    effect: str = Field(max_length=32)
    status: str = Field(max_length=32)


class ServicingClaim(SQLModel, table=True):
    """A claim on a guarantee or shortfall undertaking (代偿申请) as of a period: raised, paid, outstanding."""

    __tablename__ = "servicing_claim"

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = period_key()
    deal_id: str = deal_key(primary_key=False)
    payment_date: date
    asset_id: str = Field(max_length=64)
    obligor_id: str = Field(max_length=64)
    guarantor_id: str | None = Field(default=None, max_length=64)
    due_date: date
    claim_date: date
    expected_payment_date: date
    amount: Decimal = money()
    paid: Decimal = money()
    outstanding: Decimal = money()
    status: str = Field(max_length=16)


class DisclosureEvent(SQLModel, table=True):
    """A regulatory temporary-disclosure event (临时信息披露) found at a period."""

    __tablename__ = "disclosure_event"
    __table_args__ = (UniqueConstraint("deal_id", "payment_date", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = period_key()
    deal_id: str = deal_key(primary_key=False)
    payment_date: date
    kind: str = Field(max_length=32)
    value: Decimal | None = rate(nullable=True)
    threshold: Decimal | None = rate(nullable=True)
    detail: str = Field(default="", sa_type=Text)
    created_at: datetime = timestamp()


class CollateralEvent(SQLModel, table=True):
    """A data-collateral event seen by surveillance (数据质押物事件); appended, never overwritten.

    ``status`` is ``open`` when the condition is seen and ``cured`` when a later check finds it gone; an event
    open past ``cure_by`` makes the period's ``data_collateral_event`` flag true for the waterfall's triggers.
    """

    __tablename__ = "collateral_event"

    id: int | None = Field(default=None, primary_key=True)
    deal_id: str = deal_key(primary_key=False)
    observed_on: date = Field(index=True)
    kind: str = Field(max_length=32)
    severity: str = Field(max_length=16)
    data_asset_id: str | None = Field(default=None, max_length=64)
    asset_id: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=16)
    value: Decimal | None = rate(nullable=True)
    threshold: Decimal | None = rate(nullable=True)
    detail: str = Field(default="", sa_type=Text)
    cure_by: date | None = None
    flow_run_id: str | None = Field(default=None, max_length=36)
    created_at: datetime = timestamp()


SERVICING_CHILDREN: tuple[type[SQLModel], ...] = (
    DistributionLine,
    TrancheBalance,
    TriggerTest,
    ServicingClaim,
    DisclosureEvent,
)
__all__ = [
    "SERVICING_CHILDREN",
    "CollateralEvent",
    "Collection",
    "DisclosureEvent",
    "DistributionLine",
    "DistributionPeriod",
    "ServicingClaim",
    "TrancheBalance",
    "TriggerTest",
]
