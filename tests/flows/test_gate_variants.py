"""Failing variants of the demo: each gate must stop the stage and name the cause (issue: foundation)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from dataabs.errors import CounterpartyError, GateFailed
from dataabs.rights.uscc import make_uscc
from tests.conftest import DEMO_DIR
from tests.flows.lifecycle_helpers import edit_csv, id_number, luhn_valid, run, states, wrong_id_number

pytestmark = pytest.mark.usefixtures("prefect_server", "ledger_env")

VALID_IDS = [id_number(f"110105199003{7 + i:02d}123") for i in range(6)]  # born 1990-03-07 onwards
VALID_MOBILES = ["13812345678", "15900001111", "18688889999"]


def failure_text(exc: pytest.ExceptionInfo[GateFailed]) -> str:
    """The operator's message of a failed gate."""
    return str(exc.value)


def failed_checks(message: str) -> set[tuple[str, str]]:
    """(data asset, check id) of every "data asset X (certificate N) Vk: …" line of a rights gate message."""
    found = re.findall(r"data asset (\S+) \(certificate [^)]*\) (V\d):", message)
    return {(asset, check) for asset, check in found}


def holder_data_asset(obligor_id: str) -> str:
    """The demo data asset held by an obligor."""
    data_assets = pd.read_csv(DEMO_DIR / "data_assets.csv", dtype=str)
    return str(data_assets.loc[data_assets["holder_obligor_id"] == obligor_id, "data_asset_id"].iloc[0])


def test_planted_personal_information_fails_governance_and_stays_masked(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-pii", ["DA-HOTEL", "DA-V2X"]), tmp_path / "out"
    planted = VALID_IDS + VALID_MOBILES

    def plant(frame: pd.DataFrame) -> None:
        for row, value in enumerate(planted):
            frame.loc[row * 7, "remark"] = f"客人证件 {value}"

    edit_csv(deal / "samples" / "DA-HOTEL.csv", plant)
    with pytest.raises(GateFailed) as failed:
        run(deal, out, sandbox, stages=["governance"])
    message = failure_text(failed)
    assert "DA-HOTEL" in message and "id_number" in message and "mobile" in message
    # Raw personal data never leaves the stage: not in the message, the gate file or any report file.
    written = "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in (out / "demo-pii").rglob("*") if p.is_file()
    )
    for value in planted:
        assert value not in message and value not in written
    assert states("demo-pii")["governance"] == "failed"


def test_numbers_with_wrong_check_digits_are_not_flagged(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-decoy", ["DA-HOTEL"]), tmp_path / "out"
    wrong = [wrong_id_number(v) for v in VALID_IDS]
    cards = ["6222021234567890124", "4111111111111112"]  # Luhn digit wrong
    assert not any(luhn_valid(c) for c in cards)

    def plant(frame: pd.DataFrame) -> None:
        for row, value in enumerate(wrong + cards):
            frame.loc[row * 5, "remark"] = f"编号 {value}"

    edit_csv(deal / "samples" / "DA-HOTEL.csv", plant)
    run(deal, out, sandbox, stages=["governance"])
    findings = pd.read_csv(out / "demo-decoy" / "governance" / "findings.csv", encoding="utf-8-sig")
    assert findings.empty or not findings["kind"].isin(["id_number", "bank_card"]).any()
    assert states("demo-decoy")["governance"] == "passed"


def test_completeness_defect_and_expired_authorisation_fail_governance(
    deal_variant: Callable[..., Path], sandbox: str, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-incomplete", ["DA-HOTEL"]), tmp_path / "out"

    def blank_required(frame: pd.DataFrame) -> None:
        frame.loc[frame.index % 5 != 0, "channel"] = ""  # a required column 80% empty

    def expire(frame: pd.DataFrame) -> None:
        licensed = frame.index[frame["source_type"] == "licensed"][0]
        frame.loc[licensed, "authorisation_expiry"] = "2025-01-31"  # before the cut-off

    edit_csv(deal / "samples" / "DA-HOTEL.csv", blank_required)
    edit_csv(deal / "data_assets.csv", expire)
    with pytest.raises(GateFailed) as failed:
        run(deal, out, sandbox, stages=["governance"])
    message = failure_text(failed)
    assert "data asset DA-HOTEL: completeness" in message
    assert "authoris" in message.lower()


REGISTRY_DEFECTS = {"DA-V2X": "V5", "DA-PADDY": "V4", "DA-HOTEL": "V3", "DA-PARKING": "V7"}


def registry_with(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The demo registry with an edit applied."""
    registry = json.loads((DEMO_DIR / "registry" / "registry.json").read_text(encoding="utf-8"))
    mutate(registry)
    return registry


def certificate_of(registry: dict[str, Any], data_asset_id: str) -> dict[str, Any]:
    """The registry certificate of a demo data asset."""
    numbers = pd.read_csv(DEMO_DIR / "data_assets.csv", dtype=str).set_index("data_asset_id")[
        "certificate_no"
    ]
    return next(c for c in registry["certificates"] if c["certificate_no"] == numbers[data_asset_id])


def test_registry_defects_fail_rights_naming_each_check(
    deal_variant: Callable[..., Path], sandbox: str, sandbox_control: httpx.Client, tmp_path: Path
) -> None:
    deal, out = (
        deal_variant("demo-registry", [*REGISTRY_DEFECTS, holder_data_asset("OB08")]),
        tmp_path / "out",
    )

    def obligor_uscc_invalid(frame: pd.DataFrame) -> None:
        uscc = frame.loc[frame["obligor_id"] == "OB08", "uscc"].iloc[0]
        frame.loc[frame["obligor_id"] == "OB08", "uscc"] = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")

    edit_csv(deal / "obligors.csv", obligor_uscc_invalid)
    run(deal, out, sandbox, stages=["governance"])

    def defects(registry: dict[str, Any]) -> None:
        certificate_of(registry, "DA-V2X")["status"] = "revoked"
        certificate_of(registry, "DA-PADDY")["valid_to"] = "2027-08-31"  # before loan maturity + 180 days
        certificate_of(registry, "DA-HOTEL")["holder_uscc"] = make_uscc("91330100MA2XXXXX1")
        ahead = certificate_of(registry, "DA-PARKING")
        ours = next(p for p in registry["pledges"] if p["certificate_no"] == ahead["certificate_no"])
        registry["pledges"].append(
            {
                **ours,
                "registration_no": "ZD2025010100009",
                "pledgee": "某资产管理公司",
                "registered": "2025-01-01",
                "rank": 1,
            }
        )
        ours["rank"] = 2

    sandbox_control.post(
        "/_sandbox/seed", json={"deal_id": "demo", "registry": registry_with(defects)}
    ).raise_for_status()
    with pytest.raises(GateFailed) as failed:
        run(deal, out, sandbox, stages=["rights"])
    message = failure_text(failed)
    expected = {*REGISTRY_DEFECTS.items(), (holder_data_asset("OB08"), "V1")}
    assert expected <= failed_checks(message)
    assert "revoked" in message
    assert states("demo-registry")["rights"] == "failed"


def test_registry_faults_are_retried_then_fail_clearly_and_a_rerun_recovers(
    deal_variant: Callable[..., Path], sandbox: str, sandbox_control: httpx.Client, tmp_path: Path
) -> None:
    deal, out = deal_variant("demo-faults", ["DA-METER"]), tmp_path / "out"
    run(deal, out, sandbox, stages=["governance"])

    def requests_seen() -> int:
        return int(sum(sandbox_control.get("/_sandbox/requests").json()["counts"].values()))

    # A registry slower than the client's timeout (2 s in tests), every attempt: 1 try + 2 retries, then a failure.
    sandbox_control.delete("/_sandbox/requests")
    sandbox_control.post(
        "/_sandbox/faults",
        json={"path_prefix": "/registry", "mode": "latency", "delay_seconds": 3, "count": 3},
    ).raise_for_status()
    with pytest.raises(CounterpartyError, match="registry"):
        run(deal, out, sandbox, stages=["rights"])
    assert requests_seen() == 3
    sandbox_control.delete("/_sandbox/faults")

    # 500s on every attempt.
    sandbox_control.delete("/_sandbox/requests")
    sandbox_control.post(
        "/_sandbox/faults", json={"path_prefix": "/registry", "mode": "status", "status": 500, "count": 3}
    ).raise_for_status()
    with pytest.raises(CounterpartyError, match="500"):
        run(deal, out, sandbox, stages=["rights"])
    assert requests_seen() == 3

    # Malformed JSON is not retried: it fails at once, naming what was wrong.
    sandbox_control.delete("/_sandbox/requests")
    sandbox_control.post(
        "/_sandbox/faults", json={"path_prefix": "/registry", "mode": "malformed", "count": 1}
    ).raise_for_status()
    with pytest.raises(CounterpartyError, match=r"(?i)json"):
        run(deal, out, sandbox, stages=["rights"])
    assert requests_seen() == 1
    assert states("demo-faults")["rights"] == "failed"

    # Two 500s and then a good answer: retried within the budget, the stage passes.
    sandbox_control.post(
        "/_sandbox/faults", json={"path_prefix": "/registry", "mode": "status", "status": 503, "count": 2}
    ).raise_for_status()
    run(deal, out, sandbox, stages=["rights"])
    assert states("demo-faults")["rights"] == "passed"
