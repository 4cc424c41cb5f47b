"""Expect column values to be valid unified social credit codes (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from dataabs.rights.uscc import is_valid_uscc


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    """Per value: 18 characters over the GB 32100 alphabet with the right check character."""

    condition_metric_name = "column_values.valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        text = column.astype(str)
        verdicts = {code: is_valid_uscc(code) for code in text.unique()}
        return text.map(verdicts).astype(bool)


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """Expect each value to be a valid USCC (GB 32100-2015 check character; GB/T 36344 accuracy: format compliance).

    Blank values are not evaluated (pair with ``expect_column_values_to_not_be_null`` for completeness).
    """

    map_metric = "column_values.valid_uscc"
    success_keys = ("mostly",)
    args_keys = ("column",)
    library_metadata: ClassVar[dict[str, Any]] = {
        "tags": ["dataabs", "GB 32100"],
        "contributors": ["dataabs"],
    }
