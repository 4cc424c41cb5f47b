"""Collection periods (收款期间) and payment dates of a deal, with CN business-day adjustment (工作日调整).

Payment dates are the deal calendar's day of the listed months from the first payment to legal maturity.
Collection period k is (previous payment date, payment date], the first starting after the cut-off date — the
convention of ``dataabs.engine.projection.collections_by_period`` — so actual and projected collections line up
period for period. Boundaries use the nominal (unadjusted) dates, as the engine does; the business-day adjusted
date is when the money moves (``paid_on``). Holidays and 调休 working weekends come from
``config/calendars/cn_holidays.yaml``.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from dataabs.calendar import add_months
from dataabs.package.schema import Deal

Convention = Literal["unadjusted", "following", "modified_following", "preceding"]
HOLIDAYS_PATH = Path(__file__).resolve().parents[2] / "config" / "calendars" / "cn_holidays.yaml"


@dataclass(frozen=True)
class HolidayCalendar:
    """Non-business days: weekends unless listed as working weekends (调休), plus public holidays."""

    holidays: frozenset[date]
    working_weekends: frozenset[date] = frozenset()
    estimated_years: frozenset[int] = frozenset()

    def is_business_day(self, day: date) -> bool:
        """Whether banks settle on this day."""
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.working_weekends


def read_holidays(path: Path | str) -> HolidayCalendar:
    """Read a holiday calendar YAML (ranges of holidays, a list of working weekends)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    days: set[date] = set()
    for entry in raw.get("holidays", []):
        start, end = entry["from"], entry["to"]
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return HolidayCalendar(
        holidays=frozenset(days),
        working_weekends=frozenset(raw.get("working_weekends", [])),
        estimated_years=frozenset(raw.get("estimated_years", [])),
    )


@lru_cache(maxsize=1)
def cn_holidays() -> HolidayCalendar:
    """The shipped mainland China calendar (2025–2028)."""
    return read_holidays(HOLIDAYS_PATH)


def adjust(day: date, convention: Convention = "following", calendar: HolidayCalendar | None = None) -> date:
    """Move a date to a business day: following, modified following (stay in the month) or preceding."""
    if convention == "unadjusted":
        return day
    calendar = calendar or cn_holidays()
    step = -1 if convention == "preceding" else 1
    moved = _roll(day, step, calendar)
    if convention == "modified_following" and moved.month != day.month:
        moved = _roll(day, -1, calendar)
    return moved


def _roll(day: date, step: int, calendar: HolidayCalendar) -> date:
    """The first business day from ``day`` in direction ``step``."""
    while not calendar.is_business_day(day):
        day += timedelta(days=step)
    return day


def adjust_series(
    dates: pd.Series, convention: Convention = "following", calendar: HolidayCalendar | None = None
) -> pd.Series:
    """Adjust a column of ``date`` values, computing each distinct date once."""
    calendar = calendar or cn_holidays()
    mapping = {d: adjust(d, convention, calendar) for d in pd.unique(dates)}
    return dates.map(mapping)


def payment_dates(months: list[int], day: int, first: date, last: date) -> list[date]:
    """Nominal payment dates: ``day`` (clipped to the month's end) of each listed month, ``first``..``last``."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    starts = (add_months(date(first.year, first.month, 1), n) for n in range(count))
    nominal = (
        date(m.year, m.month, min(day, monthrange(m.year, m.month)[1])) for m in starts if m.month in months
    )
    return [d for d in nominal if first <= d <= last]


@dataclass(frozen=True)
class CollectionPeriod:
    """Collection period k: value dates in (start, end]; the plan pays on ``paid_on`` for ``payment_date``."""

    index: int
    start: date
    end: date
    payment_date: date
    paid_on: date


def periods_from_dates(
    cut_off: date,
    dates: list[date] | tuple[date, ...],
    convention: Convention = "unadjusted",
    calendar: HolidayCalendar | None = None,
) -> list[CollectionPeriod]:
    """Periods (previous payment date, payment date], the first from the cut-off (engine convention)."""
    starts = [cut_off, *dates[:-1]]
    return [
        CollectionPeriod(k, start, end, end, adjust(end, convention, calendar))
        for k, (start, end) in enumerate(zip(starts, dates, strict=True))
    ]


def collection_periods(deal: Deal, calendar: HolidayCalendar | None = None) -> list[CollectionPeriod]:
    """The deal's collection periods from its first payment date to legal maturity."""
    pc = deal.payment_calendar
    dates = payment_dates(pc.months, pc.day, deal.dates.first_payment, deal.dates.legal_maturity)
    return periods_from_dates(deal.dates.cut_off, dates, pc.business_day, calendar)


def day_numbers(values: pd.Series | pd.Index | np.ndarray) -> npt.NDArray[np.int64]:
    """Dates (``date`` objects or datetime64) as integer days since 1970-01-01, for vectorised comparisons."""
    array = np.asarray(values)
    if array.dtype.kind != "M":
        array = pd.to_datetime(pd.Series(array, dtype=object)).to_numpy()
    return array.astype("datetime64[D]").astype(np.int64)


def period_index(days: npt.NDArray[np.int64], periods: list[CollectionPeriod]) -> npt.NDArray[np.int64]:
    """Index of the period holding each day number; -1 on or before the cut-off or after the last period."""
    bounds = day_numbers(np.asarray([periods[0].start, *(p.end for p in periods)], dtype="datetime64[D]"))
    index = np.searchsorted(bounds, days, side="left") - 1
    return np.where((days > bounds[0]) & (index < len(periods)), index, -1).astype(np.int64)
