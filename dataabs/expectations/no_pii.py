"""Expect column values to contain no personal information (个人信息, PIPL art. 4 and 73)."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from dataabs.governance.pii import contains_pii


class ColumnValuesNoPii(ColumnMapMetricProvider):
    """Per value: no valid ID number (GB 11643), mobile number, e-mail or bank card (Luhn) inside it."""

    condition_metric_name = "column_values.no_pii"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return ~contains_pii(column)


class ExpectColumnValuesToNotContainPii(ColumnMapExpectation):
    """Expect no value to contain personal information: ID numbers (GB 11643), mobiles, e-mails, bank cards (Luhn).

    Numbers with a wrong check digit are not personal information for this check. Gate results mask any sample.
    """

    map_metric = "column_values.no_pii"
    success_keys = ("mostly",)
    args_keys = ("column",)
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["dataabs", "PIPL"], "contributors": ["dataabs"]}
