"""A sandbox registry on loopback and a fresh two-loan deal for each rights test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dataabs.sandbox.server import running_sandbox
from tests.rights.rights_helpers import RightsDeal, build_deal


@pytest.fixture(scope="session")
def rights_sandbox() -> Iterator[str]:
    """The base URL of a sandbox whose registry each test re-seeds."""
    with running_sandbox() as url:
        yield url


@pytest.fixture
def deal(tmp_path: Path, rights_sandbox: str) -> RightsDeal:
    """A deal whose data assets pass every check until a test breaks one."""
    return build_deal(tmp_path, rights_sandbox)
