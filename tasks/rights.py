"""Rights confirmation stage (确权): fetch each certificate and its pledges from the registry, then check V1–V9."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from dataabs.connectors.registry import RegistryClient, RegistryEvidence
from dataabs.errors import DataabsError
from dataabs.ledger.models import RegistrySnapshot, Verification
from dataabs.rights.checks import verify_rights
from dataabs.rights.evidence import load_evidence, save_evidence, snapshot_index
from tasks.context import StageContext
from tasks.stage import LedgerRows, Stage, write_csv

REGISTRY_FOLDER = "registry"


def registry_url(ctx: StageContext) -> str:
    """The registry's base URL for this run (the deal's, or the sandbox's)."""
    url = ctx.counterparties.get("registry")
    if not url:
        raise DataabsError(
            f"deal {ctx.deal_id}: no registry URL (set counterparties.registry.url or run the sandbox)"
        )
    return url


def pledgee_name(ctx: StageContext) -> str | None:
    """The name the deal's pledges are registered to: the lender, else the originator."""
    parties = {p.role: p.name for p in ctx.package.deal.parties}
    return parties.get("lender") or parties.get("originator")


@task(name="fetch-registry", cache_policy=NO_CACHE)
def fetch_registry(ctx: StageContext, staging: Path) -> int:
    """Fetch every pledged certificate and its pledge search; keep the raw answers in the staging folder."""
    numbers = sorted({n for n in ctx.package.data_assets["certificate_no"] if n})
    evidence: dict[str, RegistryEvidence] = {}
    with RegistryClient(registry_url(ctx)) as client:
        for number in numbers:
            evidence[number] = client.evidence(number)
    save_evidence(evidence, staging / REGISTRY_FOLDER)
    return len(evidence)


@task(name="verify-rights", cache_policy=NO_CACHE)
def check_rights(ctx: StageContext, staging: Path) -> int:
    """Run V1–V9 for every data asset and write ``verification.csv``."""
    package = ctx.package
    verification = verify_rights(
        package.data_assets,
        package.obligors,
        package.assets,
        load_evidence(staging / REGISTRY_FOLDER),
        as_of=ctx.as_of,
        package_root=package.root,
        policy=ctx.policy.rights,
        pledgee=pledgee_name(ctx),
    )
    write_csv(verification, staging / "verification.csv")
    return int((~verification["passed"]).sum())


def produce(ctx: StageContext, staging: Path) -> None:
    """Fetch, then verify."""
    fetch_registry(ctx, staging)
    check_rights(ctx, staging)


def read_verification(folder: Path) -> pd.DataFrame:
    """The verification table as written (``passed`` as booleans)."""
    frame = pd.read_csv(folder / "verification.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame["passed"] = frame["passed"].map({"True": True, "False": False})
    return frame


def gate_tables(ctx: StageContext, staging: Path) -> dict[str, pd.DataFrame]:
    """The rights gate reads the verification table."""
    return {"verification": read_verification(staging)}


def gate_params(ctx: StageContext) -> dict[str, Any]:
    """The rights suite has no policy placeholders beyond the check ids."""
    return {}


def ledger_rows(ctx: StageContext, staging: Path, run_id: str) -> LedgerRows:
    """Verification rows replace the deal's previous ones; registry snapshots are appended as evidence."""
    verification = [
        Verification(
            deal_id=ctx.deal_id,
            data_asset_id=r.data_asset_id,
            certificate_no=r.certificate_no or None,
            check_id=r.check_id,
            passed=bool(r.passed),
            detail=r.detail,
            stage_run_id=run_id,
        )
        for r in read_verification(staging).itertuples(index=False)
    ]
    folder = staging / REGISTRY_FOLDER
    snapshots = [
        RegistrySnapshot(
            deal_id=ctx.deal_id,
            kind=e["kind"],
            certificate_no=e["certificate_no"],
            url_path=e["path"],
            fetched_at=datetime.fromisoformat(e["fetched_at"]).replace(tzinfo=None),
            response_sha256=e["sha256"],
            body=_json(folder / e["file"]),
            stage_run_id=run_id,
        )
        for e in snapshot_index(folder)
        if e["found"]
    ]
    return LedgerRows(replace={Verification: verification}, append=list(snapshots))


def _json(path: Path) -> dict[str, Any]:
    """A stored registry answer as a JSON object."""
    return dict(json.loads(path.read_bytes()))


def summary(ctx: StageContext, folder: Path) -> str:
    """Markdown: per data asset, how many of V1–V9 passed, and the failures in words."""
    frame = read_verification(folder)
    lines = [
        f"# Rights confirmation (确权) — deal {ctx.deal_id}",
        "",
        "| data asset | certificate | passed | failed checks |",
        "|---|---|---|---|",
    ]
    for (asset, cert), group in frame.groupby(["data_asset_id", "certificate_no"], sort=True):
        failed = ", ".join(group.loc[~group["passed"], "check_id"]) or "—"
        lines.append(f"| {asset} | {cert} | {int(group['passed'].sum())}/{len(group)} | {failed} |")
    lines += ["", f"Report: `{folder / 'verification.csv'}`; registry answers: `{folder / REGISTRY_FOLDER}`"]
    return "\n".join(lines)


def explain(ctx: StageContext, staging: Path) -> list[str]:
    """Each failed check in words: data asset, certificate, check and why."""
    frame = read_verification(staging)
    return [
        f"data asset {r.data_asset_id} (certificate {r.certificate_no or '—'}) {r.check_id}: {r.detail}"
        for r in frame.loc[~frame["passed"]].itertuples(index=False)
    ]


STAGE = Stage(
    name="rights",
    produce=produce,
    gate_tables=gate_tables,
    gate_params=gate_params,
    ledger_rows=ledger_rows,
    summary=summary,
    explain=explain,
)
