"""Building blocks of a demo deal's structure (交易结构): tranches, fees, triggers, shared by every demo package."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from dataabs.demo.sampling import Inline

SENIOR_NAME = "优先级资产支持证券"
SUBORDINATE_NAME = "次级资产支持证券（原始权益人持有）"


def tranche_pair(
    senior: Decimal, subordinate: Decimal, coupon: Decimal, expected: date, legal: date
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Senior A (AAAsf, fixed, sequential) and subordinate B held by the originator."""
    common = {"rate_type": "fixed", "day_count": "ACT/365F", "amortisation": "sequential"}
    return (
        {
            "id": "A",
            "name": SENIOR_NAME,
            "kind": "senior",
            "seniority": 1,
            "size": int(senior),
            "coupon": float(coupon),
            **common,
            "rating": "AAAsf",
            "expected_maturity": expected,
            "legal_maturity": legal,
        },
        {
            "id": "B",
            "name": SUBORDINATE_NAME,
            "kind": "subordinate",
            "seniority": 2,
            "size": int(subordinate),
            "coupon": None,
            **common,
            "expected_maturity": expected,
            "legal_maturity": legal,
        },
    )


def standard_fees(rating_fee: int = 100000, servicing_rate: float = 0.0005) -> tuple[Inline, ...]:
    """Management 0.10% and custody 0.01% on the senior balance, rating surveillance each July, servicing on the pool."""
    return (
        Inline(
            id="management",
            payee="manager",
            kind="rate",
            rate=0.001,
            base="senior_balance",
            day_count="ACT/365F",
        ),
        Inline(
            id="custody",
            payee="custodian",
            kind="rate",
            rate=0.0001,
            base="senior_balance",
            day_count="ACT/365F",
        ),
        Inline(id="rating", payee="rating", kind="fixed", amount=rating_fee, months=[7]),
        Inline(
            id="servicing",
            payee="servicer",
            kind="rate",
            rate=servicing_rate,
            base="pool_balance",
            day_count="ACT/365F",
        ),
    )


def standard_triggers(data_collateral: bool) -> tuple[Inline, ...]:
    """EoD on unpaid senior interest, acceleration on cumulative defaults, LTV (if data-pledged), clean-up call."""
    ltv = (
        (
            Inline(
                id="data-collateral-ltv",
                kind="data_collateral",
                metric="ltv",
                operator=">",
                threshold=0.7,
                cure_periods=1,
            ),
        )
        if data_collateral
        else ()
    )
    return (
        Inline(
            id="eod-senior-interest",
            kind="event_of_default",
            metric="senior_interest_shortfall",
            operator=">",
            threshold=0,
        ),
        Inline(
            id="acceleration-cdr",
            kind="acceleration",
            metric="cumulative_default_rate",
            operator=">",
            threshold=0.1,
        ),
        *ltv,
        Inline(id="clean-up", kind="clean_up", metric="pool_factor", operator="<=", threshold=0.1),
    )
