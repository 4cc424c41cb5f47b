"""The example valuation.yaml, deal valuation, report-folder rows and load errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dataabs.errors import PackageInvalid
from dataabs.valuation import (
    ValuationPolicy,
    load_valuation,
    sensitivity_rows,
    validate_deal,
    valuation_rows,
    value_deal,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "valuation.yaml"
QUALITY = {"DA-001": Decimal(92), "DA-002": Decimal("92.9")}


def test_example_file_values_in_yuan() -> None:
    results = value_deal(load_valuation(EXAMPLE), QUALITY)
    rows = valuation_rows(results)
    assert list(rows.columns) == ["data_asset_id", "method", "value", "base_date"]
    assert rows.to_dict("records")[:4] == [
        {
            "data_asset_id": "DA-001",
            "method": "income",
            "value": Decimal("26764471.08"),
            "base_date": "2025-06-30",
        },
        {
            "data_asset_id": "DA-001",
            "method": "cost",
            "value": Decimal("6314420.00"),
            "base_date": "2025-06-30",
        },
        {
            "data_asset_id": "DA-001",
            "method": "market",
            "value": Decimal("8969395.04"),
            "base_date": "2025-06-30",
        },
        {
            "data_asset_id": "DA-001",
            "method": "final",
            "value": Decimal("26764471.08"),
            "base_date": "2025-06-30",
        },
    ]
    assert list(rows["method"][4:]) == ["income", "cost", "final"]


def test_example_da002_bounded_by_certificate_and_weighted() -> None:
    da002 = value_deal(load_valuation(EXAMPLE), QUALITY)[1]
    income = da002.methods["income"]
    assert income.binding_bound == "certificate" and round(income.life_years, 4) == Decimal("3.5068")
    assert da002.methods["cost"].value == Decimal("10729950.00")  # 16.5m × 0.929 × 0.7
    expected = (Decimal("0.7") * income.value + Decimal("0.3") * Decimal("10729950.00")).quantize(
        Decimal("0.01")
    )
    assert da002.final.value == expected and da002.final.rule == "weighted"


def test_example_passes_the_gate_rules() -> None:
    deal = load_valuation(EXAMPLE)
    results = {r.data_asset_id: r for r in value_deal(deal, QUALITY)}
    assert validate_deal(deal.assets, results, date(2025, 7, 28), ValuationPolicy()) == []


def test_sensitivity_rows_frame() -> None:
    frame = sensitivity_rows(value_deal(load_valuation(EXAMPLE), QUALITY))
    assert list(frame.columns)[:3] == ["data_asset_id", "parameter", "shock"]
    assert (
        len(frame) == 22
    )  # DA-001: r, K (income+final ×2) + Q (cost, market, final ×2); DA-002: r, Q (2×2 each)


def test_missing_quality_score_is_refused() -> None:
    with pytest.raises(KeyError, match="DA-002"):
        value_deal(load_valuation(EXAMPLE), {"DA-001": Decimal(92)})


def test_load_reports_every_defect_with_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "valuation.yaml"
    bad.write_text(
        "assets:\n"
        "  - data_asset_id: X\n"
        "    base_date: 2025-06-30\n"
        "    methods:\n"
        "      cost: {lines: {direct: 1}, total_life_years: 5, remaining_life_years: 3, delta: {rule: fixed}}\n"
        "    reconcilation: {rule: min}\n",
        encoding="utf-8",
    )
    with pytest.raises(PackageInvalid) as info:
        load_valuation(bad)
    columns = [p.column for p in info.value.problems]
    assert "assets.0.methods.cost.delta" in columns and "assets.0.reconcilation" in columns
    assert all(p.file == "valuation.yaml" for p in info.value.problems)


def test_load_refuses_broken_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "valuation.yaml"
    bad.write_text("assets: [\n", encoding="utf-8")
    with pytest.raises(PackageInvalid, match="not valid YAML"):
        load_valuation(bad)
