"""Appraisal of one data asset (数据资产评估): run each method used, then reconcile to a final value."""

from __future__ import annotations

from decimal import Decimal

from dataabs.valuation.cost import value_cost
from dataabs.valuation.income import value_income
from dataabs.valuation.market import value_market
from dataabs.valuation.model import AssetValuationResult, AssetValuationSpec, Method, MethodResult
from dataabs.valuation.reconcile import reconcile


def method_results(spec: AssetValuationSpec, quality_score: Decimal) -> dict[Method, MethodResult]:
    """Value of the asset under every method its spec uses, in the order income, cost, market."""
    methods = spec.methods
    results: dict[Method, MethodResult] = {}
    if methods.income is not None:
        results["income"] = value_income(methods.income, spec.base_date)
    if methods.cost is not None:
        results["cost"] = value_cost(methods.cost, quality_score)
    if methods.market is not None:
        results["market"] = value_market(methods.market, quality_score)
    return results


def appraise(spec: AssetValuationSpec, quality_score: Decimal) -> AssetValuationResult:
    """Method values and the reconciled final value of one asset (no sensitivity table)."""
    if not Decimal(0) <= quality_score <= 100:
        raise ValueError(f"quality score of {spec.data_asset_id} must lie in [0, 100], got {quality_score}")
    results = method_results(spec, quality_score)
    final = reconcile({m: r.value for m, r in results.items()}, spec.reconciliation)
    return AssetValuationResult(
        data_asset_id=spec.data_asset_id,
        base_date=spec.base_date,
        quality_score=quality_score,
        book_value=spec.book_value,
        methods=results,
        final=final,
    )
