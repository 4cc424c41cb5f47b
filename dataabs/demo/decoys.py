"""PII decoys: ID-number-like strings whose GB 11643 check digit is wrong, so a correct scanner ignores them.

A decoy must not be personal information even to a scanner that matches without digit boundaries: it is not a
valid ID number, contains no mobile-number run ``1[3-9]\\d{9}`` and no Luhn-valid run of 16–19 digits. The check
digits come from the governance PII scanner (``dataabs.governance.pii``); only the substring vetting is here.
"""

from __future__ import annotations

import re

import pandas as pd

from dataabs.demo.sampling import Rand
from dataabs.governance.pii import ID_CHECK_MAP, id_check_digit_ok, luhn_ok

MOBILE_RUN = re.compile(r"1[3-9]\d{9}")
LONG_RUN = re.compile(r"\d{11}")  # nothing shorter can be any of the three
REGIONS = ("330106", "330102", "320102", "360102", "610113", "330203")


def _pieces(text: str) -> list[str]:
    """Every substring of 16–19 characters inside a run of digits (an ID may end in X)."""
    pieces = []
    for run in re.findall(r"\d{16,}[\dX]?", text):
        for size in range(16, min(len(run), 19) + 1):
            pieces += [run[start : start + size] for start in range(len(run) - size + 1)]
    return pieces


def looks_personal(text: str) -> bool:
    """True when any substring could be a valid ID number, a mobile number or a Luhn-valid card number."""
    if not LONG_RUN.search(text):
        return False
    if MOBILE_RUN.search(text):
        return True
    pieces = _pieces(text)
    ids = pd.Series([p for p in pieces if len(p) == 18], dtype=object)
    cards = pd.Series([p for p in pieces if p.isdigit()], dtype=object)
    return bool(id_check_digit_ok(ids).any()) or bool(luhn_ok(cards).any())


def id_decoys(rand: Rand, n: int) -> list[str]:
    """``n`` 18-character ID-like strings with a wrong check character that look personal to no check."""
    out: list[str] = []
    while len(out) < n:
        draws = rand.unit(6)
        region = REGIONS[int(draws[0] * len(REGIONS))]
        birth = f"{2000 + int(draws[1] * 6)}{1 + int(draws[2] * 12):02d}{1 + int(draws[3] * 28):02d}"
        first17 = f"{region}{birth}{int(draws[4] * 1000):03d}"
        options = pd.Series([first17 + c for c in ID_CHECK_MAP], dtype=object)
        wrong = options[~id_check_digit_ok(options)].tolist()
        candidate = wrong[int(draws[5] * len(wrong))]
        if not looks_personal(candidate):
            out.append(candidate)
    return out
