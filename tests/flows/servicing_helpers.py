"""Helpers of the servicing tests: deal copies with their own bank account, issuance records, bank scenarios."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import yaml

from dataabs.connectors.bank import transactions_frame
from dataabs.ledger import store
from dataabs.ledger.db import get_engine, migrate, session_scope
from dataabs.ledger.models import IssuedTranche
from dataabs.package import load_package
from dataabs.sandbox.bank import CONTROL_PATH, BankScenario, BankSeed, build_bank_seed
from dataabs.servicing.dues import scheduled_dues
from dataabs.servicing.periods import collection_periods
from dataabs.servicing.reconcile import reconcile
from dataabs.settings import REPO_ROOT

DEMO_DIR = REPO_ROOT / "config" / "deals" / "demo"


def deal_copy(target_root: Path, deal_id: str, edit: Any = None) -> Path:
    """The demo package under a new deal id and its own collection account (the sandbox bank keys by account)."""
    target = target_root / deal_id
    shutil.copytree(DEMO_DIR, target)
    deal = yaml.safe_load((target / "deal.yaml").read_text(encoding="utf-8"))
    deal["deal_id"] = deal_id
    deal["collection_account"] = f"PLAN-{deal_id}"
    if edit is not None:
        edit(deal)
    (target / "deal.yaml").write_text(
        yaml.safe_dump(deal, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return target


def issue(package_dir: Path) -> None:
    """Onboard the package and record its tranches as issued from deal.yaml.

    The issuance stage is not registered in the lifecycle yet; when it is, the tests run it instead.
    """
    package = load_package(package_dir)
    migrate(get_engine())
    with session_scope(get_engine()) as session:
        store.onboard_deal(session, package)
        for t in package.deal.tranches:
            session.add(
                IssuedTranche(
                    deal_id=package.deal_id, tranche_id=t.id, kind=t.kind, size=Decimal(t.size),
                    coupon=Decimal(t.coupon) if t.coupon is not None else None, coupon_source="deal.yaml",
                    rating=t.rating, closing_date=package.deal.dates.closing,
                    expected_maturity=t.expected_maturity or package.deal.dates.expected_maturity,
                    legal_maturity=t.legal_maturity, wal_years=Decimal(0),
                )
            )  # fmt: skip


def seed_bank(sandbox: str, package_dir: Path, seed: BankSeed) -> None:
    """Plant a deal's bank account in the running sandbox."""
    deal_id = load_package(package_dir).deal_id
    with httpx.Client(base_url=sandbox, timeout=10) as client:
        client.post(
            CONTROL_PATH, json={"deal_id": deal_id, "bank": seed.model_dump(mode="json")}
        ).raise_for_status()


def scenario_seed(package_dir: Path, **scenario: Any) -> BankSeed:
    """The bank statement of a scenario for a package (account ``PLAN-<deal>``)."""
    package = load_package(package_dir)
    return build_bank_seed(
        package.schedules, package.assets, package.obligors, BankScenario.model_validate(scenario),
        account_no=f"PLAN-{package.deal_id}",
    )  # fmt: skip


def claims_of(package_dir: Path, **scenario: Any) -> pd.DataFrame:
    """The claims reconciliation raises over the whole life for a scenario (an oracle for guarantee payments)."""
    package = load_package(package_dir)
    seed = scenario_seed(package_dir, **scenario)
    result = reconcile(
        transactions_frame(seed.transactions), scheduled_dues(package.assets, package.schedules), package.assets,
        collection_periods(package.deal), obligors=package.obligors,
    )  # fmt: skip
    return result.claims


def guarantee_receipts(claims: pd.DataFrame, delay_days: int = 1) -> list[dict[str, Any]]:
    """The guarantor pays every claim in full ``delay_days`` after it is raised."""
    return [
        {"value_date": (c.claim_date + timedelta(days=delay_days)).isoformat(),
         "amount": f"{Decimal(int(c.amount_fen)) / 100:.2f}", "asset_id": c.asset_id, "kind": "guarantee"}
        for c in claims.itertuples(index=False)
    ]  # fmt: skip


def report(out: Path, deal_id: str, day: date, name: str) -> pd.DataFrame:
    """A servicing report table."""
    return pd.read_csv(out / deal_id / "servicing" / day.isoformat() / name, encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)  # fmt: skip


def line(frame: pd.DataFrame, step: str, payee: str) -> Decimal:
    """The paid amount of one distribution line."""
    rows = frame[(frame["step"] == step) & (frame["payee"] == payee)]
    return sum((Decimal(v) for v in rows["paid"]), Decimal(0))
