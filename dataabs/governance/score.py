"""Quality score (数据质量评分): ``Q_d = Σ_i w_i X_i`` per dimension and ``Q = 100 × Σ_d W_d Q_d``.

Scales: dimension scores ``Q_d`` are 0–1; ``Q`` is 0–100. Indicator weights ``w_i`` are the policy's relative
weights (default equal), normalised over the dimension's *applicable* indicators; a dimension without any
applicable indicator scores ``policy.unmeasured_dimension_score`` (and the assessment reports it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dataabs.governance.indicators import Indicator
from dataabs.governance.policy import DIMENSIONS, Dimension, GovernancePolicy

QUALITY_COLUMNS = ("data_asset_id", "dimension", "score")
DIMENSION_DECIMALS = 4
Q_DECIMALS = 2


def dimension_score(indicators: Sequence[Indicator], policy: GovernancePolicy) -> float | None:
    """``Q_d = Σ_i w_i X_i`` over applicable indicators, weights normalised; None when nothing applies."""
    applicable = [i for i in indicators if i.applicable]
    weights = [policy.indicator_weights.get(i.id, 1.0) for i in applicable]
    if not applicable or sum(weights) == 0:
        return None
    return sum(w * i.score for w, i in zip(weights, applicable, strict=True)) / sum(weights)


def dimension_scores(
    indicators: Sequence[Indicator], policy: GovernancePolicy
) -> dict[Dimension, float | None]:
    """Each of the six dimensions' score (None where nothing was measurable)."""
    return {d: dimension_score([i for i in indicators if i.dimension == d], policy) for d in DIMENSIONS}


def fill_unmeasured(
    scores: Mapping[Dimension, float | None], policy: GovernancePolicy
) -> dict[Dimension, float]:
    """Dimension scores with unmeasurable dimensions set to the policy's score for them."""
    return {
        d: policy.unmeasured_dimension_score if scores.get(d) is None else float(scores[d] or 0.0)
        for d in DIMENSIONS
    }


def quality_score(scores: Mapping[Dimension, float], policy: GovernancePolicy) -> float:
    """``Q = 100 × Σ_d W_d Q_d`` (dimension scores 0–1, Q 0–100)."""
    return 100.0 * sum(policy.dimension_weights[d] * scores[d] for d in DIMENSIONS)


def quality_rows(data_asset_id: str, scores: Mapping[Dimension, float], q: float) -> list[dict[str, object]]:
    """Rows of ``governance/quality.csv``: six dimensions (0–1, 4 decimals) then ``Q`` (0–100, 2 decimals)."""
    rows: list[dict[str, object]] = [
        {"data_asset_id": data_asset_id, "dimension": d, "score": round(scores[d], DIMENSION_DECIMALS)}
        for d in DIMENSIONS
    ]
    rows.append({"data_asset_id": data_asset_id, "dimension": "Q", "score": round(q, Q_DECIMALS)})
    return rows
