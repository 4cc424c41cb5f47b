"""A sandbox on loopback for the service and client tests, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dataabs.connectors.registry import RegistryClient
from dataabs.sandbox.seed import RegistrySeed
from dataabs.sandbox.server import running_sandbox
from tests.sandbox.sandbox_helpers import DEAL, SEED, TOKEN


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """The base URL of a token-protected sandbox serving the test deal."""
    with running_sandbox({DEAL: RegistrySeed.model_validate(SEED)}, token=TOKEN) as url:
        yield url


@pytest.fixture
def control(sandbox_url: str) -> Iterator[httpx.Client]:
    """An httpx client on the sandbox's control plane, with faults, counts and the seed reset first."""
    with httpx.Client(base_url=sandbox_url, timeout=5) as client:
        client.delete("/_sandbox/faults").raise_for_status()
        client.delete("/_sandbox/requests").raise_for_status()
        client.post("/_sandbox/seed", json={"deal_id": DEAL, "registry": SEED}).raise_for_status()
        yield client


@pytest.fixture
def registry(sandbox_url: str, control: httpx.Client) -> Iterator[RegistryClient]:
    """A registry client with short timeouts and backoff, two retries."""
    with RegistryClient(
        sandbox_url, token=TOKEN, timeout_seconds=0.25, retries=2, backoff_seconds=0.01
    ) as client:
        yield client
