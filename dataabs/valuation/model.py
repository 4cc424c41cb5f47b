"""Typed inputs and results of the valuation stage (数据资产评估), i.e. the shape of a deal's ``valuation.yaml``.

A deal package carries one ``valuation.yaml``: per data asset a base date, the methods used with their inputs
(income, cost, market) and the reconciliation rule. Amounts in the file are yuan (¥); rates and coefficients
are decimals (0.35 for 35%). The quality score Q is *not* in the file: it is measured by the governance stage
and passed to the engine explicitly. House thresholds live in :class:`ValuationPolicy` (``policy.yaml``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dataabs.errors import PackageInvalid, Problem

Method = Literal["income", "cost", "market"]
METHODS: tuple[Method, ...] = ("income", "cost", "market")

NonNegative = Annotated[Decimal, Field(ge=0)]
Positive = Annotated[Decimal, Field(gt=0)]
Fraction = Annotated[Decimal, Field(ge=0, le=1)]
Score = Annotated[Decimal, Field(ge=0, le=100)]


class _Spec(BaseModel):
    """Base of every input model: unknown keys are typos, so they are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- income approach (收益法) -------------------------------------------------------------------------------


class DiscountRateSpec(_Spec):
    """Build-up discount rate (折现率): risk-free rate plus named risk premiums."""

    risk_free: NonNegative = Field(description="Risk-free rate, e.g. the 10-year CGB yield at the base date.")
    premiums: dict[str, NonNegative] = Field(
        default_factory=dict,
        description="Named premiums: management, circulation, data_security, regulatory (others allowed).",
    )


class LifeBound(_Spec):
    """One bound on the income period: an end date or a number of years from the base date."""

    until: date | None = None
    years: Positive | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LifeBound:
        if (self.until is None) == (self.years is None):
            raise ValueError("give exactly one of 'until' (a date) or 'years'")
        return self


class LifeBounds(_Spec):
    """Bounds on the income period n (收益期限); the shortest one binds."""

    certificate: LifeBound | None = Field(default=None, description="Validity of the data-IP certificate.")
    contract: LifeBound | None = Field(default=None, description="Term of the licensing/data contract.")
    product: LifeBound | None = Field(default=None, description="Economic life of the data product.")


class _IncomeBase(_Spec):
    """Inputs shared by every income variant."""

    discount_rate: DiscountRateSpec
    life: LifeBounds = Field(default_factory=LifeBounds)
    decay_rate: Fraction = Field(default=Decimal(0), description="Yearly decay d: F_t × (1 − d)^(t−1).")


class DirectIncome(_IncomeBase):
    """Direct income (直接收益): F_t = R_t, the cash flow attributable to the data asset."""

    variant: Literal["direct"]
    revenue: list[Decimal] = Field(min_length=1, description="R_t per year from the base date, yuan.")


class RevenueShareIncome(_IncomeBase):
    """Revenue share (收益分成): F_t = R_t × K_t."""

    variant: Literal["revenue_share"]
    revenue: list[Decimal] = Field(min_length=1, description="R_t per year, yuan.")
    share: Fraction | list[Fraction] = Field(description="K, one value or one per year.")

    @model_validator(mode="after")
    def _share_length(self) -> RevenueShareIncome:
        if isinstance(self.share, list) and len(self.share) != len(self.revenue):
            raise ValueError("share has one value per year of revenue, or a single value")
        return self


class ExcessEarningsIncome(_IncomeBase):
    """Multi-period excess earnings (多期超额收益): F_t = R_t − Σ contributory asset charges."""

    variant: Literal["excess_earnings"]
    revenue: list[Decimal] = Field(min_length=1, description="Earnings of the business using the data, yuan.")
    charges: dict[str, NonNegative | list[NonNegative]] = Field(
        default_factory=dict,
        description="Contributory charges by asset (working_capital, fixed_assets, ...).",
    )

    @model_validator(mode="after")
    def _charge_lengths(self) -> ExcessEarningsIncome:
        for name, charge in self.charges.items():
            if isinstance(charge, list) and len(charge) != len(self.revenue):
                raise ValueError(f"charge {name!r} has one value per year of revenue, or a single value")
        return self


class IncrementalIncome(_IncomeBase):
    """Incremental income (增量收益): F_t = R'_t (with the data) − R_t (without)."""

    variant: Literal["incremental"]
    revenue_with: list[Decimal] = Field(min_length=1, description="R'_t with the data asset, yuan.")
    revenue_without: list[Decimal] = Field(min_length=1, description="R_t without the data asset, yuan.")

    @model_validator(mode="after")
    def _same_length(self) -> IncrementalIncome:
        if len(self.revenue_with) != len(self.revenue_without):
            raise ValueError("revenue_with and revenue_without cover the same years")
        return self


IncomeSpec = Annotated[
    DirectIncome | RevenueShareIncome | ExcessEarningsIncome | IncrementalIncome,
    Field(discriminator="variant"),
]

# --- cost approach (成本法) ---------------------------------------------------------------------------------

CostLine = Literal["preliminary", "direct", "indirect", "opportunity", "taxes"]


class DeltaRule(_Spec):
    """How the value-adjustment coefficient δ (价值调整系数) is set."""

    rule: Literal["quality_life", "quality", "life", "fixed"] = "quality_life"
    value: Positive | None = Field(default=None, description="δ itself, only for rule 'fixed'.")
    justification: str | None = Field(default=None, description="Why a fixed δ, only for rule 'fixed'.")

    @model_validator(mode="after")
    def _fixed_needs_value(self) -> DeltaRule:
        if (self.rule == "fixed") != (self.value is not None):
            raise ValueError("'value' is given exactly when rule is 'fixed'")
        if self.rule == "fixed" and not self.justification:
            raise ValueError("a fixed δ needs a justification")
        return self


class CostSpec(_Spec):
    """Cost approach inputs: replacement cost lines and the lives behind δ."""

    lines: dict[CostLine, NonNegative] = Field(
        min_length=1,
        description="前期 preliminary, 直接 direct, 间接 indirect, 机会成本 opportunity, 税费 taxes.",
    )
    total_life_years: Positive
    remaining_life_years: NonNegative
    delta: DeltaRule = Field(default_factory=DeltaRule)

    @model_validator(mode="after")
    def _remaining_within_total(self) -> CostSpec:
        if self.remaining_life_years > self.total_life_years:
            raise ValueError("remaining_life_years cannot exceed total_life_years")
        return self


# --- market approach (市场法) -------------------------------------------------------------------------------

MarketFactor = Literal["quality", "supply_demand", "date", "capacity", "other"]


class Comparable(_Spec):
    """One comparable transaction (可比案例) and what is needed to adjust it to the subject."""

    id: str
    price: Positive = Field(description="Transaction price, yuan.")
    traded_on: date
    weight: Fraction
    quality_score: Annotated[Decimal, Field(gt=0, le=100)] = Field(description="Q of the comparable (X1).")
    supply_demand: Positive = Field(default=Decimal(1), description="X2, supply-demand adjustment.")
    price_index: Positive = Field(description="Price index at the trade date (X3 = base index / this).")
    capacity: Positive = Field(description="Data capacity of the comparable, same unit as the subject (X4).")
    other: dict[str, Positive] = Field(
        default_factory=dict, description="X5 sub-factors (rights_type, region, term); X5 is their product."
    )
    justifications: dict[MarketFactor, str] = Field(
        default_factory=dict, description="Why a factor lies outside the policy band, by factor name."
    )


class MarketSpec(_Spec):
    """Market approach inputs: the subject's side of the adjustments and the comparables."""

    price_index_at_base: Positive = Field(description="Price index at the base date (X3 numerator).")
    capacity: Positive = Field(description="Data capacity of the subject (X4 numerator).")
    capacity_exponent: Positive = Field(default=Decimal("0.6"), description="β in (cap_s/cap_c)^β.")
    comparables: list[Comparable] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> MarketSpec:
        total = sum((c.weight for c in self.comparables), Decimal(0))
        if abs(total - 1) > Decimal("0.0001"):
            raise ValueError(f"comparable weights sum to {total}, not 1")
        return self


# --- reconciliation and the per-asset / per-deal file -------------------------------------------------------


_DEFAULT_FALLBACK: tuple[Method, ...] = ("market", "cost")


class ReconciliationSpec(_Spec):
    """How the final value follows from several methods (评估结论的确定)."""

    rule: Literal["weighted", "min", "income_primary"] = "income_primary"
    weights: dict[Method, Fraction] = Field(
        default_factory=dict, description="Method weights for 'weighted'."
    )
    fallback: list[Method] = Field(
        default_factory=lambda: list(_DEFAULT_FALLBACK),
        description="Order tried when income is missing or ≤ 0.",
    )

    @model_validator(mode="after")
    def _weights_for_weighted(self) -> ReconciliationSpec:
        if self.rule == "weighted" and abs(sum(self.weights.values(), Decimal(0)) - 1) > Decimal("0.0001"):
            raise ValueError("the 'weighted' rule needs method weights summing to 1")
        return self


class MethodsSpec(_Spec):
    """The methods used for one data asset; at least one."""

    income: IncomeSpec | None = None
    cost: CostSpec | None = None
    market: MarketSpec | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> MethodsSpec:
        if not self.used():
            raise ValueError("at least one valuation method is required")
        return self

    def used(self) -> list[Method]:
        """The methods present, in the canonical order income, cost, market."""
        return [m for m in METHODS if getattr(self, m) is not None]


class AssetValuationSpec(_Spec):
    """Valuation inputs of one data asset."""

    data_asset_id: str
    base_date: date = Field(description="评估基准日.")
    book_value: NonNegative | None = Field(
        default=None, description="Carrying amount (财会〔2023〕11号), yuan."
    )
    appraisal_report: str | None = Field(
        default=None, description="Appraiser's report number, for the record."
    )
    methods: MethodsSpec
    reconciliation: ReconciliationSpec = Field(default_factory=ReconciliationSpec)

    @model_validator(mode="after")
    def _weights_match_methods(self) -> AssetValuationSpec:
        rec = self.reconciliation
        if rec.rule == "weighted" and set(rec.weights) != set(self.methods.used()):
            raise ValueError(
                f"weights name {sorted(rec.weights)} but the methods used are {self.methods.used()}"
            )
        return self


class DealValuationSpec(_Spec):
    """A deal's ``valuation.yaml``: every data asset valued for the deal."""

    assets: list[AssetValuationSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> DealValuationSpec:
        ids = [a.data_asset_id for a in self.assets]
        if len(ids) != len(set(ids)):
            raise ValueError("data_asset_id values must be unique")
        return self


# --- house policy (policy.yaml, section ``valuation``) ------------------------------------------------------


class LtvPolicy(_Spec):
    """Pledge LTV limits (质押率): principal / appraised value."""

    origination_max: Fraction = Decimal("0.50")
    warning_above: Fraction = Decimal("0.60")
    cure_above: Fraction = Decimal("0.70")


class ValuationPolicy(_Spec):
    """House thresholds of the valuation gate; defaults mirror ``policy.yaml`` and are overridable per deal."""

    factor_min: Positive = Decimal("0.7")
    factor_max: Positive = Decimal("1.3")
    min_comparables: int = Field(default=3, ge=1)
    comparable_window_months: int = Field(default=24, ge=1)
    max_base_date_age_months: int = Field(default=12, ge=1)
    ltv: LtvPolicy = Field(default_factory=LtvPolicy)


# --- results ------------------------------------------------------------------------------------------------


class _Result(BaseModel):
    """Base of result models (immutable)."""

    model_config = ConfigDict(frozen=True)


class IncomePeriod(_Result):
    """One year of the income projection."""

    t: Decimal = Field(description="Discount exponent (a fraction for a final part-year).")
    cash_flow: Decimal = Field(description="F_t after decay and part-year pro-rating.")
    discount_factor: Decimal
    present_value: Decimal


class IncomeResult(_Result):
    """Income-approach value with its rate, life and schedule."""

    method: Literal["income"] = "income"
    value: Decimal
    variant: str
    discount_rate: Decimal
    life_years: Decimal
    binding_bound: str
    periods: list[IncomePeriod]


class CostResult(_Result):
    """Cost-approach value P = C × δ."""

    method: Literal["cost"] = "cost"
    value: Decimal
    cost_total: Decimal
    delta: Decimal


class ComparableAdjustment(_Result):
    """One comparable's factors X1..X5 and its adjusted price."""

    id: str
    weight: Decimal
    price: Decimal
    factors: dict[MarketFactor, Decimal]
    adjusted_price: Decimal


class MarketResult(_Result):
    """Market-approach value Σ w_j · price_j · ΠX."""

    method: Literal["market"] = "market"
    value: Decimal
    comparables: list[ComparableAdjustment]


MethodResult = IncomeResult | CostResult | MarketResult


class Reconciled(_Result):
    """The final value and why it was chosen."""

    value: Decimal
    rule: str
    reason_zh: str
    reason_en: str


SensitivityParameter = Literal["r", "K", "Q"]


class SensitivityRow(_Result):
    """Value under a ±shock of one input (r, K or Q)."""

    data_asset_id: str
    parameter: SensitivityParameter
    shock: Decimal
    method: Literal["income", "cost", "market", "final"]
    base_value: Decimal
    value: Decimal
    relative_change: Decimal = Field(description="value / base_value − 1, as a decimal (0.1 for +10%).")


class AssetValuationResult(_Result):
    """Everything the valuation of one data asset produced."""

    data_asset_id: str
    base_date: date
    quality_score: Decimal
    book_value: Decimal | None
    methods: dict[Method, MethodResult]
    final: Reconciled
    sensitivity: list[SensitivityRow] = Field(default_factory=list)


# --- loading ------------------------------------------------------------------------------------------------


def load_valuation(path: Path) -> DealValuationSpec:
    """Read and validate a deal's ``valuation.yaml``; every defect is reported at once."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return DealValuationSpec.model_validate(raw)
    except yaml.YAMLError as exc:
        raise PackageInvalid(str(path.parent), [Problem(path.name, f"not valid YAML: {exc}")]) from exc
    except ValidationError as exc:
        problems = [
            Problem(path.name, err["msg"], column=".".join(str(p) for p in err["loc"]))
            for err in exc.errors()
        ]
        raise PackageInvalid(str(path.parent), problems) from exc
