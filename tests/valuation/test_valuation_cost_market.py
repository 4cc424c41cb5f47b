"""Cost and market approaches: the worked checks (6.31, 8.97), δ rules, factors X1..X5."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from dataabs.valuation.cost import cost_total, delta, value_cost
from dataabs.valuation.market import value_market
from dataabs.valuation.model import CostSpec, MarketSpec
from tests.valuation.valuation_fixtures import Q_SUBJECT, cost_inputs, market_inputs


def test_cost_worked_check_is_6_31() -> None:
    result = value_cost(CostSpec.model_validate(cost_inputs()), Q_SUBJECT)
    assert result.cost_total == Decimal("9.805")
    assert result.delta == Decimal("0.644")  # 0.92 × 3.5 / 5
    assert result.value == Decimal("6.31")


@pytest.mark.parametrize(
    ("rule", "expected_delta", "expected_value"),
    [
        ({"rule": "quality"}, Decimal("0.92"), Decimal("9.02")),
        ({"rule": "life"}, Decimal("0.7"), Decimal("6.86")),
        (
            {"rule": "fixed", "value": "0.8", "justification": "appraiser's judgement"},
            Decimal("0.8"),
            Decimal("7.84"),
        ),
    ],
)
def test_delta_rules(rule: dict[str, Any], expected_delta: Decimal, expected_value: Decimal) -> None:
    spec = CostSpec.model_validate(cost_inputs() | {"delta": rule})
    assert delta(spec, Q_SUBJECT) == expected_delta
    assert value_cost(spec, Q_SUBJECT).value == expected_value


def test_cost_total_sums_named_lines() -> None:
    assert cost_total(CostSpec.model_validate(cost_inputs())) == Decimal("9.805")


@pytest.mark.parametrize(
    "override",
    [
        {"delta": {"rule": "fixed", "value": "0.8"}},
        {"delta": {"rule": "quality", "value": "0.8"}},
        {"remaining_life_years": 6},
        {"lines": {"overhead": "1.0"}},
    ],
)
def test_malformed_cost_inputs_are_refused(override: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CostSpec.model_validate(cost_inputs() | override)


def test_market_worked_check_is_8_97() -> None:
    result = value_market(MarketSpec.model_validate(market_inputs()), Q_SUBJECT)
    assert result.value == Decimal("8.97")
    adjusted = [r.adjusted_price.quantize(Decimal("0.00001")) for r in result.comparables]
    assert adjusted == [Decimal("9.10330"), Decimal("8.93964"), Decimal("8.82060")]


def test_market_factors_of_comparable_b() -> None:
    result = value_market(MarketSpec.model_validate(market_inputs()), Q_SUBJECT)
    factors = {k: v.quantize(Decimal("0.00001")) for k, v in result.comparables[1].factors.items()}
    assert factors == {
        "quality": Decimal("1.06977"),  # 92 / 86
        "supply_demand": Decimal("1.05000"),
        "date": Decimal("1.03030"),  # 102 / 99
        "capacity": Decimal("1.18840"),  # (12 / 9) ** 0.6
        "other": Decimal("1.00000"),
    }
    assert result.comparables[2].factors["other"] == Decimal("0.9700")  # product of the X5 sub-factors


def test_market_quality_enters_linearly_through_x1() -> None:
    spec = MarketSpec.model_validate(market_inputs())
    low, high = value_market(spec, Decimal(46)), value_market(spec, Decimal(92))
    assert high.value - 2 * low.value in (Decimal("0.00"), Decimal("0.01"), Decimal("-0.01"))


def test_market_weights_must_sum_to_one() -> None:
    fields = market_inputs()
    fields["comparables"][0]["weight"] = "0.5"
    with pytest.raises(ValidationError, match="weights sum"):
        MarketSpec.model_validate(fields)
