"""Import a bank statement file (银行对账单) dropped by operations: CSV (UTF-8/GB18030) or XLSX, 中文 or English headers.

The file is read as text by the tape readers, headers are mapped to the bank transaction columns, each cell is
checked by its column contract, and every bad row is reported at once with file, row (the header is row 1) and
the column as the file names it. The result has the columns of ``dataabs.connectors.bank.BankTransaction``;
amounts are exact ``Decimal`` yuan; a transaction listed twice with the same content is kept once.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

from dataabs.connectors.bank import TRANSACTION_COLUMNS
from dataabs.errors import PackageInvalid, Problem
from dataabs.package.tapes import Column, TapeSpec, read_table, typed_tape

HEADERS: dict[str, tuple[str, ...]] = {
    "transaction_id": ("交易流水号", "流水号", "交易编号", "transaction id"),
    "value_date": ("交易日期", "记账日期", "起息日", "value date", "date"),
    "amount": ("金额", "交易金额", "发生额"),
    "currency": ("币种",),
    "counterparty_name": ("对方户名", "对方名称", "counterparty"),
    "counterparty_account": ("对方账号", "对方账户"),
    "reference": ("摘要", "附言", "用途", "备注", "memo"),
    "direction": ("借贷标志", "借贷方向", "收支方向"),
}
DIRECTIONS = {
    "credit": ("credit", "cr", "c", "贷", "贷方", "收", "收入", "来账"),
    "debit": ("debit", "dr", "d", "借", "借方", "付", "支", "支出", "往账"),
}
STATEMENT = TapeSpec(
    "statement",
    (
        Column("transaction_id", "text", unique=False, pattern=r"^[\w./:-]{1,64}$"),
        Column("value_date", "date"),
        Column("amount", "money", minimum=Decimal("0.01")),
        Column("currency", "enum", required=False, choices=("CNY",)),
        Column("counterparty_name", "text", required=False),
        Column("counterparty_account", "text", required=False),
        Column("reference", "text", required=False),
        Column("direction", "enum", choices=("credit", "debit")),
    ),
)
_ALIASES = {alias.casefold(): name for name, aliases in HEADERS.items() for alias in (name, *aliases)}
_DIRECTION = {alias.casefold(): name for name, aliases in DIRECTIONS.items() for alias in aliases}


def read_statement(path: Path | str) -> pd.DataFrame:
    """Read a statement file into bank-transaction columns, or raise ``PackageInvalid`` listing every bad cell."""
    path = Path(path)
    frame, problems = read_table(path)
    if frame is None:
        raise PackageInvalid(str(path), problems)
    renamed = {c: _ALIASES.get(c.strip().casefold(), c) for c in frame.columns}
    problems = _header_problems(str(path), renamed)
    if problems:
        raise PackageInvalid(str(path), problems)
    original = {v: k for k, v in renamed.items()}
    text = frame.rename(columns=renamed)
    text = _normalise(text)
    typed, problems = typed_tape(STATEMENT, text, str(path))
    problems += _precision_problems(typed, str(path))
    problems += _conflicting_duplicates(typed, str(path))
    if problems:
        raise PackageInvalid(str(path), [_as_named(p, original) for p in problems])
    typed["currency"] = typed["currency"].where(typed["currency"].notna(), "CNY")
    for column in ("counterparty_name", "counterparty_account", "reference"):
        typed[column] = typed[column].where(typed[column].notna(), "")
    out = typed[list(TRANSACTION_COLUMNS)].drop_duplicates(subset=["transaction_id"], keep="first")
    return out.reset_index(drop=True)


def _header_problems(file: str, renamed: dict[str, str]) -> list[Problem]:
    """Missing required columns and two file columns mapped onto one."""
    targets = list(renamed.values())
    problems = [
        Problem(file, f"two columns mean {t!r}", column=t)
        for t in sorted(set(targets))
        if targets.count(t) > 1
    ]
    names = {c.name: "/".join((*HEADERS[c.name][:1], c.name)) for c in STATEMENT.columns}
    return problems + [
        Problem(file, f"required column is missing (expected {names[c.name]})", column=c.name)
        for c in STATEMENT.columns
        if c.required and c.name not in targets
    ]


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Accept common bank spellings: 2025/09/22, 20250922, spreadsheet datetimes, 贷/借 flags."""
    out = frame.copy()
    dates = out["value_date"].astype(str).str.strip()
    dates = dates.str.replace(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$", _pad, regex=True)
    dates = dates.str.replace(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", regex=True)
    out["value_date"] = dates.str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]00:00(:00)?$", r"\1", regex=True)
    if "direction" in out.columns:
        flags = out["direction"].astype(str).str.strip()
        out["direction"] = flags.map(lambda v: _DIRECTION.get(v.casefold(), v))
    return out


def _pad(match: re.Match[str]) -> str:
    """ISO form of a y/m/d match."""
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _precision_problems(typed: pd.DataFrame, file: str) -> list[Problem]:
    """Amounts with fractions of a fen are refused, not rounded."""
    return [
        Problem(file, f"{amount} has more than two decimals (fen)", row=i + 2, column="amount")
        for i, amount in enumerate(typed["amount"].tolist())
        if isinstance(amount, Decimal) and amount != amount.quantize(Decimal("0.01"))
    ]


def _conflicting_duplicates(typed: pd.DataFrame, file: str) -> list[Problem]:
    """A transaction id listed twice with different content (identical repeats are kept once)."""
    keyed = typed[list(TRANSACTION_COLUMNS)].astype(str)
    repeated = keyed[keyed["transaction_id"].duplicated(keep=False) & typed["transaction_id"].notna()]
    distinct = repeated.drop_duplicates()
    clashing = distinct["transaction_id"][distinct["transaction_id"].duplicated(keep="first")]
    return [
        Problem(
            file,
            f"transaction {keyed.at[i, 'transaction_id']!r} repeats with different content",
            row=int(i) + 2,
            column="transaction_id",
        )
        for i in clashing.index
    ]


def _as_named(problem: Problem, original: dict[str, str]) -> Problem:
    """The problem with the column as the file names it (e.g. 金额 rather than amount)."""
    if problem.column is None or problem.column not in original:
        return problem
    return Problem(problem.file, problem.reason, problem.row, original[problem.column])
