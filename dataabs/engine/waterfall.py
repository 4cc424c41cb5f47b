"""The waterfall (现金流分配): distribute each period's collections down the priority of payments, exactly.

``run_waterfall(deal, collections)`` walks the payment dates in order. Each period's available funds are the
collections plus the previous carry-forward plus any reserve draws and support claims; steps (tax, fee, interest,
principal, reserve, guarantee claim, subordinate return, residual) are paid in order, each line rounded to the fen
half-up. Arithmetic runs in integer fen internally (exact, and far faster than ``Decimal``), so every period
``Σ paid + carry-forward == available`` holds exactly. Unpaid taxes, fees and interest carry as arrears.

Senior principal in the normal waterfall passes through the period's principal collections (scheduled principal,
prepayments, recoveries and guaranteed principal) in seniority order; at a tranche's expected maturity, on the last
payment date and after acceleration the whole balance is due. Triggers are tested at the end of every period on
their metric and switch the deal's status for the next period: ``accelerated`` and ``event_of_default`` switch to
the post-acceleration waterfall, ``clean_up`` calls the pool at its balance. Collections may be projected
(``projection.collections_by_period``) or actual (servicing): the function does not care where they come from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

import pandas as pd

from dataabs.calendar import DayCount, basis_days, day_count_days
from dataabs.engine.model import Deal, PeriodCollections, Step, Trigger
from dataabs.money import round_fen

Number = Any  # int fen (exact) or float fen (the float benchmark)

ACCELERATED = ("accelerated", "event_of_default")
DISTRIBUTION_COLUMNS = ["seq", "step", "payee", "due", "paid", "shortfall"]


def _muldiv_exact(amount: int, num: int, den: int) -> int:
    """``amount × num / den`` rounded to the fen half-up, on non-negative integers."""
    return (2 * amount * num + den) // (2 * den)


def _muldiv_float(amount: float, num: float, den: float) -> float:
    """``amount × num / den`` in floating point (the cost-of-exactness baseline)."""
    return amount * num / den


@dataclass(frozen=True)
class _Arith:
    """Number policy of a run: exact integer fen or float fen."""

    exact: bool

    def units(self, amount: Decimal) -> Number:
        """Yuan → fen in this policy."""
        return int(round_fen(amount) * 100) if self.exact else float(amount) * 100.0

    def ratio(self, rate: Decimal) -> tuple[Number, Number]:
        """A rate as a (numerator, denominator) pair."""
        return rate.as_integer_ratio() if self.exact else (float(rate), 1.0)

    @property
    def muldiv(self) -> Callable[[Number, Number, Number], Number]:
        """The product-quotient with rounding of this policy."""
        return _muldiv_exact if self.exact else _muldiv_float

    def money(self, units: Number) -> Decimal | float:
        """Fen → yuan for reporting: exact ``Decimal`` or float."""
        if self.exact:
            return Decimal(units).scaleb(-2)
        return units / 100.0


def trigger_breached(trigger: Trigger, value: float) -> bool:
    """Whether a metric value breaches a trigger's threshold."""
    threshold = float(trigger.threshold)
    return {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
    }[trigger.operator]


@dataclass
class _TriggerState:
    """Running state of one trigger: consecutive breaches, clean periods and whether it has fired."""

    breaches: int = 0
    clean: int = 0
    fired: bool = False

    def update(self, trigger: Trigger, breached: bool) -> None:
        """Advance one period: fire after enough breaches, cure after enough clean periods."""
        self.breaches = self.breaches + 1 if breached else 0
        self.clean = 0 if breached else self.clean + 1
        if self.breaches >= trigger.periods_to_fire:
            self.fired = True
        elif self.fired and trigger.cure_periods and self.clean >= trigger.cure_periods:
            self.fired = False


def deal_status(deal: Deal, states: Sequence[_TriggerState]) -> str:
    """The deal status implied by fired triggers (event of default > accelerated > clean-up > normal)."""
    effects = {t.effect for t, s in zip(deal.triggers, states, strict=True) if s.fired}
    for effect, status in (("event_of_default", "event_of_default"), ("accelerate", "accelerated")):
        if effect in effects:
            return status
    return "clean_up" if "clean_up" in effects else "normal"


@dataclass
class WaterfallResult:
    """Per-period statements of a waterfall run; frames are built on first access."""

    deal_id: str
    exact: bool
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def _frame(self, name: str, columns: list[str], money: Sequence[str] = ()) -> pd.DataFrame:
        """A statement frame with money columns converted from fen to yuan."""
        frame = pd.DataFrame(self.rows[name], columns=columns)
        arith = _Arith(self.exact)
        for column in money:
            frame[column] = [arith.money(v) for v in frame[column].tolist()]
        return frame

    @cached_property
    def periods(self) -> pd.DataFrame:
        """One row per period: status, funds (collected, carry, draws, available, paid, carry-out), coverage."""
        money = ["collected", "carry_in", "reserve_draw", "support_draw", "available", "paid", "carry_out"]
        columns = ["payment_date", "period_start", "status", *money, "coverage", "interest_coverage"]
        return self._frame("periods", columns, money)

    @cached_property
    def pool(self) -> pd.DataFrame:
        """Pool collections per period (资产池回收)."""
        money = ["opening_balance", "interest", "principal", "recoveries", "guarantee", "other", "defaults"]
        money += ["cumulative_defaults", "closing_balance"]
        return self._frame("pool", ["payment_date", *money], money)

    @cached_property
    def accounts(self) -> pd.DataFrame:
        """Plan collection account and reserve accounts: opening, inflow, outflow, closing per period."""
        money = ["opening", "inflow", "outflow", "closing"]
        return self._frame("accounts", ["payment_date", "account", *money], money)

    @cached_property
    def fees(self) -> pd.DataFrame:
        """Taxes and fees per period: due (with arrears), paid, shortfall."""
        money = ["due", "paid", "shortfall"]
        return self._frame("fees", ["payment_date", "fee_id", "kind", *money], money)

    @cached_property
    def tranches(self) -> pd.DataFrame:
        """Tranche statements: opening balance, interest, principal, closing balance and shortfalls."""
        money = [
            "opening_balance",
            "interest_due",
            "interest",
            "principal_due",
            "principal",
            "closing_balance",
        ]
        money += ["interest_shortfall", "principal_shortfall", "shortfall"]
        return self._frame("tranches", ["payment_date", "tranche_id", *money], money)

    @cached_property
    def triggers(self) -> pd.DataFrame:
        """Trigger tests per period: metric value, threshold, breached, fired, effect and resulting status."""
        columns = [
            "payment_date",
            "trigger_id",
            "metric",
            "value",
            "threshold",
            "breached",
            "fired",
            "effect",
        ]
        return self._frame("triggers", [*columns, "status"])

    @cached_property
    def distribution(self) -> pd.DataFrame:
        """Every paid line of every period: payment_date, seq, step, payee, due, paid, shortfall."""
        return self._frame(
            "distribution", ["payment_date", *DISTRIBUTION_COLUMNS], ["due", "paid", "shortfall"]
        )

    def distribution_lines(self, payment_date: date) -> pd.DataFrame:
        """One period's distribution (收益分配) in the ``servicing/<date>/distribution.csv`` columns."""
        frame = self.distribution
        return frame.loc[frame["payment_date"] == payment_date, DISTRIBUTION_COLUMNS].reset_index(drop=True)

    def schedule(self, tranche_id: str | None = None) -> pd.DataFrame:
        """Tranche payment schedule in the ``issuance/schedule.csv`` columns."""
        frame = self.tranches
        if tranche_id is not None:
            frame = frame[frame["tranche_id"] == tranche_id]
        columns = [
            "payment_date",
            "tranche_id",
            "opening_balance",
            "interest",
            "principal",
            "closing_balance",
        ]
        return frame[columns].reset_index(drop=True)

    @property
    def period_count(self) -> int:
        """Number of periods run."""
        return len(self.rows["periods"])


@dataclass
class _Compiled:
    """A deal prepared for one run: rates as ratios, money as fen, steps as indices."""

    deal: Deal
    arith: _Arith
    coupon_shift: Decimal
    failing: frozenset[str]

    def __post_init__(self) -> None:
        a, d = self.arith, self.deal
        self.tranche_index = {t.id: j for j, t in enumerate(d.tranches)}
        self.coupons = [
            a.ratio(t.coupon + (self.coupon_shift if t.kind != "subordinate" else 0)) for t in d.tranches
        ]
        self.senior = [j for j, t in enumerate(d.tranches) if t.kind == "senior"]
        self.order = sorted(range(len(d.tranches)), key=lambda j: d.tranches[j].seniority)
        self.fee_index = {f.id: i for i, f in enumerate(d.fees)}
        self.fee_rates = [a.ratio(f.rate) for f in d.fees]
        self.fee_fixed = [a.units(f.fixed_amount) for f in d.fees]
        self.fee_caps = [a.units(f.cap) if f.cap is not None else None for f in d.fees]
        self.reserve_index = {r.id: i for i, r in enumerate(d.reserves)}
        self.reserve_targets = [a.units(r.target) for r in d.reserves]
        self.support_index = {s.id: i for i, s in enumerate(d.supports)}
        self.support_limits = [a.units(s.limit) if s.limit is not None else None for s in d.supports]
        vat_num, vat_den = a.ratio(d.taxes.vat_rate)
        # inclusive (价税合计): VAT = income × r / (1 + r) = income × num / (den + num)
        self.vat = (vat_num, vat_den + vat_num) if d.taxes.vat_inclusive else (vat_num, vat_den)
        self.surtax = a.ratio(d.taxes.surtax_rate)
        self.normal = self.compile_steps(d.waterfall)
        self.accelerated = self.compile_steps(d.acceleration_waterfall)
        self.schedules = [{day: a.units(v) for day, v in t.schedule.items()} for t in d.tranches]
        self.levels: dict[int, list[int]] = {}
        for j in self.order:
            self.levels.setdefault(d.tranches[j].seniority, []).append(j)
        self._days: dict[tuple[date, date, str], tuple[int, int]] = {}

    def days(self, start: date, end: date, basis: DayCount) -> tuple[int, int]:
        """Day count and basis of a period under a convention (cached)."""
        key = (start, end, basis)
        if key not in self._days:
            self._days[key] = (day_count_days(start, end, basis), basis_days(basis))
        return self._days[key]

    def compile_steps(self, steps: Sequence[Step]) -> list[tuple[str, int, str]]:
        """Resolve each step's target to an index into the run's state lists."""
        index = {
            "tax": {"vat": 0, "surtax": 1},
            "fee": self.fee_index,
            "reserve": self.reserve_index,
            "guarantee_claim": self.support_index,
        }
        compiled: list[tuple[str, int, str]] = []
        for step in steps:
            lookup = index.get(step.kind, self.tranche_index)
            if step.target not in lookup:
                raise ValueError(
                    f"deal {self.deal.id}: waterfall step {step.kind} targets unknown {step.target!r}"
                )
            compiled.append((step.kind, lookup[step.target], step.target))
        return compiled


def run_waterfall(
    deal: Deal,
    collections: Sequence[PeriodCollections],
    *,
    coupon_shift: Decimal = Decimal(0),
    failing_supports: frozenset[str] = frozenset(),
    exact: bool = True,
) -> WaterfallResult:
    """Distribute collections period by period (one per payment date, in order) and return the statements.

    ``collections[k]`` belongs to ``deal.payment_dates[k]``; pass fewer periods than payment dates to run a
    deal up to a servicing date. The run stops early once every tranche is repaid.
    """
    if len(collections) > len(deal.payment_dates):
        raise ValueError(
            f"deal {deal.id}: {len(collections)} collection periods, {len(deal.payment_dates)} dates"
        )
    for got, want in zip((c.payment_date for c in collections), deal.payment_dates, strict=False):
        if got != want:
            raise ValueError(f"deal {deal.id}: collections for {got} where payment date {want} was expected")
    run = _Run(_Compiled(deal, _Arith(exact), coupon_shift, failing_supports))
    for k, period in enumerate(collections):
        if not run.outstanding():
            break
        run.period(k, period)
    return run.result


class _Run:
    """Mutable state of one waterfall run."""

    def __init__(self, compiled: _Compiled) -> None:
        c, a, d = compiled, compiled.arith, compiled.deal
        self.c, self.a, self.deal = c, a, d
        zero = 0 if a.exact else 0.0
        self.zero = zero
        self.balance = [a.units(t.size) for t in d.tranches]
        self.interest_arrears = [zero] * len(d.tranches)
        self.principal_arrears = [zero] * len(d.tranches)
        self.fee_arrears = [zero] * len(d.fees)
        self.tax_arrears = [zero, zero]
        self.reserve = [a.units(r.initial_balance) for r in d.reserves]
        self.support_used = [zero] * len(d.supports)
        self.carry = zero
        self.pool_balance = a.units(d.pool_balance())
        self.initial_pool = self.pool_balance
        self.cumulative_defaults = zero
        self.called = False
        self.status = "normal"
        self.trigger_states = [_TriggerState() for _ in d.triggers]
        self.result = WaterfallResult(d.id, a.exact)
        for name in ("periods", "pool", "accounts", "fees", "tranches", "triggers", "distribution"):
            self.result.rows[name] = []

    def outstanding(self) -> bool:
        """Whether any tranche still has a balance."""
        return any(b > 0 for b in self.balance)

    def period(self, k: int, coll: PeriodCollections) -> None:
        """Run one payment period."""
        d, c = self.deal, self.c
        pay = d.payment_dates[k]
        start = d.closing_date if k == 0 else d.payment_dates[k - 1]
        final = k == len(d.payment_dates) - 1
        accelerated = self.status in ACCELERATED
        opening = list(self.balance)
        pool_open = self.pool_balance
        self.current = coll

        interest_in, principal_in, _, collected = self.collect(coll)
        available = collected + self.carry
        carry_in = self.carry
        self.paid_dues: dict[tuple[str, int], tuple[Number, Number]] = {}
        self.reserve_opening = list(self.reserve)
        self.reserve_drawn = [self.zero] * len(self.reserve)
        self.reserve_deposit = [self.zero] * len(self.reserve)
        self.reserve_release = [self.zero] * len(self.reserve)
        reserve_draw = self.zero
        if accelerated or final:
            reserve_draw = self.release_reserves()
        self.funds = available + reserve_draw
        self.draws = reserve_draw
        self.support_draw = self.zero

        self.dues = self.compute_dues(pay, start, interest_in, principal_in, pool_open, accelerated or final)
        senior_due = sum(self.dues["interest"][j] + self.dues["principal"][j] for j in c.senior)
        senior_interest_due = sum(self.dues["interest"][j] for j in c.senior)
        costs = self.dues["tax"][0] + self.dues["tax"][1] + sum(self.dues["fee"])
        coverage = _ratio(interest_in + principal_in - costs, senior_due)
        interest_coverage = _ratio(interest_in - costs, senior_interest_due)

        steps = c.accelerated if accelerated else c.normal
        paid_total = self.pay_steps(pay, steps)
        self.record_statements(pay, opening, pool_open, coll, accelerated)
        fund_total = available + self.draws + self.support_draw
        self.result.rows["periods"].append(
            (
                pay,
                start,
                self.status,
                collected,
                carry_in,
                self.draws,
                self.support_draw,
                fund_total,
                paid_total,
                self.funds,
                coverage,
                interest_coverage,
            )
        )
        self.result.rows["accounts"].append(
            (pay, "collection", carry_in, collected + self.draws + self.support_draw, paid_total, self.funds)
        )
        self.carry = self.funds
        self.test_triggers(pay, coverage)

    def collect(self, coll: PeriodCollections) -> tuple[Number, Number, Number, Number]:
        """Period interest income, principal collections, other cash and their total, honouring a clean-up call."""
        a = self.a
        if self.called:
            self.pool_balance = self.zero
            return self.zero, self.zero, self.zero, self.zero
        interest_in = a.units(coll.interest) + a.units(coll.guarantee_interest)
        principal_in = a.units(coll.principal) + a.units(coll.recoveries) + a.units(coll.guarantee_principal)
        other = a.units(coll.other)
        self.pool_balance = a.units(coll.pool_balance)
        self.cumulative_defaults = a.units(coll.cumulative_defaults)
        if self.status == "clean_up":
            principal_in += self.pool_balance
            self.pool_balance = self.zero
            self.called = True
        return interest_in, principal_in, other, interest_in + principal_in + other

    def release_reserves(self) -> Number:
        """Release every reserve balance into available funds (last period or after acceleration)."""
        released = sum(self.reserve, self.zero)
        self.reserve_release = list(self.reserve)
        self.reserve = [self.zero] * len(self.reserve)
        return released

    def compute_dues(
        self,
        pay: date,
        start: date,
        interest_in: Number,
        principal_in: Number,
        pool_open: Number,
        whole: bool,
    ) -> dict[str, list[Number]]:
        """Amounts due this period: taxes, fees, tranche interest, principal and subordinate return."""
        c, d, md = self.c, self.deal, self.a.muldiv
        vat = md(interest_in, *c.vat)
        taxes = [vat + self.tax_arrears[0], md(vat, *c.surtax) + self.tax_arrears[1]]
        senior_balance = sum(self.balance[j] for j in c.senior)
        fees = []
        for i, fee in enumerate(d.fees):
            base = self.fee_base(fee.base, senior_balance, pool_open)
            num, den = c.fee_rates[i]
            days, basis = c.days(start, pay, fee.day_count)
            due = md(base, num * days, den * basis) if num else self.zero
            if fee.months and pay.month in fee.months:
                due += c.fee_fixed[i]
            cap = c.fee_caps[i]
            fees.append((min(due, cap) if cap is not None else due) + self.fee_arrears[i])
        interest = []
        for j, tranche in enumerate(d.tranches):
            num, den = c.coupons[j]
            days, basis = c.days(start, pay, tranche.day_count)
            interest.append(md(self.balance[j], num * days, den * basis) if num else self.zero)
        principal = self.principal_dues(pay, principal_in, whole)
        return {
            "tax": taxes,
            "fee": fees,
            "interest": [i + arrears for i, arrears in zip(interest, self.interest_arrears, strict=True)],
            "subordinate_return": interest,
            "principal": principal,
        }

    def fee_base(self, base: str, senior_balance: Number, pool_open: Number) -> Number:
        """Opening amount a fee accrues on: senior balance, pool balance or one tranche's balance."""
        if base == "senior_balance":
            return senior_balance
        if base == "pool_balance":
            return pool_open
        if base.startswith("tranche:"):
            return self.balance[self.c.tranche_index[base.removeprefix("tranche:")]]
        return self.zero

    def principal_dues(self, pay: date, pot: Number, whole: bool) -> list[Number]:
        """Principal due per tranche: pass-through of principal collections by seniority, schedules, or all."""
        d, c = self.deal, self.c
        due = [self.zero] * len(d.tranches)
        for members in c.levels.values():
            for j in members:
                tranche = d.tranches[j]
                if whole or (tranche.expected_maturity is not None and pay >= tranche.expected_maturity):
                    due[j] = self.balance[j]
                elif tranche.amortisation == "scheduled":
                    due[j] = min(
                        self.balance[j], c.schedules[j].get(pay, self.zero) + self.principal_arrears[j]
                    )
            passing = [j for j in members if not due[j] and d.tranches[j].amortisation != "scheduled"]
            pot = max(pot - sum(due[j] for j in members), self.zero)
            pot = self.allocate(passing, pot, due)
        return due

    def allocate(self, members: list[int], pot: Number, due: list[Number]) -> Number:
        """Share the principal pot among pass-through tranches of one level (pro rata or in order)."""
        if not members:
            return pot
        pro_rata = len(members) > 1 and all(self.deal.tranches[j].amortisation == "pro_rata" for j in members)
        if pro_rata:
            total = sum(self.balance[j] for j in members)
            take = min(pot, total)
            shares = [self.a.muldiv(take, self.balance[j], total) if total else self.zero for j in members]
            shares[0] += take - sum(shares)
            for j, share in zip(members, shares, strict=True):
                due[j] = min(self.balance[j], share + self.principal_arrears[j])
            return pot - take
        for j in members:
            due[j] = min(self.balance[j], pot + self.principal_arrears[j])
            pot -= min(pot, due[j])
        return pot

    def pay_steps(self, pay: date, steps: list[tuple[str, int, str]]) -> Number:
        """Pay every step in order from ``self.funds``; return the total paid."""
        rows = self.result.rows["distribution"]
        total = self.zero
        for seq, (kind, i, target) in enumerate(steps, start=1):
            if kind == "guarantee_claim":
                self.claim(i, steps[seq:])
                continue
            due = self.step_due(kind, i)
            paid = min(due, self.funds)
            if paid < due and kind != "residual":
                paid += self.draw_reserves(kind, due - paid)
            self.funds -= paid
            total += paid
            self.settle(kind, i, due, paid)
            rows.append((pay, seq, kind, target, due, paid, due - paid))
        return total

    def step_due(self, kind: str, i: int) -> Number:
        """What a step is due before payment."""
        if kind == "reserve":
            return max(self.c.reserve_targets[i] - self.reserve[i], self.zero)
        if kind == "residual":
            return self.funds
        return self.dues[kind][i]

    def settle(self, kind: str, i: int, due: Number, paid: Number) -> None:
        """Book a payment: reduce balances, keep arrears, fund the reserve."""
        short = due - paid
        if kind == "tax":
            self.tax_arrears[i] = short
        elif kind == "fee":
            self.fee_arrears[i] = short
        elif kind == "interest":
            self.interest_arrears[i] = short
        elif kind == "principal":
            self.balance[i] -= paid
            self.principal_arrears[i] = short if self.status not in ACCELERATED else self.zero
        elif kind == "reserve":
            self.reserve[i] += paid
            self.reserve_deposit[i] += paid
        previous = self.paid_dues.get((kind, i))
        self.paid_dues[(kind, i)] = (
            (due, paid) if previous is None else (previous[0] + due, previous[1] + paid)
        )

    def draw_reserves(self, kind: str, shortfall: Number) -> Number:
        """Draw reserve accounts that may cover this kind of step, up to the shortfall."""
        drawn = self.zero
        for r, account in enumerate(self.deal.reserves):
            if kind in account.draw_for and self.reserve[r] > 0 and drawn < shortfall:
                take = min(self.reserve[r], shortfall - drawn)
                self.reserve[r] -= take
                self.reserve_drawn[r] += take
                drawn += take
        self.funds += drawn
        self.draws += drawn
        return drawn

    def claim(self, s: int, later: list[tuple[str, int, str]]) -> None:
        """Claim a shortfall undertaking (差额支付) for the deficit of the covered later steps."""
        support = self.deal.supports[s]
        covered = [n for n, (kind, _, target) in enumerate(later) if target in support.covers]
        if not covered or support.fails or support.id in self.c.failing:
            return
        dues = sum(self.step_due(kind, i) for kind, i, _ in later[: covered[-1] + 1] if kind in self.dues)
        deficit = max(dues - self.funds, self.zero)
        limit = self.c.support_limits[s]
        if limit is not None:
            deficit = min(deficit, max(limit - self.support_used[s], self.zero))
        self.support_used[s] += deficit
        self.support_draw += deficit
        self.funds += deficit

    def record_statements(
        self, pay: date, opening: list[Number], pool_open: Number, coll: PeriodCollections, accelerated: bool
    ) -> None:
        """Append the period's pool, fee, tranche and reserve statement rows."""
        a, d, rows, zero = self.a, self.deal, self.result.rows, self.zero
        guarantee = a.units(coll.guarantee_interest) + a.units(coll.guarantee_principal)
        rows["pool"].append(
            (pay, pool_open, a.units(coll.interest), a.units(coll.principal), a.units(coll.recoveries), guarantee,
             a.units(coll.other), a.units(coll.defaults), self.cumulative_defaults, self.pool_balance)
        )  # fmt: skip
        for kind, names in (("tax", ("vat", "surtax")), ("fee", [f.id for f in d.fees])):
            for i, name in enumerate(names):
                due, paid = self.paid_dues.get((kind, i), (self.dues[kind][i], zero))
                rows["fees"].append((pay, name, kind, due, paid, due - paid))
        for j, tranche in enumerate(d.tranches):
            int_due, int_paid = self.paid_dues.get(("interest", j), (zero, zero))
            ret_due, ret_paid = self.paid_dues.get(("subordinate_return", j), (zero, zero))
            pr_due, pr_paid = self.paid_dues.get(("principal", j), (zero, zero))
            int_due, int_paid = int_due + ret_due, int_paid + ret_paid
            int_short = (int_due - int_paid) if ("interest", j) in self.paid_dues else zero
            pr_short = pr_due - pr_paid
            rows["tranches"].append(
                (pay, tranche.id, opening[j], int_due, int_paid, pr_due, pr_paid, self.balance[j],
                 int_short, pr_short, int_short + pr_short)
            )  # fmt: skip
        for r, account in enumerate(d.reserves):
            outflow = self.reserve_drawn[r] + self.reserve_release[r]
            rows["accounts"].append(
                (pay, account.id, self.reserve_opening[r], self.reserve_deposit[r], outflow, self.reserve[r])
            )

    def metrics(self, coverage: float) -> dict[str, float]:
        """This period's trigger metrics."""
        senior_short = sum(
            self.interest_arrears[j] for j in self.c.senior if ("interest", j) in self.paid_dues
        )
        initial = float(self.initial_pool) or 1.0
        last = self.result.rows["pool"][-1]
        return {
            "cumulative_default_rate": float(self.cumulative_defaults) / initial,
            "coverage": coverage,
            "data_collateral_event": float(self.current.data_collateral_event),
            "rating_downgrade": float(self.current.rating_downgrade),
            "senior_interest_shortfall": float(senior_short) / 100.0,
            "pool_factor": float(last[-1]) / initial,
        }

    def test_triggers(self, pay: date, coverage: float) -> None:
        """Test every trigger on this period's metrics and set the status for the next period."""
        if not self.deal.triggers:
            return
        values = self.metrics(coverage)
        tested = []
        for trigger, state in zip(self.deal.triggers, self.trigger_states, strict=True):
            breached = trigger_breached(trigger, values[trigger.metric])
            state.update(trigger, breached)
            tested.append((trigger, values[trigger.metric], breached, state.fired))
        self.status = deal_status(self.deal, self.trigger_states)
        rows = self.result.rows["triggers"]
        for trigger, value, breached, fired in tested:
            rows.append(
                (
                    pay,
                    trigger.id,
                    trigger.metric,
                    value,
                    trigger.threshold,
                    breached,
                    fired,
                    trigger.effect,
                    self.status,
                )
            )


def _ratio(numerator: Number, denominator: Number) -> float:
    """A coverage ratio (inf when nothing is due)."""
    return float(numerator) / float(denominator) if denominator else float("inf")
