"""``dataabs``: onboard, validate and run deals; inspect their state; serve the sandbox counterparties."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

import dataabs  # noqa: F401  (sets telemetry off before Prefect or GX are imported)
from dataabs.errors import DataabsError
from dataabs.package import DealPackage, load_package
from dataabs.package.schema import deal_json_schema
from dataabs.package.tapes import TAPES

app = typer.Typer(
    name="dataabs",
    help="Run a data-asset ABS deal (数据资产证券化) from its deal package: validate, run stages, inspect.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
console = Console()
err = Console(stderr=True, soft_wrap=True)  # file paths in messages must not be wrapped

STAGE_NAMES = ("governance", "rights", "valuation", "enhancement", "pool", "issuance")

OutDir = Annotated[
    Path | None, typer.Option("--out", help="Report folder root (default: $DATAABS_OUT_DIR or ./out).")
]
DealDirOption = Annotated[
    Path | None, typer.Option("--deal-dir", help="The deal package (default: from the ledger).")
]


@contextmanager
def operator_errors() -> Iterator[None]:
    """Print an operator's error as one readable paragraph and exit non-zero — never a traceback."""
    try:
        yield
    except DataabsError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        raise typer.Exit(exc.exit_code) from None
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None


def parse_stages(value: str | None) -> list[str] | None:
    """``governance,rights`` → a checked list of stage names."""
    if not value:
        return None
    names = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [s for s in names if s not in STAGE_NAMES]
    if unknown:
        raise typer.BadParameter(
            f"unknown stage(s) {', '.join(unknown)}; choose from {', '.join(STAGE_NAMES)}"
        )
    return names


@app.command()
def validate(deal_dir: Annotated[Path, typer.Argument(help="The deal package folder.")]) -> None:
    """Check a deal package and report every problem with file, row and column; exit 2 if any."""
    with operator_errors():
        package = load_package(deal_dir)
    console.print(
        f"[green]ok[/] deal {package.deal_id}: {len(package.assets)} assets, "
        f"{len(package.data_assets)} data assets, {len(package.obligors)} obligors"
    )


@app.command()
def schema(
    tapes: Annotated[bool, typer.Option("--tapes", help="Print the tape column contracts instead.")] = False,
) -> None:
    """Print the machine-readable schema of deal.yaml (JSON Schema) or of the tapes."""
    if tapes:
        payload = {
            name: [
                {
                    "name": c.name,
                    "type": c.kind,
                    "required": c.required,
                    "choices": list(c.choices),
                    "unique": c.unique,
                    "references": c.references,
                    "description": c.description,
                }
                for c in spec.columns
            ]
            for name, spec in TAPES.items()
        }
    else:
        payload = deal_json_schema()
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def run(
    deal_dir: Annotated[Path, typer.Argument(help="The deal package folder.")],
    stages: Annotated[
        str | None, typer.Option(help="Comma-separated stages to run (default: all available).")
    ] = None,
    out: OutDir = None,
    as_of: Annotated[
        str | None, typer.Option(help="As-of date YYYY-MM-DD (default: the deal's cut-off).")
    ] = None,
) -> None:
    """Run the lifecycle flow (or the chosen stages) for one deal and print where the outputs are."""
    from dataabs.settings import get_settings

    selected = parse_stages(stages)
    out_dir = (out or get_settings().out_dir).resolve()
    with operator_errors():
        package = load_package(deal_dir)
        as_of_date = date.fromisoformat(as_of) if as_of else None
        with counterparty_urls(package) as urls:
            result = run_lifecycle(package, selected, out_dir, as_of_date, urls)
    console.print(f"[green]done[/] deal {package.deal_id}: outputs under {out_dir / package.deal_id}")
    for stage, folder in result.items():
        console.print(f"  {stage:<12} {folder}")


def run_lifecycle(
    package: DealPackage, stages: list[str] | None, out_dir: Path, as_of: date | None, urls: dict[str, str]
) -> dict[str, str]:
    """Call the lifecycle flow tagged with the deal and its stages."""
    from prefect import tags

    from flows.lifecycle import lifecycle

    stage_tags = [f"stage:{s}" for s in (stages or ["all"])]
    with tags(f"deal:{package.deal_id}", *stage_tags):
        return lifecycle(
            deal_dir=str(package.root), stages=stages, out_dir=str(out_dir), as_of=as_of, counterparties=urls
        )


@contextmanager
def counterparty_urls(package: DealPackage) -> Iterator[dict[str, str]]:
    """The deal's counterparty URLs; the embedded sandbox on loopback serves the ones the deal leaves empty."""
    declared = {
        name: getattr(package.deal.counterparties, name).url for name in ("registry", "bank", "curve")
    }
    missing = [name for name, url in declared.items() if not url]
    if not missing:
        yield {k: v for k, v in declared.items() if v}
        return
    from dataabs.sandbox.server import load_seeds, running_sandbox

    with running_sandbox(load_seeds([package.root])) as base:
        console.print(f"sandbox counterparties ({', '.join(missing)}) on {base}")
        yield {name: url or base for name, url in declared.items()}


@app.command()
def status(deal_id: Annotated[str, typer.Argument(help="The deal id.")]) -> None:
    """Show each lifecycle stage of a deal: state, last update, last gate result."""
    from dataabs.ledger import store
    from dataabs.ledger.db import get_engine, migrate, session_scope

    with operator_errors():
        engine = get_engine()
        migrate(engine)
        with session_scope(engine) as session:
            views = store.stage_states(session, deal_id)
    table = Table(title=f"deal {deal_id}")
    for column in ("stage", "status", "updated", "last gate"):
        table.add_column(column)
    colours = {"passed": "green", "failed": "red", "stale": "yellow", "running": "cyan"}
    for view in views:
        colour = colours.get(view.status, "white")
        table.add_row(
            view.stage,
            f"[{colour}]{view.status}[/]",
            f"{view.updated_at:%Y-%m-%d %H:%M:%S}" if view.updated_at else "",
            view.gate_summary or "",
        )
    console.print(table)


@app.command()
def sandbox(
    deal_dirs: Annotated[list[Path], typer.Argument(help="Deal packages whose registry seeds to serve.")],
    host: Annotated[str, typer.Option(help="Bind address (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8765,
) -> None:
    """Serve the sandbox counterparties (registry; later bank and curve) for the given deal packages."""
    from dataabs.sandbox.server import serve

    with operator_errors():
        console.print(f"sandbox on http://{host}:{port} for {', '.join(str(d) for d in deal_dirs)}")
        serve(host, port, [Path(d) for d in deal_dirs])


def servicing_package(deal_id: str, deal_dir: Path | None) -> DealPackage:
    """The deal's package: ``--deal-dir``, else the ledger's ``deal.package_path``."""
    from dataabs.ledger.db import get_engine, migrate
    from tasks.servicing import package_dir

    migrate(get_engine())
    return load_package(package_dir(deal_id, str(deal_dir) if deal_dir else None))


@app.command()
def service(
    deal_id: Annotated[str, typer.Argument(help="The deal id.")],
    date_: Annotated[str, typer.Option("--date", help="Payment date YYYY-MM-DD.")],
    statement: Annotated[
        Path | None, typer.Option(help="Bank statement file (CSV/XLSX) instead of the bank API.")
    ] = None,
    reopen: Annotated[bool, typer.Option(help="Replace an already distributed period (audited).")] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why the period is reopened (required with --reopen).")
    ] = None,
    out: OutDir = None,
    deal_dir: DealDirOption = None,
) -> None:
    """Serve one payment period by hand: collect, reconcile, distribute, report — once per payment date."""
    from dataabs.settings import get_settings
    from flows.servicing import servicing

    out_dir = (out or get_settings().out_dir).resolve()
    with operator_errors():
        if reopen and not reason:
            raise ValueError("--reopen needs --reason")
        package = servicing_package(deal_id, deal_dir)
        with counterparty_urls(package) as urls:
            result = servicing(
                deal_id=deal_id, payment_date=date.fromisoformat(date_), out_dir=str(out_dir),
                deal_dir=str(package.root), statement=str(statement) if statement else None, reopen=reopen,
                reason=reason, counterparties=urls,
            )  # fmt: skip
    print_period(result)


def print_period(result: dict[str, object]) -> None:
    """One line about a served period."""
    colour = "yellow" if result.get("status") == "already_distributed" else "green"
    console.print(
        f"[{colour}]{result.get('status')}[/] deal {result.get('deal_id')} {result.get('payment_date')}: "
        f"status {result.get('deal_status')}, available {result.get('available')}, paid {result.get('paid')}, "
        f"carried forward {result.get('carry_forward')} → {result.get('report_dir')}",
        highlight=False,
    )


@app.command()
def close(
    deal_id: Annotated[str, typer.Argument(help="The deal id.")],
    through: Annotated[str, typer.Option(help="Serve every payment date up to this one (YYYY-MM-DD).")],
    out: OutDir = None,
    deal_dir: DealDirOption = None,
) -> None:
    """Catch up: serve every due payment period of a deal in order (distributed ones are skipped)."""
    from dataabs.settings import get_settings
    from flows.servicing import close_periods

    out_dir = (out or get_settings().out_dir).resolve()
    with operator_errors():
        package = servicing_package(deal_id, deal_dir)
        with counterparty_urls(package) as urls:
            results = close_periods(
                deal_id, date.fromisoformat(through), out_dir=str(out_dir), deal_dir=str(package.root),
                counterparties=urls,
            )  # fmt: skip
    for result in results:
        print_period(result)
    if not results:
        console.print(f"nothing to do: deal {deal_id} is distributed through {through}")


@app.command()
def surveil(
    deal_id: Annotated[str, typer.Argument(help="The deal id.")],
    as_of: Annotated[str | None, typer.Option(help="Check date YYYY-MM-DD (default: today).")] = None,
    samples_dir: Annotated[Path | None, typer.Option(help="Refreshed samples (<data_asset_id>.csv).")] = None,
    valuation_file: Annotated[Path | None, typer.Option(help="Re-valuation inputs (valuation.yaml).")] = None,
    out: OutDir = None,
    deal_dir: DealDirOption = None,
) -> None:
    """Re-check a deal's data collateral (registry, quality, re-valuation) and record collateral events."""
    from dataabs.settings import get_settings
    from flows.surveillance import surveillance

    out_dir = (out or get_settings().out_dir).resolve()
    with operator_errors():
        package = servicing_package(deal_id, deal_dir)
        with counterparty_urls(package) as urls:
            result = surveillance(
                deal_id=deal_id, as_of=date.fromisoformat(as_of) if as_of else None, out_dir=str(out_dir),
                deal_dir=str(package.root), samples_dir=str(samples_dir) if samples_dir else None,
                valuation_file=str(valuation_file) if valuation_file else None, counterparties=urls,
            )  # fmt: skip
    for event in result["events"]:
        console.print(
            f"  {event['status']:<6} {event['kind']:<22} {event.get('asset_id') or ''} {event['detail']}"
        )
    console.print(
        f"[green]done[/] surveillance of {deal_id} as of {result['as_of']} → {result['report_dir']}"
    )


@audit_app.command("verify")
def audit_verify(deal_id: Annotated[str, typer.Argument(help="The deal id.")]) -> None:
    """Recompute the audit hash chain of a deal and report any edited or deleted event."""
    from dataabs.ledger.audit import verify_audit_chain
    from dataabs.ledger.db import get_engine, migrate, session_scope

    engine = get_engine()
    migrate(engine)
    with session_scope(engine) as session:
        problems = verify_audit_chain(session, deal_id)
    if problems:
        for problem in problems:
            err.print(f"[red]✗[/] {problem}")
        raise typer.Exit(6)
    console.print(f"[green]ok[/] audit chain of deal {deal_id} is intact")


# Operations (server, worker, deploy, rerun, doctor) live in their own module; `deploy` also runs the servicing
# engineer's deploy_servicing / deploy_surveillance from flows/deployments.py when they exist.
from dataabs_cli import ops  # noqa: E402

ops.register(app)

if __name__ == "__main__":
    app()
