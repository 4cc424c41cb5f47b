"""Surveillance tasks (存续期监测): registry re-check, quality re-score, re-valuation and LTV, collateral events.

Each check reuses its lifecycle engine: the registry client and ``dataabs.rights`` evidence files, governance's
``assess_data_asset`` on the refreshed samples, the valuation engine (``appraise``) and ``pledge_ltv``. What is
found becomes observations; ``dataabs.servicing.surveillance.changes`` turns them into rows appended to the
``collateral_event`` history in one transaction with the audit event. Report: ``surveillance/<as_of>/``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

import dataabs
from dataabs.connectors.registry import RegistryClient, RegistryEvidence
from dataabs.governance.assess import assess_data_asset
from dataabs.governance.sample import read_sample
from dataabs.governance.spec import read_spec
from dataabs.ledger import store
from dataabs.ledger.audit import append_audit
from dataabs.ledger.db import get_engine, migrate, session_scope
from dataabs.ledger.models import CollateralEvent
from dataabs.money import from_fen, to_fen
from dataabs.package import load_package
from dataabs.rights.evidence import save_evidence
from dataabs.servicing.dues import scheduled_dues
from dataabs.servicing.surveillance import (
    EVENT_COLUMNS,
    Observation,
    certificate_observations,
    changes,
    ltv_observations,
    pii_observations,
)
from dataabs.valuation import PledgedLoan, appraise, load_valuation, pledge_ltv
from tasks.context import StageContext
from tasks.rights import pledgee_name, registry_url
from tasks.servicing import collateral_history, package_dir
from tasks.stage import swap_back, swap_in, write_csv

STAGE = "surveillance"


@dataclass(frozen=True)
class SurveillanceContext(StageContext):
    """One surveillance run of one deal: where refreshed samples and the re-valuation inputs are."""

    samples_dir: Path | None = field(default=None, kw_only=True)
    valuation_file: Path | None = field(default=None, kw_only=True)

    @property
    def report_dir(self) -> Path:
        """The committed report folder ``surveillance/<as_of>``."""
        return self.deal_out / STAGE / self.as_of.isoformat()


@task(name="prepare-surveillance", cache_policy=NO_CACHE)
def prepare_surveillance(
    deal_id: str,
    as_of: date | None,
    *,
    deal_dir: str | None,
    out_dir: str,
    counterparties: dict[str, str],
    samples_dir: str | None = None,
    valuation_file: str | None = None,
) -> SurveillanceContext:
    """Migrate the ledger and find the deal's package; nothing is written yet."""
    migrate(get_engine())
    root = package_dir(deal_id, deal_dir)
    package = load_package(root)
    start = flow_run.scheduled_start_time
    day = as_of or (start.date() if start else date.today())
    ctx = SurveillanceContext(
        deal_id=package.deal_id,
        deal_dir=root,
        out_dir=Path(out_dir).resolve(),
        as_of=day,
        flow_run_id=str(flow_run.id or "") or None,
        counterparties=counterparties,
        samples_dir=Path(samples_dir).resolve() if samples_dir else None,
        valuation_file=Path(valuation_file).resolve() if valuation_file else None,
    )
    ctx.__dict__["package"] = package  # the validated package (cached_property): loading it costs seconds
    return ctx


@task(name="start-surveillance", cache_policy=NO_CACHE)
def start_surveillance(ctx: SurveillanceContext) -> str:
    """Fail what a crashed run left running and open this run."""
    with session_scope(get_engine()) as session:
        store.recover_interrupted(session, ctx.deal_id)
        return store.start_stage_run(
            session,
            ctx.deal_id,
            STAGE,
            flow_run_id=ctx.flow_run_id,
            parameters={"as_of": ctx.as_of.isoformat()},
        )


@task(name="recheck-registry", cache_policy=NO_CACHE)
def recheck_registry(ctx: SurveillanceContext, staging: Path) -> list[Observation]:
    """Fetch every pledged certificate and its pledges again; keep the answers; report what changed."""
    numbers = sorted({n for n in ctx.package.data_assets["certificate_no"] if n})
    evidence: dict[str, RegistryEvidence] = {}
    with RegistryClient(registry_url(ctx)) as client:
        for number in numbers:
            evidence[number] = client.evidence(number)
    save_evidence(evidence, staging / "registry")
    return certificate_observations(
        evidence, ctx.package.data_assets, ctx.package.assets, ctx.as_of, pledgee_name(ctx)
    )


def sample_path(ctx: SurveillanceContext, row: dict[str, Any]) -> Path:
    """The refreshed sample of a data asset (``<samples_dir>/<id>.csv``), else the package's sample file."""
    if ctx.samples_dir is not None:
        for suffix in (".csv", ".xlsx", ".parquet"):
            candidate = ctx.samples_dir / f"{row['data_asset_id']}{suffix}"
            if candidate.is_file():
                return candidate
    return ctx.package.path(row["sample_file"])


@task(name="rescore-quality", cache_policy=NO_CACHE)
def rescore_quality(ctx: SurveillanceContext, staging: Path) -> tuple[dict[str, Decimal], list[Observation]]:
    """Re-assess every data asset on its refreshed sample: quality score Q and personal information found."""
    package, scores, pii, rows = ctx.package, {}, {}, []
    for row in package.data_assets.to_dict("records"):
        spec, _ = read_spec(package.path(row["spec_file"]))
        if spec is None:
            continue
        sample = read_sample(sample_path(ctx, row))
        assessment = assess_data_asset(row, sample, spec, ctx.policy.governance, ctx.as_of, package.root)
        scores[row["data_asset_id"]] = Decimal(str(round(assessment.q, 4)))
        pii[row["data_asset_id"]] = len(assessment.pii)
        rows.append(
            {
                "data_asset_id": row["data_asset_id"],
                "q": round(assessment.q, 4),
                "pii_findings": len(assessment.pii),
            }
        )
    write_csv(pd.DataFrame(rows, columns=["data_asset_id", "q", "pii_findings"]), staging / "quality.csv")
    return scores, pii_observations(pii, package.assets)


def outstanding_principal(ctx: SurveillanceContext) -> dict[str, Decimal]:
    """Each loan's scheduled principal outstanding after the dues up to ``as_of``."""
    dues = scheduled_dues(ctx.package.assets, ctx.package.schedules)
    paid = dues[dues["due_date"] <= ctx.as_of].groupby("asset_id")["principal_fen"].sum()
    return {
        str(a.asset_id): from_fen(to_fen(a.principal) - int(paid.get(a.asset_id, 0)))
        for a in ctx.package.assets.itertuples(index=False)
    }


@task(name="revalue-collateral", cache_policy=NO_CACHE)
def revalue(ctx: SurveillanceContext, staging: Path, scores: dict[str, Decimal]) -> list[Observation]:
    """Re-value the pledged data assets with the valuation engine and recompute each pledged loan's LTV."""
    source = ctx.valuation_file or (
        ctx.package.path(ctx.package.deal.valuation) if ctx.package.deal.valuation else None
    )
    if source is None:
        get_run_logger().warning("Deal %s: no valuation inputs; LTV not recomputed", ctx.deal_id)
        return []
    spec = load_valuation(source)
    values = {
        a.data_asset_id: appraise(a, scores.get(a.data_asset_id, Decimal(100))).final.value
        for a in spec.assets
    }
    balance = outstanding_principal(ctx)
    pledged = ctx.package.assets[ctx.package.assets["data_asset_id"].fillna("") != ""]
    loans = [
        PledgedLoan(str(a.asset_id), balance[str(a.asset_id)], (str(a.data_asset_id),))
        for a in pledged.itertuples(index=False)
    ]
    policy = ctx.policy.valuation.ltv
    rows = pledge_ltv(loans, values, policy, "revaluation")
    write_csv(
        pd.DataFrame(
            [{"asset_id": r.loan_id, "principal": r.principal, "appraised_value": r.appraised_value,
              "ltv": None if r.ltv is None else round(r.ltv, 6), "status": r.status} for r in rows],
            columns=["asset_id", "principal", "appraised_value", "ltv", "status"],
        ),
        staging / "ltv.csv",
    )  # fmt: skip
    data_asset_of = dict(
        zip(pledged["asset_id"].astype(str), pledged["data_asset_id"].astype(str), strict=True)
    )
    return ltv_observations(rows, data_asset_of, policy)


@task(name="record-collateral-events", cache_policy=NO_CACHE)
def record_events(
    ctx: SurveillanceContext, staging: Path, run_id: str, observations: list[Observation]
) -> list[dict[str, Any]]:
    """Append the new and cured events to ``collateral_event`` with the audit event; swap the report folder in."""
    history = collateral_history(ctx.deal_id)
    new = changes(observations, history, ctx.as_of, ctx.policy.servicing.cure_days)
    write_csv(pd.DataFrame([o.__dict__ for o in observations]), staging / "observations.csv")
    write_csv(pd.DataFrame(new, columns=EVENT_COLUMNS), staging / "events.csv")
    final = ctx.report_dir
    backup = ctx.deal_out / ".staging" / f"{STAGE}-{run_id}.previous"
    with session_scope(get_engine()) as session:
        for row in new:
            session.add(CollateralEvent(deal_id=ctx.deal_id, flow_run_id=ctx.flow_run_id, **row))
        session.flush()
        store.finish_run(session, store.running_run(session, ctx.deal_id, STAGE, run_id), "passed")
        append_audit(
            session, ctx.deal_id, STAGE, "check", flow_run_id=ctx.flow_run_id, code_version=dataabs.__version__,
            parameters={"as_of": ctx.as_of.isoformat()}, input_hashes={},
            output_hashes={"events": [f"{r['kind']}:{r['status']}:{r.get('data_asset_id')}" for r in new]},
        )  # fmt: skip
        final.parent.mkdir(parents=True, exist_ok=True)
        swap_in(staging, final, backup)
        try:
            session.flush()
        except Exception:
            swap_back(final, backup)
            raise
    shutil.rmtree(backup, ignore_errors=True)
    return new


@task(name="fail-surveillance", cache_policy=NO_CACHE)
def fail_surveillance(ctx: SurveillanceContext, run_id: str, error: str) -> None:
    """Mark the surveillance run failed."""
    with session_scope(get_engine()) as session:
        store.fail_stage_run(session, ctx.deal_id, STAGE, run_id, error)
