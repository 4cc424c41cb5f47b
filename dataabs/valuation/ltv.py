"""Pledge loan-to-value (质押率): LTV = loan principal / appraised value of the pledged data assets.

Thresholds come from :class:`~dataabs.valuation.model.LtvPolicy` (``policy.yaml``): at origination the LTV must not
exceed ``origination_max``; at re-valuation above ``warning_above`` is a warning and above ``cure_above`` requires
a cure (top-up, prepayment or substitution) and is a data-collateral trigger.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from dataabs.valuation.model import LtvPolicy

LtvStage = Literal["origination", "revaluation"]
LtvStatus = Literal["ok", "above_origination_limit", "warning", "cure"]


@dataclass(frozen=True)
class PledgedLoan:
    """A loan and the data assets pledged for it (from the loan tape)."""

    loan_id: str
    principal: Decimal
    data_asset_ids: tuple[str, ...]


@dataclass(frozen=True)
class LtvRow:
    """LTV of one pledged loan against policy."""

    loan_id: str
    principal: Decimal
    appraised_value: Decimal
    ltv: Decimal | None
    status: LtvStatus


def loan_to_value(principal: Decimal, appraised_value: Decimal) -> Decimal | None:
    """Principal / appraised value; None when there is no positive appraised value."""
    return principal / appraised_value if appraised_value > 0 else None


def ltv_status(ltv: Decimal | None, policy: LtvPolicy, stage: LtvStage) -> LtvStatus:
    """Classify an LTV against the policy limits of the stage; no value counts as the worst case."""
    if stage == "origination":
        return "ok" if ltv is not None and ltv <= policy.origination_max else "above_origination_limit"
    if ltv is None or ltv > policy.cure_above:
        return "cure"
    return "warning" if ltv > policy.warning_above else "ok"


def pledge_ltv(
    loans: Iterable[PledgedLoan], final_values: Mapping[str, Decimal], policy: LtvPolicy, stage: LtvStage
) -> list[LtvRow]:
    """LTV of every pledged loan from the final values of its data assets (missing assets count as zero)."""
    rows = []
    for loan in loans:
        appraised = sum((final_values.get(a, Decimal(0)) for a in loan.data_asset_ids), Decimal(0))
        ltv = loan_to_value(loan.principal, appraised)
        rows.append(LtvRow(loan.loan_id, loan.principal, appraised, ltv, ltv_status(ltv, policy, stage)))
    return rows
