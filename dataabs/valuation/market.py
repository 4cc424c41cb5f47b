"""Market approach (市场法): ``P = Σ_j w_j · price_j · X1·X2·X3·X4·X5``.

Per comparable j: X1 quality = Q_subject / Q_comparable; X2 supply-demand (given); X3 date = price index at the
base date / price index at the trade date; X4 capacity = (cap_subject / cap_comparable)^β; X5 other = the product
of the named sub-factors (rights type, region, term), 1 when none are given.

Worked check (domain §2.3, P = 8.97 ¥m; subject Q = 92, price index 102 at the base date, capacity 12, β = 0.6).
The domain gives only prices, weights and β; these factors (all inside [0.7, 1.3]) were chosen so that the
formula reproduces 8.97 to the cent:

====  =====  ===  ===  ====  =====  ===  ====  =============================================
 j    price   w   Q_c   X2   index  cap   X5   adjusted = price × X1·X2·X3·X4·X5
====  =====  ===  ===  ====  =====  ===  ====  =============================================
 A    8.0    0.4  92   1.00  100    10   1.00  8.0 × 1 × 1 × 1.02 × 1.11560 = 9.10330
 B    6.5    0.3  86   1.05  99     9    1.00  6.5 × 1.06977 × 1.05 × 1.03030 × 1.18840 = 8.93964
 C    9.2    0.3  94   1.00  101    12   0.97  9.2 × 0.97872 × 1 × 1.00990 × 1 × 0.97 = 8.82060
====  =====  ===  ===  ====  =====  ===  ====  =============================================

P = 0.4 × 9.10330 + 0.3 × 8.93964 + 0.3 × 8.82060 = 8.969395 → 8.97.
"""

from __future__ import annotations

import math
from decimal import Decimal

from dataabs.money import round_fen
from dataabs.valuation.model import (
    Comparable,
    ComparableAdjustment,
    MarketFactor,
    MarketResult,
    MarketSpec,
)


def comparable_factors(
    comparable: Comparable, spec: MarketSpec, quality_score: Decimal
) -> dict[MarketFactor, Decimal]:
    """Adjustment factors X1..X5 (修正系数) of one comparable against the subject."""
    return {
        "quality": quality_score / comparable.quality_score,
        "supply_demand": comparable.supply_demand,
        "date": spec.price_index_at_base / comparable.price_index,
        "capacity": (spec.capacity / comparable.capacity) ** spec.capacity_exponent,
        "other": math.prod(comparable.other.values(), start=Decimal(1)),
    }


def adjust_comparable(
    comparable: Comparable, spec: MarketSpec, quality_score: Decimal
) -> ComparableAdjustment:
    """One comparable's price adjusted to the subject, price × ΠX."""
    factors = comparable_factors(comparable, spec, quality_score)
    adjusted = comparable.price * math.prod(factors.values(), start=Decimal(1))
    return ComparableAdjustment(
        id=comparable.id,
        weight=comparable.weight,
        price=comparable.price,
        factors=factors,
        adjusted_price=adjusted,
    )


def value_market(spec: MarketSpec, quality_score: Decimal) -> MarketResult:
    """Market-approach value of a data asset, rounded to the fen."""
    rows = [adjust_comparable(c, spec, quality_score) for c in spec.comparables]
    value = round_fen(sum((r.weight * r.adjusted_price for r in rows), Decimal(0)))
    return MarketResult(value=value, comparables=rows)
