"""Assess one data asset (数据治理评估): quality indicators and score, PII, k-anonymity, classification and source.

``assess_data_asset`` composes the governance rooms into one ``Assessment`` whose ``blocking_reasons`` say, for the
data asset by name, everything that stops it from being pledged. The tables it yields (``quality``, ``findings``,
``indicators``) are what the governance gate (``expectations/governance.json``) runs over and what the report
folder receives. No raw personal information is kept: PII appears as counts and masked examples only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from dataabs.governance.classification import asset_findings
from dataabs.governance.findings import FINDING_COLUMNS, Finding
from dataabs.governance.indicators import Indicator, measure_indicators
from dataabs.governance.kanon import KAnonymity, k_anonymity
from dataabs.governance.pii import PiiFinding, scan_frame
from dataabs.governance.policy import DIMENSIONS, Dimension, GovernancePolicy
from dataabs.governance.sample import SampleUnreadable, read_sample
from dataabs.governance.score import (
    DIMENSION_DECIMALS,
    Q_DECIMALS,
    QUALITY_COLUMNS,
    dimension_scores,
    fill_unmeasured,
    quality_rows,
    quality_score,
)
from dataabs.governance.spec import DataSpec

__all__ = ["Assessment", "SampleUnreadable", "assess_data_asset", "read_sample"]

INDICATOR_COLUMNS = (
    "data_asset_id",
    "indicator",
    "dimension",
    "met",
    "evaluated",
    "value",
    "score",
    "lower_is_better",
    "applicable",
)


@dataclass(frozen=True)
class Assessment:
    """The governance verdict on one data asset."""

    data_asset_id: str
    indicators: list[Indicator]
    dimensions: dict[Dimension, float]
    unmeasured: list[Dimension]
    q: float
    pii: list[PiiFinding]
    kanon: KAnonymity | None
    findings: list[Finding]
    blocking_reasons: list[str]

    @property
    def passed(self) -> bool:
        """Nothing blocks the data asset."""
        return not self.blocking_reasons

    def quality_rows(self) -> list[dict[str, object]]:
        """Rows of ``governance/quality.csv`` (dimensions 0–1, ``Q`` 0–100)."""
        return quality_rows(self.data_asset_id, self.dimensions, self.q)

    def finding_rows(self) -> list[dict[str, object]]:
        """Rows of the ``findings`` table (masked)."""
        return [f.row(self.data_asset_id) for f in self.findings]

    def indicator_rows(self) -> list[dict[str, object]]:
        """Rows of ``governance/indicators.csv``: each indicator's A, B, X and score."""
        return [
            {
                "data_asset_id": self.data_asset_id,
                "indicator": i.id,
                "dimension": i.dimension,
                "met": i.met,
                "evaluated": i.evaluated,
                "value": round(i.value, 6),
                "score": round(i.score, 6),
                "lower_is_better": i.lower_is_better,
                "applicable": i.applicable,
            }
            for i in self.indicators
        ]


def _table(rows: Iterable[dict[str, object]], columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(columns))


def quality_table(assessments: Iterable[Assessment]) -> pd.DataFrame:
    """The ``quality`` table of several assessments (``data_asset_id, dimension, score``)."""
    return _table((r for a in assessments for r in a.quality_rows()), QUALITY_COLUMNS)


def findings_table(assessments: Iterable[Assessment]) -> pd.DataFrame:
    """The ``findings`` table of several assessments (empty with its columns when there are none)."""
    frame = _table((r for a in assessments for r in a.finding_rows()), FINDING_COLUMNS)
    return frame.astype({"count": "int64", "blocking": "bool"})


def indicators_table(assessments: Iterable[Assessment]) -> pd.DataFrame:
    """The ``indicators`` table of several assessments."""
    return _table((r for a in assessments for r in a.indicator_rows()), INDICATOR_COLUMNS)


def pii_findings(frame: pd.DataFrame, policy: GovernancePolicy) -> tuple[list[PiiFinding], list[Finding]]:
    """PII scan of every text column; each column and kind is a finding, blocking unless policy allows PII."""
    found = scan_frame(frame)
    findings = [
        Finding(
            kind=f"pii_{p.kind}",
            reason=f"{p.count} {p.kind.replace('_', ' ')}(s) found in column {p.column!r}",
            blocking=not policy.pii_allowed,
            column=p.column,
            count=p.count,
            masked_example=p.examples[0] if p.examples else "",
        )
        for p in found
    ]
    return found, findings


def kanon_findings(
    frame: pd.DataFrame, spec: DataSpec, policy: GovernancePolicy
) -> tuple[KAnonymity | None, list[Finding]]:
    """k-anonymity over the declared quasi-identifiers; classes smaller than ``k_min`` block."""
    if not spec.quasi_identifiers:
        return None, []
    columns = ",".join(spec.quasi_identifiers)
    try:
        result = k_anonymity(frame, spec.quasi_identifiers, policy.k_min)
    except KeyError as exc:
        return None, [Finding("k_anonymity", str(exc.args[0]), True, column=columns)]
    if result.satisfied:
        return result, []
    reason = (
        f"k = {result.smallest_class} < {policy.k_min}: {result.records_below_k} record(s) in classes "
        f"smaller than {policy.k_min} over {columns}"
    )
    return result, [Finding("k_anonymity", reason, True, column=columns, count=result.records_below_k)]


def measurement_findings(indicators: Iterable[Indicator], unmeasured: Iterable[Dimension]) -> list[Finding]:
    """Expectations that raised (blocking, counted as failed) and dimensions with nothing to measure (reported)."""
    findings = [
        Finding("measurement_error", f"{i.id}: {error}", True) for i in indicators for error in i.errors
    ]
    findings += [
        Finding("not_measured", f"the data spec gives nothing to measure for {d}", False) for d in unmeasured
    ]
    return findings


def quality_reasons(dimensions: Mapping[Dimension, float], q: float, policy: GovernancePolicy) -> list[str]:
    """Quality thresholds failed, judged on the rounded values written to ``quality.csv``."""
    reasons = []
    if round(q, Q_DECIMALS) < policy.q_min:
        reasons.append(f"quality score Q = {q:.2f} is below {policy.q_min:g}")
    for dimension in DIMENSIONS:
        score = round(dimensions[dimension], DIMENSION_DECIMALS)
        if score < policy.dimension_min:
            reasons.append(f"{dimension} score {score:.4f} is below {policy.dimension_min:g}")
    return reasons


def assess_data_asset(
    data_asset_row: Mapping[str, Any] | Any,
    sample_frame: pd.DataFrame,
    spec: DataSpec,
    policy: GovernancePolicy,
    as_of: date,
    package_root: Path | str | None = None,
) -> Assessment:
    """Assess one data asset's sample against its spec and the policy, as of the deal's cut-off date."""
    row: Mapping[str, Any] = (
        data_asset_row._asdict() if hasattr(data_asset_row, "_asdict") else data_asset_row
    )
    asset_id = str(row["data_asset_id"])
    root = Path(package_root) if package_root is not None else None
    indicators = measure_indicators(sample_frame, spec, as_of, root, policy.http_timeout_seconds)
    raw_scores = dimension_scores(indicators, policy)
    unmeasured = [d for d, s in raw_scores.items() if s is None]
    dimensions = fill_unmeasured(raw_scores, policy)
    q = quality_score(dimensions, policy)
    pii, pii_found = pii_findings(sample_frame, policy)
    kanon, kanon_found = kanon_findings(sample_frame, spec, policy)
    findings = (
        pii_found
        + kanon_found
        + asset_findings(row, policy, as_of)
        + measurement_findings(indicators, unmeasured)
    )
    reasons = quality_reasons(dimensions, q, policy) + [
        f"{f.kind}: {f.reason}" for f in findings if f.blocking
    ]
    return Assessment(
        data_asset_id=asset_id,
        indicators=indicators,
        dimensions=dimensions,
        unmeasured=unmeasured,
        q=q,
        pii=pii,
        kanon=kanon,
        findings=findings,
        blocking_reasons=[f"data asset {asset_id}: {r}" for r in reasons],
    )
