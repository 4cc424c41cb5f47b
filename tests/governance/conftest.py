"""Helpers for governance tests: valid ID numbers and bank cards built from their check digits."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(first17: str) -> str:
    """A mainland ID number with its GB 11643 check character."""
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def wrong_check(code: str) -> str:
    """The same number with a wrong last character."""
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def make_card(body: str) -> str:
    """A bank card number: ``body`` plus its Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        digit = int(ch) * (2 if i % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return body + str((10 - total % 10) % 10)


@pytest.fixture
def valid_id() -> str:
    """A valid ID number (born 1949-12-31)."""
    return make_id("11010519491231002")
