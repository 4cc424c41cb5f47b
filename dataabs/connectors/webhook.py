"""Post an operations alert (a failed gate, a fired trigger, a disclosure) to a chat webhook.

Three message formats: DingTalk (钉钉 custom robot; a signed URL when a secret is configured — HMAC-SHA256 of
``"<timestamp ms>\\n<secret>"``, base64, URL-quoted, appended as ``timestamp`` and ``sign``), WeCom (企业微信 group
robot; the key is part of the URL) and a generic JSON body. The URL and the secret come from the caller (the task
layer reads Prefect Secret blocks) or the environment (``DATAABS_WEBHOOK_URL``, ``DATAABS_WEBHOOK_SECRET``,
``DATAABS_WEBHOOK_FORMAT``). Neither the secret nor the signed URL is ever logged or put in an error message:
errors name the webhook by its scheme and host only.

``payload_template`` gives the same message as a Jinja template over a Prefect event, for the server-side
automation (``CallWebhook``) that ``dataabs deploy`` creates; it cannot sign, which is why a DingTalk robot with
a secret is posted from the flow instead (see ``docs/decisions.md``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import quote_plus, urlsplit

import httpx

from dataabs.errors import CounterpartyError

log = logging.getLogger("dataabs.connectors.webhook")

WebhookFormat = Literal["generic", "dingtalk", "wecom"]
FORMATS: tuple[WebhookFormat, ...] = ("generic", "dingtalk", "wecom")
ALERT_KINDS = ("gate.failed", "trigger.fired", "disclosure")
TITLES = {"gate.failed": "Gate failed", "trigger.fired": "Trigger fired", "disclosure": "Disclosure event"}


@dataclass(frozen=True)
class WebhookConfig:
    """Where alerts go: the webhook URL, an optional signing secret (DingTalk) and the message format."""

    url: str
    secret: str | None = None
    format: WebhookFormat = "generic"

    def __repr__(self) -> str:  # never show the URL's token or the secret
        return f"WebhookConfig(url={redact_url(self.url)!r}, secret={'***' if self.secret else None}, format={self.format!r})"

    @property
    def needs_signing(self) -> bool:
        """DingTalk with a secret: every post carries a fresh timestamp and signature."""
        return self.format == "dingtalk" and bool(self.secret)


@dataclass(frozen=True)
class Alert:
    """One alert about one deal: its kind (``gate.failed`` …), a headline and the detail lines."""

    kind: str
    deal_id: str
    headline: str
    lines: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """``[dataabs] Gate failed: deal demo``."""
        return f"[dataabs] {TITLES.get(self.kind, self.kind)}: deal {self.deal_id}"

    @property
    def text(self) -> str:
        """The message body as plain text: headline, then one line per detail."""
        return "\n".join([self.title, self.headline, *(f"- {line}" for line in self.lines)])


def config_from_env(environ: dict[str, str] | None = None) -> WebhookConfig | None:
    """The webhook configured in the environment, or None when ``DATAABS_WEBHOOK_URL`` is unset."""
    env = os.environ if environ is None else environ
    url = env.get("DATAABS_WEBHOOK_URL", "").strip()
    if not url:
        return None
    return WebhookConfig(
        url=url,
        secret=env.get("DATAABS_WEBHOOK_SECRET") or None,
        format=parse_format(env.get("DATAABS_WEBHOOK_FORMAT"), url),
    )


def parse_format(value: str | None, url: str) -> WebhookFormat:
    """A format name, or a guess from the URL's host (oapi.dingtalk.com, qyapi.weixin.qq.com)."""
    if value:
        name = value.strip().lower()
        if name not in FORMATS:
            raise ValueError(f"unknown webhook format {value!r}; choose from {', '.join(FORMATS)}")
        return cast(WebhookFormat, name)
    host = urlsplit(url).hostname or ""
    if host.endswith("dingtalk.com"):
        return "dingtalk"
    if host.endswith("weixin.qq.com"):
        return "wecom"
    return "generic"


def redact_url(url: str) -> str:
    """``https://oapi.dingtalk.com/…``: scheme and host only, for logs and errors."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature: base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>")), URL-quoted."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    """The DingTalk robot URL with ``timestamp`` and ``sign`` appended."""
    stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={stamp}&sign={dingtalk_signature(secret, stamp)}"


def message_body(alert: Alert, fmt: WebhookFormat) -> dict[str, Any]:
    """The JSON body of one alert in the webhook's format."""
    if fmt == "dingtalk":
        markdown = "\n".join(
            [f"### {alert.title}", "", alert.headline, "", *(f"- {line}" for line in alert.lines)]
        )
        return {"msgtype": "markdown", "markdown": {"title": alert.title, "text": markdown}}
    if fmt == "wecom":
        markdown = "\n".join([f"**{alert.title}**", alert.headline, *(f"> {line}" for line in alert.lines)])
        return {"msgtype": "markdown", "markdown": {"content": markdown}}
    return {
        "source": "dataabs",
        "kind": alert.kind,
        "deal_id": alert.deal_id,
        "title": alert.title,
        "headline": alert.headline,
        "lines": alert.lines,
        "text": alert.text,
        "payload": alert.payload,
    }


def post_alert(
    config: WebhookConfig,
    alert: Alert,
    *,
    timeout_seconds: float = 10.0,
    retries: int = 2,
    client: httpx.Client | None = None,
) -> None:
    """POST one alert; retry timeouts and 5xx; raise ``CounterpartyError`` naming the host (never the secret)."""
    body = message_body(alert, config.format)
    where = redact_url(config.url)
    last = ""
    own = client is None
    http = client or httpx.Client(timeout=timeout_seconds)
    try:
        for attempt in range(retries + 1):
            url = (
                signed_url(config.url, config.secret)
                if config.needs_signing and config.secret
                else config.url
            )
            try:
                response = http.post(
                    url,
                    content=json.dumps(body, ensure_ascii=False).encode(),
                    headers={"Content-Type": "application/json; charset=utf-8"},
                )
            except (httpx.TimeoutException, httpx.NetworkError) as exc:
                last = type(exc).__name__
            else:
                if response.status_code < 500:
                    if response.status_code >= 400:
                        raise CounterpartyError(
                            f"webhook {where} refused the alert with HTTP {response.status_code}"
                        )
                    reject = _chat_error(response, config.format)
                    if reject:
                        raise CounterpartyError(f"webhook {where} refused the alert: {reject}")
                    log.info("Alert %s for deal %s posted to %s", alert.kind, alert.deal_id, where)
                    return
                last = f"HTTP {response.status_code}"
            if attempt < retries:
                time.sleep(min(0.5 * 2**attempt, 4.0))
    finally:
        if own:
            http.close()
    raise CounterpartyError(f"webhook {where} did not take the alert after {retries + 1} attempts ({last})")


def _chat_error(response: httpx.Response, fmt: WebhookFormat) -> str | None:
    """DingTalk and WeCom answer HTTP 200 with ``errcode`` ≠ 0 on a refused message."""
    if fmt == "generic":
        return None
    try:
        answer = response.json()
    except ValueError:
        return None
    if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, "0"):
        return f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"
    return None


def payload_template(fmt: WebhookFormat) -> str:
    """The message as a Jinja template over a Prefect event emitted by ``tasks.alerts.emit_alert``.

    The event payload carries ``title``, ``headline``, ``lines`` and ``text``; ``tojson`` keeps the body valid JSON
    whatever characters the alert holds.
    """
    if fmt == "dingtalk":
        return (
            '{"msgtype": "markdown", "markdown": {"title": {{ event.payload.title | tojson }}, '
            '"text": {{ event.payload.markdown | tojson }}}}'
        )
    if fmt == "wecom":
        return '{"msgtype": "markdown", "markdown": {"content": {{ event.payload.markdown | tojson }}}}'
    return (
        '{"source": "dataabs", "event": {{ event.event | tojson }}, "kind": {{ event.payload.kind | tojson }}, '
        '"deal_id": {{ event.payload.deal_id | tojson }}, "title": {{ event.payload.title | tojson }}, '
        '"headline": {{ event.payload.headline | tojson }}, "lines": {{ event.payload.lines | tojson }}, '
        '"text": {{ event.payload.text | tojson }}, "payload": {{ event.payload.detail | tojson }}}'
    )


def event_payload(alert: Alert) -> dict[str, Any]:
    """What the Prefect event carries, so the automation's template can render every format."""
    return {
        "kind": alert.kind,
        "deal_id": alert.deal_id,
        "title": alert.title,
        "headline": alert.headline,
        "lines": alert.lines,
        "text": alert.text,
        "detail": alert.payload,
        "markdown": "\n".join(
            [f"### {alert.title}", "", alert.headline, "", *(f"- {line}" for line in alert.lines)]
        ),
    }
