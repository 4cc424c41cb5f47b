"""The demo packages by deal id and by deal model, and their writers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dataabs.demo.generate import demo_spec
from dataabs.demo.models import empowered_spec, leasing_spec, receivables_spec, revenue_rights_spec
from dataabs.demo.package import PackageSpec, write_package
from dataabs.package.schema import DealModel

PACKAGES: dict[str, Callable[[], PackageSpec]] = {
    "demo": demo_spec,
    "demo-receivables": receivables_spec,
    "demo-leasing": leasing_spec,
    "demo-empowered": empowered_spec,
    "demo-revenue-rights": revenue_rights_spec,
}
BY_MODEL: dict[DealModel, str] = {
    "data_pledged_loan": "demo",
    "receivable_data_pledge": "demo-receivables",
    "leasing_data_pledge": "demo-leasing",
    "data_empowered": "demo-empowered",
    "revenue_rights": "demo-revenue-rights",
}


def package_spec(deal_id: str) -> PackageSpec:
    """The spec of a demo package by deal id; ``KeyError`` names the known ones."""
    if deal_id not in PACKAGES:
        raise KeyError(f"no demo package {deal_id!r}; known: {', '.join(PACKAGES)}")
    return PACKAGES[deal_id]()


def write_named_package(
    dest: Path, deal_id: str, *, sample_rows: int | None = None, seed: int | None = None
) -> Path:
    """Write the demo package ``deal_id`` into ``dest``."""
    return write_package(dest, package_spec(deal_id), sample_rows=sample_rows, seed=seed)


def write_model_package(
    dest: Path, model: DealModel, *, sample_rows: int | None = None, seed: int | None = None
) -> Path:
    """Write the demo package of a deal model into ``dest``."""
    return write_named_package(dest, BY_MODEL[model], sample_rows=sample_rows, seed=seed)
