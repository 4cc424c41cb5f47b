"""The alert poster against a real HTTP receiver on loopback: formats, DingTalk signing, retries, no secret leaks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from dataabs.connectors.webhook import (
    Alert,
    WebhookConfig,
    config_from_env,
    event_payload,
    payload_template,
    post_alert,
    signed_url,
)
from dataabs.errors import CounterpartyError
from tests.ops.ops_helpers import webhook_receiver

SECRET = "SEC-test-secret-0123456789"
ALERT = Alert(
    kind="gate.failed",
    deal_id="demo",
    headline="Gate governance (governance) failed for deal demo",
    lines=[
        '[critical] expectation expect_column_values_to_not_be_null on DA-HOTEL.channel: 80 of 100 "unexpected"'
    ],
    payload={"stage": "governance", "suite": "governance"},
)


def test_dingtalk_signature_is_hmac_sha256_of_timestamp_and_secret() -> None:
    url = signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=abc", SECRET, timestamp_ms=1700000000000
    )
    query = parse_qs(urlsplit(url).query)
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"1700000000000\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["timestamp"] == ["1700000000000"] and query["access_token"] == ["abc"]
    assert query["sign"] == [expected]  # parse_qs unquotes the URL-quoted signature
    assert SECRET not in url


@pytest.mark.parametrize("fmt", ["generic", "dingtalk", "wecom"])
def test_each_format_reaches_the_receiver_with_deal_stage_and_expectation(fmt: str) -> None:
    with webhook_receiver() as receiver:
        post_alert(
            WebhookConfig(url=receiver.url, secret=SECRET if fmt == "dingtalk" else None, format=fmt), ALERT
        )  # type: ignore[arg-type]
    body = json.loads(receiver.bodies[0])
    text = json.dumps(body, ensure_ascii=False)
    assert "demo" in text and "governance" in text and "expect_column_values_to_not_be_null" in text
    if fmt == "dingtalk":
        assert (
            body["msgtype"] == "markdown"
            and "sign=" in receiver.paths[0]
            and "timestamp=" in receiver.paths[0]
        )
        assert SECRET not in unquote(receiver.paths[0]) and SECRET not in text
    elif fmt == "wecom":
        assert body["msgtype"] == "markdown" and "content" in body["markdown"]
    else:
        assert body["deal_id"] == "demo" and body["payload"]["stage"] == "governance"


@pytest.mark.parametrize("fmt", ["generic", "dingtalk", "wecom"])
def test_the_automation_template_renders_valid_json_for_every_format(fmt: str) -> None:
    from prefect.server.utilities.user_templates import render_user_template_sync

    alert = Alert(kind="gate.failed", deal_id='de"mo', headline='quote " and 中文', lines=["a\nb", "c"])
    rendered = render_user_template_sync(
        payload_template(fmt),  # type: ignore[arg-type]
        {"event": {"event": "dataabs.gate.failed", "payload": event_payload(alert)}},
    )
    body = json.loads(rendered)
    assert "中文" in json.dumps(body, ensure_ascii=False)


def test_server_errors_are_retried_and_the_error_names_the_host_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = WebhookConfig(
        url="http://127.0.0.1:9/robot/send?access_token=TOKEN123", secret=SECRET, format="dingtalk"
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CounterpartyError) as failed:
        post_alert(config, ALERT, timeout_seconds=0.5, retries=1)
    message = str(failed.value)
    assert "127.0.0.1:9" in message and "2 attempts" in message
    for leak in (SECRET, "TOKEN123"):
        assert leak not in message and leak not in caplog.text and leak not in repr(config)


def test_config_from_env_guesses_the_format_from_the_host() -> None:
    env = {
        "DATAABS_WEBHOOK_URL": "https://oapi.dingtalk.com/robot/send?access_token=x",
        "DATAABS_WEBHOOK_SECRET": SECRET,
    }
    config = config_from_env(env)
    assert config is not None and config.format == "dingtalk" and config.needs_signing
    assert (
        config_from_env(
            {"DATAABS_WEBHOOK_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
        ).format
        == "wecom"
    )  # type: ignore[union-attr]
    assert config_from_env({}) is None
    with pytest.raises(ValueError, match="unknown webhook format"):
        config_from_env({"DATAABS_WEBHOOK_URL": "http://x", "DATAABS_WEBHOOK_FORMAT": "slack"})
