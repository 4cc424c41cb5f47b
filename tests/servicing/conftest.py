"""Fixtures of the servicing tests: the demo package's tapes and a sandbox with the bank mounted, on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from dataabs.package.loader import DealPackage, load_package
from dataabs.sandbox import bank
from dataabs.sandbox.app import create_app
from dataabs.sandbox.server import LOOPBACK, _bind, _wait_started

DEMO = Path(__file__).resolve().parents[2] / "config" / "deals" / "demo"
DEAL = "demo"


@pytest.fixture(scope="session")
def demo() -> DealPackage:
    """The demo deal package."""
    return load_package(DEMO)


@pytest.fixture(scope="session")
def base_seed(demo: DealPackage) -> bank.BankSeed:
    """The demo deal's base-scenario bank seed."""
    return bank.build_bank_seed(demo.schedules, demo.assets, demo.obligors)


def serve(app: FastAPI) -> Iterator[str]:
    """Serve an app with uvicorn in a thread on a free loopback port (as ``running_sandbox`` does)."""
    sock = _bind(LOOPBACK, 0)
    config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield f"http://{LOOPBACK}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def bank_url(base_seed: bank.BankSeed) -> Iterator[str]:
    """A sandbox app with the bank router installed, serving the demo base seed."""
    app = create_app({})
    bank.install(app, {DEAL: base_seed})
    yield from serve(app)


@pytest.fixture
def bank_control(bank_url: str, base_seed: bank.BankSeed) -> Iterator[httpx.Client]:
    """The control plane with faults and counts cleared and the base seed restored."""
    with httpx.Client(base_url=bank_url, timeout=5) as client:
        client.delete("/_sandbox/faults").raise_for_status()
        client.delete("/_sandbox/requests").raise_for_status()
        body = {"deal_id": DEAL, "bank": base_seed.model_dump(mode="json")}
        client.post(bank.CONTROL_PATH, json=body).raise_for_status()
        yield client
