"""Data-IP certificate numbers (数据知识产权登记证书编号): 17 digits = year(4) + month(2) + registry code(4) + serial(7)."""

from __future__ import annotations

import re
from dataclasses import dataclass

CERTIFICATE_NO_LENGTH = 17
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class CertificateNumber:
    """The parts of a national unified data-IP certificate number (since 2024-09)."""

    year: int
    month: int
    registry_code: str
    serial: str

    def __str__(self) -> str:
        return f"{self.year:04d}{self.month:02d}{self.registry_code}{self.serial}"


def parse_certificate_no(text: str) -> CertificateNumber:
    """Split a certificate number into its parts; ``ValueError`` saying what is wrong with it."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{17}", text):
        raise ValueError(f"certificate number {text!r} is not {CERTIFICATE_NO_LENGTH} digits")
    year, month = int(text[:4]), int(text[4:6])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"certificate number {text}: year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    if not 1 <= month <= 12:
        raise ValueError(f"certificate number {text}: month {text[4:6]} is not 01-12")
    return CertificateNumber(year=year, month=month, registry_code=text[6:10], serial=text[10:])


def certificate_no_problem(text: str) -> str | None:
    """Why a certificate number is malformed, or None when it is well formed."""
    try:
        parse_certificate_no(text)
    except ValueError as exc:
        return str(exc)
    return None
