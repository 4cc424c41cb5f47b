"""Cost approach (成本法): ``P = C × δ``.

``C`` (重置成本) is the sum of the named cost lines — 前期 preliminary, 直接 direct, 间接 indirect, 机会成本
opportunity, 税费 taxes. ``δ`` (价值调整系数) follows the configured rule; the default ``quality_life`` is
``(Q/100) × (remaining life / total life)``, with ``quality`` and ``life`` using one factor alone and ``fixed``
taking a justified value from the file.
"""

from __future__ import annotations

from decimal import Decimal

from dataabs.money import round_fen
from dataabs.valuation.model import CostResult, CostSpec


def cost_total(spec: CostSpec) -> Decimal:
    """Replacement cost C, the sum of the cost lines."""
    return sum(spec.lines.values(), Decimal(0))


def quality_factor(quality_score: Decimal) -> Decimal:
    """The quality part of δ, Q/100."""
    return quality_score / 100


def life_factor(spec: CostSpec) -> Decimal:
    """The remaining-life part of δ, remaining / total life."""
    return spec.remaining_life_years / spec.total_life_years


def delta(spec: CostSpec, quality_score: Decimal) -> Decimal:
    """Value-adjustment coefficient δ under the spec's rule."""
    rule = spec.delta.rule
    if rule == "fixed":
        assert spec.delta.value is not None  # guaranteed by DeltaRule's validator
        return spec.delta.value
    result = Decimal(1)
    if rule in ("quality_life", "quality"):
        result *= quality_factor(quality_score)
    if rule in ("quality_life", "life"):
        result *= life_factor(spec)
    return result


def value_cost(spec: CostSpec, quality_score: Decimal) -> CostResult:
    """Cost-approach value of a data asset, rounded to the fen."""
    total, coefficient = cost_total(spec), delta(spec, quality_score)
    return CostResult(value=round_fen(total * coefficient), cost_total=total, delta=coefficient)
