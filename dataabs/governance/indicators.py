"""GB/T 36344-2018 data quality indicators (数据质量评价指标), each ``X = A/B``, measured with GX as the instrument.

The sample is read as text. A *view* of it is built once: the declared columns as text (absent ones added as all
missing), typed companions ``<column>__typed`` for numbers, dates, datetimes and booleans, and a few derived columns
(record completeness, sum-rule residuals). One GX validation over the view measures every expectation; each
indicator pools the A and B of its expectations (A = Σ A_j, B = Σ B_j, i.e. element-weighted across columns).

Indicators (id — GB/T 36344 name — what counts as an element meeting the requirement):

- ``normativity.data_standard`` — 数据标准: a value has its declared type's form (integer, number, ISO date/datetime,
  boolean; string always conforms);
- ``normativity.reference_data`` — 参照数据: a value is in its column's code list;
- ``normativity.business_rules`` — 业务规则: a value is within its min/max, and rules with ``dimension: normativity`` hold;
- ``completeness.element`` — 元素完整性: a required element is present;
- ``completeness.record`` — 记录完整性: a record has every required element;
- ``accuracy.format_compliance`` — 格式合规: a value matches its column's ``pattern``;
- ``accuracy.duplicate_rate`` — 记录重复率 (lower is better, scored 1 − X): a record's row key is not repeated;
- ``accuracy.uniqueness`` — 唯一性: a value of a ``unique`` column is not repeated;
- ``accuracy.dirty_rate`` — 脏数据出现率 (lower is better): a value is not a placeholder (``NULL``, ``N/A``, ``-``,
  ``未知``…), whitespace-padded or holding control characters;
- ``consistency.rules`` — 相关数据一致性: a row satisfies each cross-column rule (rows missing an operand are skipped);
- ``consistency.references`` — 同一数据一致性 across files: a value is a key of the referenced file;
- ``timeliness.freshness`` — 时间点及时性: the latest timestamp is no older than ``freshness_days`` before the cut-off
  (one element: 1/1 or 0/1);
- ``timeliness.ordering`` — 时序性: a record's ``ordered_by`` value is not earlier than the previous record's;
- ``accessibility.accessible`` — 可访问: the endpoint answers 2xx (or, without an endpoint, the sample file was read);
- ``accessibility.usable`` — 可使用: the endpoint's body parses as JSON (or every declared column is in the sample).

An indicator with nothing to evaluate (B = 0) is *not applicable* and is left out of its dimension's score.
Accessibility probes HTTP (httpx, explicit timeout), which GX does not do; the no-endpoint case uses GX.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from dataabs.governance.policy import Dimension
from dataabs.governance.sample import SampleUnreadable, read_sample
from dataabs.governance.spec import ColumnSpec, DataSpec, Rule
from dataabs.gx import ExpectationSpec, Measurement, measure

TYPED = "__typed"
RECORD_COMPLETE = "__record_complete"
TYPE_PATTERNS: dict[str, str] = {
    "integer": r"^[+-]?[0-9]+$",
    "number": r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$",
    "date": r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$",
    "datetime": r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])(?: (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?$",
    "boolean": r"^(?i:true|false|yes|no|y|n|1|0)$|^(?:是|否)$",
}
TRUE_WORDS = ("true", "yes", "y", "1", "是")
FALSE_WORDS = ("false", "no", "n", "0", "否")
SPACE = "[ \t\r\n\x0b\x0c\u3000]"  # spelled out: pandas runs a regex with \\s in Python's re, 20x slower than pyarrow's RE2
DIRTY = (
    f"^{SPACE}|{SPACE}$|[\x00-\x08\x0e-\x1f]"
    r"|^(?i:null|none|nan|n/?a|#n/?a|undefined)$|^(?:-+|\?+|未知|无|空|不详)$"
)
RULE_EXPECTATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "column_pair_ge": ("expect_column_pair_values_a_to_be_greater_than_b", {"or_equal": True}),
    "column_pair_gt": ("expect_column_pair_values_a_to_be_greater_than_b", {"or_equal": False}),
    "column_pair_equal": ("expect_column_pair_values_to_be_equal", {}),
}


@dataclass(frozen=True)
class Indicator:
    """One GB/T 36344 indicator of one sample: A of B elements meet the requirement."""

    id: str
    dimension: Dimension
    met: int
    evaluated: int
    lower_is_better: bool = False
    detail: str = ""
    errors: tuple[str, ...] = ()

    @property
    def applicable(self) -> bool:
        """Something was evaluated (B > 0)."""
        return self.evaluated > 0

    @property
    def value(self) -> float:
        """X as the standard defines it (for lower-is-better indicators, the share of bad elements)."""
        good = self.score
        return 1.0 - good if self.lower_is_better else good

    @property
    def score(self) -> float:
        """The indicator's contribution to its dimension, 0–1 (``1 − X`` for lower-is-better ones)."""
        return self.met / self.evaluated if self.evaluated else 1.0


@dataclass
class _Plan:
    """Expectations grouped by the indicator they feed."""

    expectations: list[ExpectationSpec] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)

    def add(self, indicator: str, expectation_type: str, **kwargs: Any) -> None:
        self.expectations.append(ExpectationSpec(type=expectation_type, kwargs=kwargs))
        self.owners.append(indicator)


def typed_name(column: str, spec: ColumnSpec) -> str:
    """The view column holding a column's typed values (the text column itself for strings)."""
    return column if spec.type == "string" else f"{column}{TYPED}"


def parse_typed(values: pd.Series, column_type: str) -> pd.Series:
    """Text parsed by a declared type; values that do not parse become missing."""
    if column_type in ("integer", "number"):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if column_type == "date":
        return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    if column_type == "datetime":
        stamped = pd.to_datetime(values, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        rest = (
            stamped.isna() & values.notna()
        )  # parse only the rest: a coerced miss costs an exception per value
        if rest.any():
            stamped[rest] = pd.to_datetime(values[rest], format="%Y-%m-%d", errors="coerce")
        return stamped
    if column_type == "boolean":
        words = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
        return values.str.strip().str.lower().map(words).astype("boolean")
    return values


def build_view(frame: pd.DataFrame, spec: DataSpec) -> pd.DataFrame:
    """Declared columns as text (absent ones all missing), typed companions and derived rule columns."""
    data: dict[str, pd.Series] = {}
    for name, column in spec.columns.items():
        text = frame[name] if name in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="str")
        data[name] = text
        if column.type != "string":
            data[typed_name(name, column)] = parse_typed(text, column.type)
    if spec.required_columns:
        data[RECORD_COMPLETE] = pd.concat([data[c].notna() for c in spec.required_columns], axis=1).all(
            axis=1
        )
    for rule in spec.rules:
        if rule.kind == "sum_equals":
            parts = [data[typed_name(c, spec.columns[c])] for c in rule.operands]
            data[_residual(rule)] = sum(parts[:-1], start=pd.Series(0.0, index=frame.index)) - parts[-1]
    return pd.DataFrame(data, index=frame.index)


def _residual(rule: Rule) -> str:
    return f"__rule_{rule.id}"


def _bound(value: Any) -> Any:
    """Spec bounds as GX kwargs: numbers stay numbers, dates become ISO datetimes (GX compares datetimes)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).isoformat()
    return value


def plan_columns(spec: DataSpec, plan: _Plan) -> None:
    """Per-column expectations: type form, code list, range, presence, pattern, uniqueness, dirt."""
    for name, column in spec.columns.items():
        if column.type in TYPE_PATTERNS:
            plan.add(
                "normativity.data_standard",
                "expect_column_values_to_match_regex",
                column=name,
                regex=TYPE_PATTERNS[column.type],
            )
        if column.codes:
            plan.add(
                "normativity.reference_data",
                "expect_column_values_to_be_in_set",
                column=name,
                value_set=column.codes,
            )
        if column.min is not None or column.max is not None:
            plan.add(
                "normativity.business_rules",
                "expect_column_values_to_be_between",
                column=typed_name(name, column),
                min_value=_bound(column.min),
                max_value=_bound(column.max),
            )
        if column.required:
            plan.add("completeness.element", "expect_column_values_to_not_be_null", column=name)
        if column.pattern:
            plan.add(
                "accuracy.format_compliance",
                "expect_column_values_to_match_regex",
                column=name,
                regex=f"^(?:{column.pattern})$",
            )
        if column.unique:
            plan.add("accuracy.uniqueness", "expect_column_values_to_be_unique", column=name)
        plan.add("accuracy.dirty_rate", "expect_column_values_to_not_match_regex", column=name, regex=DIRTY)


def plan_records(spec: DataSpec, plan: _Plan) -> None:
    """Record-level expectations: complete records, duplicate row keys, cross-column rules."""
    if spec.required_columns:
        plan.add(
            "completeness.record",
            "expect_column_values_to_be_in_set",
            column=RECORD_COMPLETE,
            value_set=[True],
        )
    if len(spec.row_key) == 1:
        plan.add("accuracy.duplicate_rate", "expect_column_values_to_be_unique", column=spec.row_key[0])
    elif spec.row_key:
        plan.add("accuracy.duplicate_rate", "expect_compound_columns_to_be_unique", column_list=spec.row_key)
    for rule in spec.rules:
        indicator = "consistency.rules" if rule.dimension == "consistency" else "normativity.business_rules"
        if rule.kind == "sum_equals":
            plan.add(
                indicator,
                "expect_column_values_to_be_between",
                column=_residual(rule),
                min_value=-rule.tolerance,
                max_value=rule.tolerance,
            )
            continue
        expectation_type, extra = RULE_EXPECTATIONS[rule.kind]
        a, b = (typed_name(c, spec.columns[c]) for c in rule.operands)
        plan.add(
            indicator,
            expectation_type,
            column_A=a,
            column_B=b,
            ignore_row_if="either_value_is_missing",
            **extra,
        )


def plan_timeliness(spec: DataSpec, cut_off: date, plan: _Plan) -> None:
    """Freshness of the latest timestamp against the cut-off, and ordering."""
    timeliness = spec.timeliness
    if timeliness is None:
        return
    if timeliness.timestamp_column and timeliness.freshness_days is not None:
        oldest_fresh = datetime(cut_off.year, cut_off.month, cut_off.day) - timedelta(
            days=timeliness.freshness_days
        )
        column = typed_name(timeliness.timestamp_column, spec.columns[timeliness.timestamp_column])
        plan.add(
            "timeliness.freshness",
            "expect_column_max_to_be_between",
            column=column,
            min_value=oldest_fresh.isoformat(),
        )
    if timeliness.ordered_by:
        plan.add(
            "timeliness.ordering",
            "expect_column_values_to_be_increasing",
            column=typed_name(timeliness.ordered_by, spec.columns[timeliness.ordered_by]),
        )


def plan_references(
    spec: DataSpec, package_root: Path | None, plan: _Plan, load: Callable[[Path], pd.DataFrame]
) -> list[Indicator]:
    """Cross-file references as value-set expectations; a reference that cannot be resolved fails outright."""
    failed: list[Indicator] = []
    for reference in spec.references:
        keys, error = _reference_keys(package_root, reference.file, reference.key, load)
        if error is None:
            plan.add(
                "consistency.references",
                "expect_column_values_to_be_in_set",
                column=reference.column,
                value_set=keys,
            )
        else:
            failed.append(
                Indicator(
                    "consistency.references",
                    "consistency",
                    0,
                    1,
                    errors=(f"reference {reference.id}: {error}",),
                )
            )
    return failed


def _reference_keys(
    package_root: Path | None, file: str, key: str, load: Callable[[Path], pd.DataFrame]
) -> tuple[list[str], str | None]:
    from dataabs.package.loader import inside_package

    if package_root is None:
        return [], "no package root given to resolve the referenced file"
    root = Path(package_root).resolve()
    path, problems = inside_package(root, file, "references")
    if path is None:
        return [], problems[0].reason
    try:
        other = load(path)
    except SampleUnreadable as exc:
        return [], str(exc)
    if key not in other.columns:
        return [], f"{file} has no column {key!r}"
    return sorted(other[key].dropna().astype(str).unique().tolist()), None


def probe_endpoint(url: str, timeout: float) -> list[Indicator]:
    """Accessibility of a data product's API: health (2xx) and usability (the body parses as JSON)."""
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        reason = f"GET {url} failed: {type(exc).__name__}"
        return [
            Indicator("accessibility.accessible", "accessibility", 0, 1, detail=reason),
            Indicator("accessibility.usable", "accessibility", 0, 1, detail=reason),
        ]
    healthy = response.is_success
    try:
        response.json()
        parses = True
    except ValueError:
        parses = False
    detail = f"GET {url}: HTTP {response.status_code}, JSON {'ok' if parses else 'invalid'}"
    return [
        Indicator("accessibility.accessible", "accessibility", int(healthy), 1, detail=detail),
        Indicator("accessibility.usable", "accessibility", int(healthy and parses), 1, detail=detail),
    ]


def sample_accessibility(frame: pd.DataFrame, spec: DataSpec) -> list[Indicator]:
    """Without an endpoint: the sample was read (1/1) and its declared columns are present (GX, per column)."""
    checks = [ExpectationSpec(type="expect_column_to_exist", kwargs={"column": c}) for c in spec.columns]
    usable = pool("accessibility.usable", "accessibility", measure(frame.iloc[:0], checks))
    return [Indicator("accessibility.accessible", "accessibility", 1, 1, detail="sample file read"), usable]


LOWER_IS_BETTER = frozenset({"accuracy.duplicate_rate", "accuracy.dirty_rate"})


def pool(indicator: str, dimension: Dimension, measurements: Sequence[Measurement]) -> Indicator:
    """One indicator from its expectations: A = Σ A_j, B = Σ B_j; errors kept as text."""
    errors = tuple(f"{m.type} on {m.column}: {m.exception}" for m in measurements if m.exception)
    return Indicator(
        id=indicator,
        dimension=dimension,
        met=sum(m.met for m in measurements),
        evaluated=sum(m.evaluated for m in measurements),
        lower_is_better=indicator in LOWER_IS_BETTER,
        errors=errors,
    )


def measure_indicators(
    frame: pd.DataFrame,
    spec: DataSpec,
    cut_off: date,
    package_root: Path | None = None,
    timeout: float = 10.0,
    load: Callable[[Path], pd.DataFrame] = read_sample,
) -> list[Indicator]:
    """Every GB/T 36344 indicator of one sample, in a single GX validation over the sample's view."""
    plan = _Plan()
    plan_columns(spec, plan)
    plan_records(spec, plan)
    plan_timeliness(spec, cut_off, plan)
    unresolved = plan_references(spec, package_root, plan, load)
    measurements = measure(build_view(frame, spec), plan.expectations)
    grouped: dict[str, list[Measurement]] = {}
    for owner, measurement in zip(plan.owners, measurements, strict=True):
        grouped.setdefault(owner, []).append(measurement)
    indicators = [pool(name, _dimension(name), items) for name, items in grouped.items()]
    indicators += unresolved
    endpoint = spec.accessibility.endpoint
    indicators += probe_endpoint(endpoint, timeout) if endpoint else sample_accessibility(frame, spec)
    return merge(indicators)


def _dimension(indicator: str) -> Dimension:
    dimension = indicator.split(".", 1)[0]
    return dimension  # type: ignore[return-value]  # ids are written in this module with a valid prefix


def merge(indicators: Sequence[Indicator]) -> list[Indicator]:
    """Indicators with the same id pooled into one (A and B summed, errors and details kept)."""
    merged: dict[str, Indicator] = {}
    for item in indicators:
        if item.id not in merged:
            merged[item.id] = item
            continue
        seen = merged[item.id]
        merged[item.id] = Indicator(
            id=item.id,
            dimension=item.dimension,
            met=seen.met + item.met,
            evaluated=seen.evaluated + item.evaluated,
            lower_is_better=item.lower_is_better,
            detail="; ".join(d for d in (seen.detail, item.detail) if d),
            errors=seen.errors + item.errors,
        )
    return list(merged.values())
