"""PII scan: valid check digits are flagged, wrong ones are not; only masked values leave the scanner."""

from __future__ import annotations

import pandas as pd

from dataabs.governance.pii import contains_pii, luhn_ok, mask_sample, mask_value, scan_frame
from tests.governance.conftest import make_card, make_id, wrong_check


def kinds(values: list[str]) -> dict[str, int]:
    return {f.kind: f.count for f in scan_frame(pd.DataFrame({"c": values}))}


def test_id_number_with_valid_check_digit_is_flagged(valid_id: str) -> None:
    assert kinds([f"客户 {valid_id} 已登记"]) == {"id_number": 1}


def test_id_number_with_x_check_character() -> None:
    ids = [make_id(f"44010619900101{i:03d}") for i in range(40)]
    with_x = next(i for i in ids if i.endswith("X"))
    assert kinds([with_x, with_x.lower()]) == {"id_number": 2}


def test_id_number_with_wrong_check_digit_is_not_flagged(valid_id: str) -> None:
    assert kinds([wrong_check(valid_id)]) == {}


def test_id_number_with_impossible_birth_date_is_not_flagged() -> None:
    assert kinds([make_id("11010519491331002")]) == {}


def test_id_number_embedded_in_longer_digit_run_is_not_flagged(valid_id: str) -> None:
    assert "id_number" not in kinds([f"9{valid_id}9"])


def test_mobile_numbers() -> None:
    found = kinds(
        ["tel 13812345678", "+8613912345678", "18600001111,15000002222", "12812345678", "1381234567"]
    )
    assert found == {"mobile": 4}


def test_mobile_inside_longer_number_is_not_flagged() -> None:
    assert kinds(["9913812345678", "13812345678901"]) == {}


def test_email() -> None:
    assert kinds(["mail zhang.san@example.com now", "not an email @ here"]) == {"email": 1}


def test_bank_card_with_valid_luhn_digit_is_flagged() -> None:
    card16 = make_card("622202123456789")
    card19 = make_card("621700001234567890")
    grouped = " ".join(card16[i : i + 4] for i in range(0, 16, 4))
    assert kinds([card16, card19, grouped]) == {"bank_card": 3}


def test_bank_card_with_wrong_luhn_digit_is_not_flagged() -> None:
    assert kinds([wrong_check(make_card("622202123456789"))]) == {}


def test_valid_id_is_reported_as_id_not_as_card(valid_id: str) -> None:
    assert set(kinds([valid_id])) == {"id_number"}


def test_luhn_vector() -> None:
    assert luhn_ok(pd.Series(["4111111111111111", "4111111111111112"], dtype=object)).tolist() == [
        True,
        False,
    ]


def test_masks() -> None:
    assert mask_value("id_number", "11010519491231123X") == "110105********123X"
    assert mask_value("mobile", "13812345678") == "138****5678"
    assert mask_value("email", "zhang@example.com") == "z***@example.com"
    assert mask_value("bank_card", "6222021234561234") == "6222 **** **** 1234"


def test_findings_carry_masked_examples_only(valid_id: str) -> None:
    frame = pd.DataFrame({"note": [f"id {valid_id}", "13812345678", "x"], "n": ["1", "2", "3"]})
    findings = scan_frame(frame)
    text = repr(findings)
    assert valid_id not in text and "13812345678" not in text
    assert {(f.column, f.kind, f.count) for f in findings} == {
        ("note", "id_number", 1),
        ("note", "mobile", 1),
    }
    assert ("138****5678",) in [f.examples for f in findings]


def test_mask_sample_masks_pii_and_keeps_other_values(valid_id: str) -> None:
    assert mask_sample([f"a {valid_id}", 0.5, "13812345678"]) == [
        "a 110105********" + valid_id[-4:],
        "0.5",
        "138****5678",
    ]


def test_contains_pii_per_value(valid_id: str) -> None:
    values = pd.Series([valid_id, None, "plain", "z@example.org"])
    assert contains_pii(values).tolist() == [True, False, False, True]
