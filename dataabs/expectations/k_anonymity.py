"""Expect a table to be k-anonymous (k-匿名) over its quasi-identifiers."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.compatibility import pydantic
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import ExecutionEngine, PandasExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider

from dataabs.governance.kanon import k_anonymity


class TableKAnonymity(TableMetricProvider):
    """The k-anonymity measurement of the whole table: smallest class, classes, records below k."""

    metric_name = "table.k_anonymity"
    value_keys = ("quasi_identifiers", "k")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        execution_engine: PandasExecutionEngine,
        metric_domain_kwargs: dict[str, Any],
        metric_value_kwargs: dict[str, Any],
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any],
    ) -> dict[str, int]:
        frame, _, _ = execution_engine.get_compute_domain(
            domain_kwargs=metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE
        )
        result = k_anonymity(frame, metric_value_kwargs["quasi_identifiers"], int(metric_value_kwargs["k"]))
        return {
            "smallest_class": result.smallest_class,
            "classes": result.classes,
            "records": result.records,
            "records_below_k": result.records_below_k,
        }


class ExpectTableKAnonymity(BatchExpectation):
    """Expect every equivalence class over the quasi-identifiers to hold at least ``k`` records (PIPL art. 73 匿名化).

    The result reports ``observed_value`` (smallest class), ``element_count`` (records) and ``unexpected_count``
    (records in classes smaller than ``k``), so GB/T 36344-style ``X = A/B`` can be read off it.
    """

    quasi_identifiers: list[str] = pydantic.Field(min_items=1, description="Quasi-identifier columns.")
    k: int = pydantic.Field(default=5, ge=1, description="Smallest allowed equivalence class size.")

    metric_dependencies = ("table.k_anonymity",)
    success_keys = ("quasi_identifiers", "k")
    args_keys = ("quasi_identifiers", "k")
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["dataabs", "PIPL"], "contributors": ["dataabs"]}

    def _validate(
        self,
        metrics: dict[str, Any],
        runtime_configuration: dict[str, Any] | None = None,
        execution_engine: ExecutionEngine | None = None,
    ) -> dict[str, Any]:
        measured = metrics["table.k_anonymity"]
        return {
            "success": measured["records_below_k"] == 0,
            "result": {
                "observed_value": measured["smallest_class"],
                "element_count": measured["records"],
                "unexpected_count": measured["records_below_k"],
                "details": {"classes": measured["classes"]},
            },
        }
