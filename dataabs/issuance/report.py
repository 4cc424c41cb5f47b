"""The deal report (项目报告): one self-contained HTML file that every stage fills as it runs.

Charts are drawn with matplotlib (Agg) and inlined as SVG with text as paths, so the file opens with no network
and no fonts: no CDN, no external CSS or JS, no linked images. Every section is optional — a stage that has not
run yet is listed as not available. Chart labels are bilingual when matplotlib finds a CJK font (e.g. Noto Sans
CJK SC, WenQuanYi) and English otherwise; the HTML text always carries the Chinese terms.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeGuard

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure

from dataabs.governance.policy import DIMENSIONS

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
DIMENSION_ZH = {
    "normativity": "规范性",
    "completeness": "完整性",
    "accuracy": "准确性",
    "consistency": "一致性",
    "timeliness": "时效性",
    "accessibility": "可访问性",
}
DEFAULT_COVERAGE_THRESHOLD = 1.20
FIGSIZE = (7.0, 3.2)
CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em auto;max-width:1000px;
color:#222;line-height:1.45}h1{border-bottom:2px solid #1f4e79;padding-bottom:.2em}h2{color:#1f4e79;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#eef3f8;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#777}.chart svg{max-width:100%;height:auto}nav li{margin:.1em 0}
"""


@dataclass(frozen=True)
class DealReportData:
    """What the stages have produced so far; every section is optional (None or empty: not yet run)."""

    deal_id: str
    deal_name: str = ""
    as_of: date | None = None
    quality: pd.DataFrame | None = None
    valuations: pd.DataFrame | None = None
    strats: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    stress: pd.DataFrame | None = None
    tranches: pd.DataFrame | None = None
    schedule: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    documents: pd.DataFrame | None = None
    coverage_threshold: float = DEFAULT_COVERAGE_THRESHOLD


@dataclass(frozen=True)
class Section:
    """One report section: anchor, bilingual title and its renderer."""

    anchor: str
    title_zh: str
    title_en: str
    render: Callable[[DealReportData], str | None]


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first CJK font family matplotlib knows, or None (charts are then labelled in English only)."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in known), None)


def label(en: str, zh: str) -> str:
    """A chart label: Chinese and English with a CJK font, English alone without."""
    return f"{zh} {en}" if cjk_font() else en


def chart_text(text: str, fallback: str = "") -> str:
    """Text a chart can draw: as is with a CJK font; else without CJK characters (``fallback`` if none remain)."""
    if cjk_font():
        return text
    kept = " ".join(CJK_RUN.sub(" ", text).split()).strip(" ()（）:：")
    return kept or fallback


def svg(fig: Figure) -> str:
    """A figure as inline SVG markup (no XML prolog, DOCTYPE or metadata links), then closed."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    return f'<div class="chart">{text}</div>'


def _figure() -> tuple[Figure, Any]:
    """A new figure and axes with the report's size and font."""
    fig, ax = plt.subplots(figsize=FIGSIZE)
    return fig, ax


def _chart(draw: Callable[[], Figure]) -> str:
    """Draw a chart as inline SVG: text as paths, a fixed hash salt (stable ids), CJK font when there is one."""
    with plt.rc_context():
        plt.rcParams["svg.fonttype"] = "path"
        plt.rcParams["svg.hashsalt"] = "dataabs"
        plt.rcParams["axes.spines.top"] = False
        plt.rcParams["axes.spines.right"] = False
        font = cjk_font()
        if font:
            plt.rcParams["font.family"] = [font, "DejaVu Sans"]
        return svg(draw())


def _bars(categories: Sequence[str], values: Sequence[float], title: str, ylabel: str) -> str:
    """A single-series bar chart as SVG."""

    def draw() -> Figure:
        fig, ax = _figure()
        ax.bar(range(len(values)), values, color="#1f4e79")
        ticks = [chart_text(c, f"#{i + 1}") for i, c in enumerate(categories)]
        crowded = len(categories) > 6 or max((len(t) for t in ticks), default=0) * len(ticks) > 48
        ax.set_xticks(
            range(len(values)), ticks, rotation=30 if crowded else 0, ha="right" if crowded else "center"
        )
        ax.set_title(chart_text(title))
        ax.set_ylabel(chart_text(ylabel))
        return fig

    return _chart(draw)


def _fmt(value: Any) -> tuple[str, bool]:
    """A cell's text and whether it is numeric (right-aligned)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, Decimal | int | float):
        number = float(value)
        return (f"{number:,.2f}" if abs(number) >= 1000 else f"{number:.4f}".rstrip("0").rstrip(".")), True
    return str(value), False


def table(frame: pd.DataFrame) -> str:
    """A DataFrame as an escaped HTML table."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for value in record:
            text, numeric = _fmt(value)
            cells.append(
                f'<td class="n">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>"
            )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _present(frame: pd.DataFrame | None) -> TypeGuard[pd.DataFrame]:
    """Whether a section's frame holds anything."""
    return frame is not None and not frame.empty


def quality_section(data: DealReportData) -> str | None:
    """Quality profile per data asset (数据质量): six GB/T 36344 dimensions and Q."""
    if not _present(data.quality):
        return None
    parts = []
    for asset, rows in data.quality.groupby("data_asset_id", sort=True):
        scores = rows.set_index("dimension")["score"].astype(float)
        q = scores.get("Q")
        dims = [d for d in DIMENSIONS if d in scores.index]
        names = [label(d, DIMENSION_ZH[d]) for d in dims]
        title = f"{asset}" + ("" if q is None else f"  Q = {q:.2f}")
        parts.append(f"<h3>{html.escape(str(asset))}</h3>")
        parts.append(_bars(names, [scores[d] for d in dims], title, label("score (0-1)", "得分")))
        named = pd.DataFrame(
            {
                "dimension 维度": [f"{DIMENSION_ZH[d]} {d}" for d in dims],
                "score 得分": [scores[d] for d in dims],
            }
        )
        parts.append(table(named))
    return "".join(parts)


def valuation_section(data: DealReportData) -> str | None:
    """Valuation by method per data asset (估值: 收益法/成本法/市场法 and the final value)."""
    if not _present(data.valuations):
        return None
    frame = data.valuations.copy()
    frame["value"] = frame["value"].astype(float)
    wide = frame.pivot_table(index="data_asset_id", columns="method", values="value", aggfunc="last")

    def draw() -> Figure:
        fig, ax = _figure()
        count = len(wide.columns)
        width = 0.8 / max(count, 1)
        for k, method in enumerate(wide.columns):
            positions = [i + (k - (count - 1) / 2) * width for i in range(len(wide.index))]
            ax.bar(positions, wide[method].fillna(0.0) / 1e6, width, label=chart_text(str(method), "?"))
        ax.set_xticks(
            range(len(wide.index)),
            [chart_text(str(a), f"#{i + 1}") for i, a in enumerate(wide.index)],
            rotation=30,
            ha="right",
        )
        ax.set_ylabel(label("value (CNY m)", "估值（百万元）"))
        ax.set_title(label("Valuation by method", "各方法估值"))
        ax.legend(fontsize="small")
        return fig

    return _chart(draw) + table(data.valuations)


def strats_section(data: DealReportData) -> str | None:
    """Pool stratification tables (资产池分层), each with a bar chart of principal by bucket."""
    tables = {k: v for k, v in data.strats.items() if _present(v)}
    if not tables:
        return None
    parts = []
    for name, frame in tables.items():
        bucket = str(frame.columns[0])
        column = "principal" if "principal" in frame.columns else _first_numeric(frame)
        parts.append(f"<h3>{html.escape(name)}</h3>")
        if column is not None:
            values = frame[column].astype(float)
            scale, unit = (1e6, " (CNY m)") if values.abs().max() >= 1e5 else (1.0, "")
            parts.append(
                _bars([str(b) for b in frame[bucket]], list(values / scale), name, f"{column}{unit}")
            )
        parts.append(table(frame))
    return "".join(parts)


def _first_numeric(frame: pd.DataFrame) -> str | None:
    """The first numeric column after the bucket column, if any."""
    for column in frame.columns[1:]:
        if pd.to_numeric(frame[column], errors="coerce").notna().all():
            return str(column)
    return None


def stress_section(data: DealReportData) -> str | None:
    """Stress results (压力测试): coverage, losses and final status per scenario."""
    return table(data.stress) if _present(data.stress) else None


def tranches_section(data: DealReportData) -> str | None:
    """Tranche terms (发行条款): size, coupon, WAL, yield, durations, spread, rating, maturities."""
    return table(data.tranches) if _present(data.tranches) else None


def balances_section(data: DealReportData) -> str | None:
    """Projected tranche balances (预计本金余额) and period coverage (现金流覆盖倍数) over time."""
    parts = []
    if _present(data.schedule):
        parts.append(_balances_chart(data.schedule))
    if _present(data.coverage):
        parts.append(_coverage_chart(data.coverage, data.coverage_threshold))
        parts.append(table(data.coverage))
    if _present(data.schedule):
        parts.append(table(data.schedule))
    return "".join(parts) or None


def _dates(values: pd.Series) -> list[date]:
    """Payment dates as ``date`` objects."""
    return [d if isinstance(d, date) else date.fromisoformat(str(d)[:10]) for d in values]


def _balances_chart(schedule: pd.DataFrame) -> str:
    """Step chart of each tranche's closing balance, starting from its first opening balance."""

    def draw() -> Figure:
        fig, ax = _figure()
        for tranche, rows in schedule.groupby("tranche_id", sort=False):
            days = _dates(rows["payment_date"])
            balances = [float(rows["opening_balance"].iloc[0]), *rows["closing_balance"].astype(float)]
            ax.step(
                [days[0], *days],
                [b / 1e6 for b in balances],
                where="post",
                label=chart_text(str(tranche), "?"),
            )
        ax.set_ylabel(label("balance (CNY m)", "本金余额（百万元）"))
        ax.set_title(label("Projected tranche balances", "各档预计本金余额"))
        ax.legend(fontsize="small")
        fig.autofmt_xdate()
        return fig

    return _chart(draw)


def _coverage_chart(coverage: pd.DataFrame, threshold: float) -> str:
    """Line chart of period coverage (and interest coverage, OC if given) with the policy threshold."""

    def draw() -> Figure:
        fig, ax = _figure()
        days = _dates(coverage["payment_date"])
        for column in ("coverage", "interest_coverage", "oc"):
            if column in coverage.columns:
                ax.plot(days, coverage[column].astype(float), marker="o", label=column)
        ax.axhline(threshold, color="#c00000", linestyle="--", label=f"threshold {threshold:.2f}x")
        ax.set_ylabel(label("multiple (x)", "倍数"))
        ax.set_title(label("Coverage over time", "现金流覆盖倍数"))
        ax.legend(fontsize="small")
        fig.autofmt_xdate()
        return fig

    return _chart(draw)


def documents_section(data: DealReportData) -> str | None:
    """The issuance document checklist (发行文件清单)."""
    return table(data.documents) if _present(data.documents) else None


SECTIONS: tuple[Section, ...] = (
    Section("quality", "数据质量", "Data quality", quality_section),
    Section("valuation", "数据资产估值", "Valuation", valuation_section),
    Section("strats", "资产池分层", "Pool stratification", strats_section),
    Section("stress", "压力测试", "Stress tests", stress_section),
    Section("tranches", "发行条款", "Tranche terms", tranches_section),
    Section("balances", "预计本金余额与覆盖倍数", "Projected balances and coverage", balances_section),
    Section("documents", "发行文件清单", "Document checklist", documents_section),
)


def render_deal_report(sections: DealReportData, generated_at: datetime | None = None) -> str:
    """The deal report as one self-contained HTML document (inline SVG charts, inline CSS, no links out)."""
    data = sections
    rendered = [(s, s.render(data)) for s in SECTIONS]
    done = [(s, body) for s, body in rendered if body is not None]
    missing = [s for s, body in rendered if body is None]
    when = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    title = html.escape(f"{data.deal_name or data.deal_id} — 项目报告 Deal report")
    facts = f"Deal 项目: {html.escape(data.deal_id)}"
    if data.as_of:
        facts += f" · as of 截至 {data.as_of.isoformat()}"
    nav = "".join(f'<li><a href="#{s.anchor}">{s.title_zh} {s.title_en}</a></li>' for s, _ in done)
    absent = ", ".join(f"{s.title_zh} {s.title_en}" for s in missing)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{s.title_zh} {s.title_en}</h2>{b}</section>' for s, b in done
    )
    pending = f'<p class="muted">Not yet available 尚未生成: {html.escape(absent)}</p>' if missing else ""
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{CSS}</style></head><body>"
        f"<h1>{title}</h1><p>{facts} · generated 生成于 {when}</p>"
        f"<nav><ul>{nav}</ul></nav>{pending}{body}</body></html>\n"
    )
