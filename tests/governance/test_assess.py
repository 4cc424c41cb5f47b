"""Assessment of one data asset end to end, reading samples in every supported encoding and format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.governance_bench import CUT_OFF, DATA_ASSET, SPEC, synthetic_sample
from dataabs.governance.assess import assess_data_asset, findings_table, quality_table, read_sample
from dataabs.governance.policy import GovernancePolicy
from dataabs.governance.sample import SampleUnreadable
from dataabs.governance.spec import DataSpec
from tests.governance.conftest import make_id

POLICY = GovernancePolicy()


@pytest.fixture(scope="module")
def spec() -> DataSpec:
    return DataSpec.model_validate(SPEC)


def test_assessment_of_100k_rows(spec: DataSpec) -> None:
    assessment = assess_data_asset(DATA_ASSET, synthetic_sample(10**5), spec, POLICY, CUT_OFF)
    assert assessment.passed, assessment.blocking_reasons
    assert 95 < assessment.q <= 100
    quality = quality_table([assessment])
    assert list(quality["dimension"])[-1] == "Q" and len(quality) == 7
    assert assessment.kanon is not None and assessment.kanon.satisfied


def test_pii_core_data_and_small_classes_block(spec: DataSpec) -> None:
    sample = synthetic_sample(200)
    id_number = make_id("11010519491231002")
    sample.loc[3, "plate_masked"] = f"owner {id_number}"
    sample.loc[7, "district"] = "D99"
    row = {**DATA_ASSET, "classification": "core"}
    assessment = assess_data_asset(row, sample, spec, POLICY, CUT_OFF)
    reasons = " | ".join(assessment.blocking_reasons)
    assert "pii_id_number" in reasons and "core data" in reasons and "k = 1 < 5" in reasons
    assert all(r.startswith("data asset DA-BENCH: ") for r in assessment.blocking_reasons)
    findings = findings_table([assessment])
    assert id_number not in findings.to_csv() and "110105********" in findings.to_csv()
    assert findings["blocking"].dtype == bool


def test_low_quality_blocks_with_reasons(spec: DataSpec) -> None:
    sample = synthetic_sample(100)
    sample["ts"] = "2024-01-01 00:00:00"  # stale
    sample["speed_kmh"] = "fast"
    assessment = assess_data_asset(DATA_ASSET, sample, spec, POLICY, date(2025, 6, 30))
    assert any("timeliness score" in r for r in assessment.blocking_reasons)
    assert assessment.dimensions["timeliness"] == pytest.approx(0.5)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_read_sample_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("地区,值\n杭州,1\n南昌,\n".encode(encoding))
    frame = read_sample(path)
    assert list(frame.columns) == ["地区", "值"] and frame["地区"].tolist() == ["杭州", "南昌"]
    assert frame["值"].isna().tolist() == [False, True]


def test_read_sample_parquet(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    pd.DataFrame(
        {"n": [1.5, None], "ts": pd.to_datetime(["2025-01-01 10:00:00", "2025-01-02"], format="ISO8601")}
    ).to_parquet(path)
    frame = read_sample(path)
    assert frame["n"].tolist()[0] == "1.5" and frame["n"].isna().tolist() == [False, True]
    assert frame["ts"].tolist() == ["2025-01-01 10:00:00", "2025-01-02"]


def test_read_sample_missing(tmp_path: Path) -> None:
    with pytest.raises(SampleUnreadable, match="not found"):
        read_sample(tmp_path / "none.csv")
