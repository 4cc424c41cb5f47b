"""Enhancement stage (增信): run the deal through the engine, stress it, size the senior and test the structure.

The engine deal is built from the package (``dataabs.engine.from_deal``). The base case and the stress grid (top
obligors defaulting with the guarantee paying, the same with the guarantor failing and data-collateral recovery
0–30% after a long lag, prepayment and rate shocks) run in parallel as a few chunk tasks on the flow's task runner
(thread pool by default, Dask with the ``[dask]`` extra). Sizing finds the largest compliant senior; the gate
tests the deal's own structure against house policy (``policy.yaml`` ``enhancement``; docs/enhancement.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from dataabs.engine import enhancement as enh
from dataabs.engine import policy as criteria_policy
from dataabs.engine.from_deal import engine_deal, guarantee_cover
from dataabs.engine.model import Deal, Scenario
from dataabs.engine.policy import EnhancementPolicy, ScenarioKind, Undertaking
from dataabs.engine.run import run_deal
from dataabs.ledger.models import StressResult, StructureRecord
from dataabs.package import DealPackage
from dataabs.package.schema import EnhancementSpec
from dataabs.pool.rules import CutContext, evaluate
from tasks import pool as pool_stage
from tasks.context import StageContext
from tasks.stage import LedgerRows, Stage, artifact_key, write_csv, write_json_atomic

MAX_CHUNKS = 8
KindedScenario = tuple[ScenarioKind, Scenario]


def scenarios(deal: Deal, spec: EnhancementSpec) -> list[KindedScenario]:
    """Base case, rating stresses (guarantee paying, prepayment, rate) and guarantor-fails stresses."""
    common: dict[str, Any] = {
        "top": tuple(spec.top_obligor_defaults),
        "data_recovery_lag_months": spec.data_recovery_lag_months,
    }
    rating = enh.standard_stresses(
        deal,
        **common,
        cprs=tuple(float(c) for c in spec.prepayment_rates),
        rate_shifts=tuple(float(r) for r in spec.rate_shifts),
    )
    fails = enh.standard_stresses(
        deal,
        **common,
        guarantor_fails=True,
        data_recoveries=tuple(float(r) for r in spec.data_recoveries),
        cprs=(),
        rate_shifts=(),
    )
    return [
        ("base", Scenario()),
        *(("rating", s) for s in rating),
        *(("guarantor_fails", s) for s in fails),
    ]


def chunks(items: Sequence[KindedScenario], count: int = MAX_CHUNKS) -> list[list[KindedScenario]]:
    """Split the grid into at most ``count`` chunks of consecutive scenarios."""
    size = max(1, math.ceil(len(items) / count))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


@task(name="run-scenarios", cache_policy=NO_CACHE)
def run_chunk(
    deal: Deal, chunk: list[KindedScenario], policy: EnhancementPolicy, supports: Sequence[Undertaking] = ()
) -> list[dict[str, object]]:
    """Run one chunk of the stress grid: one stress-table row per scenario."""
    return [
        criteria_policy.scenario_row(deal, s, kind, run_deal(deal, s), policy, supports) for kind, s in chunk
    ]


def run_grid(
    deal: Deal,
    grid: Sequence[KindedScenario],
    policy: EnhancementPolicy,
    supports: Sequence[Undertaking] = (),
) -> pd.DataFrame:
    """Submit the grid as chunk tasks on the current flow's task runner and gather the rows in grid order."""
    futures = [run_chunk.submit(deal, chunk, policy, supports) for chunk in chunks(grid)]
    return pd.DataFrame([row for future in futures for row in future.result()])


@task(name="size-senior", cache_policy=NO_CACHE)
def size(
    deal: Deal,
    grid: list[KindedScenario],
    policy: EnhancementPolicy,
    spec: EnhancementSpec,
    supports: Sequence[Undertaking] = (),
) -> dict[str, Any]:
    """Largest compliant senior on the blocking stresses (≤ ``max_evaluations`` engine evaluations)."""
    blocking = [
        s
        for kind, s in grid
        if kind == "rating" or (kind == "guarantor_fails" and policy.guarantor_fails_blocking)
    ]
    senior_id = spec.senior or deal.senior_ids()[0]
    total = sum(t.size for t in deal.tranches)
    cap = (total * (1 - policy.min_subordination)).quantize(Decimal("0.01"))
    result = enh.size_senior(
        deal,
        blocking,
        base_coverage=float(policy.base_coverage_min),
        stressed_coverage=float(policy.stressed_coverage_min),
        step=Decimal(spec.sizing_step),
        max_evaluations=spec.max_evaluations,
        senior_id=senior_id,
        measure=criteria_policy.measure(deal, policy, supports),
        max_size=cap,
    )
    return {
        "tranche_id": senior_id,
        "proposed": float(deal.tranche(senior_id).size),
        "sized": float(result.size),
        "cap": float(cap),
        "evaluations": result.evaluations,
        "waterfall_runs": result.waterfall_runs,
        "base_coverage": result.base_coverage,
        "worst_stressed_coverage": result.worst_stressed_coverage,
        "headroom": float(result.size - deal.tranche(senior_id).size),
    }


@task(name="first-loss", cache_policy=NO_CACHE)
def first_loss(deal: Deal, tranche_id: str) -> float | None:
    """Multiple of a 1% CDR at which the tranche first loses a fen with every guarantor failing (the
    standalone first loss: with the guarantees paying a fully guaranteed pool never loses), None if never."""
    return enh.first_loss(deal, tranche_id, Scenario(name="cdr", all_supports_fail=True))


@task(name="publish-stress", cache_policy=NO_CACHE)
def publish_stress(ctx: StageContext, stress: pd.DataFrame) -> None:
    """A table artifact of the stress grid: coverage, losses and status per scenario."""
    columns = [
        "scenario",
        "kind",
        "coverage",
        "life_coverage",
        "life_interest_coverage",
        "senior_loss",
        "final_status",
    ]
    table = [
        {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
        for row in stress[columns].to_dict("records")
    ]
    create_table_artifact(
        table,
        key=artifact_key(ctx.deal_id, "enhancement-stress"),
        description=f"Stress grid of deal {ctx.deal_id}",
    )


def pooled_package(ctx: StageContext) -> DealPackage:
    """The package on the assets the pool cut will freeze, when the deal selects its pool to a target.

    A deal with ``pool.constraints.target_principal`` pools only part of its tape (eligible assets, then the
    selection); its structure must be sized and stressed on that pool, not on the whole tape, or issuance's
    reconciliation (structure pool principal = frozen pool principal) fails. The cut is the pool stage's own code
    on the committed governance, rights and valuation outputs, so both stages see the same assets. Without a
    target every asset is meant to be pooled and the whole tape is used (the pool gate checks eligibility).
    """
    policy, package = ctx.policy.pool, ctx.package
    if policy.constraints.target_fen() is None:
        return package
    frame = pool_stage.candidates(ctx)
    eligibility = evaluate(frame, policy.eligibility, CutContext.from_deal(package.deal))
    eligible = frame[eligibility["eligible"].to_numpy()].reset_index(drop=True)
    selection = pool_stage.choose(eligible, policy, ctx)
    chosen = eligible if selection is None else selection.pool(eligible)
    ids = set(chosen["asset_id"].astype(str))
    assets = package.assets[package.assets["asset_id"].astype(str).isin(ids)].reset_index(drop=True)
    schedules = package.schedules[package.schedules["asset_id"].astype(str).isin(ids)].reset_index(drop=True)
    return replace(package, tapes={**package.tapes, "assets": assets, "schedules": schedules})


def produce(ctx: StageContext, staging: Path) -> None:
    """Build, stress, size and test the deal's structure; write the stage's files."""
    package = pooled_package(ctx)
    deal = engine_deal(package)
    policy, spec = ctx.policy.enhancement, package.deal.enhancement
    supports = criteria_policy.undertakings(package.deal)
    basis = criteria_policy.substitution(deal, policy, supports)
    grid = scenarios(deal, spec)
    sizing = size.submit(deal, grid, policy, spec, supports)
    losses = {t.id: first_loss.submit(deal, t.id) for t in deal.tranches}
    stress = run_grid(deal, grid, policy, supports)
    base = run_deal(deal)
    periods = enh.period_metrics(deal, base)
    cover = guarantee_cover(package)
    checks = criteria_policy.criteria(
        deal, stress, policy, cover, spec.guaranteed_share, supports, package.deal.dates.legal_maturity
    )
    headline = enh.summary(deal, base)
    subordination = enh.subordination(deal)
    structure = {
        "deal_id": ctx.deal_id,
        "coverage_measure": {
            "basis": policy.coverage_basis,
            "kind": criteria_policy.coverage_kind(deal, policy, supports),
            "credit_substitution": basis.basis is not None,
        },
        "credit_substitution": {
            "by": basis.basis,
            "supports": list(basis.support_ids),
            "detail": basis.detail,
        },
        "pool_principal": str(deal.pool_balance()),  # exact yuan: the issuance gate compares it to the fen
        "tranches": [
            {
                "id": t.id,
                "kind": t.kind,
                "seniority": t.seniority,
                "size": float(t.size),
                "coupon": float(t.coupon),
                "subordination": subordination[t.id],
                "first_loss_cdr_multiple": losses[t.id].result(),
            }
            for t in deal.tranches
        ],
        "oc": headline["oc_at_closing"],
        "excess_spread": headline["excess_spread"],
        "guarantee_coverage": headline["guarantee_coverage"],
        "data_pledge_share": headline["data_pledge_share"],
        "base": {k: (float(v) if isinstance(v, Decimal) else v) for k, v in headline.items()},
        "coverage_by_scenario": {
            r["scenario"]: {"kind": r["kind"], "coverage": r["coverage"], "senior_loss": r["senior_loss"]}
            for r in stress.to_dict("records")
        },
        "sizing": sizing.result(),
        "criteria_failed": checks.loc[
            ~checks["passed"], ["criterion", "subject", "severity", "detail"]
        ].to_dict("records"),
    }
    write_json_atomic(staging / "structure.json", json.loads(json.dumps(structure, default=_plain)))
    write_csv(stress, staging / "stress.csv")
    write_csv(periods, staging / "periods.csv")
    write_csv(checks, staging / "criteria.csv")
    write_csv(cover, staging / "guarantees.csv")
    publish_stress(ctx, stress)


def _plain(value: Any) -> Any:
    """JSON for numbers the engine returns (Decimal, numpy, inf)."""
    number = float(value)
    return None if math.isinf(number) or math.isnan(number) else number


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """An enhancement report table as written."""
    return pd.read_csv(
        folder / name, encoding="utf-8-sig", keep_default_na=False, dtype={"subject": str, "detail": str}
    )


def gate_tables(ctx: StageContext, staging: Path) -> dict[str, pd.DataFrame]:
    """The enhancement gate reads the criteria table and the stress table."""
    checks = read_table(staging, "criteria.csv")
    checks["passed"] = checks["passed"].astype(str).map({"True": True, "False": False})
    return {"criteria": checks, "stress": read_table(staging, "stress.csv")}


def gate_params(ctx: StageContext) -> dict[str, Any]:
    """The enhancement suite's thresholds are already applied in the criteria table."""
    return {}


def ledger_rows(ctx: StageContext, staging: Path, run_id: str) -> LedgerRows:
    """The structure record is appended (history); the stress rows replace the deal's previous ones."""
    structure = json.loads((staging / "structure.json").read_text(encoding="utf-8"))
    sizing = structure["sizing"]
    stress = read_table(staging, "stress.csv")
    checks = read_table(staging, "criteria.csv")
    failed = set(checks.loc[checks["passed"].astype(str) == "False", "subject"])
    record = StructureRecord(
        deal_id=ctx.deal_id,
        stage_run_id=run_id,
        senior_proposed=Decimal(str(sizing["proposed"])),
        senior_sized=Decimal(str(sizing["sized"])),
        evaluations=int(sizing["evaluations"]),
        structure=structure,
    )
    rows = [
        StressResult(
            deal_id=ctx.deal_id,
            scenario=str(r.scenario),
            kind=str(r.kind),
            coverage=_rate(r.coverage),
            min_period_coverage=_rate(r.period_coverage),
            senior_loss=Decimal(str(r.senior_loss)),
            passed=str(r.scenario) not in failed,
            stage_run_id=run_id,
        )
        for r in stress.itertuples(index=False)
    ]
    return LedgerRows(replace={StressResult: list(rows)}, append=[record])


def _rate(value: Any) -> Decimal | None:
    """A coverage figure for a Rate column (None when infinite or out of the column's range)."""
    number = float(value)
    return Decimal(str(round(number, 8))) if math.isfinite(number) and abs(number) < 1e4 else None


def summary(ctx: StageContext, folder: Path) -> str:
    """Markdown: tranches, the tested coverage per scenario kind, the sizing result and failed criteria."""
    structure = json.loads((folder / "structure.json").read_text(encoding="utf-8"))
    sizing, measure = structure["sizing"], structure["coverage_measure"]
    lines = [
        f"# Credit enhancement (增信) — deal {ctx.deal_id}",
        "",
        f"Coverage tested: {measure['basis']} {measure['kind']} (credit substitution: {measure['credit_substitution']})",
        "",
        f"Credit substitution: {structure.get('credit_substitution', {}).get('detail', 'n/a')}",
        "",
        "| tranche | size (¥) | subordination | first loss (× 1% CDR) |",
        "|---|---|---|---|",
    ]
    for t in structure["tranches"]:
        lines.append(
            f"| {t['id']} | {t['size']:,.2f} | {t['subordination']:.2%} | {t['first_loss_cdr_multiple']} |"
        )
    stress = read_table(folder, "stress.csv")
    lines += ["", "| scenario | kind | coverage | senior loss (¥) |", "|---|---|---|---|"]
    lines += [
        f"| {r.scenario} | {r.kind} | {float(r.coverage):.4f} | {float(r.senior_loss):,.2f} |"
        for r in stress.itertuples(index=False)
    ]
    lines += [
        "",
        f"Senior {sizing['tranche_id']}: proposed ¥{sizing['proposed']:,.2f}, largest compliant ¥{sizing['sized']:,.2f} "
        f"({sizing['evaluations']} evaluations, cap ¥{sizing['cap']:,.2f}).",
        "",
        f"Reports: `{folder / 'structure.json'}`, `{folder / 'stress.csv'}`, `{folder / 'periods.csv'}`",
    ]
    return "\n".join(lines)


def explain(ctx: StageContext, staging: Path) -> list[str]:
    """Each failed blocking criterion in words: criterion, scenario or subject, figures."""
    checks = read_table(staging, "criteria.csv")
    failed = checks[(checks["passed"].astype(str) == "False") & (checks["severity"] == "critical")]
    return [f"[{r.criterion}] {r.subject}: {r.detail}" for r in failed.itertuples(index=False)]


STAGE = Stage(
    name="enhancement",
    produce=produce,
    gate_tables=gate_tables,
    gate_params=gate_params,
    ledger_rows=ledger_rows,
    summary=summary,
    explain=explain,
)
