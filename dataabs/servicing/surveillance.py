"""Data-collateral surveillance (数据质押物监测): what the registry, refreshed samples and re-valuation say now.

Observations are conditions seen at one check: certificate revoked, suspended, expired, disputed or missing; the
pledge no longer first-ranking; the registered classification raised above the tape's; personal information in a
refreshed sample; re-valuation LTV above the warning or cure level (top-up required). ``changes`` turns them into
rows of the append-only ``collateral_event`` history: a condition seen for the first time opens an event (with
``cure_by`` for breaches), an open event no longer seen is appended again as ``cured``. ``overdue_events`` is what
servicing reads: breaches still open past their cure date make the period's ``data_collateral_event`` flag true.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import pandas as pd

from dataabs.connectors.registry import RegistryEvidence
from dataabs.servicing.policy import CureDays
from dataabs.valuation.ltv import LtvRow
from dataabs.valuation.model import LtvPolicy

Severity = Literal["warning", "breach"]
LEVELS = {"general": 0, "important": 1, "core": 2}
CURE_CATEGORY = {
    "certificate_revoked": "certificate",
    "certificate_suspended": "certificate",
    "certificate_expired": "certificate",
    "certificate_disputed": "certificate",
    "certificate_missing": "certificate",
    "pledge_lost": "pledge",
    "classification_raised": "classification",
    "pii_found": "pii",
    "ltv_breach": "ltv_breach",
}
EVENT_COLUMNS = [
    "observed_on",
    "kind",
    "severity",
    "data_asset_id",
    "asset_id",
    "status",
    "value",
    "threshold",
    "detail",
    "cure_by",
]


@dataclass(frozen=True)
class Observation:
    """A data-collateral condition seen at one check."""

    kind: str
    severity: Severity
    data_asset_id: str | None
    asset_id: str | None
    detail: str
    value: Decimal | None = None
    threshold: Decimal | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies the same condition across checks."""
        return (self.kind, self.data_asset_id or "", self.asset_id or "")


def certificate_observations(
    evidence: Mapping[str, RegistryEvidence],
    data_assets: pd.DataFrame,
    assets: pd.DataFrame,
    as_of: date,
    pledgee: str | None,
) -> list[Observation]:
    """Registry conditions of every pledged certificate (``evidence`` by certificate number)."""
    loans = assets[assets["data_asset_id"].fillna("") != ""].set_index("data_asset_id")["asset_id"]
    out: list[Observation] = []
    for row in data_assets.itertuples(index=False):
        number = str(row.certificate_no or "")
        if not number:
            continue
        loan = str(loans.get(row.data_asset_id)) if row.data_asset_id in loans.index else None
        ids = (str(row.data_asset_id), loan)
        found = evidence.get(number)
        if found is None or found.certificate is None:
            out.append(
                Observation("certificate_missing", "breach", *ids, f"certificate {number} not registered")
            )
            continue
        cert = found.certificate.body.certificate
        if cert.status in ("revoked", "suspended", "expired"):
            out.append(
                Observation(
                    f"certificate_{cert.status}", "breach", *ids, f"certificate {number} {cert.status}"
                )
            )
        elif cert.valid_to < as_of:
            out.append(
                Observation(
                    "certificate_expired", "breach", *ids, f"certificate {number} expired {cert.valid_to}"
                )
            )
        if cert.dispute:
            out.append(
                Observation("certificate_disputed", "breach", *ids, f"certificate {number} under dispute")
            )
        tape_level = LEVELS.get(str(row.classification), 0)
        if LEVELS[cert.classification] > tape_level:
            out.append(
                Observation(
                    "classification_raised",
                    "breach",
                    *ids,
                    f"registry classifies the data as {cert.classification} (tape: {row.classification})",
                )
            )
        first = [
            p
            for p in found.pledges.body.items
            if p.status == "active" and p.rank == 1 and (pledgee is None or p.pledgee == pledgee)
        ]
        if not first:
            out.append(
                Observation("pledge_lost", "breach", *ids, f"no active first-ranking pledge on {number}")
            )
    return out


def pii_observations(found: Mapping[str, int], assets: pd.DataFrame) -> list[Observation]:
    """Personal information found in refreshed samples (``found``: data asset → PII finding count)."""
    loans = assets[assets["data_asset_id"].fillna("") != ""].set_index("data_asset_id")["asset_id"]
    return [
        Observation(
            "pii_found",
            "breach",
            data_asset_id,
            str(loans.get(data_asset_id)) if data_asset_id in loans.index else None,
            f"{count} personal-information finding(s) in the refreshed sample",
            Decimal(count),
        )
        for data_asset_id, count in sorted(found.items())
        if count > 0
    ]


def ltv_observations(
    rows: Iterable[LtvRow], data_asset_of: Mapping[str, str], policy: LtvPolicy
) -> list[Observation]:
    """Re-valuation LTV above the warning level (warning) or the cure level (breach: top-up required)."""
    out = []
    for row in rows:
        ltv = row.ltv
        data_asset = data_asset_of.get(row.loan_id)
        if ltv is None or ltv > policy.cure_above:
            shown = "no value" if ltv is None else f"{ltv:.1%}"
            out.append(
                Observation(
                    "ltv_breach",
                    "breach",
                    data_asset,
                    row.loan_id,
                    f"LTV {shown} above {policy.cure_above:.0%}: top-up required (补充质押/提前还款)",
                    None if ltv is None else round(ltv, 8),
                    policy.cure_above,
                )
            )
        elif ltv > policy.warning_above:
            out.append(
                Observation(
                    "ltv_warning",
                    "warning",
                    data_asset,
                    row.loan_id,
                    f"LTV {ltv:.1%} above the warning level {policy.warning_above:.0%}",
                    round(ltv, 8),
                    policy.warning_above,
                )
            )
    return out


def latest_states(history: pd.DataFrame) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The latest row of each condition in the event history (rows in insertion order)."""
    states: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in history.to_dict("records"):
        key = (str(row["kind"]), str(row.get("data_asset_id") or ""), str(row.get("asset_id") or ""))
        states[key] = row
    return states


def changes(
    observations: Sequence[Observation], history: pd.DataFrame, as_of: date, cure_days: CureDays
) -> list[dict[str, Any]]:
    """New history rows: events opened by new conditions, and open events no longer seen, now cured."""
    states = latest_states(history) if len(history) else {}
    seen = {o.key for o in observations}
    rows = []
    for obs in observations:
        state = states.get(obs.key)
        if state is not None and state["status"] == "open":
            continue
        category = CURE_CATEGORY.get(obs.kind)
        cure_by = (
            as_of + timedelta(days=getattr(cure_days, category))
            if category and obs.severity == "breach"
            else None
        )
        rows.append({**_event(obs, as_of), "status": "open", "cure_by": cure_by})
    for key, state in states.items():
        if state["status"] == "open" and key not in seen:
            rows.append(
                {
                    **{c: state.get(c) for c in EVENT_COLUMNS},
                    "observed_on": as_of,
                    "status": "cured",
                    "detail": f"cured: {state.get('detail', '')}",
                }
            )
    return rows


def _event(obs: Observation, as_of: date) -> dict[str, Any]:
    """An observation as an event row."""
    raw = asdict(obs)
    return {
        "observed_on": as_of,
        "kind": raw["kind"],
        "severity": raw["severity"],
        "data_asset_id": raw["data_asset_id"],
        "asset_id": raw["asset_id"],
        "value": raw["value"],
        "threshold": raw["threshold"],
        "detail": raw["detail"],
    }


def overdue_events(history: pd.DataFrame, on: date) -> list[dict[str, Any]]:
    """Breaches known by ``on``, still open, whose cure date has passed by ``on``."""
    if not len(history):
        return []
    known = history[history["observed_on"] <= on]
    return [
        state
        for state in latest_states(known).values()
        if state["status"] == "open" and state.get("cure_by") is not None and state["cure_by"] <= on
    ]
