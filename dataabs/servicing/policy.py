"""Servicing and surveillance policy (存续期管理政策) [P]: ``config/policy.yaml`` section ``servicing``.

Grace and claim delays feed reconciliation (``ServicingRules``); disclosure thresholds are the regulatory temporary
disclosure tests [S] kept as config; cure periods are how long a data-collateral event may stay open before it
counts for the waterfall's ``data_collateral_event`` trigger metric; the schedule section says when the scheduled
servicing and surveillance runs start.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dataabs.servicing.reconcile import ServicingRules


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DisclosurePolicy(_Section):
    """Temporary disclosure (临时信息披露) thresholds [S]."""

    loss_share: Decimal = Field(
        default=Decimal("0.10"),
        description="Base-asset net loss above this share of ABS principal outstanding.",
    )
    cash_flow_drop: Decimal = Field(
        default=Decimal("0.20"),
        description="Period cash below the issuance forecast by more than this share.",
    )


class CureDays(_Section):
    """Cure periods of data-collateral events, in calendar days from the day surveillance first sees them [P]."""

    ltv_breach: int = Field(
        default=30, ge=0, description="LTV above cure_above: top-up, prepay or substitute."
    )
    certificate: int = Field(
        default=60, ge=0, description="Certificate revoked, expired, suspended or disputed."
    )
    pledge: int = Field(default=30, ge=0, description="Pledge no longer registered first-ranking.")
    classification: int = Field(default=30, ge=0, description="Classification raised above general.")
    pii: int = Field(default=30, ge=0, description="Personal information found in a refreshed sample.")


class ScheduleTimes(_Section):
    """When scheduled runs start (the deal's payment calendar decides the days)."""

    timezone: str = "Asia/Shanghai"
    servicing_at: str = Field(default="09:00", pattern=r"^\d{2}:\d{2}$", description="On each payment day.")
    surveillance_cron: str = Field(default="0 8 1 * *", description="Monthly surveillance (cron).")


class ServicingPolicy(_Section):
    """The ``servicing`` section of house policy."""

    grace_days: int = Field(default=30, ge=0)
    claim_delay_days: int = Field(default=30, ge=0)
    overpayment: Literal["suspense", "prepayment"] = "suspense"
    disclosure: DisclosurePolicy = DisclosurePolicy()
    cure_days: CureDays = CureDays()
    schedule: ScheduleTimes = ScheduleTimes()

    def rules(self) -> ServicingRules:
        """Reconciliation rules from this policy."""
        return ServicingRules(
            grace_days=self.grace_days, claim_delay_days=self.claim_delay_days, overpayment=self.overpayment
        )
