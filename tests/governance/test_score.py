"""Quality score: Q = 100 × Σ W_d Q_d with policy weights; indicator weights within a dimension."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from dataabs.governance.indicators import Indicator
from dataabs.governance.policy import DIMENSIONS, GovernancePolicy
from dataabs.governance.score import (
    dimension_score,
    dimension_scores,
    fill_unmeasured,
    quality_rows,
    quality_score,
)


def test_domain_check_q_is_92_9() -> None:
    scores = dict(zip(DIMENSIONS, (0.95, 0.97, 0.92, 0.90, 0.85, 1.00), strict=True))
    assert quality_score(scores, GovernancePolicy()) == pytest.approx(92.9)


def test_dimension_score_weights_indicators_and_skips_not_applicable() -> None:
    indicators = [
        Indicator("accuracy.format_compliance", "accuracy", 90, 100),
        Indicator("accuracy.duplicate_rate", "accuracy", 50, 100, lower_is_better=True),
        Indicator("accuracy.uniqueness", "accuracy", 0, 0),
    ]
    assert dimension_score(indicators, GovernancePolicy()) == pytest.approx(0.70)
    weighted = GovernancePolicy(indicator_weights={"accuracy.format_compliance": 3})
    assert dimension_score(indicators, weighted) == pytest.approx((3 * 0.9 + 0.5) / 4)


def test_lower_is_better_enters_as_one_minus_x() -> None:
    duplicates = Indicator("accuracy.duplicate_rate", "accuracy", 98, 100, lower_is_better=True)
    assert duplicates.value == pytest.approx(0.02)
    assert duplicates.score == pytest.approx(0.98)


def test_unmeasured_dimension_takes_the_policy_score() -> None:
    policy = GovernancePolicy(unmeasured_dimension_score=0.5)
    filled = fill_unmeasured(
        dimension_scores([Indicator("timeliness.ordering", "timeliness", 1, 1)], policy), policy
    )
    assert filled["timeliness"] == 1.0 and filled["consistency"] == 0.5


def test_quality_rows_scale() -> None:
    scores = dict.fromkeys(DIMENSIONS, 0.912345)
    rows = quality_rows("DA1", scores, 91.23456)
    assert [r["dimension"] for r in rows] == [*DIMENSIONS, "Q"]
    assert rows[0]["score"] == 0.9123 and rows[-1]["score"] == 91.23


def test_policy_rejects_weights_not_summing_to_one() -> None:
    with pytest.raises(ValidationError):
        GovernancePolicy(dimension_weights=dict.fromkeys(DIMENSIONS, 0.2))
