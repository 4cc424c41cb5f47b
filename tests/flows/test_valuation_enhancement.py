"""Valuation and enhancement as gated lifecycle stages (issue: valuation, engine, enhancement), on both ledgers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dataabs.errors import GateFailed
from dataabs.ledger.models import LtvRecord, StressResult, StructureRecord, ValuationRecord
from tests.flows.lifecycle_helpers import count, run, states

pytestmark = pytest.mark.usefixtures("prefect_server", "ledger_env")

FOUR = ["governance", "rights", "valuation", "enhancement"]


def edit_yaml(path: Path, edit: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    """Rewrite a YAML file of a package copy through an in-place edit."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def asset(data: dict, data_asset_id: str) -> dict:  # type: ignore[type-arg]
    """One data asset's entry of a valuation.yaml."""
    return next(a for a in data["assets"] if a["data_asset_id"] == data_asset_id)


def test_lifecycle_commits_valuation_and_structure_and_reruns_append_history(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-ve", ["DA-V2X", "DA-PARKING"]), tmp_path / "out"
    result = run(deal, out, sandbox, stages=FOUR)
    assert list(result) == FOUR
    assert {s: states("demo-ve")[s] for s in FOUR} == dict.fromkeys(FOUR, "passed")
    folder = out / "demo-ve"
    values = pd.read_csv(folder / "valuation" / "valuations.csv", encoding="utf-8-sig")
    finals = values[values["method"] == "final"].set_index("data_asset_id")["value"]
    assert set(finals.index) == {"DA-V2X", "DA-PARKING"} and (finals > 0).all()
    assert set(values.loc[values["data_asset_id"] == "DA-PARKING", "method"]) == {
        "income",
        "cost",
        "market",
        "final",
    }
    ltv = pd.read_csv(folder / "valuation" / "ltv.csv", encoding="utf-8-sig").set_index("asset_id")
    assert set(ltv.index) == {"L01", "L05"} and (ltv["ltv"] <= 0.5).all()
    assert ltv.loc["L01", "ltv"] == pytest.approx(25_000_000 / finals["DA-V2X"], abs=1e-8)
    for name in ("sensitivity.csv", "appraisal.html", "appraisal.xlsx"):
        assert (folder / "valuation" / name).is_file()
    assert "评估结论" in (folder / "valuation" / "appraisal.html").read_text(encoding="utf-8")
    assert set(pd.ExcelFile(folder / "valuation" / "appraisal.xlsx").sheet_names) == {"DA-V2X", "DA-PARKING"}

    structure = json.loads((folder / "enhancement" / "structure.json").read_text(encoding="utf-8"))
    assert [t["id"] for t in structure["tranches"]] == ["A", "B"]
    assert structure["sizing"]["evaluations"] <= 40
    assert structure["sizing"]["sized"] >= structure["sizing"]["proposed"] == 127_000_000
    assert structure["coverage_measure"] == {"basis": "life", "kind": "interest", "credit_substitution": True}
    stress = pd.read_csv(folder / "enhancement" / "stress.csv", encoding="utf-8-sig")
    assert stress["scenario"].is_unique and {"base", "rating", "guarantor_fails"} == set(stress["kind"])
    assert (stress.loc[stress["kind"] != "guarantor_fails", "senior_loss"] == 0).all()
    periods = pd.read_csv(folder / "enhancement" / "periods.csv", encoding="utf-8-sig")
    assert {"coverage", "interest_coverage", "oc", "excess_spread"} <= set(periods.columns)
    assert count(StructureRecord, "demo-ve") == 1 and count(StressResult, "demo-ve") == len(stress)

    before, ltv_before = count(ValuationRecord, "demo-ve"), count(LtvRecord, "demo-ve")
    assert before == len(values) and ltv_before == 2
    run(deal, out, sandbox, stages=["valuation"])
    assert count(ValuationRecord, "demo-ve") == 2 * before  # history, never overwritten
    assert count(LtvRecord, "demo-ve") == 2 * ltv_before
    assert states("demo-ve")["enhancement"] == "stale"
    run(deal, out, sandbox, stages=["enhancement"])
    assert count(StructureRecord, "demo-ve") == 2 and count(StressResult, "demo-ve") == len(stress)


def test_valuation_gate_names_the_loan_above_ltv_and_the_market_rule(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-val-bad", ["DA-V2X", "DA-PARKING"]), tmp_path / "out"

    def weaken(data: dict) -> None:  # type: ignore[type-arg]
        income = asset(data, "DA-V2X")["methods"]["income"]
        income["revenue"] = [round(r * 0.7) for r in income["revenue"]]  # lower income → LTV above 50%
        market = asset(data, "DA-PARKING")["methods"]["market"]
        market["comparables"] = market["comparables"][:2]
        market["comparables"][0]["weight"], market["comparables"][1]["weight"] = 0.5, 0.5

    edit_yaml(deal / "valuation.yaml", weaken)
    with pytest.raises(GateFailed) as failed:
        run(deal, out, sandbox, stages=["governance", "rights", "valuation"])
    message = str(failed.value)
    assert "L01: [ltv] origination LTV 5" in message and "above_origination_limit" in message
    assert "DA-PARKING: [comparables] 2 comparable(s)" in message
    assert states("demo-val-bad")["valuation"] == "failed"
    assert count(ValuationRecord, "demo-val-bad") == 0  # a failed gate commits nothing
    assert not (out / "demo-val-bad" / "valuation").exists()


def test_enhancement_gate_names_the_failed_criterion(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-enh-bad", ["DA-V2X"]), tmp_path / "out"

    def raise_senior(data: dict) -> None:  # type: ignore[type-arg]
        data["tranches"][0]["size"], data["tranches"][1]["size"] = 132_000_000, 1_700_000

    edit_yaml(deal / "deal.yaml", raise_senior)
    with pytest.raises(GateFailed) as failed:
        run(deal, out, sandbox, stages=FOUR)
    message = str(failed.value)
    assert "[subordination] structure: subordination 1.2715% vs ≥ 5.00%" in message
    assert states("demo-enh-bad")["enhancement"] == "failed"
    assert count(StructureRecord, "demo-enh-bad") == 0

    # The standalone test (no credit substitution) is a named policy choice: the demo's 1.08× fails 1.20×.
    def standalone(data: dict) -> None:  # type: ignore[type-arg]
        data["tranches"][0]["size"], data["tranches"][1]["size"] = 127_000_000, 6_700_000
        data["policy"] = {"enhancement": {"credit_substitution": False}}

    edit_yaml(deal / "deal.yaml", standalone)
    with pytest.raises(GateFailed) as failed:
        run(deal, out, sandbox, stages=FOUR)
    message = str(failed.value)
    assert "[base_coverage] base: life debt-service coverage 1.07" in message
    assert "vs ≥ 1.20" in message


def drop_valuation_inputs(deal: Path) -> None:
    """No valuation inputs: no ``valuation:`` key in deal.yaml and no valuation.yaml in the package."""
    edit_yaml(deal / "deal.yaml", lambda data: data.pop("valuation", None))
    (deal / "valuation.yaml").unlink()


def test_valuation_with_nothing_pledged_commits_empty_tables(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-val-none", ["DA-V2X"]), tmp_path / "out"
    assets = pd.read_csv(deal / "assets.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assets["data_asset_id"] = ""  # the data asset stays (governed, registered) but secures nothing
    assets.to_csv(deal / "assets.csv", index=False, encoding="utf-8")
    edit_yaml(deal / "deal.yaml", lambda data: data.update(policy={"rights": {"require_pledge": False}}))
    drop_valuation_inputs(deal)
    run(deal, out, sandbox, stages=["governance", "rights", "valuation"])
    assert states("demo-val-none")["valuation"] == "passed"
    folder = out / "demo-val-none" / "valuation"
    for name, column in (("valuations.csv", "method"), ("ltv.csv", "ltv"), ("problems.csv", "rule")):
        table = pd.read_csv(folder / name, encoding="utf-8-sig")
        assert table.empty and column in table.columns, name  # empty, with its headers
    assert "nothing is valued" in (folder / "appraisal.html").read_text(encoding="utf-8")
    assert count(ValuationRecord, "demo-val-none") == 0 and count(LtvRecord, "demo-val-none") == 0


def test_valuation_without_inputs_fails_naming_the_pledged_data_assets(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-val-missing", ["DA-V2X", "DA-PARKING"]), tmp_path / "out"
    drop_valuation_inputs(deal)
    with pytest.raises(GateFailed) as failed:
        run(deal, out, sandbox, stages=["governance", "rights", "valuation"])
    message = str(failed.value)
    for data_asset in ("DA-V2X", "DA-PARKING"):
        assert f"{data_asset}: [missing_valuation] pledged data asset has no valuation inputs" in message
    assert states("demo-val-missing")["valuation"] == "failed"
    assert count(ValuationRecord, "demo-val-missing") == 0


def test_package_refuses_a_valuation_key_naming_a_missing_file(
    deal_variant: Callable[..., Path], tmp_path: Path
) -> None:
    from dataabs.errors import PackageInvalid
    from dataabs.package import load_package

    deal = deal_variant("demo-val-gone", ["DA-V2X"])
    (deal / "valuation.yaml").unlink()
    with pytest.raises(PackageInvalid, match="valuation"):
        load_package(deal)
