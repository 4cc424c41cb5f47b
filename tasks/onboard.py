"""Onboarding and run guards: validate the package, one run per deal at a time, load it into the ledger."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from datetime import date
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from dataabs.errors import LedgerError
from dataabs.ledger import store
from dataabs.ledger.db import get_engine, migrate, session_scope
from dataabs.package import load_package
from tasks.context import StageContext

DEAL_LOCK_TTL_SECONDS = 6 * 3600


@task(name="prepare-run", cache_policy=NO_CACHE)
def prepare(deal_dir: str, out_dir: str, as_of: date | None, counterparties: dict[str, str]) -> StageContext:
    """Validate the deal package and migrate the ledger; nothing of the deal is written yet."""
    package = load_package(deal_dir)
    migrate(get_engine())
    return StageContext(
        deal_id=package.deal_id,
        deal_dir=Path(deal_dir).resolve(),
        out_dir=Path(out_dir).resolve(),
        as_of=as_of or package.deal.dates.cut_off,
        flow_run_id=str(flow_run.id or "") or None,
        counterparties=counterparties,
    )


def lock_holder(flow_run_id: str | None) -> str:
    """A lock holder name that says which flow run, on which host, in which process."""
    return f"{flow_run_id or 'local-' + uuid.uuid4().hex[:8]}@{socket.gethostname()}:{os.getpid()}"


def holder_is_dead(holder: str) -> bool:
    """True when the holder ran on this host in a process that no longer exists (killed or crashed)."""
    _, _, place = holder.rpartition("@")
    host, _, pid = place.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine: its lock expires by TTL
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@task(name="reserve-deal", cache_policy=NO_CACHE)
def reserve_deal(ctx: StageContext) -> str:
    """Take the deal's ledger lock so no other run of the deal overlaps this one; break a dead holder's lock."""
    holder = lock_holder(ctx.flow_run_id)
    with session_scope(get_engine()) as session:
        if store.acquire_deal_lock(session, ctx.deal_id, holder, DEAL_LOCK_TTL_SECONDS):
            return holder
        current = store.deal_lock_holder(session, ctx.deal_id)
        if current is None or not holder_is_dead(current):
            raise LedgerError(f"deal {ctx.deal_id} is being run by {current}; wait for it or cancel it")
        store.break_deal_lock(session, ctx.deal_id, current)
        get_run_logger().warning("Deal %s: broke the lock of dead run %s", ctx.deal_id, current)
        if not store.acquire_deal_lock(session, ctx.deal_id, holder, DEAL_LOCK_TTL_SECONDS):
            raise LedgerError(f"deal {ctx.deal_id} was taken by another run while recovering a dead lock")
    return holder


@task(name="onboard-deal", cache_policy=NO_CACHE)
def onboard(ctx: StageContext) -> list[str]:
    """Load the package into the ledger (stale marks if it changed) and fail stages a dead run left running."""
    with session_scope(get_engine()) as session:
        store.onboard_deal(session, ctx.package)
        recovered = store.recover_interrupted(session, ctx.deal_id)
    # We hold the deal's lock, so any staging folder left now belongs to a dead run.
    shutil.rmtree(ctx.deal_out / ".staging", ignore_errors=True)
    if recovered:
        get_run_logger().warning(
            "Deal %s: stage(s) %s were interrupted by a crash; marked failed",
            ctx.deal_id,
            ", ".join(recovered),
        )
    return recovered


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
