"""Run a deal under a scenario: project the pool, collect into payment periods, distribute down the waterfall."""

from __future__ import annotations

from dataabs.engine.model import Deal, PeriodCollections, Scenario
from dataabs.engine.projection import collections_by_period, project_pool
from dataabs.engine.waterfall import WaterfallResult, run_waterfall


def project_collections(deal: Deal, scenario: Scenario) -> list[PeriodCollections]:
    """Projected collections of the deal's pool per payment period, in exact fen."""
    if deal.pool is None:
        raise ValueError(f"deal {deal.id}: no pool to project")
    flows = project_pool(deal.pool, scenario, deal.supports)
    return collections_by_period(
        flows, deal.payment_dates, deal.cut_off_date, deal.pool.principal(), scenario
    )


def run_deal(deal: Deal, scenario: Scenario | None = None, *, exact: bool = True) -> WaterfallResult:
    """Project the pool under a scenario (base case by default) and run the waterfall on it."""
    scenario = scenario or Scenario()
    failing = frozenset(s.id for s in deal.supports if scenario.support_fails(s))
    return run_waterfall(
        deal,
        project_collections(deal, scenario),
        coupon_shift=scenario.coupon_shift,
        failing_supports=failing,
        exact=exact,
    )
