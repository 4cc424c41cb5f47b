"""Exact column types: money ``Numeric(20, 2)`` and rates ``Numeric(12, 8)``, read back as ``Decimal``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from dataabs.money import to_money


class _Exact(TypeDecorator[Decimal]):
    """A fixed-scale Numeric that quantizes half-up on write, so SQLite and PostgreSQL store the same value."""

    impl = Numeric
    cache_ok = True
    precision = 20
    scale = 2

    def __init__(self) -> None:
        super().__init__(precision=self.precision, scale=self.scale, asdecimal=True)
        self._quantum = Decimal(1).scaleb(-self.scale)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Quantize to the column's scale, half-up (floats enter through their repr, never binary)."""
        if value is None:
            return None
        return to_money(value).quantize(self._quantum, rounding=ROUND_HALF_UP)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Return a Decimal at the column's scale (SQLite hands back a float; its repr is exact to 15 digits)."""
        if value is None:
            return None
        return to_money(value).quantize(self._quantum, rounding=ROUND_HALF_UP)


class Money(_Exact):
    """A CNY amount: ``Numeric(20, 2)``, fen precision."""

    cache_ok = True
    precision = 20
    scale = 2


class Rate(_Exact):
    """A rate, share or score: ``Numeric(12, 8)``."""

    cache_ok = True
    precision = 12
    scale = 8


def utcnow() -> datetime:
    """Now in UTC, naive (the ledger stores naive UTC on both backends so values round-trip identically)."""
    return datetime.now(UTC).replace(tzinfo=None)
