"""The registry client over real HTTP against the sandbox: snapshots, retries, clear errors, no leaked token."""

from __future__ import annotations

import hashlib
import logging
import socket
import time
from datetime import UTC

import httpx
import pytest

from dataabs.connectors.http import CounterpartyRejected
from dataabs.connectors.registry import RegistryClient
from dataabs.errors import CounterpartyError
from tests.sandbox.sandbox_helpers import CERT, HOLDER, TOKEN, arm, seen

CERT_PATH = f"/registry/v1/certificates/{CERT}"
PLEDGES_PATH = "/registry/v1/pledges"


def test_certificate_snapshot_holds_body_path_time_and_hash(registry: RegistryClient) -> None:
    snapshot = registry.certificate(CERT)
    assert snapshot.body.certificate.holder_uscc == HOLDER
    assert snapshot.body.certificate.rights == ["holding", "processing", "operation"]
    assert snapshot.path == CERT_PATH
    assert snapshot.fetched_at.tzinfo == UTC
    assert snapshot.sha256 == hashlib.sha256(snapshot.raw).hexdigest()


def test_pledge_snapshot_names_the_certificate_searched(registry: RegistryClient) -> None:
    snapshot = registry.pledges(CERT)
    assert snapshot.path == f"{PLEDGES_PATH}?certificate_no={CERT}"
    assert [p.registration_no for p in snapshot.body.items] == ["ZD2025063000001"]


def test_500s_are_retried_then_fail_naming_the_attempts(
    registry: RegistryClient, control: httpx.Client
) -> None:
    arm(control, "status", count=10, status=500)
    with pytest.raises(
        CounterpartyError,
        match=r"registry: GET /registry/v1/certificates/\d+ failed after 3 "
        r"attempt\(s\).*HTTP 500",
    ):
        registry.certificate(CERT)
    assert seen(control, CERT_PATH) == 3


def test_timeouts_are_retried_then_fail(registry: RegistryClient, control: httpx.Client) -> None:
    arm(control, "timeout", count=10, delay_seconds=0.6)
    started = time.monotonic()
    with pytest.raises(
        CounterpartyError, match=r"after 3 attempt\(s\).*ReadTimeout \(no answer within the timeout\)"
    ):
        registry.pledges(CERT)
    assert seen(control, PLEDGES_PATH) == 3
    assert time.monotonic() - started < 2.0


def test_recovers_when_the_fault_count_runs_out(registry: RegistryClient, control: httpx.Client) -> None:
    arm(control, "status", count=1, status=503)
    arm(control, "timeout", count=1, delay_seconds=0.6)
    assert registry.certificate(CERT).body.certificate.status == "active"
    assert seen(control, CERT_PATH) == 3


def test_latency_within_the_timeout_is_fine(registry: RegistryClient, control: httpx.Client) -> None:
    arm(control, "latency", count=1, delay_seconds=0.05)
    assert registry.pledges(CERT).body.items
    assert seen(control, PLEDGES_PATH) == 1


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("malformed", r"answered malformed JSON: Expecting value at line 1 column 1"),
        ("truncated", r"answered truncated JSON \(the body ends early\)"),
        ("partial", r"answered a certificate of the wrong shape .*certificate\.\w+: Field required"),
    ],
)
def test_bad_bodies_fail_clearly_without_retry(
    registry: RegistryClient, control: httpx.Client, mode: str, message: str
) -> None:
    arm(control, mode, count=5)
    with pytest.raises(CounterpartyError, match=message):
        registry.certificate(CERT)
    assert seen(control, CERT_PATH) == 1


def test_partial_pledge_records_name_the_missing_fields(
    registry: RegistryClient, control: httpx.Client
) -> None:
    arm(control, "partial", count=1)
    with pytest.raises(
        CounterpartyError, match=r"pledge search of the wrong shape.*items\.0\.rank: Field required"
    ):
        registry.pledges(CERT)


def test_404_fails_at_once_naming_path_and_status(registry: RegistryClient, control: httpx.Client) -> None:
    with pytest.raises(
        CounterpartyRejected,
        match=r"GET /registry/v1/certificates/20250331010009999 was refused "
        r"with HTTP 404: certificate 20250331010009999 is not registered",
    ) as caught:
        registry.certificate("20250331010009999")
    assert caught.value.status == 404
    assert seen(control, "/registry/v1/certificates/20250331010009999") == 1


def test_evidence_of_an_unregistered_certificate_has_no_certificate(registry: RegistryClient) -> None:
    evidence = registry.evidence("20250331010009999")
    assert evidence.certificate is None
    assert evidence.pledges.body.items == []


def test_wrong_token_is_a_4xx_error_without_retry(sandbox_url: str, control: httpx.Client) -> None:
    with (
        RegistryClient(
            sandbox_url, token="wrong", timeout_seconds=0.5, retries=2, backoff_seconds=0.01
        ) as client,
        pytest.raises(CounterpartyRejected, match="HTTP 401: missing or wrong bearer token"),
    ):
        client.certificate(CERT)
    assert seen(control, CERT_PATH) == 1


def test_connection_refused_is_retried_then_fails() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        RegistryClient(
            f"http://127.0.0.1:{port}", retries=1, backoff_seconds=0.01, timeout_seconds=0.5
        ) as client,
        pytest.raises(CounterpartyError, match=r"after 2 attempt\(s\).*ConnectError \(could not connect\)"),
    ):
        client.pledges(CERT)


def test_token_never_appears_in_logs_or_errors(
    registry: RegistryClient, control: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    registry.certificate(CERT)
    arm(control, "status", count=10, status=502)
    with pytest.raises(CounterpartyError) as caught:
        registry.pledges(CERT)
    assert "retry 2 of 2" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(registry.http._client.headers)


def test_settings_supply_token_timeout_and_retries(
    sandbox_url: str, monkeypatch: pytest.MonkeyPatch, control: httpx.Client
) -> None:
    from dataabs.settings import Settings

    settings = Settings(registry_token=TOKEN, http_timeout_seconds=0.25, http_retries=1)
    with RegistryClient(sandbox_url, settings=settings, backoff_seconds=0.01) as client:
        assert client.certificate(CERT).body.certificate.certificate_no == CERT
        arm(control, "status", count=5)
        with pytest.raises(CounterpartyError, match=r"after 2 attempt\(s\)"):
            client.certificate(CERT)
