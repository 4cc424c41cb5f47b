"""The deal report: one self-contained HTML file, every section optional, charts inline as SVG."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from dataabs.engine.enhancement import period_metrics, stress_grid
from dataabs.engine.examples import demo_deal, demo_stress
from dataabs.issuance.documents import CHECKLIST, check_documents, documents_frame
from dataabs.issuance.report import SECTIONS, DealReportData, chart_text, cjk_font, render_deal_report
from dataabs.issuance.terms import price_issuance, schedule_frame, tranches_frame

EXTERNAL = re.compile(r"""(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
SCORES = {
    "normativity": 0.95,
    "completeness": 0.97,
    "accuracy": 0.92,
    "consistency": 0.90,
    "timeliness": 0.85,
    "accessibility": 1.0,
}


def quality() -> pd.DataFrame:
    rows = [{"data_asset_id": "DA01", "dimension": d, "score": s} for d, s in SCORES.items()]
    return pd.DataFrame([*rows, {"data_asset_id": "DA01", "dimension": "Q", "score": 92.9}])


def valuations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "data_asset_id": ["DA01"] * 4,
            "method": ["income", "cost", "market", "final"],
            "value": [26.76e6, 6.31e6, 8.97e6, 26.76e6],
            "base_date": ["2025-06-30"] * 4,
        }
    )


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    issuance = price_issuance(demo_deal(), ratings={"A": "AAAsf"})
    package = tmp_path_factory.mktemp("pkg")
    declared = [{"id": d.id, "file": f"{d.id}.pdf"} for d in CHECKLIST]
    data = DealReportData(
        deal_id="demo-xinxin-1",
        deal_name="鑫欣数据资产1期",
        as_of=date(2025, 7, 28),
        quality=quality(),
        valuations=valuations(),
        strats={
            "按省份 by province": pd.DataFrame(
                {"province": ["浙江", "江苏"], "count": [4, 5], "principal": [70.0e6, 63.7e6]}
            )
        },
        stress=stress_grid(demo_deal(), [demo_stress("largest_defaults_guarantee_pays")]),
        tranches=tranches_frame(issuance),
        schedule=schedule_frame(issuance),
        coverage=period_metrics(issuance.deal, issuance.result),
        documents=documents_frame(check_documents(package, declared)),
    )
    return render_deal_report(data)


def test_report_is_self_contained(full_report: str) -> None:
    assert full_report.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(full_report)
    assert "<script" not in full_report.lower()
    assert "<link" not in full_report.lower()
    assert "@import" not in full_report
    # only in-document references such as url(#clip) are allowed
    assert not re.search(r"url\(\s*['\"]?(?!#)", full_report)
    assert "<!DOCTYPE svg" not in full_report


def test_report_carries_the_charts_inline(full_report: str) -> None:
    charts = re.findall(r"<svg\b.*?</svg>", full_report, flags=re.S)
    assert len(charts) == 5  # quality, valuation, strat, balances, coverage
    assert all("<image" not in c for c in charts)


def test_every_section_is_filled(full_report: str) -> None:
    for section in SECTIONS:
        assert f'<section id="{section.anchor}">' in full_report
    assert "Not yet available" not in full_report
    assert "规范性 normativity" in full_report and "AAAsf" in full_report


def test_sections_of_stages_not_run_are_listed_as_not_available() -> None:
    text = render_deal_report(DealReportData(deal_id="demo-xinxin-1", quality=quality()))
    assert '<section id="quality">' in text
    assert '<section id="tranches">' not in text
    assert "尚未生成" in text and "发行条款 Tranche terms" in text
    empty = render_deal_report(DealReportData(deal_id="empty", stress=pd.DataFrame()))
    assert "<section" not in empty and "<svg" not in empty


def test_text_is_escaped() -> None:
    text = render_deal_report(DealReportData(deal_id="x", deal_name="<script>alert(1)</script>"))
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_chart_text_drops_chinese_only_without_a_cjk_font() -> None:
    if cjk_font():
        assert chart_text("按省份 by province") == "按省份 by province"
    else:
        assert chart_text("按省份 by province") == "by province"
        assert chart_text("浙江", "#1") == "#1"
