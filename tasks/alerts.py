"""Alerts: a failed gate, a fired trigger or a disclosure event becomes a Prefect event and a chat message.

``emit_alert(kind, deal_id, payload)`` is the one call for every stage and flow (the servicing flow calls it
with ``"trigger.fired"`` and ``"disclosure"``). It emits the Prefect event ``dataabs.<kind>`` on the resource
``dataabs.deal.<id>`` — visible in the UI's event feed and matched by the ``dataabs-alerts`` automation that
``dataabs deploy`` creates, which posts the message through a Webhook block. When no such automation exists
(the embedded default, or a DingTalk robot with a signing secret, which a server-side template cannot sign) the
message is posted from here, directly. A webhook that cannot be reached is logged, never raised: an alert must
not mask the failure it reports.
"""

from __future__ import annotations

import logging
from typing import Any

from prefect.events import emit_event

from dataabs.connectors.webhook import (
    ALERT_KINDS,
    Alert,
    WebhookConfig,
    config_from_env,
    event_payload,
    parse_format,
    post_alert,
)
from dataabs.errors import CounterpartyError

AUTOMATION_NAME = "dataabs-alerts"
SECRET_URL_BLOCK = "dataabs-webhook-url"
SECRET_KEY_BLOCK = "dataabs-webhook-secret"

log = logging.getLogger("dataabs.alerts")


def emit_alert(kind: str, deal_id: str, payload: dict[str, Any]) -> None:
    """Emit ``dataabs.<kind>`` for a deal and make sure the webhook hears of it (automation or direct post).

    ``payload`` may carry ``headline`` (one sentence) and ``lines`` (detail lines, e.g. each failed
    expectation); every other key travels as structured detail (``stage``, ``payment_date``, ``trigger`` …).
    """
    if kind not in ALERT_KINDS:
        raise ValueError(f"unknown alert kind {kind!r}; choose from {', '.join(ALERT_KINDS)}")
    detail = {k: v for k, v in payload.items() if k not in ("headline", "lines")}
    alert = Alert(
        kind=kind,
        deal_id=deal_id,
        headline=str(payload.get("headline") or kind),
        lines=[str(line) for line in payload.get("lines") or []],
        payload=detail,
    )
    emit_event(
        event=f"dataabs.{kind}",
        resource={"prefect.resource.id": f"dataabs.deal.{deal_id}", "prefect.resource.name": deal_id},
        payload=event_payload(alert),
    )
    config = webhook_config()
    if config is None or (not config.needs_signing and automation_delivers()):
        return
    try:
        post_alert(config, alert)
    except CounterpartyError as exc:
        _logger().warning("Deal %s: alert %s not delivered: %s", deal_id, kind, exc)


def webhook_config() -> WebhookConfig | None:
    """The webhook from the environment (``DATAABS_WEBHOOK_URL`` …), else from the Prefect Secret blocks."""
    config = config_from_env()
    if config is not None:
        return config
    url = _secret(SECRET_URL_BLOCK)
    if not url:
        return None
    from dataabs.settings import get_settings

    return WebhookConfig(
        url=url, secret=_secret(SECRET_KEY_BLOCK), format=parse_format(get_settings().webhook_format, url)
    )


def automation_delivers() -> bool:
    """Whether the server has the enabled ``dataabs-alerts`` automation (created by ``dataabs deploy``)."""
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            return any(a.enabled for a in client.read_automations_by_name(AUTOMATION_NAME))
    except Exception:  # no server reachable: post directly rather than lose the alert
        return False


def _secret(name: str) -> str | None:
    """A Prefect Secret block's value, or None when the block does not exist or the server is unreachable."""
    from prefect.blocks.system import Secret

    try:
        block: Any = Secret.load(name, _sync=True)  # type: ignore[call-arg]
        value = block.get()
    except Exception:
        return None
    return str(value) if value else None


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The run logger inside a flow or task run, the module logger elsewhere."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return log
