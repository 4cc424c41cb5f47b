"""The term sheet files: HTML and XLSX written from the tranche frame and deal facts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dataabs.engine.examples import demo_deal
from dataabs.issuance.pricing import Curve
from dataabs.issuance.terms import price_issuance, tranches_frame
from dataabs.issuance.termsheet import DealFacts, write_term_sheet

FACTS = DealFacts(
    deal_id="demo-xinxin-1",
    name="鑫欣数据资产1期资产支持专项计划",
    model="data_pledged_loan",
    exchange="上海证券交易所",
    shelf_size=Decimal("500000000.00"),
    phase=1,
    cut_off=date(2025, 6, 30),
    closing=date(2025, 7, 28),
    first_payment=date(2025, 10, 26),
    payment_frequency="按季 quarterly",
    day_count="ACT/365F",
    reference_curve="CGB 2025-07-28",
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    curve = Curve((1.0, 2.0), (0.0140, 0.0145))
    issuance = price_issuance(
        demo_deal(), curve=curve, ratings={"A": "AAAsf"}, legal_maturity=date(2028, 7, 26)
    )
    written = write_term_sheet(tranches_frame(issuance), FACTS, tmp_path_factory.mktemp("issuance"))
    return written.html, written.xlsx


def test_term_sheet_files_are_written(files: tuple[Path, Path]) -> None:
    html_path, xlsx_path = files
    assert html_path.name == "term_sheet.html" and html_path.stat().st_size > 0
    assert xlsx_path.name == "term_sheet.xlsx" and xlsx_path.stat().st_size > 0


def test_html_term_sheet_is_bilingual_and_self_contained(files: tuple[Path, Path]) -> None:
    text = files[0].read_text(encoding="utf-8")
    for expected in ("发行条款 Term sheet", "票面利率", "Coupon", "2.0000%", "AAAsf", "127,000,000.00"):
        assert expected in text
    assert "计划设立日 Closing date" in text and "2025-07-28" in text
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?://""", text)


def test_xlsx_term_sheet_keeps_numbers_as_numbers(files: tuple[Path, Path]) -> None:
    book = load_workbook(files[1])
    assert book.sheetnames == ["基本信息 Facts", "分档条款 Tranches"]
    rows = list(book["分档条款 Tranches"].iter_rows(values_only=True))
    assert rows[0][0] == "档次\nTranche"
    senior = next(r for r in rows if r[0] == "A")
    assert senior[1] == 127_000_000 and senior[2] == pytest.approx(0.02) and senior[3] == "AAAsf"
    assert round(senior[4], 4) == 1.6274
    facts = {r[1]: r[2] for r in book["基本信息 Facts"].iter_rows(values_only=True)}
    assert facts["Shelf size (CNY)"] == 500_000_000
