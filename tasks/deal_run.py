"""One run per deal at a time, across machines: the Prefect global concurrency limit ``deal:<id>`` (1 slot).

Every flow of a deal (lifecycle, servicing, surveillance) wraps its body in ``deal_slot(deal_id)``: a strict
acquisition (a missing limit is an error, never a warning) that waits — queues — while another run of the deal
holds the slot. The slot is a lease renewed in the background; a run killed with SIGKILL stops renewing and the
server takes the slot back when the lease expires (``DATAABS_DEAL_LEASE_SECONDS``, default 120 s; Prefect's
minimum is 60 s). ``dataabs deploy`` creates the limits with the deployments. A run that is not a deployment run
(``dataabs run`` against a shared server, a notebook) creates its deal's limit when it is missing; a deployment run
whose limit is missing fails, because then the deployment was made by hand and the deal is not protected. On the
temporary server of the embedded default the slot is not taken at all (see ``slot_wanted``). The ledger deal lock (``tasks/onboard.py``) stays
underneath as the database-level guarantee.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from uuid import UUID

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectNotFound
from prefect.runtime import deployment, flow_run

from dataabs.errors import LedgerError
from dataabs.settings import get_settings


def dated_run_name(kind: str, date_param: str) -> Callable[[], str]:
    """A flow-run namer ``<deal>-<kind>-<date>``: the date parameter, else the scheduled day, else today."""

    def name() -> str:
        params = flow_run.parameters
        day = params.get(date_param)
        if not day:
            start = flow_run.scheduled_start_time
            day = start.date().isoformat() if start else date.today().isoformat()
        return f"{params.get('deal_id', 'deal')}-{kind}-{day}"

    return name


def deal_limit_name(deal_id: str) -> str:
    """The global concurrency limit of a deal."""
    return f"deal:{deal_id}"


def ensure_deal_limit(deal_id: str) -> bool:
    """Create (or reset to 1 slot, active) the deal's limit; True when it had to be created or changed."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, GlobalConcurrencyLimitUpdate

    name = deal_limit_name(deal_id)
    with get_client(sync_client=True) as client:
        try:
            existing = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            existing = None
        if existing is None:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
            except Exception:  # created meanwhile by a concurrent run of the same deal
                client.read_global_concurrency_limit_by_name(name)
                return False
            return True
        if existing.limit != 1 or not existing.active:
            client.update_global_concurrency_limit(name, GlobalConcurrencyLimitUpdate(limit=1, active=True))
            return True
    return False


@contextmanager
def deal_slot(deal_id: str) -> Iterator[None]:
    """Hold the deal's single slot for the block; wait while another run of the deal holds it."""
    logger = get_run_logger()
    name = deal_limit_name(deal_id)
    if not slot_wanted():
        logger.debug(
            "Deal %s: temporary Prefect server; the ledger deal lock keeps one run per deal", deal_id
        )
        yield
        return
    if deployment.id is None and ensure_deal_limit(deal_id):
        logger.info("Deal %s: created the concurrency limit %s (not a deployment run)", deal_id, name)
    lease = get_settings().deal_lease_seconds
    try:
        with concurrency(
            name, occupy=1, strict=True, lease_duration=lease, raise_on_lease_renewal_failure=False
        ):
            yield
    except ConcurrencySlotAcquisitionError as exc:
        if "must be created" in str(exc):
            raise LedgerError(
                f"deal {deal_id}: the concurrency limit {name} does not exist on this Prefect server; "
                f"run `dataabs deploy {deal_id}` (it creates the deployments and the limit)"
            ) from exc
        raise


def slot_wanted() -> bool:
    """Whether this run takes the Prefect slot: always in a deployment run or against a configured server.

    On the temporary server of the embedded default (no ``PREFECT_API_URL`` in the environment) it does not: that
    server runs no lease repossessor and keeps leases in its memory, so a killed run's slot would never come back;
    the ledger deal lock, which breaks a dead holder's lock at once, keeps one run per deal there.
    """
    mode = get_settings().deal_slot
    if mode in ("strict", "off"):
        return mode == "strict"
    return deployment.id is not None or bool(os.environ.get("PREFECT_API_URL"))


def label_flow_run(deal_id: str, stages: list[str]) -> None:
    """Give this flow run the ``deal:<id>`` and ``stage:<name>`` tags (UI custom runs arrive without them)."""
    current_id = flow_run.get_id()
    if not current_id:
        return
    run_id = UUID(current_id)
    wanted = [f"deal:{deal_id}", *(f"stage:{s}" for s in stages)]
    with get_client(sync_client=True) as client:
        current = list(client.read_flow_run(run_id).tags or [])
        missing = [t for t in wanted if t not in current]
        if missing:
            client.update_flow_run(run_id, tags=[*current, *missing])
