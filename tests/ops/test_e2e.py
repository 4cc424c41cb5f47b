"""End to end on real parts: `prefect server start` (SQLite, then PostgreSQL) + a real process worker on loopback.

One stack per backend: `dataabs deploy --all` over three deal packages (the demo; `demo-b`, two data assets, for
the concurrency check; `demo-gate`, a governance gate that fails), then a batch of deployment runs started at
once so the checks share the wall time: the demo's whole lifecycle, two governance runs of `demo-b` (must queue),
one of `demo-gate` (must fail and reach the webhook). After the lifecycle: one scheduled servicing period (when
the servicing deployment exists), a one-stage rerun through `dataabs rerun`, artifacts read back through the API.
On SQLite also: a SIGKILLed holder of a deal slot gets its slot back when the lease expires, and screenshots.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from sqlalchemy import create_engine, text

from dataabs.settings import REPO_ROOT
from tests.conftest import DEMO_DIR, keep_data_assets
from tests.flows.lifecycle_helpers import edit_csv
from tests.ops.ops_helpers import Receiver, Stack, prefect_stack, wait_for, webhook_receiver

pytestmark = pytest.mark.slow

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
LEASE_SECONDS = 60  # Prefect's minimum lease


@dataclass
class Ops:
    """A running stack with its deals, receiver and the runs started up front."""

    backend: str
    stack: Stack
    sandbox: str
    receiver: Receiver
    deals: Path
    out: Path
    runs: dict[str, str] = field(default_factory=dict)
    batch: dict[str, list[str]] = field(default_factory=dict)
    slot: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def make_deals(root: Path) -> Path:
    """demo, demo-b (two data assets) and demo-gate (governance fails: a required column 80% empty)."""
    deals = root / "deals"
    for deal_id, keep in (("demo", None), ("demo-b", {"DA-METER", "DA-V2X"}), ("demo-gate", {"DA-HOTEL"})):
        target = deals / deal_id
        shutil.copytree(DEMO_DIR, target)
        if deal_id != "demo":
            deal = yaml.safe_load((target / "deal.yaml").read_text(encoding="utf-8"))
            deal["deal_id"] = deal_id
            (target / "deal.yaml").write_text(
                yaml.safe_dump(deal, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
        if keep:
            keep_data_assets(target, keep)

    def blank_required(frame: pd.DataFrame) -> None:
        frame.loc[frame.index % 5 != 0, "channel"] = ""

    edit_csv(deals / "demo-gate" / "samples" / "DA-HOTEL.csv", blank_required)
    return deals


def postgres_databases(backend: str) -> Iterator[tuple[str | None, str | None]]:
    """Fresh databases for Prefect and the ledger on the local PostgreSQL (dropped afterwards)."""
    if backend == "sqlite":
        yield None, None
        return
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    names = [f"dataabs_prefect_{os.getpid()}", f"dataabs_ledger_{os.getpid()}"]
    try:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("DATAABS_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required: {exc}")
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({type(exc).__name__})")
    try:
        yield (
            f"postgresql+asyncpg://postgres@127.0.0.1:5432/{names[0]}",
            f"postgresql://postgres@127.0.0.1:5432/{names[1]}",
        )
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


HOLDER = """
import sys, time
from prefect import flow
from tasks.deal_run import deal_slot

@flow(name="slot-holder")
def hold() -> None:
    with deal_slot("crashy"):
        print("HOLDING", flush=True)
        time.sleep(600)

hold()
"""


def limit(stack: Stack, name: str) -> dict[str, Any]:
    """A global concurrency limit as the API returns it."""
    with stack.client() as client:
        answer = client.get(f"/v2/concurrency_limits/{name}")
        answer.raise_for_status()
        return dict(answer.json())


def start_killed_holder(ops: Ops) -> None:
    """A process takes the ``deal:crashy`` slot and is SIGKILLed; a thread records when the slot comes back."""
    process = ops.stack.spawn(
        "holder", [sys.executable, "-c", HOLDER], {"DATAABS_DEAL_LEASE_SECONDS": str(LEASE_SECONDS)}
    )

    def watch() -> None:
        wait_for(lambda: _slots(ops.stack) == 1, 180, "the holder to take the deal:crashy slot", every=1.0)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        ops.slot["killed"] = time.monotonic()
        deadline = time.monotonic() + LEASE_SECONDS + 120
        while time.monotonic() < deadline:
            ops.slot.setdefault("held_after_kill", float(_slots(ops.stack)))
            if _slots(ops.stack) == 0:
                ops.slot["freed"] = time.monotonic()
                return
            time.sleep(1)

    threading.Thread(target=watch, daemon=True).start()


def _slots(stack: Stack) -> int:
    """Active slots of ``deal:crashy`` (0 while it does not exist yet)."""
    try:
        return int(limit(stack, "deal:crashy")["active_slots"])
    except Exception:
        return -1


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ops(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ops]:
    """Server + worker + deployments of three deals, and the batch of runs started at once."""
    from dataabs.sandbox.server import load_seeds, running_sandbox

    backend = str(request.param)
    root = tmp_path_factory.mktemp(f"ops-{backend}")
    deals = make_deals(root)
    started = time.monotonic()
    databases = postgres_databases(backend)
    prefect_db, ledger_db = next(databases)
    env = {
        "DATAABS_HOME": str(root / "home"),
        "DATAABS_OUT_DIR": str(root / "out"),
        "DATAABS_DATABASE_URL": ledger_db or f"sqlite:///{root / 'home' / 'ledger.db'}",
        "DATAABS_HTTP_TIMEOUT_SECONDS": "5",
        "DATAABS_HTTP_RETRIES": "2",
    }
    try:
        with (
            running_sandbox(load_seeds([DEMO_DIR])) as sandbox,
            webhook_receiver() as receiver,
            prefect_stack(root / "prefect", prefect_db, env) as stack,
        ):
            ops = Ops(backend, stack, sandbox, receiver, deals, root / "out")
            ops.timings["t0"] = started
            ops.timings["server up"] = time.monotonic() - started
            if backend == "sqlite":
                start_killed_holder(ops)
            deployed = stack.cli(
                "deploy",
                "--all",
                "--deals-dir",
                str(deals),
                "--sandbox",
                sandbox,
                "--out",
                str(ops.out),
                env={"DATAABS_WEBHOOK_URL": receiver.url, "DATAABS_WEBHOOK_FORMAT": "generic"},
            )
            assert deployed.returncode == 0, deployed.stdout + deployed.stderr
            ops.timings["deployed"] = time.monotonic() - started
            stack.start_worker("w1")
            ops.runs["demo"] = stack.create_run("lifecycle/lifecycle-demo", {})
            ops.batch["demo-b"] = [
                stack.create_run("lifecycle/lifecycle-demo-b", {"stages": ["governance"]}) for _ in range(2)
            ]
            ops.runs["demo-gate"] = stack.create_run(
                "lifecycle/lifecycle-demo-gate", {"stages": ["governance"]}
            )
            yield ops
    finally:
        next(databases, None)
        print(f"\n[ops {backend}] timings: {ops_timings_text(locals().get('ops'))}")


def ops_timings_text(ops: Ops | None) -> str:
    """Seconds since the fixture started, per milestone."""
    return ", ".join(f"{k} {v:.0f} s" for k, v in (ops.timings.items() if ops else []) if k != "t0")


def deployments(stack: Stack) -> list[dict[str, Any]]:
    """Every deployment on the server."""
    with stack.client() as client:
        return list(client.post("/deployments/filter", json={}).json())


def test_deploy_is_idempotent_with_limits_queues_automation_and_a_stages_multiselect(ops: Ops) -> None:
    again = ops.stack.cli(
        "deploy",
        "demo",
        "--deals-dir",
        str(ops.deals),
        "--sandbox",
        ops.sandbox,
        "--out",
        str(ops.out),
        env={"DATAABS_WEBHOOK_URL": ops.receiver.url, "DATAABS_WEBHOOK_FORMAT": "generic"},
    )
    assert again.returncode == 0, again.stdout + again.stderr
    names = [d["name"] for d in deployments(ops.stack)]
    for deal_id in ("demo", "demo-b", "demo-gate"):
        assert names.count(f"lifecycle-{deal_id}") == 1, names
        assert limit(ops.stack, f"deal:{deal_id}")["limit"] == 1
    lifecycle = next(d for d in deployments(ops.stack) if d["name"] == "lifecycle-demo")
    assert "deal:demo" in lifecycle["tags"]
    assert lifecycle["work_queue_name"] == "deal-demo"
    assert lifecycle["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO_ROOT)}}
    ]
    stages = lifecycle["parameter_openapi_schema"]["properties"]["stages"]
    schema = json.dumps(stages) + json.dumps(lifecycle["parameter_openapi_schema"].get("definitions", {}))
    for stage in ("governance", "rights", "valuation", "enhancement", "pool", "issuance"):
        assert f'"{stage}"' in schema
    assert '"enum"' in schema
    with ops.stack.client() as client:
        automations = client.post("/automations/filter", json={}).json()
        queue = client.get("/work_pools/dataabs/queues/deal-demo").json()
    assert [a["name"] for a in automations].count("dataabs-alerts") == 1
    assert automations[0]["actions"][0]["type"] == "call-webhook"
    assert queue["concurrency_limit"] == 1


def test_lifecycle_run_servicing_period_rerun_and_artifacts_through_the_api(ops: Ops) -> None:
    stack = ops.stack
    run = stack.wait_run(ops.runs["demo"], 420)
    ops.timings["lifecycle done"] = time.monotonic() - ops.timings["t0"]
    assert run["state_type"] == "COMPLETED", (stack.logs / "worker-w1.log").read_text()[-4000:]
    assert "deal:demo" in run["tags"] and run["name"].startswith("demo-")
    doctor = stack.cli("doctor", "--deals-dir", str(ops.deals))
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "1 alive: w1" in doctor.stdout and "is healthy" in doctor.stdout

    service = next((d for d in deployments(stack) if d["name"] == "servicing-demo"), None)
    if service is not None:  # one scheduled period: a run scheduled at the first payment date's time
        first = scheduled_times(stack, service["id"])
        with stack.client() as client:
            created = client.post(
                f"/deployments/{service['id']}/create_flow_run",
                json={"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": first}}},
            )
            created.raise_for_status()
        served = stack.wait_run(created.json()["id"], 300)
        assert served["state_type"] == "COMPLETED", (stack.logs / "worker-w1.log").read_text()[-4000:]
        assert any((ops.out / "demo" / "servicing").glob("*/distribution.csv"))

    rerun = stack.cli("rerun", "demo", "governance")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    match = re.search(r"/runs/flow-run/([0-9a-f-]{36})", rerun.stdout.replace("\n", ""))
    assert match, rerun.stdout
    again = stack.wait_run(match.group(1), 300)
    assert again["state_type"] == "COMPLETED"
    assert {"deal:demo", "stage:governance"} <= set(again["tags"])
    assert again["parameters"]["stages"] == ["governance"]

    with stack.client() as client:
        artifacts = client.post(
            "/artifacts/filter", json={"artifacts": {"key": {"like_": "deal-demo-"}}}
        ).json()
    keys = {a["key"] for a in artifacts}
    stages_run = [
        s
        for s in ("governance", "rights", "valuation", "enhancement", "pool", "issuance")
        if (ops.out / "demo" / s).is_dir()
    ]
    assert stages_run[:2] == ["governance", "rights"]
    for stage in stages_run:
        assert f"deal-demo-{stage}" in keys and f"deal-demo-{stage}-gate" in keys, sorted(keys)
    gate = next(
        a for a in artifacts if a["key"] == "deal-demo-governance-gate" and a["flow_run_id"] == again["id"]
    )
    assert gate["type"] == "table" and "passed" in gate["description"]


def scheduled_times(stack: Stack, deployment_id: str) -> str:
    """The servicing deployment's first payment-date time (from its schedule's RDATEs)."""
    with stack.client() as client:
        schedules = client.get(f"/deployments/{deployment_id}/schedules").json()
    rrule = schedules[0]["schedule"]["rrule"]
    first = rrule.split("RDATE:")[1].split(",")[0].strip()
    stamp = datetime.strptime(first, "%Y%m%dT%H%M%S")
    timezone = schedules[0]["schedule"].get("timezone") or "UTC"
    from zoneinfo import ZoneInfo

    return stamp.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC).isoformat()


def test_runs_of_one_deal_never_overlap_while_two_deals_run_in_parallel(ops: Ops) -> None:
    runs = [ops.stack.wait_run(run_id, 420) for run_id in ops.batch["demo-b"]]
    assert all(r["state_type"] == "COMPLETED" for r in runs), [r["state"] for r in runs]
    first, second = sorted(runs, key=lambda r: r["start_time"])
    assert first["end_time"] <= second["start_time"], "two runs of demo-b overlapped"
    demo = ops.stack.wait_run(ops.runs["demo"], 420)
    assert any(r["start_time"] < demo["end_time"] and demo["start_time"] < r["end_time"] for r in runs), (
        "runs of demo and demo-b did not run in parallel"
    )


def test_a_failed_gate_reaches_the_webhook_with_deal_stage_and_expectation(ops: Ops) -> None:
    failed = ops.stack.wait_run(ops.runs["demo-gate"], 420)
    assert failed["state_type"] == "FAILED"
    wait_for(lambda: ops.receiver.bodies, 120, "the automation to call the webhook")
    message = json.loads(ops.receiver.bodies[0])
    assert message["event"] == "dataabs.gate.failed"
    assert message["deal_id"] == "demo-gate" and message["payload"]["stage"] == "governance"
    assert any("expectation" in line for line in message["lines"]), message["lines"]
    assert "governance" in message["text"] and "demo-gate" in message["text"]


def test_a_killed_holder_gets_its_deal_slot_back_when_the_lease_expires(ops: Ops) -> None:
    if ops.backend != "sqlite":
        pytest.skip("checked once, on the SQLite stack")
    wait_for(lambda: "freed" in ops.slot, LEASE_SECONDS + 300, "the killed holder's slot to come back")
    assert ops.slot["held_after_kill"] == 1  # the lease outlives the process for a while…
    assert ops.slot["freed"] - ops.slot["killed"] <= LEASE_SECONDS + 30  # …and then the server takes it back


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
    "--virtual-time-budget=10000",
]


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Headless Debian chromium with the CI's flags and a throwaway profile."""
    return subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def assert_png(path: Path) -> None:
    """A real, non-trivial PNG."""
    assert path.is_file(), f"no screenshot {path}"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, f"{path}: {len(data)} bytes"


def test_screenshots_of_the_ui_runs_and_the_deal_report(ops: Ops, tmp_path: Path) -> None:
    if ops.backend != "sqlite":
        pytest.skip("screenshots are taken once, on the SQLite stack")
    if shutil.which("chromium") is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium)")
    run = ops.stack.wait_run(ops.runs["demo"], 420)
    shots = ops.out / "demo" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with ops.stack.client() as client:  # the runs the UI should show, read through the API
        listed = client.post(
            "/flow_runs/filter", json={"flow_runs": {"tags": {"all_": ["deal:demo"]}}}
        ).json()
    assert run["name"] in {r["name"] for r in listed}

    page = f"{ops.stack.ui}/runs/flow-run/{run['id']}"
    for name, url in (("ui-runs.png", f"{ops.stack.ui}/runs"), ("ui-flow-run.png", page)):
        chromium(f"--screenshot={shots / name}", url, profile=tmp_path / "profile")
        assert_png(shots / name)
    dom = chromium("--dump-dom", page, profile=tmp_path / "profile").stdout
    assert run["name"] in dom, "the UI did not render the flow run's name"

    report = ops.out / "demo" / "report.html"
    if not report.is_file():
        pytest.skip(f"no deal report at {report} (tasks/report.py did not write one)")
    chromium(f"--screenshot={shots / 'report.png'}", report.as_uri(), profile=tmp_path / "profile")
    assert_png(shots / "report.png")
