"""Enhancement criteria: credit substitution by asset guarantees or by a rated shortfall undertaking (差额支付承诺)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from dataabs.engine import policy as p
from dataabs.engine.from_deal import engine_deal, guarantee_cover
from dataabs.engine.run import run_deal
from dataabs.package import load_package
from dataabs.policy import load_policy
from tasks.enhancement import scenarios

DEALS = Path(__file__).resolve().parents[2] / "config" / "deals"


def _leasing() -> tuple[object, p.EnhancementPolicy, list[p.Undertaking]]:
    package = load_package(DEALS / "demo-leasing")
    return package, load_policy(package.deal.policy).enhancement, p.undertakings(package.deal)


def _criteria(package, policy: p.EnhancementPolicy, supports: list[p.Undertaking]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    deal = engine_deal(package)
    grid = scenarios(deal, package.deal.enhancement)
    stress = pd.DataFrame(
        [p.scenario_row(deal, s, kind, run_deal(deal, s), policy, supports) for kind, s in grid]
    )
    cover = guarantee_cover(package)
    return p.criteria(deal, stress, policy, cover, None, supports, package.deal.dates.legal_maturity)


def undertaking(rating: str | None = "AAA", covers: str = "senior_shortfall", amount: Decimal | None = None):  # type: ignore[no-untyped-def]
    return p.Undertaking("shortfall", "sponsor", rating, covers, amount)


def test_rating_scale() -> None:
    assert p.rating_rank("AAA") == 0 and p.rating_rank("AAAsf") == 0 and p.rating_rank("AA+") == 1
    assert p.rating_rank(None) is None and p.rating_rank("Baa1") is None
    with pytest.raises(ValueError, match="unknown rating"):
        p.EnhancementPolicy(substitution_min_provider_rating="Baa1")


def test_undertaking_substitutes_only_when_rated_and_covering_principal() -> None:
    package, policy, _ = _leasing()
    deal = engine_deal(package)  # type: ignore[arg-type]
    assert p.guaranteed_share(deal) == 0  # no asset guarantee in a leasing deal
    assert p.substitution(deal, policy, [undertaking()]).basis == "shortfall_undertaking"
    below = p.substitution(deal, policy, [undertaking("AA+")])
    assert below.basis is None and "rated below AAA" in below.detail
    interest_only = p.substitution(deal, policy, [undertaking(covers="senior_interest")])
    assert interest_only.basis is None and "not senior interest and principal" in interest_only.detail
    assert p.substitution(deal, policy.model_copy(update={"substitution_min_provider_rating": "AA+"}),
                          [undertaking("AA+")]).basis == "shortfall_undertaking"  # fmt: skip
    only_guarantees = policy.model_copy(update={"credit_substitution_by": ("asset_guarantee",)})
    assert p.substitution(deal, only_guarantees, [undertaking()]).basis is None
    assert p.coverage_kind(deal, policy, [undertaking()]) == "interest"
    assert p.coverage_kind(deal, policy, []) == "debt_service"


def test_leasing_passes_by_the_undertaking_and_reports_the_provider_failing() -> None:
    package, policy, supports = _leasing()
    checks = _criteria(package, policy, supports)
    critical = checks[checks["severity"] == "critical"]
    assert critical["passed"].all(), critical[~critical["passed"]]
    basis = checks[checks["criterion"] == "credit_substitution"].iloc[0]
    assert basis["subject"] == "shortfall_undertaking" and "sponsor (AAA)" in basis["detail"]
    assert set(checks.loc[checks["criterion"] == "undertaking_cover", "subject"]) == {"shortfall"}
    assert set(checks.loc[checks["criterion"] == "senior_no_loss", "passed"]) == {True}
    fails = checks[checks["criterion"] == "guarantor_fails_senior_loss"]
    assert len(fails) and set(fails["severity"]) == {"warning"} and not fails["passed"].all()
    sub = checks[checks["criterion"] == "subordination"].iloc[0]
    assert sub["value"] == pytest.approx(11 / 211)


def test_leasing_without_the_undertaking_is_tested_standalone_and_fails() -> None:
    package, policy, supports = _leasing()
    weak = [replace(u, rating="AA") for u in supports]
    checks = _criteria(package, policy, weak)
    base = checks[checks["criterion"] == "base_coverage"].iloc[0]
    assert "life debt-service coverage" in base["detail"] and not base["passed"]


def test_capped_undertaking_must_cover_senior_dues() -> None:
    package, policy, supports = _leasing()
    capped = [replace(u, amount=Decimal("150000000")) for u in supports]
    checks = _criteria(package, policy, capped)
    cover = checks[checks["criterion"] == "undertaking_cover"].iloc[0]
    assert not cover["passed"] and cover["severity"] == "critical"
    assert cover["threshold"] > 200_000_000  # senior principal + coupon to legal maturity
