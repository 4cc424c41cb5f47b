"""Cash-flow and waterfall engine (现金流与分配引擎): projection, exact waterfall, enhancement metrics and sizing."""

from __future__ import annotations

from dataabs.engine.model import Deal, PeriodCollections, Scenario
from dataabs.engine.run import project_collections, run_deal
from dataabs.engine.waterfall import WaterfallResult, run_waterfall

__all__ = [
    "Deal",
    "PeriodCollections",
    "Scenario",
    "WaterfallResult",
    "project_collections",
    "run_deal",
    "run_waterfall",
]
