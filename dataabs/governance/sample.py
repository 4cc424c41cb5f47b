"""Read a data sample (数据样本) as text columns: CSV (UTF-8, UTF-8 BOM, GB18030), XLSX or Parquet, fast at 10^6 rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dataabs.errors import DataabsError, Problem
from dataabs.package.tapes import MAX_TAPE_BYTES, read_table

ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class SampleUnreadable(DataabsError):
    """A data sample could not be read."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return f"Data sample {self.path} is unreadable: " + "; ".join(p.reason for p in self.problems)


def read_sample(path: Path | str) -> pd.DataFrame:
    """A sample as text columns (blank cells are missing); raises ``SampleUnreadable`` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise SampleUnreadable(str(path), [Problem(str(path), "file not found")])
    if path.stat().st_size > MAX_TAPE_BYTES:
        raise SampleUnreadable(str(path), [Problem(str(path), f"larger than {MAX_TAPE_BYTES // 2**20} MiB")])
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = _read_csv(path)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = _read_other(path)
    except SampleUnreadable:
        raise
    except Exception as exc:  # any reader failure is a defect of the file, reported with its place
        raise SampleUnreadable(str(path), [Problem(str(path), f"{type(exc).__name__}: {exc}")]) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return as_text(frame)


def _read_csv(path: Path) -> pd.DataFrame:
    """pandas' C parser, every column as text, trying UTF-8 (with or without BOM) then GB18030."""
    for encoding in ENCODINGS:
        try:
            return pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False, na_values=[""])
        except UnicodeDecodeError:
            continue
    raise SampleUnreadable(str(path), [Problem(str(path), "unreadable encoding: not UTF-8 or GB18030")])


def _read_other(path: Path) -> pd.DataFrame:
    """XLSX (and anything else the tape reader knows) through the package's tape reader."""
    frame, problems = read_table(path)
    if frame is None:
        raise SampleUnreadable(str(path), problems)
    return frame.replace("", None)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as pandas text with missing values kept missing (dates in ISO form)."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            column = column.dt.strftime("%Y-%m-%d %H:%M:%S").str.removesuffix(" 00:00:00")
        out[name] = column.astype("string").astype("str")
    return pd.DataFrame(out, index=frame.index)
