"""Distribute a servicing period (收益分配) with the issuance engine on actual collections, exactly once per date.

The waterfall is re-run from closing on actuals: periods 1..k-1 use the collections *as they were distributed*
(frozen in the ledger with each period), period k uses what reconciliation finds now. A receipt value-dated in an
earlier, already distributed period (a back-valued booking) changes reconciliation's view of that period; the
difference is carried into period k as a prior-period adjustment, so no yuan is lost and nothing already paid is
restated. Re-running with the frozen inputs reproduces every earlier distribution line to the fen (the engine is
deterministic), and the trigger states and arrears carried into period k are those of the real history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from dataabs.engine.model import Deal, PeriodCollections
from dataabs.engine.waterfall import WaterfallResult, run_waterfall
from dataabs.errors import LedgerError
from dataabs.money import to_fen
from dataabs.servicing.periods import CollectionPeriod, adjust

CASH_FIELDS = ("interest", "principal", "recoveries", "guarantee_interest", "guarantee_principal", "other")
FLAG_FIELDS = ("data_collateral_event", "rating_downgrade")


@dataclass(frozen=True)
class IssuedTerms:
    """A tranche as issued (``issued_tranche``): what servicing pays interest and principal on."""

    tranche_id: str
    size: Decimal
    coupon: Decimal | None


def collections_json(c: PeriodCollections) -> dict[str, Any]:
    """A period's collections as JSON (Decimal as strings, dates ISO) — what the ledger freezes."""
    out: dict[str, Any] = {}
    for f in fields(c):
        value = getattr(c, f.name)
        out[f.name] = (
            value.isoformat()
            if isinstance(value, date)
            else str(value)
            if isinstance(value, Decimal)
            else value
        )
    return out


def collections_from_json(raw: Mapping[str, Any]) -> PeriodCollections:
    """The inverse of ``collections_json``."""
    values: dict[str, Any] = {}
    for f in fields(PeriodCollections):
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.name == "payment_date":
            values[f.name] = date.fromisoformat(value)
        elif f.name in FLAG_FIELDS:
            values[f.name] = bool(value)
        else:
            values[f.name] = Decimal(str(value))
    return PeriodCollections(**values)


def servicing_deal(deal: Deal, issued: Sequence[IssuedTerms]) -> Deal:
    """The engine deal with each tranche's size and coupon as issued (the ledger's ``issued_tranche``)."""
    by_id = {t.tranche_id: t for t in issued}
    missing = [t.id for t in deal.tranches if t.id not in by_id]
    if missing:
        raise LedgerError(f"deal {deal.id}: tranche(s) {', '.join(missing)} have no issuance record")
    tranches = tuple(
        replace(
            t,
            size=by_id[t.id].size,
            coupon=coupon if (coupon := by_id[t.id].coupon) is not None else t.coupon,
        )
        for t in deal.tranches
    )
    return replace(deal, tranches=tranches)


def period_index(periods: Sequence[CollectionPeriod], engine_dates: Sequence[date], day: date) -> int:
    """Index of the period whose nominal, adjusted (paid on) or engine payment date is ``day``."""
    for k, period in enumerate(periods):
        engine = engine_dates[k] if k < len(engine_dates) else None
        if day in (period.payment_date, period.paid_on, engine):
            return k
    known = ", ".join(p.payment_date.isoformat() for p in periods)
    raise LedgerError(f"{day} is not a payment date of the deal (payment dates: {known})")


def current_collections(
    actual: Sequence[PeriodCollections],
    frozen: Sequence[PeriodCollections],
    k: int,
    engine_date: date,
    *,
    data_collateral_event: bool = False,
    rating_downgrade: bool = False,
) -> tuple[PeriodCollections, dict[str, Decimal]]:
    """Period k's collections: reconciliation's period k plus the prior-period adjustments, with the flags."""
    if len(frozen) != k:
        raise LedgerError(f"period {k + 1}: {len(frozen)} earlier periods are distributed, {k} expected")
    if len(actual) <= k:
        raise LedgerError(f"period {k + 1}: reconciliation produced only {len(actual)} periods")
    adjustments = {
        name: sum((getattr(actual[j], name) - getattr(frozen[j], name) for j in range(k)), Decimal(0))
        for name in CASH_FIELDS
    }
    current = actual[k]
    cash = {name: getattr(current, name) + adjustments[name] for name in CASH_FIELDS}
    if any(v < 0 for v in cash.values()):
        raise LedgerError(
            f"period {k + 1}: a prior-period adjustment would make collections negative ({adjustments}); "
            "reopen the earlier period instead"
        )
    period = replace(
        current,
        payment_date=engine_date,
        data_collateral_event=data_collateral_event,
        rating_downgrade=rating_downgrade,
        **cash,
    )
    return period, {name: value for name, value in adjustments.items() if value}


@dataclass(frozen=True)
class PeriodDistribution:
    """The engine's run through period k and the period's statements in report columns."""

    k: int
    payment_date: date
    engine_date: date
    result: WaterfallResult

    def _rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[frame["payment_date"] == self.engine_date].reset_index(drop=True)

    @property
    def summary(self) -> pd.Series:
        """The period row: status, collected, carry-in, draws, available, paid, carry-out, coverage."""
        rows = self._rows(self.result.periods)
        if rows.empty:
            raise LedgerError(f"the waterfall stopped before {self.payment_date}: every tranche is repaid")
        return rows.iloc[0]

    @property
    def distribution(self) -> pd.DataFrame:
        """``seq, step, payee, due, paid, shortfall``."""
        return self.result.distribution_lines(self.engine_date)

    @property
    def tranches(self) -> pd.DataFrame:
        """Tranche statements of the period."""
        return self._rows(self.result.tranches)

    @property
    def triggers(self) -> pd.DataFrame:
        """Trigger tests at the end of the period."""
        return self._rows(self.result.triggers)

    @property
    def pool(self) -> pd.Series:
        """Pool collections of the period."""
        return self._rows(self.result.pool).iloc[0]

    @property
    def status(self) -> str:
        """The deal status the period was distributed under (set by earlier periods' trigger tests)."""
        return str(self.summary["status"])


def distribute(
    deal: Deal, collections: Sequence[PeriodCollections], payment_date: date
) -> PeriodDistribution:
    """Run the waterfall from closing through the last collections (the current period)."""
    k = len(collections) - 1
    result = run_waterfall(deal, collections)
    return PeriodDistribution(k, payment_date, deal.payment_dates[k], result)


def fen(value: Any) -> int:
    """Exact fen of a yuan amount."""
    return to_fen(Decimal(str(value)))


def run_day(period: CollectionPeriod) -> date:
    """The business day a scheduled servicing run serves ``period``: its paid-on date, moved to the next CN business
    day when the deal's convention leaves it unadjusted (money moves on business days whatever accrues)."""
    return adjust(period.paid_on, "following")
