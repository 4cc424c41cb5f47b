"""Building blocks of the synthetic data samples: a portable random source, fields, defects and scenarios.

Determinism: every draw comes from ``Generator.random()`` (uniform doubles of a seeded PCG64) followed by plain
arithmetic — no transcendental functions, whose last bits vary between CPUs — so a sample written on one
machine is byte-for-byte the sample written on another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

Columns = dict[str, Any]  # column name -> numpy array (or list) of values, one per row
SQRT3 = 1.7320508075688772
EPOCH = np.datetime64("1970-01-01T00:00:00", "s")


class Inline(dict[str, Any]):
    """A mapping written on one line in YAML (a spec column, a rule, a waterfall step)."""


class Rand:
    """Seeded uniform draws and the few distributions the samples need, built from them by arithmetic."""

    def __init__(self, seed: int, stream: int) -> None:
        self._gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream])))

    def unit(self, n: int) -> np.ndarray:
        """``n`` uniform draws in [0, 1)."""
        return self._gen.random(n)

    def uniform(self, n: int, low: float, high: float) -> np.ndarray:
        """Uniform draws in [low, high)."""
        return low + (high - low) * self.unit(n)

    def integers(self, n: int, low: int, high: int) -> np.ndarray:
        """Uniform integers in [low, high] inclusive."""
        return low + np.floor(self.unit(n) * (high - low + 1)).astype(np.int64)

    def bell(self, n: int, mean: float, sd: float) -> np.ndarray:
        """Bell-shaped draws (Irwin–Hall of 4 uniforms, scaled to the given mean and sd)."""
        total = self.unit(n) + self.unit(n) + self.unit(n) + self.unit(n)
        return mean + (total - 2.0) * sd * SQRT3

    def pick(self, n: int, weights: Sequence[float]) -> np.ndarray:
        """Indices 0..len(weights)-1 drawn with the given (unnormalised) weights."""
        cumulative = np.cumsum(np.asarray(weights, dtype=float))
        return np.minimum(
            np.searchsorted(cumulative / cumulative[-1], self.unit(n), side="right"), len(weights) - 1
        )

    def choice(self, n: int, values: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
        """Values drawn with weights (uniform when none)."""
        index = self.pick(n, weights if weights is not None else [1.0] * len(values))
        return np.asarray(values, dtype=object)[index]

    def sample(self, candidates: np.ndarray, k: int) -> np.ndarray:
        """``k`` distinct candidates, sorted."""
        order = np.argsort(self.unit(len(candidates)), kind="stable")
        return np.sort(candidates[order[: min(k, len(candidates))]])

    def letters(self, n: int, length: int) -> np.ndarray:
        """Pseudonymous upper-case codes without digits (masked ids never look like numbers)."""
        alphabet = np.frombuffer(b"ABCDEFGHJKLMNPQRSTUVWXYZ", dtype=np.uint8)
        chars = alphabet[self.integers(n * length, 0, len(alphabet) - 1)].reshape(n, length)
        return np.ascontiguousarray(chars).view(f"S{length}").ravel().astype(f"U{length}").astype(object)

    def classes(self, n: int, weights: Sequence[float], k: int = 5) -> np.ndarray:
        """Class indices in which every class that occurs has at least ``k`` rows (k-anonymity by design)."""
        used = max(1, min(len(weights), n // k))
        base = np.repeat(np.arange(used), k)[:n]
        rest = self.pick(n - len(base), list(weights)[:used])
        drawn = np.concatenate([base, rest])
        return drawn[np.argsort(self.unit(n), kind="stable")]

    def times(
        self, n: int, start: datetime, end: datetime, hour_weights: Sequence[float] | None = None
    ) -> np.ndarray:
        """Sorted timestamps (seconds since epoch) in [start, end), optionally shaped by hour of day."""
        first = int((np.datetime64(start, "s") - EPOCH).astype(np.int64))
        last = int((np.datetime64(end, "s") - EPOCH).astype(np.int64))
        if hour_weights is None:
            seconds = first + np.floor(self.unit(n) * (last - first)).astype(np.int64)
        else:
            days = (last - first) // 86400
            day = self.integers(n, 0, days - 1)
            hour = self.pick(n, hour_weights)
            seconds = first + day * 86400 + hour * 3600 + self.integers(n, 0, 3599)
        return np.sort(seconds, kind="stable")


def serials(prefix: str, start: int, n: int, width: int) -> np.ndarray:
    """``prefix`` followed by zero-padded consecutive numbers."""
    return np.array([f"{prefix}{i:0{width}d}" for i in range(start, start + n)], dtype=object)


def codes(prefix: str, count: int, width: int) -> list[str]:
    """A list of ``count`` codes ``prefix`` + 1-based zero-padded number."""
    return [f"{prefix}{i:0{width}d}" for i in range(1, count + 1)]


def timestamps(seconds: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD HH:MM:SS' strings of epoch seconds."""
    text = np.datetime_as_string(
        EPOCH + np.asarray(seconds, dtype=np.int64).astype("timedelta64[s]"), unit="s"
    )
    return np.char.replace(text, "T", " ").astype(object)


def dates(seconds: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' strings of epoch seconds."""
    day = (EPOCH + np.asarray(seconds, dtype=np.int64).astype("timedelta64[s]")).astype("datetime64[D]")
    return np.datetime_as_string(day, unit="D").astype(object)


@dataclass(frozen=True)
class Field:
    """A sample column: its spec entry (type, required, unique, pattern, codes, range) and print precision."""

    name: str
    type: str
    required: bool = False
    unique: bool = False
    pattern: str | None = None
    codes: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    decimals: int | None = None

    def spec(self) -> dict[str, Any]:
        """The column's entry in the spec YAML."""
        entry: dict[str, Any] = {"type": self.type}
        if self.required:
            entry["required"] = True
        if self.unique:
            entry["unique"] = True
        if self.pattern:
            entry["pattern"] = self.pattern
        if self.codes:
            entry["codes"] = list(self.codes)
        if self.min is not None:
            entry["min"] = self.min
        if self.max is not None:
            entry["max"] = self.max
        return entry


@dataclass(frozen=True)
class Defect:
    """A planted defect: its kind, column, share of rows and the value it plants."""

    kind: str  # null | out_of_range | bad_code | unknown_reference | rule_break | pii_decoy | duplicate_key | out_of_order
    column: str
    rate: float
    value: Any = None
    note: str = ""

    def count(self, rows: int) -> int:
        """Rows affected in a sample of ``rows`` rows."""
        return round(self.rate * rows)


@dataclass(frozen=True)
class Scenario:
    """One data-sample scenario: its fields, spec extras, planted defects and the builder of clean rows."""

    kind: str
    title: str
    standard: str
    fields: tuple[Field, ...]
    build: Callable[[Rand, int], Columns]
    defects: tuple[Defect, ...]
    row_key: tuple[str, ...] = ("record_id",)
    rules: tuple[dict[str, Any], ...] = ()
    references: tuple[dict[str, Any], ...] = ()
    timeliness: dict[str, Any] = field(default_factory=dict)
    quasi_identifiers: tuple[str, ...] = ()
    lookups: Callable[[], dict[str, pd.DataFrame]] | None = None

    def spec(self) -> dict[str, Any]:
        """The sample's data spec in the governance spec shape."""
        return {
            "standard": self.standard,
            "row_key": list(self.row_key),
            "columns": {f.name: Inline(f.spec()) for f in self.fields},
            "rules": [Inline(r) for r in self.rules],
            "references": [Inline(r) for r in self.references],
            "timeliness": Inline(self.timeliness),
            "accessibility": Inline(endpoint=None),
            "quasi_identifiers": list(self.quasi_identifiers),
        }


def plant(
    columns: Columns, defects: Sequence[Defect], rand: Rand, decoys: Callable[[int], list[str]]
) -> Columns:
    """Plant the defects into clean, time-ordered columns; value defects first, then key and order defects."""
    rows = len(next(iter(columns.values())))
    out = {name: np.asarray(values, dtype=object).copy() for name, values in columns.items()}
    free = np.ones(rows, dtype=bool)  # value defects land on distinct rows, so every planted count is exact
    for defect in defects:
        if defect.kind in ("duplicate_key", "out_of_order"):
            continue
        where = rand.sample(np.flatnonzero(free), defect.count(rows))
        free[where] = False
        target = out[defect.column]
        if defect.kind == "null":
            target[where] = None
        elif defect.kind == "rule_break":
            target[where] = np.asarray([v + defect.value for v in target[where]], dtype=object)
        elif defect.kind == "pii_decoy":
            target[where] = np.asarray([defect.value.format(d) for d in decoys(len(where))], dtype=object)
        else:  # out_of_range, bad_code, unknown_reference: a fixed wrong value
            target[where] = defect.value
    odd = np.arange(1, rows, 2)
    for defect in defects:
        if defect.kind == "duplicate_key":
            where = rand.sample(odd, defect.count(rows))
            out[defect.column][where] = out[defect.column][where - 1]
        elif defect.kind == "out_of_order":
            order = out[defect.column]
            pairs = odd[order[odd] != order[odd - 1]] if rows > 1 else odd
            where = rand.sample(pairs, defect.count(rows))
            for values in out.values():
                values[where - 1], values[where] = values[where].copy(), values[where - 1].copy()
    return out


def to_frame(columns: Columns, fields: Sequence[Field]) -> pd.DataFrame:
    """The CSV-ready frame: numbers rounded to their precision, booleans as true/false, nulls as empty text."""
    frame = {}
    for f in fields:
        values = columns[f.name]
        if f.type == "number":
            frame[f.name] = [None if v is None else _fixed(v, f.decimals) for v in values]
        elif f.type == "boolean":
            frame[f.name] = [None if v is None else ("true" if v else "false") for v in values]
        elif f.type == "integer":
            frame[f.name] = [None if v is None else str(int(v)) for v in values]
        else:
            frame[f.name] = list(values)
    return pd.DataFrame(frame, columns=[f.name for f in fields], dtype=object)


def _fixed(value: float, decimals: int | None) -> str:
    """A number printed with a fixed number of decimals (no '-0.0')."""
    text = f"{float(value):.{decimals if decimals is not None else 2}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text
