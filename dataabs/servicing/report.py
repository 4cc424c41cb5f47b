"""The period's servicer report (资产服务机构报告) and distribution report (收益分配报告), in HTML and XLSX.

Both are built from the same tables the report folder holds (CSV), with Chinese labels and English beside them;
no personal data (obligor ids and masked references only). The HTML is one self-contained file (no scripts, no
CDN); the workbook has one sheet per table.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

LABELS: dict[str, str] = {
    "seq": "序号 / Seq",
    "step": "分配项目 / Step",
    "payee": "受偿方 / Payee",
    "due": "应付 / Due",
    "paid": "实付 / Paid",
    "shortfall": "差额 / Shortfall",
    "tranche_id": "证券档次 / Tranche",
    "opening_balance": "期初本金余额 / Opening balance",
    "interest_due": "应付利息 / Interest due",
    "interest": "利息 / Interest",
    "principal_due": "应付本金 / Principal due",
    "principal": "本金 / Principal",
    "closing_balance": "期末本金余额 / Closing balance",
    "trigger_id": "触发事件 / Trigger",
    "metric": "指标 / Metric",
    "value": "数值 / Value",
    "threshold": "阈值 / Threshold",
    "breached": "是否触发 / Breached",
    "fired": "生效 / In force",
    "effect": "后果 / Effect",
    "status": "状态 / Status",
    "transaction_id": "交易流水号 / Transaction",
    "value_date": "交易日期 / Value date",
    "amount": "金额 / Amount",
    "kind": "类别 / Kind",
    "asset_id": "基础资产 / Asset",
    "obligor_id": "债务人 / Obligor",
    "match": "识别方式 / Matched by",
    "due_date": "应还日 / Due date",
    "paid_interest": "已还利息 / Interest paid",
    "paid_principal": "已还本金 / Principal paid",
    "dpd": "逾期天数 / DPD",
    "dpd_bucket": "逾期分布 / DPD bucket",
    "default_date": "违约日 / Default date",
    "guarantor_id": "担保人 / Guarantor",
    "claim_date": "代偿申请日 / Claim date",
    "expected_payment_date": "预计代偿日 / Expected payment",
    "outstanding": "未获代偿 / Outstanding",
    "reason": "原因 / Reason",
    "detail": "说明 / Detail",
    "item": "项目 / Item",
    "data_asset_id": "数据资产 / Data asset",
    "cure_by": "补救期限 / Cure by",
    "observed_on": "发现日 / Observed",
    "severity": "严重程度 / Severity",
    "count": "笔数 / Count",
}


@dataclass
class PeriodReport:
    """Everything the two reports show for one period."""

    deal_id: str
    deal_name: str
    payment_date: date
    status: str
    funds: pd.DataFrame
    distribution: pd.DataFrame
    tranches: pd.DataFrame
    triggers: pd.DataFrame
    pool: pd.DataFrame
    collections: pd.DataFrame
    reconciliation: pd.DataFrame
    suspense: pd.DataFrame
    claims: pd.DataFrame
    disclosure: pd.DataFrame
    collateral: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with bilingual column labels."""
    return frame.rename(columns={c: LABELS.get(c, c) for c in frame.columns})


def _table(frame: pd.DataFrame) -> str:
    """An HTML table (escaped), or a note when empty."""
    if frame.empty:
        return "<p class='none'>无 / none</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in labelled(frame).columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    """A cell as text (blank for missing)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


STYLE = (
    "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #bbb;padding:3px 8px;"
    "font-size:13px;text-align:right}th{background:#eef}h2{border-bottom:2px solid #446;margin-top:1.5em}"
    ".none{color:#777}.warn{color:#a00;font-weight:bold}"
)


def _page(title: str, report: PeriodReport, sections: Mapping[str, pd.DataFrame]) -> str:
    """A self-contained HTML page."""
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(report.deal_name)} ({html.escape(report.deal_id)}) — "
        f"兑付日 / payment date {report.payment_date.isoformat()} — 状态 / status {html.escape(report.status)}</p>",
    ]
    if len(report.disclosure):
        parts.append("<p class='warn'>临时信息披露事件 / temporary disclosure events: see below</p>")
    parts += [f"<h2>{html.escape(name)}</h2>{_table(frame)}" for name, frame in sections.items()]
    parts += [f"<p>{html.escape(note)}</p>" for note in report.notes]
    parts.append("</body></html>")
    return "".join(parts)


def servicer_sections(report: PeriodReport) -> dict[str, pd.DataFrame]:
    """Sections of the servicer report."""
    buckets = (
        report.reconciliation.groupby("dpd_bucket", as_index=False)
        .agg(count=("asset_id", "size"), shortfall=("shortfall", "sum"))
        .rename(columns={"dpd_bucket": "item"})
        if len(report.reconciliation)
        else pd.DataFrame(columns=["item", "count", "shortfall"])
    )
    return {
        "资产池回收 / Pool collections": report.pool,
        "回款明细 / Receipts of the period": report.collections,
        "逾期分布 / Arrears by DPD bucket": buckets,
        "应收本息核对 / Dues and arrears": report.reconciliation,
        "待查明款项 / Suspense": report.suspense,
        "代偿 / Guarantee claims": report.claims,
        "数据质押物事件 / Data-collateral events": report.collateral,
        "临时信息披露 / Temporary disclosure": report.disclosure,
    }


def distribution_sections(report: PeriodReport) -> dict[str, pd.DataFrame]:
    """Sections of the distribution report."""
    return {
        "可分配资金 / Available funds": report.funds,
        "分配明细 / Distribution": report.distribution,
        "证券本息 / Tranche payments": report.tranches,
        "触发事件 / Triggers": report.triggers,
        "临时信息披露 / Temporary disclosure": report.disclosure,
    }


def write_reports(report: PeriodReport, folder: Path) -> list[Path]:
    """Write ``servicer_report.{html,xlsx}`` and ``distribution_report.{html,xlsx}`` into ``folder``."""
    written = []
    for stem, title, sections in (
        ("servicer_report", "资产服务机构报告 / Servicer report", servicer_sections(report)),
        ("distribution_report", "收益分配报告 / Distribution report", distribution_sections(report)),
    ):
        page = folder / f"{stem}.html"
        page.write_text(_page(title, report, sections), encoding="utf-8")
        book = folder / f"{stem}.xlsx"
        with pd.ExcelWriter(book, engine="openpyxl") as writer:
            for n, (name, frame) in enumerate(sections.items(), start=1):
                sheet = f"{n}-{name.split(' / ')[0]}"[:31]
                labelled(frame.astype(object)).to_excel(writer, sheet_name=sheet, index=False)
        written += [page, book]
    return written
