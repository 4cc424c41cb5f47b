"""Valuation of a whole deal and its report-folder tables (``valuation/valuations.csv``, ``sensitivity.csv``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import pandas as pd

from dataabs.valuation.appraise import appraise
from dataabs.valuation.model import AssetValuationResult, AssetValuationSpec, DealValuationSpec
from dataabs.valuation.sensitivity import sensitivity_table

VALUATION_COLUMNS = ["data_asset_id", "method", "value", "base_date"]
SENSITIVITY_COLUMNS = [
    "data_asset_id",
    "parameter",
    "shock",
    "method",
    "base_value",
    "value",
    "relative_change",
]


def value_asset(
    spec: AssetValuationSpec, quality_score: Decimal, shock: Decimal = Decimal("0.10")
) -> AssetValuationResult:
    """Appraise one data asset and attach its sensitivity table."""
    result = appraise(spec, quality_score)
    return result.model_copy(update={"sensitivity": sensitivity_table(spec, quality_score, shock)})


def value_deal(
    deal: DealValuationSpec, quality_scores: Mapping[str, Decimal], shock: Decimal = Decimal("0.10")
) -> list[AssetValuationResult]:
    """Value every data asset of a deal; ``quality_scores`` is Q per data_asset_id from governance."""
    missing = [a.data_asset_id for a in deal.assets if a.data_asset_id not in quality_scores]
    if missing:
        raise KeyError(f"no governance quality score for data asset(s): {', '.join(missing)}")
    return [value_asset(a, quality_scores[a.data_asset_id], shock) for a in deal.assets]


def valuation_rows(results: Iterable[AssetValuationResult]) -> pd.DataFrame:
    """Rows ``data_asset_id, method, value, base_date``: one per method used plus ``final``."""
    rows = [
        {
            "data_asset_id": r.data_asset_id,
            "method": method,
            "value": value,
            "base_date": r.base_date.isoformat(),
        }
        for r in results
        for method, value in [*((m, x.value) for m, x in r.methods.items()), ("final", r.final.value)]
    ]
    return pd.DataFrame(rows, columns=VALUATION_COLUMNS)


def sensitivity_rows(results: Iterable[AssetValuationResult]) -> pd.DataFrame:
    """The sensitivity tables of all assets as one frame."""
    rows = [row.model_dump() for r in results for row in r.sensitivity]
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
