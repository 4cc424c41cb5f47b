"""A demo deal package as data (``PackageSpec``) and the one writer every demo package goes through.

A package spec lists the deal's facts — parties, tranches, fees, triggers, credit support, obligors, assets with
their schedules, data assets with their valuation inputs — and ``write_package`` renders all of it: deal.yaml,
the four tapes, data samples and specs, registration evidence, the registry seed, valuation.yaml, the offering
documents and the README. The same spec, rows and seed give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from dataabs.demo.appraisal import ValuationFact, asset_entry, valuation_yaml
from dataabs.demo.documents import document_entries, write_documents
from dataabs.demo.samples import dump_yaml, write_csv, write_sample, write_spec
from dataabs.demo.sampling import Inline
from dataabs.demo.scenarios import SCENARIOS
from dataabs.package.schema import DealModel
from dataabs.rights.uscc import make_uscc
from dataabs.valuation import DealValuationSpec, value_deal

RIGHTS = ("holding", "processing", "operation")
RIGHT_NAMES = "数据资源持有权、数据加工使用权、数据产品经营权"
CERTIFICATE_YEARS = 3
OBJECTION_DAYS = 30
VALUATION_FILE = "valuation.yaml"
REGISTRY_FILE = "registry/registry.json"
CENT = Decimal("0.01")
DEMO_Q = Decimal("99.9")


@dataclass(frozen=True)
class PartyFact:
    """A party of the deal: id, role, name and the first 17 characters of its USCC."""

    id: str
    role: str
    name: str
    uscc17: str
    rating: str | None = None

    @property
    def uscc(self) -> str:
        """The party's valid 统一社会信用代码."""
        return make_uscc(self.uscc17)


@dataclass(frozen=True)
class Registry:
    """A data registry body (数据知识产权登记机构 / 数据登记平台) and its 4-digit code in certificate numbers."""

    id: str
    name: str
    body_code: str
    uscc17: str


@dataclass(frozen=True)
class ObligorFact:
    """An obligor (债务人/承租人/借款人) of the obligor tape."""

    obligor_id: str
    name: str
    uscc17: str
    province: str
    city: str
    industry: str
    rating: str | None = None
    dishonest: bool = False

    @property
    def uscc(self) -> str:
        """The obligor's valid 统一社会信用代码."""
        return make_uscc(self.uscc17)


@dataclass(frozen=True)
class Due:
    """One schedule row: due date, scheduled principal and (if the tape states it) contractual interest."""

    day: date
    principal: Decimal
    interest: Decimal | None = None


@dataclass(frozen=True)
class AssetFact:
    """A base asset (基础资产) of the asset tape with its schedule rows."""

    asset_id: str
    obligor_id: str
    asset_type: str
    principal: Decimal
    rate: Decimal
    origination: date
    maturity: date
    schedule: tuple[Due, ...]
    data_asset_id: str | None = None
    guarantor_id: str | None = None
    day_count: str = "ACT/365"
    status: str = "performing"
    max_days_past_due: int = 0
    restructured: bool = False
    fully_drawn: bool = True


@dataclass(frozen=True)
class DataAssetFact:
    """A data asset (数据资产): what it is, which sample scenario shows it, where and whether it is registered."""

    data_asset_id: str
    kind: str
    name: str
    data_type: str
    holder: str
    registry: str
    issued: date
    serial: int
    source_type: str
    book_value: Decimal
    authorisation_ref: str | None = None
    authorisation_expiry: date | None = None


@dataclass(frozen=True)
class PackageSpec:
    """Everything a demo package states; ``write_package`` renders it."""

    deal_id: str
    name: str
    model: DealModel
    dates: dict[str, date]
    payment_months: tuple[int, ...]
    payment_day: int
    parties: tuple[PartyFact, ...]
    tranches: tuple[dict[str, Any], ...]
    fees: tuple[Inline, ...]
    triggers: tuple[Inline, ...]
    credit_support: tuple[Inline, ...]
    obligors: tuple[ObligorFact, ...]
    assets: tuple[AssetFact, ...]
    data_assets: tuple[DataAssetFact, ...]
    registries: tuple[Registry, ...]
    valuations: tuple[ValuationFact, ...]
    collection_account: str
    pledgee: str | None
    pledge_registered: date
    appraisal_prefix: str
    readme_intro: tuple[str, ...]
    readme_facts: tuple[str, ...]
    notes: dict[str, str]
    shelf_size: Decimal | None = None
    phase: int | None = None
    policy: dict[str, Any] = field(default_factory=dict)
    default_rows: int = 1000
    default_seed: int = 20250630

    def obligor(self, obligor_id: str) -> ObligorFact:
        """An obligor by id."""
        return next(o for o in self.obligors if o.obligor_id == obligor_id)

    def registry(self, registry_id: str) -> Registry:
        """A registry body by id."""
        return next(r for r in self.registries if r.id == registry_id)

    def data_asset(self, data_asset_id: str) -> DataAssetFact:
        """A data asset by id."""
        return next(a for a in self.data_assets if a.data_asset_id == data_asset_id)

    def senior(self) -> dict[str, Any]:
        """The (first) senior tranche."""
        return next(t for t in self.tranches if t["kind"] == "senior")


# --- derived facts ------------------------------------------------------------------------------------------


def certificate_no(spec: PackageSpec, asset: DataAssetFact) -> str:
    """17-digit data-IP certificate number: year(4) + month(2) + registry body code(4) + serial(7)."""
    return f"{asset.issued:%Y%m}{spec.registry(asset.registry).body_code}{asset.serial:07d}"


def certificate_valid_to(asset: DataAssetFact) -> date:
    """Last day of a certificate's 3-year validity."""
    return asset.issued.replace(year=asset.issued.year + CERTIFICATE_YEARS) - timedelta(days=1)


def objection_period_end(asset: DataAssetFact) -> date:
    """End of the public objection period (公示异议期) after issue."""
    return asset.issued + timedelta(days=OBJECTION_DAYS)


def evidence_path(asset: DataAssetFact) -> str:
    """Package path of a data asset's registration evidence."""
    return f"evidence/{asset.data_asset_id}.txt"


def sample_path(asset: DataAssetFact) -> str:
    """Package path of a data asset's sample."""
    return f"samples/{asset.data_asset_id}.csv"


def spec_path(asset: DataAssetFact) -> str:
    """Package path of a data asset's data spec."""
    return f"specs/{asset.data_asset_id}.yaml"


def money(amount: Decimal) -> str:
    """Yuan with two decimals, as the tapes carry them."""
    return f"{amount:.2f}"


def pledged_principal(spec: PackageSpec) -> dict[str, Decimal]:
    """Principal of the assets secured by each data asset."""
    out: dict[str, Decimal] = {}
    for a in spec.assets:
        if a.data_asset_id:
            out[a.data_asset_id] = out.get(a.data_asset_id, Decimal(0)) + a.principal
    return out


def pool_facts(spec: PackageSpec) -> dict[str, Any]:
    """The pool's headline facts (as a prospectus states them) computed from the asset table."""
    total = sum((a.principal for a in spec.assets), Decimal(0))
    by_obligor: dict[str, Decimal] = {}
    for a in spec.assets:
        by_obligor[a.obligor_id] = by_obligor.get(a.obligor_id, Decimal(0)) + a.principal
    shares = [p / total for p in by_obligor.values()]
    pledged = sum(pledged_principal(spec).values(), Decimal(0))
    used = {spec.obligor(o) for o in by_obligor}
    return {
        "asset_count": len(spec.assets),
        "obligor_count": len(by_obligor),
        "principal_total": total,
        "data_pledged": pledged,
        "data_pledged_share": pledged / total,
        "max_obligor_share": max(shares),
        "hhi": sum(s * s for s in shares),
        "cities": len({(o.province, o.city) for o in used}),
        "provinces": len({o.province for o in used}),
    }


# --- tapes --------------------------------------------------------------------------------------------------


def _frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """A text frame of tape rows (None becomes an empty cell)."""
    return pd.DataFrame(list(rows), dtype=object)


def _flag(value: bool) -> str:
    """A tape boolean."""
    return "true" if value else "false"


def tapes(spec: PackageSpec) -> dict[str, pd.DataFrame]:
    """The four tapes: obligors, assets, schedules, data_assets."""
    obligors = _frame(
        {
            "obligor_id": o.obligor_id,
            "name": o.name,
            "uscc": o.uscc,
            "province": o.province,
            "city": o.city,
            "industry": o.industry,
            "dishonest": _flag(o.dishonest),
            "rating": o.rating,
            "private": "false",
        }
        for o in spec.obligors
    )
    assets = _frame(
        {
            "asset_id": a.asset_id,
            "obligor_id": a.obligor_id,
            "asset_type": a.asset_type,
            "principal": money(a.principal),
            "currency": "CNY",
            "rate": str(a.rate),
            "rate_type": "fixed",
            "day_count": a.day_count,
            "origination_date": a.origination.isoformat(),
            "maturity_date": a.maturity.isoformat(),
            "status": a.status,
            "max_days_past_due": str(a.max_days_past_due),
            "restructured": _flag(a.restructured),
            "fully_drawn": _flag(a.fully_drawn),
            "data_asset_id": a.data_asset_id,
            "guarantor_id": a.guarantor_id,
        }
        for a in spec.assets
    )
    with_interest = any(d.interest is not None for a in spec.assets for d in a.schedule)
    schedules = _frame(
        {"asset_id": a.asset_id, "due_date": d.day.isoformat(), "principal_due": money(d.principal)}
        | ({"interest_due": None if d.interest is None else money(d.interest)} if with_interest else {})
        for a in spec.assets
        for d in a.schedule
    )
    data_assets = _frame(
        {
            "data_asset_id": a.data_asset_id,
            "name": a.name,
            "holder_obligor_id": a.holder,
            "data_type": a.data_type,
            "classification": "general",
            "source_type": a.source_type,
            "authorisation_ref": a.authorisation_ref,
            "authorisation_expiry": a.authorisation_expiry.isoformat() if a.authorisation_expiry else None,
            "waiver_ref": None,
            "risk_assessment_date": None,
            "sample_file": sample_path(a),
            "spec_file": spec_path(a),
            "certificate_no": certificate_no(spec, a),
            "evidence_file": evidence_path(a),
            "registry": a.registry,
            "book_value": money(a.book_value),
        }
        for a in spec.data_assets
    )
    return {"obligors": obligors, "assets": assets, "schedules": schedules, "data_assets": data_assets}


# --- deal.yaml ----------------------------------------------------------------------------------------------


def waterfall(spec: PackageSpec) -> dict[str, list[Inline]]:
    """Priority of payments: taxes → fees → (guarantee claim) → senior interest → senior principal → subordinate."""
    seniors = [t["id"] for t in spec.tranches if t["kind"] != "subordinate"]
    subordinate = next(t["id"] for t in spec.tranches if t["kind"] == "subordinate")
    claims = [
        Inline(id=f"claim-{c['id']}", kind="guarantee_claim", target=c["id"])
        for c in spec.credit_support
        if c["kind"] in ("shortfall_undertaking", "liquidity_support")
        or (c["kind"] in ("guarantor", "bank_guarantee") and c.get("covers", "asset_dues") != "asset_dues")
    ]
    head = [
        Inline(id="taxes", kind="tax"),
        *(Inline(id=f"fee-{f['id']}", kind="fee", target=f["id"]) for f in spec.fees),
        *claims,
        *(Inline(id=f"interest-{t}", kind="interest", target=t) for t in seniors),
        *(Inline(id=f"principal-{t}", kind="principal", target=t) for t in seniors),
    ]
    return {
        "normal": [
            *head,
            # Sequential: the subordinate's principal only after every senior is repaid, before its return.
            Inline(id=f"principal-{subordinate}", kind="principal", target=subordinate),
            Inline(id=f"return-{subordinate}", kind="subordinate_return", target=subordinate),
            Inline(id=f"residual-{subordinate}", kind="residual", target=subordinate),
        ],
        "accelerated": [
            *head,
            Inline(id=f"principal-{subordinate}", kind="principal", target=subordinate),
            Inline(id=f"residual-{subordinate}", kind="residual", target=subordinate),
        ],
    }


def deal_document(spec: PackageSpec) -> dict[str, Any]:
    """The deal.yaml mapping (section order as an analyst reads it)."""
    head: dict[str, Any] = {
        "deal_id": spec.deal_id,
        "name": spec.name,
        "model": spec.model,
        "currency": "CNY",
    }
    if spec.shelf_size is not None:
        head |= {"shelf_size": int(spec.shelf_size), "phase": spec.phase}
    return head | {
        "day_count": "ACT/365F",
        "dates": dict(spec.dates),
        "payment_calendar": {
            "months": list(spec.payment_months),
            "day": spec.payment_day,
            "business_day": "unadjusted",
            "collection_offset_days": -10,
            "calculation_offset_days": -5,
        },
        "parties": [
            Inline(
                {"id": p.id, "role": p.role, "name": p.name, "uscc": p.uscc}
                | ({"rating": p.rating} if p.rating else {})
            )
            for p in spec.parties
        ],
        "tranches": [dict(t) for t in spec.tranches],
        "fees": list(spec.fees),
        "taxes": {"vat_rate": 0.03, "surtax_rate": 0.12},
        "waterfall": waterfall(spec),
        "triggers": list(spec.triggers),
        "credit_support": list(spec.credit_support),
        "policy": spec.policy,
        "counterparties": {"registry": Inline(url=None), "bank": Inline(url=None), "curve": Inline(url=None)},
        "tapes": {
            "obligors": "obligors.csv",
            "assets": "assets.csv",
            "schedules": "schedules.csv",
            "data_assets": "data_assets.csv",
        },
        "sandbox": {"registry": REGISTRY_FILE},
        **({"valuation": VALUATION_FILE} if spec.valuations else {}),
        "documents": [Inline(d) for d in document_entries(spec.model)],
        "collection_account": spec.collection_account,
    }


SECTION_NOTES = {
    "dates": "Key dates: 封包日 cut-off, 设立日 closing, first payment, expected and legal maturity.",
    "parties": "Parties (当事人). One legal entity in several roles appears once per role.",
    "taxes": "资管产品增值税 3% simplified, surtaxes 12% of the VAT.",
    "waterfall": "Priority of payments before and after acceleration.",
    "triggers": "Triggers tested every period.",
    "counterparties": "No URL: the shipped sandbox on loopback.",
    "valuation": "Valuation inputs of the data assets (docs/valuation.md).",
    "documents": "Offering documents by checklist id (dataabs/issuance/documents.py): synthetic placeholders.",
    "collection_account": "The plan's collection account (专项计划归集账户) at the custodian.",
}


def deal_yaml(spec: PackageSpec) -> str:
    """deal.yaml text: each section preceded by a one-line note."""
    notes = SECTION_NOTES | spec.notes
    parts = []
    for key, value in deal_document(spec).items():
        note = notes.get(key)
        parts.append((f"\n# {note}\n" if note else "") + dump_yaml({key: value}))
    return "".join(parts).lstrip("\n")


# --- registry, evidence, valuation --------------------------------------------------------------------------


def evidence_text(spec: PackageSpec, asset: DataAssetFact) -> str:
    """The registration-evidence file (登记存证摘要) of a data asset."""
    holder, body = spec.obligor(asset.holder), spec.registry(asset.registry)
    lines = [
        "数据知识产权登记证书（电子证照）存证摘要",
        f"证书编号：{certificate_no(spec, asset)}",
        f"登记机构：{body.name}",
        f"数据持有人：{holder.name}",
        f"统一社会信用代码：{holder.uscc}",
        f"数据名称：{asset.name}",
        f"数据类型：{asset.data_type}",
        f"登记权利：{RIGHT_NAMES}",
        "数据分类分级：一般数据",
        f"发证日期：{asset.issued.isoformat()}",
        f"有效期至：{certificate_valid_to(asset).isoformat()}",
        f"公示异议期届满：{objection_period_end(asset).isoformat()}",
        "说明：示范交易合成数据，仅用于系统演示与测试。",
    ]
    return "\n".join(lines) + "\n"


def registry_seed(spec: PackageSpec, package: Path) -> dict[str, Any]:
    """The sandbox registry seed: an active certificate per data asset, a first-ranking pledge per pledged one."""
    certificates, pledges = [], []
    pledged = pledged_principal(spec)
    for serial, asset in enumerate(spec.data_assets, start=1):
        holder, body, number = (
            spec.obligor(asset.holder),
            spec.registry(asset.registry),
            certificate_no(spec, asset),
        )
        evidence = hashlib.sha256((package / evidence_path(asset)).read_bytes()).hexdigest()
        certificates.append(
            {
                "certificate_no": number,
                "registry": body.id,
                "registry_name": body.name,
                "holder_name": holder.name,
                "holder_uscc": holder.uscc,
                "data_asset_name": asset.name,
                "rights": list(RIGHTS),
                "issued": asset.issued.isoformat(),
                "valid_from": asset.issued.isoformat(),
                "valid_to": certificate_valid_to(asset).isoformat(),
                "status": "active",
                "objection_period_end": objection_period_end(asset).isoformat(),
                "dispute": False,
                "evidence_sha256": evidence,
                "classification": "general",
            }
        )
        if spec.pledgee is None or asset.data_asset_id not in pledged:
            continue
        registered = spec.pledge_registered + timedelta(days=serial % 3)
        pledges.append(
            {
                "registration_no": f"ZD{registered:%Y%m%d}{serial:05d}",
                "certificate_no": number,
                "pledgor_uscc": holder.uscc,
                "pledgee": spec.pledgee,
                "rank": 1,
                "registered": registered.isoformat(),
                "description": f"以数据知识产权登记证书{number}项下数据质押",
                "status": "active",
            }
        )
    return {"certificates": certificates, "pledges": pledges}


def valuation_text(spec: PackageSpec) -> str:
    """valuation.yaml of the package: each valued data asset bounded by its certificate and data contract."""

    def entry(fact: ValuationFact) -> dict[str, Any]:
        asset = spec.data_asset(fact.data_asset_id)
        return asset_entry(
            fact,
            spec.dates["cut_off"],
            asset.book_value,
            f"{spec.appraisal_prefix}〔2025〕第{asset.serial:04d}号",
            certificate_valid_to(asset),
            asset.authorisation_expiry,
        )

    return valuation_yaml(spec.valuations, spec.dates["cut_off"], entry, spec.name)


# --- the writer ---------------------------------------------------------------------------------------------


def write_package(
    dest: Path, spec: PackageSpec, *, sample_rows: int | None = None, seed: int | None = None
) -> Path:
    """Write the complete package into ``dest``; byte-for-byte deterministic for the same arguments."""
    rows = spec.default_rows if sample_rows is None else sample_rows
    seed = spec.default_seed if seed is None else seed
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "deal.yaml").write_text(deal_yaml(spec), encoding="utf-8")
    for name, frame in tapes(spec).items():
        write_csv(frame, dest / f"{name}.csv")
    for asset in spec.data_assets:
        (dest / evidence_path(asset)).parent.mkdir(parents=True, exist_ok=True)
        (dest / evidence_path(asset)).write_text(evidence_text(spec, asset), encoding="utf-8")
        write_sample(asset.kind, rows, seed, dest / sample_path(asset))
        write_spec(asset.kind, dest / spec_path(asset))
    registry = dest / REGISTRY_FILE
    registry.parent.mkdir(parents=True, exist_ok=True)
    registry.write_text(
        json.dumps(registry_seed(spec, dest), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    if spec.valuations:
        (dest / VALUATION_FILE).write_text(valuation_text(spec), encoding="utf-8")
    write_documents(dest, spec.model, spec.name, spec.deal_id)
    (dest / "README.md").write_text(readme(spec, rows, seed), encoding="utf-8")
    return dest


# --- README -------------------------------------------------------------------------------------------------


def readme(spec: PackageSpec, rows: int, seed: int) -> str:
    """README of the package: its facts, its files, the valuation and every planted defect with its rate."""
    pool = pool_facts(spec)
    lines = [
        f"# Demo deal package `{spec.deal_id}` — {spec.name}",
        "",
        *spec.readme_intro,
        "",
        "**Generated — do not edit by hand.** Regenerate with",
        "",
        "```",
        f"python -m dataabs.demo config/deals/{spec.deal_id} --package {spec.deal_id} --rows {rows} --seed {seed}",
        "```",
        "",
        "`tests/demo/` regenerates the package into a temporary folder and compares it byte for byte with this one.",
        "",
        "## Facts",
        "",
        *spec.readme_facts,
        f"- Pool: {pool['asset_count']} assets of {pool['obligor_count']} obligors, principal ¥{pool['principal_total']:,.2f}; "
        f"data-pledged ¥{pool['data_pledged']:,.2f} = {pool['data_pledged_share']:.1%}; largest obligor "
        f"{pool['max_obligor_share']:.1%}; HHI {pool['hhi']:.4f} (effective obligors {1 / pool['hhi']:.1f}); "
        f"{pool['cities']} cities in {pool['provinces']} provinces.",
        "- Tranches: "
        + "; ".join(
            f"{t['id']} {t['kind']} ¥{t['size']:,}"
            + (f" {t['coupon']:.2%}" if t.get("coupon") else "")
            + (f" {t['rating']}" if t.get("rating") else "")
            for t in spec.tranches
        )
        + ".",
        f"- Collection account (归集账户): `{spec.collection_account}`.",
        "",
        "## Files",
        "",
        "| file | what |",
        "|---|---|",
        "| `deal.yaml` | the deal: dates, parties (each with a valid USCC), tranches, fees, taxes, waterfall, triggers, credit support, policy overrides |",
        "| `obligors.csv`, `assets.csv`, `schedules.csv`, `data_assets.csv` | the tapes (contracts in `dataabs/package/tapes.py`) |",
        "| `samples/<data_asset_id>.csv`, `specs/<data_asset_id>.yaml` | one data sample per data asset (UTF-8) and its data spec; defects below |",
        "| `evidence/<data_asset_id>.txt` | registration evidence; its SHA-256 is in the registry seed |",
        "| `registry/registry.json` | sandbox registry seed: an active certificate per data asset"
        + (", a first-ranking pledge per pledged one |" if spec.pledgee else "; no pledges |"),
        *(
            [
                "| `valuation.yaml` | valuation inputs (income, cost, market where comparables exist), base date = cut-off |"
            ]
            if spec.valuations
            else []
        ),
        "| `documents/<id>.md` | placeholder offering documents, one per document the checklist requires for the model |",
        "",
        *valuation_section(spec),
        *defects_section(spec, rows, seed),
    ]
    return "\n".join(lines) + "\n"


def appraised_values(spec: PackageSpec, quality: Decimal = DEMO_Q) -> dict[str, Decimal]:
    """Final values of the package's valuation inputs under the valuation engine at quality score ``quality``."""
    inputs = DealValuationSpec.model_validate(yaml.safe_load(valuation_text(spec)))
    results = value_deal(inputs, {a.data_asset_id: quality for a in inputs.assets})
    return {r.data_asset_id: r.final.value for r in results}


def valuation_section(spec: PackageSpec) -> list[str]:
    """README lines on the valuation: methods, reconciliation and the final values (engine, Q = 99.9) with LTV."""
    if not spec.valuations:
        return []
    pledged, values = pledged_principal(spec), appraised_values(spec)
    market = [f.data_asset_id for f in spec.valuations if f.comparables]
    lines = [
        "## Valuation (valuation.yaml)",
        "",
        f"Base date {spec.dates['cut_off'].isoformat()}. Income approach on every asset (revenue share, or direct for",
        "data-licensing income), period bounded by the certificate's validity and the data contract; cost approach",
        "(δ = Q/100 × remaining/total life) on every asset"
        + (
            f"; market approach on {', '.join(market)} (3 exchange comparables each, traded within 24 months, every factor in [0.7, 1.3])"
            if market
            else ""
        )
        + ". Reconciliation: income_primary where income and cost are used; weighted income 0.6 / market 0.3 /",
        "cost 0.1 where market is used too. With the samples' Q ≈ 99.9 the valuation engine gives (LTV = secured",
        "principal / final value):",
        "",
        "| data asset | secured principal ¥m | final value ¥m | LTV |",
        "|---|---|---|---|",
    ]
    for fact in spec.valuations:
        value = values[fact.data_asset_id]
        principal = pledged.get(fact.data_asset_id)
        ltv = f"{principal / value:.1%}" if principal else "— (not pledged)"
        secured = f"{principal / 1000000:.2f}" if principal else "—"
        lines.append(f"| {fact.data_asset_id} | {secured} | {value / 1000000:.2f} | {ltv} |")
    return [*lines, ""]


def defects_section(spec: PackageSpec, rows: int, seed: int) -> list[str]:
    """README lines: the samples and their planted defects with exact counts."""
    lines = [
        "## Data samples and planted defects",
        "",
        f"Each sample has {rows} rows (seed {seed}) covering the four weeks that end one or two days before the cut-off",
        "(freshness is judged as of the cut-off). Rates are shares of rows; the row counts are exact. With these",
        "defects every sample still passes the governance gate (Q ≥ 80 and every dimension ≥ 0.70).",
        "",
        "| data asset | scenario | defect | column | rate | rows |",
        "|---|---|---|---|---|---|",
    ]
    for asset in spec.data_assets:
        scenario = SCENARIOS[asset.kind]
        for defect in scenario.defects:
            value = "" if defect.value is None or defect.kind == "pii_decoy" else f" (`{defect.value}`)"
            lines.append(
                f"| {asset.data_asset_id} | {scenario.title} | {defect.kind}: {defect.note}{value} "
                f"| `{defect.column}` | {defect.rate:.2%} | {defect.count(rows)} |"
            )
    return [*lines, ""]
