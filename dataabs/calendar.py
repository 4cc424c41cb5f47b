"""Dates and day counts (计息基准): year fractions and accrued interest on exact money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from dataabs.money import round_fen

DayCount = Literal["ACT/365F", "ACT/365", "ACT/360", "30/360"]


def day_count_days(start: date, end: date, basis: DayCount = "ACT/365F") -> int:
    """Days between two dates under a day-count convention."""
    if basis == "30/360":
        d1, d2 = min(start.day, 30), end.day
        if d1 == 30 and d2 == 31:
            d2 = 30
        return (end.year - start.year) * 360 + (end.month - start.month) * 30 + (d2 - d1)
    return (end - start).days


def basis_days(basis: DayCount) -> int:
    """The denominator of a day-count convention."""
    return 360 if basis in ("ACT/360", "30/360") else 365


def year_fraction(start: date, end: date, basis: DayCount = "ACT/365F") -> Decimal:
    """Exact year fraction ``days / basis`` as a Decimal."""
    return Decimal(day_count_days(start, end, basis)) / Decimal(basis_days(basis))


def accrued_interest(
    balance: Decimal, rate: Decimal, start: date, end: date, basis: DayCount = "ACT/365F"
) -> Decimal:
    """Interest ``balance × rate × days / basis`` rounded to the fen half-up."""
    days = Decimal(day_count_days(start, end, basis))
    return round_fen(balance * rate * days / Decimal(basis_days(basis)))


def add_months(day: date, months: int) -> date:
    """The same day-of-month ``months`` later, clipped to the month's end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(day.day, last))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
