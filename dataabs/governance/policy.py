"""House policy of the governance stage (数据治理): weights, thresholds and data-classification rules.

Every number here is a default the lead overrides from ``config/policy.yaml`` (and per deal); none is a constant
of the code that uses it.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Dimension = Literal["normativity", "completeness", "accuracy", "consistency", "timeliness", "accessibility"]
DIMENSIONS: tuple[Dimension, ...] = (
    "normativity",
    "completeness",
    "accuracy",
    "consistency",
    "timeliness",
    "accessibility",
)
DEFAULT_WEIGHTS: dict[Dimension, float] = {
    "normativity": 0.15,
    "completeness": 0.20,
    "accuracy": 0.25,
    "consistency": 0.15,
    "timeliness": 0.15,
    "accessibility": 0.10,
}


class GovernancePolicy(BaseModel):
    """Weights and thresholds of the quality score and the governance gate (GB/T 36344, GB/T 43697, PIPL)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dimension_weights: dict[Dimension, float] = Field(
        default_factory=lambda: dict(DEFAULT_WEIGHTS), description="W_d per dimension; they sum to 1."
    )
    indicator_weights: dict[str, float] = Field(
        default_factory=dict, description="Relative w_i by indicator id; unlisted indicators weigh 1."
    )
    q_min: float = Field(
        default=80.0, ge=0, le=100, description="Lowest quality score Q (0–100) that passes."
    )
    dimension_min: float = Field(default=0.70, ge=0, le=1, description="Lowest dimension score Q_d (0–1).")
    dimension_warn: float = Field(
        default=0.90, ge=0, le=1, description="Dimension score below which the gate warns."
    )
    unmeasured_dimension_score: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="Score of a dimension the spec gives nothing to measure (reported).",
    )
    k_min: int = Field(
        default=5, ge=1, description="Smallest equivalence class allowed over quasi-identifiers."
    )
    pii_allowed: bool = Field(default=False, description="Whether personal information in a sample may pass.")
    important_data: Literal["block", "waiver"] = Field(
        default="waiver",
        description="重要数据: blocked, or allowed with a waiver and a current risk assessment.",
    )
    risk_assessment_max_age_months: int = Field(
        default=12, ge=1, description="Age limit of the risk assessment."
    )
    http_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of the accessibility probe.")

    @model_validator(mode="after")
    def _weights(self) -> GovernancePolicy:
        if set(self.dimension_weights) != set(DIMENSIONS):
            raise ValueError(f"dimension_weights must name exactly: {', '.join(DIMENSIONS)}")
        if any(w < 0 for w in self.dimension_weights.values()) or not math.isclose(
            sum(self.dimension_weights.values()), 1.0, abs_tol=1e-9
        ):
            raise ValueError("dimension_weights must be non-negative and sum to 1")
        if any(w < 0 for w in self.indicator_weights.values()):
            raise ValueError("indicator_weights must be non-negative")
        return self

    def gate_params(self) -> dict[str, Any]:
        """The placeholders of ``expectations/governance.json`` rendered from this policy."""
        return {
            "q_min": self.q_min,
            "dimension_min": self.dimension_min,
            "dimension_warn": self.dimension_warn,
        }
