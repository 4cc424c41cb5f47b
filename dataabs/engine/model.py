"""The engine's deal model: a deal is data (tranches, fees, taxes, accounts, support, waterfall, triggers, pool).

Every class mirrors a readable deal description so that ``deal.yaml`` maps onto it field by field. Money is
``Decimal`` yuan; rates are ``Decimal`` decimals (0.02 for 2%). Asset tapes hold numpy arrays, one element per
asset, and share one payment calendar per tape so that the projection can run vectorised over assets.
Scenarios (``Scenario``) are the assumptions of one projection run: defaults, prepayments, recoveries, support
failure, delinquency and shocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt

from dataabs.calendar import DayCount

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

Amortisation = Literal["sequential", "pro_rata", "scheduled"]
TrancheKind = Literal["senior", "mezzanine", "subordinate"]
StepKind = Literal[
    "tax", "fee", "interest", "principal", "reserve", "guarantee_claim", "subordinate_return", "residual"
]
Metric = Literal[
    "cumulative_default_rate",
    "coverage",
    "data_collateral_event",
    "rating_downgrade",
    "senior_interest_shortfall",
    "pool_factor",
]
Operator = Literal[">", ">=", "<", "<="]
Effect = Literal["accelerate", "event_of_default", "clean_up", "disclosure"]
AssetAmortisation = Literal["bullet", "level_pay", "equal_principal", "schedule"]
SupportKind = Literal["asset_guarantee", "shortfall_undertaking"]


@dataclass(frozen=True)
class Tranche:
    """A class of asset-backed securities (档); ``seniority`` 1 is paid first."""

    id: str
    seniority: int
    size: Decimal
    coupon: Decimal = Decimal(0)
    day_count: DayCount = "ACT/365F"
    amortisation: Amortisation = "sequential"
    kind: TrancheKind = "senior"
    expected_maturity: date | None = None
    schedule: Mapping[date, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Fee:
    """A plan expense (费用): a rate on a named base, or fixed amounts in given months, optionally capped."""

    id: str
    base: str = "senior_balance"
    rate: Decimal = Decimal(0)
    day_count: DayCount = "ACT/365F"
    fixed_amount: Decimal = Decimal(0)
    months: tuple[int, ...] = ()
    cap: Decimal | None = None


@dataclass(frozen=True)
class Taxes:
    """Plan taxes (税费): VAT on interest income (3% simplified method) and surtaxes on the VAT."""

    vat_rate: Decimal = Decimal("0.03")
    surtax_rate: Decimal = Decimal("0.12")
    vat_inclusive: bool = True


@dataclass(frozen=True)
class ReserveAccount:
    """A cash reserve account (储备金账户): topped up to ``target`` and drawn to cover shortfalls."""

    id: str
    target: Decimal
    initial_balance: Decimal = Decimal(0)
    draw_for: tuple[StepKind, ...] = ("tax", "fee", "interest")


@dataclass(frozen=True)
class CreditSupport:
    """External credit support (外部增信): a bank guarantee on assets, or a shortfall undertaking on the plan."""

    id: str
    kind: SupportKind = "asset_guarantee"
    provider: str = ""
    delay_days: int = 30
    coverage: Decimal = Decimal(1)
    limit: Decimal | None = None
    covers: tuple[str, ...] = ()
    fails: bool = False


@dataclass(frozen=True)
class Step:
    """One line of a priority of payments (分配顺序): a kind and the id it pays."""

    kind: StepKind
    target: str


@dataclass(frozen=True)
class Trigger:
    """A trigger event (触发事件) on a named metric; fires after ``periods_to_fire`` breaches, cures after
    ``cure_periods`` clean periods (0 = not curable)."""

    id: str
    metric: Metric
    operator: Operator
    threshold: Decimal
    effect: Effect
    cure_periods: int = 0
    periods_to_fire: int = 1


@dataclass(frozen=True, eq=False)
class AssetTape:
    """Assets (基础资产) of one kind on one payment calendar, one array element per asset.

    ``kind`` is loan, receivable (single due date, dilution), lease (periodic rent: equal-principal at rate 0)
    or revenue (a projected cash-flow series with churn); ``schedule`` is either a (T,) vector of fractions of
    the original balance or an (n, T) matrix of amounts.
    """

    asset_id: StrArray
    obligor: StrArray
    balance: FloatArray
    rate: FloatArray
    dates: tuple[date, ...]
    accrual_start: date
    kind: Literal["loan", "receivable", "lease", "revenue"] = "loan"
    amortisation: AssetAmortisation = "bullet"
    day_count: DayCount = "ACT/365F"
    term: IntArray | None = None
    schedule: FloatArray | None = None
    guarantee: str | None = None
    data_pledged: BoolArray | None = None
    dilution: float = 0.0
    churn: float = 0.0

    @property
    def size(self) -> int:
        """Number of assets."""
        return int(self.balance.shape[0])


@dataclass(frozen=True, eq=False)
class Pool:
    """The asset pool (资产池): one or more tapes."""

    tapes: tuple[AssetTape, ...]

    def principal(self) -> float:
        """Total outstanding principal of the pool at cut-off."""
        return float(sum(t.balance.sum() for t in self.tapes))


@dataclass(frozen=True, eq=False)
class Deal:
    """A securitization deal (资产支持专项计划) as the engine sees it."""

    id: str
    cut_off_date: date
    closing_date: date
    payment_dates: tuple[date, ...]
    tranches: tuple[Tranche, ...]
    waterfall: tuple[Step, ...]
    acceleration_waterfall: tuple[Step, ...]
    fees: tuple[Fee, ...] = ()
    taxes: Taxes = field(default_factory=Taxes)
    reserves: tuple[ReserveAccount, ...] = ()
    supports: tuple[CreditSupport, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    pool: Pool | None = None
    initial_pool_balance: Decimal | None = None

    def tranche(self, tranche_id: str) -> Tranche:
        """The tranche with this id."""
        return next(t for t in self.tranches if t.id == tranche_id)

    def senior_ids(self) -> tuple[str, ...]:
        """Ids of the senior tranches."""
        return tuple(t.id for t in self.tranches if t.kind == "senior")

    def pool_balance(self) -> Decimal:
        """Initial pool principal: the declared value, else the pool tapes' total."""
        if self.initial_pool_balance is not None:
            return self.initial_pool_balance
        if self.pool is None:
            raise ValueError(f"deal {self.id}: no pool and no initial_pool_balance")
        return Decimal(repr(round(self.pool.principal(), 2)))


@dataclass(frozen=True)
class Scenario:
    """Projection assumptions (现金流假设): default, prepayment, recovery, support, delinquency and shocks.

    Annual rates (CDR, CPR) may be scalars or per-period vectors on each tape's calendar; ``obligor_defaults``
    names obligors that default on a date; recovery lags are in months, delays in days.
    """

    name: str = "base"
    cdr: float | tuple[float, ...] = 0.0
    cpr: float | tuple[float, ...] = 0.0
    recovery_rate: float = 0.0
    recovery_lag_months: int = 6
    data_recovery_rate: float = 0.0
    data_recovery_lag_months: int = 12
    obligor_defaults: Mapping[str, date] = field(default_factory=dict)
    failing_supports: frozenset[str] = frozenset()
    all_supports_fail: bool = False
    delinquency_rate: float = 0.0
    delinquency_lag_months: int = 3
    asset_rate_shift: float = 0.0
    coupon_shift: Decimal = Decimal(0)
    dilution: float | None = None
    churn: float | None = None
    data_collateral_event: date | None = None
    rating_downgrade: date | None = None

    def support_fails(self, support: CreditSupport) -> bool:
        """Whether a credit support fails to pay in this scenario."""
        return support.fails or self.all_supports_fail or support.id in self.failing_supports

    def scaled(self, multiple: float) -> Scenario:
        """The same scenario with its default rate multiplied (for break-even searches)."""
        cdr = tuple(c * multiple for c in self.cdr) if isinstance(self.cdr, tuple) else self.cdr * multiple
        return replace(self, name=f"{self.name}×{multiple:g}", cdr=cdr)


@dataclass(frozen=True)
class PeriodCollections:
    """Cash collected for one payment period (回收款), projected or actual, in exact yuan.

    ``principal`` is scheduled principal plus prepayments; ``pool_balance`` is the performing balance at the
    end of the collection period; the flags report data-collateral and rating events known by the payment date.
    """

    payment_date: date
    interest: Decimal = Decimal(0)
    principal: Decimal = Decimal(0)
    recoveries: Decimal = Decimal(0)
    guarantee_interest: Decimal = Decimal(0)
    guarantee_principal: Decimal = Decimal(0)
    other: Decimal = Decimal(0)
    defaults: Decimal = Decimal(0)
    cumulative_defaults: Decimal = Decimal(0)
    pool_balance: Decimal = Decimal(0)
    data_collateral_event: bool = False
    rating_downgrade: bool = False
