"""Pool-level constraints (资产池集中度与标签要求): label share, concentration caps, diversity, term and size.

Each constraint has an id and is evaluated on a pool frame carrying ``obligor_id, industry, province,
principal_fen, data_pledged, remaining_term_months`` (see :func:`dataabs.pool.rules.add_measures`). Money sums
are exact integer fen; shares are floats. Limits are house policy (``policy.yaml`` ``pool.constraints``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from dataabs.package.schema import DealModel

SHARE_TOLERANCE = 1e-12
CONSTRAINT_TEXT: dict[str, tuple[str, str]] = {
    "P01_data_pledged_share": (
        "数据资产质押资产占比超过下限（标签要求）",
        "Data-pledged share above the minimum (label)",
    ),
    "P02_single_obligor": ("单一债务人占比不超过上限", "Single obligor share within the cap"),
    "P03_top_obligors": ("前N大债务人合计占比不超过上限", "Top-N obligors' share within the cap"),
    "P04_single_industry": ("单一行业占比不超过上限", "Single industry share within the cap"),
    "P05_single_province": ("单一省份占比不超过上限", "Single province share within the cap"),
    "P06_min_provinces": ("省份数不少于下限", "At least the minimum number of provinces"),
    "P07_effective_obligors": (
        "有效债务人数（1/HHI）不少于下限",
        "Effective number of obligors 1/HHI at least the minimum",
    ),
    "P08_wa_term_min": ("加权平均剩余期限不低于下限", "WA remaining term at least the minimum"),
    "P09_wa_term_max": ("加权平均剩余期限不超过上限", "WA remaining term at most the maximum"),
    "P10_target_max": ("入池本金不超过目标规模", "Pool principal at most the target"),
    "P11_target_min": ("入池本金不低于目标规模×最低填充率", "Pool principal at least target × minimum fill"),
}
CONSTRAINT_IDS: tuple[str, ...] = tuple(CONSTRAINT_TEXT)


def _exempt_models() -> list[DealModel]:
    return ["data_empowered"]


class ConstraintPolicy(BaseModel):
    """House pool rules [P]; ``disabled`` lists constraint ids switched off for a deal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data_pledged_share_min: float = Field(
        default=0.50, ge=0, lt=1, description="P01: share must be above this."
    )
    label_exempt_models: list[DealModel] = Field(
        default_factory=_exempt_models, description="Deal models without the label rule."
    )
    max_obligor_share: float = Field(default=0.20, gt=0, le=1)
    top_obligors: int = Field(default=5, ge=1)
    max_top_obligors_share: float = Field(default=0.70, gt=0, le=1)
    max_industry_share: float = Field(default=0.40, gt=0, le=1)
    max_province_share: float = Field(default=0.50, gt=0, le=1)
    min_provinces: int = Field(default=2, ge=1)
    min_effective_obligors: float = Field(default=6.0, ge=1)
    wa_term_min_months: float = Field(default=0.0, ge=0)
    wa_term_max_months: float = Field(default=120.0, gt=0)
    target_principal: Decimal | None = Field(default=None, gt=0, description="Target pool size, yuan.")
    min_fill: float = Field(default=0.95, ge=0, le=1, description="P11: principal ≥ min_fill × target.")
    disabled: list[str] = Field(default_factory=list)

    def active(self, deal_model: DealModel | None) -> tuple[str, ...]:
        """The constraint ids in force for a deal model (the label rule is off for exempt models)."""
        off = set(self.disabled)
        if deal_model in self.label_exempt_models:
            off.add("P01_data_pledged_share")
        if self.target_principal is None:
            off |= {"P10_target_max", "P11_target_min"}
        return tuple(i for i in CONSTRAINT_IDS if i not in off)

    def target_fen(self) -> int | None:
        """The target size in fen, if any."""
        return None if self.target_principal is None else int(self.target_principal * 100)


@dataclass(frozen=True)
class ConstraintResult:
    """One pool constraint evaluated: measured value, limit, pass/fail and a plain-words detail."""

    id: str
    value: float
    limit: float
    passed: bool
    detail: str


@dataclass(frozen=True)
class PoolMeasures:
    """The aggregates every constraint reads: totals in fen and group totals by obligor, industry, province."""

    total_fen: int
    pledged_fen: int
    by_obligor: pd.Series
    by_industry: pd.Series
    by_province: pd.Series
    wa_term: float
    wa_rate: float

    @classmethod
    def of(cls, frame: pd.DataFrame) -> PoolMeasures:
        """Aggregate a pool frame (one groupby per dimension)."""
        fen = frame["principal_fen"].astype("int64")
        total = int(fen.sum())
        term = float((fen * frame["remaining_term_months"]).sum() / total) if total else 0.0
        rate = float((fen * frame["rate_float"]).sum() / total) if total and "rate_float" in frame else 0.0

        def sums(key: str) -> pd.Series:
            codes, keys = pd.factorize(frame[key], use_na_sentinel=False)
            totals = np.zeros(len(keys), dtype=np.int64)
            np.add.at(totals, codes, fen.to_numpy())
            return pd.Series(totals, index=keys).sort_values(ascending=False, kind="stable")

        return cls(
            total,
            int(fen[frame["data_pledged"].to_numpy(dtype=bool)].sum()),
            sums("obligor_id"),
            sums("industry"),
            sums("province"),
            term,
            rate,
        )

    def share(self, amount: float) -> float:
        """Share of the pool total (0 for an empty pool)."""
        return float(amount) / self.total_fen if self.total_fen else 0.0

    def top_share(self, k: int) -> float:
        """Share of the k largest obligors."""
        return self.share(self.by_obligor.iloc[:k].sum())

    def hhi(self) -> float:
        """Herfindahl index of obligor shares, Σ s_o²."""
        shares = self.by_obligor.to_numpy(dtype=float) / self.total_fen if self.total_fen else np.zeros(0)
        return float((shares**2).sum())


def check_pool(
    frame: pd.DataFrame, policy: ConstraintPolicy | None = None, deal_model: DealModel | None = None
) -> list[ConstraintResult]:
    """Evaluate every active pool constraint on a pool frame."""
    policy = policy or ConstraintPolicy()
    m = PoolMeasures.of(frame)
    return [_CHECKS[i](m, policy) for i in policy.active(deal_model)]


def failed(results: list[ConstraintResult]) -> list[ConstraintResult]:
    """The constraints that did not pass."""
    return [r for r in results if not r.passed]


def _cap(cid: str, m: PoolMeasures, groups: pd.Series, cap: float, what: str) -> ConstraintResult:
    """A share-of-pool cap on the largest group."""
    top = groups.index[0] if len(groups) else None
    value = m.share(groups.iloc[0]) if len(groups) else 0.0
    return ConstraintResult(
        cid,
        value,
        cap,
        value <= cap + SHARE_TOLERANCE,
        f"largest {what} {top!s} holds {value:.2%} (cap {cap:.2%})",
    )


def _label(m: PoolMeasures, p: ConstraintPolicy) -> ConstraintResult:
    value = m.share(m.pledged_fen)
    return ConstraintResult(
        "P01_data_pledged_share",
        value,
        p.data_pledged_share_min,
        m.pledged_fen > p.data_pledged_share_min * m.total_fen,
        f"data-pledged principal is {value:.2%} of the pool (must be above {p.data_pledged_share_min:.0%})",
    )


def _top(m: PoolMeasures, p: ConstraintPolicy) -> ConstraintResult:
    value = m.top_share(p.top_obligors)
    return ConstraintResult(
        "P03_top_obligors",
        value,
        p.max_top_obligors_share,
        value <= p.max_top_obligors_share + SHARE_TOLERANCE,
        f"top {p.top_obligors} obligors hold {value:.2%} (cap {p.max_top_obligors_share:.0%})",
    )


def _provinces(m: PoolMeasures, p: ConstraintPolicy) -> ConstraintResult:
    count = int((m.by_province > 0).sum())
    return ConstraintResult(
        "P06_min_provinces",
        float(count),
        float(p.min_provinces),
        count >= p.min_provinces,
        f"{count} province(s) (minimum {p.min_provinces})",
    )


def _effective(m: PoolMeasures, p: ConstraintPolicy) -> ConstraintResult:
    hhi = m.hhi()
    value = 1.0 / hhi if hhi > 0 else 0.0
    return ConstraintResult(
        "P07_effective_obligors",
        value,
        p.min_effective_obligors,
        value >= p.min_effective_obligors - 1e-9,
        f"HHI {hhi:.4f}, effective obligors {value:.2f} (minimum {p.min_effective_obligors:g})",
    )


def _term(cid: str, m: PoolMeasures, limit: float, low: bool) -> ConstraintResult:
    ok = m.wa_term >= limit - 1e-9 if low else m.wa_term <= limit + 1e-9
    return ConstraintResult(
        cid,
        m.wa_term,
        limit,
        ok and m.total_fen > 0,
        f"WA remaining term {m.wa_term:.2f} months ({'minimum' if low else 'maximum'} {limit:g})",
    )


def _size(cid: str, m: PoolMeasures, p: ConstraintPolicy, low: bool) -> ConstraintResult:
    target = p.target_fen() or 0
    limit = target * p.min_fill if low else float(target)
    ok = m.total_fen >= limit if low else m.total_fen <= limit
    return ConstraintResult(
        cid,
        m.total_fen / 100,
        limit / 100,
        ok,
        f"pool principal ¥{m.total_fen / 100:,.2f} ({'minimum' if low else 'target'} ¥{limit / 100:,.2f})",
    )


_CHECKS = {
    "P01_data_pledged_share": _label,
    "P02_single_obligor": lambda m, p: _cap(
        "P02_single_obligor", m, m.by_obligor, p.max_obligor_share, "obligor"
    ),
    "P03_top_obligors": _top,
    "P04_single_industry": lambda m, p: _cap(
        "P04_single_industry", m, m.by_industry, p.max_industry_share, "industry"
    ),
    "P05_single_province": lambda m, p: _cap(
        "P05_single_province", m, m.by_province, p.max_province_share, "province"
    ),
    "P06_min_provinces": _provinces,
    "P07_effective_obligors": _effective,
    "P08_wa_term_min": lambda m, p: _term("P08_wa_term_min", m, p.wa_term_min_months, True),
    "P09_wa_term_max": lambda m, p: _term("P09_wa_term_max", m, p.wa_term_max_months, False),
    "P10_target_max": lambda m, p: _size("P10_target_max", m, p, False),
    "P11_target_min": lambda m, p: _size("P11_target_min", m, p, True),
}
