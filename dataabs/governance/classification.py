"""Data classification (数据分类分级, GB/T 43697-2024) and source legality (数据来源合法性) of a data asset.

Policy: core data (核心数据) is a hard block; important data (重要数据) needs a recorded waiver and a risk
assessment no older than ``risk_assessment_max_age_months`` (or is blocked outright if the policy says so);
general data (一般数据) passes. Every source except ``self_collected`` needs an authorisation reference, and an
authorisation expiry, when recorded, must fall after the as-of date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from dataabs.governance.findings import Finding
from dataabs.governance.policy import GovernancePolicy

LEVELS = ("general", "important", "core")


def _field(row: Mapping[str, Any], name: str) -> Any:
    """A field of the data-asset row; blanks and NaN read as None."""
    value = row.get(name)
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def months_before(as_of: date, months: int) -> date:
    """The same day ``months`` months earlier (clamped to the month's end)."""
    return (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()


def classification_findings(row: Mapping[str, Any], policy: GovernancePolicy, as_of: date) -> list[Finding]:
    """GB/T 43697 level rules: core blocks; important needs a waiver and a current risk assessment."""
    level = _field(row, "classification")
    if level not in LEVELS:
        return [
            Finding("classification", f"classification {level!r} is not one of {', '.join(LEVELS)}", True)
        ]
    if level == "core":
        return [Finding("classification", "core data (核心数据) may not be pledged or securitised", True)]
    if level == "general":
        return []
    if policy.important_data == "block":
        return [Finding("classification", "important data (重要数据) is blocked by policy", True)]
    findings = []
    if _field(row, "waiver_ref") is None:
        findings.append(
            Finding("classification", "important data without a recorded waiver (waiver_ref)", True)
        )
    assessed = _as_date(_field(row, "risk_assessment_date"))
    oldest = months_before(as_of, policy.risk_assessment_max_age_months)
    if assessed is None:
        findings.append(Finding("classification", "important data without a risk assessment date", True))
    elif assessed < oldest:
        findings.append(
            Finding(
                "classification",
                f"risk assessment of {assessed} is older than {policy.risk_assessment_max_age_months} months "
                f"before {as_of}",
                True,
            )
        )
    elif assessed > as_of:
        findings.append(Finding("classification", f"risk assessment date {assessed} is after {as_of}", True))
    return findings


def source_findings(row: Mapping[str, Any], as_of: date) -> list[Finding]:
    """Source legality: an authorisation for every non-self-collected source, not expired at ``as_of``."""
    source = _field(row, "source_type")
    findings = []
    if source != "self_collected" and _field(row, "authorisation_ref") is None:
        findings.append(Finding("source", f"{source} data without an authorisation reference", True))
    expiry = _as_date(_field(row, "authorisation_expiry"))
    if expiry is not None and expiry <= as_of:
        findings.append(Finding("source", f"authorisation expired on {expiry} (as of {as_of})", True))
    elif expiry is None and source not in ("self_collected", None):
        findings.append(Finding("source", f"{source} data without an authorisation expiry date", True))
    return findings


def asset_findings(row: Mapping[str, Any], policy: GovernancePolicy, as_of: date) -> list[Finding]:
    """Classification and source findings of one data-asset row (a mapping, Series or namedtuple)."""
    mapping = row._asdict() if hasattr(row, "_asdict") else row
    return classification_findings(mapping, policy, as_of) + source_findings(mapping, as_of)
