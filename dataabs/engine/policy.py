"""House policy of the enhancement gate (增信标准) and the criteria it applies to a proposed structure.

The thresholds are ``policy.yaml``'s ``enhancement`` section. Which coverage figure they test is itself a named
policy choice (see docs/decisions.md):

- ``coverage_basis``: ``life`` (cash over the deal's life / senior debt service over its life) or ``period``
  (the worst period while the senior is outstanding);
- ``credit_substitution`` (担保替代): when external support carries the senior's credit, the coverage thresholds
  apply to ``substituted_coverage`` (default ``interest``: net pool interest incl. guarantee interest over senior
  interest), while principal is tested as "no senior loss in the base case and every rating stress with the
  support paying". ``credit_substitution_by`` names the supports that qualify: ``asset_guarantee`` (asset
  guarantees cover the whole pool's dues: guaranteed share ≥ ``substitution_min_guarantee_share``) and
  ``shortfall_undertaking`` (差额支付承诺 on senior interest and principal — ``covers: senior_shortfall`` or
  ``all_tranches`` — from a provider rated at least ``substitution_min_provider_rating``; its amount, when capped,
  is tested by the ``undertaking_cover`` criterion). Without substitution the thresholds apply to debt-service
  coverage (domain §2.4).
- guarantor-fails stresses are reported; they block only with ``guarantor_fails_blocking: true``.
- ``min_subordination``: the subordinate share the originator retains (risk retention, 风险自留 ≥ 5%); sizing
  never proposes a senior above ``(1 − min_subordination) ×`` the issue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from dataabs.engine.enhancement import Measure, life_coverage, senior_loss, tranche_loss
from dataabs.engine.model import Deal, Scenario
from dataabs.engine.waterfall import WaterfallResult
from dataabs.package import schema as s

ScenarioKind = Literal["base", "rating", "guarantor_fails"]
SubstitutionBasis = Literal["asset_guarantee", "shortfall_undertaking"]
#: Long-term credit rating scale of the Chinese agencies, best first (a trailing ``sf``/``pi`` is ignored).
RATING_SCALE = (
    "AAA",
    "AA+",
    "AA",
    "AA-",
    "A+",
    "A",
    "A-",
    "BBB+",
    "BBB",
    "BBB-",
    "BB+",
    "BB",
    "BB-",
    "B+",
    "B",
)
#: ``credit_support.covers`` values under which an undertaking pays senior interest *and* principal.
UNDERTAKING_COVERS = ("senior_shortfall", "all_tranches")
CoverageKind = Literal["debt_service", "interest"]
CRITERIA_COLUMNS = ["criterion", "subject", "value", "threshold", "passed", "severity", "detail"]


class EnhancementPolicy(BaseModel):
    """Thresholds and named choices of the enhancement gate; defaults mirror ``policy.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_coverage_min: Decimal = Field(default=Decimal("1.20"), gt=0, description="Base-case coverage floor.")
    stressed_coverage_min: Decimal = Field(default=Decimal("1.10"), gt=0, description="Rating-stress floor.")
    coverage_basis: Literal["life", "period"] = "life"
    credit_substitution: bool = True
    credit_substitution_by: tuple[SubstitutionBasis, ...] = ("asset_guarantee", "shortfall_undertaking")
    substitution_min_guarantee_share: Decimal = Field(default=Decimal(1), ge=0, le=1)
    substitution_min_provider_rating: str = Field(
        default="AAA",
        description="Lowest rating of a shortfall-undertaking provider that substitutes the credit.",
    )
    substituted_coverage: CoverageKind = "interest"
    senior_no_loss: bool = True
    guarantor_fails_blocking: bool = False
    min_subordination: Decimal = Field(default=Decimal("0.05"), ge=0, lt=1)
    guarantee_must_cover: bool = True

    @field_validator("substitution_min_provider_rating")
    @classmethod
    def _known_rating(cls, value: str) -> str:
        """The minimum rating is on the scale."""
        if rating_rank(value) is None:
            raise ValueError(f"unknown rating {value!r}; known: {', '.join(RATING_SCALE)}")
        return value


def rating_rank(rating: str | None) -> int | None:
    """Position of a rating on :data:`RATING_SCALE` (0 = AAA), None when absent or unknown."""
    if not rating:
        return None
    core = rating.strip().upper().removesuffix("SF").removesuffix("PI")
    return RATING_SCALE.index(core) if core in RATING_SCALE else None


@dataclass(frozen=True)
class Undertaking:
    """A shortfall undertaking (差额支付承诺) of the deal as the policy judges it: who gives it, their rating, what
    it covers and its cap (None = unlimited)."""

    support_id: str
    provider: str
    rating: str | None
    covers: str
    amount: Decimal | None


@dataclass(frozen=True)
class Substitution:
    """Whether the senior's credit is substituted, by which support, and why (words for the reports)."""

    basis: SubstitutionBasis | None
    support_ids: tuple[str, ...]
    detail: str


def undertakings(deal: s.Deal) -> list[Undertaking]:
    """The deal's shortfall undertakings, with their provider's rating from the parties."""
    ratings = {p.id: p.rating for p in deal.parties}
    return [
        Undertaking(c.id, c.provider or "", ratings.get(c.provider or ""), c.covers, c.amount)
        for c in deal.credit_support
        if c.kind == "shortfall_undertaking"
    ]


def senior_dues_bound(deal: Deal, legal_maturity: date) -> Decimal:
    """Senior principal plus coupon to the legal maturity: what an undertaking must be able to pay at most."""
    years = Decimal((legal_maturity - deal.closing_date).days) / 365
    seniors = [deal.tranche(t) for t in deal.senior_ids()]
    return sum((t.size * (1 + t.coupon * years) for t in seniors), Decimal(0)).quantize(Decimal("0.01"))


def qualifies(undertaking: Undertaking, policy: EnhancementPolicy) -> tuple[bool, str]:
    """Whether an undertaking can carry the senior's credit: covers senior interest and principal, rated provider."""
    rank, floor = rating_rank(undertaking.rating), rating_rank(policy.substitution_min_provider_rating)
    who = f"undertaking {undertaking.support_id} of {undertaking.provider or '?'} ({undertaking.rating or 'unrated'})"
    if undertaking.covers not in UNDERTAKING_COVERS:
        return False, f"{who} covers {undertaking.covers}, not senior interest and principal"
    if rank is None or floor is None or rank > floor:
        return False, f"{who} is rated below {policy.substitution_min_provider_rating}"
    return True, f"{who} covers {undertaking.covers}"


def substitution(deal: Deal, policy: EnhancementPolicy, supports: Sequence[Undertaking] = ()) -> Substitution:
    """The credit-substitution basis of a deal: whole-pool asset guarantees, else a qualifying undertaking."""
    if not policy.credit_substitution:
        return Substitution(None, (), "credit substitution is off (policy credit_substitution: false)")
    share, need = guaranteed_share(deal), float(policy.substitution_min_guarantee_share)
    if "asset_guarantee" in policy.credit_substitution_by and share >= need:
        ids = tuple(sorted({t.guarantee for t in deal.pool.tapes if t.guarantee} if deal.pool else set()))
        return Substitution("asset_guarantee", ids, f"asset guarantees cover {share:.2%} of pool principal")
    reasons = [f"asset guarantees cover {share:.2%} of pool principal (< {need:.2%})"]
    if "shortfall_undertaking" in policy.credit_substitution_by:
        verdicts = [(u, *qualifies(u, policy)) for u in supports]
        good = [(u.support_id, why) for u, ok, why in verdicts if ok]
        if good:
            return Substitution("shortfall_undertaking", tuple(i for i, _ in good), good[0][1])
        reasons += [why for _, _, why in verdicts] or ["no shortfall undertaking"]
    return Substitution(None, (), "no substitution: " + "; ".join(reasons))


def senior_interest_due(deal: Deal, result: WaterfallResult) -> pd.Series:
    """Senior interest due per period (index aligned with ``result.periods``)."""
    tranches = result.tranches[result.tranches["tranche_id"].isin(deal.senior_ids())]
    due = tranches.groupby("payment_date")["interest_due"].sum().astype(float)
    return due.reindex(result.periods["payment_date"]).fillna(0.0).reset_index(drop=True)


def senior_debt_due(deal: Deal, result: WaterfallResult) -> pd.Series:
    """Senior interest plus principal due per period."""
    tranches = result.tranches[result.tranches["tranche_id"].isin(deal.senior_ids())]
    grouped = tranches.groupby("payment_date")
    due = (grouped["interest_due"].sum() + grouped["principal_due"].sum()).astype(float)
    return due.reindex(result.periods["payment_date"]).fillna(0.0).reset_index(drop=True)


def life_interest_coverage(deal: Deal, result: WaterfallResult) -> float:
    """Net pool interest (incl. guarantee interest, after taxes and fees) over senior interest, over the life."""
    due = senior_interest_due(deal, result)
    ratios = result.periods["interest_coverage"].astype(float).reset_index(drop=True)
    mask = (due > 0) & np.isfinite(ratios)
    total = float(due[mask].sum())
    return float((ratios[mask] * due[mask]).sum()) / total if total else math.inf


def period_interest_coverage(deal: Deal, result: WaterfallResult) -> float:
    """Worst period interest coverage while senior interest is due."""
    due = senior_interest_due(deal, result)
    ratios = result.periods["interest_coverage"].astype(float).reset_index(drop=True)
    values = ratios[due > 0]
    return float(values.min()) if len(values) else math.inf


def period_debt_service_coverage(deal: Deal, result: WaterfallResult) -> float:
    """Worst period coverage (domain §2.4) while senior debt service is due."""
    due = senior_debt_due(deal, result)
    ratios = result.periods["coverage"].astype(float).reset_index(drop=True)
    values = ratios[due > 0]
    return float(values.min()) if len(values) else math.inf


MEASURES: dict[tuple[str, str], Measure] = {
    ("life", "debt_service"): life_coverage,
    ("period", "debt_service"): period_debt_service_coverage,
    ("life", "interest"): life_interest_coverage,
    ("period", "interest"): period_interest_coverage,
}


def guaranteed_share(deal: Deal) -> float:
    """Share of pool principal under an asset guarantee (保函覆盖)."""
    if deal.pool is None:
        return 0.0
    total = deal.pool.principal()
    covered = sum(float(t.balance.sum()) for t in deal.pool.tapes if t.guarantee is not None)
    return covered / total if total else 0.0


def substituted(deal: Deal, policy: EnhancementPolicy, supports: Sequence[Undertaking] = ()) -> bool:
    """Whether the coverage test is the credit-substitution one (see :func:`substitution`)."""
    return substitution(deal, policy, supports).basis is not None


def coverage_kind(
    deal: Deal, policy: EnhancementPolicy, supports: Sequence[Undertaking] = ()
) -> CoverageKind:
    """The coverage figure the thresholds apply to for this deal."""
    return policy.substituted_coverage if substituted(deal, policy, supports) else "debt_service"


def measure(deal: Deal, policy: EnhancementPolicy, supports: Sequence[Undertaking] = ()) -> Measure:
    """The coverage function the thresholds apply to (basis × kind)."""
    return MEASURES[(policy.coverage_basis, coverage_kind(deal, policy, supports))]


def scenario_row(
    deal: Deal,
    scenario: Scenario,
    kind: ScenarioKind,
    result: WaterfallResult,
    policy: EnhancementPolicy,
    supports: Sequence[Undertaking] = (),
) -> dict[str, object]:
    """One stress-table row: every coverage figure, the tested one, losses, support paid and the final status."""
    guarantee = float(result.pool["guarantee"].astype(float).sum())
    return {
        "scenario": scenario.name,
        "kind": kind,
        "coverage": measure(deal, policy, supports)(deal, result),
        "life_coverage": life_coverage(deal, result),
        "period_coverage": period_debt_service_coverage(deal, result),
        "life_interest_coverage": life_interest_coverage(deal, result),
        "period_interest_coverage": period_interest_coverage(deal, result),
        "senior_loss": float(senior_loss(deal, result)),
        **{f"loss_{t.id}": float(tranche_loss(result, t.id)) for t in deal.tranches},
        "guarantee_paid": guarantee,
        "undertaking_paid": float(result.periods["support_draw"].astype(float).sum()),
        "final_status": str(result.periods["status"].iloc[-1]),
    }


def criteria(
    deal: Deal,
    stress: pd.DataFrame,
    policy: EnhancementPolicy,
    cover: pd.DataFrame,
    declared_guaranteed_share: Decimal | None,
    supports: Sequence[Undertaking] = (),
    legal_maturity: date | None = None,
) -> pd.DataFrame:
    """Every criterion of the gate, one row per (criterion, subject), with value, threshold and verdict."""
    rows: list[dict[str, object]] = []
    basis = substitution(deal, policy, supports)
    kind = policy.substituted_coverage if basis.basis else "debt_service"

    def add(
        criterion: str, subject: str, value: float, threshold: float, ok: bool, severity: str, detail: str
    ) -> None:
        rows.append(
            {
                "criterion": criterion,
                "subject": subject,
                "value": value,
                "threshold": threshold,
                "passed": bool(ok),
                "severity": severity,
                "detail": detail,
            }
        )

    add(
        "credit_substitution",
        basis.basis or "none",
        float(basis.basis is not None),
        0.0,
        True,
        "info",
        f"{basis.detail}; coverage floors test {policy.coverage_basis} {kind.replace('_', '-')} coverage",
    )
    label = f"{policy.coverage_basis} {kind.replace('_', '-')} coverage"
    for r in stress.to_dict("records"):
        cov, name = float(r["coverage"]), str(r["scenario"])
        if r["kind"] == "base":
            floor = float(policy.base_coverage_min)
            add(
                "base_coverage",
                name,
                cov,
                floor,
                cov >= floor,
                "critical",
                f"{label} {cov:.4f} vs ≥ {floor:.2f}",
            )
        elif r["kind"] == "rating":
            floor = float(policy.stressed_coverage_min)
            add(
                "stressed_coverage",
                name,
                cov,
                floor,
                cov >= floor,
                "critical",
                f"{label} {cov:.4f} vs ≥ {floor:.2f}",
            )
        blocking = r["kind"] != "guarantor_fails" or policy.guarantor_fails_blocking
        if policy.senior_no_loss:
            loss = float(r["senior_loss"])
            add(
                "senior_no_loss" if r["kind"] != "guarantor_fails" else "guarantor_fails_senior_loss",
                name,
                loss,
                0.0,
                loss == 0,
                "critical" if blocking else "warning",
                f"senior loss ¥{loss:,.2f}",
            )
    total = float(sum(t.size for t in deal.tranches))
    senior = float(sum(t.size for t in deal.tranches if t.kind == "senior"))
    sub = 1 - senior / total if total else 0.0
    floor = float(policy.min_subordination)
    add(
        "subordination",
        "structure",
        sub,
        floor,
        sub >= floor - 1e-9,
        "critical",
        f"subordination {sub:.4%} vs ≥ {floor:.2%}",
    )
    if policy.guarantee_must_cover:
        for r in cover.to_dict("records"):
            amount = float(r["amount"]) if r["amount"] is not None else math.inf
            dues = float(r["dues"])
            add(
                "guarantee_cover",
                f"{r['support_id']}/{r['asset_id']}",
                amount,
                dues,
                amount >= dues - 0.005,
                "critical",
                f"guarantee ¥{amount:,.2f} vs principal + contractual interest ¥{dues:,.2f}",
            )
        if basis.basis == "shortfall_undertaking":
            bound = senior_dues_bound(deal, legal_maturity or deal.payment_dates[-1])
            for u in supports:
                if u.support_id not in basis.support_ids:
                    continue
                amount = float(u.amount) if u.amount is not None else math.inf
                add(
                    "undertaking_cover",
                    u.support_id,
                    amount,
                    float(bound),
                    amount >= float(bound) - 0.005,
                    "critical",
                    f"undertaking {'unlimited' if u.amount is None else f'¥{amount:,.2f}'} vs senior principal "
                    f"+ coupon to legal maturity ¥{float(bound):,.2f}",
                )
        if declared_guaranteed_share is not None:
            share, want = guaranteed_share(deal), float(declared_guaranteed_share)
            add(
                "guarantee_share",
                "pool",
                share,
                want,
                share >= want - 1e-9,
                "critical",
                f"guaranteed share of pool {share:.2%} vs deal.yaml {want:.2%}",
            )
    return pd.DataFrame(rows, columns=CRITERIA_COLUMNS)
