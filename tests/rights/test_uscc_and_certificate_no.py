"""USCC check character (GB 32100) and the data-IP certificate number format."""

from __future__ import annotations

import pytest

from dataabs.rights.certificates import CertificateNumber, certificate_no_problem, parse_certificate_no
from dataabs.rights.uscc import USCC_ALPHABET, is_valid_uscc

SAMPLE = "91350100M000100Y43"


def test_sample_uscc_is_valid() -> None:
    assert is_valid_uscc(SAMPLE)


def test_every_one_character_change_is_caught() -> None:
    for i, original in enumerate(SAMPLE):
        for ch in USCC_ALPHABET.replace(original, ""):
            assert not is_valid_uscc(SAMPLE[:i] + ch + SAMPLE[i + 1 :]), (i, ch)


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", "91350100I000100Y43", "", None])
def test_malformed_usccs_are_invalid(code: str) -> None:
    assert not is_valid_uscc(code)


def test_certificate_number_parts() -> None:
    assert parse_certificate_no("20250331010000012") == CertificateNumber(2025, 3, "3101", "0000012")
    assert str(parse_certificate_no("20250331010000012")) == "20250331010000012"


@pytest.mark.parametrize("number", ["20000131010000001", "21001231010000001"])
def test_boundary_years_and_months_are_well_formed(number: str) -> None:
    assert certificate_no_problem(number) is None


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("2025033101000001", "not 17 digits"),
        ("202503310100000123", "not 17 digits"),
        ("2025033101000001A", "not 17 digits"),
        ("１２３４５６７８９０１２３４５６７", "not 17 digits"),
        ("19991231010000001", "year 1999 is outside 2000-2100"),
        ("21010131010000001", "year 2101 is outside 2000-2100"),
        ("20250031010000001", "month 00 is not 01-12"),
        ("20251331010000001", "month 13 is not 01-12"),
    ],
)
def test_malformed_certificate_numbers_say_why(number: str, reason: str) -> None:
    problem = certificate_no_problem(number)
    assert problem is not None and reason in problem
