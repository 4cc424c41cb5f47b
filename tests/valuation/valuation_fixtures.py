"""Shared inputs of the valuation tests: the domain worked example scaled to ¥m (values compare as 26.76 etc.)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from dataabs.valuation.model import AssetValuationSpec

BASE = date(2025, 6, 30)
Q_SUBJECT = Decimal(92)


def income_revenue_share() -> dict[str, Any]:
    """Revenue-share inputs of domain §2.3: R in ¥m, K = 35%, r = 1.8% + 3% + 4% + 3% + 3% = 14.8%."""
    return {
        "variant": "revenue_share",
        "revenue": ["18.0", "21.6", "24.8", "26.0", "26.0"],
        "share": "0.35",
        "discount_rate": {
            "risk_free": "0.018",
            "premiums": {
                "management": "0.03",
                "circulation": "0.04",
                "data_security": "0.03",
                "regulatory": "0.03",
            },
        },
    }


def cost_inputs() -> dict[str, Any]:
    """Cost lines summing to C = 9.805 ¥m, life 3.5 of 5 years."""
    return {
        "lines": {
            "preliminary": "1.2",
            "direct": "5.6",
            "indirect": "1.5",
            "opportunity": "0.9",
            "taxes": "0.605",
        },
        "total_life_years": 5,
        "remaining_life_years": "3.5",
    }


def market_inputs() -> dict[str, Any]:
    """Three comparables (8.0, 6.5, 9.2 ¥m; weights .4/.3/.3; β = 0.6) whose factors give P = 8.97."""
    return {
        "price_index_at_base": 102,
        "capacity": 12,
        "capacity_exponent": "0.6",
        "comparables": [
            {"id": "A", "price": "8.0", "traded_on": "2024-03-15", "weight": "0.4", "quality_score": 92,
             "supply_demand": "1.00", "price_index": 100, "capacity": 10},
            {"id": "B", "price": "6.5", "traded_on": "2024-09-20", "weight": "0.3", "quality_score": 86,
             "supply_demand": "1.05", "price_index": 99, "capacity": 9},
            {"id": "C", "price": "9.2", "traded_on": "2025-03-10", "weight": "0.3", "quality_score": 94,
             "supply_demand": "1.00", "price_index": 101, "capacity": 12,
             "other": {"rights_type": "0.97", "region": "1.00", "term": "1.00"}},
        ],
    }  # fmt: skip


def asset_spec(**methods: Any) -> AssetValuationSpec:
    """An asset spec dated at the demo cut-off with the given methods and optional reconciliation."""
    reconciliation = methods.pop("reconciliation", {})
    return AssetValuationSpec.model_validate(
        {"data_asset_id": "DA-T", "base_date": BASE, "methods": methods, "reconciliation": reconciliation}
    )


def worked_asset() -> AssetValuationSpec:
    """The domain example with all three methods, income primary."""
    return asset_spec(income=income_revenue_share(), cost=cost_inputs(), market=market_inputs())
