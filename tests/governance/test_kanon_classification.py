"""k-anonymity, GB/T 43697 classification and source legality."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dataabs.governance.classification import asset_findings
from dataabs.governance.kanon import k_anonymity
from dataabs.governance.policy import GovernancePolicy

AS_OF = date(2025, 6, 30)


def test_k_anonymity_smallest_class_and_records_below_k() -> None:
    frame = pd.DataFrame(
        {"district": ["A"] * 5 + ["B"] * 2 + [None], "age": ["30"] * 5 + ["40"] * 2 + ["40"]}
    )
    result = k_anonymity(frame, ["district", "age"], k=3)
    assert (result.smallest_class, result.classes, result.records_below_k) == (1, 3, 3)
    assert not result.satisfied
    assert k_anonymity(frame, ["age"], k=3).satisfied


def test_k_anonymity_missing_column() -> None:
    with pytest.raises(KeyError):
        k_anonymity(pd.DataFrame({"a": [1]}), ["b"], 5)


def row(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "data_asset_id": "DA1",
        "classification": "general",
        "source_type": "self_collected",
    }
    return {**base, **fields}


def blocking(findings: list) -> list[str]:
    return [f.reason for f in findings if f.blocking]


def test_general_self_collected_passes() -> None:
    assert asset_findings(row(), GovernancePolicy(), AS_OF) == []


def test_core_data_is_a_hard_block() -> None:
    assert "core data" in blocking(asset_findings(row(classification="core"), GovernancePolicy(), AS_OF))[0]


def test_important_data_needs_waiver_and_current_assessment() -> None:
    policy = GovernancePolicy()
    assert len(blocking(asset_findings(row(classification="important"), policy, AS_OF))) == 2
    ok = row(classification="important", waiver_ref="W-1", risk_assessment_date=date(2024, 7, 1))
    assert asset_findings(ok, policy, AS_OF) == []
    stale = row(classification="important", waiver_ref="W-1", risk_assessment_date=date(2024, 6, 29))
    assert "older than 12 months" in blocking(asset_findings(stale, policy, AS_OF))[0]
    strict = GovernancePolicy(important_data="block")
    assert blocking(asset_findings(ok, strict, AS_OF)) == ["important data (重要数据) is blocked by policy"]


def test_source_needs_authorisation_not_expired() -> None:
    policy = GovernancePolicy()
    missing = blocking(asset_findings(row(source_type="licensed"), policy, AS_OF))
    assert any("authorisation reference" in r for r in missing)
    expired = row(source_type="licensed", authorisation_ref="L-1", authorisation_expiry=date(2025, 6, 30))
    assert "expired" in blocking(asset_findings(expired, policy, AS_OF))[0]
    valid = row(source_type="purchased", authorisation_ref="P-1", authorisation_expiry="2026-01-01")
    assert asset_findings(valid, policy, AS_OF) == []


def test_row_as_series_or_namedtuple() -> None:
    frame = pd.DataFrame([row(classification="core")])
    assert asset_findings(frame.iloc[0], GovernancePolicy(), AS_OF)
    assert asset_findings(next(frame.itertuples(index=False)), GovernancePolicy(), AS_OF)
