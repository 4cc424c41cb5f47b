"""Tape column contracts and readers: CSV (UTF-8, UTF-8 BOM, GB18030), XLSX and Parquet, all read as text first."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from dataabs.errors import Problem
from dataabs.money import to_money

MAX_TAPE_BYTES = 512 * 1024 * 1024
FORMULA_PREFIXES = ("=", "+", "-", "@")
_SIGNED_NUMBER = re.compile(r"[+-]\d[\d,]*(\.\d+)?([eE][+-]?\d+)?%?")


def formula_like(text: str) -> bool:
    """A cell a spreadsheet would run as a formula (CSV injection): ``=``, ``@``, or ``+``/``-`` not a number."""
    value = text.strip()
    if len(value) < 2 or not value.startswith(FORMULA_PREFIXES):
        return False
    return value[0] in "=@" or not _SIGNED_NUMBER.fullmatch(value)


@dataclass(frozen=True)
class Column:
    """One tape column: its type, whether it is required, allowed values, uniqueness and references."""

    name: str
    kind: str  # text | money | rate | int | date | bool | enum
    required: bool = True
    choices: tuple[str, ...] = ()
    unique: bool = False
    references: str | None = None  # "<tape>.<column>" or "parties.id"
    minimum: Decimal | None = None
    pattern: str | None = None
    description: str = ""


@dataclass(frozen=True)
class TapeSpec:
    """The columns of one tape; extra columns are allowed and kept as text."""

    name: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def key(self) -> Column:
        """The tape's id column (the first one)."""
        return self.columns[0]


ZERO = Decimal(0)
DAY_COUNTS = ("ACT/365F", "ACT/365", "ACT/360", "30/360")
GBT4754_SECTIONS = tuple("ABCDEFGHIJKLMNOPQRST")

TAPES: dict[str, TapeSpec] = {
    "obligors": TapeSpec(
        "obligors",
        (
            Column("obligor_id", "text", unique=True, pattern=r"^[A-Za-z0-9_-]+$", description="Obligor id."),
            Column("name", "text", description="Legal name."),
            Column("uscc", "text", description="统一社会信用代码."),
            Column("province", "text"),
            Column("city", "text"),
            Column("industry", "enum", choices=GBT4754_SECTIONS, description="GB/T 4754 section letter."),
            Column("dishonest", "bool", required=False, description="失信被执行人 flag."),
            Column("rating", "text", required=False),
            Column("private", "bool", required=False, description="Private obligor: masked in strats."),
        ),
    ),
    "assets": TapeSpec(
        "assets",
        (
            Column("asset_id", "text", unique=True, pattern=r"^[A-Za-z0-9_-]+$"),
            Column("obligor_id", "text", references="obligors.obligor_id"),
            Column("asset_type", "enum", choices=("loan", "receivable", "lease", "revenue_right")),
            Column("principal", "money", minimum=ZERO, description="Outstanding principal at cut-off, yuan."),
            Column("currency", "enum", choices=("CNY",)),
            Column("rate", "rate", minimum=ZERO),
            Column("rate_type", "enum", choices=("fixed", "floating")),
            Column("day_count", "enum", choices=DAY_COUNTS),
            Column("origination_date", "date"),
            Column("maturity_date", "date"),
            Column("status", "enum", choices=("performing", "overdue", "defaulted")),
            Column("max_days_past_due", "int", minimum=ZERO),
            Column("restructured", "bool"),
            Column("fully_drawn", "bool"),
            Column(
                "data_asset_id",
                "text",
                required=False,
                references="data_assets.data_asset_id",
                description="Pledged data asset, blank if none.",
            ),
            Column(
                "guarantor_id",
                "text",
                required=False,
                references="parties.id",
                description="Party guaranteeing the asset (保函/担保), blank if none.",
            ),
        ),
    ),
    "schedules": TapeSpec(
        "schedules",
        (
            Column("asset_id", "text", references="assets.asset_id"),
            Column("due_date", "date"),
            Column(
                "principal_due",
                "money",
                minimum=ZERO,
                description="Scheduled principal; 0 on interest-only dates.",
            ),
            Column(
                "interest_due",
                "money",
                required=False,
                minimum=ZERO,
                description="Contractual interest, if the tape states it; else computed from the day count.",
            ),
        ),
    ),
    "data_assets": TapeSpec(
        "data_assets",
        (
            Column("data_asset_id", "text", unique=True, pattern=r"^[A-Za-z0-9_-]+$"),
            Column("name", "text"),
            Column("holder_obligor_id", "text", references="obligors.obligor_id"),
            Column("data_type", "text", description="What the data is (telemetry, agronomy, ...)."),
            Column(
                "classification",
                "enum",
                choices=("general", "important", "core"),
                description="GB/T 43697-2024 level.",
            ),
            Column(
                "source_type",
                "enum",
                choices=("self_collected", "licensed", "purchased", "public_authorised"),
            ),
            Column("authorisation_ref", "text", required=False),
            Column("authorisation_expiry", "date", required=False),
            Column("waiver_ref", "text", required=False, description="Recorded waiver for important data."),
            Column("risk_assessment_date", "date", required=False),
            Column("sample_file", "text", description="Path of the data sample inside the package."),
            Column(
                "spec_file", "text", description="Path of the sample's data spec (YAML) inside the package."
            ),
            Column("certificate_no", "text", required=False),
            Column(
                "evidence_file",
                "text",
                required=False,
                description="Registration evidence file inside the package.",
            ),
            Column("registry", "text", required=False),
            Column("book_value", "money", minimum=ZERO, description="Carrying amount (财会〔2023〕11号)."),
        ),
    ),
}


def read_table(path: Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV/XLSX/Parquet tape as text columns; problems name the file (and row) on failure."""
    name = str(path)
    try:
        if path.is_dir():
            return None, [Problem(name, "is a directory, not a file")]
        if not path.is_file():
            return None, [Problem(name, "file not found")]
        size = path.stat().st_size
    except OSError as exc:
        return None, [Problem(name, f"cannot open: {exc.strerror or exc}")]
    if size > MAX_TAPE_BYTES:
        return None, [Problem(name, f"file is larger than the {_size_text(MAX_TAPE_BYTES)} cap")]
    if size == 0:
        return None, [Problem(name, "empty file: no header row")]
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return _read_csv(path)
        if suffix in (".xlsx", ".xlsm"):
            too_big = _unpacked_too_big(path)
            if too_big:
                return None, [Problem(name, too_big)]
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        elif suffix == ".parquet":
            too_big = _parquet_too_big(path)
            if too_big:
                return None, [Problem(name, too_big)]
            frame = pd.read_parquet(path).astype("string").fillna("").astype(object)
        else:
            return None, [Problem(name, f"unsupported tape format {suffix!r} (use .csv, .xlsx or .parquet)")]
    except Exception as exc:  # any reader failure is a defect of the file, reported with its place
        return None, [Problem(name, f"cannot read {suffix[1:].upper()} file: {type(exc).__name__}: {exc}")]
    frame.columns = [str(c).strip() for c in frame.columns]
    header_problems = _header_problems([str(c) for c in frame.columns], name)
    if header_problems:
        return None, header_problems
    frame = frame.map(_midnight_as_date)
    return frame, []


def _size_text(size: int) -> str:
    """A byte count for a message: MiB when large, bytes otherwise."""
    return f"{size // 2**20} MiB" if size >= 2**20 else f"{size} bytes"


def _unpacked_too_big(path: Path) -> str | None:
    """An XLSX is a zip: refuse one that is not a zip or that unpacks beyond the size cap (zip bomb)."""
    if not zipfile.is_zipfile(path):
        return "not an XLSX workbook (not a zip archive)"
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if "[Content_Types].xml" not in archive.namelist():
            return "not an XLSX workbook (a zip archive without [Content_Types].xml)"
    if unpacked > MAX_TAPE_BYTES:
        return f"unpacks to more than the {_size_text(MAX_TAPE_BYTES)} cap"
    return None


def _parquet_too_big(path: Path) -> str | None:
    """Refuse a Parquet file whose uncompressed row groups exceed the size cap."""
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    unpacked = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if unpacked > MAX_TAPE_BYTES:
        return f"unpacks to more than the {_size_text(MAX_TAPE_BYTES)} cap"
    return None


def _midnight_as_date(value: object) -> object:
    """Spreadsheet and Parquet dates arrive as ``YYYY-MM-DD 00:00:00``; keep the date."""
    if isinstance(value, str) and len(value) == 19 and value.endswith(" 00:00:00"):
        return value[:10]
    return value


def _header_problems(header: list[str], file: str) -> list[Problem]:
    """Blank or repeated column names make a tape ambiguous."""
    problems = [
        Problem(file, "blank column name in the header", row=1, column=f"#{i}")
        for i, name in enumerate(header, start=1)
        if not name
    ]
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.append(Problem(file, "column appears twice in the header", row=1, column=name))
        seen.add(name)
    return problems


def _decode(raw: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 (with or without BOM) or GB18030 text; UTF-16/32, binary and single-byte encodings are refused."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, [Problem(file, "UTF-16/UTF-32 text: save the file as UTF-8 (or GB18030)")]
    if b"\x00" in raw:
        return None, [Problem(file, "binary content (NUL bytes): not a CSV text file")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        line = raw[: utf8_error.start].count(b"\n") + 1
        return None, [
            Problem(file, "unreadable encoding: not UTF-8 or GB18030 (Latin-1? save as UTF-8)", row=line)
        ]
    if not _looks_chinese(text):
        return None, [
            Problem(
                file,
                "not UTF-8, and read as GB18030 it is not Chinese text (Latin-1/Windows-1252?): save as UTF-8",
            )
        ]
    return text, []


def _looks_chinese(text: str) -> bool:
    """Text decoded as GB18030 is plausible when most non-ASCII characters are in GB2312 (everyday Chinese)."""
    wide = [ch for ch in text if ord(ch) > 127]
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            continue
    return common * 2 >= len(wide)


def _read_csv(path: Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Decode UTF-8 (with or without BOM) or GB18030, then parse strictly: ragged rows and bad quotes are errors."""
    name = str(path)
    text, problems = _decode(path.read_bytes(), name)
    if text is None:
        return None, problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        return None, [Problem(name, f"malformed CSV: {exc}", row=len(rows) + 1)]
    if not rows or not any(cell.strip() for cell in rows[0]):
        return None, [Problem(name, "empty file: no header row")]
    header = [h.strip() for h in rows[0]]
    problems = _header_problems(header, name)
    problems += [
        Problem(name, f"has {len(r)} fields, header has {len(header)}", row=i + 1)
        for i, r in enumerate(rows[1:], start=1)
        if len(r) != len(header) and any(cell.strip() for cell in r)
    ]
    if problems:
        return None, problems
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    return pd.DataFrame(body, columns=header, dtype=object), []


Parser = Callable[[str], object]


def _parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "y", "是"):
        return True
    if lowered in ("false", "0", "no", "n", "否"):
        return False
    raise ValueError(f"not a boolean: {value!r} (use true/false)")


def _parse_date(value: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise ValueError(f"not an ISO date YYYY-MM-DD: {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"impossible date {value!r}") from exc


def _parse_int(value: str) -> int:
    if not re.fullmatch(r"-?\d+", value.strip()):
        raise ValueError(f"not a whole number: {value!r}")
    return int(value)


PARSERS: dict[str, Parser] = {
    "text": lambda v: v.strip(),
    "enum": lambda v: v.strip(),
    "money": to_money,
    "rate": to_money,
    "int": _parse_int,
    "date": _parse_date,
    "bool": _parse_bool,
}

MAX_AMOUNT = Decimal("1e13")  # ¥10 trillion: anything larger is a unit or typing error


def check_cell(column: Column, raw: str) -> tuple[object, str | None]:
    """Parse one cell by its column contract; returns the value or the reason it is wrong."""
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    if not text.strip():
        return None, ("missing value" if column.required else None)
    if column.kind == "text" and formula_like(text):
        return None, f"formula-like text {text.strip()[:20]!r} is not allowed (spreadsheet injection)"
    try:
        value = PARSERS[column.kind](text)
    except ValueError as exc:
        return None, str(exc)
    if column.choices and value not in column.choices:
        return None, f"{value!r} is not one of {', '.join(column.choices)}"
    if column.pattern and not re.fullmatch(column.pattern, str(value)):
        return None, f"{value!r} does not match {column.pattern}"
    if isinstance(value, Decimal):
        if column.minimum is not None and value < column.minimum:
            return None, f"{value} is below the minimum {column.minimum}"
        if abs(value) > MAX_AMOUNT:
            return None, f"{value} is implausibly large"
        if column.kind == "rate" and value >= 1:
            return None, f"{value} is not a decimal rate (0.038 for 3.8%)"
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and column.minimum is not None
        and value < column.minimum
    ):
        return None, f"{value} is below the minimum {column.minimum}"
    return value, None


def typed_tape(spec: TapeSpec, frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and convert a text tape by its contract; row numbers count the header as row 1."""
    problems = [
        Problem(file, "required column is missing", column=c.name)
        for c in spec.columns
        if c.required and c.name not in frame.columns
    ]
    if problems:
        return frame, problems
    out = frame.copy()
    known = {c.name for c in spec.columns}
    for extra in (c for c in frame.columns if c not in known):
        problems += [
            Problem(
                file,
                f"formula-like text {str(raw).strip()[:20]!r} is not allowed (spreadsheet injection)",
                row=index + 2,
                column=extra,
            )
            for index, raw in enumerate(frame[extra].tolist())
            if isinstance(raw, str) and formula_like(raw)
        ]
    for column in spec.columns:
        if column.name not in frame.columns:
            out[column.name] = None
            continue
        values: list[object] = []
        for index, raw in enumerate(frame[column.name].tolist()):
            value, reason = check_cell(column, raw)
            if reason:
                problems.append(Problem(file, reason, row=index + 2, column=column.name))
            values.append(value)
        out[column.name] = pd.Series(values, index=frame.index, dtype=object)
        if column.unique:
            duplicated = out[column.name].duplicated(keep="first") & out[column.name].notna()
            problems += [
                Problem(file, f"duplicate id {out[column.name].iloc[i]!r}", row=i + 2, column=column.name)
                for i in duplicated.to_numpy().nonzero()[0]
            ]
    return out, problems


HEADER_PEEK_BYTES = 1 << 20


def read_header(path: Path) -> tuple[list[str] | None, list[Problem]]:
    """The column names of a CSV/XLSX/Parquet file, reading only its first line (or its schema)."""
    name = str(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open("rb") as handle:
                head = handle.read(HEADER_PEEK_BYTES)
            if not head.strip():
                return None, [Problem(name, "empty file: no header row")]
            text, problems = _decode(head.split(b"\n", 1)[0], name)
            if text is None:
                return None, problems
            header = next(csv.reader(io.StringIO(text, newline="")), [])
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            header = list(pq.read_schema(path).names)
        elif suffix in (".xlsx", ".xlsm"):
            import openpyxl

            workbook = openpyxl.load_workbook(path, read_only=True)
            try:
                first = next(workbook.worksheets[0].iter_rows(max_row=1, values_only=True), ())
            finally:
                workbook.close()
            header = ["" if v is None else str(v) for v in first]
        else:
            return None, [Problem(name, f"unsupported format {suffix!r} (use .csv, .xlsx or .parquet)")]
    except Exception as exc:  # any reader failure is a defect of the file, reported with its place
        return None, [Problem(name, f"cannot read the header: {type(exc).__name__}: {exc}")]
    return [h.strip() for h in header], []
