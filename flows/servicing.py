"""The servicing flow: one payment period of one deal (存续期): collect, reconcile, distribute, report — once.

collect (bank API or statement file; stored by transaction id) → reconcile (dues, receipts, suspense, claims,
arrears, defaults) → distribute (the issuance waterfall on actual collections, re-run from closing; triggers from
the earlier periods decide the waterfall) → gate (``expectations/servicing.json``) → commit exactly once per
(deal, payment date) with the report folder ``servicing/<payment_date>/``. A second run of a distributed period
returns the stored result and says so; ``reopen`` with a reason replaces it (audited).
"""

from __future__ import annotations

import shutil
from datetime import date
from typing import Any

from prefect import flow, get_run_logger, tags

from tasks.deal_run import dated_run_name, deal_slot
from tasks.onboard import release_deal, reserve_deal
from tasks.report import refresh_deal_report
from tasks.servicing import (
    STAGE,
    check_order,
    collect,
    commit_period,
    fail_servicing,
    gate_servicing,
    prepare_servicing,
    publish_period,
    reconcile_and_distribute,
    start_servicing,
    stored_period,
)
from tasks.stage import _one_line


@flow(name="servicing", flow_run_name=dated_run_name("servicing", "payment_date"), log_prints=True)
def servicing(
    deal_id: str,
    payment_date: date | None = None,
    out_dir: str = "out",
    deal_dir: str | None = None,
    statement: str | None = None,
    reopen: bool = False,
    reason: str | None = None,
    rating_downgrade: bool = False,
    counterparties: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Serve one payment period of a deal (the scheduled one when ``payment_date`` is empty)."""
    logger = get_run_logger()
    ctx = prepare_servicing(
        deal_id, payment_date, deal_dir=deal_dir, out_dir=out_dir, counterparties=counterparties or {},
        statement=statement, reopen=reopen, reason=reason, rating_downgrade=rating_downgrade,
    )  # fmt: skip
    with tags(f"deal:{deal_id}", f"stage:{STAGE}"), deal_slot(deal_id):
        holder = reserve_deal(ctx)
        try:
            stored = stored_period(ctx)
            if stored is not None and not reopen:
                logger.info(
                    "Deal %s: period %s was already distributed on %s; returning the stored result "
                    "(reopen it with --reopen --reason to replace it)",
                    deal_id, ctx.payment_date, stored["distributed_at"],
                )  # fmt: skip
                return {**stored, "status": "already_distributed"}
            check_order(ctx)
            run_id = start_servicing(ctx)
            staging = ctx.staging_dir(STAGE, f"{ctx.payment_date.isoformat()}-{run_id}")
            staging.mkdir(parents=True, exist_ok=True)
            try:
                collect(ctx)
                reconcile_and_distribute(ctx, staging)
                gate_servicing(ctx, staging, run_id)
                result = commit_period(ctx, staging, run_id)
            except BaseException as exc:
                shutil.rmtree(staging, ignore_errors=True)
                fail_servicing(ctx, run_id, _one_line(exc))
                raise
            publish_period(ctx, result)
            report = refresh_deal_report(ctx)
        finally:
            release_deal(ctx, holder)
    status = "reopened" if reopen and stored is not None else "distributed"
    logger.info("Deal %s: period %s %s; reports under %s (deal report %s)", deal_id, ctx.payment_date, status,
                ctx.period_dir, report or "not refreshed")  # fmt: skip
    return {**result, "status": status}


def close_periods(
    deal_id: str,
    through: date,
    *,
    out_dir: str = "out",
    deal_dir: str | None = None,
    counterparties: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Serve every payment period of a deal up to ``through`` in order (``dataabs close``); distributed ones are
    skipped, so a catch-up after an outage resumes where it stopped."""
    from sqlmodel import col, select

    from dataabs.ledger.db import get_engine, migrate, session_scope
    from dataabs.ledger.models import DistributionPeriod
    from dataabs.package import load_package
    from dataabs.servicing.periods import collection_periods
    from tasks.servicing import package_dir

    migrate(get_engine())
    package = load_package(package_dir(deal_id, deal_dir))
    with session_scope(get_engine()) as session:
        done = set(
            session.exec(
                select(col(DistributionPeriod.payment_date)).where(col(DistributionPeriod.deal_id) == deal_id)
            ).all()
        )
    results = []
    for period in collection_periods(package.deal):
        if period.payment_date > through:
            break
        if period.payment_date in done:
            continue
        results.append(
            servicing(
                deal_id=deal_id,
                payment_date=period.payment_date,
                out_dir=out_dir,
                deal_dir=str(package.root),
                counterparties=counterparties,
            )
        )
    return results
