"""Canonical JSON: sorted keys, no whitespace, ISO dates, Decimals as strings — what the ledger stores and hashes."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any
from uuid import UUID


def json_default(value: Any) -> Any:
    """Encode the non-JSON values the ledger meets: Decimal as a string, dates ISO, paths and UUIDs as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath | UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a value (sorted keys, compact separators, UTF-8 kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_default)


def normalised(value: Any) -> Any:
    """The value as it reads back from a JSON column (Decimals become strings, tuples lists)."""
    return json.loads(canonical_json(value))
