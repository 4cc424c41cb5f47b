"""Valuation inputs of a demo package's data assets (数据资产评估): the facts and their ``valuation.yaml``.

Each data asset is valued by income (revenue share or direct) and cost, some also by market; the income period
is bounded by the certificate's validity and the data contract. The revenue figures were calibrated once with
the valuation engine so that, with the samples' quality score Q ≈ 99.9, the final values give each pledged loan
the LTV its package README states; the package tests re-check them with ``dataabs.valuation.value_deal``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from dataabs.demo.samples import dump_yaml
from dataabs.demo.sampling import Inline

RISK_FREE = Decimal("0.0165")  # 10-year CGB yield around the base date 2025-06-30
PRODUCT_LIFE_YEARS = 5
RECONCILIATION_NOTE = (
    "Reconciliation: income_primary (收益法为主) where only income and cost are used — the income approach measures"
    " the cash flow the data earns, which is what secures the loan; cost is a floor cross-check. Where a market"
    " approach is also used (≥ 3 comparables within 24 months), weighted: income 0.6, market 0.3, cost 0.1."
)


@dataclass(frozen=True)
class ComparableFact:
    """A comparable data-product trade (可比交易) on a data exchange."""

    id: str
    price: int
    traded_on: date
    weight: Decimal
    quality_score: Decimal
    price_index: Decimal
    capacity: Decimal
    supply_demand: Decimal = Decimal(1)
    other: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class ValuationFact:
    """How one data asset is appraised: income inputs, cost lines and, optionally, comparables."""

    data_asset_id: str
    variant: str  # revenue_share | direct
    revenue: tuple[int, ...]
    premiums: tuple[Decimal, Decimal, Decimal, Decimal]  # management, circulation, data_security, regulatory
    cost_lines: tuple[int, int, int, int, int]  # preliminary, direct, indirect, opportunity, taxes
    remaining_life_years: Decimal
    share: Decimal | None = None
    total_life_years: Decimal = Decimal(PRODUCT_LIFE_YEARS)
    price_index_at_base: Decimal = Decimal(102)
    capacity: Decimal = Decimal(10)
    comparables: tuple[ComparableFact, ...] = field(default_factory=tuple)


def _num(value: Decimal | int) -> float | int:
    """A YAML-friendly number: integers stay integers, decimals become floats (exact for these inputs)."""
    return value if isinstance(value, int) else (int(value) if value == value.to_integral() else float(value))


def _income(
    fact: ValuationFact, certificate_until: date | None, contract_until: date | None
) -> dict[str, Any]:
    """The income section: variant, revenue, share, build-up discount rate and life bounds."""
    management, circulation, security, regulatory = fact.premiums
    life: dict[str, Any] = {}
    if certificate_until is not None:
        life["certificate"] = Inline(until=certificate_until)
    life["contract"] = Inline(until=contract_until) if contract_until else Inline(years=PRODUCT_LIFE_YEARS)
    life["product"] = Inline(years=PRODUCT_LIFE_YEARS)
    return {
        "variant": fact.variant,
        "revenue": list(fact.revenue),
        **({"share": _num(fact.share)} if fact.share is not None else {}),
        "discount_rate": {
            "risk_free": _num(RISK_FREE),
            "premiums": Inline(
                management=_num(management),
                circulation=_num(circulation),
                data_security=_num(security),
                regulatory=_num(regulatory),
            ),
        },
        "life": life,
        "decay_rate": 0,
    }


def _market(fact: ValuationFact) -> dict[str, Any]:
    """The market section: the subject's index and capacity and one line per comparable."""
    return {
        "price_index_at_base": _num(fact.price_index_at_base),
        "capacity": _num(fact.capacity),
        "capacity_exponent": 0.6,
        "comparables": [
            Inline(
                id=c.id,
                price=c.price,
                traded_on=c.traded_on,
                weight=_num(c.weight),
                quality_score=_num(c.quality_score),
                supply_demand=_num(c.supply_demand),
                price_index=_num(c.price_index),
                capacity=_num(c.capacity),
                **({"other": Inline({k: _num(v) for k, v in c.other})} if c.other else {}),
            )
            for c in fact.comparables
        ],
    }


def asset_entry(
    fact: ValuationFact,
    base_date: date,
    book_value: Decimal,
    report_no: str,
    certificate_until: date | None,
    contract_until: date | None,
) -> dict[str, Any]:
    """One ``assets`` entry of valuation.yaml."""
    lines = dict(
        zip(("preliminary", "direct", "indirect", "opportunity", "taxes"), fact.cost_lines, strict=True)
    )
    methods: dict[str, Any] = {
        "income": _income(fact, certificate_until, contract_until),
        "cost": {
            "lines": Inline(lines),
            "total_life_years": _num(fact.total_life_years),
            "remaining_life_years": _num(fact.remaining_life_years),
            "delta": Inline(rule="quality_life"),
        },
    }
    if fact.comparables:
        methods["market"] = _market(fact)
        reconciliation = Inline(rule="weighted", weights=Inline(income=0.6, cost=0.1, market=0.3))
    else:
        reconciliation = Inline(rule="income_primary", fallback=["market", "cost"])
    return {
        "data_asset_id": fact.data_asset_id,
        "base_date": base_date,
        "book_value": int(book_value),
        "appraisal_report": report_no,
        "methods": methods,
        "reconciliation": reconciliation,
    }


def valuation_yaml(
    facts: Iterable[ValuationFact],
    base_date: date,
    entry: Callable[[ValuationFact], dict[str, Any]],
    title: str,
) -> str:
    """valuation.yaml text for the facts; ``entry`` builds one asset's mapping (bounds and book value bound in)."""
    header = (
        f"# valuation.yaml — {title}. Generated by dataabs.demo; regenerate, do not edit.\n"
        f"# Base date {base_date.isoformat()}; amounts in yuan; rates as decimals; format: docs/valuation.md.\n"
        f"# Q is not here: governance measures it (≈ 99.9 on the shipped samples) and valuation passes it in.\n"
        + "".join(f"# {line}\n" for line in _wrap(RECONCILIATION_NOTE))
    )
    return dump_yaml({"assets": [entry(f) for f in facts]}, header)


def _wrap(text: str, width: int = 110) -> list[str]:
    """Split a note into comment lines of at most ``width`` characters."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [*lines, line] if line else lines
