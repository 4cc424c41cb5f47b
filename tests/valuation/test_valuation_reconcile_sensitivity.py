"""Reconciliation rules with their reasons, and the ±10% sensitivity table (direction and magnitude)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from dataabs.valuation.appraise import appraise
from dataabs.valuation.model import AssetValuationSpec, Method, ReconciliationSpec, load_valuation
from dataabs.valuation.reconcile import reconcile
from dataabs.valuation.sensitivity import sensitivity_table
from tests.valuation.valuation_fixtures import (
    Q_SUBJECT,
    asset_spec,
    cost_inputs,
    income_revenue_share,
    market_inputs,
    worked_asset,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "valuation.yaml"
VALUES: dict[Method, Decimal] = {
    "income": Decimal("26.76"),
    "cost": Decimal("6.31"),
    "market": Decimal("8.97"),
}


def test_weighted_rule() -> None:
    spec = ReconciliationSpec(rule="weighted", weights={"income": "0.5", "cost": "0.2", "market": "0.3"})
    result = reconcile(VALUES, spec)
    assert result.value == Decimal("17.33")  # 13.38 + 1.262 + 2.691
    assert "加权平均" in result.reason_zh and "收益法50%" in result.reason_zh
    assert "weighted average (income 50%, cost 20%, market 30%)" in result.reason_en


def test_min_rule_takes_the_lowest() -> None:
    result = reconcile(VALUES, ReconciliationSpec(rule="min"))
    assert result.value == Decimal("6.31")
    assert "成本法" in result.reason_zh and "审慎" in result.reason_zh and "lowest (cost)" in result.reason_en


def test_income_primary_takes_income() -> None:
    result = reconcile(VALUES, ReconciliationSpec(rule="income_primary"))
    assert result.value == Decimal("26.76") and "收益法" in result.reason_zh


def test_income_primary_falls_back_in_order_when_income_is_not_positive() -> None:
    values: dict[Method, Decimal] = {**VALUES, "income": Decimal("0.00")}
    assert reconcile(values, ReconciliationSpec()).value == Decimal("8.97")  # default order: market, cost
    by_cost = reconcile(values, ReconciliationSpec(fallback=["cost", "market"]))
    assert by_cost.value == Decimal("6.31") and "fall-back (cost)" in by_cost.reason_en


def test_income_primary_without_income_uses_fallback() -> None:
    result = reconcile({"cost": Decimal("6.31"), "market": Decimal("8.97")}, ReconciliationSpec())
    assert result.value == Decimal("8.97") and "备选方法市场法" in result.reason_zh


def test_income_primary_with_nothing_positive_gives_zero() -> None:
    values: dict[Method, Decimal] = {"income": Decimal("-1.00"), "cost": Decimal("0.00")}
    assert reconcile(values, ReconciliationSpec()).value == Decimal("0.00")


def test_single_method_whatever_the_rule() -> None:
    result = reconcile({"cost": Decimal("6.31")}, ReconciliationSpec(rule="min"))
    assert (result.value, result.rule) == (Decimal("6.31"), "single")
    assert result.reason_zh.startswith("仅采用成本法")


def test_weighted_weights_must_sum_to_one_and_match_methods() -> None:
    with pytest.raises(ValidationError):
        ReconciliationSpec(rule="weighted", weights={"income": "0.5", "cost": "0.2"})
    with pytest.raises(ValidationError, match="methods used"):
        asset_spec(
            income=income_revenue_share(),
            cost=cost_inputs(),
            reconciliation={"rule": "weighted", "weights": {"income": "0.5", "market": "0.5"}},
        )


def test_appraise_reconciles_the_worked_example() -> None:
    result = appraise(worked_asset(), Q_SUBJECT)
    assert {m: r.value for m, r in result.methods.items()} == VALUES
    assert result.final.value == Decimal("26.76")


def _rows(table: list, parameter: str, method: str) -> dict[Decimal, Decimal]:
    return {r.shock: r.value for r in table if r.parameter == parameter and r.method == method}


def test_sensitivity_to_r_lowers_value_when_rate_rises() -> None:
    table = sensitivity_table(worked_asset(), Q_SUBJECT)
    income = _rows(table, "r", "income")
    assert income == {
        Decimal("-0.10"): Decimal("27.80"),
        Decimal("0.10"): Decimal("25.79"),
    }  # r = 13.32%, 16.28%
    assert _rows(table, "r", "final") == income  # income is primary


def _example_in_yuan() -> AssetValuationSpec:
    """DA-001 of the example file: the worked example in yuan, where fen rounding does not blur ratios."""
    return load_valuation(EXAMPLE).assets[0]


def test_sensitivity_to_k_is_proportional() -> None:
    assert _rows(sensitivity_table(worked_asset(), Q_SUBJECT), "K", "income") == {
        Decimal("-0.10"): Decimal("24.09"),
        Decimal("0.10"): Decimal("29.44"),
    }
    table = sensitivity_table(_example_in_yuan(), Q_SUBJECT)
    changes = {r.shock: r.relative_change for r in table if r.parameter == "K" and r.method == "income"}
    assert changes == {Decimal("-0.10"): Decimal("-0.1000"), Decimal("0.10"): Decimal("0.1000")}


def test_sensitivity_to_q_moves_cost_and_market_proportionally() -> None:
    table = sensitivity_table(_example_in_yuan(), Decimal(80))
    for method in ("cost", "market"):
        changes = {r.shock: r.relative_change for r in table if r.parameter == "Q" and r.method == method}
        assert changes == {Decimal("-0.10"): Decimal("-0.1000"), Decimal("0.10"): Decimal("0.1000")}
    assert _rows(table, "Q", "final") == {
        Decimal("-0.10"): Decimal("26764471.08"),
        Decimal("0.10"): Decimal("26764471.08"),
    }  # income is primary and Q does not feed it


def test_sensitivity_caps_q_at_100() -> None:
    table = sensitivity_table(worked_asset(), Q_SUBJECT)
    cost_up = next(r for r in table if r.parameter == "Q" and r.method == "cost" and r.shock > 0)
    assert cost_up.value == Decimal("6.86")  # δ = 1.00 × 0.7, not 1.012 × 0.7
    assert cost_up.relative_change == Decimal("0.0872")  # 6.86 / 6.31 − 1 at ¥m scale (8.70% in yuan)


def test_sensitivity_skips_parameters_that_feed_no_method() -> None:
    direct = income_revenue_share() | {"variant": "direct"}
    del direct["share"]
    table = sensitivity_table(asset_spec(income=direct), Q_SUBJECT)
    assert {r.parameter for r in table} == {"r"}
    table = sensitivity_table(asset_spec(market=market_inputs()), Q_SUBJECT)
    assert {(r.parameter, r.method) for r in table} == {("Q", "market"), ("Q", "final")}
