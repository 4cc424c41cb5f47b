"""On the session's Prefect test server: the embedded default posts alerts itself and creates missing deal limits;
a deployment run whose deal limit is missing fails with a message that says how to fix it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound

from dataabs.errors import LedgerError
from dataabs.settings import get_settings
from tasks.alerts import emit_alert
from tasks.deal_run import deal_slot
from tests.ops.ops_helpers import webhook_receiver


@flow(name="alerting")
def alerting(deal_id: str) -> None:
    """A flow that raises one alert, as the servicing flow does for a fired trigger."""
    emit_alert(
        "trigger.fired",
        deal_id,
        {
            "headline": "Trigger T1 fired",
            "lines": ["cumulative default 3.1% > 3%"],
            "payment_date": "2026-03-26",
            "trigger": "T1",
        },
    )


@pytest.fixture(autouse=True)
def strict_slot(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The session's test server is configured in-process, not by PREFECT_API_URL: force the slot on."""
    monkeypatch.setenv("DATAABS_DEAL_SLOT", "strict")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@flow(name="slotted")
def slotted(deal_id: str) -> str:
    """A flow body inside the deal's slot."""
    with deal_slot(deal_id):
        return "ran"


def test_without_an_automation_the_flow_posts_the_alert_itself(
    prefect_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with webhook_receiver() as receiver:
        monkeypatch.setenv("DATAABS_WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("DATAABS_WEBHOOK_FORMAT", "generic")
        alerting("demo-alert")
    (body,) = [json.loads(b) for b in receiver.bodies]
    assert body["kind"] == "trigger.fired" and body["deal_id"] == "demo-alert"
    assert body["payload"] == {"payment_date": "2026-03-26", "trigger": "T1"}
    assert "cumulative default" in body["text"]


def test_unknown_alert_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown alert kind"):
        emit_alert("gate.passed", "demo", {})


def test_an_ad_hoc_run_creates_its_deal_limit(prefect_server: str) -> None:
    deal_id = f"adhoc-{uuid.uuid4().hex[:6]}"
    assert slotted(deal_id) == "ran"
    with get_client(sync_client=True) as client:
        created = client.read_global_concurrency_limit_by_name(f"deal:{deal_id}")
    assert created.limit == 1 and created.active_slots == 0


def test_a_deployment_run_without_its_deal_limit_fails_naming_dataabs_deploy(
    prefect_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal_id = f"nodeploy-{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", str(uuid.uuid4()))
    with pytest.raises(LedgerError, match=f"dataabs deploy {deal_id}"):
        slotted(deal_id)
    with get_client(sync_client=True) as client, pytest.raises(ObjectNotFound):
        client.read_global_concurrency_limit_by_name(f"deal:{deal_id}")
