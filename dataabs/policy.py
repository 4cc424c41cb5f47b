"""House policy (公司政策): ``config/policy.yaml`` with a deal's overrides, validated section by section.

Each stage owns the model of its section (governance, rights, valuation, pool, ...), so a threshold lives in
exactly one place: its default in the model, its house value in ``policy.yaml``, its deal value in ``deal.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from dataabs.engine.policy import EnhancementPolicy
from dataabs.errors import PackageInvalid, Problem
from dataabs.governance.policy import GovernancePolicy
from dataabs.pool.select import PoolPolicy
from dataabs.rights.checks import RightsPolicy
from dataabs.servicing.policy import ServicingPolicy
from dataabs.settings import get_settings
from dataabs.valuation.model import ValuationPolicy


class Policy(BaseModel):
    """Every section of house policy, typed by the stage that applies it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    governance: GovernancePolicy = GovernancePolicy()
    rights: RightsPolicy = RightsPolicy()
    valuation: ValuationPolicy = ValuationPolicy()
    enhancement: EnhancementPolicy = EnhancementPolicy()
    pool: PoolPolicy = PoolPolicy()
    servicing: ServicingPolicy = ServicingPolicy()


def house_policy_file() -> Path:
    """Where the house policy lives (``config/policy.yaml`` under the config directory)."""
    return get_settings().config_dir / "policy.yaml"


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into ``base``: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_policy(overrides: Mapping[str, Any] | None = None, path: Path | None = None) -> Policy:
    """House policy with a deal's overrides applied; a bad key or value names where it came from."""
    path = path or house_policy_file()
    house = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        Policy.model_validate(house)
    except ValidationError as exc:
        raise PackageInvalid(str(path), policy_problems(exc, str(path), "")) from None
    try:
        return Policy.model_validate(merge(house, overrides or {}))
    except ValidationError as exc:
        raise PackageInvalid("deal.yaml", policy_problems(exc, "deal.yaml", "policy.")) from None


def policy_problems(exc: ValidationError, file: str, prefix: str) -> list[Problem]:
    """Each policy validation error as a problem naming the key path."""
    return [
        Problem(
            file,
            "unknown key" if e["type"] == "extra_forbidden" else e["msg"],
            column=prefix + ".".join(str(p) for p in e["loc"]),
        )
        for e in exc.errors()
    ]
