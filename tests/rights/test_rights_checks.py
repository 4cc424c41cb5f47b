"""Checks V1–V9 over registry answers fetched from the sandbox on loopback: each fails on its crafted case."""

from __future__ import annotations

from datetime import date

from dataabs.rights.checks import CHECKS, VERIFICATION_COLUMNS, RightsPolicy
from dataabs.rights.uscc import make_uscc
from tests.rights.rights_helpers import CERT_1, USCC_2, RightsDeal, failed, pledge


def test_a_clean_deal_passes_every_check(deal: RightsDeal) -> None:
    result = deal.verify()
    assert list(result.columns) == VERIFICATION_COLUMNS
    assert len(result) == 2 * len(CHECKS)
    assert result["passed"].all(), result[~result["passed"]].to_dict("records")
    assert set(result["certificate_no"]) == {CERT_1, "20250533020000007"}


def test_v1_invalid_holder_uscc(deal: RightsDeal) -> None:
    bad = "91320100712345678X"  # same company everywhere, wrong check character
    deal.obligors[0]["uscc"] = bad
    deal.cert(CERT_1)["holder_uscc"] = bad
    deal.seed["pledges"][0]["pledgor_uscc"] = bad
    problems = failed(deal.verify())
    assert list(problems) == ["V1"]
    assert "invalid USCC" in problems["V1"] and bad in problems["V1"]


def test_v2_malformed_certificate_number(deal: RightsDeal) -> None:
    number = "20251331010000012"  # month 13
    deal.asset("DA1")["certificate_no"] = number
    deal.cert(CERT_1)["certificate_no"] = number
    deal.seed["pledges"][0] = pledge("ZD2025063000001", number, deal.obligors[0]["uscc"])
    problems = failed(deal.verify())
    assert list(problems) == ["V2"]
    assert "month 13 is not 01-12" in problems["V2"]


def test_v3_registry_holder_differs_from_the_borrower(deal: RightsDeal) -> None:
    other = make_uscc("91440300MA5FFFFF1")
    deal.cert(CERT_1)["holder_uscc"] = other
    problems = failed(deal.verify())
    assert list(problems) == ["V3"]
    assert f"registry holder USCC {other}" in problems["V3"]


def test_v3_loan_of_another_borrower_pledges_the_data(deal: RightsDeal) -> None:
    deal.assets[0]["obligor_id"] = "O2"
    problems = failed(deal.verify())
    assert list(problems) == ["V3"]
    assert f"loan L1 borrower O2 (USCC {USCC_2}) is not the holder" in problems["V3"]


def test_v3_pledgor_differs(deal: RightsDeal) -> None:
    deal.seed["pledges"][0]["pledgor_uscc"] = USCC_2
    assert "pledgor USCC" in failed(deal.verify())["V3"]


def test_v4_certificate_expires_before_maturity_plus_buffer(deal: RightsDeal) -> None:
    deal.cert(CERT_1)["valid_to"] = "2027-12-01"
    problems = failed(deal.verify())
    assert list(problems) == ["V4"]
    assert problems["V4"] == (
        "certificate valid to 2027-12-01, before loan maturity 2027-06-20 + 180 days = 2027-12-17"
    )
    assert failed(deal.verify(policy=RightsPolicy(maturity_buffer_days=150))) == {}


def test_v5_revoked_certificate(deal: RightsDeal) -> None:
    deal.cert(CERT_1)["status"] = "revoked"
    problems = failed(deal.verify())
    assert list(problems) == ["V5"]
    assert "registry status is revoked" in problems["V5"]


def test_v5_objection_period_not_over_and_dispute(deal: RightsDeal) -> None:
    deal.cert(CERT_1)["objection_period_end"] = "2025-07-15"
    deal.cert(CERT_1)["dispute"] = True
    detail = failed(deal.verify())["V5"]
    assert "objection period runs to 2025-07-15" in detail and "dispute" in detail


def test_v6_rights_bundle_lacks_operation(deal: RightsDeal) -> None:
    deal.cert(CERT_1)["rights"] = ["holding", "processing"]
    problems = failed(deal.verify())
    assert list(problems) == ["V6"]
    assert problems["V6"].startswith("missing required rights operation")
    assert failed(deal.verify(policy=RightsPolicy(required_rights=frozenset({"holding"})))) == {}


def test_v7_second_pledge_ranking_ahead(deal: RightsDeal) -> None:
    deal.seed["pledges"][0]["rank"] = 2
    deal.seed["pledges"].append(
        pledge("ZD2025050100007", CERT_1, deal.obligors[0]["uscc"], pledgee="某商业银行")
    )
    problems = failed(deal.verify())
    assert list(problems) == ["V7"]
    assert (
        "pledge ZD2025050100007 to 某商业银行 ranks 1, not behind the deal's pledge ZD2025063000001"
        in problems["V7"]
    )


def test_v7_several_pledgees_without_a_named_pledgee(deal: RightsDeal) -> None:
    deal.seed["pledges"].append(
        pledge("ZD2025050100007", CERT_1, deal.obligors[0]["uscc"], "某商业银行", rank=2)
    )
    assert "the deal's pledgee is not named" in failed(deal.verify(pledgee=None))["V7"]
    assert failed(deal.verify()) == {}


def test_v7_no_pledge_or_description_not_citing(deal: RightsDeal) -> None:
    deal.seed["pledges"][0]["description"] = "以数据资产质押"
    assert "does not cite certificate" in failed(deal.verify())["V7"]
    deal.seed["pledges"][0]["status"] = "released"
    problems = failed(deal.verify())
    assert "no active pledge registration" in problems["V7"] and "no pledgor" in problems["V3"]


def test_v8_evidence_hash_mismatch(deal: RightsDeal) -> None:
    (deal.root / "evidence" / "da1.pdf").write_bytes(b"tampered evidence")
    problems = failed(deal.verify())
    assert list(problems) == ["V8"]
    assert "the registry holds" in problems["V8"]


def test_v8_missing_or_escaping_evidence_file(deal: RightsDeal) -> None:
    deal.asset("DA1")["evidence_file"] = "evidence/none.pdf"
    assert failed(deal.verify())["V8"] == "evidence file evidence/none.pdf not found in the package"
    deal.asset("DA1")["evidence_file"] = "../outside.pdf"
    assert "stay inside the package" in failed(deal.verify())["V8"]


def test_v9_core_data(deal: RightsDeal) -> None:
    deal.cert(CERT_1)["classification"] = "core"
    problems = failed(deal.verify())
    assert list(problems) == ["V9"]
    assert "core data" in problems["V9"]


def test_v9_source_evidence_missing_or_expired(deal: RightsDeal) -> None:
    deal.asset("DA1")["authorisation_ref"] = None
    assert failed(deal.verify())["V9"] == "licensed data without an authorisation reference"
    deal.asset("DA1")["authorisation_ref"] = "AUTH-1"
    deal.asset("DA1")["authorisation_expiry"] = date(2025, 1, 1)
    assert "authorisation AUTH-1 expired 2025-01-01" in failed(deal.verify())["V9"]
    deal.asset("DA1")["source_type"] = "self_collected"
    assert failed(deal.verify()) == {}


def test_v9_important_data_needs_waiver_and_current_assessment(deal: RightsDeal) -> None:
    deal.asset("DA1")["classification"] = "important"
    detail = failed(deal.verify())["V9"]
    assert "without a recorded waiver" in detail and "risk assessment since 2024-06-30" in detail
    deal.asset("DA1")["waiver_ref"] = "WAIVER-7"
    deal.asset("DA1")["risk_assessment_date"] = date(2025, 3, 1)
    assert failed(deal.verify()) == {}
    assert (
        "may not be pledged"
        in failed(deal.verify(policy=RightsPolicy(allow_important_with_waiver=False)))["V9"]
    )


def test_unregistered_certificate_fails_the_registry_checks(deal: RightsDeal) -> None:
    deal.seed["certificates"] = [c for c in deal.seed["certificates"] if c["certificate_no"] != CERT_1]
    result = deal.verify()
    problems = failed(result)
    assert set(problems) == {"V3", "V4", "V5", "V6", "V8"}
    assert all(d == f"the registry has no certificate {CERT_1}" for d in problems.values())
    assert failed(result, "DA2") == {}


def test_data_asset_without_a_loan_fails_unless_the_policy_waives_the_pledge(deal: RightsDeal) -> None:
    deal.assets[0]["data_asset_id"] = None
    problems = failed(deal.verify())
    assert set(problems) == {"V3", "V4"}
    assert set(failed(deal.verify(policy=RightsPolicy(require_pledge=False)))) == set()
