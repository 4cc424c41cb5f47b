"""Valuation of data assets (数据资产评估) under 中评协《数据资产评估指导意见》(2023): income, cost and market.

Pure core: no Prefect, no ``flows``/``tasks``. Inputs are a deal's ``valuation.yaml`` (:func:`load_valuation`) and
the governance quality score Q per data asset; outputs are method values, a reconciled final value with its
reason, a sensitivity table, report-folder rows, LTV rows and the gate's validation problems.
"""

from __future__ import annotations

from dataabs.valuation.appraise import appraise, method_results
from dataabs.valuation.cost import value_cost
from dataabs.valuation.income import discount_rate, income_life, value_income
from dataabs.valuation.ltv import LtvRow, PledgedLoan, loan_to_value, ltv_status, pledge_ltv
from dataabs.valuation.market import comparable_factors, value_market
from dataabs.valuation.model import (
    AssetValuationResult,
    AssetValuationSpec,
    DealValuationSpec,
    LtvPolicy,
    ValuationPolicy,
    load_valuation,
)
from dataabs.valuation.reconcile import reconcile
from dataabs.valuation.report import sensitivity_rows, valuation_rows, value_asset, value_deal
from dataabs.valuation.rules import (
    ValuationProblem,
    check_base_date,
    check_coefficients,
    check_comparables,
    check_ltv,
    check_values,
    validate_asset,
    validate_deal,
)
from dataabs.valuation.sensitivity import sensitivity_table

__all__ = [
    "AssetValuationResult",
    "AssetValuationSpec",
    "DealValuationSpec",
    "LtvPolicy",
    "LtvRow",
    "PledgedLoan",
    "ValuationPolicy",
    "ValuationProblem",
    "appraise",
    "check_base_date",
    "check_coefficients",
    "check_comparables",
    "check_ltv",
    "check_values",
    "comparable_factors",
    "discount_rate",
    "income_life",
    "load_valuation",
    "loan_to_value",
    "ltv_status",
    "method_results",
    "pledge_ltv",
    "reconcile",
    "sensitivity_rows",
    "sensitivity_table",
    "validate_asset",
    "validate_deal",
    "valuation_rows",
    "value_asset",
    "value_cost",
    "value_deal",
    "value_income",
    "value_market",
]
