"""The GX runner: real validations; gates block on failed critical and raised expectations, not on warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from dataabs.governance.policy import DIMENSIONS, GovernancePolicy
from dataabs.governance.score import quality_rows
from dataabs.gx import SuiteInvalid, SuiteSpec, load_suite, measure, render_suite, run_suite
from dataabs.rights.uscc import make_uscc
from dataabs.settings import REPO_ROOT
from tests.governance.conftest import make_id

GOVERNANCE_SUITE = REPO_ROOT / "expectations" / "governance.json"
FINDING_COLUMNS = ["data_asset_id", "kind", "column", "count", "masked_example", "blocking", "reason"]


def suite(*expectations: dict) -> SuiteSpec:
    return SuiteSpec.model_validate({"name": "t", "expectations": list(expectations)})


def expectation(kind: str, severity: str, table: str = "t", **kwargs: object) -> dict:
    return {
        "type": kind,
        "kwargs": kwargs,
        "meta": {"severity": severity, "table": table, "description": kind},
    }


FRAME = pd.DataFrame({"x": [1, 2, 3, 50], "name": ["a", "b", "c", "d"]})


def test_failed_critical_blocks() -> None:
    result = run_suite(
        suite(expectation("expect_column_values_to_be_between", "critical", column="x", max_value=10)),
        {"t": FRAME},
    )
    assert not result.success
    assert result.failure_lines() == [
        "[critical] expectation expect_column_values_to_be_between on t.x: 1 of 4 unexpected, e.g. 50 "
        "(expect_column_values_to_be_between)"
    ]


def test_failed_warning_does_not_block() -> None:
    result = run_suite(
        suite(
            expectation("expect_column_values_to_be_between", "warning", column="x", max_value=10),
            expectation("expect_column_values_to_not_be_null", "critical", column="x"),
        ),
        {"t": FRAME},
    )
    assert result.success and result.evaluated == 2
    assert len(result.failure_lines()) == 1 and result.failure_lines()[0].startswith("[warning]")
    assert result.to_json()["failed_warning"] == 1


def test_raised_expectation_blocks_even_as_warning() -> None:
    result = run_suite(
        suite(
            expectation("expect_column_values_to_be_between", "warning", column="missing", max_value=10),
            expectation(
                "expect_column_values_to_be_between", "critical", table="absent", column="x", max_value=10
            ),
        ),
        {"t": FRAME},
    )
    assert not result.success
    raised = [o for o in result.outcomes if o.exception]
    assert len(raised) == 2 and all(o.blocking for o in raised)
    assert "missing" in raised[0].exception and "was not given" in raised[1].exception


def test_bad_kwargs_count_as_raised() -> None:
    result = run_suite(
        suite(expectation("expect_column_values_to_be_between", "critical", column="x", nonsense=1)),
        {"t": FRAME},
    )
    assert not result.success and result.outcomes[0].exception


def test_samples_are_masked() -> None:
    mobile, id_number = "13812345678", make_id("11010519491231002")
    frame = pd.DataFrame({"contact": [mobile, id_number, "ok"]})
    result = run_suite(
        suite(expectation("expect_column_values_to_not_contain_pii", "critical", column="contact")),
        {"t": frame},
    )
    text = json.dumps(result.to_json(), ensure_ascii=False)
    assert mobile not in text and id_number not in text and "138****5678" in text


def test_render_suite_substitutes_placeholders() -> None:
    raw = suite(expectation("expect_column_values_to_be_between", "critical", column="x", min_value="$lo"))
    assert render_suite(raw, {"lo": 2}).expectations[0].kwargs["min_value"] == 2
    with pytest.raises(SuiteInvalid):
        render_suite(raw, {})


def test_load_suite_rejects_unknown_type(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "x", "expectations": [expectation("expect_the_moon", "critical")]}))
    with pytest.raises(SuiteInvalid, match="expect_the_moon"):
        load_suite(path)


def test_custom_expectations_measure() -> None:
    frame = pd.DataFrame(
        {
            "uscc": ["91350100M000100Y43", make_uscc("91110000MA0000000"), "91350100M000100Y44", None],
            "qi": ["a", "a", "b", "b"],
        }
    )
    uscc, kanon = measure(
        frame,
        [
            {"type": "expect_column_values_to_be_valid_uscc", "kwargs": {"column": "uscc"}},
            {"type": "expect_table_k_anonymity", "kwargs": {"quasi_identifiers": ["qi", "uscc"], "k": 2}},
        ],
    )
    assert (uscc.met, uscc.evaluated) == (2, 3)
    assert (kanon.met, kanon.evaluated, kanon.observed_value) == (0, 4, 1)


def governance_tables(
    q: float = 92.9, timeliness: float = 0.85, blocking: bool = False
) -> dict[str, pd.DataFrame]:
    scores = dict(zip(DIMENSIONS, (0.95, 0.97, 0.92, 0.90, timeliness, 1.00), strict=True))
    findings = pd.DataFrame(
        [["DA1", "not_measured", "", 1, "", blocking, "nothing to measure"]], columns=FINDING_COLUMNS
    )
    return {"quality": pd.DataFrame(quality_rows("DA1", scores, q)), "findings": findings}


def governance_gate() -> SuiteSpec:
    return render_suite(load_suite(GOVERNANCE_SUITE), GovernancePolicy().gate_params())


def test_governance_suite_passes_good_tables_with_warnings() -> None:
    result = governance_gate().model_copy()
    gate = run_suite(result, governance_tables())
    assert gate.success
    assert {line.split("]")[0] for line in gate.failure_lines()} == {"[warning"}


@pytest.mark.parametrize(
    ("tables", "expected"),
    [
        (governance_tables(q=79.99), "quality score Q"),
        (governance_tables(timeliness=0.69), "dimension_min"),
        (governance_tables(blocking=True), "no blocking finding"),
    ],
)
def test_governance_suite_blocks(tables: dict[str, pd.DataFrame], expected: str) -> None:
    gate = run_suite(governance_gate(), tables)
    assert not gate.success
    assert any(expected in line for line in gate.failure_lines() if line.startswith("[critical]"))


def test_governance_suite_on_empty_findings() -> None:
    tables = governance_tables()
    tables["findings"] = tables["findings"].iloc[:0]
    assert run_suite(governance_gate(), tables).success
