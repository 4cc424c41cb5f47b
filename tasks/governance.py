"""Data governance stage (数据治理): measure each data asset's sample, score it, scan for PII, check the rules.

One task per data asset (a deal has a handful), each vectorised over its sample; personal information never
leaves this stage: findings carry counts and masked examples only.
"""

from __future__ import annotations

import pickle
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from dataabs.governance.assess import (
    Assessment,
    assess_data_asset,
    findings_table,
    indicators_table,
    quality_table,
    read_sample,
)
from dataabs.governance.spec import read_spec
from dataabs.ledger.models import QualityResult
from tasks.context import StageContext
from tasks.stage import LedgerRows, Stage, write_csv

PARTS = ".parts"


@task(name="assess-data-asset", cache_policy=NO_CACHE, task_run_name="assess-{data_asset_id}")
def assess(ctx: StageContext, data_asset_id: str, staging: Path) -> bool:
    """Assess one data asset against its spec and the policy; keep the (masked) assessment for the stage."""
    package = ctx.package
    row = package.data_assets.set_index("data_asset_id", drop=False).loc[data_asset_id].to_dict()
    spec, _ = read_spec(package.path(row["spec_file"]))
    assert spec is not None  # the package loader has already validated every spec
    sample = read_sample(package.path(row["sample_file"]))
    assessment = assess_data_asset(row, sample, spec, ctx.policy.governance, ctx.as_of, package.root)
    parts = staging / PARTS
    parts.mkdir(parents=True, exist_ok=True)
    (parts / f"{data_asset_id}.pickle").write_bytes(pickle.dumps(assessment))
    return assessment.passed


@task(name="write-quality-report", cache_policy=NO_CACHE)
def write_tables(ctx: StageContext, staging: Path) -> None:
    """Write ``quality.csv``, ``indicators.csv`` and the masked ``findings.csv`` from the assessments."""
    assessments = load_assessments(staging / PARTS)
    write_csv(quality_table(assessments), staging / "quality.csv")
    write_csv(indicators_table(assessments), staging / "indicators.csv")
    write_csv(findings_table(assessments), staging / "findings.csv")
    shutil.rmtree(staging / PARTS)


def load_assessments(parts: Path) -> list[Assessment]:
    """The assessments this run wrote (our own files, in data-asset order)."""
    return [pickle.loads(p.read_bytes()) for p in sorted(parts.glob("*.pickle"))]


def produce(ctx: StageContext, staging: Path) -> None:
    """Assess every data asset, then write the stage's tables."""
    for data_asset_id in ctx.package.data_assets["data_asset_id"]:
        assess(ctx, data_asset_id, staging)
    write_tables(ctx, staging)


def read_report(folder: Path, name: str) -> pd.DataFrame:
    """A governance report table as written."""
    return pd.read_csv(
        folder / name,
        encoding="utf-8-sig",
        keep_default_na=False,
        dtype={"data_asset_id": str, "masked_example": str, "reason": str, "column": str},
    )


def gate_tables(ctx: StageContext, staging: Path) -> dict[str, pd.DataFrame]:
    """The governance gate reads the quality scores and the findings."""
    findings = read_report(staging, "findings.csv")
    if "blocking" in findings:
        findings["blocking"] = findings["blocking"].astype(str).map({"True": True, "False": False})
    return {"quality": read_report(staging, "quality.csv"), "findings": findings}


def gate_params(ctx: StageContext) -> dict[str, Any]:
    """Thresholds of the governance suite, from policy."""
    return ctx.policy.governance.gate_params()


def ledger_rows(ctx: StageContext, staging: Path, run_id: str) -> LedgerRows:
    """Dimension scores, Q and every indicator replace the deal's previous quality results."""
    quality = read_report(staging, "quality.csv")
    indicators = read_report(staging, "indicators.csv")
    rows = [
        QualityResult(
            deal_id=ctx.deal_id,
            data_asset_id=r.data_asset_id,
            dimension=r.dimension,
            indicator=None,
            score=Decimal(str(r.score)),
            stage_run_id=run_id,
        )
        for r in quality.itertuples(index=False)
    ] + [
        QualityResult(
            deal_id=ctx.deal_id,
            data_asset_id=r.data_asset_id,
            dimension=r.dimension,
            indicator=r.indicator,
            score=Decimal(str(r.score)),
            stage_run_id=run_id,
        )
        for r in indicators.itertuples(index=False)
    ]
    return LedgerRows(replace={QualityResult: list(rows)})


def summary(ctx: StageContext, folder: Path) -> str:
    """Markdown: Q and the six dimensions per data asset, and the findings count."""
    quality = read_report(folder, "quality.csv").pivot(
        index="data_asset_id", columns="dimension", values="score"
    )
    findings = read_report(folder, "findings.csv")
    columns = [
        c
        for c in (
            "Q",
            "normativity",
            "completeness",
            "accuracy",
            "consistency",
            "timeliness",
            "accessibility",
        )
        if c in quality.columns
    ]
    lines = [
        f"# Data governance (数据治理) — deal {ctx.deal_id}",
        "",
        "| data asset | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for asset, row in quality.iterrows():
        lines.append(f"| {asset} | " + " | ".join(f"{row[c]:.4g}" for c in columns) + " |")
    lines += [
        "",
        f"Findings: {len(findings)} (masked; blocking: {int((findings.get('blocking') == True).sum())})",  # noqa: E712
        "",
        f"Reports: `{folder / 'quality.csv'}`, `{folder / 'indicators.csv'}`, `{folder / 'findings.csv'}`",
    ]
    return "\n".join(lines)


def explain(ctx: StageContext, staging: Path) -> list[str]:
    """What blocks each data asset, in words (scores below threshold, findings) — masked, never raw values."""
    policy = ctx.policy.governance
    quality = read_report(staging, "quality.csv")
    low_q = quality[(quality["dimension"] == "Q") & (quality["score"] < policy.q_min)]
    low_d = quality[(quality["dimension"] != "Q") & (quality["score"] < policy.dimension_min)]
    findings = gate_tables(ctx, staging)["findings"]
    blocking = findings[findings["blocking"] == True]  # noqa: E712
    return (
        [
            f"data asset {r.data_asset_id}: quality score Q {r.score:.2f} below {policy.q_min:g}"
            for r in low_q.itertuples()
        ]
        + [
            f"data asset {r.data_asset_id}: {r.dimension} {r.score:.4f} below {policy.dimension_min:g}"
            for r in low_d.itertuples()
        ]
        + [f"data asset {r.data_asset_id}: {r.kind}: {r.reason}" for r in blocking.itertuples()]
    )


STAGE = Stage(
    name="governance",
    produce=produce,
    gate_tables=gate_tables,
    gate_params=gate_params,
    ledger_rows=ledger_rows,
    summary=summary,
    explain=explain,
)
