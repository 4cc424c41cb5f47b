"""Onboarding and run guards: validate the package, load it into the ledger, one run per deal at a time."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from dataabs.errors import LedgerError
from dataabs.ledger import store
from dataabs.ledger.db import get_engine, migrate, session_scope
from dataabs.package import load_package
from tasks.context import StageContext

DEAL_LOCK_TTL_SECONDS = 6 * 3600


@task(name="onboard-deal", cache_policy=NO_CACHE)
def onboard(deal_dir: str, out_dir: str, as_of: date | None, counterparties: dict[str, str]) -> StageContext:
    """Validate the deal package, upsert it into the ledger and build the run's context."""
    package = load_package(deal_dir)
    engine = get_engine()
    migrate(engine)
    with session_scope(engine) as session:
        store.onboard_deal(session, package)
        store.recover_interrupted(session, package.deal_id)
    return StageContext(
        deal_id=package.deal_id,
        deal_dir=Path(deal_dir).resolve(),
        out_dir=Path(out_dir).resolve(),
        as_of=as_of or package.deal.dates.cut_off,
        flow_run_id=str(flow_run.id or "") or None,
        counterparties=counterparties,
    )


@task(name="reserve-deal", cache_policy=NO_CACHE)
def reserve_deal(ctx: StageContext) -> str:
    """Take the deal's ledger lock so that no other run of the same deal overlaps this one."""
    holder = ctx.flow_run_id or f"local-{uuid.uuid4()}"
    with session_scope(get_engine()) as session:
        if not store.acquire_deal_lock(session, ctx.deal_id, holder, DEAL_LOCK_TTL_SECONDS):
            raise LedgerError(
                f"deal {ctx.deal_id} is being run by another flow run; wait for it or cancel it"
            )
    return holder


@task(name="release-deal", cache_policy=NO_CACHE)
def release_deal(ctx: StageContext, holder: str) -> None:
    """Release the deal's ledger lock."""
    with session_scope(get_engine()) as session:
        store.release_deal_lock(session, ctx.deal_id, holder)


@task(name="check-prerequisites", cache_policy=NO_CACHE)
def check_prerequisites(ctx: StageContext, stage: str) -> None:
    """Refuse a stage while an earlier lifecycle stage is not passed (pending, failed or stale)."""
    with session_scope(get_engine()) as session:
        states = {view.stage: view.status for view in store.stage_states(session, ctx.deal_id)}
    earlier = store.LIFECYCLE_STAGES[: store.LIFECYCLE_STAGES.index(stage)]
    blocking = [
        f"{name} is {states.get(name, 'pending')}" for name in earlier if states.get(name) != "passed"
    ]
    if blocking:
        raise LedgerError(
            f"deal {ctx.deal_id}: stage {stage} needs the earlier stages passed ({'; '.join(blocking)}); "
            f"rerun them first, e.g. --stages {','.join([*earlier, stage])}"
        )
