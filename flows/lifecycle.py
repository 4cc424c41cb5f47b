"""The lifecycle flow: one deal from its package through the pre-issuance stages, each gated before commit.

governance (数据治理) → rights (确权) → valuation (估值) → enhancement (增信) → pool (封包) → issuance (发行).
A ``stages`` subset reruns part of the lifecycle: each stage replaces its committed outputs atomically and marks
later stages stale; a stage refuses to run while an earlier one is not passed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, tags
from prefect.runtime import flow_run

from tasks.deal_run import deal_slot, label_flow_run
from tasks.onboard import check_prerequisites, onboard, prepare, release_deal, reserve_deal
from tasks.registry import StageName, select
from tasks.report import refresh_deal_report
from tasks.stage import run_stage


def lifecycle_run_name() -> str:
    """Flow run name: ``<deal>-<stages>-<date>``."""
    params = flow_run.parameters
    stages = params.get("stages") or ["all"]
    deal = Path(str(params.get("deal_dir", "deal"))).name
    return f"{deal}-{'+'.join(stages)}-{date.today().isoformat()}"


@flow(name="lifecycle", flow_run_name=lifecycle_run_name, log_prints=True)
def lifecycle(
    deal_dir: str,
    stages: list[StageName] | None = None,
    out_dir: str = "out",
    as_of: date | None = None,
    counterparties: dict[str, str] | None = None,
) -> dict[str, str]:
    """Run the chosen lifecycle stages (all when ``stages`` is empty) for one deal package."""
    logger = get_run_logger()
    selected = select(list(stages) if stages else None)
    ctx = prepare(deal_dir, out_dir, as_of, counterparties or {})
    label_flow_run(ctx.deal_id, [s.name for s in selected])
    with deal_slot(
        ctx.deal_id
    ):  # one run per deal: waits while a servicing run or rerun of the deal holds it
        holder = reserve_deal(ctx)
        try:
            onboard(ctx)
            for stage in selected:
                check_prerequisites(ctx, stage.name)
                with tags(f"stage:{stage.name}"):
                    run_stage(ctx, stage)
        finally:
            # Once per run, after whatever committed (charts cost seconds; per stage they added ~15 s a run).
            refresh_deal_report(ctx)
            release_deal(ctx, holder)
    logger.info(
        "Deal %s: %s done; reports under %s", ctx.deal_id, ", ".join(s.name for s in selected), ctx.deal_out
    )
    return {s.name: str(ctx.stage_dir(s.name)) for s in selected}
