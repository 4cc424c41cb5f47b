"""The ``deal.yaml`` contract: every key typed, unknown keys rejected, printed by ``dataabs schema``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DealModel = Literal[
    "data_pledged_loan", "receivable_data_pledge", "leasing_data_pledge", "data_empowered", "revenue_rights"
]
DayCount = Literal["ACT/365F", "ACT/365", "ACT/360", "30/360"]
PartyRole = Literal[
    "originator",
    "manager",
    "trustee",
    "custodian",
    "servicer",
    "guarantor",
    "rating_agency",
    "registry",
    "lender",
    "legal_counsel",
    "accountant",
    "appraiser",
    "investor",
]
StepKind = Literal[
    "tax", "fee", "interest", "principal", "reserve", "guarantee_claim", "subordinate_return", "residual"
]
Money = Decimal


class Strict(BaseModel):
    """Base of every deal.yaml section: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyDates(Strict):
    """The deal's dates: cut-off (封包日/基准日), pricing, closing (设立日), maturities."""

    cut_off: date
    pricing: date | None = None
    closing: date
    first_payment: date
    expected_maturity: date
    legal_maturity: date

    @model_validator(mode="after")
    def _ordered(self) -> KeyDates:
        if (
            not self.cut_off
            <= self.closing
            < self.first_payment
            <= self.expected_maturity
            <= self.legal_maturity
        ):
            raise ValueError(
                "dates must satisfy cut_off ≤ closing < first_payment ≤ expected_maturity ≤ legal_maturity"
            )
        return self


class PaymentCalendar(Strict):
    """Payment dates: the given day of the listed months, plus the offsets of collection and calculation dates."""

    months: list[int] = Field(min_length=1, description="Months (1-12) with a payment date.")
    day: int = Field(ge=1, le=31)
    business_day: Literal["unadjusted", "following", "modified_following"] = "unadjusted"
    collection_offset_days: int = Field(
        default=-10, le=0, description="Collection period end, days before payment."
    )
    calculation_offset_days: int = Field(
        default=-5, le=0, description="Calculation date, days before payment."
    )

    @field_validator("months")
    @classmethod
    def _months(cls, value: list[int]) -> list[int]:
        if any(m < 1 or m > 12 for m in value) or len(set(value)) != len(value):
            raise ValueError("months must be distinct integers 1-12")
        return sorted(value)


class Party(Strict):
    """A party to the deal (manager 管理人, guarantor 担保人, custodian 托管人, ...)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    role: PartyRole
    name: str = Field(min_length=1)
    uscc: str | None = Field(default=None, description="统一社会信用代码 (18 chars, GB 32100).")
    rating: str | None = None


class Tranche(Strict):
    """A class of securities: senior (优先级), mezzanine or subordinate (次级)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    name: str
    kind: Literal["senior", "mezzanine", "subordinate"]
    seniority: int = Field(ge=1, description="1 is paid first.")
    size: Money = Field(gt=0)
    coupon: Decimal | None = Field(
        default=None, ge=0, lt=1, description="Decimal rate; null for subordinate."
    )
    spread_bp: Decimal | None = Field(
        default=None,
        ge=-500,
        le=5000,
        description="Without a coupon: propose one at the reference curve at the WAL plus this spread (bp).",
    )
    rate_type: Literal["fixed", "floating"] = "fixed"
    day_count: DayCount = "ACT/365F"
    amortisation: Literal["sequential", "pro_rata", "scheduled", "bullet"] = "sequential"
    rating: str | None = None
    expected_maturity: date | None = None
    legal_maturity: date | None = None


class Fee(Strict):
    """A senior expense: a rate on a named balance with a day count, or fixed amounts in given months."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    payee: str = Field(description="A party id.")
    kind: Literal["rate", "fixed"]
    rate: Decimal | None = Field(default=None, ge=0, lt=1)
    base: str | None = Field(default=None, description="senior_balance | pool_balance | tranche:<id>")
    day_count: DayCount = "ACT/365F"
    amount: Money | None = Field(default=None, ge=0)
    months: list[int] = Field(default_factory=list, description="Months a fixed fee falls due.")
    cap: Money | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _shape(self) -> Fee:
        if self.kind == "rate" and (self.rate is None or self.base is None):
            raise ValueError("a rate fee needs rate and base")
        if self.kind == "fixed" and (self.amount is None or not self.months):
            raise ValueError("a fixed fee needs amount and months")
        if self.base and not (
            self.base in ("senior_balance", "pool_balance") or self.base.startswith("tranche:")
        ):
            raise ValueError("base must be senior_balance, pool_balance or tranche:<id>")
        return self


class Taxes(Strict):
    """VAT on the plan's interest income (资管产品增值税 3% simplified) and surtaxes on the VAT."""

    vat_rate: Decimal = Field(default=Decimal("0.03"), ge=0, lt=1)
    surtax_rate: Decimal = Field(default=Decimal("0.12"), ge=0, lt=1)


class WaterfallStep(Strict):
    """One step of the priority of payments (现金流分配顺序)."""

    id: str
    kind: StepKind
    target: str | None = Field(default=None, description="Fee, tranche or account id the step pays.")


class Waterfall(Strict):
    """Priority of payments before and after acceleration or default."""

    normal: list[WaterfallStep] = Field(min_length=1)
    accelerated: list[WaterfallStep] = Field(min_length=1)


class Trigger(Strict):
    """A trigger tested every period on a named metric, with a cure period and an effect."""

    id: str
    kind: Literal[
        "perfection", "acceleration", "event_of_default", "data_collateral", "clean_up", "disclosure"
    ]
    metric: str
    operator: Literal[">", ">=", "<", "<="]
    threshold: Decimal
    cure_periods: int = Field(default=0, ge=0)


class CreditSupport(Strict):
    """External or internal credit enhancement (增信): guarantee, shortfall undertaking, reserve, OC."""

    id: str
    kind: Literal[
        "bank_guarantee",
        "guarantor",
        "shortfall_undertaking",
        "liquidity_support",
        "cash_reserve",
        "over_collateralisation",
    ]
    provider: str | None = Field(default=None, description="A party id.")
    covers: Literal["asset_dues", "senior_interest", "senior_shortfall", "all_tranches"] = "asset_dues"
    amount: Money | None = Field(default=None, ge=0)
    claim_delay_days: int = Field(default=30, ge=0)


class Endpoint(Strict):
    """A counterparty's HTTP API; no URL means the shipped sandbox on loopback."""

    url: str | None = None


class Counterparties(Strict):
    """The counterparties the deal talks to: data registry, bank/custodian, reference curve."""

    registry: Endpoint = Endpoint()
    bank: Endpoint = Endpoint()
    curve: Endpoint = Endpoint()


class Tapes(Strict):
    """Paths (inside the package) of the tapes; CSV (UTF-8, BOM, GB18030), XLSX or Parquet."""

    obligors: str = "obligors.csv"
    assets: str = "assets.csv"
    schedules: str = "schedules.csv"
    data_assets: str = "data_assets.csv"


class SandboxSeed(Strict):
    """Files that seed the sandbox counterparties for this deal (embedded default and tests)."""

    registry: str | None = Field(default="registry/registry.json", description="Certificates and pledges.")
    bank: str | None = Field(
        default=None, description="Bank transactions (JSON); none → every obligor pays every due on time."
    )


class DocumentRef(Strict):
    """A document of the offering package (计划说明书, 法律意见书, ...) by checklist id and file in the package."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    file: str


class EnhancementSpec(Strict):
    """The enhancement stage's stress grid and sizing parameters (增信测算); defaults are the rating-style grid."""

    top_obligor_defaults: list[int] = Field(
        default_factory=lambda: [1, 2, 3],
        description="Stresses: the top n obligors default at the first due date.",
    )
    data_recoveries: list[Decimal] = Field(
        default_factory=lambda: [Decimal(0), Decimal("0.1"), Decimal("0.2"), Decimal("0.3")],
        description="Data-collateral recovery rates of the guarantor-fails stresses.",
    )
    data_recovery_lag_months: int = Field(default=24, ge=0, description="Lag of data-collateral recoveries.")
    prepayment_rates: list[Decimal] = Field(
        default_factory=lambda: [Decimal("0.1"), Decimal("0.2")], description="CPR shocks (annual)."
    )
    rate_shifts: list[Decimal] = Field(
        default_factory=lambda: [Decimal("-0.01")], description="Asset-rate shifts (decimal, e.g. -0.01)."
    )
    senior: str | None = Field(default=None, description="The senior tranche to size (default: the first).")
    sizing_step: Money = Field(default=Decimal(10000), gt=0, description="Sizing grid, yuan.")
    max_evaluations: int = Field(
        default=40, ge=2, le=200, description="Engine evaluations allowed for sizing."
    )
    guaranteed_share: Decimal | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of pool principal the deal says is under guarantee (default: every asset with a "
        "guarantor must be covered).",
    )


class Deal(Strict):
    """A deal package's ``deal.yaml``: the readable contract of one deal (or one shelf phase)."""

    deal_id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="Lowercase letters, digits, dashes."
    )
    name: str = Field(min_length=1)
    model: DealModel
    currency: Literal["CNY"] = "CNY"
    shelf_size: Money | None = Field(default=None, gt=0, description="储架 total, if a shelf phase.")
    phase: int | None = Field(default=None, ge=1)
    day_count: DayCount = "ACT/365F"
    dates: KeyDates
    payment_calendar: PaymentCalendar
    parties: list[Party] = Field(min_length=1)
    tranches: list[Tranche] = Field(min_length=1)
    fees: list[Fee] = Field(default_factory=list)
    taxes: Taxes = Taxes()
    waterfall: Waterfall
    triggers: list[Trigger] = Field(default_factory=list)
    credit_support: list[CreditSupport] = Field(default_factory=list)
    policy: dict[str, Any] = Field(default_factory=dict, description="Overrides of config/policy.yaml keys.")
    counterparties: Counterparties = Counterparties()
    tapes: Tapes = Tapes()
    sandbox: SandboxSeed = SandboxSeed()
    valuation: str | None = Field(
        default=None, description="Valuation inputs (valuation.yaml) in the package."
    )
    enhancement: EnhancementSpec = Field(
        default_factory=EnhancementSpec, description="Stress grid and sizing of the enhancement stage."
    )
    documents: list[DocumentRef] = Field(
        default_factory=list, description="The offering package's documents."
    )
    collection_account: str | None = Field(
        default=None, description="The plan's collection account (归集账户)."
    )

    @model_validator(mode="after")
    def _references(self) -> Deal:
        problems = [
            *_duplicates("parties", [p.id for p in self.parties]),
            *_duplicates("tranches", [t.id for t in self.tranches]),
            *_duplicates("fees", [f.id for f in self.fees]),
        ]
        party_ids = {p.id for p in self.parties}
        targets = (
            {t.id for t in self.tranches} | {f.id for f in self.fees} | {c.id for c in self.credit_support}
        )
        problems += [
            f"fees.{f.id}.payee: unknown party {f.payee!r}" for f in self.fees if f.payee not in party_ids
        ]
        problems += [
            f"credit_support.{c.id}.provider: unknown party {c.provider!r}"
            for c in self.credit_support
            if c.provider is not None and c.provider not in party_ids
        ]
        for name, steps in (("normal", self.waterfall.normal), ("accelerated", self.waterfall.accelerated)):
            problems += [
                f"waterfall.{name}.{s.id}.target: unknown fee, tranche or account {s.target!r}"
                for s in steps
                if s.target is not None and s.target not in targets and s.target != "reserve"
            ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _priority_of_payments(self) -> Deal:
        problems = [
            *_duplicates("credit_support", [c.id for c in self.credit_support]),
            *_duplicates("triggers", [t.id for t in self.triggers]),
            *_duplicates("documents", [d.id for d in self.documents]),
        ]
        for name in ("normal", "accelerated"):
            problems += _waterfall_problems(self, name, getattr(self.waterfall, name))
        paid = {s.target for s in self.waterfall.normal}
        problems += [
            f"tranches.{t.id}: no step of waterfall.normal pays this tranche (unreachable)"
            for t in self.tranches
            if t.id not in paid
        ]
        problems += [
            f"fees.{f.id}: no fee step of waterfall.normal pays this fee (unreachable)"
            for f in self.fees
            if f.id not in {s.target for s in self.waterfall.normal if s.kind == "fee"}
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self


TAX_TARGETS = (None, "taxes", "vat", "surtax")


def _waterfall_problems(deal: Deal, name: str, steps: list[WaterfallStep]) -> list[str]:
    """The rules of a linear priority of payments (see docs/deal-package.md, "Waterfall rules").

    Step ids are unique; each kind pays the right sort of target (fee → fee, interest/principal/
    subordinate_return/residual → tranche, guarantee_claim → credit support, reserve → cash reserve);
    no (kind, target) is paid twice; a tranche's principal never comes before its interest; a
    subordinate_return pays a subordinate tranche; the residual is the last step.
    """
    tranches = {t.id: t for t in deal.tranches}
    allowed: dict[str, set[str]] = {
        "fee": {f.id for f in deal.fees},
        "guarantee_claim": {c.id for c in deal.credit_support},
        "reserve": {c.id for c in deal.credit_support if c.kind == "cash_reserve"} | {"reserve"},
    }
    where = f"waterfall.{name}"
    problems = _duplicates(where, [s.id for s in steps])
    seen: dict[tuple[str, str | None], str] = {}
    interest_at: dict[str, int] = {}
    for position, step in enumerate(steps):
        here = f"{where}.{step.id}"
        if step.kind == "tax":
            if step.target not in TAX_TARGETS:
                problems.append(f"{here}.target: a tax step pays taxes, vat or surtax, not {step.target!r}")
        elif step.target is None:
            problems.append(f"{here}.target: a {step.kind} step needs a target")
        elif step.kind in allowed and step.target not in allowed[step.kind]:
            problems.append(f"{here}.target: a {step.kind} step cannot pay {step.target!r}")
        elif step.kind not in allowed and step.target not in tranches:
            problems.append(f"{here}.target: a {step.kind} step pays a tranche, {step.target!r} is not one")
        key = (step.kind, step.target)
        if key in seen:
            problems.append(
                f"{here}: pays {step.kind} of {step.target or 'taxes'} again (first in {seen[key]})"
            )
        seen.setdefault(key, step.id)
        tranche = tranches.get(step.target or "")
        if tranche is None:
            continue
        if step.kind == "interest":
            interest_at.setdefault(tranche.id, position)
        if (
            step.kind == "principal"
            and tranche.id not in interest_at
            and any(s.kind == "interest" and s.target == tranche.id for s in steps[position:])
        ):
            problems.append(f"{here}: principal of {tranche.id} comes before its interest")
        if step.kind == "subordinate_return" and tranche.kind != "subordinate":
            problems.append(f"{here}: subordinate_return pays {tranche.id}, which is not subordinate")
    residual = [i for i, s in enumerate(steps) if s.kind == "residual"]
    if residual and residual[0] != len(steps) - 1:
        problems.append(
            f"{where}.{steps[residual[0]].id}: the residual step must be the last (later steps are unreachable)"
        )
    return problems


def _duplicates(section: str, ids: list[str]) -> list[str]:
    """Messages for ids that appear more than once in a section."""
    seen: set[str] = set()
    return [f"{section}: duplicate id {i!r}" for i in ids if i in seen or seen.add(i)]  # type: ignore[func-returns-value]


def deal_json_schema() -> dict[str, Any]:
    """The machine-readable JSON Schema of ``deal.yaml``."""
    return Deal.model_json_schema()
