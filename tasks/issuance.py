"""Issuance stage (发行): tranche terms on the frozen pool, coupons entered or proposed off the curve, documents.

The stage builds the engine deal from the package (``dataabs.engine.from_deal``) on the frozen pool (never the live
tape), sizes the tranches as the enhancement stage committed them (``enhancement/structure.json``), fixes each
coupon — entered in ``deal.yaml`` after book-building, or proposed as the reference curve at the WAL plus
``spread_bp`` — and prices every tranche. It writes the projected schedule, the tranche terms, the document
checklist, the term sheet and the prospectus tables, and records the issued tranches in the ledger so servicing
starts from them. Its gate blocks while a required document is missing, while sizes do not reconcile to the
frozen pool and the structure, or while the base case leaves a rated tranche unpaid at its legal maturity.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from prefect import task
from prefect.cache_policies import NO_CACHE

from dataabs.connectors.curve import CurveClient
from dataabs.engine import Deal as EngineDeal
from dataabs.engine.enhancement import period_metrics, standard_stresses, stress_grid
from dataabs.engine.from_deal import engine_deal
from dataabs.errors import DataabsError
from dataabs.issuance.documents import check_documents, documents_frame
from dataabs.issuance.pricing import Curve
from dataabs.issuance.terms import (
    CouponInput,
    Issuance,
    Proposed,
    price_issuance,
    schedule_frame,
    tranches_frame,
)
from dataabs.issuance.termsheet import DealFacts, write_term_sheet
from dataabs.ledger.models import IssuanceRecord, IssuedTranche
from dataabs.money import round_fen, to_money
from dataabs.package import DealPackage
from tasks.context import StageContext
from tasks.pool import frozen_pool, read_summary
from tasks.stage import LedgerRows, Stage, check_table, write_csv, write_json_atomic

STRUCTURE = "structure.json"
TERMS = "terms.json"


# --- inputs ---------------------------------------------------------------------------------------------------


def read_structure(ctx: StageContext) -> dict[str, Any]:
    """The committed ``enhancement/structure.json``."""
    path = ctx.stage_dir("enhancement") / STRUCTURE
    if not path.is_file():
        raise DataabsError(f"{path} is missing: issuance sizes the tranches as enhancement committed them")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def structure_sizes(structure: dict[str, Any]) -> dict[str, Decimal]:
    """Tranche id → size of the committed structure (``tranches`` as a list of objects or a mapping by id)."""
    tranches = structure.get("tranches", [])
    items = (
        [{"id": k, **(v if isinstance(v, dict) else {"size": v})} for k, v in tranches.items()]
        if isinstance(tranches, dict)
        else list(tranches)
    )
    sizes = {}
    for item in items:
        tranche_id = item.get("id", item.get("tranche_id"))
        size = item.get("size", item.get("sized_size"))
        if tranche_id is not None and size is not None:
            sizes[str(tranche_id)] = round_fen(to_money(size))
    if not sizes:
        raise DataabsError("enhancement/structure.json lists no tranche sizes (tranches[].id and size)")
    return sizes


def structure_pool_principal(structure: dict[str, Any]) -> Decimal | None:
    """The pool principal the structure was sized on, when it states one."""
    for key in ("pool_principal", "pool_balance", "pool_size"):
        if structure.get(key) is not None:
            return to_money(structure[key])
    pool = structure.get("pool")
    if isinstance(pool, dict):
        for key in ("principal", "principal_total", "balance"):
            if pool.get(key) is not None:
                return to_money(pool[key])
    return None


def frozen_package(ctx: StageContext) -> DealPackage:
    """The deal package with its asset and schedule tapes cut down to the frozen pool (hash verified)."""
    package = ctx.package
    assets = frozen_pool(ctx)
    ids = set(assets["asset_id"])
    schedules = package.schedules[package.schedules["asset_id"].isin(ids)].reset_index(drop=True)
    return replace(package, tapes={**package.tapes, "assets": assets, "schedules": schedules})


def issue_deal(ctx: StageContext, sizes: dict[str, Decimal]) -> EngineDeal:
    """The engine deal on the frozen pool with the structure's tranche sizes."""
    deal = engine_deal(frozen_package(ctx))
    unknown = sorted(set(sizes) - {t.id for t in deal.tranches})
    if unknown:
        raise DataabsError(
            f"enhancement/structure.json sizes tranche(s) {unknown} that deal.yaml does not define"
        )
    tranches = tuple(replace(t, size=sizes.get(t.id, t.size)) for t in deal.tranches)
    return replace(deal, tranches=tranches)


def coupon_inputs(ctx: StageContext) -> dict[str, CouponInput]:
    """Entered coupons (``tranches[].coupon``) and, without one, proposals at the curve plus ``spread_bp``."""
    coupons: dict[str, CouponInput] = {}
    for t in ctx.package.deal.tranches:
        if t.kind == "subordinate":
            continue
        if t.coupon is not None:
            coupons[t.id] = Decimal(t.coupon)
        elif t.spread_bp is not None:
            coupons[t.id] = Proposed(float(t.spread_bp))
    return coupons


def pricing_date(ctx: StageContext) -> date:
    """The date of the reference curve: the pricing date (定价日), else the closing date."""
    dates = ctx.package.deal.dates
    return dates.pricing or dates.closing


def fetch_curve(ctx: StageContext, needed: bool) -> dict[str, Any] | None:
    """The reference curve's answer for the pricing date, over httpx; None when no curve URL is configured."""
    url = ctx.counterparties.get("curve") or ctx.package.deal.counterparties.curve.url
    if not url:
        if needed:
            raise DataabsError(
                f"deal {ctx.deal_id}: a coupon is to be proposed (tranches[].spread_bp) but no reference-curve "
                "URL is configured (counterparties.curve.url, or run with the sandbox)"
            )
        return None
    with CurveClient(url) as client:
        return client.answer(pricing_date(ctx)).model_dump(mode="json", by_alias=True)


def curve_of(answer: dict[str, Any] | None) -> Curve | None:
    """The analytics curve of a stored answer."""
    if answer is None:
        return None
    return Curve(
        tenors_years=tuple(float(p["tenor_years"]) for p in answer["points"]),
        yields=tuple(float(p["yield"]) for p in answer["points"]),
        as_of=date.fromisoformat(answer["date"]),
        name=str(answer["curve"]).upper(),
    )


def legal_maturities(ctx: StageContext) -> dict[str, date]:
    """Each tranche's legal maturity: its own, else the deal's."""
    deal = ctx.package.deal
    return {t.id: t.legal_maturity or deal.dates.legal_maturity for t in deal.tranches}


def ratings(ctx: StageContext) -> dict[str, str]:
    """Each rated tranche's rating from deal.yaml."""
    return {t.id: t.rating for t in ctx.package.deal.tranches if t.rating}


def price(ctx: StageContext, curve: Curve | None) -> Issuance:
    """Fix the coupons on the frozen pool and the committed structure, and price every tranche."""
    deal = issue_deal(ctx, structure_sizes(read_structure(ctx)))
    return price_issuance(
        deal,
        coupon_inputs(ctx),
        curve=curve,
        settlement=ctx.package.deal.dates.closing,
        ratings=ratings(ctx),
        legal_maturity=legal_maturities(ctx),
    )


def trimmed_schedule(issuance: Issuance) -> pd.DataFrame:
    """The projected schedule without the empty rows after a tranche is repaid (opening 0, nothing paid)."""
    frame = schedule_frame(issuance)
    empty = (frame["opening_balance"] == 0) & (frame["interest"] == 0) & (frame["principal"] == 0)
    return frame[~empty].reset_index(drop=True)


# --- tasks ----------------------------------------------------------------------------------------------------


@task(name="fetch-reference-curve", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 5])
def fetch_reference_curve(ctx: StageContext, staging: Path) -> bool:
    """Fetch the reference curve of the pricing date and keep the answer as ``curve.json`` (evidence)."""
    needed = any(isinstance(c, Proposed) for c in coupon_inputs(ctx).values())
    answer = fetch_curve(ctx, needed)
    if answer is not None:
        write_json_atomic(staging / "curve.json", answer)
    return answer is not None


@task(name="price-tranches", cache_policy=NO_CACHE)
def price_tranches(ctx: StageContext, staging: Path) -> int:
    """Tranche terms, the schedule, coverage over time and the issuance facts, into the staging folder."""
    answer = _json(staging / "curve.json")
    issuance = price(ctx, curve_of(answer))
    kinds = {t.tranche_id: (t.kind, t.coupon_source) for t in issuance.terms}
    terms = tranches_frame(issuance)
    terms["kind"] = terms["tranche_id"].map(lambda t: kinds[t][0])
    terms["coupon_source"] = terms["tranche_id"].map(lambda t: kinds[t][1])
    write_csv(terms, staging / "tranches.csv")
    write_csv(trimmed_schedule(issuance), staging / "schedule.csv")
    coverage = period_metrics(issuance.deal, issuance.result)
    coverage = coverage[issuance.result.periods["status"].to_numpy() != "clean_up"].reset_index(drop=True)
    write_csv(coverage.replace([math.inf, -math.inf], None), staging / "coverage.csv")
    write_json_atomic(
        staging / TERMS,
        {
            "closing_date": issuance.settlement.isoformat(),
            "pricing_date": pricing_date(ctx).isoformat(),
            "pool_snapshot_sha256": read_summary(ctx.stage_dir("pool"))["snapshot_sha256"],
            "pool_principal": str(issuance.deal.pool_balance()),
            "curve": None if answer is None else {"name": answer["curve"], "date": answer["date"]},
        },
    )
    write_prospectus_tables(ctx, issuance, coverage, staging / "prospectus_tables.xlsx")
    return len(issuance.terms)


@task(name="check-documents", cache_policy=NO_CACHE)
def check_offering_documents(ctx: StageContext, staging: Path) -> int:
    """The document checklist against the package's declared documents; returns the missing required ones."""
    deal = ctx.package.deal
    rows = check_documents(ctx.package.root, [d.model_dump() for d in deal.documents], deal.model)
    write_csv(documents_frame(rows), staging / "documents.csv")
    return sum(1 for r in rows if r.required and r.status == "missing")


@task(name="write-term-sheet", cache_policy=NO_CACHE)
def term_sheet(ctx: StageContext, staging: Path) -> None:
    """The term sheet (发行条款书) as HTML and XLSX."""
    write_term_sheet(read_tranches(staging), deal_facts(ctx, _json(staging / "curve.json")), staging)


def produce(ctx: StageContext, staging: Path) -> None:
    """Curve, pricing, documents, then the term sheet."""
    fetch_reference_curve(ctx, staging)
    price_tranches(ctx, staging)
    check_offering_documents(ctx, staging)
    term_sheet(ctx, staging)


def _json(path: Path) -> dict[str, Any] | None:
    """A JSON file of the staging folder, or None when it was not written."""
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


def deal_facts(ctx: StageContext, curve: dict[str, Any] | None) -> DealFacts:
    """The term sheet's deal facts from deal.yaml."""
    deal = ctx.package.deal
    roles: dict[str, str] = {}
    for p in deal.parties:
        roles.setdefault(p.role, p.name)
    months = deal.payment_calendar.months
    return DealFacts(
        deal_id=deal.deal_id,
        name=deal.name,
        model=deal.model,
        manager=roles.get("manager"),
        originator=roles.get("originator"),
        custodian=roles.get("custodian"),
        credit_support=", ".join(sorted({c.kind for c in deal.credit_support})) or None,
        rating_agency=roles.get("rating_agency"),
        shelf_size=deal.shelf_size,
        phase=deal.phase,
        cut_off=deal.dates.cut_off,
        pricing=deal.dates.pricing,
        closing=deal.dates.closing,
        first_payment=deal.dates.first_payment,
        payment_frequency=f"{len(months)}×/year (months {', '.join(str(m) for m in months)})",
        day_count=deal.day_count,
        reference_curve=None if curve is None else f"{str(curve['curve']).upper()} {curve['date']}",
    )


def stress_table(ctx: StageContext, issuance: Issuance) -> pd.DataFrame:
    """The committed stress results of enhancement, else the standard stresses run on the issued deal."""
    path = ctx.stage_dir("enhancement") / "stress.csv"
    if path.is_file():
        return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    grid = stress_grid(issuance.deal, standard_stresses(issuance.deal))
    return grid.map(lambda v: float(v) if isinstance(v, Decimal) else v)


def write_prospectus_tables(
    ctx: StageContext, issuance: Issuance, coverage: pd.DataFrame, path: Path
) -> Path:
    """Prospectus tables (计划说明书附表): the cash-flow forecast and the stress results, one workbook."""
    result = issuance.result
    keep = result.periods["status"].to_numpy() != "clean_up"
    pool = result.pool[keep].reset_index(drop=True)
    tables = {
        "现金流预测 Pool cash flow": pool,
        "分档兑付 Tranche schedule": trimmed_schedule(issuance),
        "覆盖倍数 Coverage": coverage,
        "分配明细 Distribution": result.distribution[
            result.distribution["payment_date"].isin(set(pool["payment_date"]))
        ],
        "压力测试 Stress": stress_table(ctx, issuance),
    }
    book = Workbook()
    for sheet in list(book.worksheets):
        book.remove(sheet)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for name, frame in tables.items():
        sheet = book.create_sheet(name[:31])
        sheet.append([str(c) for c in frame.columns])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
    book.save(path)
    return path


def _cell(value: Any) -> Any:
    """A workbook cell: Decimal as float, dates as dates, NaN/inf as blank."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


# --- reading the issuance folder ------------------------------------------------------------------------------


def read_tranches(folder: Path) -> pd.DataFrame:
    """``tranches.csv`` as written."""
    return pd.read_csv(
        folder / "tranches.csv",
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values=[""],
        dtype={"tranche_id": str, "size": str, "rating": str},
    )


def read_schedule(folder: Path) -> pd.DataFrame:
    """``schedule.csv`` with exact Decimal amounts."""
    frame = pd.read_csv(folder / "schedule.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for column in ("opening_balance", "interest", "principal", "closing_balance"):
        frame[column] = frame[column].map(Decimal)
    return frame


def read_documents(folder: Path) -> pd.DataFrame:
    """``documents.csv`` with ``required`` as booleans and a ``blocking`` text for each missing required one."""
    frame = pd.read_csv(folder / "documents.csv", encoding="utf-8-sig", keep_default_na=False)
    frame["required"] = frame["required"].astype(str).map({"True": True, "False": False})
    frame["blocking"] = [
        f"{r.id} ({r.name_zh} {r.name_en}) is required and missing"
        + (f": {r.file} not found or empty" if r.file else ": not declared in deal.yaml documents")
        if r.required and r.status == "missing"
        else None
        for r in frame.itertuples()
    ]
    return frame


# --- gate, ledger, summary ------------------------------------------------------------------------------------


def reconciliation(ctx: StageContext, folder: Path) -> pd.DataFrame:
    """Tranche sizes against the frozen pool and the committed structure: ``check, expected, actual, passed, failure``."""
    tranches = read_tranches(folder)
    terms = _json(folder / TERMS) or {}
    structure = read_structure(ctx)
    sizes = structure_sizes(structure)
    pool = read_summary(ctx.stage_dir("pool"))
    pool_principal = to_money(pool["principal_total"])
    issued = {str(t): to_money(s) for t, s in zip(tranches["tranche_id"], tranches["size"], strict=True)}
    total = sum(issued.values(), Decimal(0))
    checks: list[tuple[str, Any, Any]] = [
        (f"tranche {t} size = structure", sizes.get(t), size) for t, size in issued.items()
    ]
    checks += [
        ("structure tranches all issued", sorted(sizes), sorted(issued)),
        (
            "issuance rests on the frozen pool (snapshot SHA-256)",
            pool["snapshot_sha256"],
            terms.get("pool_snapshot_sha256"),
        ),
        (
            "engine pool principal = frozen pool principal",
            pool_principal,
            to_money(terms.get("pool_principal", "0")),
        ),
        ("Σ tranche sizes ≤ frozen pool principal", True, total <= pool_principal),
    ]
    stated = structure_pool_principal(structure)
    if stated is not None:
        checks.append(("structure pool principal = frozen pool principal", pool_principal, stated))
    return check_table(checks)


def payoff(folder: Path) -> pd.DataFrame:
    """Per tranche, the base case at its legal maturity: balance left and principal paid; rated ones must be 0."""
    schedule = read_schedule(folder)
    rows = []
    for r in read_tranches(folder).to_dict("records"):
        tranche_id, size = str(r["tranche_id"]), to_money(r["size"])
        rated = isinstance(r["rating"], str) and bool(r["rating"])
        legal = _date(r["legal_maturity"])
        own = schedule[schedule["tranche_id"] == tranche_id]
        due = own[[legal is None or date.fromisoformat(d) <= legal for d in own["payment_date"]]]
        left = due["closing_balance"].iloc[-1] if len(due) else size
        paid = sum(due["principal"], Decimal(0))
        name = f"tranche {tranche_id} ({r['rating']})" if rated else f"tranche {tranche_id}"
        rows.append(
            {
                "tranche_id": tranche_id,
                "rating": r["rating"] if rated else None,
                "rated": rated,
                "legal_maturity": r["legal_maturity"],
                "balance_at_legal_maturity": str(left),
                "principal_paid": str(paid),
                "passed": left == 0,
                "failure": None
                if left == 0
                else f"{name} keeps a balance of {left} at its legal maturity {r['legal_maturity']} in the base "
                f"case (principal paid {paid} of {size})",
            }
        )
    return pd.DataFrame(rows)


def gate_tables(ctx: StageContext, staging: Path) -> dict[str, pd.DataFrame]:
    """The tranche terms, the schedule, the document checklist and the reconciliation."""
    return {
        "tranches": read_tranches(staging).astype({"size": float}),
        "schedule": pd.read_csv(staging / "schedule.csv", encoding="utf-8-sig"),
        "documents": read_documents(staging),
        "reconciliation": reconciliation(ctx, staging),
        "payoff": payoff(staging),
    }


def gate_params(ctx: StageContext) -> dict[str, Any]:
    """The issuance suite has no policy placeholders."""
    return {}


def _decimal(value: Any) -> Decimal | None:
    """A CSV number as Decimal (blank/NaN → None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    return Decimal(str(value))


def _rounded(value: Any, places: int) -> Decimal | None:
    """A float figure of a CSV as a Decimal rounded to ``places`` (blank/NaN → None)."""
    number = _decimal(value)
    return None if number is None else round(number, places)


def _date(value: Any) -> date | None:
    """An ISO date of a CSV (blank → None)."""
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def ledger_rows(ctx: StageContext, staging: Path, run_id: str) -> LedgerRows:
    """Issued tranches replace the deal's previous ones; the issuance record (terms, schedule) is appended."""
    tranches = read_tranches(staging)
    terms = _json(staging / TERMS) or {}
    closing = ctx.package.deal.dates.closing
    issued = [
        IssuedTranche(
            deal_id=ctx.deal_id,
            tranche_id=str(r["tranche_id"]),
            kind=str(r["kind"]),
            size=to_money(r["size"]),
            coupon=_decimal(r["coupon"]),
            coupon_source=str(r["coupon_source"]),
            rating=r["rating"] if isinstance(r["rating"], str) and r["rating"] else None,
            closing_date=closing,
            expected_maturity=date.fromisoformat(str(r["expected_maturity"])),
            legal_maturity=_date(r["legal_maturity"]),
            wal_years=_rounded(r["wal_years"], 8),
            yield_rate=_rounded(r["yield"], 8),
            spread_bp=_rounded(r["spread_bp"], 4),
            stage_run_id=run_id,
        )
        for r in tranches.to_dict("records")
    ]
    schedule = pd.read_csv(staging / "schedule.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    record = IssuanceRecord(
        deal_id=ctx.deal_id,
        stage_run_id=run_id,
        closing_date=closing,
        pool_snapshot_sha256=str(terms.get("pool_snapshot_sha256", "")),
        curve=_json(staging / "curve.json") or {},
        terms=json.loads(tranches.to_json(orient="records")),
        schedule=schedule.to_dict("records"),
    )
    return LedgerRows(replace={IssuedTranche: list(issued)}, append=[record])


def summary(ctx: StageContext, folder: Path) -> str:
    """Markdown: the tranche terms and the document checklist status."""
    tranches = read_tranches(folder)
    documents = read_documents(folder)
    lines = [
        f"# Issuance (发行) — deal {ctx.deal_id}",
        "",
        "| tranche | size | coupon | rating | WAL (y) | yield | spread (bp) | expected | legal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in tranches.to_dict("records"):
        coupon = "—" if pd.isna(r["coupon"]) else f"{r['coupon']:.2%} ({r['coupon_source']})"
        yld = "—" if pd.isna(r["yield"]) else f"{r['yield']:.4%}"
        spread = "—" if pd.isna(r["spread_bp"]) else f"{r['spread_bp']:.1f}"
        lines.append(
            f"| {r['tranche_id']} | ¥{float(r['size']):,.2f} | {coupon} | {r['rating'] if isinstance(r['rating'], str) else '—'} "
            f"| {r['wal_years']:.4f} | {yld} | {spread} | {r['expected_maturity']} | {r['legal_maturity']} |"
        )
    present = int((documents["status"] == "present").sum())
    lines += [
        "",
        f"Documents: {present} of {len(documents)} on file; required missing: "
        f"{', '.join(documents.loc[documents['blocking'].notna(), 'id']) or 'none'}.",
        "",
        f"Reports: `{folder / 'schedule.csv'}`, `{folder / 'term_sheet.html'}`, `{folder / 'prospectus_tables.xlsx'}`",
    ]
    return "\n".join(lines)


def explain(ctx: StageContext, staging: Path) -> list[str]:
    """What blocks issuance, in words: missing documents, reconciliation differences."""
    tables = gate_tables(ctx, staging)
    payoff_rows = tables["payoff"]
    return (
        [f"document {b}" for b in tables["documents"]["blocking"].dropna()]
        + [f"reconciliation: {f}" for f in tables["reconciliation"]["failure"].dropna()]
        + [f"payoff: {f}" for f in payoff_rows.loc[payoff_rows["rated"], "failure"].dropna()]
    )


STAGE = Stage(
    name="issuance",
    produce=produce,
    gate_tables=gate_tables,
    gate_params=gate_params,
    ledger_rows=ledger_rows,
    summary=summary,
    explain=explain,
)
