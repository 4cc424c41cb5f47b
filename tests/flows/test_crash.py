"""A process killed mid-stage leaves the previous committed state intact, and a rerun completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from dataabs.ledger.models import RegistrySnapshot, Verification
from tests.flows.lifecycle_helpers import count, run, states, tree_bytes

pytestmark = pytest.mark.usefixtures("ledger_env")


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll until a condition holds, or fail naming what did not happen."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


def test_sigkill_during_rights_keeps_previous_outputs_and_rerun_completes(
    deal_variant: Callable[..., Path],
    sandbox: str,
    sandbox_control: httpx.Client,
    prefect_server: str,
    tmp_path: Path,
) -> None:
    deal, out = deal_variant("demo-crash", ["DA-METER", "DA-V2X"]), tmp_path / "out"
    config = yaml.safe_load((deal / "deal.yaml").read_text(encoding="utf-8"))
    config["counterparties"] = {"registry": {"url": sandbox}}  # the subprocess must meet our faulted sandbox
    (deal / "deal.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    run(deal, out, sandbox, stages=["governance", "rights"])
    before_files, before_rows = tree_bytes(out / "demo-crash" / "rights"), count(Verification, "demo-crash")
    before_snapshots = count(RegistrySnapshot, "demo-crash")

    # The registry hangs, so the rights stage is mid-flight (stage running, staging folder written) when killed.
    sandbox_control.post(
        "/_sandbox/faults",
        json={"path_prefix": "/registry", "mode": "latency", "delay_seconds": 60, "count": 50},
    ).raise_for_status()
    # The Prefect deal slot is off here: the test server never reclaims a killed holder's lease, so the next
    # backend's subprocess would wait forever. This test is about the ledger; tests/ops covers slot recovery.
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_server,
        "DATAABS_HTTP_TIMEOUT_SECONDS": "120",
        "DATAABS_DEAL_SLOT": "off",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "dataabs_cli.main", "run", str(deal), "--stages", "rights", "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: states("demo-crash")["rights"] == "running", 120, "the rights stage to start")
        wait_for(lambda: sandbox_control.get("/_sandbox/requests").json()["total"] > 0, 30, "a registry call")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # Nothing of the killed run was committed; the state says what happened.
    assert tree_bytes(out / "demo-crash" / "rights") == before_files
    assert count(Verification, "demo-crash") == before_rows
    assert count(RegistrySnapshot, "demo-crash") == before_snapshots
    assert states("demo-crash")["rights"] == "running"
    assert any((out / "demo-crash" / ".staging").iterdir())  # the dead run's half-written staging folder

    # The next run breaks the dead process's lock, marks the stage failed ("interrupted") and completes it.
    sandbox_control.delete("/_sandbox/faults").raise_for_status()
    run(deal, out, sandbox, stages=["rights"])
    assert states("demo-crash")["rights"] == "passed"
    assert count(Verification, "demo-crash") == before_rows
    assert count(RegistrySnapshot, "demo-crash") == 2 * before_snapshots
    assert not any((out / "demo-crash" / ".staging").iterdir())
