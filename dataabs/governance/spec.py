"""The data spec of a data sample (数据规范): what the sample promises, which the GB/T 36344 indicators measure.

One YAML file per sample (``spec_file`` in the data-asset tape). It declares the data standard the sample follows,
its columns (type, required, unique, pattern, code list, range), the row key, cross-column rules, references to
other files of the package, timeliness, the accessibility endpoint and the quasi-identifiers for k-anonymity.

Rule kinds:

- ``column_pair_ge``: ``a >= b`` on every row where both are present (dates, datetimes or numbers);
- ``column_pair_gt``: ``a > b`` likewise;
- ``column_pair_equal``: ``a == b`` likewise (compared as declared types);
- ``sum_equals``: ``sum(columns) == total`` within ``tolerance`` (numbers) on every row where all are present.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dataabs.errors import Problem

ColumnType = Literal["string", "integer", "number", "datetime", "date", "boolean"]
RuleKind = Literal["column_pair_ge", "column_pair_gt", "column_pair_equal", "sum_equals"]
Bound = float | date | datetime
NUMERIC_TYPES = ("integer", "number")
TEMPORAL_TYPES = ("datetime", "date")


class SpecModel(BaseModel):
    """Base of every spec section: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(SpecModel):
    """One declared column: type, presence, uniqueness, format, reference code list and business-rule range."""

    type: ColumnType
    required: bool = Field(default=False, description="Every record must have a value (completeness).")
    unique: bool = Field(default=False, description="No two records share a value (accuracy: uniqueness).")
    pattern: str | None = Field(default=None, description="Regular expression the whole value must match.")
    codes: list[str] | None = Field(default=None, min_length=1, description="Reference code list (参照数据).")
    min: Bound | None = Field(default=None, description="Lowest allowed value (business rule).")
    max: Bound | None = Field(default=None, description="Highest allowed value (business rule).")

    @field_validator("codes", mode="before")
    @classmethod
    def _codes_as_text(cls, value: object) -> object:
        if isinstance(value, list):
            return [str(v) for v in value]
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _bounds_fit_type(self) -> ColumnSpec:
        bounds = [b for b in (self.min, self.max) if b is not None]
        if bounds and self.type not in NUMERIC_TYPES + TEMPORAL_TYPES:
            raise ValueError(f"min/max apply to numbers and dates, not to {self.type}")
        if self.type in NUMERIC_TYPES and any(isinstance(b, date) for b in bounds):
            raise ValueError("min/max of a number column must be numbers")
        if self.type in TEMPORAL_TYPES and any(not isinstance(b, date) for b in bounds):
            raise ValueError("min/max of a date column must be dates (YYYY-MM-DD)")
        if (
            self.min is not None
            and self.max is not None
            and _as_comparable(self.min) > _as_comparable(self.max)
        ):
            raise ValueError("min is greater than max")
        return self


def _as_comparable(bound: Bound) -> float:
    """A bound as a number (dates as POSIX seconds) so min and max compare."""
    if isinstance(bound, datetime):
        return bound.timestamp()
    if isinstance(bound, date):
        return datetime(bound.year, bound.month, bound.day).timestamp()
    return float(bound)


class Rule(SpecModel):
    """A cross-column business or consistency rule (see the module docstring for the kinds)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    kind: RuleKind
    a: str | None = None
    b: str | None = None
    columns: list[str] | None = Field(default=None, min_length=1)
    total: str | None = None
    tolerance: float = Field(default=0.005, ge=0, description="Absolute tolerance of sum_equals.")
    dimension: Literal["consistency", "normativity"] = "consistency"

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if self.kind == "sum_equals":
            if not self.columns or not self.total:
                raise ValueError("sum_equals needs columns and total")
        elif not self.a or not self.b:
            raise ValueError(f"{self.kind} needs a and b")
        return self

    @property
    def operands(self) -> list[str]:
        """The columns the rule reads."""
        if self.kind == "sum_equals":
            return [*(self.columns or []), str(self.total)]
        return [str(self.a), str(self.b)]


class Reference(SpecModel):
    """Cross-table consistency: every value of ``column`` is a ``key`` of another file of the package."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    column: str
    file: str
    key: str


class Timeliness(SpecModel):
    """Timeliness (时效性): the timestamp judged for freshness against the cut-off, and the ordering column."""

    timestamp_column: str | None = None
    freshness_days: int | None = Field(default=None, ge=0)
    ordered_by: str | None = None

    @model_validator(mode="after")
    def _pairs(self) -> Timeliness:
        if (self.timestamp_column is None) != (self.freshness_days is None):
            raise ValueError("timestamp_column and freshness_days go together")
        return self


class Accessibility(SpecModel):
    """Accessibility (可访问性): the data product's API, if any."""

    endpoint: str | None = Field(default=None, pattern=r"^https?://\S+$")


class DataSpec(SpecModel):
    """The data spec of one sample; every column named anywhere must be declared under ``columns``."""

    standard: str = Field(min_length=1, description="The data standard the sample follows (normativity).")
    row_key: list[str] = Field(default_factory=list)
    columns: dict[str, ColumnSpec] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    timeliness: Timeliness | None = None
    accessibility: Accessibility = Accessibility()
    quasi_identifiers: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_declared(self) -> DataSpec:
        named = {
            "row_key": self.row_key,
            "quasi_identifiers": self.quasi_identifiers,
            "rules": [c for r in self.rules for c in r.operands],
            "references": [r.column for r in self.references],
            "timeliness": [c for c in (self.timeliness.timestamp_column, self.timeliness.ordered_by) if c]
            if self.timeliness
            else [],
        }
        for section, names in named.items():
            unknown = sorted(set(names) - set(self.columns))
            if unknown:
                raise ValueError(f"{section} names undeclared column(s): {', '.join(unknown)}")
        ids = [r.id for r in self.rules] + [r.id for r in self.references]
        if len(ids) != len(set(ids)):
            raise ValueError("rule and reference ids must be unique")
        stamp = self.timeliness.timestamp_column if self.timeliness else None
        if stamp and self.columns[stamp].type not in TEMPORAL_TYPES:
            raise ValueError("timeliness.timestamp_column must be a datetime or date column")
        return self

    @property
    def required_columns(self) -> list[str]:
        """Columns every record must fill."""
        return [name for name, column in self.columns.items() if column.required]


def read_spec(path: Path | str) -> tuple[DataSpec | None, list[Problem]]:
    """Read a data spec YAML safely; each problem names the spec file and the key path."""
    from dataabs.package.loader import problems_from_validation, read_yaml

    path = Path(path)
    if not path.is_file():
        return None, [Problem(str(path), "data spec file not found")]
    raw, problems = read_yaml(path)
    if raw is None:
        return None, problems
    try:
        return DataSpec.model_validate(raw), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, str(path))
