"""What every stage task receives: references to the deal, its run and where outputs go — never DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from dataabs.package import DealPackage, load_package
from dataabs.policy import Policy, load_policy


@dataclass(frozen=True)
class StageContext:
    """One lifecycle run of one deal: package location, report folder, as-of date and counterparty URLs."""

    deal_id: str
    deal_dir: Path
    out_dir: Path
    as_of: date
    flow_run_id: str | None = None
    counterparties: dict[str, str] = field(default_factory=dict)

    @cached_property
    def package(self) -> DealPackage:
        """The validated deal package (loaded once per process)."""
        return load_package(self.deal_dir)

    @cached_property
    def policy(self) -> Policy:
        """House policy with the deal's overrides applied."""
        return load_policy(self.package.deal.policy)

    @property
    def deal_out(self) -> Path:
        """The deal's report folder ``<out>/<deal_id>``."""
        return self.out_dir / self.deal_id

    def stage_dir(self, stage: str) -> Path:
        """The committed report folder of a stage."""
        return self.deal_out / stage

    def staging_dir(self, stage: str, run_id: str) -> Path:
        """Where a stage run writes before its commit (swapped in atomically on success)."""
        return self.deal_out / ".staging" / f"{stage}-{run_id}"
