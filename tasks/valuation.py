"""Valuation stage (估值): appraise every data asset with the quality score Q governance measured, then check LTV.

Inputs: the deal's ``valuation.yaml``, Q per data asset from the committed ``governance/quality.csv`` (the link no
other system has), and the principal of each data-pledged loan from the assets tape. Outputs: method and final
values, sensitivity, LTV per pledged loan, the gate's problems table and a readable appraisal summary (HTML,
XLSX). Valuations are never overwritten: each committed run appends its records to the ledger.
"""

from __future__ import annotations

import html
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from dataabs.errors import DataabsError
from dataabs.ledger.models import LtvRecord, ValuationRecord
from dataabs.valuation import (
    AssetValuationResult,
    DealValuationSpec,
    PledgedLoan,
    ValuationProblem,
    check_ltv,
    load_valuation,
    pledge_ltv,
    sensitivity_rows,
    validate_deal,
    valuation_rows,
    value_deal,
)
from tasks.context import StageContext
from tasks.stage import LedgerRows, Stage, write_csv, write_json_atomic

METHODS = ["income", "cost", "market", "final"]
PROBLEM_COLUMNS = ["subject_id", "rule", "detail", "severity"]
LTV_COLUMNS = ["asset_id", "data_asset_id", "principal", "appraised_value", "ltv", "status"]
RULES = ["value_positive", "coefficient_bounds", "comparables", "base_date_age", "ltv", "missing_valuation"]
NOTHING_VALUED = "本期无质押数据资产，无需评估 — no data asset is pledged, so nothing is valued."
METHOD_ZH = {"income": "收益法", "cost": "成本法", "market": "市场法", "final": "评估结论"}


def valuation_file(ctx: StageContext) -> Path | None:
    """The deal's valuation inputs: ``valuation:`` in deal.yaml, else ``valuation.yaml`` in the package, else None.

    A named file that is missing is refused (the package loader already refuses it; this guards a package edited
    after loading)."""
    declared = ctx.package.deal.valuation
    path = ctx.package.path(declared or "valuation.yaml")
    if path.is_file():
        return path
    if declared is None:
        return None
    raise DataabsError(
        f"deal {ctx.deal_id}: no valuation inputs — deal.yaml key 'valuation' names {declared!r}, "
        f"which is not a file of the package {ctx.package.root}"
    )


def pledged_data_assets(ctx: StageContext) -> list[str]:
    """Data assets the asset tape pledges (a non-empty ``data_asset_id`` on an asset), sorted."""
    ids = ctx.package.assets["data_asset_id"].fillna("").astype(str)
    return sorted({i for i in ids if i})


def quality_scores(ctx: StageContext) -> dict[str, Decimal]:
    """Q per data asset from the committed governance report (``governance/quality.csv``, dimension ``Q``)."""
    path = ctx.stage_dir("governance") / "quality.csv"
    if not path.is_file():
        raise DataabsError(f"deal {ctx.deal_id}: no committed governance report {path}; run governance first")
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"data_asset_id": str, "score": str})
    rows = frame[frame["dimension"] == "Q"]
    return {str(r.data_asset_id): Decimal(str(r.score)) for r in rows.itertuples(index=False)}


def pledged_loans(ctx: StageContext) -> list[PledgedLoan]:
    """Each loan of the tape with a pledged data asset."""
    assets = ctx.package.assets
    pledged = assets[assets["data_asset_id"].fillna("").astype(str) != ""]
    return [
        PledgedLoan(str(r.asset_id), Decimal(r.principal), (str(r.data_asset_id),))
        for r in pledged.itertuples(index=False)
    ]


@task(name="appraise-data-assets", cache_policy=NO_CACHE)
def appraise(ctx: StageContext, staging: Path) -> int:
    """Value every data asset of the package, check the rules and LTV, and write the stage's tables.

    Without valuation inputs only a deal that pledges nothing passes (empty tables: nothing pledged, nothing
    valued); every pledged data asset of a deal without inputs is a critical ``missing_valuation`` problem."""
    path = valuation_file(ctx)
    if path is None:
        problems = [
            ValuationProblem(
                a,
                "missing_valuation",
                "pledged data asset has no valuation inputs: deal.yaml has no 'valuation' key and the package "
                "has no valuation.yaml",
            )
            for a in pledged_data_assets(ctx)
        ]
        write_tables(ctx, staging, [], pd.DataFrame(columns=LTV_COLUMNS), problems)
        return len(problems)
    spec = load_valuation(path)
    tape_ids = [str(a) for a in ctx.package.data_assets["data_asset_id"]]
    specs = [a for a in spec.assets if a.data_asset_id in tape_ids]
    problems = [
        ValuationProblem(a, "missing_valuation", "data asset of the tape has no entry in valuation.yaml")
        for a in tape_ids
        if a not in {s.data_asset_id for s in specs}
    ]
    scores = quality_scores(ctx)
    problems += [
        ValuationProblem(s.data_asset_id, "missing_valuation", "no governance quality score Q")
        for s in specs
        if s.data_asset_id not in scores
    ]
    specs = [s for s in specs if s.data_asset_id in scores]
    results = value_deal(DealValuationSpec.model_construct(assets=specs), scores) if specs else []
    by_id = {r.data_asset_id: r for r in results}
    policy = ctx.policy.valuation
    problems += validate_deal(specs, by_id, ctx.as_of, policy)
    finals = {r.data_asset_id: r.final.value for r in results}
    loans = pledged_loans(ctx)
    ltv_rows = pledge_ltv(loans, finals, policy.ltv, "origination")
    problems += check_ltv(ltv_rows, "origination")
    collateral = {loan.loan_id: loan.data_asset_ids[0] for loan in loans}
    ltv = pd.DataFrame(
        [
            {
                "asset_id": r.loan_id,
                "data_asset_id": collateral[r.loan_id],
                "principal": r.principal,
                "appraised_value": r.appraised_value,
                "ltv": None if r.ltv is None else r.ltv.quantize(Decimal("0.00000001")),
                "status": r.status,
            }
            for r in ltv_rows
        ],
        columns=LTV_COLUMNS,
    )
    write_tables(ctx, staging, results, ltv, problems)
    return sum(1 for p in problems if p.severity == "critical")


def write_tables(
    ctx: StageContext,
    staging: Path,
    results: list[AssetValuationResult],
    ltv: pd.DataFrame,
    problems: list[ValuationProblem],
) -> None:
    """The stage's tables (with their headers even when empty), the ledger records and the appraisal summary."""
    write_csv(valuation_rows(results), staging / "valuations.csv")
    write_csv(sensitivity_rows(results), staging / "sensitivity.csv")
    write_csv(ltv, staging / "ltv.csv")
    write_csv(pd.DataFrame([vars(p) for p in problems], columns=PROBLEM_COLUMNS), staging / "problems.csv")
    write_json_atomic(staging / "records.json", {"assets": [_record(r) for r in results]})
    write_appraisal(ctx, results, ltv, staging)


def _record(result: AssetValuationResult) -> dict[str, Any]:
    """What the ledger keeps of one appraisal: Q, every method's inputs and results, the reconciliation."""
    return json.loads(result.model_dump_json(exclude={"sensitivity"}))


def write_appraisal(
    ctx: StageContext, results: list[AssetValuationResult], ltv: pd.DataFrame, staging: Path
) -> None:
    """The appraisal summary per data asset: one HTML page and one workbook (a sheet per data asset)."""
    names = dict(zip(ctx.package.data_assets["data_asset_id"], ctx.package.data_assets["name"], strict=True))
    sections = []
    with pd.ExcelWriter(staging / "appraisal.xlsx", engine="openpyxl") as book:
        if not results:
            note = pd.DataFrame([("说明 Note", NOTHING_VALUED)], columns=["项目 Item", "内容 Value"])
            note.to_excel(book, sheet_name="summary", index=False)
            sections.append(f"<p>{html.escape(NOTHING_VALUED)}</p>")
        for r in results:
            table = _summary_table(r, names.get(r.data_asset_id, ""), ltv)
            table.to_excel(book, sheet_name=r.data_asset_id[:31], index=False)
            rows = "".join(
                f"<tr><th>{html.escape(str(a))}</th><td>{html.escape(str(b))}</td></tr>"
                for a, b in table.itertuples(index=False)
            )
            sections.append(
                f"<h2>{html.escape(r.data_asset_id)} {html.escape(names.get(r.data_asset_id, ''))}</h2>"
                f"<table>{rows}</table>"
            )
    page = (
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
        f"<title>数据资产评估摘要 Appraisal summary — {html.escape(ctx.deal_id)}</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}th,td{border:1px solid #ccc;"
        "padding:4px 8px;text-align:left}th{background:#f4f4f4}</style></head><body>"
        f"<h1>数据资产评估摘要 Appraisal summary — {html.escape(ctx.deal_id)}</h1>"
        + "".join(sections)
        + "</body></html>"
    )
    (staging / "appraisal.html").write_text(page, encoding="utf-8")


def _summary_table(result: AssetValuationResult, name: str, ltv: pd.DataFrame) -> pd.DataFrame:
    """Label / value rows of one data asset's appraisal (Chinese and English labels)."""
    rows: list[tuple[str, str]] = [
        ("数据资产 Data asset", f"{result.data_asset_id} {name}"),
        ("评估基准日 Base date", result.base_date.isoformat()),
        ("质量评分 Quality score Q", f"{result.quality_score}"),
        ("账面价值 Book value (¥)", "—" if result.book_value is None else f"{result.book_value:,.2f}"),
    ]
    rows += [(f"{METHOD_ZH[m]} {m} (¥)", f"{x.value:,.2f}") for m, x in result.methods.items()]
    rows += [
        ("评估结论 Final value (¥)", f"{result.final.value:,.2f}"),
        ("确定规则 Reconciliation rule", result.final.rule),
        ("结论说明 Reason (中文)", result.final.reason_zh),
        ("Reason (English)", result.final.reason_en),
    ]
    for r in ltv[ltv["data_asset_id"] == result.data_asset_id].itertuples(index=False):
        shown = "n/a" if r.ltv is None or pd.isna(r.ltv) else f"{Decimal(r.ltv):.2%}"
        rows.append(
            (f"质押率 LTV of loan {r.asset_id}", f"{shown} (¥{Decimal(r.principal):,.2f}; {r.status})")
        )
    return pd.DataFrame(rows, columns=["项目 Item", "内容 Value"])


def produce(ctx: StageContext, staging: Path) -> None:
    """Appraise and check."""
    appraise(ctx, staging)


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """A valuation report table as written (ids and text as strings)."""
    return pd.read_csv(
        folder / name,
        encoding="utf-8-sig",
        keep_default_na=False,
        dtype={"data_asset_id": str, "asset_id": str, "subject_id": str, "detail": str, "base_date": str},
    )


def gate_tables(ctx: StageContext, staging: Path) -> dict[str, pd.DataFrame]:
    """The valuation gate reads the values, the LTV table and the rule problems."""
    ltv = read_table(staging, "ltv.csv")
    ltv["ltv"] = pd.to_numeric(ltv["ltv"], errors="coerce")
    return {
        "valuations": read_table(staging, "valuations.csv"),
        "ltv": ltv,
        "problems": read_table(staging, "problems.csv"),
    }


def gate_params(ctx: StageContext) -> dict[str, Any]:
    """The LTV limit at origination, from policy; at least one value when the deal pledges a data asset."""
    return {
        "ltv_max": float(ctx.policy.valuation.ltv.origination_max),
        "min_valued": 1 if pledged_data_assets(ctx) else 0,
    }


def ledger_rows(ctx: StageContext, staging: Path, run_id: str) -> LedgerRows:
    """Every value (methods and final) and every LTV are appended: the history is the audit trail."""
    records = {
        a["data_asset_id"]: a
        for a in json.loads((staging / "records.json").read_text(encoding="utf-8"))["assets"]
    }
    values = []
    for r in read_table(staging, "valuations.csv").itertuples(index=False):
        record = records[r.data_asset_id]
        final = r.method == "final"
        values.append(
            ValuationRecord(
                deal_id=ctx.deal_id,
                data_asset_id=r.data_asset_id,
                base_date=date.fromisoformat(r.base_date),
                method=r.method,
                value=Decimal(str(r.value)),
                inputs=(
                    {"quality_score": record["quality_score"], "final": record["final"]}
                    if final
                    else {"quality_score": record["quality_score"], **record["methods"][r.method]}
                ),
                final=final,
                reason=record["final"]["reason_en"] if final else "",
                stage_run_id=run_id,
            )
        )
    ltv = [
        LtvRecord(
            deal_id=ctx.deal_id,
            asset_id=r.asset_id,
            data_asset_id=r.data_asset_id,
            principal=Decimal(str(r.principal)),
            appraised_value=Decimal(str(r.appraised_value)),
            ltv=Decimal(str(r.ltv)) if str(r.ltv) else Decimal(0),
            status=r.status,
            stage_run_id=run_id,
        )
        for r in read_table(staging, "ltv.csv").itertuples(index=False)
    ]
    return LedgerRows(append=[*values, *ltv])


def summary(ctx: StageContext, folder: Path) -> str:
    """Markdown: final value per data asset and LTV per pledged loan."""
    values = read_table(folder, "valuations.csv")
    ltv = read_table(folder, "ltv.csv")
    lines = [f"# Valuation (估值) — deal {ctx.deal_id}", ""]
    if values.empty and ltv.empty:
        return "\n".join([*lines, NOTHING_VALUED, "", f"Reports: `{folder / 'valuations.csv'}` (empty)"])
    lines += [
        "| data asset | base date | methods | final value (¥) |",
        "|---|---|---|---|",
    ]
    for asset, group in values.groupby("data_asset_id", sort=True):
        final = group[group["method"] == "final"].iloc[0]
        methods = ", ".join(
            f"{m} {float(v):,.2f}"
            for m, v in zip(group["method"], group["value"], strict=True)
            if m != "final"
        )
        lines.append(f"| {asset} | {final['base_date']} | {methods} | {float(final['value']):,.2f} |")
    lines += [
        "",
        "| loan | data asset | principal (¥) | appraised (¥) | LTV | status |",
        "|---|---|---|---|---|---|",
    ]
    for r in ltv.itertuples(index=False):
        shown = f"{float(r.ltv):.2%}" if str(r.ltv) else "n/a"
        lines.append(
            f"| {r.asset_id} | {r.data_asset_id} | {float(r.principal):,.2f} | {float(r.appraised_value):,.2f} "
            f"| {shown} | {r.status} |"
        )
    lines += [
        "",
        f"Reports: `{folder / 'valuations.csv'}`, `{folder / 'appraisal.html'}`, `{folder / 'appraisal.xlsx'}`",
    ]
    return "\n".join(lines)


def explain(ctx: StageContext, staging: Path) -> list[str]:
    """Each critical rule problem in words: subject (data asset or loan), rule and detail."""
    problems = read_table(staging, "problems.csv")
    return [
        f"{r.subject_id}: [{r.rule}] {r.detail}"
        for r in problems.itertuples(index=False)
        if r.severity == "critical"
    ]


STAGE = Stage(
    name="valuation",
    produce=produce,
    gate_tables=gate_tables,
    gate_params=gate_params,
    ledger_rows=ledger_rows,
    summary=summary,
    explain=explain,
)
