"""What ``dataabs deploy`` puts on a Prefect server, one function per kind of thing, all idempotent.

- the process work pool ``dataabs`` (``ensure_work_pool``);
- per deal: the concurrency limit ``deal:<id>`` (1 slot, ``tasks.deal_run.ensure_deal_limit``), the work queue
  ``deal-<id>`` (concurrency 1, so a second run of the deal waits as *Scheduled* instead of occupying a worker),
  and the on-demand lifecycle deployment ``lifecycle-<id>`` (``deploy_lifecycle``);
- the alerts automation ``dataabs-alerts`` and its Webhook block (``deploy_alerts``).

Re-running any of them updates in place (deployments upsert on flow + name; limits, queues, blocks and the
automation are looked up by name first), so ``dataabs deploy --all`` is safe to repeat.

Deployments run from the repository's working directory (``flow.from_source(<repo root>, <entrypoint>)``: a
``set_working_directory`` pull step, no image, no remote storage), so every worker machine needs this checkout
at the same path. The SERVICING (payment-calendar schedule) and SURVEILLANCE deployments are the servicing
engineer's: they add ``deploy_servicing`` / ``deploy_surveillance`` here and should put their deployments on the
deal's work queue (``deal_work_queue(deal_id)``) so that they queue behind a lifecycle run of the same deal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound

from dataabs.connectors.webhook import WebhookConfig, payload_template
from dataabs.package import DealPackage
from dataabs.settings import REPO_ROOT, get_settings
from tasks.alerts import AUTOMATION_NAME
from tasks.deal_run import ensure_deal_limit

LIFECYCLE_ENTRYPOINT = "flows/lifecycle.py:lifecycle"
WEBHOOK_BLOCK = "dataabs-alerts"
ALERT_EVENTS = ("dataabs.gate.failed", "dataabs.trigger.fired", "dataabs.disclosure")


@dataclass(frozen=True)
class Deployed:
    """What one ``deploy_*`` call left on the server, for the CLI to print."""

    kind: str
    name: str
    id: UUID | None
    detail: str = ""


def lifecycle_deployment_name(deal_id: str) -> str:
    """``lifecycle-<deal>``."""
    return f"lifecycle-{deal_id}"


def deal_work_queue(deal_id: str) -> str:
    """The work queue every deployment of a deal uses (concurrency 1)."""
    return f"deal-{deal_id}"


def ensure_work_pool(name: str | None = None) -> Deployed:
    """Create the process work pool if it does not exist (an existing pool is left as the operator set it)."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    pool = name or get_settings().work_pool
    with get_client(sync_client=True) as client:
        try:
            existing = client.read_work_pool(pool)
            return Deployed("work pool", pool, existing.id, f"{existing.type}, exists")
        except ObjectNotFound:
            created = client.create_work_pool(
                WorkPoolCreate(
                    name=pool, type="process", base_job_template=ProcessWorker.get_default_base_job_template()
                )
            )
            return Deployed("work pool", pool, created.id, "process, created")


def ensure_deal_queue(deal_id: str, pool: str | None = None) -> Deployed:
    """The deal's work queue in the pool, with a concurrency limit of 1."""
    pool_name, queue = pool or get_settings().work_pool, deal_work_queue(deal_id)
    with get_client(sync_client=True) as client:
        try:
            existing = client.read_work_queue_by_name(queue, work_pool_name=pool_name)
        except ObjectNotFound:
            created = client.create_work_queue(
                name=queue,
                work_pool_name=pool_name,
                concurrency_limit=1,
                description=f"Runs of deal {deal_id}, one at a time",
            )
            return Deployed("work queue", queue, created.id, "concurrency 1, created")
        if existing.concurrency_limit != 1:
            client.update_work_queue(existing.id, concurrency_limit=1)
        return Deployed("work queue", queue, existing.id, "concurrency 1")


def deploy_deal_limit(deal_id: str) -> Deployed:
    """The global concurrency limit ``deal:<id>`` with one slot."""
    changed = ensure_deal_limit(deal_id)
    return Deployed(
        "concurrency limit", f"deal:{deal_id}", None, "1 slot, " + ("created" if changed else "exists")
    )


def lifecycle_parameters(package: DealPackage, out_dir: Path, sandbox_url: str | None) -> dict[str, Any]:
    """Default parameters of a deal's lifecycle deployment: its package, report root and counterparty URLs."""
    declared = {
        name: getattr(package.deal.counterparties, name).url for name in ("registry", "bank", "curve")
    }
    urls = {name: url or sandbox_url for name, url in declared.items() if url or sandbox_url}
    return {"deal_dir": str(package.root), "out_dir": str(out_dir.resolve()), "counterparties": urls}


@lru_cache(maxsize=1)
def lifecycle_flow() -> Flow[..., Any]:
    """The lifecycle flow loaded from the repository checkout (a ``set_working_directory`` pull step)."""
    return Flow.from_source(str(REPO_ROOT), LIFECYCLE_ENTRYPOINT)  # type: ignore[return-value]


def deploy_lifecycle(
    package: DealPackage, out_dir: Path, sandbox_url: str | None = None, pool: str | None = None
) -> Deployed:
    """The on-demand lifecycle deployment of one deal (``stages`` is a multi-select in the custom-run form)."""
    deal_id = package.deal_id
    deployment_id = lifecycle_flow().deploy(
        name=lifecycle_deployment_name(deal_id),
        work_pool_name=pool or get_settings().work_pool,
        work_queue_name=deal_work_queue(deal_id),
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
        parameters=lifecycle_parameters(package, out_dir, sandbox_url),
        tags=["dataabs", "lifecycle", f"deal:{deal_id}"],
        description=(
            f"Lifecycle of deal {deal_id} (governance → rights → valuation → enhancement → pool → issuance). "
            "Custom run: pick the stages to rerun; later stages become stale."
        ),
    )
    return Deployed(
        "deployment",
        f"lifecycle/{lifecycle_deployment_name(deal_id)}",
        cast(UUID, deployment_id),
        "on demand",
    )


def deploy_deal(package: DealPackage, out_dir: Path, sandbox_url: str | None = None) -> list[Deployed]:
    """Everything of one deal that this module owns: limit, queue, lifecycle deployment."""
    return [
        deploy_deal_limit(package.deal_id),
        ensure_deal_queue(package.deal_id),
        deploy_lifecycle(package, out_dir, sandbox_url),
    ]


def deploy_alerts(config: WebhookConfig | None) -> Deployed:
    """The ``dataabs-alerts`` automation: on any dataabs alert event, post the message via a Webhook block.

    A DingTalk robot with a signing secret needs a fresh signature per post, which a stored Webhook block cannot
    compute: then (and without any webhook) the automation is removed and the flows post directly
    (``tasks.alerts.emit_alert``).
    """
    from prefect.automations import Automation
    from prefect.blocks.webhook import Webhook
    from prefect.events.actions import CallWebhook
    from prefect.events.schemas.automations import EventTrigger, Posture
    from pydantic import SecretStr

    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(AUTOMATION_NAME)
        if config is None or config.needs_signing:
            for stale in existing:
                client.delete_automation(stale.id)
            reason = "no webhook configured" if config is None else "DingTalk signing: flows post directly"
            return Deployed("automation", AUTOMATION_NAME, None, f"not created ({reason})")
    block = Webhook(
        method="POST",
        url=SecretStr(config.url),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    block_id = block.save(WEBHOOK_BLOCK, overwrite=True)
    automation = Automation(
        name=AUTOMATION_NAME,
        description="Post dataabs alerts (failed gates, fired triggers, disclosure events) to the team's webhook.",
        trigger=EventTrigger(
            expect=set(ALERT_EVENTS),
            match={"prefect.resource.id": "dataabs.deal.*"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[CallWebhook(block_document_id=block_id, payload=payload_template(config.format))],
    )
    if existing:
        keep, *extra = existing
        with get_client(sync_client=True) as client:
            for duplicate in extra:
                client.delete_automation(duplicate.id)
        automation.id = keep.id
        automation.update()
        return Deployed("automation", AUTOMATION_NAME, keep.id, f"{config.format} webhook, updated")
    created = cast(Automation, automation.create())
    return Deployed("automation", AUTOMATION_NAME, created.id, f"{config.format} webhook, created")


# --- servicing and surveillance (owner: servicing) -------------------------------------------------------------

from prefect.schedules import Cron, RRule, Schedule  # noqa: E402

SERVICING_ENTRYPOINT = "flows/servicing.py:servicing"
SURVEILLANCE_ENTRYPOINT = "flows/surveillance.py:surveillance"


def servicing_deployment_name(deal_id: str) -> str:
    """``servicing-<deal>``."""
    return f"servicing-{deal_id}"


def surveillance_deployment_name(deal_id: str) -> str:
    """``surveillance-<deal>``."""
    return f"surveillance-{deal_id}"


def payment_schedule(package: DealPackage) -> Schedule:
    """An RRule schedule with one RDATE per payment date (CN business-day adjusted) at the policy's time of day.

    Prefect schedules are cron/rrule; a deal's payment calendar is neither (holidays, 调休), so every date is
    listed explicitly. The run resolves its payment date from its scheduled day (``servicing``'s parameter
    ``payment_date`` is left empty), so one deployment serves every period.
    """
    from dataabs.policy import load_policy
    from dataabs.servicing.distribution import run_day
    from dataabs.servicing.periods import collection_periods

    times = load_policy(package.deal.policy).servicing.schedule
    hour, minute = (int(x) for x in times.servicing_at.split(":"))
    stamps = [f"{run_day(p):%Y%m%d}T{hour:02d}{minute:02d}00" for p in collection_periods(package.deal)]
    rule = f"DTSTART:{stamps[0]}\nRDATE:{','.join(stamps)}"
    return RRule(rule, timezone=times.timezone)


@lru_cache(maxsize=2)
def _flow(entrypoint: str) -> Flow[..., Any]:
    """A flow loaded from the repository checkout."""
    return Flow.from_source(str(REPO_ROOT), entrypoint)  # type: ignore[return-value]


def deploy_servicing(package: DealPackage, out_dir: Path, sandbox_url: str | None = None) -> Deployed:
    """The deal's servicing deployment on its payment calendar (runs named ``<deal>-servicing-<date>``)."""
    deal_id = package.deal_id
    params = lifecycle_parameters(package, out_dir, sandbox_url)
    schedule = payment_schedule(package)
    deployment_id = _flow(SERVICING_ENTRYPOINT).deploy(
        name=servicing_deployment_name(deal_id),
        work_pool_name=get_settings().work_pool,
        work_queue_name=deal_work_queue(deal_id),
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
        schedules=[schedule],
        parameters={"deal_id": deal_id, **params},
        tags=["dataabs", "servicing", f"deal:{deal_id}", "stage:servicing"],
        description=f"Servicing of deal {deal_id}: one run per payment date (collect, reconcile, distribute).",
    )
    dates = str(schedule.rrule).split("RDATE:")[1].count(",") + 1
    return Deployed("deployment", f"servicing/{servicing_deployment_name(deal_id)}", cast(UUID, deployment_id),
                    f"{dates} payment dates")  # fmt: skip


def deploy_surveillance(package: DealPackage, out_dir: Path, sandbox_url: str | None = None) -> Deployed:
    """The deal's monthly surveillance deployment (registry, quality, re-valuation)."""
    from dataabs.policy import load_policy

    deal_id = package.deal_id
    times = load_policy(package.deal.policy).servicing.schedule
    params = lifecycle_parameters(package, out_dir, sandbox_url)
    deployment_id = _flow(SURVEILLANCE_ENTRYPOINT).deploy(
        name=surveillance_deployment_name(deal_id),
        work_pool_name=get_settings().work_pool,
        work_queue_name=deal_work_queue(deal_id),
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
        schedules=[Cron(times.surveillance_cron, timezone=times.timezone)],
        parameters={"deal_id": deal_id, **params},
        tags=["dataabs", "surveillance", f"deal:{deal_id}", "stage:surveillance"],
        description=f"Surveillance of deal {deal_id}'s data collateral (registry, quality, re-valuation, LTV).",
    )
    return Deployed("deployment", f"surveillance/{surveillance_deployment_name(deal_id)}", cast(UUID, deployment_id),
                    times.surveillance_cron)  # fmt: skip
