"""Build the engine's deal (``dataabs.engine.model.Deal``) from a deal package: ``deal.yaml`` plus its tapes.

``deal.yaml`` is the readable contract; this module maps it field by field onto the engine, so that the engine
runs exactly the deal the package describes. The mapping, and what is refused:

- **payment dates**: ``payment_calendar.day`` of ``payment_calendar.months`` from ``dates.first_payment`` to
  ``dates.legal_maturity``; ``following``/``modified_following`` adjust weekends only (no holiday calendar).
- **tranches**: size, coupon (``null`` → 0), day count, seniority, kind, expected maturity; amortisation
  ``sequential``/``pro_rata``/``scheduled`` as is, ``bullet`` → ``scheduled`` with no schedule (all principal at
  the expected maturity).
- **fees**: ``kind: rate`` → a rate on ``base``; ``kind: fixed`` → ``fixed_amount`` in ``months``; caps kept.
- **taxes**: VAT (inclusive, 价税合计) and surtaxes on the VAT.
- **waterfall**: a ``tax`` step (no target) → the two engine lines ``vat`` and ``surtax``; other steps keep
  their kind and target (fee, tranche, reserve or credit-support id).
- **triggers**: ``kind`` → effect (acceleration → accelerate, event_of_default, clean_up, disclosure;
  data_collateral and perfection → disclosure); ``metric`` → engine metric by :data:`METRIC_MAP`. The engine
  projects no collateral values, so ``ltv`` (re-valuation LTV above the threshold) becomes the engine's
  ``data_collateral_event`` flag (``>= 1``), raised by a scenario. An unknown metric is refused, naming
  ``deal.yaml`` and ``triggers.<id>.metric``.
- **credit support**: ``bank_guarantee``/``guarantor`` covering ``asset_dues`` → an engine ``asset_guarantee``
  on the assets whose ``guarantor_id`` is the support's provider (limit = ``amount``); ``shortfall_undertaking``
  and ``liquidity_support`` → an engine ``shortfall_undertaking`` on the senior tranches (``senior_interest``,
  ``senior_shortfall``) or all tranches (``all_tranches``), claimed by a ``guarantee_claim`` step;
  ``cash_reserve`` → a reserve account funded at closing with ``amount``; ``over_collateralisation`` is the
  pool/issue difference itself and needs no engine object.
- **pool**: assets grouped into tapes by (guarantee, accrual start, due dates, day count); each asset amortises
  by its rows in the schedules tape (an amount matrix), or is a bullet at maturity without rows. Accrual starts at
  the origination date; ``data_pledged`` is a non-empty ``data_asset_id``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import numpy as np
import pandas as pd

from dataabs.engine import model as m
from dataabs.errors import PackageInvalid, Problem
from dataabs.package import DealPackage
from dataabs.package import schema as s

#: deal.yaml trigger metric → engine metric (aliases on the left are accepted spellings).
METRIC_MAP: dict[str, m.Metric] = {
    "cumulative_default_rate": "cumulative_default_rate",
    "cdr": "cumulative_default_rate",
    "coverage": "coverage",
    "period_coverage": "coverage",
    "senior_interest_shortfall": "senior_interest_shortfall",
    "pool_factor": "pool_factor",
    "rating_downgrade": "rating_downgrade",
    "data_collateral_event": "data_collateral_event",
    "ltv": "data_collateral_event",
}
#: deal.yaml trigger kind → engine effect.
EFFECT_MAP: dict[str, m.Effect] = {
    "acceleration": "accelerate",
    "event_of_default": "event_of_default",
    "clean_up": "clean_up",
    "disclosure": "disclosure",
    "data_collateral": "disclosure",
    "perfection": "disclosure",
}
ASSET_KINDS = {"loan": "loan", "receivable": "receivable", "lease": "lease", "revenue": "revenue"}


def _invalid(column: str, reason: str, file: str = "deal.yaml") -> PackageInvalid:
    """A mapping error naming the file and the key."""
    return PackageInvalid(file, [Problem(file, reason, column=column)])


def payment_dates(deal: s.Deal) -> tuple[date, ...]:
    """Payment dates from the first payment to the legal maturity on the deal's calendar."""
    cal, first, last = deal.payment_calendar, deal.dates.first_payment, deal.dates.legal_maturity
    days = []
    for year in range(first.year, last.year + 1):
        for month in cal.months:
            day = date(year, month, min(cal.day, calendar.monthrange(year, month)[1]))
            adjusted = _adjust(day, cal.business_day)
            if first <= day <= last:
                days.append(adjusted)
    return tuple(days)


def _adjust(day: date, rule: str) -> date:
    """Weekend adjustment (following / modified following); no holiday calendar."""
    if rule == "unadjusted" or day.weekday() < 5:
        return day
    moved = day + timedelta(days=7 - day.weekday())
    if rule == "modified_following" and moved.month != day.month:
        moved = day - timedelta(days=day.weekday() - 4)
    return moved


def tranches(deal: s.Deal) -> tuple[m.Tranche, ...]:
    """Engine tranches from deal.yaml."""
    return tuple(
        m.Tranche(
            id=t.id,
            seniority=t.seniority,
            size=Decimal(t.size),
            coupon=Decimal(t.coupon or 0),
            day_count=t.day_count,
            amortisation="scheduled" if t.amortisation == "bullet" else t.amortisation,
            kind=t.kind,
            expected_maturity=t.expected_maturity or deal.dates.expected_maturity,
        )
        for t in deal.tranches
    )


def fees(deal: s.Deal) -> tuple[m.Fee, ...]:
    """Engine fees from deal.yaml."""
    out = []
    for f in deal.fees:
        if f.kind == "rate":
            out.append(m.Fee(f.id, f.base or "senior_balance", Decimal(f.rate or 0), f.day_count, cap=f.cap))
        else:
            out.append(
                m.Fee(f.id, "fixed", fixed_amount=Decimal(f.amount or 0), months=tuple(f.months), cap=f.cap)
            )
    return tuple(out)


def steps(deal: s.Deal, section: str, items: Iterable[s.WaterfallStep]) -> tuple[m.Step, ...]:
    """Engine waterfall steps: a bare ``tax`` step is VAT then surtax."""
    out: list[m.Step] = []
    for item in items:
        if item.kind == "tax" and item.target in (None, "taxes"):
            out += [m.Step("tax", "vat"), m.Step("tax", "surtax")]
        elif item.target is None:
            raise _invalid(f"waterfall.{section}.{item.id}.target", f"a {item.kind} step needs a target")
        else:
            out.append(m.Step(item.kind, item.target))
    return tuple(out)


def triggers(deal: s.Deal) -> tuple[m.Trigger, ...]:
    """Engine triggers; an unknown metric is refused naming the key."""
    out = []
    for t in deal.triggers:
        metric = METRIC_MAP.get(t.metric)
        if metric is None:
            raise _invalid(
                f"triggers.{t.id}.metric",
                f"unknown trigger metric {t.metric!r}; known: {', '.join(sorted(METRIC_MAP))}",
            )
        operator: m.Operator = t.operator
        threshold = Decimal(t.threshold)
        if t.metric == "ltv":
            operator, threshold = ">=", Decimal(1)
        out.append(m.Trigger(t.id, metric, operator, threshold, EFFECT_MAP[t.kind], t.cure_periods))
    return tuple(out)


def supports(deal: s.Deal) -> tuple[tuple[m.CreditSupport, ...], tuple[m.ReserveAccount, ...]]:
    """Engine credit supports and reserve accounts from ``credit_support``."""
    seniors = tuple(t.id for t in deal.tranches if t.kind == "senior")
    everyone = tuple(t.id for t in deal.tranches)
    out: list[m.CreditSupport] = []
    reserves: list[m.ReserveAccount] = []
    for c in deal.credit_support:
        amount = Decimal(c.amount) if c.amount is not None else None
        if c.kind in ("bank_guarantee", "guarantor") and c.covers == "asset_dues":
            out.append(
                m.CreditSupport(c.id, "asset_guarantee", c.provider or "", c.claim_delay_days, limit=amount)
            )
        elif c.kind in ("bank_guarantee", "guarantor", "shortfall_undertaking", "liquidity_support"):
            covers = everyone if c.covers == "all_tranches" else seniors
            out.append(
                m.CreditSupport(
                    c.id,
                    "shortfall_undertaking",
                    c.provider or "",
                    c.claim_delay_days,
                    limit=amount,
                    covers=covers,
                )
            )
        elif c.kind == "cash_reserve":
            if amount is None:
                raise _invalid(f"credit_support.{c.id}.amount", "a cash reserve needs its amount (target)")
            reserves.append(m.ReserveAccount(c.id, amount, amount))
    return tuple(out), tuple(reserves)


def _guarantee_by_provider(deal: s.Deal) -> dict[str, str]:
    """Asset-guarantee support id by provider party id."""
    return {
        c.provider: c.id
        for c in deal.credit_support
        if c.provider and c.kind in ("bank_guarantee", "guarantor") and c.covers == "asset_dues"
    }


def pool(package: DealPackage) -> m.Pool:
    """The pool as engine tapes, grouped by guarantee, accrual start, due dates and day count."""
    assets, schedules = package.assets, package.schedules
    if assets.empty:
        raise _invalid("assets", "the asset tape is empty", package.deal.tapes.assets)
    by_provider = _guarantee_by_provider(package.deal)
    rows = {str(a): g for a, g in schedules.groupby("asset_id", sort=False)} if not schedules.empty else {}
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for asset in assets.to_dict("records"):
        sched = rows.get(str(asset["asset_id"]))
        dates = (
            tuple(sorted(sched["due_date"]))
            if sched is not None and len(sched)
            else (asset["maturity_date"],)
        )
        guarantor = asset.get("guarantor_id") or None
        guarantee = by_provider.get(guarantor) if guarantor else None
        if guarantor and guarantee is None:
            raise _invalid(
                f"credit_support (guarantor {guarantor})",
                f"asset {asset['asset_id']} names guarantor {guarantor!r} but no credit_support entry of that "
                "provider covers asset_dues",
            )
        key = (guarantee, asset["origination_date"], dates, asset["day_count"], asset["asset_type"])
        groups.setdefault(key, []).append({**asset, "_schedule": sched})
    tapes = [_tape(key, members) for key, members in groups.items()]
    return m.Pool(tapes=tuple(tapes))


def _tape(key: tuple[Any, ...], members: list[dict[str, Any]]) -> m.AssetTape:
    """One engine tape from assets sharing a calendar and a guarantee."""
    guarantee, start, dates, day_count, asset_type = key
    matrix = np.zeros((len(members), len(dates)))
    amortisation: m.AssetAmortisation = "schedule"
    for i, asset in enumerate(members):
        sched = asset["_schedule"]
        if sched is None or not len(sched):
            matrix[i, -1] = float(asset["principal"])
            continue
        index = {d: k for k, d in enumerate(dates)}
        for due, amount in zip(sched["due_date"], sched["principal_due"], strict=True):
            matrix[i, index[due]] += float(amount)
    return m.AssetTape(
        asset_id=np.asarray([str(a["asset_id"]) for a in members]),
        obligor=np.asarray([str(a["obligor_id"]) for a in members]),
        balance=np.asarray([float(a["principal"]) for a in members]),
        rate=np.asarray([float(a["rate"]) for a in members]),
        dates=tuple(dates),
        accrual_start=start,
        kind=cast(Any, ASSET_KINDS.get(str(asset_type), "loan")),
        amortisation=amortisation,
        day_count=day_count,
        schedule=matrix,
        guarantee=guarantee,
        data_pledged=np.asarray([bool(a.get("data_asset_id")) for a in members]),
    )


def engine_deal(package: DealPackage) -> m.Deal:
    """The engine deal of a package: deal.yaml's structure on the package's pool."""
    deal = package.deal
    engine_supports, reserves = supports(deal)
    return m.Deal(
        id=deal.deal_id,
        cut_off_date=deal.dates.cut_off,
        closing_date=deal.dates.closing,
        payment_dates=payment_dates(deal),
        tranches=tranches(deal),
        waterfall=steps(deal, "normal", deal.waterfall.normal),
        acceleration_waterfall=steps(deal, "accelerated", deal.waterfall.accelerated),
        fees=fees(deal),
        taxes=m.Taxes(Decimal(deal.taxes.vat_rate), Decimal(deal.taxes.surtax_rate), vat_inclusive=True),
        reserves=reserves,
        supports=engine_supports,
        triggers=triggers(deal),
        pool=pool(package),
        initial_pool_balance=sum(package.assets["principal"], Decimal(0)),  # exact: the tape's Decimals
    )


def guarantee_cover(package: DealPackage) -> pd.DataFrame:
    """Per asset guarantee: the loans it covers, their principal plus contractual interest, and the amount.

    Contractual interest is accrued on the scheduled balance from origination to each due date (ACT/365 unless the
    asset says otherwise), which is what a 融资性保函 "capped at principal plus contractual interest" must cover.
    """
    deal = package.deal
    by_provider = _guarantee_by_provider(deal)
    amounts = {c.id: c.amount for c in deal.credit_support}
    schedules = package.schedules
    rows = []
    for asset in package.assets.to_dict("records"):
        support = by_provider.get(asset.get("guarantor_id") or "")
        if support is None:
            continue
        principal = Decimal(asset["principal"])
        interest = _contractual_interest(asset, schedules[schedules["asset_id"] == asset["asset_id"]])
        rows.append(
            {
                "support_id": support,
                "asset_id": str(asset["asset_id"]),
                "principal": principal,
                "dues": principal + interest,
                "amount": amounts.get(support),
            }
        )
    return pd.DataFrame(rows, columns=["support_id", "asset_id", "principal", "dues", "amount"])


def _contractual_interest(asset: dict[str, Any], schedule: pd.DataFrame) -> Decimal:
    """Interest to maturity on the scheduled balance (simple, by the asset's day count)."""
    from dataabs.calendar import basis_days, day_count_days

    basis = asset["day_count"]
    balance, start, total = Decimal(asset["principal"]), asset["origination_date"], Decimal(0)
    rate = Decimal(asset["rate"])
    dues = sorted(zip(schedule["due_date"], schedule["principal_due"], strict=True)) or [
        (asset["maturity_date"], balance)
    ]
    for due, amount in dues:
        total += balance * rate * day_count_days(start, due, basis) / basis_days(basis)
        balance -= Decimal(amount)
        start = due
    return total.quantize(Decimal("0.01"))
