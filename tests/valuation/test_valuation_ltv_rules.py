"""LTV thresholds and each validation rule of the valuation gate, failing on a crafted input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from dataabs.valuation.appraise import appraise
from dataabs.valuation.ltv import PledgedLoan, loan_to_value, ltv_status, pledge_ltv
from dataabs.valuation.model import LtvPolicy, ValuationPolicy
from dataabs.valuation.rules import (
    check_base_date,
    check_coefficients,
    check_comparables,
    check_ltv,
    check_values,
    validate_asset,
)
from tests.valuation.valuation_fixtures import (
    Q_SUBJECT,
    asset_spec,
    cost_inputs,
    income_revenue_share,
    market_inputs,
    worked_asset,
)

POLICY = ValuationPolicy()
D = Decimal


@pytest.mark.parametrize(
    ("ltv", "origination", "revaluation"),
    [
        (D("0.40"), "ok", "ok"),
        (D("0.50"), "ok", "ok"),
        (D("0.5001"), "above_origination_limit", "ok"),
        (D("0.60"), "above_origination_limit", "ok"),
        (D("0.61"), "above_origination_limit", "warning"),
        (D("0.70"), "above_origination_limit", "warning"),
        (D("0.786"), "above_origination_limit", "cure"),
        (None, "above_origination_limit", "cure"),
    ],
)
def test_ltv_status_thresholds(ltv: Decimal | None, origination: str, revaluation: str) -> None:
    assert ltv_status(ltv, LtvPolicy(), "origination") == origination
    assert ltv_status(ltv, LtvPolicy(), "revaluation") == revaluation


def test_ltv_thresholds_are_parameters() -> None:
    strict = LtvPolicy(origination_max=D("0.40"), warning_above=D("0.45"), cure_above=D("0.55"))
    assert ltv_status(D("0.45"), strict, "origination") == "above_origination_limit"
    assert ltv_status(D("0.50"), strict, "revaluation") == "warning"
    assert ltv_status(D("0.56"), strict, "revaluation") == "cure"


def test_pledge_ltv_sums_the_pledged_assets() -> None:
    loans = [
        PledgedLoan("L01", D("25.0"), ("DA-001", "DA-002")),
        PledgedLoan("L02", D("11.0"), ("DA-003",)),
        PledgedLoan("L03", D("12.0"), ("DA-404",)),
    ]
    finals = {"DA-001": D("26.76"), "DA-002": D("25.24"), "DA-003": D("14.00")}
    rows = pledge_ltv(loans, finals, LtvPolicy(), "revaluation")
    assert rows[0].appraised_value == D("52.00") and rows[0].ltv is not None
    assert rows[0].ltv.quantize(D("0.0001")) == D("0.4808") and rows[0].status == "ok"
    assert rows[1].ltv is not None and rows[1].ltv.quantize(D("0.001")) == D("0.786")  # the demo stress case
    assert rows[1].status == "cure"
    assert rows[2].ltv is None and rows[2].status == "cure"
    assert loan_to_value(D("25"), D("62")) == D("25") / D("62")


def test_check_ltv_blocks_cure_and_warns_on_warning() -> None:
    loans = [
        PledgedLoan("L01", D("13"), ("A",)),
        PledgedLoan("L02", D("16"), ("B",)),
        PledgedLoan("L03", D("5"), ("C",)),
    ]
    rows = pledge_ltv(loans, {"A": D("20"), "B": D("20"), "C": D("20")}, LtvPolicy(), "revaluation")
    problems = check_ltv(rows, "revaluation")
    assert [(p.subject_id, p.severity) for p in problems] == [("L01", "warning"), ("L02", "critical")]
    assert "65.00%" in problems[0].detail and "80.00%" in problems[1].detail
    origination = check_ltv(
        pledge_ltv(loans, {"A": D("20"), "B": D("20"), "C": D("20")}, LtvPolicy(), "origination"),
        "origination",
    )
    assert [p.subject_id for p in origination] == ["L01", "L02"]


def test_worked_example_passes_every_asset_rule() -> None:
    spec = worked_asset()
    assert validate_asset(spec, appraise(spec, Q_SUBJECT), date(2025, 7, 28), POLICY) == []


def test_value_positive_rule_fails_on_negative_excess_earnings() -> None:
    excess = {
        "variant": "excess_earnings",
        "revenue": ["5", "5"],
        "charges": {"fixed_assets": "6"},
        "discount_rate": {"risk_free": "0.1"},
    }
    result = appraise(asset_spec(income=excess), Q_SUBJECT)
    problems = check_values(result)
    assert [(p.rule, p.severity) for p in problems] == [
        ("value_positive", "critical")
    ] * 2  # income and final
    assert "income value -1.74" in problems[0].detail


def test_coefficient_rule_fails_on_unjustified_factor_and_passes_when_justified() -> None:
    market = market_inputs()
    market["comparables"][1]["quality_score"] = 60  # X1 = 92 / 60 = 1.533
    problems = check_coefficients(asset_spec(market=market), Q_SUBJECT, POLICY)
    assert len(problems) == 1 and "comparable B: quality factor 1.5333" in problems[0].detail
    market["comparables"][1]["justifications"] = {"quality": "comparable sold before its cleansing project"}
    assert check_coefficients(asset_spec(market=market), Q_SUBJECT, POLICY) == []
    market["comparables"][1]["justifications"] = {"quality": "  "}
    assert len(check_coefficients(asset_spec(market=market), Q_SUBJECT, POLICY)) == 1


def test_coefficient_bounds_are_policy_parameters() -> None:
    narrow = ValuationPolicy(factor_min=D("0.9"), factor_max=D("1.1"))
    problems = check_coefficients(asset_spec(market=market_inputs()), Q_SUBJECT, narrow)
    assert {p.detail.split(":")[1].split()[0] for p in problems} == {"capacity"}  # 1.1156 (A) and 1.1884 (B)
    assert len(problems) == 2


@pytest.mark.parametrize(
    ("methods", "fragment"),
    [
        (
            {"cost": cost_inputs() | {"delta": {"rule": "fixed", "value": "1.2", "justification": "x"}}},
            "cost δ 1.2000",
        ),
        ({"income": income_revenue_share() | {"discount_rate": {"risk_free": "0"}}}, "discount rate 0"),
    ],
)
def test_coefficient_rule_fails_on_delta_and_rate(methods: dict[str, Any], fragment: str) -> None:
    problems = check_coefficients(asset_spec(**methods), Q_SUBJECT, POLICY)
    assert len(problems) == 1 and fragment in problems[0].detail


def test_comparables_rule_fails_with_a_stale_comparable() -> None:
    market = market_inputs()
    market["comparables"][0]["traded_on"] = "2023-06-29"  # 24 months + 1 day before the base date
    problems = check_comparables(asset_spec(market=market), POLICY)
    assert [(p.severity, p.detail.split(" ")[0]) for p in problems] == [
        ("warning", "comparable"),
        ("critical", "2"),
    ]
    assert "policy requires 3" in problems[1].detail
    market["comparables"][0]["traded_on"] = "2023-06-30"  # exactly 24 months: inside the window
    assert check_comparables(asset_spec(market=market), POLICY) == []


def test_comparables_rule_fails_on_a_trade_after_the_base_date() -> None:
    market = market_inputs()
    market["comparables"][2]["traded_on"] = "2025-07-01"
    problems = check_comparables(asset_spec(market=market), POLICY)
    assert any("after the base date" in p.detail for p in problems)
    assert any("policy requires 3" in p.detail for p in problems)
    assert (
        check_comparables(asset_spec(market=market), ValuationPolicy(min_comparables=2))[-1].severity
        == "critical"
    )


def test_comparables_rule_ignores_assets_without_market_method() -> None:
    assert check_comparables(asset_spec(cost=cost_inputs()), POLICY) == []


def test_base_date_rule() -> None:
    spec = asset_spec(cost=cost_inputs())
    assert check_base_date(spec, date(2026, 6, 30), POLICY) == []  # exactly 12 months
    stale = check_base_date(spec, date(2026, 7, 1), POLICY)
    assert len(stale) == 1 and stale[0].rule == "base_date_age" and "12 months" in stale[0].detail
    assert "after" in check_base_date(spec, date(2025, 6, 29), POLICY)[0].detail
    assert len(check_base_date(spec, date(2026, 1, 1), ValuationPolicy(max_base_date_age_months=6))) == 1


def test_quality_score_outside_range_is_refused() -> None:
    with pytest.raises(ValueError, match="quality score"):
        appraise(asset_spec(cost=cost_inputs()), D("120"))
