"""The enhancement stress grid runs on a Dask cluster through prefect-dask with the same results."""

from __future__ import annotations

import pandas as pd
import pytest
from prefect import flow

from dataabs.engine import policy as criteria_policy
from dataabs.engine.from_deal import engine_deal
from dataabs.package import load_package
from dataabs.policy import load_policy
from tasks.enhancement import run_grid, scenarios
from tests.conftest import DEMO_DIR

prefect_dask = pytest.importorskip("prefect_dask", reason="prefect-dask is the optional [dask] extra")

pytestmark = pytest.mark.usefixtures("prefect_server")


def grid_inputs() -> tuple[object, ...]:
    """The demo deal's engine deal, stress grid, enhancement policy and undertakings."""
    package = load_package(DEMO_DIR)
    deal = engine_deal(package)
    policy = load_policy(package.deal.policy).enhancement
    return deal, scenarios(deal, package.deal.enhancement), policy, criteria_policy.undertakings(package.deal)


@flow(name="stress-grid-threads")
def grid_on_threads() -> pd.DataFrame:
    """The grid on the default thread-pool task runner (what the enhancement stage uses)."""
    return run_grid(*grid_inputs())  # type: ignore[arg-type]


@flow(
    name="stress-grid-dask",
    task_runner=prefect_dask.DaskTaskRunner(
        cluster_kwargs={
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": False,
            "dashboard_address": None,
        }
    ),
)
def grid_on_dask() -> pd.DataFrame:
    """The same grid on a Dask LocalCluster."""
    return run_grid(*grid_inputs())  # type: ignore[arg-type]


def test_stress_grid_on_dask_equals_threads() -> None:
    threads, dask = grid_on_threads(), grid_on_dask()
    assert len(threads) >= 10  # base, rating stresses and guarantor-fails stresses
    pd.testing.assert_frame_equal(threads.reset_index(drop=True), dask.reset_index(drop=True))
