"""Regulatory temporary-disclosure tests (临时信息披露) at each servicing period [S]:

- base-asset loss above ``loss_share`` (10%) of the ABS principal outstanding: cumulative defaulted balance less
  guarantee principal and recoveries received, over the tranches' opening balance of the period;
- cash flow down by more than ``cash_flow_drop`` (20%) from the forecast: the period's pool cash (interest,
  principal, recoveries, guarantee payments) against the issuance base-case projection for the same period;
- an adverse rating change reported by the operator (no rating feed yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pandas as pd

from dataabs.engine.model import PeriodCollections
from dataabs.servicing.policy import DisclosurePolicy

DISCLOSURE_COLUMNS = ["kind", "value", "threshold", "detail"]
KIND_LABELS = {
    "asset_loss": "基础资产损失超过资产支持证券未偿本金10% / base-asset loss above 10% of ABS outstanding",
    "cash_flow_drop": "现金流较预测减少20%以上 / cash flow more than 20% below forecast",
    "rating_downgrade": "评级不利变化 / adverse rating change",
}


def period_cash(c: PeriodCollections) -> Decimal:
    """Pool cash of a period: interest, principal, recoveries and guarantee payments."""
    return c.interest + c.principal + c.recoveries + c.guarantee_interest + c.guarantee_principal


def disclosure_checks(
    actual: Sequence[PeriodCollections],
    projected: PeriodCollections | None,
    abs_outstanding: Decimal,
    policy: DisclosurePolicy,
    *,
    rating_downgrade: bool = False,
) -> pd.DataFrame:
    """The disclosure events of the current period (the last of ``actual``), one row per event found."""
    current = actual[-1]
    rows: list[dict[str, object]] = []
    received = sum((c.guarantee_principal + c.recoveries for c in actual), Decimal(0))
    loss = max(current.cumulative_defaults - received, Decimal(0))
    if abs_outstanding > 0:
        share = loss / abs_outstanding
        if share > policy.loss_share:
            rows.append(
                {
                    "kind": "asset_loss",
                    "value": round(share, 8),
                    "threshold": policy.loss_share,
                    "detail": f"net loss {loss:,.2f} of ABS outstanding {abs_outstanding:,.2f}",
                }
            )
    if projected is not None and period_cash(projected) > 0:
        change = period_cash(current) / period_cash(projected) - 1
        if change < -policy.cash_flow_drop:
            rows.append(
                {
                    "kind": "cash_flow_drop",
                    "value": round(change, 8),
                    "threshold": -policy.cash_flow_drop,
                    "detail": f"period cash {period_cash(current):,.2f} vs forecast {period_cash(projected):,.2f}",
                }
            )
    if rating_downgrade:
        rows.append(
            {
                "kind": "rating_downgrade",
                "value": None,
                "threshold": None,
                "detail": "reported by the operator",
            }
        )
    return pd.DataFrame(rows, columns=DISCLOSURE_COLUMNS)
