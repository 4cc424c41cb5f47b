"""The deal report (项目报告): rebuilt from the committed report folder after every stage commit.

``refresh_deal_report`` reads whatever committed files exist (quality, valuations, strats, stress, tranches,
schedule, coverage, documents), renders the self-contained HTML of ``dataabs.issuance.report`` to
``<out>/<deal>/report.html`` and writes the same tables to ``<out>/<deal>/report.xlsx``. A stage that has not run
yet is simply a section marked "not yet available". Both files are replaced atomically.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from dataabs.issuance.report import DEFAULT_COVERAGE_THRESHOLD, DealReportData, render_deal_report
from tasks.context import StageContext

REPORT_HTML = "report.html"
REPORT_XLSX = "report.xlsx"
FINGERPRINT = ".report.sha256"
#: Strat tables shown in the report (all of them are in pool/strats.xlsx).
REPORT_STRATS = (
    "obligor_top10",
    "industry",
    "province",
    "principal_band",
    "remaining_term_band",
    "data_type",
    "ltv_band",
    "guarantor",
)
#: Where each section's committed file lives, relative to the deal's report folder (first existing wins).
SOURCES: dict[str, tuple[str, ...]] = {
    "quality": ("governance/quality.csv",),
    "valuations": ("valuation/valuations.csv",),
    "stress": ("enhancement/stress.csv", "issuance/stress.csv"),
    "tranches": ("issuance/tranches.csv",),
    "schedule": ("issuance/schedule.csv",),
    "coverage": ("issuance/coverage.csv", "enhancement/periods.csv"),
    "documents": ("issuance/documents.csv",),
}
SHEETS: dict[str, str] = {
    "quality": "数据质量 Quality",
    "valuations": "估值 Valuation",
    "stress": "压力测试 Stress",
    "tranches": "发行条款 Tranches",
    "schedule": "兑付计划 Schedule",
    "coverage": "覆盖倍数 Coverage",
    "documents": "发行文件 Documents",
}


def _csv(path: Path) -> pd.DataFrame | None:
    """A committed report CSV, or None when the stage has not produced it."""
    if not path.is_file():
        return None
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])


def _first(folder: Path, candidates: tuple[str, ...]) -> pd.DataFrame | None:
    """The first of the candidate files that exists."""
    for relative in candidates:
        frame = _csv(folder / relative)
        if frame is not None:
            return frame
    return None


def coverage_threshold(ctx: StageContext) -> float:
    """The base-case coverage floor of house policy (1.20× by default)."""
    enhancement = getattr(ctx.policy, "enhancement", None)
    value = getattr(enhancement, "base_coverage_min", None)
    return float(value) if value is not None else DEFAULT_COVERAGE_THRESHOLD


def report_data(ctx: StageContext) -> DealReportData:
    """Everything the committed report folder holds for the deal report."""
    folder = ctx.deal_out
    frames = {name: _first(folder, paths) for name, paths in SOURCES.items()}
    strats_dir = ctx.stage_dir("pool") / "strats"
    strats = {
        name: frame
        for name in REPORT_STRATS
        if (frame := _csv(strats_dir / f"{name}.csv")) is not None and not frame.empty
    }
    return DealReportData(
        deal_id=ctx.deal_id,
        deal_name=ctx.package.deal.name,
        as_of=ctx.as_of,
        strats=strats,
        coverage_threshold=coverage_threshold(ctx),
        **frames,
    )


def write_report_xlsx(data: DealReportData, path: Path) -> Path:
    """The report's tables in one workbook: a sheet per section (and per strat table), header row in bold."""
    book = Workbook()
    for sheet in list(book.worksheets):
        book.remove(sheet)
    tables: dict[str, pd.DataFrame] = {}
    for name, sheet in SHEETS.items():
        frame = getattr(data, name)
        if frame is not None and not frame.empty:
            tables[sheet] = frame
    tables |= {f"资产池 {name}"[:31]: frame for name, frame in data.strats.items()}
    if not tables:
        tables["说明 Note"] = pd.DataFrame({"note": ["No stage has committed outputs yet."]})
    _fill(book, tables)
    tmp = path.with_suffix(".xlsx.tmp")
    book.save(tmp)
    os.replace(tmp, path)
    return path


def _fill(book: Workbook, tables: Mapping[str, pd.DataFrame]) -> None:
    """One sheet per table, numbers kept numeric."""
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for name, frame in tables.items():
        sheet = book.create_sheet(name[:31])
        sheet.append([str(c) for c in frame.columns])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for row in frame.itertuples(index=False):
            sheet.append([None if isinstance(v, float) and v != v else v for v in row])
        sheet.freeze_panes = "A2"


def source_files(ctx: StageContext) -> list[Path]:
    """The committed files the report is built from (those that exist)."""
    files = [ctx.deal_out / r for paths in SOURCES.values() for r in paths]
    files += [ctx.stage_dir("pool") / "strats" / f"{name}.csv" for name in REPORT_STRATS]
    return [f for f in files if f.is_file()]


def fingerprint(ctx: StageContext) -> str:
    """SHA-256 over the report's source files (names and bytes) and the deal's name and as-of date."""
    digest = hashlib.sha256(f"{ctx.package.deal.name}|{ctx.as_of}|{coverage_threshold(ctx)}".encode())
    for path in source_files(ctx):
        digest.update(str(path.relative_to(ctx.deal_out)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def write_report(ctx: StageContext, *, force: bool = False) -> Path:
    """Render ``report.html`` and ``report.xlsx`` from the committed report folder (skipped when nothing changed)."""
    ctx.deal_out.mkdir(parents=True, exist_ok=True)
    path, marker = ctx.deal_out / REPORT_HTML, ctx.deal_out / FINGERPRINT
    current = fingerprint(ctx)
    unchanged = marker.is_file() and marker.read_text(encoding="utf-8") == current
    if unchanged and not force and path.is_file() and (ctx.deal_out / REPORT_XLSX).is_file():
        return path
    data = report_data(ctx)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_deal_report(data), encoding="utf-8")
    os.replace(tmp, path)
    write_report_xlsx(data, ctx.deal_out / REPORT_XLSX)
    marker.write_text(current, encoding="utf-8")
    return path


@task(name="refresh-deal-report", cache_policy=NO_CACHE)
def refresh_deal_report(ctx: StageContext) -> str | None:
    """Rebuild the deal report after a commit; a rendering failure is logged, never undoes the committed stage."""
    try:
        return str(write_report(ctx))
    except Exception as exc:  # the stage is already committed; the report is a derived view
        get_run_logger().warning("Deal %s: the deal report could not be refreshed: %s", ctx.deal_id, exc)
        return None
