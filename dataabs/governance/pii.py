"""Personal-information scan (个人信息识别, PIPL art. 4 and 73) of every text column, vectorised.

Four kinds are found: mainland ID numbers (居民身份证号, GB 11643 check digit and a plausible birth date), mobile
numbers, e-mail addresses and bank cards (16–19 digits with a valid Luhn digit). A number whose check digit is
wrong is not flagged. A cheap RE2 prefilter selects candidate cells; the exact patterns and the check digits run
on the candidates only. Raw values never leave this module: findings carry counts and masked examples.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

PiiKind = Literal["id_number", "mobile", "email", "bank_card"]
PII_KINDS: tuple[PiiKind, ...] = ("id_number", "mobile", "email", "bank_card")

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK_MAP = "10X98765432"
MAX_EXAMPLES = 3

PREFILTER = r"[0-9]{11}|@|[0-9]{4}[ -][0-9]{4}"  # RE2-safe (pandas sends \\d on non-ASCII text to Python re)
PATTERNS: dict[PiiKind, str] = {
    "id_number": r"(?<![0-9])([0-9]{17}[0-9Xx])(?![0-9A-Za-z])",
    "mobile": r"(?<![0-9])(?:\+?86[ -]?)?(1[3-9][0-9]{9})(?![0-9])",
    "email": r"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})",
    "bank_card": r"(?<![0-9])([0-9]{4}(?:[ -]?[0-9]{4}){3}(?:[ -]?[0-9]{1,3})?)(?![0-9Xx])",
}


@dataclass(frozen=True)
class PiiFinding:
    """Personal information of one kind found in one column: how many, and masked examples only."""

    column: str
    kind: PiiKind
    count: int
    examples: tuple[str, ...]


def id_check_digit_ok(numbers: pd.Series) -> np.ndarray:
    """GB 11643 check: the 18th character equals the weighted sum of the first 17 digits mapped by ``10X98765432``."""
    if numbers.empty:
        return np.zeros(0, dtype=bool)
    upper = numbers.str.upper()
    digits = (
        np.frombuffer("".join(upper.str.slice(0, 17)).encode("ascii"), dtype=np.uint8).reshape(-1, 17) - 48
    )
    expected = np.array(list(ID_CHECK_MAP))[(digits.astype(np.int64) @ ID_WEIGHTS) % 11]
    return np.asarray(upper.str.slice(17, 18).to_numpy(dtype=object) == expected, dtype=bool)


def id_birth_date_ok(numbers: pd.Series) -> np.ndarray:
    """The birth date (characters 7–14) is a real date between 1900-01-01 and today."""
    born = pd.to_datetime(numbers.str.slice(6, 14), format="%Y%m%d", errors="coerce")
    today = pd.Timestamp.today().normalize()
    return np.asarray(born.notna() & (born >= pd.Timestamp("1900-01-01")) & (born <= today), dtype=bool)


def luhn_ok(numbers: pd.Series) -> np.ndarray:
    """Luhn (mod 10) check of digit strings, grouped by length so each group is one numpy pass."""
    ok = np.zeros(len(numbers), dtype=bool)
    lengths = numbers.str.len().to_numpy()
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        raw = np.frombuffer("".join(numbers.iloc[rows]).encode("ascii"), dtype=np.uint8).reshape(
            -1, int(length)
        )
        doubled = raw[:, ::-1].astype(np.int64) - 48
        doubled[:, 1::2] *= 2
        doubled[doubled > 9] -= 9
        ok[rows] = doubled.sum(axis=1) % 10 == 0
    return ok


def _valid_ids(values: pd.Series) -> np.ndarray:
    return id_check_digit_ok(values) & id_birth_date_ok(values)


def _valid_cards(values: pd.Series) -> np.ndarray:
    digits = values.str.replace(r"[ -]", "", regex=True)
    in_range = digits.str.len().between(16, 19).to_numpy()
    ok = np.zeros(len(values), dtype=bool)
    if in_range.any():
        ok[in_range] = luhn_ok(digits[in_range]) & ~_looks_like_id(digits[in_range])
    return ok


def _looks_like_id(digits: pd.Series) -> np.ndarray:
    """A digit string that is a valid ID number is reported as an ID number, not as a card."""
    is_18 = (digits.str.len() == 18).to_numpy()
    out = np.zeros(len(digits), dtype=bool)
    if is_18.any():
        out[is_18] = _valid_ids(digits[is_18])
    return out


def _always(values: pd.Series) -> np.ndarray:
    return np.ones(len(values), dtype=bool)


VALIDATORS: dict[PiiKind, Callable[[pd.Series], np.ndarray]] = {
    "id_number": _valid_ids,
    "mobile": _always,
    "email": _always,
    "bank_card": _valid_cards,
}


def mask_value(kind: PiiKind, value: str) -> str:
    """Mask one value of a known kind: ``110105********123X``, ``138****5678``, ``z***@example.com``, ``6222 **** **** 1234``."""
    if kind == "id_number":
        return f"{value[:6]}{'*' * 8}{value[-4:]}"
    if kind == "mobile":
        digits = re.sub(r"\D", "", value)[-11:]
        return f"{digits[:3]}****{digits[-4:]}"
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = re.sub(r"\D", "", value)
    return f"{digits[:4]} **** **** {digits[-4:]}"


def text_columns(frame: pd.DataFrame) -> list[str]:
    """Columns that hold text (object or string dtype)."""
    return [
        str(c)
        for c in frame.columns
        if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])
    ]


def find_pii(values: pd.Series) -> dict[PiiKind, pd.DataFrame]:
    """Valid PII matches in a text series, per kind: a frame with the source row label (``row``) and the raw ``match``.

    Internal to the governance stage: callers outside this module use ``scan_frame`` or ``contains_pii``.
    """
    text = values.dropna().astype("str")
    text = text[text.str.contains(PREFILTER, regex=True)]
    found: dict[PiiKind, pd.DataFrame] = {}
    if text.empty:
        return found
    candidates = text.astype(object)
    for kind in PII_KINDS:
        matches = candidates.str.extractall(PATTERNS[kind])[0]
        if matches.empty:
            continue
        matches = matches.astype(str)
        valid = VALIDATORS[kind](matches.reset_index(drop=True))
        kept = matches[valid]
        if not kept.empty:
            found[kind] = pd.DataFrame({"row": kept.index.get_level_values(0), "match": kept.to_numpy()})
    return found


def contains_pii(values: pd.Series) -> pd.Series:
    """Per value: True when it contains at least one valid item of personal information."""
    flagged = pd.Series(False, index=values.index)
    for hits in find_pii(values).values():
        flagged.loc[hits["row"].unique()] = True
    return flagged


def scan_frame(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> list[PiiFinding]:
    """Scan every text column (or the given ones): one finding per column and kind, masked examples only."""
    findings: list[PiiFinding] = []
    for column in columns if columns is not None else text_columns(frame):
        for kind, hits in find_pii(frame[column]).items():
            examples = tuple(dict.fromkeys(mask_value(kind, v) for v in hits["match"].head(50)))[
                :MAX_EXAMPLES
            ]
            findings.append(PiiFinding(column=column, kind=kind, count=len(hits), examples=examples))
    return findings


def mask_text(value: str) -> str:
    """A text with every valid item of personal information in it replaced by its masked form."""
    for kind in PII_KINDS:
        validator = VALIDATORS[kind]

        def replace(
            match: re.Match[str], kind: PiiKind = kind, validator: Callable[..., np.ndarray] = validator
        ) -> str:
            raw = match.group(1)
            if not validator(pd.Series([raw], dtype=object))[0]:
                return match.group(0)
            return match.group(0).replace(raw, mask_value(kind, raw))

        value = re.sub(PATTERNS[kind], replace, value)
    return value


def mask_sample(values: Iterable[object]) -> list[str]:
    """Gate sample values as text with any personal information masked (the default mask of gate results)."""
    return [mask_text(str(v)) for v in values]
