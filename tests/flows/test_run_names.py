"""Servicing and surveillance runs are named ``<deal>-<kind>-<date>`` so the UI reads like the calendar."""

from __future__ import annotations

from datetime import date

import pytest
from prefect import flow
from prefect.runtime import flow_run

from tasks.deal_run import dated_run_name

pytestmark = pytest.mark.usefixtures("prefect_server")


@flow(flow_run_name=dated_run_name("servicing", "payment_date"))
def named_period(deal_id: str, payment_date: date | None = None) -> str:
    """A flow named like the servicing flow; returns its own run name."""
    return str(flow_run.name)


def test_run_name_uses_the_date_parameter_else_today() -> None:
    assert named_period("demo", date(2026, 1, 26)) == "demo-servicing-2026-01-26"
    assert named_period("demo") == f"demo-servicing-{date.today().isoformat()}"
