"""The one Great Expectations (GX 1.x) touchpoint: load gate suites, run them over DataFrames, measure X = A/B.

An ephemeral GX context is created once per process, with one pandas datasource and one DataFrame asset per table
name. A suite is JSON under ``expectations/`` (one per gate); each expectation names the table it runs on and its
severity in ``meta``. ``run_suite`` groups the expectations per table and runs one ``ValidationDefinition`` per table
with ``result_format="SUMMARY"``; the gate blocks on any failed ``critical`` expectation and on any that raised.
Sample values in results pass through a mask (PII-safe by default). GX work is serialised by a process-wide lock,
because a GX context is not thread-safe and Prefect runs tasks in threads.
"""

from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

import json
import math
import threading
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.datasource.fluent import PandasDatasource
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
from great_expectations.expectations.registry import get_expectation_impl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

import dataabs.expectations  # noqa: F401 - registers our custom expectations with GX
from dataabs.errors import DataabsError
from dataabs.governance.pii import mask_sample

# GX's regex metrics call pandas ``str.contains`` with patterns that have groups (spec patterns do); pandas
# warns once per call, which floods run logs without telling an operator anything.
warnings.filterwarnings(
    "ignore", message="This pattern is interpreted as a regular expression", category=UserWarning
)

Severity = Literal["critical", "warning"]
ResultFormat = Literal["BASIC", "SUMMARY"]
Mask = Callable[[Iterable[object]], list[str]]
SAMPLE_SIZE = 5
COMPACT_LIST = 10
COMPACT_TEXT = 200
_LOCK = threading.RLock()
POSITION = "_dataabs_position"  # meta key matching GX results back to our expectations


class ExpectationMeta(BaseModel):
    """What our runner reads from an expectation's ``meta``: severity, the table it runs on, a description."""

    model_config = ConfigDict(extra="allow")

    severity: Severity = "critical"
    table: str | None = None
    description: str = ""


class ExpectationSpec(BaseModel):
    """One expectation as stored in a suite JSON: GX type name, its kwargs and our meta."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern=r"^expect_[a-z0-9_]+$")
    kwargs: dict[str, Any] = Field(default_factory=dict)
    meta: ExpectationMeta = Field(default_factory=ExpectationMeta)

    @property
    def column(self) -> str | None:
        """The column (or first column) the expectation is about, if any."""
        kwargs = self.kwargs
        for key in ("column", "column_A"):
            if isinstance(kwargs.get(key), str):
                return str(kwargs[key])
        for key in ("column_list", "quasi_identifiers"):
            if isinstance(kwargs.get(key), list):
                return ",".join(str(c) for c in kwargs[key])
        return None


class SuiteSpec(BaseModel):
    """A gate suite: a name and expectations, each naming its table."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    expectations: list[ExpectationSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _tables_named(self) -> SuiteSpec:
        unnamed = [i for i, e in enumerate(self.expectations) if not e.meta.table]
        if unnamed:
            raise ValueError(f"expectations {unnamed} have no meta.table")
        return self


@dataclass
class SuiteInvalid(DataabsError):
    """A gate suite file is unreadable or malformed."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"Gate suite {self.path} is invalid: {self.reason}"


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation of a gate: counts, masked sample values, or the exception it raised."""

    type: str
    table: str
    column: str | None
    kwargs: dict[str, Any]
    severity: Severity
    description: str
    success: bool
    exception: str | None = None
    element_count: int | None = None
    unexpected_count: int | None = None
    observed_value: Any = None
    sample: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        """A failed critical expectation, or any expectation that raised, blocks the gate."""
        return self.exception is not None or (not self.success and self.severity == "critical")

    def line(self) -> str:
        """One readable line: which expectation failed on which table/column, how much, with examples."""
        place = f"{self.table}.{self.column}" if self.column else self.table
        head = f"[{self.severity}] expectation {self.type} on {place}"
        if self.exception is not None:
            return f"{head} raised: {self.exception}"
        if self.unexpected_count is not None and self.element_count is not None:
            text = f"{head}: {self.unexpected_count} of {self.element_count} unexpected"
        else:
            text = f"{head}: observed {self.observed_value!r}"
        if self.sample:
            text += f", e.g. {', '.join(self.sample)}"
        return f"{text} ({self.description})" if self.description else text


@dataclass(frozen=True)
class GateResult:
    """A gate's verdict: the suite, success, how many expectations ran and every outcome."""

    suite: str
    outcomes: list[ExpectationOutcome]

    @property
    def success(self) -> bool:
        """No failed critical expectation and none raised."""
        return not any(o.blocking for o in self.outcomes)

    @property
    def evaluated(self) -> int:
        """Number of expectations evaluated."""
        return len(self.outcomes)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        """Outcomes that failed or raised (blocking or not)."""
        return [o for o in self.outcomes if not o.success or o.exception is not None]

    def failure_lines(self) -> list[str]:
        """One readable line per failed or raised expectation, blocking ones first."""
        return [o.line() for o in sorted(self.failed, key=lambda o: not o.blocking)]

    def to_json(self) -> dict[str, Any]:
        """The gate file ``gates/<stage>.json``: suite, success, counts, failed expectations and all outcomes."""
        return {
            "suite": self.suite,
            "success": self.success,
            "evaluated": self.evaluated,
            "failed_critical": sum(1 for o in self.outcomes if o.blocking),
            "failed_warning": sum(1 for o in self.failed if not o.blocking),
            "failures": self.failure_lines(),
            "failed": [_outcome_json(o) for o in self.failed],
            "results": [_outcome_json(o) for o in self.outcomes],
        }


@dataclass(frozen=True)
class Measurement:
    """One expectation as an instrument: A elements meet the requirement out of B evaluated (X = A/B)."""

    type: str
    column: str | None
    kwargs: dict[str, Any]
    met: int
    evaluated: int
    success: bool
    exception: str | None = None
    observed_value: Any = None

    @property
    def ratio(self) -> float | None:
        """X = A/B, or None when nothing was evaluated."""
        return self.met / self.evaluated if self.evaluated else None


def _outcome_json(outcome: ExpectationOutcome) -> dict[str, Any]:
    return {
        "type": outcome.type,
        "table": outcome.table,
        "column": outcome.column,
        "kwargs": outcome.kwargs,
        "severity": outcome.severity,
        "description": outcome.description,
        "success": outcome.success,
        "blocking": outcome.blocking,
        "exception": outcome.exception,
        "element_count": outcome.element_count,
        "unexpected_count": outcome.unexpected_count,
        "observed_value": outcome.observed_value,
        "sample": outcome.sample,
    }


def load_suite(path: Path | str) -> SuiteSpec:
    """Read a gate suite JSON and check every expectation type is known to GX; raise ``SuiteInvalid`` otherwise."""
    path = Path(path)
    try:
        suite = SuiteSpec.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError) as exc:
        raise SuiteInvalid(str(path), str(exc)) from exc
    unknown = sorted({e.type for e in suite.expectations if not _is_registered(e.type)})
    if unknown:
        raise SuiteInvalid(str(path), f"unknown expectation type(s): {', '.join(unknown)}")
    return suite


def _is_registered(expectation_type: str) -> bool:
    try:
        get_expectation_impl(expectation_type)
    except Exception:  # GX raises its own not-found error type
        return False
    return True


def render_suite(suite: SuiteSpec, params: Mapping[str, Any]) -> SuiteSpec:
    """Replace every kwarg value written as ``"$name"`` with ``params[name]``; an unknown name is an error."""

    def render(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("$") and value[1:].isidentifier():
            if value[1:] not in params:
                raise SuiteInvalid(
                    suite.name, f"placeholder {value} has no value (known: {', '.join(sorted(params))})"
                )
            return params[value[1:]]
        if isinstance(value, dict):
            return {k: render(v) for k, v in value.items()}
        if isinstance(value, list):
            return [render(v) for v in value]
        return value

    expectations = [e.model_copy(update={"kwargs": render(e.kwargs)}) for e in suite.expectations]
    return suite.model_copy(update={"expectations": expectations})


@lru_cache(maxsize=1)
def _context() -> AbstractDataContext:
    """The process's ephemeral GX context, progress bars off."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


@lru_cache(maxsize=1)
def _datasource() -> PandasDatasource:
    return _context().data_sources.add_pandas("dataabs")


@cache
def _batch_definition(table: str) -> BatchDefinition:
    """A whole-DataFrame batch definition per table name (the DataFrame is given at run time)."""
    asset = _datasource().add_dataframe_asset(table)
    return asset.add_batch_definition_whole_dataframe("whole")


def _build(spec: ExpectationSpec, position: int) -> Expectation:
    meta = {**spec.meta.model_dump(), POSITION: position}
    return ExpectationConfiguration(type=spec.type, kwargs=dict(spec.kwargs), meta=meta).to_domain_obj()


RunOutcome = tuple[dict[str, Any], bool, str | None]


def _validate_table(
    table: str, frame: pd.DataFrame, specs: Sequence[ExpectationSpec], result_format: ResultFormat
) -> list[RunOutcome]:
    """Run expectations on one DataFrame; identical ones (GX keeps one per suite) share one result."""
    first: dict[str, int] = {}
    owner = [
        first.setdefault(json.dumps([s.type, s.kwargs], sort_keys=True, default=str), i)
        for i, s in enumerate(specs)
    ]
    unique = sorted(set(owner))
    results = _run_definition(table, frame, [specs[i] for i in unique], result_format)
    by_position = dict(zip(unique, results, strict=True))
    return [by_position[i] for i in owner]


def _run_definition(
    table: str, frame: pd.DataFrame, specs: Sequence[ExpectationSpec], result_format: ResultFormat
) -> list[RunOutcome]:
    """One ValidationDefinition over one DataFrame; (result, success, exception) per expectation, in order."""
    outcomes: list[RunOutcome | None] = [None] * len(specs)
    with _LOCK:
        context = _context()
        name = f"{table}-{uuid.uuid4().hex[:12]}"
        suite = gx.ExpectationSuite(name=name)
        for i, spec in enumerate(specs):
            try:
                suite.add_expectation(_build(spec, position=i))
            except Exception as exc:  # a malformed expectation counts as raised
                outcomes[i] = ({}, False, f"{type(exc).__name__}: {exc}")
        if suite.expectations:
            suite = context.suites.add(suite)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=_batch_definition(table), suite=suite)
            )
            try:
                run = definition.run(batch_parameters={"dataframe": frame}, result_format=result_format)
            finally:
                context.validation_definitions.delete(name)
                context.suites.delete(name)
            for result in run.results:
                if result.expectation_config is None:
                    continue
                raised = _exception_text(result.exception_info or {})
                outcomes[int(result.expectation_config.meta[POSITION])] = (
                    dict(result.result or {}),
                    bool(result.success) and raised is None,
                    raised,
                )
    return [o if o is not None else ({}, False, "no result returned by GX") for o in outcomes]


def _exception_text(info: Mapping[str, Any]) -> str | None:
    """The first exception message in a GX ``exception_info`` (flat, or keyed by metric)."""
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, Mapping) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def run_suite(suite: SuiteSpec, frames: Mapping[str, pd.DataFrame], mask: Mask = mask_sample) -> GateResult:
    """Run a gate suite over named DataFrames; sample values are passed through ``mask`` (PII-safe default)."""
    by_table: dict[str, list[int]] = {}
    for i, spec in enumerate(suite.expectations):
        by_table.setdefault(str(spec.meta.table), []).append(i)
    outcomes: list[ExpectationOutcome | None] = [None] * len(suite.expectations)
    for table, indexes in by_table.items():
        specs = [suite.expectations[i] for i in indexes]
        if table not in frames:
            results: list[RunOutcome] = [({}, False, f"table {table!r} was not given to the gate")] * len(
                specs
            )
        else:
            results = _validate_table(table, frames[table], specs, "SUMMARY")
        for i, spec, result in zip(indexes, specs, results, strict=True):
            outcomes[i] = _outcome(spec, table, *result, mask=mask)
    return GateResult(suite=suite.name, outcomes=[o for o in outcomes if o is not None])


def _outcome(
    spec: ExpectationSpec, table: str, result: dict[str, Any], success: bool, raised: str | None, mask: Mask
) -> ExpectationOutcome:
    observed = _json_safe(result.get("observed_value"))
    if isinstance(observed, str):
        observed = mask([observed])[0]
    partial = result.get("partial_unexpected_list") or []
    return ExpectationOutcome(
        type=spec.type,
        table=table,
        column=spec.column,
        kwargs=compact(spec.kwargs),
        severity=spec.meta.severity,
        description=spec.meta.description,
        success=success,
        exception=raised,
        element_count=_int_or_none(result.get("element_count")),
        unexpected_count=_int_or_none(result.get("unexpected_count")),
        observed_value=observed,
        sample=mask(_distinct(partial)[:SAMPLE_SIZE]) if not success else [],
    )


def measure(
    frame: pd.DataFrame, expectations: Sequence[ExpectationSpec | Mapping[str, Any]]
) -> list[Measurement]:
    """Run expectations on one DataFrame as instruments: A (elements meeting) and B (elements evaluated) each.

    Column map expectations give B = non-missing elements (all elements for the null checks) and A = B − unexpected;
    table-level expectations without counts give A/B = 1/1 or 0/1. An expectation that raised gives A = 0, B = rows.
    """
    specs = [e if isinstance(e, ExpectationSpec) else ExpectationSpec.model_validate(e) for e in expectations]
    if not specs:
        return []
    results = _validate_table("measure", frame, specs, "BASIC")
    return [_measurement(spec, len(frame), *result) for spec, result in zip(specs, results, strict=True)]


def _measurement(
    spec: ExpectationSpec, rows: int, result: dict[str, Any], success: bool, raised: str | None
) -> Measurement:
    if raised is not None:
        met, evaluated = 0, max(rows, 1)
    elif result.get("element_count") is not None and result.get("unexpected_count") is not None:
        evaluated = int(result["element_count"]) - int(result.get("missing_count") or 0)
        met = evaluated - int(result["unexpected_count"])
    else:
        met, evaluated = int(success), 1
    return Measurement(
        type=spec.type,
        column=spec.column,
        kwargs=compact(spec.kwargs),
        met=met,
        evaluated=evaluated,
        success=success,
        exception=raised,
        observed_value=_json_safe(result.get("observed_value")),
    )


def compact(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Kwargs made short and JSON-safe for reports: long lists and texts are cut with a count."""

    def shorten(value: Any) -> Any:
        value = _json_safe(value)
        if isinstance(value, list) and len(value) > COMPACT_LIST:
            return [*value[:COMPACT_LIST], f"… ({len(value)} values)"]
        if isinstance(value, str) and len(value) > COMPACT_TEXT:
            return value[:COMPACT_TEXT] + "…"
        if isinstance(value, dict):
            return {k: shorten(v) for k, v in value.items()}
        return value

    return {k: shorten(v) for k, v in kwargs.items()}


def _json_safe(value: Any) -> Any:
    """Numpy/pandas scalars and containers as plain JSON values; NaN as None; anything else as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.generic):
        return _json_safe(value.item())
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [_json_safe(v) for v in value]
    if hasattr(value, "to_json_dict"):
        return _json_safe(value.to_json_dict())
    if value is pd.NaT:
        return None
    return str(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _distinct(values: Iterable[Any]) -> list[Any]:
    """Distinct values in first-seen order (NaN/None collapse to one)."""
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(repr(_json_safe(value)), value)
    return list(seen.values())
