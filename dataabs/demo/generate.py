"""Write the demo deal package: deal.yaml, the four tapes, data samples and specs, evidence and the registry seed.

The same arguments give the same bytes, so the committed package ``config/deals/demo/`` is regenerated and
compared in the tests and can never drift from this generator.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from dataabs.demo import deal as facts
from dataabs.demo.deal import BORROWERS, DATA_ASSETS, DataAssetFact
from dataabs.demo.samples import dump_yaml, write_csv, write_sample, write_spec
from dataabs.demo.sampling import Inline
from dataabs.demo.scenarios import SCENARIOS

DEFAULT_ROWS = 2000
DEFAULT_SEED = 20250630
RIGHTS = ["holding", "processing", "operation"]
RIGHT_NAMES = "数据资源持有权、数据加工使用权、数据产品经营权"
PLEDGE_REGISTERED = date(2025, 6, 18)


def write_demo_package(dest: Path, *, sample_rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> Path:
    """Write the complete demo deal package into ``dest``; byte-for-byte deterministic for the same arguments."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "deal.yaml").write_text(deal_yaml(), encoding="utf-8")
    for name, frame in tapes().items():
        write_csv(frame, dest / f"{name}.csv")
    for asset in DATA_ASSETS:
        (dest / evidence_path(asset)).parent.mkdir(parents=True, exist_ok=True)
        (dest / evidence_path(asset)).write_text(evidence_text(asset), encoding="utf-8")
        write_sample(asset.kind, sample_rows, seed, dest / sample_path(asset))
        write_spec(asset.kind, dest / spec_path(asset))
    registry = dest / "registry" / "registry.json"
    registry.parent.mkdir(parents=True, exist_ok=True)
    registry.write_text(
        json.dumps(registry_seed(dest), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (dest / "README.md").write_text(readme(sample_rows, seed), encoding="utf-8")
    return dest


def evidence_path(asset: DataAssetFact) -> str:
    """Package path of a data asset's registration evidence."""
    return f"evidence/{asset.data_asset_id}.txt"


def sample_path(asset: DataAssetFact) -> str:
    """Package path of a data asset's sample."""
    return f"samples/{asset.data_asset_id}.csv"


def spec_path(asset: DataAssetFact) -> str:
    """Package path of a data asset's data spec."""
    return f"specs/{asset.data_asset_id}.yaml"


def _money(amount: Decimal) -> str:
    """Yuan with two decimals, as the tapes carry them."""
    return f"{amount:.2f}"


def _frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """A text frame of tape rows (None becomes an empty cell)."""
    return pd.DataFrame(list(rows), dtype=object)


def tapes() -> dict[str, pd.DataFrame]:
    """The four tapes: obligors, assets, schedules, data_assets."""
    obligors = _frame(
        {
            "obligor_id": b.obligor_id,
            "name": b.name,
            "uscc": b.uscc,
            "province": b.province,
            "city": b.city,
            "industry": b.industry,
            "dishonest": "false",
            "rating": None,
            "private": "false",
        }
        for b in BORROWERS
    )
    assets = _frame(
        {
            "asset_id": b.asset_id,
            "obligor_id": b.obligor_id,
            "asset_type": "loan",
            "principal": _money(b.principal),
            "currency": "CNY",
            "rate": str(facts.LOAN_RATE),
            "rate_type": "fixed",
            "day_count": facts.LOAN_DAY_COUNT,
            "origination_date": facts.ORIGINATION.isoformat(),
            "maturity_date": facts.LOAN_MATURITY.isoformat(),
            "status": "performing",
            "max_days_past_due": "0",
            "restructured": "false",
            "fully_drawn": "true",
            "data_asset_id": b.data_asset_id,
            "guarantor_id": b.guarantor.id,
        }
        for b in BORROWERS
    )
    schedules = _frame(
        {"asset_id": b.asset_id, "due_date": day.isoformat(), "principal_due": _money(amount)}
        for b in BORROWERS
        for day, amount in facts.schedule(b.principal)
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
            "certificate_no": facts.certificate_no(a),
            "evidence_file": evidence_path(a),
            "registry": a.registry,
            "book_value": _money(a.book_value),
        }
        for a in DATA_ASSETS
    )
    return {"obligors": obligors, "assets": assets, "schedules": schedules, "data_assets": data_assets}


def deal_document() -> dict[str, Any]:
    """The deal.yaml mapping (section order as an analyst reads it)."""
    senior, subordinate = Decimal("127000000"), Decimal("6700000")
    fee_steps = [
        Inline(id=f"fee-{f}", kind="fee", target=f) for f in ("management", "custody", "rating", "servicing")
    ]
    head = [
        Inline(id="taxes", kind="tax"),
        *fee_steps,
        Inline(id="interest-A", kind="interest", target="A"),
        Inline(id="principal-A", kind="principal", target="A"),
    ]
    return {
        "deal_id": facts.DEAL_ID,
        "name": facts.DEAL_NAME,
        "model": "data_pledged_loan",
        "currency": "CNY",
        "shelf_size": int(facts.SHELF_SIZE),
        "phase": 1,
        "day_count": "ACT/365F",
        "dates": {
            "cut_off": facts.CUT_OFF,
            "closing": facts.CLOSING,
            "first_payment": facts.FIRST_PAYMENT,
            "expected_maturity": facts.EXPECTED_MATURITY,
            "legal_maturity": facts.LEGAL_MATURITY,
        },
        "payment_calendar": {
            "months": [1, 4, 7, 10],
            "day": 26,
            "business_day": "unadjusted",
            "collection_offset_days": -10,
            "calculation_offset_days": -5,
        },
        "parties": [
            Inline(
                {"id": p.id, "role": p.role, "name": p.name, "uscc": p.uscc}
                | ({"rating": p.rating} if p.rating else {})
            )
            for p in facts.parties()
        ],
        "tranches": [
            {
                "id": "A",
                "name": "优先级资产支持证券",
                "kind": "senior",
                "seniority": 1,
                "size": int(senior),
                "coupon": 0.02,
                "rate_type": "fixed",
                "day_count": "ACT/365F",
                "amortisation": "sequential",
                "rating": "AAAsf",
                "expected_maturity": facts.EXPECTED_MATURITY,
                "legal_maturity": facts.LEGAL_MATURITY,
            },
            {
                "id": "B",
                "name": "次级资产支持证券（原始权益人持有）",
                "kind": "subordinate",
                "seniority": 2,
                "size": int(subordinate),
                "coupon": None,
                "rate_type": "fixed",
                "day_count": "ACT/365F",
                "amortisation": "sequential",
                "expected_maturity": facts.EXPECTED_MATURITY,
                "legal_maturity": facts.LEGAL_MATURITY,
            },
        ],
        "fees": [
            Inline(
                id="management",
                payee="manager",
                kind="rate",
                rate=0.001,
                base="senior_balance",
                day_count="ACT/365F",
            ),
            Inline(
                id="custody",
                payee="custodian",
                kind="rate",
                rate=0.0001,
                base="senior_balance",
                day_count="ACT/365F",
            ),
            Inline(id="rating", payee="rating", kind="fixed", amount=100000, months=[7]),
            Inline(
                id="servicing",
                payee="servicer",
                kind="rate",
                rate=0.0005,
                base="pool_balance",
                day_count="ACT/365F",
            ),
        ],
        "taxes": {"vat_rate": 0.03, "surtax_rate": 0.12},
        "waterfall": {
            "normal": [
                *head,
                Inline(id="return-B", kind="subordinate_return", target="B"),
                Inline(id="residual-B", kind="residual", target="B"),
            ],
            "accelerated": [
                *head,
                Inline(id="principal-B", kind="principal", target="B"),
                Inline(id="residual-B", kind="residual", target="B"),
            ],
        },
        "triggers": [
            Inline(
                id="eod-senior-interest",
                kind="event_of_default",
                metric="senior_interest_shortfall",
                operator=">",
                threshold=0,
            ),
            Inline(
                id="acceleration-cdr",
                kind="acceleration",
                metric="cumulative_default_rate",
                operator=">",
                threshold=0.1,
            ),
            Inline(
                id="data-collateral-ltv",
                kind="data_collateral",
                metric="ltv",
                operator=">",
                threshold=0.7,
                cure_periods=1,
            ),
            Inline(id="clean-up", kind="clean_up", metric="pool_factor", operator="<=", threshold=0.1),
        ],
        "credit_support": [
            Inline(
                id=f"lg-{b.asset_id}",
                kind="bank_guarantee",
                provider=b.guarantor.id,
                covers="asset_dues",
                amount=int(facts.guarantee_amount(b.principal)),
                claim_delay_days=30,
            )
            for b in BORROWERS
        ],
        "policy": {},
        "counterparties": {"registry": Inline(url=None), "bank": Inline(url=None), "curve": Inline(url=None)},
        "tapes": {
            "obligors": "obligors.csv",
            "assets": "assets.csv",
            "schedules": "schedules.csv",
            "data_assets": "data_assets.csv",
        },
        "sandbox": {"registry": "registry/registry.json"},
    }


SECTION_NOTES = {
    "deal_id": "Demo deal (示范交易), synthetic names; numbers as 华鑫-鑫欣-数据资产1-5期 phase 1. Generated by dataabs.demo.",
    "dates": "Key dates: 封包日 cut-off, 设立日 closing, first payment, expected and legal maturity.",
    "payment_calendar": "Payment dates: the 26th of Jan/Apr/Jul/Oct.",
    "parties": "Parties (当事人). One legal entity in several roles appears once per role.",
    "tranches": "Securities: senior A (优先级) and subordinate B (次级), sequential.",
    "fees": "Senior expenses: management and custody on the senior balance, servicing on the pool, rating in July.",
    "taxes": "资管产品增值税 3% simplified, surtaxes 12% of the VAT.",
    "waterfall": "Priority of payments before and after acceleration (no reserve account in this deal).",
    "triggers": "Triggers tested every period.",
    "credit_support": "One bank 融资性保函 per loan, capped at principal plus contractual interest.",
    "policy": "Overrides of config/policy.yaml (none).",
    "counterparties": "No URL: the shipped sandbox on loopback.",
}


def deal_yaml() -> str:
    """deal.yaml text: each section preceded by a one-line note."""
    parts = []
    for key, value in deal_document().items():
        note = SECTION_NOTES.get(key)
        parts.append((f"\n# {note}\n" if note else "") + dump_yaml({key: value}))
    return "".join(parts).lstrip("\n")


def evidence_text(asset: DataAssetFact) -> str:
    """The registration-evidence file (登记存证摘要) of a data asset."""
    holder, body = facts.borrower(asset.holder), facts.registry(asset.registry)
    lines = [
        "数据知识产权登记证书（电子证照）存证摘要",
        f"证书编号：{facts.certificate_no(asset)}",
        f"登记机构：{body.name}",
        f"数据持有人：{holder.name}",
        f"统一社会信用代码：{holder.uscc}",
        f"数据名称：{asset.name}",
        f"数据类型：{asset.data_type}",
        f"登记权利：{RIGHT_NAMES}",
        "数据分类分级：一般数据",
        f"发证日期：{asset.issued.isoformat()}",
        f"有效期至：{facts.certificate_valid_to(asset).isoformat()}",
        f"公示异议期届满：{facts.objection_period_end(asset).isoformat()}",
        "说明：示范交易合成数据，仅用于系统演示与测试。",
    ]
    return "\n".join(lines) + "\n"


def registry_seed(package: Path) -> dict[str, Any]:
    """The sandbox registry seed: one active certificate and one first-ranking pledge per data asset."""
    certificates, pledges = [], []
    for serial, asset in enumerate(DATA_ASSETS, start=1):
        holder, body, number = (
            facts.borrower(asset.holder),
            facts.registry(asset.registry),
            facts.certificate_no(asset),
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
                "valid_to": facts.certificate_valid_to(asset).isoformat(),
                "status": "active",
                "objection_period_end": facts.objection_period_end(asset).isoformat(),
                "dispute": False,
                "evidence_sha256": evidence,
                "classification": "general",
            }
        )
        registered = PLEDGE_REGISTERED + timedelta(days=serial % 3)
        pledges.append(
            {
                "registration_no": f"ZD{registered:%Y%m%d}{serial:05d}",
                "certificate_no": number,
                "pledgor_uscc": holder.uscc,
                "pledgee": facts.TRUST_COMPANY,
                "rank": 1,
                "registered": registered.isoformat(),
                "description": f"以数据知识产权登记证书{number}项下数据质押",
                "status": "active",
            }
        )
    return {"certificates": certificates, "pledges": pledges}


def pool_facts() -> dict[str, Any]:
    """The pool's headline facts (as the prospectus states them) computed from the loan table."""
    total = sum((b.principal for b in BORROWERS), Decimal(0))
    shares = [b.principal / total for b in BORROWERS]
    pledged = sum((b.principal for b in BORROWERS if b.data_asset_id), Decimal(0))
    return {
        "asset_count": len(BORROWERS),
        "principal_total": total,
        "data_pledged": pledged,
        "data_pledged_share": pledged / total,
        "max_obligor_share": max(shares),
        "hhi": sum(s * s for s in shares),
        "cities": len({(b.province, b.city) for b in BORROWERS}),
        "provinces": len({b.province for b in BORROWERS}),
    }


def readme(sample_rows: int, seed: int) -> str:
    """README of the package: what is in it, the pool's facts and every planted defect with its rate."""
    pool = pool_facts()
    lines = [
        "# Demo deal package `demo` (示范交易)",
        "",
        "Synthetic data-pledged-loan deal (数据资产质押贷款 + ABS) modelled on 华鑫-鑫欣-数据资产1-5期 phase 1: names are",
        "invented, the numbers match the public facts (domain.md §3). **Generated — do not edit by hand.** Regenerate with",
        "",
        "```",
        f"python -m dataabs.demo config/deals/demo --rows {sample_rows} --seed {seed}",
        "```",
        "",
        "`tests/demo/` regenerates the package into a temporary folder and compares it byte for byte with this one.",
        "",
        "## Files",
        "",
        "| file | what |",
        "|---|---|",
        "| `deal.yaml` | the deal: dates, parties (each with a valid USCC), tranches, fees, taxes, waterfall, triggers, one bank guarantee per loan |",
        "| `obligors.csv`, `assets.csv`, `schedules.csv`, `data_assets.csv` | the tapes (contracts in `dataabs/package/tapes.py`) |",
        "| `samples/<data_asset_id>.csv` | one data sample per pledged data asset (UTF-8), defects planted as below |",
        "| `samples/parking_lots.csv` | lookup referenced by the parking sample (cross-table consistency) |",
        "| `specs/<data_asset_id>.yaml` | the data spec of each sample (standard, columns, rules, references, timeliness, quasi-identifiers) |",
        "| `evidence/<data_asset_id>.txt` | registration evidence; its SHA-256 is in the registry seed |",
        "| `registry/registry.json` | sandbox registry seed: one active certificate and one first-ranking pledge per data asset |",
        "",
        "## Pool",
        "",
        f"- {pool['asset_count']} trust loans, principal ¥{pool['principal_total']:,.2f}, 3.80% fixed ACT/365, originated "
        "2025-06-20, interest on the 20th of Mar/Jun/Sep/Dec, principal 20% / 30% / 50% on 2026-06-20 / 2026-12-20 / 2027-06-20.",
        f"- Data-pledged ¥{pool['data_pledged']:,.2f} = {pool['data_pledged_share']:.1%} of the pool (loan L04 has no pledge).",
        f"- Largest obligor {pool['max_obligor_share']:.1%}; HHI {pool['hhi']:.4f} (effective obligors {1 / pool['hhi']:.1f}); "
        f"{pool['cities']} cities in {pool['provinces']} provinces.",
        "- Every loan is covered by a 融资性保函 of one bank's local branch (`guarantor_id` → a guarantor party).",
        "- Certificates: 17 digits = year + month + registry body code (3201 江苏, 3301 浙江, 3601 江西, 6101 陕西) + serial;",
        "  issued January–April 2025, valid 3 years (past loan maturity + 180 days = 2027-12-17).",
        "",
        "## Data samples and planted defects",
        "",
        f"Each sample has {sample_rows} rows (seed {seed}) covering the four weeks that end one or two days before the cut-off",
        "2025-06-30 (freshness is judged as of the cut-off). Rates are shares of rows; the row counts are exact. With these",
        "defects every sample still passes the governance gate (Q ≥ 80 and every dimension ≥ 0.70).",
        "",
        "| data asset | scenario | standard | defect | column | rate | rows |",
        "|---|---|---|---|---|---|---|",
    ]
    for asset in DATA_ASSETS:
        scenario = SCENARIOS[asset.kind]
        for defect in scenario.defects:
            value = "" if defect.value is None or defect.kind == "pii_decoy" else f" (`{defect.value}`)"
            lines.append(
                f"| {asset.data_asset_id} | {scenario.title} | {scenario.standard} | {defect.kind}: {defect.note}{value} "
                f"| `{defect.column}` | {defect.rate:.2%} | {defect.count(sample_rows)} |"
            )
    lines += [
        "",
        "Notes:",
        "",
        "- No personal information: masked references (`vehicle_ref`, `guest_ref`) use letters only, so no identifier",
        "  looks like an ID, mobile or card number.",
        "- `DA-HOTEL.remark` carries a few **decoys**: 18-character ID-number-like strings whose GB 11643 check digit is",
        "  wrong, and which contain no mobile-number run and no Luhn-valid 16–19 digit run. A correct PII scanner flags",
        "  none of them.",
        "- Quasi-identifiers are declared for the samples about people — hotel guests (`age_band`, `guest_region`) and",
        "  metered customers (`district`, `customer_type`); every equivalence class has at least 5 records (k ≥ 5).",
        "- Out-of-order rows: adjacent rows swapped so the timeliness column has exactly one inversion per swap.",
        "- Duplicate keys: a row repeats the previous row's `record_id` (the row's other values differ).",
        "",
    ]
    return "\n".join(lines)
