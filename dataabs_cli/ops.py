"""Operations commands: ``server``, ``worker``, ``deploy``, ``rerun`` and ``doctor``.

They wrap the Prefect set-up described in ``docs/operations.md`` so an operator types one command: the server with
telemetry off, its database URL and retention; a process worker on the ``dataabs`` pool with result persistence;
the per-deal deployments, concurrency limits and the alerts automation; a one-stage rerun of one deal; and a
health check that says in words what is wrong.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

SERVER_PORT = 4200
WORKER_STALE_SECONDS = 90


def register(app: typer.Typer) -> None:
    """Add the operations commands to the ``dataabs`` app."""
    app.command()(server)
    app.command()(worker)
    app.command()(deploy)
    app.command()(rerun)
    app.command()(doctor)


def _cli() -> tuple[Console, Console, Callable[[], AbstractContextManager[None]]]:
    """The shared console, error console and ``operator_errors`` of the main CLI module (imported lazily)."""
    from dataabs_cli import main

    return main.console, main.err, main.operator_errors


def server_env(database_url: str | None, retention_days: int, home: Path | None) -> dict[str, str]:
    """The environment of ``prefect server start``: telemetry off, database, retention of runs and events."""
    env = {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
        "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(retention_days * 86400),
        "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": str(retention_days * 86400),
        # leases of concurrency slots survive a server restart (the default keeps them in memory: a restart while a
        # run holds deal:<id> would leave the slot taken for good)
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect.server.concurrency.lease_storage.filesystem",
    }
    if database_url:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    if home:
        env["PREFECT_HOME"] = str(home)
    return env


def server(
    host: Annotated[
        str, typer.Option(help="Bind address (use 0.0.0.0 for a shared server behind a firewall).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the API and the UI.")] = SERVER_PORT,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="Prefect's own database, e.g. postgresql+asyncpg://prefect@db:5432/prefect (default: SQLite in PREFECT_HOME)."
        ),
    ] = None,
    retention_days: Annotated[int, typer.Option(help="Delete flow runs and events older than this.")] = 90,
    home: Annotated[
        Path | None, typer.Option(help="PREFECT_HOME for the server (SQLite file, logs).")
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="The API URL browsers use (PREFECT_UI_API_URL), e.g. http://prefect-host:4200/api."
        ),
    ] = None,
    start: Annotated[
        bool, typer.Option("--start", help="Start it now instead of printing the command.")
    ] = False,
) -> None:
    """Print (or --start) the right `prefect server start` for dataabs: telemetry off, DB URL, retention."""
    console, _, _ = _cli()
    env = server_env(database_url, retention_days, home)
    env["PREFECT_UI_API_URL"] = (
        public_url or f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/api"
    )
    command = ["prefect", "server", "start", "--host", host, "--port", str(port)]
    if not start:
        lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
        console.print("\n".join([*lines, shlex.join(command)]), highlight=False, soft_wrap=True)
        console.print(
            f"# then, on every machine: export PREFECT_API_URL=http://{host}:{port}/api", highlight=False
        )
        return
    _exec(command, env)


def worker_env(storage: Path | None) -> dict[str, str]:
    """The environment of a worker: results persisted (retries reuse completed work), telemetry off."""
    env = {"DO_NOT_TRACK": "1", "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true"}
    if storage:
        env["PREFECT_LOCAL_STORAGE_PATH"] = str(storage)
    return env


def worker(
    pool: Annotated[
        str | None, typer.Option(help="Work pool (default: $DATAABS_WORK_POOL or dataabs).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Most flow runs this worker runs at once.")] = None,
    name: Annotated[
        str | None, typer.Option(help="Worker name shown in the UI (default: generated).")
    ] = None,
    storage: Annotated[
        Path | None,
        typer.Option(
            help="Where task results are persisted (PREFECT_LOCAL_STORAGE_PATH); a path every worker sees."
        ),
    ] = None,
    start: Annotated[
        bool, typer.Option("--start", help="Start it now instead of printing the command.")
    ] = False,
) -> None:
    """Print (or --start) a process worker on the `dataabs` pool, run from the repository checkout."""
    from dataabs.settings import REPO_ROOT, get_settings

    console, err, _ = _cli()
    command = ["prefect", "worker", "start", "--pool", pool or get_settings().work_pool, "--type", "process"]
    if limit:
        command += ["--limit", str(limit)]
    if name:
        command += ["--name", name]
    env = worker_env(storage)
    if not start:
        lines = [f"export {k}={shlex.quote(v)}" for k, v in env.items()]
        console.print(
            "\n".join([f"cd {shlex.quote(str(REPO_ROOT))}", *lines, shlex.join(command)]),
            highlight=False,
            soft_wrap=True,
        )
        return
    if not os.environ.get("PREFECT_API_URL"):
        err.print(
            "[bold red]error:[/] PREFECT_API_URL is not set: a worker needs a running Prefect server "
            "(see `dataabs server`)"
        )
        raise typer.Exit(2)
    os.chdir(REPO_ROOT)
    _exec(command, env)


def _exec(command: list[str], env: dict[str, str]) -> None:
    """Replace this process by a Prefect command (signals reach it directly)."""
    executable = shutil.which(command[0]) or str(Path(sys.executable).with_name(command[0]))
    os.execve(executable, [executable, *command[1:]], {**os.environ, **env})


def _require_server() -> None:
    """Deploying to the temporary server is pointless: it vanishes with the process."""
    if not os.environ.get("PREFECT_API_URL"):
        raise typer.BadParameter(
            "PREFECT_API_URL is not set; deployments live on a running Prefect server (`dataabs server --start`)"
        )


def find_packages(deals_dir: Path, deal_id: str | None) -> list[Path]:
    """Deal package folders under ``deals_dir`` (one, by folder name or deal id, or all)."""
    folders = (
        sorted(p for p in deals_dir.iterdir() if (p / "deal.yaml").is_file()) if deals_dir.is_dir() else []
    )
    if deal_id is None:
        return folders
    import yaml

    for folder in folders:
        declared = (yaml.safe_load((folder / "deal.yaml").read_text(encoding="utf-8")) or {}).get("deal_id")
        if folder.name == deal_id or declared == deal_id:
            return [folder]
    raise typer.BadParameter(f"no deal package {deal_id!r} under {deals_dir} (folders with a deal.yaml)")


def deploy(
    deal_id: Annotated[
        str | None, typer.Argument(help="The deal to deploy (its folder under --deals-dir).")
    ] = None,
    all_deals: Annotated[
        bool, typer.Option("--all", help="Deploy every deal package under --deals-dir.")
    ] = False,
    deals_dir: Annotated[
        Path | None, typer.Option(help="Deal packages root (default: config/deals).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Report folder root of the runs (default: $DATAABS_OUT_DIR).")
    ] = None,
    sandbox: Annotated[
        str | None,
        typer.Option(
            help="Sandbox counterparty URL for the counterparties a deal leaves without a URL (`dataabs sandbox`)."
        ),
    ] = None,
) -> None:
    """Create or update the deal's deployments, its concurrency limit and the alerts automation (idempotent)."""
    import flows.deployments as deployments
    from dataabs.package import load_package
    from dataabs.settings import get_settings
    from tasks.alerts import webhook_config

    console, _, operator_errors = _cli()
    if (deal_id is None) == (not all_deals):
        raise typer.BadParameter("name one deal id or pass --all")
    _require_server()
    settings = get_settings()
    root = deals_dir or settings.config_dir / "deals"
    out_dir = (out or settings.out_dir).resolve()
    with operator_errors():
        folders = find_packages(root, None if all_deals else deal_id)
        if not folders:
            raise typer.BadParameter(f"no deal packages under {root}")
        done = [deployments.ensure_work_pool()]
        for folder in folders:
            package = load_package(folder)
            done += deployments.deploy_deal(package, out_dir, sandbox)
            for extra in ("deploy_servicing", "deploy_surveillance"):  # the servicing engineer's deployments
                function = getattr(deployments, extra, None)
                if function is not None:
                    done += _as_list(function(package, out_dir, sandbox))
        done.append(deployments.deploy_alerts(webhook_config()))
    for item in done:
        console.print(f"[green]ok[/] {item.kind:<18} {item.name:<32} {item.detail}", highlight=False)


def _as_list(value: Any) -> list[Any]:
    """A deploy function may return one record or several."""
    return list(value) if isinstance(value, list | tuple) else [value]


def rerun(
    deal_id: Annotated[str, typer.Argument(help="The deal id.")],
    stage: Annotated[str, typer.Argument(help="The stage to rerun (governance, rights, valuation, …).")],
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the run to finish and exit with its outcome.")
    ] = False,
) -> None:
    """Rerun one stage of one deal on its lifecycle deployment; print the run's URL."""
    from prefect.deployments import run_deployment

    from dataabs_cli.main import STAGE_NAMES
    from flows.deployments import lifecycle_deployment_name

    console, err, _ = _cli()
    if stage not in STAGE_NAMES:
        raise typer.BadParameter(f"unknown stage {stage!r}; choose from {', '.join(STAGE_NAMES)}")
    _require_server()
    name = f"lifecycle/{lifecycle_deployment_name(deal_id)}"
    try:
        run: FlowRun = run_deployment(  # type: ignore[assignment]
            name,
            parameters={"stages": [stage]},
            timeout=None if wait else 0,
            tags=[f"deal:{deal_id}", f"stage:{stage}", "rerun"],
            as_subflow=False,
        )
    except Exception as exc:  # no such deployment, server down: one paragraph, no traceback
        err.print(f"[bold red]error:[/] cannot start {name}: {exc}. Has `dataabs deploy {deal_id}` run?")
        raise typer.Exit(5) from None
    console.print(f"flow run {run.name} ({run.id}): {run_url(str(run.id))}", highlight=False)
    if wait:
        state = run.state.type.value if run.state else "UNKNOWN"
        console.print(f"finished: {state}", highlight=False)
        if state != "COMPLETED":
            raise typer.Exit(3)


def run_url(flow_run_id: str) -> str:
    """The UI address of a flow run (``PREFECT_UI_URL``, else the API URL without ``/api``)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    base = PREFECT_UI_URL.value() or (PREFECT_API_URL.value() or "").removesuffix("/api")
    return f"{str(base).rstrip('/')}/runs/flow-run/{flow_run_id}"


@dataclass
class Check:
    """One doctor finding: what was checked, whether it is fine, and what to do about it in words."""

    name: str
    ok: bool
    detail: str


def doctor_checks(deals_dir: Path, pool: str) -> list[Check]:
    """Prefect API, work pool and workers, ledger connection and migrations, counterparties' health."""
    checks: list[Check] = []
    api = os.environ.get("PREFECT_API_URL", "")
    if not api:
        checks.append(
            Check(
                "prefect api", True, "PREFECT_API_URL unset: runs use a temporary server (embedded default)"
            )
        )
    else:
        checks += _prefect_checks(api, pool)
    checks.append(_ledger_check())
    checks += _counterparty_checks(deals_dir)
    return checks


def _prefect_checks(api: str, pool: str) -> list[Check]:
    """The API's health endpoint, then the pool and its workers' last heartbeats."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        response = httpx.get(f"{api.rstrip('/')}/health", timeout=5)
        healthy = response.status_code == 200 and response.json() is True
    except (httpx.HTTPError, ValueError) as exc:
        return [
            Check(
                "prefect api", False, f"{api} did not answer ({type(exc).__name__}); is the server running?"
            )
        ]
    if not healthy:
        return [
            Check(
                "prefect api",
                False,
                f"{api}/health answered HTTP {response.status_code}: {response.text[:200]}",
            )
        ]
    checks = [Check("prefect api", True, f"{api} is healthy")]
    with get_client(sync_client=True) as client:
        try:
            work_pool = client.read_work_pool(pool)
        except ObjectNotFound:
            return [
                *checks,
                Check("work pool", False, f"work pool {pool!r} does not exist; run `dataabs deploy --all`"),
            ]
        paused = " (PAUSED: resume it in the UI)" if work_pool.is_paused else ""
        checks.append(Check("work pool", not work_pool.is_paused, f"{pool} ({work_pool.type}){paused}"))
        workers = client.read_workers_for_work_pool(pool)
    now = datetime.now(UTC)
    alive = [
        w
        for w in workers
        if w.last_heartbeat_time and now - w.last_heartbeat_time < timedelta(seconds=WORKER_STALE_SECONDS)
    ]
    if alive:
        names = ", ".join(
            f"{w.name} ({int((now - w.last_heartbeat_time).total_seconds())} s ago)"
            for w in alive
            if w.last_heartbeat_time
        )
        checks.append(Check("workers", True, f"{len(alive)} alive: {names}"))
    elif workers:
        last = max((w.last_heartbeat_time for w in workers if w.last_heartbeat_time), default=None)
        checks.append(
            Check(
                "workers",
                False,
                f"no worker of {pool} sent a heartbeat in the last {WORKER_STALE_SECONDS} s "
                f"(last: {last:%Y-%m-%d %H:%M:%S} UTC); start one: `dataabs worker --start`"
                if last
                else f"no worker of {pool} has sent a heartbeat; start one: `dataabs worker --start`",
            )
        )
    else:
        checks.append(
            Check("workers", False, f"no worker has polled {pool}; start one: `dataabs worker --start`")
        )
    return checks


def _ledger_check() -> Check:
    """The ledger answers and is at the head migration."""
    from sqlalchemy.exc import SQLAlchemyError

    from dataabs.ledger.db import current_revision, get_engine, head_revision, normalise_url
    from dataabs.settings import get_settings

    where = normalise_url(get_settings().ledger_url).render_as_string(hide_password=True)
    try:
        current = current_revision(get_engine())
    except SQLAlchemyError as exc:
        return Check("ledger", False, f"cannot connect to {where}: {str(exc).splitlines()[0]}")
    head = head_revision()
    if current is None:
        return Check(
            "ledger", False, f"{where} was never migrated; `dataabs status <deal>` or a run migrates it"
        )
    if current != head:
        return Check(
            "ledger",
            False,
            f"{where} is at migration {current}, the code expects {head}; "
            "a run or `dataabs status <deal>` migrates it",
        )
    return Check("ledger", True, f"{where} at migration {head}")


def _counterparty_checks(deals_dir: Path) -> list[Check]:
    """``GET <url>/health`` of every registry/bank/curve URL the deal packages configure."""
    import httpx
    import yaml

    urls: dict[str, set[str]] = {}
    for folder in find_packages(deals_dir, None):
        deal = yaml.safe_load((folder / "deal.yaml").read_text(encoding="utf-8")) or {}
        for name, conf in (deal.get("counterparties") or {}).items():
            if isinstance(conf, dict) and conf.get("url"):
                urls.setdefault(str(conf["url"]).rstrip("/"), set()).add(
                    f"{name} of {deal.get('deal_id', folder.name)}"
                )
    checks = []
    for url, users in sorted(urls.items()):
        label = ", ".join(sorted(users))
        try:
            response = httpx.get(f"{url}/health", timeout=5)
        except httpx.HTTPError as exc:
            checks.append(
                Check("counterparty", False, f"{label}: {url} did not answer ({type(exc).__name__})")
            )
            continue
        ok = response.status_code == 200
        checks.append(Check("counterparty", ok, f"{label}: {url}/health → HTTP {response.status_code}"))
    if not urls:
        checks.append(Check("counterparty", True, "no counterparty URL configured: runs use the sandbox"))
    return checks


def doctor(
    deals_dir: Annotated[
        Path | None, typer.Option(help="Deal packages whose counterparties to check.")
    ] = None,
    pool: Annotated[
        str | None, typer.Option(help="Work pool (default: $DATAABS_WORK_POOL or dataabs).")
    ] = None,
) -> None:
    """Check the Prefect server, work pool and workers, ledger and counterparties; exit 1 if anything is wrong."""
    from dataabs.settings import get_settings

    console, _, _ = _cli()
    settings = get_settings()
    checks = doctor_checks(deals_dir or settings.config_dir / "deals", pool or settings.work_pool)
    for check in checks:
        mark = "[green]ok[/]  " if check.ok else "[bold red]BAD[/] "
        console.print(f"{mark} {check.name:<13} {check.detail}", highlight=False, soft_wrap=True)
    bad = [c for c in checks if not c.ok]
    if bad:
        console.print(f"{len(bad)} problem(s) found", highlight=False)
        raise typer.Exit(1)
