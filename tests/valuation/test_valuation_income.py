"""Income approach: the worked check, each variant, the discount-rate build-up, life bounding and decay."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from dataabs.valuation.income import base_cash_flows, discount_rate, value_income
from dataabs.valuation.model import IncomeSpec
from tests.valuation.valuation_fixtures import BASE, income_revenue_share

SPEC: TypeAdapter[Any] = TypeAdapter(IncomeSpec)
TEN_PCT = {"risk_free": "0.10"}


def income(**fields: Any) -> Any:
    """An income spec from plain fields."""
    return SPEC.validate_python(fields)


def test_revenue_share_worked_check_is_26_76() -> None:
    result = value_income(income(**income_revenue_share()), BASE)
    assert result.value == Decimal("26.76")
    assert [p.cash_flow for p in result.periods] == [
        Decimal(x) for x in ("6.300", "7.560", "8.680", "9.100", "9.100")
    ]
    assert result.discount_rate == Decimal("0.148")
    assert result.life_years == 5 and result.binding_bound == "forecast"


def test_revenue_share_per_year_shares() -> None:
    spec = income(variant="revenue_share", revenue=["10", "10"], share=["0.5", "0.3"], discount_rate=TEN_PCT)
    assert base_cash_flows(spec) == [Decimal("5.0"), Decimal("3.0")]
    assert value_income(spec, BASE).value == Decimal("7.02")  # 5/1.1 + 3/1.21 = 7.0248


def test_direct_variant() -> None:
    spec = income(variant="direct", revenue=["10", "10", "10"], discount_rate=TEN_PCT)
    assert value_income(spec, BASE).value == Decimal("24.87")


def test_excess_earnings_subtracts_contributory_charges() -> None:
    spec = income(
        variant="excess_earnings",
        revenue=["10", "12"],
        charges={"working_capital": "1", "fixed_assets": ["2", "3"]},
        discount_rate=TEN_PCT,
    )
    assert base_cash_flows(spec) == [Decimal(7), Decimal(8)]
    assert value_income(spec, BASE).value == Decimal("12.98")


def test_incremental_is_with_minus_without() -> None:
    spec = income(
        variant="incremental", revenue_with=["15", "16"], revenue_without=["10", "10"], discount_rate=TEN_PCT
    )
    assert base_cash_flows(spec) == [Decimal(5), Decimal(6)]
    assert value_income(spec, BASE).value == Decimal("9.50")


def test_discount_rate_is_risk_free_plus_named_premiums() -> None:
    spec = income(**income_revenue_share())
    assert discount_rate(spec.discount_rate) == Decimal("0.148")
    bare = income(variant="direct", revenue=["1"], discount_rate={"risk_free": "0.02"})
    assert discount_rate(bare.discount_rate) == Decimal("0.02")


def test_certificate_date_bounds_life_to_three_years() -> None:
    fields = income_revenue_share() | {
        "life": {"certificate": {"until": date(2028, 6, 29)}, "product": {"years": 6}}
    }
    result = value_income(income(**fields), BASE)
    assert result.life_years == 3 and result.binding_bound == "certificate"
    assert len(result.periods) == 3
    assert result.value == Decimal("16.96")


def test_part_year_life_is_pro_rated() -> None:
    fields = income_revenue_share() | {"life": {"contract": {"years": "2.5"}, "product": {"years": 4}}}
    result = value_income(income(**fields), BASE)
    assert result.binding_bound == "contract"
    assert result.periods[-1].t == Decimal("2.5") and result.periods[-1].cash_flow == Decimal("4.3400")
    assert result.value == Decimal("14.30")


def test_expired_certificate_gives_zero_life_and_value() -> None:
    fields = income_revenue_share() | {"life": {"certificate": {"until": date(2025, 1, 1)}}}
    result = value_income(income(**fields), BASE)
    assert result.life_years == 0 and result.value == Decimal("0.00")


def test_decay_erodes_later_years() -> None:
    spec = income(variant="direct", revenue=["10", "10", "10"], discount_rate=TEN_PCT, decay_rate="0.1")
    result = value_income(spec, BASE)
    assert [p.cash_flow for p in result.periods] == [Decimal(10), Decimal("9.0"), Decimal("8.10")]
    assert result.value == Decimal("22.61")


@pytest.mark.parametrize(
    "fields",
    [
        {"variant": "revenue_share", "revenue": ["1", "2"], "share": ["0.3"], "discount_rate": TEN_PCT},
        {"variant": "revenue_share", "revenue": ["1"], "share": "1.2", "discount_rate": TEN_PCT},
        {"variant": "incremental", "revenue_with": ["1", "2"], "revenue_without": ["1"], "discount_rate": TEN_PCT},
        {"variant": "direct", "revenue": ["1"], "discount_rate": TEN_PCT, "life": {"product": {}}},
        {"variant": "direct", "revenue": ["1"], "discount_rate": TEN_PCT,
         "life": {"product": {"years": 2, "until": "2027-01-01"}}},
        {"variant": "royalty", "revenue": ["1"], "discount_rate": TEN_PCT},
    ],
)  # fmt: skip
def test_malformed_income_inputs_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        income(**fields)
