"""Statement import: CSV in UTF-8 and GB18030, XLSX, Chinese headers, every bad cell named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from dataabs.errors import PackageInvalid
from dataabs.servicing.statement import read_statement

HEADER = "交易流水号,交易日期,金额,对方户名,对方账号,摘要,借贷标志"
ROWS = [
    'TX001,2025-09-22,"239,452.05",无锡澄行智联科技有限公司,6217000000000001,L01 还本付息,贷',
    "TX002,2025/9/22,191561.64,南昌禾穗农情数据有限公司,6217000000000002,L02 还本付息,贷",
    "TX003,20250923,1000.00,托管费,6217000000000003,托管费,借",
    'TX001,2025-09-22,"239,452.05",无锡澄行智联科技有限公司,6217000000000001,L01 还本付息,贷',
]


def write(tmp_path: Path, lines: list[str], encoding: str = "utf-8", name: str = "statement.csv") -> Path:
    """A statement CSV in the given encoding."""
    path = tmp_path / name
    path.write_bytes("\n".join([HEADER, *lines]).encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_with_chinese_headers(tmp_path: Path, encoding: str) -> None:
    frame = read_statement(write(tmp_path, ROWS, encoding))
    assert frame["transaction_id"].tolist() == ["TX001", "TX002", "TX003"]  # identical repeat kept once
    assert frame["amount"].tolist() == [Decimal("239452.05"), Decimal("191561.64"), Decimal("1000.00")]
    assert frame["value_date"].tolist() == [date(2025, 9, 22), date(2025, 9, 22), date(2025, 9, 23)]
    assert frame["direction"].tolist() == ["credit", "credit", "debit"]
    assert frame["counterparty_name"][1] == "南昌禾穗农情数据有限公司"
    assert set(frame["currency"]) == {"CNY"}


def test_xlsx_with_chinese_headers(tmp_path: Path) -> None:
    rows = [r.replace('"239,452.05"', "239452.05").split(",") for r in ROWS[:2]]
    path = tmp_path / "statement.xlsx"
    pd.DataFrame(rows, columns=HEADER.split(",")).to_excel(path, index=False)
    frame = read_statement(path)
    assert frame["amount"].sum() == Decimal("431013.69")


def test_english_headers(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "transaction_id,value_date,amount,counterparty_name,reference,direction\nT1,2025-09-22,10.00,X,L01,credit\n",
        encoding="utf-8",
    )
    assert read_statement(path)["reference"].tolist() == ["L01"]


def test_every_bad_cell_is_named(tmp_path: Path) -> None:
    bad = [
        "TX001,2025-13-01,100.00,A,1,L01,贷",
        "TX002,2025-09-22,abc,A,1,L01,贷",
        "TX003,2025-09-22,1.005,A,1,L01,贷",
        "TX004,2025-09-22,100.00,A,1,L01,出",
        "TX005,2025-09-22,-5.00,A,1,L01,贷",
        "TX006,2025-09-22,100.00,A,1,L01,贷",
        "TX006,2025-09-22,200.00,A,1,L01,贷",
    ]
    with pytest.raises(PackageInvalid) as caught:
        read_statement(write(tmp_path, bad))
    places = {(p.row, p.column) for p in caught.value.problems}
    assert places == {
        (2, "交易日期"),
        (3, "金额"),
        (4, "金额"),
        (5, "借贷标志"),
        (6, "金额"),
        (8, "交易流水号"),
    }
    assert "statement.csv, row 3, column '金额'" in str(caught.value)


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("交易流水号,交易日期,借贷标志\nT1,2025-09-22,贷\n", encoding="utf-8")
    with pytest.raises(PackageInvalid, match="amount"):
        read_statement(path)


def test_ragged_row_is_named(tmp_path: Path) -> None:
    with pytest.raises(PackageInvalid, match="row 2"):
        read_statement(write(tmp_path, ["TX001,2025-09-22,1.00"]))
