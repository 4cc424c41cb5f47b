"""Asset projection (现金流预测): pool cash flows under a scenario, vectorised over assets with numpy.

Each tape (loans, receivables, leases, revenue rights) is projected on its own payment calendar with one Python
loop over periods and numpy arithmetic over all assets in a period. Defaults happen at the start of a period (the
period's payment is missed); guaranteed defaults are paid by the guarantor after its delay, other defaults recover
after a lag (data-pledged assets at the data-collateral rate and lag). Output is a float frame of pool cash flows
by date; ``collections_by_period`` turns it into exact fen collections per payment period for the waterfall.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from dataabs.calendar import add_months, basis_days, day_count_days
from dataabs.engine.model import (
    AssetTape,
    CreditSupport,
    FloatArray,
    IntArray,
    PeriodCollections,
    Pool,
    Scenario,
)
from dataabs.money import round_fen, to_money

FLOW_COLUMNS = (
    "interest",
    "scheduled_principal",
    "prepayment",
    "default",
    "recovery",
    "guarantee_interest",
    "guarantee_principal",
    "dilution",
    "delinquent",
)
_COL = {name: i for i, name in enumerate(FLOW_COLUMNS)}


def year_fractions(start: date, dates: Sequence[date], basis: str) -> FloatArray:
    """Year fraction of each accrual period ending on ``dates`` (first one starting at ``start``)."""
    bounds = [start, *dates]
    days = [day_count_days(a, b, basis) for a, b in itertools.pairwise(bounds)]  # type: ignore[arg-type]
    return np.asarray(days, dtype=np.float64) / basis_days(basis)  # type: ignore[arg-type]


def periodic_rate(annual: float | tuple[float, ...], fractions: FloatArray) -> FloatArray:
    """Convert an annual rate (scalar or per-period vector) to per-period rates ``1 − (1 − a)^yf``."""
    rates = np.broadcast_to(np.asarray(annual, dtype=np.float64), fractions.shape)
    return -np.expm1(fractions * np.log1p(-np.minimum(rates, 1.0 - 1e-15)))


def level_payment(balance: FloatArray, rate: FloatArray, term: IntArray) -> FloatArray:
    """Level instalment (等额本息) of each loan: ``B·r / (1 − (1 + r)^−n)``, ``B / n`` at a zero rate."""
    n = np.maximum(term, 1).astype(np.float64)
    safe = np.where(rate > 0, rate, 1.0)
    annuity = balance * safe / -np.expm1(-n * np.log1p(safe))
    return np.where(rate > 0, annuity, balance / n)


def _schedule_fractions(tape: AssetTape) -> FloatArray:
    """Share of the contractual balance that amortises each period, (T,) or (n, T), from an explicit schedule."""
    assert tape.schedule is not None
    sched = tape.schedule if tape.schedule.ndim == 1 else tape.schedule / tape.balance[:, None]
    remaining = 1.0 - np.cumsum(sched, axis=-1) + sched
    return np.divide(sched, remaining, out=np.zeros_like(sched), where=remaining > 1e-12)


def _default_index(tape: AssetTape, scenario: Scenario) -> IntArray:
    """Period index at which each asset's obligor is named to default (T if never)."""
    index = np.full(tape.size, len(tape.dates), dtype=np.int64)
    ordinals = np.asarray([d.toordinal() for d in tape.dates])
    for obligor, when in scenario.obligor_defaults.items():
        index[tape.obligor == obligor] = int(np.searchsorted(ordinals, when.toordinal()))
    return index


def _guarantee(tape: AssetTape, supports: Sequence[CreditSupport], scenario: Scenario) -> tuple[float, int]:
    """Share of defaulted dues the tape's guarantor pays in this scenario, and its delay in days."""
    support = next((s for s in supports if s.id == tape.guarantee), None)
    if support is None or scenario.support_fails(support):
        return 0.0, 0
    return float(support.coverage), support.delay_days


class _Ledger:
    """Accumulates pool cash-flow amounts by date."""

    def __init__(self) -> None:
        self.rows: defaultdict[date, FloatArray] = defaultdict(lambda: np.zeros(len(FLOW_COLUMNS)))

    def add(self, day: date, column: str, amount: float) -> None:
        """Add an amount to a column on a date."""
        if amount:
            self.rows[day][_COL[column]] += amount


def project_tape(tape: AssetTape, scenario: Scenario, supports: Sequence[CreditSupport] = ()) -> pd.DataFrame:
    """Project one tape: per-date pool flows plus the performing ``balance`` on the tape's own dates."""
    periods = len(tape.dates)
    fractions = year_fractions(tape.accrual_start, tape.dates, tape.day_count)
    mdr = periodic_rate(scenario.cdr, fractions)
    smm = periodic_rate(scenario.cpr, fractions)
    churn = scenario.churn if scenario.churn is not None else tape.churn
    attrition = periodic_rate(churn, fractions)
    dilution = scenario.dilution if scenario.dilution is not None else tape.dilution
    rate = np.maximum(tape.rate + scenario.asset_rate_shift, 0.0)
    term = tape.term if tape.term is not None else np.full(tape.size, periods, dtype=np.int64)
    level = tape.amortisation == "level_pay"
    frequency = 12.0 / max(round(float(np.mean(fractions)) * 12), 1) if level else 0.0
    payment = level_payment(tape.balance, rate / frequency, term) if level else None
    fraction_matrix = _schedule_fractions(tape) if tape.amortisation == "schedule" else None
    named = _default_index(tape, scenario)
    named_periods = set(np.unique(named[named < periods]).tolist())
    pledged = tape.data_pledged.astype(np.float64) if tape.data_pledged is not None else None
    guarantee_share, delay = _guarantee(tape, supports, scenario)

    ledger = _Ledger()
    balances = np.empty(periods)
    balance = tape.balance.astype(np.float64).copy()
    level_rate = rate / frequency if level else rate
    for t, day in enumerate(tape.dates):
        period_rate = level_rate if level else rate * fractions[t]
        defaults = _period_defaults(balance, mdr[t], named == t if t in named_periods else None)
        if defaults is not None:
            balance -= defaults
            if payment is not None:
                payment = payment * (1.0 - mdr[t])
                if t in named_periods:
                    payment[named == t] = 0.0
            _book_defaults(ledger, day, defaults, period_rate, pledged, guarantee_share, delay, scenario)
        interest = balance * period_rate
        if payment is not None:
            principal = np.minimum(payment - interest, balance)
        elif tape.amortisation == "schedule":
            assert fraction_matrix is not None
            principal = balance * (fraction_matrix[..., t])
        else:
            remaining = np.maximum(term - t, 1)
            due = (remaining == 1) if tape.amortisation == "bullet" else 1.0 / remaining
            principal = balance * due
        balance -= principal
        prepaid = balance * smm[t] if smm[t] else None
        if prepaid is not None:
            balance -= prepaid
            if payment is not None:
                payment = payment * (1.0 - smm[t])
        if attrition[t]:
            balance *= 1.0 - attrition[t]
            if payment is not None:
                payment = payment * (1.0 - attrition[t])
        _book_collections(ledger, day, float(interest.sum()), float(principal.sum()), dilution, scenario)
        ledger.add(day, "prepayment", float(prepaid.sum()) if prepaid is not None else 0.0)
        balances[t] = balance.sum()
    return _tape_frame(ledger, tape.dates, balances)


def _period_defaults(balance: FloatArray, mdr: float, named: np.ndarray | None) -> FloatArray | None:
    """Defaulted balance per asset in a period (rate-driven plus named obligors), or None if nothing defaults."""
    if not mdr and named is None:
        return None
    defaults = balance * mdr
    if named is not None:
        defaults = np.where(named, balance, defaults)
    return defaults


def _book_defaults(
    ledger: _Ledger,
    day: date,
    defaults: FloatArray,
    period_rate: FloatArray,
    pledged: FloatArray | None,
    guarantee_share: float,
    delay: int,
    scenario: Scenario,
) -> None:
    """Record a period's defaults, the guarantor's payment after its delay and recoveries after their lags."""
    total = float(defaults.sum())
    ledger.add(day, "default", total)
    paid_on = day + timedelta(days=delay)
    if guarantee_share:
        ledger.add(paid_on, "guarantee_principal", guarantee_share * total)
        ledger.add(paid_on, "guarantee_interest", guarantee_share * float(defaults @ period_rate))
    data_backed = float(defaults @ pledged) if pledged is not None else 0.0
    unguaranteed = 1.0 - guarantee_share
    data_day = add_months(day, scenario.data_recovery_lag_months)
    ledger.add(data_day, "recovery", unguaranteed * data_backed * scenario.data_recovery_rate)
    other_day = add_months(day, scenario.recovery_lag_months)
    ledger.add(other_day, "recovery", unguaranteed * (total - data_backed) * scenario.recovery_rate)


def _book_collections(
    ledger: _Ledger, day: date, interest: float, principal: float, dilution: float, scenario: Scenario
) -> None:
    """Record scheduled interest and principal, net of dilution, with a delinquent share arriving later."""
    late = scenario.delinquency_rate
    net_principal = principal * (1.0 - dilution)
    ledger.add(day, "dilution", principal * dilution)
    ledger.add(day, "interest", interest * (1.0 - late))
    ledger.add(day, "scheduled_principal", net_principal * (1.0 - late))
    if late:
        ledger.add(day, "delinquent", (interest + net_principal) * late)
        cured = add_months(day, scenario.delinquency_lag_months)
        ledger.add(cured, "interest", interest * late)
        ledger.add(cured, "scheduled_principal", net_principal * late)


def _tape_frame(ledger: _Ledger, dates: Sequence[date], balances: FloatArray) -> pd.DataFrame:
    """A frame indexed by date with the flow columns and the tape's balance (NaN on off-calendar dates)."""
    all_dates = sorted(set(ledger.rows) | set(dates))
    values = np.array(
        [ledger.rows[d] if d in ledger.rows else np.zeros(len(FLOW_COLUMNS)) for d in all_dates]
    )
    frame = pd.DataFrame(
        values.reshape(len(all_dates), len(FLOW_COLUMNS)), index=all_dates, columns=FLOW_COLUMNS
    )
    frame["balance"] = pd.Series(balances, index=list(dates)).reindex(all_dates)
    frame.index.name = "date"
    return frame


def project_pool(pool: Pool, scenario: Scenario, supports: Sequence[CreditSupport] = ()) -> pd.DataFrame:
    """Project every tape and sum them into pool cash flows by date, with the pool's performing balance."""
    frames = [project_tape(tape, scenario, supports) for tape in pool.tapes]
    all_dates = sorted(set().union(*(f.index for f in frames)))
    total = pd.DataFrame(0.0, index=pd.Index(all_dates, name="date"), columns=[*FLOW_COLUMNS, "balance"])
    for tape, frame in zip(pool.tapes, frames, strict=True):
        aligned = frame.reindex(all_dates)
        aligned[list(FLOW_COLUMNS)] = aligned[list(FLOW_COLUMNS)].fillna(0.0)
        aligned["balance"] = aligned["balance"].ffill().fillna(float(tape.balance.sum()))
        total += aligned.to_numpy()
    total["cumulative_default"] = total["default"].cumsum()
    return total


def _fen(value: float) -> Decimal:
    """A float projection amount as exact yuan rounded to the fen."""
    return round_fen(to_money(float(value)))


def collections_by_period(
    flows: pd.DataFrame,
    payment_dates: Sequence[date],
    cut_off: date,
    initial_balance: float,
    scenario: Scenario | None = None,
) -> list[PeriodCollections]:
    """Sum projected flows into collection periods (previous payment date, payment date], in exact fen."""
    ordinals = np.asarray([d.toordinal() for d in flows.index])
    bounds = np.asarray([cut_off.toordinal(), *(d.toordinal() for d in payment_dates)])
    period = np.searchsorted(bounds, ordinals, side="left") - 1
    keep = (period >= 0) & (period < len(payment_dates)) & (ordinals > bounds[0])
    sums = flows[list(FLOW_COLUMNS)].to_numpy()[keep]
    grouped = np.zeros((len(payment_dates), len(FLOW_COLUMNS)))
    np.add.at(grouped, period[keep], sums)
    balance = _balance_at(flows, bounds[1:], initial_balance)
    cumulative = np.cumsum(grouped[:, _COL["default"]])
    result = []
    for k, day in enumerate(payment_dates):
        row = grouped[k]
        result.append(
            PeriodCollections(
                payment_date=day,
                interest=_fen(row[_COL["interest"]]),
                principal=_fen(row[_COL["scheduled_principal"]] + row[_COL["prepayment"]]),
                recoveries=_fen(row[_COL["recovery"]]),
                guarantee_interest=_fen(row[_COL["guarantee_interest"]]),
                guarantee_principal=_fen(row[_COL["guarantee_principal"]]),
                defaults=_fen(row[_COL["default"]]),
                cumulative_defaults=_fen(cumulative[k]),
                pool_balance=_fen(balance[k]),
                data_collateral_event=_on_or_before(
                    scenario.data_collateral_event if scenario else None, day
                ),
                rating_downgrade=_on_or_before(scenario.rating_downgrade if scenario else None, day),
            )
        )
    return result


def _balance_at(flows: pd.DataFrame, ordinals: np.ndarray, initial: float) -> FloatArray:
    """Pool performing balance as of each ordinal date (the initial balance before the first flow)."""
    flow_ordinals = np.asarray([d.toordinal() for d in flows.index])
    position = np.searchsorted(flow_ordinals, ordinals, side="right") - 1
    values = flows["balance"].to_numpy()
    return np.where(position >= 0, values[np.maximum(position, 0)], initial)


def _on_or_before(event: date | None, day: date) -> bool:
    """Whether an event date has happened by ``day``."""
    return event is not None and event <= day
