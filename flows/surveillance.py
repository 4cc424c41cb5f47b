"""The surveillance flow (存续期监测): re-check the data collateral of one deal and record what changed.

registry re-check (certificates and pledges) → quality re-score on refreshed samples (PII included) →
re-valuation and LTV → data-collateral events appended to the ledger history (open, cured) with cure dates.
Servicing reads the history: a breach still open past its cure date sets the period's ``data_collateral_event``.
"""

from __future__ import annotations

import shutil
from datetime import date
from typing import Any

from prefect import flow, get_run_logger, tags

from tasks.deal_run import dated_run_name, deal_slot
from tasks.onboard import release_deal, reserve_deal
from tasks.stage import _one_line
from tasks.surveillance import (
    STAGE,
    fail_surveillance,
    prepare_surveillance,
    recheck_registry,
    record_events,
    rescore_quality,
    revalue,
    start_surveillance,
)


@flow(name="surveillance", flow_run_name=dated_run_name("surveillance", "as_of"), log_prints=True)
def surveillance(
    deal_id: str,
    as_of: date | None = None,
    out_dir: str = "out",
    deal_dir: str | None = None,
    samples_dir: str | None = None,
    valuation_file: str | None = None,
    counterparties: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Re-check registry, quality and value of a deal's data collateral; append the collateral events."""
    ctx = prepare_surveillance(
        deal_id, as_of, deal_dir=deal_dir, out_dir=out_dir, counterparties=counterparties or {},
        samples_dir=samples_dir, valuation_file=valuation_file,
    )  # fmt: skip
    with tags(f"deal:{deal_id}", f"stage:{STAGE}"), deal_slot(deal_id):
        holder = reserve_deal(ctx)
        try:
            run_id = start_surveillance(ctx)
            staging = ctx.staging_dir(STAGE, run_id)
            staging.mkdir(parents=True, exist_ok=True)
            try:
                observations = recheck_registry(ctx, staging)
                scores, pii = rescore_quality(ctx, staging)
                observations += pii + revalue(ctx, staging, scores)
                events = record_events(ctx, staging, run_id, observations)
            except BaseException as exc:
                shutil.rmtree(staging, ignore_errors=True)
                fail_surveillance(ctx, run_id, _one_line(exc))
                raise
        finally:
            release_deal(ctx, holder)
    get_run_logger().info(
        "Deal %s surveillance %s: %d condition(s), %d event change(s); report %s",
        deal_id, ctx.as_of, len(observations), len(events), ctx.report_dir,
    )  # fmt: skip
    return {
        "deal_id": deal_id,
        "as_of": ctx.as_of.isoformat(),
        "observations": [o.__dict__ for o in observations],
        "events": events,
        "report_dir": str(ctx.report_dir),
    }
