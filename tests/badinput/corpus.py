"""The bad-input corpus: each case mutates a fresh copy of ``config/deals/demo`` and names the problem expected.

A case is a function ``(root, monkeypatch) -> None`` registered with ``@bad(reason, file=, row=, column=)``:
the loader must raise ``PackageInvalid`` with a problem whose reason contains ``reason`` (case-insensitive) and
whose place matches the given file suffix, row (``-1``: any row) and column. ``@good`` registers variants that must load.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

DEMO = Path(__file__).resolve().parents[2] / "config" / "deals" / "demo"

Mutation = Callable[[Path, pytest.MonkeyPatch], None]


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it and where the loader must point."""

    id: str
    mutate: Mutation
    reason: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    cls: str = ""


BAD: list[Case] = []
GOOD: list[tuple[str, Mutation]] = []


def bad(
    reason: str, cls: str, file: str | None = None, row: int | None = None, column: str | None = None
) -> Callable[[Mutation], Mutation]:
    """Register a bad-input case."""

    def register(fn: Mutation) -> Mutation:
        BAD.append(Case(fn.__name__, fn, reason, file, row, column, cls))
        return fn

    return register


def good(fn: Mutation) -> Mutation:
    """Register a variant that must still load."""
    GOOD.append((fn.__name__, fn))
    return fn


def copy_demo(target: Path) -> Path:
    """A private copy of the demo package."""
    shutil.copytree(DEMO, target)
    return target


# --- editing helpers -----------------------------------------------------------------------------------------


def rows_of(root: Path, name: str) -> list[list[str]]:
    """A CSV tape as a list of rows (header first)."""
    return list(csv.reader(io.StringIO((root / name).read_text(encoding="utf-8"), newline="")))


def write_rows(root: Path, name: str, rows: list[list[str]], encoding: str = "utf-8") -> None:
    """Write rows as CSV in the given encoding."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (root / name).write_bytes(buffer.getvalue().encode(encoding))


def set_cell(root: Path, name: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` counts the header as row 1 (as the loader reports it)."""
    rows = rows_of(root, name)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(root, name, rows)


def deal(root: Path) -> dict[str, Any]:
    """deal.yaml as a mapping."""
    return yaml.safe_load((root / "deal.yaml").read_text(encoding="utf-8"))


class _PlainDumper(yaml.SafeDumper):
    """Never writes anchors for values that appear twice (the loader refuses aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_deal(root: Path, data: Any) -> None:
    """Write deal.yaml from a mapping."""
    text = yaml.dump(data, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False)
    (root / "deal.yaml").write_text(text, encoding="utf-8")


def edit_deal(root: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    """Apply an edit to deal.yaml."""
    data = deal(root)
    edit(data)
    write_deal(root, data)


def step(data: dict[str, Any], section: str, step_id: str) -> dict[str, Any]:
    """A waterfall step by id."""
    return next(s for s in data["waterfall"][section] if s["id"] == step_id)


def outside(root: Path, name: str = "secret.csv", text: str = "obligor_id\nX\n") -> Path:
    """A file outside the package (next to it)."""
    path = root.parent / name
    path.write_text(text, encoding="utf-8")
    return path


# --- encodings -----------------------------------------------------------------------------------------------


def latinise(root: Path, name: str, text: str) -> None:
    """Rewrite a tape in Latin-1, every non-ASCII cell replaced by ``text`` (accented Latin letters)."""
    rows = [[cell if cell.isascii() else text for cell in row] for row in rows_of(root, name)]
    write_rows(root, name, rows, encoding="latin-1")


@bad("Latin-1", "encoding", file="obligors.csv")
def latin1_csv(root: Path, mp: pytest.MonkeyPatch) -> None:
    latinise(root, "obligors.csv", "Société Générale, Paris")


@bad("not Chinese text", "encoding", file="obligors.csv")
def latin1_that_decodes_as_gb18030(root: Path, mp: pytest.MonkeyPatch) -> None:
    latinise(root, "obligors.csv", "Zürich Müller AG")


@bad("UTF-16", "encoding", file="assets.csv")
def utf16_with_bom(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "assets.csv").write_bytes((root / "assets.csv").read_text(encoding="utf-8").encode("utf-16"))


@bad("NUL bytes", "encoding", file="assets.csv")
def utf16le_without_bom(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "assets.csv").write_bytes((root / "assets.csv").read_text(encoding="utf-8").encode("utf-16-le"))


@bad("not UTF-8", "encoding", file="deal.yaml")
def deal_yaml_in_gbk(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "deal.yaml").write_bytes((root / "deal.yaml").read_text(encoding="utf-8").encode("gb18030"))


@good
def gb18030_tapes(root: Path, mp: pytest.MonkeyPatch) -> None:
    for name in ("obligors.csv", "data_assets.csv"):
        (root / name).write_bytes((root / name).read_text(encoding="utf-8").encode("gb18030"))


@good
def utf8_bom_tapes(root: Path, mp: pytest.MonkeyPatch) -> None:
    for name in ("obligors.csv", "assets.csv", "deal.yaml"):
        (root / name).write_bytes(b"\xef\xbb\xbf" + (root / name).read_bytes())


@good
def xlsx_and_parquet_tapes(root: Path, mp: pytest.MonkeyPatch) -> None:
    pd.read_csv(root / "obligors.csv", dtype=str, keep_default_na=False).to_excel(
        root / "obligors.xlsx", index=False
    )
    pd.read_csv(root / "schedules.csv", dtype=str, keep_default_na=False).to_parquet(
        root / "schedules.parquet"
    )
    edit_deal(root, lambda d: d["tapes"].update(obligors="obligors.xlsx", schedules="schedules.parquet"))


# --- malformed CSV -------------------------------------------------------------------------------------------


@bad("has 17 fields, header has 16", "csv", file="assets.csv", row=3)
def ragged_row_long(root: Path, mp: pytest.MonkeyPatch) -> None:
    rows = rows_of(root, "assets.csv")
    rows[2].append("extra")
    write_rows(root, "assets.csv", rows)


@bad("fields, header has 3", "csv", file="schedules.csv", row=4)
def ragged_row_short(root: Path, mp: pytest.MonkeyPatch) -> None:
    rows = rows_of(root, "schedules.csv")
    rows[3] = rows[3][:2]
    write_rows(root, "schedules.csv", rows)


@bad("malformed CSV", "csv", file="obligors.csv")
def unterminated_quote(root: Path, mp: pytest.MonkeyPatch) -> None:
    text = (root / "obligors.csv").read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",", ',"', 1)
    (root / "obligors.csv").write_text("\n".join(text) + "\n", encoding="utf-8")


@bad("malformed CSV", "csv", file="obligors.csv", row=3)
def text_after_closing_quote(root: Path, mp: pytest.MonkeyPatch) -> None:
    text = (root / "obligors.csv").read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(",", ',"x"y', 1)
    (root / "obligors.csv").write_text("\n".join(text) + "\n", encoding="utf-8")


@bad("empty file", "empty", file="obligors.csv")
def empty_csv(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "obligors.csv").write_bytes(b"")


@bad("empty file", "empty", file="assets.csv")
def whitespace_only_csv(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "assets.csv").write_text("\n\n  \n", encoding="utf-8")


@bad("no data rows", "empty", file="assets.csv", row=2)
def header_only_tape(root: Path, mp: pytest.MonkeyPatch) -> None:
    write_rows(root, "assets.csv", rows_of(root, "assets.csv")[:1])


@bad("appears twice", "csv", file="obligors.csv", row=1, column="name")
def duplicate_header_column(root: Path, mp: pytest.MonkeyPatch) -> None:
    rows = rows_of(root, "obligors.csv")
    rows[0][2] = "name"
    write_rows(root, "obligors.csv", rows)


@bad("blank column name", "csv", file="obligors.csv", row=1)
def blank_header_column(root: Path, mp: pytest.MonkeyPatch) -> None:
    rows = rows_of(root, "obligors.csv")
    rows[0][-1] = ""
    write_rows(root, "obligors.csv", rows)


@bad("required column is missing", "csv", file="assets.csv", column="principal")
def missing_required_column(root: Path, mp: pytest.MonkeyPatch) -> None:
    rows = rows_of(root, "assets.csv")
    i = rows[0].index("principal")
    write_rows(root, "assets.csv", [r[:i] + r[i + 1 :] for r in rows])


@bad("binary content", "csv", file="schedules.csv")
def binary_garbage_csv(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "schedules.csv").write_bytes(bytes(range(256)) * 4)


# --- malformed XLSX / Parquet / formats ----------------------------------------------------------------------


def _xlsx(root: Path, name: str = "obligors.xlsx") -> Path:
    path = root / name
    pd.read_csv(root / "obligors.csv", dtype=str, keep_default_na=False).to_excel(path, index=False)
    edit_deal(root, lambda d: d["tapes"].update(obligors=name))
    return path


@bad("not an XLSX workbook", "xlsx", file="obligors.xlsx")
def zip_that_is_not_xlsx(root: Path, mp: pytest.MonkeyPatch) -> None:
    _xlsx(root)
    with zipfile.ZipFile(root / "obligors.xlsx", "w") as archive:
        archive.writestr("readme.txt", "just a zip")


@bad("not an XLSX workbook", "xlsx", file="obligors.xlsx")
def truncated_xlsx(root: Path, mp: pytest.MonkeyPatch) -> None:
    path = _xlsx(root)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@bad("not an XLSX workbook", "xlsx", file="obligors.xlsx")
def csv_renamed_xlsx(root: Path, mp: pytest.MonkeyPatch) -> None:
    path = _xlsx(root)
    shutil.copy(root / "obligors.csv", path)


@bad("missing value", "formula", file="obligors.xlsx", row=2, column="name")
def xlsx_formula_cell(root: Path, mp: pytest.MonkeyPatch) -> None:
    """A real formula is read by its cached value; one never calculated reads as blank."""
    import openpyxl

    path = _xlsx(root)
    workbook = openpyxl.load_workbook(path)
    workbook.active["B2"] = '=HYPERLINK("http://x","click")'
    workbook.save(path)


@bad("formula-like", "formula", file="obligors.xlsx", row=3, column="city")
def xlsx_text_cell_like_a_formula(root: Path, mp: pytest.MonkeyPatch) -> None:
    import openpyxl

    path = _xlsx(root)
    workbook = openpyxl.load_workbook(path)
    workbook.active["E3"] = "@SUM(A1:A9)"
    workbook.save(path)


@bad("cannot read PARQUET", "parquet", file="schedules.parquet")
def truncated_parquet(root: Path, mp: pytest.MonkeyPatch) -> None:
    path = root / "schedules.parquet"
    pd.read_csv(root / "schedules.csv", dtype=str).to_parquet(path)
    path.write_bytes(path.read_bytes()[:-40])
    edit_deal(root, lambda d: d["tapes"].update(schedules="schedules.parquet"))


@bad("cannot read PARQUET", "parquet", file="schedules.parquet")
def text_renamed_parquet(root: Path, mp: pytest.MonkeyPatch) -> None:
    shutil.copy(root / "schedules.csv", root / "schedules.parquet")
    edit_deal(root, lambda d: d["tapes"].update(schedules="schedules.parquet"))


@bad("unsupported tape format", "format", file="schedules.txt")
def unsupported_extension(root: Path, mp: pytest.MonkeyPatch) -> None:
    shutil.copy(root / "schedules.csv", root / "schedules.txt")
    edit_deal(root, lambda d: d["tapes"].update(schedules="schedules.txt"))


@bad("larger than the", "size", file="assets.csv")
def tape_over_size_cap(root: Path, mp: pytest.MonkeyPatch) -> None:
    mp.setattr("dataabs.package.tapes.MAX_TAPE_BYTES", 512)


@bad("unpacks to more than", "size", file="obligors.xlsx")
def xlsx_unpacking_over_cap(root: Path, mp: pytest.MonkeyPatch) -> None:
    path = _xlsx(root)
    mp.setattr("dataabs.package.tapes.MAX_TAPE_BYTES", path.stat().st_size + 1)


@bad("larger than", "size", file="deal.yaml")
def deal_yaml_over_size_cap(root: Path, mp: pytest.MonkeyPatch) -> None:
    mp.setattr("dataabs.package.loader.MAX_YAML_BYTES", 1024)


# --- formula-looking cells (spreadsheet injection) -----------------------------------------------------------


@bad("formula-like", "formula", file="obligors.csv", row=2, column="name")
def formula_cmd_calc(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "obligors.csv", 2, "name", "=cmd|' /C calc'!A0")


@bad("formula-like", "formula", file="obligors.csv", row=3, column="city")
def formula_plus(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "obligors.csv", 3, "city", "+1+1")


@bad("formula-like", "formula", file="data_assets.csv", row=2, column="name")
def formula_at_sum(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "data_assets.csv", 2, "name", "@SUM(A1:A9)")


@bad("formula-like", "formula", file="obligors.csv", row=4, column="province")
def formula_minus(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "obligors.csv", 4, "province", "-2+3+cmd|' /C calc'!A0")


@bad("formula-like", "formula", file="obligors.csv", row=2, column="name")
def formula_behind_whitespace(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "obligors.csv", 2, "name", "\t=1+1")


@bad("formula-like", "formula", file="assets.csv", row=2, column="note")
def formula_in_extra_column(root: Path, mp: pytest.MonkeyPatch) -> None:
    rows = rows_of(root, "assets.csv")
    write_rows(
        root,
        "assets.csv",
        [[*r, "note" if i == 0 else ("=1+1" if i == 1 else "-5")] for i, r in enumerate(rows)],
    )


# --- duplicate ids -------------------------------------------------------------------------------------------


@bad("duplicate id 'OB01'", "duplicate", file="obligors.csv", row=3, column="obligor_id")
def duplicate_obligor_id(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "obligors.csv", 3, "obligor_id", "OB01")


@bad("duplicate id 'L01'", "duplicate", file="assets.csv", row=3, column="asset_id")
def duplicate_asset_id(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 3, "asset_id", "L01")


@bad("duplicate id 'DA-V2X'", "duplicate", file="data_assets.csv", row=3, column="data_asset_id")
def duplicate_data_asset_id(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "data_assets.csv", 3, "data_asset_id", "DA-V2X")


@bad("duplicate (asset_id, due_date)", "duplicate", file="schedules.csv", column="due_date")
def duplicate_schedule_line(root: Path, mp: pytest.MonkeyPatch) -> None:
    rows = rows_of(root, "schedules.csv")
    rows[2][1] = rows[1][1]
    rows[1][2], rows[2][2] = "0.00", str(float(rows[1][2]) + float(rows[2][2]))
    write_rows(root, "schedules.csv", rows)


@bad("duplicate id 'manager'", "duplicate", file="deal.yaml", column="parties")
def duplicate_party_id(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["parties"][1].update(id="manager"))


@bad("duplicate id 'A'", "duplicate", file="deal.yaml", column="tranches")
def duplicate_tranche_id(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["tranches"][1].update(id="A"))


@bad("duplicate id 'management'", "duplicate", file="deal.yaml", column="fees")
def duplicate_fee_id(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["fees"][1].update(id="management"))


@bad("duplicate id 'taxes'", "duplicate", file="deal.yaml", column="waterfall.normal")
def duplicate_waterfall_step_id(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["waterfall"]["normal"][1].update(id="taxes"))


@bad("duplicate id 'lg-L01'", "duplicate", file="deal.yaml", column="credit_support")
def duplicate_credit_support_id(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["credit_support"][1].update(id="lg-L01"))


# --- dangling references (every reference column) -----------------------------------------------------------


@bad("is not in obligors.obligor_id", "dangling", file="assets.csv", row=2, column="obligor_id")
def dangling_asset_obligor(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "obligor_id", "OB99")


@bad("is not in data_assets.data_asset_id", "dangling", file="assets.csv", row=3, column="data_asset_id")
def dangling_asset_data_asset(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 3, "data_asset_id", "DA-NOPE")


@bad("is not in parties.id", "dangling", file="assets.csv", row=2, column="guarantor_id")
def dangling_asset_guarantor(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "guarantor_id", "bank-atlantis")


@bad("is not in assets.asset_id", "dangling", file="schedules.csv", row=2, column="asset_id")
def dangling_schedule_asset(root: Path, mp: pytest.MonkeyPatch) -> None:
    rows = rows_of(root, "schedules.csv")
    rows.insert(1, ["L99", "2025-09-20", "0.00"])
    write_rows(root, "schedules.csv", rows)


@bad("is not in obligors.obligor_id", "dangling", file="data_assets.csv", row=2, column="holder_obligor_id")
def dangling_data_asset_holder(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "data_assets.csv", 2, "holder_obligor_id", "OB99")


@bad("unknown party 'nobody'", "dangling", file="deal.yaml", column="fees.management.payee")
def dangling_fee_payee(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["fees"][0].update(payee="nobody"))


@bad("unknown party 'nobody'", "dangling", file="deal.yaml", column="credit_support.lg-L01.provider")
def dangling_support_provider(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["credit_support"][0].update(provider="nobody"))


@bad(
    "unknown fee, tranche or account 'C'",
    "dangling",
    file="deal.yaml",
    column="waterfall.normal.interest-A.target",
)
def dangling_waterfall_target(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: step(d, "normal", "interest-A").update(target="C"))


# --- amounts -------------------------------------------------------------------------------------------------


@bad("below the minimum", "amount", file="assets.csv", row=2, column="principal")
def negative_principal(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "principal", "-25000000.00")


@bad("not a finite number", "amount", file="assets.csv", row=2, column="principal")
def nan_principal(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "principal", "NaN")


@bad("not a finite number", "amount", file="schedules.csv", row=3, column="principal_due")
def inf_principal_due(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "schedules.csv", 3, "principal_due", "inf")


@bad("implausibly large", "amount", file="data_assets.csv", row=2, column="book_value")
def huge_book_value(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "data_assets.csv", 2, "book_value", "1e400")


@bad("not a number", "amount", file="assets.csv", row=4, column="principal")
def non_numeric_principal(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 4, "principal", "two million")


@bad("not a decimal rate", "amount", file="assets.csv", row=2, column="rate")
def rate_as_percent(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "rate", "3.8")


@bad("below the minimum", "amount", file="assets.csv", row=2, column="max_days_past_due")
def negative_days_past_due(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "max_days_past_due", "-1")


@bad("not a whole number", "amount", file="assets.csv", row=2, column="max_days_past_due")
def fractional_days_past_due(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "max_days_past_due", "1.5")


@bad("scheduled principal", "amount", file="schedules.csv")
def schedule_does_not_sum_to_principal(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "principal", "25000000.01")


@bad("greater than 0", "amount", file="deal.yaml", column="tranches.0.size")
def negative_tranche_size(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["tranches"][0].update(size=-1))


# --- dates ---------------------------------------------------------------------------------------------------


@bad("impossible date '2025-02-30'", "date", file="assets.csv", row=2, column="origination_date")
def february_30th(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "origination_date", "2025-02-30")


@bad("impossible date '2025-13-01'", "date", file="assets.csv", row=3, column="maturity_date")
def month_13(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 3, "maturity_date", "2025-13-01")


@bad("not an ISO date", "date", file="schedules.csv", row=2, column="due_date")
def compact_date(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "schedules.csv", 2, "due_date", "20250630")


@bad("impossible date '2025-02-30'", "date", file="deal.yaml", row=-1)
def impossible_date_in_deal_yaml(root: Path, mp: pytest.MonkeyPatch) -> None:
    text = (root / "deal.yaml").read_text(encoding="utf-8")
    (root / "deal.yaml").write_text(
        text.replace("cut_off: 2025-06-30", "cut_off: 2025-02-30"), encoding="utf-8"
    )


@bad("dates must satisfy", "date", file="deal.yaml", column="dates")
def dates_out_of_order(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["dates"].update(closing=d["dates"]["first_payment"]))


@bad("maturity_date is not after origination_date", "date", file="assets.csv", row=2, column="maturity_date")
def maturity_before_origination(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "maturity_date", "2025-06-01")


# --- deal.yaml schema: models, unknown keys, waterfall -------------------------------------------------------


@bad("Input should be", "schema", file="deal.yaml", column="model")
def unknown_deal_model(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d.update(model="crypto_pledged_loan"))


@bad("unknown key", "unknown-key", file="deal.yaml", column="sponsor")
def unknown_key_top_level(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d.update(sponsor="x"))


@bad("unknown key", "unknown-key", file="deal.yaml", column="dates.payment_day")
def unknown_key_in_section(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["dates"].update(payment_day=26))


@bad("unknown key", "unknown-key", file="deal.yaml", column="tranches.1.cupon")
def unknown_key_in_list_item(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["tranches"][1].update(cupon=0.05))


@bad("unknown key", "unknown-key", file="deal.yaml", column="waterfall.normal.0.amount")
def unknown_key_in_waterfall_step(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["waterfall"]["normal"][0].update(amount=1))


@bad("unknown key", "unknown-key", file="deal.yaml", column="counterparties.registry.token")
def unknown_key_in_endpoint(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["counterparties"]["registry"].update(token="secret"))


@bad("unknown key", "unknown-key", file="deal.yaml", column="taxes.stamp_duty")
def unknown_key_in_taxes(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["taxes"].update(stamp_duty=0.001))


@bad("", "unknown-key", file="deal.yaml", column="policy.governance.no_such_threshold")
def unknown_key_in_policy_override(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d.update(policy={"governance": {"no_such_threshold": 1}}))


@bad("Input should be", "waterfall", file="deal.yaml", column="waterfall.normal.5.kind")
def unknown_waterfall_step_kind(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["waterfall"]["normal"][5].update(kind="bonus"))


@bad("no step of waterfall.normal pays this tranche", "waterfall", file="deal.yaml", column="tranches.B")
def unreachable_tranche(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(
        root,
        lambda d: d["waterfall"].update(
            normal=[s for s in d["waterfall"]["normal"] if s.get("target") != "B"]
        ),
    )


@bad("no fee step of waterfall.normal pays this fee", "waterfall", file="deal.yaml", column="fees.rating")
def unreachable_fee(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(
        root,
        lambda d: d["waterfall"].update(
            normal=[s for s in d["waterfall"]["normal"] if s["id"] != "fee-rating"]
        ),
    )


@bad("comes before its interest", "waterfall", file="deal.yaml", column="waterfall.normal.principal-A")
def principal_before_interest(root: Path, mp: pytest.MonkeyPatch) -> None:
    def swap(d: dict[str, Any]) -> None:
        steps = d["waterfall"]["normal"]
        i, j = steps.index(step(d, "normal", "interest-A")), steps.index(step(d, "normal", "principal-A"))
        steps[i], steps[j] = steps[j], steps[i]

    edit_deal(root, swap)


@bad("must be the last", "waterfall", file="deal.yaml", column="waterfall.accelerated.residual-B")
def residual_not_last(root: Path, mp: pytest.MonkeyPatch) -> None:
    def move(d: dict[str, Any]) -> None:
        steps = d["waterfall"]["accelerated"]
        steps.insert(0, steps.pop())

    edit_deal(root, move)


@bad("a fee step cannot pay 'A'", "waterfall", file="deal.yaml", column="waterfall.normal.fee-custody.target")
def fee_step_paying_a_tranche(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: step(d, "normal", "fee-custody").update(target="A"))


@bad("pays interest of A again", "waterfall", file="deal.yaml", column="waterfall.normal.interest-A2")
def interest_paid_twice(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(
        root,
        lambda d: d["waterfall"]["normal"].insert(
            7, {"id": "interest-A2", "kind": "interest", "target": "A"}
        ),
    )


@bad("which is not subordinate", "waterfall", file="deal.yaml", column="waterfall.normal.return-B")
def subordinate_return_to_senior(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: step(d, "normal", "return-B").update(target="A"))


# --- path traversal in every file reference ------------------------------------------------------------------


@bad("must be relative and stay inside", "traversal", file="deal.yaml", column="tapes.obligors")
def tape_dotdot(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["tapes"].update(obligors="../../etc/passwd"))


@bad("must be relative and stay inside", "traversal", file="deal.yaml", column="tapes.assets")
def tape_absolute(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["tapes"].update(assets="/etc/passwd"))


@bad("leaves the package", "traversal", file="deal.yaml", column="tapes.obligors")
def tape_symlink_outside(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "obligors.csv").unlink()
    (root / "obligors.csv").symlink_to(outside(root))


@bad("leaves the package", "traversal", file="data_assets.csv", row=2, column="sample_file")
def sample_symlink_outside(root: Path, mp: pytest.MonkeyPatch) -> None:
    sample = root / "samples" / "DA-V2X.csv"
    target = outside(root, "sample.csv", sample.read_text(encoding="utf-8"))
    sample.unlink()
    sample.symlink_to(target)


@bad("leaves the package", "traversal", file="data_assets.csv", row=3, column="spec_file")
def spec_folder_symlink_outside(root: Path, mp: pytest.MonkeyPatch) -> None:
    shutil.move(root / "specs", root.parent / "specs-outside")
    (root / "specs").symlink_to(root.parent / "specs-outside", target_is_directory=True)


@bad("must be relative and stay inside", "traversal", file="data_assets.csv", row=2, column="sample_file")
def sample_dotdot(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "data_assets.csv", 2, "sample_file", "../../etc/passwd")


@bad("must be relative and stay inside", "traversal", file="data_assets.csv", row=2, column="spec_file")
def spec_absolute(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "data_assets.csv", 2, "spec_file", "/etc/passwd")


@bad("must be relative and stay inside", "traversal", file="data_assets.csv", row=4, column="evidence_file")
def evidence_dotdot(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "data_assets.csv", 4, "evidence_file", "evidence/../../../secret.txt")


@bad("must be relative and stay inside", "traversal", file="deal.yaml", column="sandbox.registry")
def registry_seed_dotdot(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["sandbox"].update(registry="../../etc/passwd"))


@bad("must be relative and stay inside", "traversal", file="deal.yaml", column="sandbox.bank")
def bank_seed_absolute(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d["sandbox"].update(bank="/etc/hostname"))


@bad("must be relative and stay inside", "traversal", file="deal.yaml", column="valuation")
def valuation_absolute(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d.update(valuation="/etc/passwd"))


@bad("must be relative and stay inside", "traversal", file="deal.yaml", column="documents.0.file")
def document_dotdot(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(
        root, lambda d: d.setdefault("documents", [{"id": "prospectus"}])[0].update(file="../secret.md")
    )


@bad("leaves the package", "traversal", file="deal.yaml")
def deal_yaml_symlink_outside(root: Path, mp: pytest.MonkeyPatch) -> None:
    target = outside(root, "deal.yaml", (root / "deal.yaml").read_text(encoding="utf-8"))
    (root / "deal.yaml").unlink()
    (root / "deal.yaml").symlink_to(target)


@bad(
    "must be relative and stay inside",
    "traversal",
    file="specs/DA-PARKING.yaml",
    column="references.lot.file",
)
def spec_reference_dotdot(root: Path, mp: pytest.MonkeyPatch) -> None:
    path = root / "specs" / "DA-PARKING.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["references"] = [
        {"id": "lot", "column": next(iter(data["columns"])), "file": "../../etc/passwd", "key": "k"}
    ]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


# --- YAML attacks and shapes ---------------------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@bad("aliases", "yaml", file="deal.yaml", row=2)
def billion_laughs(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "deal.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")


@bad("could not determine a constructor", "yaml", file="deal.yaml", row=1)
def unsafe_python_tag(root: Path, mp: pytest.MonkeyPatch) -> None:
    text = (root / "deal.yaml").read_text(encoding="utf-8")
    (root / "deal.yaml").write_text(
        "x: !!python/object/apply:os.system ['touch /tmp/pwned']\n" + text, encoding="utf-8"
    )


@bad("duplicate key 'name' (first at line 2)", "yaml", file="deal.yaml", row=5)
def duplicate_yaml_key(root: Path, mp: pytest.MonkeyPatch) -> None:
    text = (root / "deal.yaml").read_text(encoding="utf-8").splitlines()
    text = [line for line in text if not line.startswith("#")]
    text.insert(4, "name: a second name")
    (root / "deal.yaml").write_text("\n".join(text) + "\n", encoding="utf-8")


@bad("duplicate key 'standard'", "yaml", file="specs/DA-V2X.yaml")
def duplicate_key_in_spec(root: Path, mp: pytest.MonkeyPatch) -> None:
    path = root / "specs" / "DA-V2X.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "standard: GB/T 0000\n", encoding="utf-8")


@bad("not a list", "yaml", file="deal.yaml")
def deal_yaml_is_a_list(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "deal.yaml").write_text(yaml.safe_dump([deal(root)], allow_unicode=True), encoding="utf-8")


@bad("empty file", "empty", file="deal.yaml")
def deal_yaml_empty(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "deal.yaml").write_bytes(b"")


@bad("not a str", "yaml", file="deal.yaml")
def deal_yaml_is_a_scalar(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "deal.yaml").write_text("just some words\n", encoding="utf-8")


@bad("nest", "yaml", file="deal.yaml", row=1)
def deeply_nested_yaml(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "deal.yaml").write_text("policy: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")


@bad("invalid YAML", "yaml", file="deal.yaml", row=5)
def yaml_syntax_error(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "deal.yaml").write_text(
        "deal_id: demo\nname: x\ndates:\n  cut_off: [2025-06-30\n", encoding="utf-8"
    )


# --- missing things and directories where files belong -------------------------------------------------------


@bad("is a directory", "directory", file="deal.yaml")
def deal_yaml_is_a_directory(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "deal.yaml").unlink()
    (root / "deal.yaml").mkdir()


@bad("is a directory", "directory", file="obligors.csv")
def tape_is_a_directory(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "obligors.csv").unlink()
    (root / "obligors.csv").mkdir()


@bad("is a directory", "directory", file="data_assets.csv", row=2, column="sample_file")
def sample_is_a_directory(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "data_assets.csv", 2, "sample_file", "samples")


@bad("file not found", "missing", file="schedules.csv")
def tape_missing(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "schedules.csv").unlink()


@bad("not found", "missing", file="data_assets.csv", row=3, column="spec_file")
def spec_missing(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "specs" / "DA-PADDY.yaml").unlink()


@bad("not found", "missing", file="deal.yaml", column="valuation")
def valuation_missing(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d.update(valuation="valuation-2025.yaml"))


@bad("not found", "missing", file="deal.yaml", column="documents.0.file")
def document_missing(root: Path, mp: pytest.MonkeyPatch) -> None:
    edit_deal(root, lambda d: d.update(documents=[{"id": "prospectus", "file": "documents/nope.pdf"}]))


@bad("not found: not a deal package", "missing", file="deal.yaml")
def not_a_package(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "deal.yaml").unlink()


# --- referenced files: valuation, bank seed, registry seed, specs, sample headers -----------------------------


@bad("", "referenced-file", file="valuation.yaml")
def valuation_invalid(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "valuation.yaml").write_text("assets:\n- data_asset_id: DA-V2X\n  mystery: 1\n", encoding="utf-8")
    edit_deal(root, lambda d: d.update(valuation="valuation.yaml"))


@bad("aliases", "referenced-file", file="valuation.yaml", row=2)
def valuation_alias_bomb(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "valuation.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    edit_deal(root, lambda d: d.update(valuation="valuation.yaml"))


@bad("invalid JSON", "referenced-file", file="bank.json", row=1)
def bank_seed_not_json(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "bank.json").write_text("{'account_no': 1}", encoding="utf-8")
    edit_deal(root, lambda d: d["sandbox"].update(bank="bank.json"))


@bad("must be a JSON object", "referenced-file", file="bank.json")
def bank_seed_json_list(root: Path, mp: pytest.MonkeyPatch) -> None:
    (root / "bank.json").write_text("[]", encoding="utf-8")
    edit_deal(root, lambda d: d["sandbox"].update(bank="bank.json"))


@bad("invalid JSON", "referenced-file", file="registry/registry.json")
def registry_seed_truncated(root: Path, mp: pytest.MonkeyPatch) -> None:
    path = root / "registry" / "registry.json"
    path.write_bytes(path.read_bytes()[:100])


@bad("missing from the header", "referenced-file", file="samples/DA-V2X.csv", row=1, column="rsu_id")
def sample_lacks_required_column(root: Path, mp: pytest.MonkeyPatch) -> None:
    path = root / "samples" / "DA-V2X.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0].replace("rsu_id", "rsu"), encoding="utf-8")


@bad("unknown key", "referenced-file", file="specs/DA-METER.yaml", column="colums")
def spec_unknown_key(root: Path, mp: pytest.MonkeyPatch) -> None:
    path = root / "specs" / "DA-METER.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "colums: {}\n", encoding="utf-8")


@bad("is not one of", "enum", file="obligors.csv", row=2, column="industry")
def unknown_industry_code(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "obligors.csv", 2, "industry", "Z")


@bad("not a boolean", "enum", file="assets.csv", row=2, column="restructured")
def bad_boolean(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "restructured", "maybe")


@bad("does not match", "enum", file="assets.csv", row=2, column="asset_id")
def id_with_path_characters(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "assets.csv", 2, "asset_id", "../L01")


@bad("missing value", "enum", file="obligors.csv", row=5, column="uscc")
def blank_required_cell(root: Path, mp: pytest.MonkeyPatch) -> None:
    set_cell(root, "obligors.csv", 5, "uscc", "  ")
