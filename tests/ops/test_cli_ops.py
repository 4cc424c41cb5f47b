"""The operations commands without a server: what they print, and that they say what is wrong in words."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dataabs.settings import REPO_ROOT
from tests.ops.ops_helpers import DATAABS, free_port


def dataabs(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a clean Prefect environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DATAABS_"))}
    return subprocess.run(
        [DATAABS, *args],
        env={**base, "COLUMNS": "200", **env},
        cwd=REPO_ROOT,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_server_prints_telemetry_off_database_and_retention(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://prefect@db-host:5432/prefect"
    result = dataabs(
        "server",
        "--database-url",
        url,
        "--retention-days",
        "30",
        "--port",
        "4300",
        env={"PREFECT_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"PREFECT_API_DATABASE_CONNECTION_URL={url}" in out
    assert "PREFECT_SERVER_ANALYTICS_ENABLED=false" in out and "DO_NOT_TRACK=1" in out
    assert "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED=events,flow_runs" in out
    assert "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD=2592000" in out
    assert "PREFECT_UI_API_URL=http://127.0.0.1:4300/api" in out
    assert "prefect server start --host 127.0.0.1 --port 4300" in out


def test_worker_prints_a_process_worker_on_the_dataabs_pool_with_results_persisted(tmp_path: Path) -> None:
    result = dataabs("worker", "--limit", "4", env={"PREFECT_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "prefect worker start --pool dataabs --type process --limit 4" in result.stdout
    assert "PREFECT_RESULTS_PERSIST_BY_DEFAULT=true" in result.stdout


def test_doctor_names_an_unreachable_server_and_an_unmigrated_ledger(tmp_path: Path) -> None:
    api = f"http://127.0.0.1:{free_port()}/api"
    result = dataabs(
        "doctor",
        env={
            "PREFECT_API_URL": api,
            "PREFECT_HOME": str(tmp_path / "prefect"),
            "DATAABS_HOME": str(tmp_path / "home"),
        },
    )
    assert result.returncode == 1
    assert f"{api} did not answer" in result.stdout
    assert "never migrated" in result.stdout
    assert "problem(s) found" in result.stdout


def test_deploy_and_rerun_refuse_without_a_server_or_with_an_unknown_stage(tmp_path: Path) -> None:
    env = {"PREFECT_HOME": str(tmp_path)}
    deploy = dataabs("deploy", "demo", env=env)
    assert deploy.returncode == 2 and "PREFECT_API_URL is not set" in deploy.stderr + deploy.stdout
    rerun = dataabs("rerun", "demo", "closing", env=env)
    assert rerun.returncode == 2 and "unknown stage" in rerun.stderr + rerun.stdout
