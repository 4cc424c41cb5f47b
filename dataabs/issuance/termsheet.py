"""The term sheet (发行条款书): deal facts and tranche terms in Chinese with English labels, as HTML and XLSX.

Both formats read the same column and fact specifications, so they always show the same terms. The HTML is
self-contained (inline CSS, no links out); the XLSX keeps numbers as numbers with display formats.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

Kind = Literal["text", "money", "rate", "years", "bp", "date"]
XLSX_FORMATS: dict[Kind, str] = {
    "text": "@",
    "money": "#,##0.00",
    "rate": "0.00%",
    "years": "0.0000",
    "bp": "0.0",
    "date": "yyyy-mm-dd",
}
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
CSS = (
    'body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}'
    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .7em}"
    "th{background:#dde7f0;text-align:left}td.n{text-align:right}.note{color:#666;font-size:.85em}"
)
NOTE = (
    "收益率按年复利、ACT/365F、按面值（100元）定价计算；利差为收益率减基准曲线在加权平均期限处的线性插值。"
    " Yield: annual compounding, ACT/365F, priced at par (100); spread = yield − reference curve at the WAL "
    "(linear interpolation), in bp. Figures are projections, not a promise of payment."
)


@dataclass(frozen=True)
class Column:
    """A tranche-table column: frame key, Chinese and English label, display kind."""

    key: str
    zh: str
    en: str
    kind: Kind


TRANCHE_TABLE: tuple[Column, ...] = (
    Column("tranche_id", "档次", "Tranche", "text"),
    Column("size", "发行规模（元）", "Size (CNY)", "money"),
    Column("coupon", "票面利率", "Coupon", "rate"),
    Column("rating", "评级", "Rating", "text"),
    Column("wal_years", "加权平均期限（年）", "WAL (years)", "years"),
    Column("yield", "收益率", "Yield", "rate"),
    Column("macaulay_duration", "麦考利久期（年）", "Macaulay duration", "years"),
    Column("modified_duration", "修正久期", "Modified duration", "years"),
    Column("spread_bp", "利差（bp）", "Spread (bp)", "bp"),
    Column("expected_maturity", "预期到期日", "Expected maturity", "date"),
    Column("legal_maturity", "法定到期日", "Legal maturity", "date"),
)


@dataclass(frozen=True)
class DealFacts:
    """Deal-level facts shown on the term sheet; None fields are left out."""

    deal_id: str
    name: str
    model: str | None = None
    exchange: str | None = None
    manager: str | None = None
    originator: str | None = None
    custodian: str | None = None
    credit_support: str | None = None
    rating_agency: str | None = None
    shelf_size: Decimal | None = None
    phase: int | None = None
    cut_off: date | None = None
    pricing: date | None = None
    closing: date | None = None
    first_payment: date | None = None
    payment_frequency: str | None = None
    day_count: str | None = None
    reference_curve: str | None = None


FACTS: tuple[Column, ...] = (
    Column("name", "专项计划名称", "Plan name", "text"),
    Column("deal_id", "项目编号", "Deal id", "text"),
    Column("model", "交易模式", "Deal model", "text"),
    Column("exchange", "挂牌场所", "Exchange", "text"),
    Column("manager", "计划管理人", "Manager", "text"),
    Column("originator", "原始权益人", "Originator", "text"),
    Column("custodian", "托管人", "Custodian", "text"),
    Column("credit_support", "增信措施", "Credit support", "text"),
    Column("rating_agency", "评级机构", "Rating agency", "text"),
    Column("shelf_size", "储架规模（元）", "Shelf size (CNY)", "money"),
    Column("phase", "期数", "Phase", "text"),
    Column("cut_off", "基准日（封包日）", "Cut-off date", "date"),
    Column("pricing", "定价日", "Pricing date", "date"),
    Column("closing", "计划设立日", "Closing date", "date"),
    Column("first_payment", "首个兑付日", "First payment date", "date"),
    Column("payment_frequency", "兑付频率", "Payment frequency", "text"),
    Column("day_count", "计息基准", "Day count", "text"),
    Column("reference_curve", "基准曲线", "Reference curve", "text"),
)


@dataclass(frozen=True)
class TermSheetFiles:
    """Where the term sheet was written."""

    html: Path
    xlsx: Path


def _blank(value: Any) -> bool:
    """Whether a value is absent (None, NaN or empty)."""
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def display(value: Any, kind: Kind) -> str:
    """A value as the term sheet shows it."""
    if _blank(value):
        return "—"
    if kind == "money":
        return f"{float(value):,.2f}"
    if kind == "rate":
        return f"{float(value) * 100:.4f}%"
    if kind == "years":
        return f"{float(value):.4f}"
    if kind == "bp":
        return f"{float(value):.1f}"
    return value.isoformat() if isinstance(value, date) else str(value)


def cell_value(value: Any, kind: Kind) -> Any:
    """A value as the XLSX stores it: numbers as floats, dates as dates, the rest as text."""
    if _blank(value):
        return None
    if kind in ("money", "rate", "years", "bp"):
        return float(value)
    if kind == "date":
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    return str(value)


def fact_rows(facts: DealFacts) -> list[tuple[Column, Any]]:
    """The deal facts that are set, with their labels."""
    return [(c, getattr(facts, c.key)) for c in FACTS if not _blank(getattr(facts, c.key))]


def term_sheet_html(tranches: pd.DataFrame, facts: DealFacts) -> str:
    """The term sheet as one self-contained HTML document."""
    fact_html = "".join(
        f"<tr><th>{c.zh} {html.escape(c.en)}</th><td>{html.escape(display(v, c.kind))}</td></tr>"
        for c, v in fact_rows(facts)
    )
    head = "".join(f"<th>{c.zh}<br>{html.escape(c.en)}</th>" for c in TRANCHE_TABLE)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"" if c.kind in ("text", "date") else "n"}">'
            f"{html.escape(display(row.get(c.key), c.kind))}</td>"
            for c in TRANCHE_TABLE
        )
        + "</tr>"
        for row in tranches.to_dict("records")
    )
    title = html.escape(f"{facts.name} 发行条款 Term sheet")
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{CSS}</style></head><body><h1>{title}</h1>"
        f"<h2>基本信息 Deal facts</h2><table>{fact_html}</table>"
        f"<h2>分档条款 Tranches</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f'<p class="note">{html.escape(NOTE)}</p></body></html>\n'
    )


def _write_rows(sheet: Any, header: Sequence[str], rows: Sequence[Sequence[tuple[Any, Kind]]]) -> None:
    """Write a header and typed rows to a sheet, with formats and column widths."""
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append([cell_value(v, k) for v, k in row])
        for cell, (_, kind) in zip(sheet[sheet.max_row], row, strict=True):
            cell.number_format = XLSX_FORMATS[kind]
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 20


def write_term_sheet_xlsx(tranches: pd.DataFrame, facts: DealFacts, path: Path | str) -> Path:
    """The term sheet as an XLSX workbook: sheet 基本信息 Facts and sheet 分档条款 Tranches."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "基本信息 Facts"
    text: Kind = "text"
    fact_cells = [[(c.zh, text), (c.en, text), (v, c.kind)] for c, v in fact_rows(facts)]
    _write_rows(sheet, ["项目 Item (中文)", "Item (English)", "内容 Value"], fact_cells)
    tranche_sheet = book.create_sheet("分档条款 Tranches")
    tranche_cells = [[(row.get(c.key), c.kind) for c in TRANCHE_TABLE] for row in tranches.to_dict("records")]
    _write_rows(tranche_sheet, [f"{c.zh}\n{c.en}" for c in TRANCHE_TABLE], tranche_cells)
    tranche_sheet.append([])
    tranche_sheet.append([NOTE])
    path = Path(path)
    book.save(path)
    return path


def write_term_sheet(tranches: pd.DataFrame, facts: DealFacts, out_dir: Path | str) -> TermSheetFiles:
    """Write ``term_sheet.html`` and ``term_sheet.xlsx`` into a folder (e.g. ``<out>/<deal>/issuance``)."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / "term_sheet.html"
    html_path.write_text(term_sheet_html(tranches, facts), encoding="utf-8")
    return TermSheetFiles(html_path, write_term_sheet_xlsx(tranches, facts, folder / "term_sheet.xlsx"))
