"""The stage registry: lifecycle stages in order. A new stage plugs in here, never in the flow runner."""

from __future__ import annotations

from typing import Literal

from dataabs.ledger.store import LIFECYCLE_STAGES
from tasks import enhancement, governance, issuance, pool, rights, valuation
from tasks.stage import Stage

StageName = Literal["governance", "rights", "valuation", "enhancement", "pool", "issuance"]

STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in (
        governance.STAGE,
        rights.STAGE,
        valuation.STAGE,
        enhancement.STAGE,
        pool.STAGE,
        issuance.STAGE,
    )
}


def implemented() -> list[str]:
    """Registered stages in lifecycle order."""
    return [name for name in LIFECYCLE_STAGES if name in STAGES]


def select(stages: list[str] | None) -> list[Stage]:
    """The requested stages in lifecycle order (all registered ones when none are named)."""
    wanted = implemented() if not stages else list(stages)
    unknown = [s for s in wanted if s not in STAGES]
    if unknown:
        raise ValueError(
            f"stage(s) not available yet: {', '.join(unknown)} (available: {', '.join(implemented())})"
        )
    return [STAGES[name] for name in LIFECYCLE_STAGES if name in wanted]
