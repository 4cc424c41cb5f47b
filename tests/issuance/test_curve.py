"""The reference-curve client over real HTTP against the sandbox curve router on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dataabs.connectors.curve import CGB_PATH, CurveAnswer, CurveClient
from dataabs.connectors.http import CounterpartyRejected
from dataabs.errors import CounterpartyError
from dataabs.sandbox import curve as sandbox_curve
from dataabs.sandbox import server

DAY = date(2025, 7, 28)


def with_curve_router(create_app: Callable[..., FastAPI]) -> Callable[..., FastAPI]:
    """The sandbox app factory, with the curve router mounted unless the app already mounts it."""

    def create(*args: Any, **kwargs: Any) -> FastAPI:
        app = create_app(*args, **kwargs)
        if not any(getattr(route, "path", None) == CGB_PATH for route in app.routes):
            app.include_router(sandbox_curve.router)
        return app

    return create


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """The sandbox (registry, control plane, fault injection) serving the curve router on a loopback port."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(server, "create_app", with_curve_router(server.create_app))
        with server.running_sandbox() as url:
            yield url


@pytest.fixture
def control(sandbox_url: str) -> Iterator[httpx.Client]:
    """The sandbox control plane, faults cleared."""
    with httpx.Client(base_url=sandbox_url, timeout=5) as client:
        client.delete("/_sandbox/faults").raise_for_status()
        yield client


@pytest.fixture
def client(sandbox_url: str, control: httpx.Client) -> Iterator[CurveClient]:
    """A curve client with short timeouts and backoff, two retries."""
    with CurveClient(sandbox_url, timeout_seconds=1.0, retries=2, backoff_seconds=0.01) as curve_client:
        yield curve_client


def test_curve_of_a_date_has_the_cgb_tenors_and_mid_2025_levels(client: CurveClient) -> None:
    curve = client.curve(DAY)
    assert curve.tenors_years == sandbox_curve.TENORS_YEARS
    assert curve.as_of == DAY and curve.name == "CGB"
    assert 0.0130 <= curve.yields[0] <= 0.0140
    assert 0.0185 <= curve.yields[-1] <= 0.0195
    assert list(curve.yields) == sorted(curve.yields)
    assert curve.yields[3] == pytest.approx(sandbox_curve.cgb_yield(DAY, 2.0), abs=1e-6)


def test_curve_is_deterministic_and_smooth_in_the_date(client: CurveClient) -> None:
    assert client.curve(DAY) == client.curve(DAY)
    next_day = client.curve(DAY + timedelta(days=1))
    assert max(abs(a - b) for a, b in zip(client.curve(DAY).yields, next_day.yields, strict=True)) < 1e-4


def test_5xx_is_retried_through_the_shared_plumbing(client: CurveClient, control: httpx.Client) -> None:
    control.post(
        "/_sandbox/faults", json={"path_prefix": "/curve", "mode": "status", "status": 503, "count": 2}
    ).raise_for_status()
    assert client.curve(DAY).as_of == DAY


def test_persistent_failure_names_the_counterparty(client: CurveClient, control: httpx.Client) -> None:
    control.post(
        "/_sandbox/faults", json={"path_prefix": "/curve", "mode": "status", "status": 500, "count": 5}
    ).raise_for_status()
    with pytest.raises(CounterpartyError, match=r"curve: GET /curve/v1/cgb\?date=2025-07-28 failed after 3"):
        client.curve(DAY)


def test_partial_answer_is_rejected_naming_the_fields(client: CurveClient, control: httpx.Client) -> None:
    control.post("/_sandbox/faults", json={"path_prefix": "/curve", "mode": "partial"}).raise_for_status()
    with pytest.raises(CounterpartyError, match="a curve of the wrong shape"):
        client.curve(DAY)


def test_a_date_without_a_curve_is_refused(client: CurveClient) -> None:
    with pytest.raises(CounterpartyRejected, match="404") as raised:
        client.curve(date(1990, 1, 2))
    assert raised.value.status == 404


def test_wire_model_rejects_unsorted_tenors() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        CurveAnswer.model_validate(
            {
                "curve": "cgb",
                "date": "2025-07-28",
                "points": [{"tenor_years": 2, "yield": 0.015}, {"tenor_years": 1, "yield": 0.014}],
                "source": "test",
                "fetched_at": "2025-07-28T00:00:00Z",
            }
        )
