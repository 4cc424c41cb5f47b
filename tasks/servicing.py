"""Servicing-period tasks (存续期): collect, reconcile, distribute, gate, commit exactly once, report.

One run serves one deal and one payment date. Collections are facts from the bank and are stored as soon as they
are fetched (keyed by transaction id, so fetching again stores nothing twice); the distribution is produced in a
staging folder, gated by ``expectations/servicing.json`` and committed in one ledger transaction together with
its audit event, while the staged folder is swapped in as ``servicing/<payment_date>/``. The unique key
(deal_id, payment_date) of ``distribution_period`` makes a second commit impossible; a reopen deletes the
period's rows and writes the new ones in that same transaction.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from sqlalchemy import delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

import dataabs
from dataabs.connectors.bank import TRANSACTION_COLUMNS, BankClient
from dataabs.engine.from_deal import engine_deal
from dataabs.engine.model import PeriodCollections, Scenario
from dataabs.engine.run import project_collections
from dataabs.errors import CounterpartyError, DataabsError, GateFailed, LedgerError
from dataabs.gx import GateResult, load_suite, run_suite
from dataabs.ledger import store
from dataabs.ledger.audit import append_audit, lock_deal
from dataabs.ledger.db import get_engine, is_sqlite, migrate, session_scope
from dataabs.ledger.models import (
    CollateralEvent,
    Collection,
    Deal,
    DisclosureEvent,
    DistributionLine,
    DistributionPeriod,
    IssuedTranche,
    ServicingClaim,
    TrancheBalance,
    TriggerTest,
)
from dataabs.ledger.models.servicing import SERVICING_CHILDREN
from dataabs.ledger.store import table_of
from dataabs.money import from_fen
from dataabs.package import load_package
from dataabs.sandbox.server import default_account
from dataabs.servicing.disclosure import disclosure_checks
from dataabs.servicing.distribution import (
    IssuedTerms,
    PeriodDistribution,
    collections_from_json,
    collections_json,
    current_collections,
    distribute,
    fen,
    period_index,
    run_day,
    servicing_deal,
)
from dataabs.servicing.dues import scheduled_dues
from dataabs.servicing.periods import CollectionPeriod, collection_periods
from dataabs.servicing.reconcile import Reconciliation, reconcile
from dataabs.servicing.report import PeriodReport, write_reports
from dataabs.servicing.statement import read_statement
from dataabs.servicing.surveillance import overdue_events
from dataabs.settings import get_settings
from tasks.context import StageContext
from tasks.stage import artifact_key, publish_gate, swap_back, swap_in, write_csv, write_json_atomic

STAGE = "servicing"
FOLDER = "servicing"


@dataclass(frozen=True)
class ServicingContext(StageContext):
    """One servicing run: the deal (``StageContext``), the payment date and how to collect."""

    payment_date: date = field(default=date.min, kw_only=True)
    period: int = field(default=0, kw_only=True)
    statement: str | None = field(default=None, kw_only=True)
    reopen: bool = field(default=False, kw_only=True)
    reason: str | None = field(default=None, kw_only=True)
    rating_downgrade: bool = field(default=False, kw_only=True)

    @property
    def periods(self) -> list[CollectionPeriod]:
        """The deal's collection periods (nominal dates, CN business-day adjusted ``paid_on``)."""
        return collection_periods(self.package.deal)

    @property
    def period_dir(self) -> Path:
        """The committed report folder ``servicing/<payment_date>``."""
        return self.deal_out / FOLDER / self.payment_date.isoformat()

    @property
    def gate_file(self) -> Path:
        """Where the period's gate result is written."""
        return self.deal_out / "gates" / f"{STAGE}-{self.payment_date.isoformat()}.json"


# ------------------------------------------------------------------------------------------------ preparation


def package_dir(deal_id: str, deal_dir: str | None) -> Path:
    """The deal's package folder: ``deal_dir`` if given, else the ledger's ``deal.package_path``."""
    if deal_dir:
        return Path(deal_dir).resolve()
    with session_scope(get_engine()) as session:
        deal = session.get(Deal, deal_id)
        if deal is None:
            raise LedgerError(
                f"deal {deal_id!r} is not in the ledger: run its lifecycle first, or pass --deal-dir"
            )
        return Path(deal.package_path)


def scheduled_date(periods: list[CollectionPeriod], timezone: str) -> date:
    """The payment date of a scheduled run: the period paid on the run's scheduled day (else the last one due)."""
    start = flow_run.scheduled_start_time
    day = (
        start.astimezone(ZoneInfo(timezone)).date()
        if isinstance(start, datetime) and start.tzinfo
        else date.today()
    )
    for period in periods:
        if run_day(period) == day:
            return period.payment_date
    due = [p.payment_date for p in periods if run_day(p) <= day]
    if not due:
        raise LedgerError(f"no payment date is due on {day}")
    return due[-1]


@task(name="prepare-servicing", cache_policy=NO_CACHE)
def prepare_servicing(
    deal_id: str,
    payment_date: date | None,
    *,
    deal_dir: str | None,
    out_dir: str,
    counterparties: dict[str, str],
    statement: str | None = None,
    reopen: bool = False,
    reason: str | None = None,
    rating_downgrade: bool = False,
) -> ServicingContext:
    """Migrate the ledger, find the deal's package and resolve the payment period; nothing is written yet."""
    migrate(get_engine())
    root = package_dir(deal_id, deal_dir)
    package = load_package(root)
    if package.deal_id != deal_id:
        raise LedgerError(f"the package at {root} is deal {package.deal_id}, not {deal_id}")
    if reopen and not (reason or "").strip():
        raise LedgerError(f"deal {deal_id}: reopening a period needs a reason (--reason)")
    policy_tz = load_policy_tz(package.deal.policy)
    periods = collection_periods(package.deal)
    day = payment_date or scheduled_date(periods, policy_tz)
    k = period_index(periods, engine_deal(package).payment_dates, day)
    ctx = ServicingContext(
        deal_id=deal_id,
        deal_dir=root,
        out_dir=Path(out_dir).resolve(),
        as_of=periods[k].payment_date,
        flow_run_id=str(flow_run.id or "") or None,
        counterparties=counterparties,
        payment_date=periods[k].payment_date,
        period=k,
        statement=str(Path(statement).resolve()) if statement else None,
        reopen=reopen,
        reason=reason,
        rating_downgrade=rating_downgrade,
    )
    ctx.__dict__["package"] = package  # the validated package (cached_property): loading it costs seconds
    return ctx


def load_policy_tz(overrides: dict[str, Any]) -> str:
    """The schedule time zone of house policy with the deal's overrides."""
    from dataabs.policy import load_policy

    return load_policy(overrides).servicing.schedule.timezone


@task(name="stored-period", cache_policy=NO_CACHE)
def stored_period(ctx: ServicingContext) -> dict[str, Any] | None:
    """The committed distribution of this (deal, payment date), if any."""
    with session_scope(get_engine()) as session:
        row = period_row(session, ctx.deal_id, ctx.payment_date)
        return None if row is None else period_summary(session, row)


def period_row(session: Session, deal_id: str, payment_date: date) -> DistributionPeriod | None:
    """The ``distribution_period`` row of a (deal, payment date)."""
    return session.exec(
        select(DistributionPeriod).where(
            col(DistributionPeriod.deal_id) == deal_id, col(DistributionPeriod.payment_date) == payment_date
        )
    ).first()


def period_summary(session: Session, row: DistributionPeriod) -> dict[str, Any]:
    """What a servicing run returns about a committed period."""
    balances = session.exec(select(TrancheBalance).where(col(TrancheBalance.period_id) == row.id)).all()
    return {
        "deal_id": row.deal_id,
        "payment_date": row.payment_date.isoformat(),
        "period": row.period_index + 1,
        "deal_status": row.deal_status,
        "available": str(row.available),
        "paid": str(row.paid),
        "carry_forward": str(row.carry_forward),
        "balances": {b.tranche_id: str(b.closing_balance) for b in balances},
        "report_dir": row.report_dir,
        "reopened": row.reopened,
        "distributed_at": row.distributed_at.isoformat(),
    }


@task(name="check-period-order", cache_policy=NO_CACHE)
def check_order(ctx: ServicingContext) -> None:
    """Periods are distributed in order; only the latest distributed period may be reopened."""
    with session_scope(get_engine()) as session:
        done = set(
            session.exec(
                select(col(DistributionPeriod.payment_date)).where(
                    col(DistributionPeriod.deal_id) == ctx.deal_id
                )
            ).all()
        )
        if not session.exec(select(IssuedTranche).where(col(IssuedTranche.deal_id) == ctx.deal_id)).first():
            raise LedgerError(f"deal {ctx.deal_id} has no issuance record: run its issuance stage first")
    earlier = [p.payment_date for p in ctx.periods[: ctx.period] if p.payment_date not in done]
    if earlier:
        raise LedgerError(
            f"deal {ctx.deal_id}: period {ctx.payment_date} cannot be distributed before "
            f"{', '.join(d.isoformat() for d in earlier)}; catch up with "
            f"`dataabs close {ctx.deal_id} --through {ctx.payment_date}`"
        )
    later = sorted(d for d in done if d > ctx.payment_date)
    if later:
        raise LedgerError(
            f"deal {ctx.deal_id}: period {ctx.payment_date} cannot be "
            f"{'reopened' if ctx.reopen else 'distributed'} while later period(s) "
            f"{', '.join(d.isoformat() for d in later)} are distributed; reopen the latest first"
        )


@task(name="start-servicing", cache_policy=NO_CACHE)
def start_servicing(ctx: ServicingContext) -> str:
    """Clear what a crashed servicing run left (stage state, staging folders) and open this run."""
    with session_scope(get_engine()) as session:
        recovered = store.recover_interrupted(session, ctx.deal_id)
        run_id = store.start_stage_run(
            session,
            ctx.deal_id,
            STAGE,
            flow_run_id=ctx.flow_run_id,
            parameters={"payment_date": ctx.payment_date.isoformat(), "reopen": ctx.reopen},
        )
    for leftover in (ctx.deal_out / ".staging").glob(f"{STAGE}-*"):
        shutil.rmtree(leftover, ignore_errors=True)  # we hold the deal lock: these belong to dead runs
    if recovered:
        get_run_logger().warning("Deal %s: %s interrupted by a crash; marked failed", ctx.deal_id, recovered)
    return run_id


# ---------------------------------------------------------------------------------------------------- collect


@task(name="collect", cache_policy=NO_CACHE)
def collect(ctx: ServicingContext) -> dict[str, Any]:
    """Fetch the period's account transactions from the bank (or read the statement file) and store new ones."""
    period = ctx.periods[ctx.period]
    if ctx.statement:
        frame, source, ref = read_statement(ctx.statement), "statement", Path(ctx.statement).name
    else:
        url = ctx.counterparties.get("bank")
        if not url:
            raise DataabsError(
                f"deal {ctx.deal_id}: no bank URL (set counterparties.bank.url, run the sandbox, or pass --statement)"
            )
        account = default_account(ctx.package.deal)
        with BankClient(url) as client:
            items = client.transactions(account, period.start + timedelta(days=1), period.end)
        frame = pd.DataFrame([t.model_dump() for t in items], columns=list(TRANSACTION_COLUMNS), dtype=object)
        source, ref = "bank", f"{url.rstrip('/')}/bank/v1/accounts/{account}"
    new = store_transactions(ctx, frame, source, ref)
    counts = {"source": source, "fetched": len(frame), "new": new, "already_stored": len(frame) - new}
    get_run_logger().info("Deal %s %s: %s", ctx.deal_id, ctx.payment_date, counts)
    return counts


def store_transactions(ctx: ServicingContext, frame: pd.DataFrame, source: str, ref: str) -> int:
    """Insert transactions not stored yet (one row per transaction id); the same id with other content is refused."""
    if frame.empty:
        return 0
    frame = frame.drop_duplicates(subset=["transaction_id"], keep="first")
    ids = frame["transaction_id"].astype(str).tolist()
    with session_scope(get_engine()) as session:
        known = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in session.exec(
                select(Collection).where(
                    col(Collection.deal_id) == ctx.deal_id, col(Collection.transaction_id).in_(chunk)
                )
            ).all():
                known[row.transaction_id] = (row.value_date, row.amount, row.direction)
        clashes = [
            tid
            for tid, vd, amount, direction in zip(
                ids, frame["value_date"], frame["amount"], frame["direction"], strict=True
            )
            if tid in known and known[tid] != (vd, Decimal(str(amount)), direction)
        ]
        if clashes:
            raise CounterpartyError(
                f"deal {ctx.deal_id}: transaction(s) {', '.join(clashes[:5])} were stored earlier with other "
                "content; the bank must not change a booked transaction"
            )
        rows = [
            {
                "deal_id": ctx.deal_id,
                "transaction_id": str(r["transaction_id"]),
                "value_date": r["value_date"],
                "amount": Decimal(str(r["amount"])),
                "currency": r.get("currency") or "CNY",
                "counterparty_name": str(r.get("counterparty_name") or "")[:200],
                "counterparty_account": str(r.get("counterparty_account") or "")[:64],
                "reference": str(r.get("reference") or "")[:500],
                "direction": r["direction"],
                "source": source,
                "source_ref": ref[:500],
                "collected_for": ctx.payment_date,
                "flow_run_id": ctx.flow_run_id,
                "collected_at": datetime.now(),
            }
            for r in frame.to_dict("records")
            if str(r["transaction_id"]) not in known
        ]
        if not rows:
            return 0
        dialect_insert = sqlite_insert if is_sqlite(session) else pg_insert
        statement = dialect_insert(table_of(Collection)).on_conflict_do_nothing(
            index_elements=["deal_id", "transaction_id"]
        )
        result = session.connection().execute(statement, rows)
        return max(int(result.rowcount or 0), 0) if result.rowcount is not None else len(rows)


def stored_transactions(deal_id: str, through: date) -> pd.DataFrame:
    """The deal's stored transactions with value dates up to ``through``, in the bank-transaction columns."""
    with session_scope(get_engine()) as session:
        rows = session.exec(
            select(Collection)
            .where(col(Collection.deal_id) == deal_id, col(Collection.value_date) <= through)
            .order_by(col(Collection.value_date), col(Collection.transaction_id))
        ).all()
    return pd.DataFrame(
        [{c: getattr(r, c) for c in TRANSACTION_COLUMNS} for r in rows],
        columns=list(TRANSACTION_COLUMNS),
        dtype=object,
    )


# -------------------------------------------------------------------------------------------------- distribute


def issued_terms(deal_id: str) -> list[IssuedTerms]:
    """The tranches as issued (latest issuance run)."""
    with session_scope(get_engine()) as session:
        rows = session.exec(
            select(IssuedTranche).where(col(IssuedTranche.deal_id) == deal_id).order_by(col(IssuedTranche.id))
        ).all()
    latest = {r.tranche_id: r for r in rows}
    return [IssuedTerms(r.tranche_id, r.size, r.coupon) for r in latest.values()]


def frozen_collections(deal_id: str, before: date) -> tuple[list[PeriodCollections], dict[str, Decimal]]:
    """Collections of the distributed periods before ``before`` (as distributed) and the last closing balances."""
    with session_scope(get_engine()) as session:
        rows = session.exec(
            select(DistributionPeriod)
            .where(col(DistributionPeriod.deal_id) == deal_id, col(DistributionPeriod.payment_date) < before)
            .order_by(col(DistributionPeriod.payment_date))
        ).all()
        closing: dict[str, Decimal] = {}
        if rows:
            for b in session.exec(
                select(TrancheBalance).where(col(TrancheBalance.period_id) == rows[-1].id)
            ).all():
                closing[b.tranche_id] = b.closing_balance
    return [collections_from_json(r.collections) for r in rows], closing


def collateral_history(deal_id: str) -> pd.DataFrame:
    """The deal's data-collateral event history, in insertion order."""
    with session_scope(get_engine()) as session:
        rows = session.exec(
            select(CollateralEvent)
            .where(col(CollateralEvent.deal_id) == deal_id)
            .order_by(col(CollateralEvent.id))
        ).all()
    columns = [
        "observed_on",
        "kind",
        "severity",
        "data_asset_id",
        "asset_id",
        "status",
        "value",
        "detail",
        "cure_by",
    ]
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in rows], columns=columns)


def yuan(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Fen columns (``x_fen``) as yuan columns (``x``), exact Decimal."""
    out = frame.copy()
    for column in columns:
        out[column.removesuffix("_fen")] = [from_fen(int(v)) for v in out.pop(column)]
    return out


@task(name="reconcile-and-distribute", cache_policy=NO_CACHE)
def reconcile_and_distribute(ctx: ServicingContext, staging: Path) -> dict[str, Any]:
    """Reconcile every stored receipt up to the payment date, run the waterfall, write the period's report files."""
    package, policy = ctx.package, ctx.policy.servicing
    transactions = stored_transactions(ctx.deal_id, ctx.payment_date)
    dues = scheduled_dues(package.assets, package.schedules)
    recon = reconcile(
        transactions,
        dues,
        package.assets,
        ctx.periods,
        as_of=ctx.payment_date,
        obligors=package.obligors,
        rules=policy.rules(),
    )
    base = engine_deal(package)
    deal = servicing_deal(base, issued_terms(ctx.deal_id))
    frozen, previous_closing = frozen_collections(ctx.deal_id, ctx.payment_date)
    overdue = overdue_events(collateral_history(ctx.deal_id), ctx.payment_date)
    current, adjustments = current_collections(
        recon.collections,
        frozen,
        ctx.period,
        deal.payment_dates[ctx.period],
        data_collateral_event=bool(overdue),
        rating_downgrade=ctx.rating_downgrade,
    )
    outcome = distribute(deal, [*frozen, current], ctx.payment_date)
    projected = project_collections(base, Scenario())
    opening = outcome.tranches["opening_balance"].sum()
    disclosure = disclosure_checks(
        [*frozen, current],
        projected[ctx.period] if ctx.period < len(projected) else None,
        Decimal(str(opening)),
        policy.disclosure,
        rating_downgrade=ctx.rating_downgrade,
    )
    write_period_files(
        ctx,
        staging,
        recon,
        transactions,
        outcome,
        current,
        adjustments,
        disclosure,
        overdue,
        previous_closing,
        deal,
    )
    return json.loads((staging / "summary.json").read_text(encoding="utf-8"))


def write_period_files(
    ctx: ServicingContext,
    staging: Path,
    recon: Reconciliation,
    transactions: pd.DataFrame,
    outcome: PeriodDistribution,
    current: PeriodCollections,
    adjustments: dict[str, Decimal],
    disclosure: pd.DataFrame,
    overdue: list[dict[str, Any]],
    previous_closing: dict[str, Decimal],
    deal: Any,
) -> None:
    """The report folder of the period (CSV, JSON, HTML, XLSX) and the gate's check tables."""
    period = ctx.periods[ctx.period]
    receipts = recon.receipts
    money = ["amount_fen", "interest_fen", "principal_fen", "prepayment_fen", "recovery_fen",
             "guarantee_interest_fen", "guarantee_principal_fen", "suspense_fen"]  # fmt: skip
    collections = yuan(receipts[receipts["period"] == ctx.period].drop(columns=["period"]), money)
    collections["value_date"] = pd.to_datetime(collections["value_date"]).dt.date
    dues = recon.dues[recon.dues["due_date"] <= period.end]
    dues_money = ["interest_fen", "principal_fen", "paid_interest_fen", "paid_principal_fen", "prepaid_fen",
                  "waived_fen", "shortfall_fen", "balance_fen"]  # fmt: skip
    reconciliation = yuan(dues, dues_money)
    suspense = yuan(recon.suspense, ["amount_fen"])
    if len(suspense):
        suspense["value_date"] = pd.to_datetime(suspense["value_date"]).dt.date
    claims = yuan(
        recon.claims, ["interest_fen", "principal_fen", "amount_fen", "paid_fen", "outstanding_fen"]
    )
    claims["status"] = (
        [
            "paid" if o == 0 else ("overdue" if e < ctx.payment_date else "open")
            for o, e in zip(claims["outstanding"], claims["expected_payment_date"], strict=True)
        ]
        if len(claims)
        else []
    )
    distribution = outcome.distribution
    tranches = outcome.tranches.drop(columns=["payment_date"])
    triggers = outcome.triggers.drop(columns=["payment_date"])
    summary_row = outcome.summary
    funds = pd.DataFrame(
        [
            {"item": "本期回收 / collected", "amount": summary_row["collected"]},
            {"item": "上期结转 / carried in", "amount": summary_row["carry_in"]},
            {
                "item": "储备金/增信划付 / draws",
                "amount": summary_row["reserve_draw"] + summary_row["support_draw"],
            },
            {"item": "可分配资金 / available", "amount": summary_row["available"]},
            {"item": "已分配 / paid", "amount": summary_row["paid"]},
            {"item": "结转下期 / carried forward", "amount": summary_row["carry_out"]},
        ]
    )
    collateral = pd.DataFrame(
        overdue, columns=["observed_on", "kind", "data_asset_id", "asset_id", "detail", "cure_by"]
    )
    pool = (
        outcome.pool.drop(labels=["payment_date"])
        .rename("amount")
        .reset_index()
        .rename(columns={"index": "item"})
    )

    write_csv(distribution, staging / "distribution.csv")
    write_csv(triggers, staging / "triggers.csv")
    write_csv(collections, staging / "collections.csv")
    write_csv(reconciliation, staging / "reconciliation.csv")
    write_csv(suspense, staging / "suspense.csv")
    write_csv(claims, staging / "claims.csv")
    write_csv(tranches, staging / "tranches.csv")
    write_csv(disclosure, staging / "disclosure.csv")
    write_csv(funds, staging / "funds.csv")

    credits = transactions[transactions["direction"] == "credit"].drop_duplicates(subset=["transaction_id"])
    received = sum(fen(a) for a in credits["amount"])
    allocated = receipts[[c for c in money if c not in ("amount_fen", "suspense_fen")]].to_numpy().sum()
    suspended = int(receipts["suspense_fen"].sum())
    issued = {t.id: t.size for t in deal.tranches}
    checks = {
        "receipts": [{"received_fen": received, "matched_fen": int(allocated), "suspense_fen": suspended,
                      "difference_fen": received - int(allocated) - suspended}],
        "funds": [{
            "available_fen": fen(summary_row["available"]), "paid_fen": fen(summary_row["paid"]),
            "carry_fen": fen(summary_row["carry_out"]), "lines_paid_fen": sum(fen(v) for v in distribution["paid"]),
            "difference_fen": fen(summary_row["available"]) - fen(summary_row["paid"]) - fen(summary_row["carry_out"]),
            "lines_difference_fen": sum(fen(v) for v in distribution["paid"]) - fen(summary_row["paid"]),
        }],
        "balances": [
            {
                "tranche_id": r.tranche_id,
                "opening_fen": fen(r.opening_balance),
                "principal_fen": fen(r.principal),
                "closing_fen": fen(r.closing_balance),
                "movement_fen": fen(r.opening_balance) - fen(r.principal) - fen(r.closing_balance),
                "continuity_fen": fen(r.opening_balance) - fen(previous_closing.get(r.tranche_id, issued[r.tranche_id])),
            }
            for r in tranches.itertuples(index=False)
        ],
        "distribution": [
            {"seq": int(r.seq), "due_fen": fen(r.due), "paid_fen": fen(r.paid), "shortfall_fen": fen(r.shortfall),
             "identity_fen": fen(r.due) - fen(r.paid) - fen(r.shortfall)}
            for r in distribution.itertuples(index=False)
        ],
    }  # fmt: skip
    write_json_atomic(staging / "checks.json", checks)
    senior = tranches[tranches["tranche_id"].isin(deal.senior_ids())]
    summary = {
        "deal_id": ctx.deal_id,
        "payment_date": ctx.payment_date.isoformat(),
        "paid_on": period.paid_on.isoformat(),
        "period": ctx.period + 1,
        "collection_period": [period.start.isoformat(), period.end.isoformat()],
        "deal_status": outcome.status,
        "collected": str(summary_row["collected"]),
        "carry_in": str(summary_row["carry_in"]),
        "available": str(summary_row["available"]),
        "paid": str(summary_row["paid"]),
        "carry_forward": str(summary_row["carry_out"]),
        "senior_balance": str(senior["closing_balance"].sum()),
        "received": str(from_fen(received)),
        "suspense": str(from_fen(suspended)),
        "receipts": int((receipts["period"] == ctx.period).sum()),
        "duplicate_receipts": recon.duplicates,
        "collections": collections_json(current),
        "adjustments": {k: str(v) for k, v in adjustments.items()},
        "data_collateral_event": current.data_collateral_event,
        "disclosure": disclosure["kind"].tolist(),
        "inputs_sha256": hashlib.sha256(
            "\n".join(sorted(map(str, credits["transaction_id"]))).encode("utf-8")
        ).hexdigest(),
    }
    write_json_atomic(staging / "summary.json", summary)
    notes = (
        [f"Prior-period adjustments (back-valued receipts): {summary['adjustments']}"] if adjustments else []
    )
    if current.data_collateral_event:
        notes.append("数据质押物事件逾期未补救 / an uncured data-collateral event is past its cure period")
    write_reports(
        PeriodReport(
            deal_id=ctx.deal_id, deal_name=ctx.package.deal.name, payment_date=ctx.payment_date,
            status=outcome.status, funds=funds, distribution=distribution, tranches=tranches,
            triggers=triggers, pool=pool, collections=collections, reconciliation=reconciliation,
            suspense=suspense, claims=claims, disclosure=disclosure, collateral=collateral, notes=notes,
        ),
        staging,
    )  # fmt: skip


# -------------------------------------------------------------------------------------------------------- gate


@task(name="gate-servicing", cache_policy=NO_CACHE)
def gate_servicing(ctx: ServicingContext, staging: Path, run_id: str) -> GateResult:
    """Run ``expectations/servicing.json`` over the period's check tables; write, record, publish; block on failure."""
    suite = load_suite(get_settings().expectations_dir / f"{STAGE}.json")
    checks = json.loads((staging / "checks.json").read_text(encoding="utf-8"))
    frames = {
        name: pd.DataFrame(rows) if rows else pd.DataFrame(columns=["seq", "due_fen", "paid_fen", "shortfall_fen",
                                                                     "identity_fen"])
        for name, rows in checks.items()
    }  # fmt: skip
    result = run_suite(suite, frames)
    write_json_atomic(ctx.gate_file, result.to_json())
    with session_scope(get_engine()) as session:
        store.record_gate(session, ctx.deal_id, STAGE, run_id, result.to_json())
    publish_gate(ctx, f"{STAGE}-{ctx.payment_date.isoformat()}", result)
    if not result.success:
        raise GateFailed(ctx.deal_id, f"{STAGE} {ctx.payment_date}", suite.name, result.failure_lines())
    return result


# ------------------------------------------------------------------------------------------------------ commit


def _money(value: Any) -> Decimal:
    """A report amount as Decimal."""
    return Decimal(str(value))


def _read(staging: Path, name: str) -> pd.DataFrame:
    """A staged report CSV (text kept as text)."""
    return pd.read_csv(staging / name, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def period_rows(
    ctx: ServicingContext, staging: Path
) -> tuple[DistributionPeriod, dict[type, list[dict[str, Any]]]]:
    """The period row and its children, read back from the staged files."""
    summary = json.loads((staging / "summary.json").read_text(encoding="utf-8"))
    d = ctx.payment_date
    period = DistributionPeriod(
        deal_id=ctx.deal_id, payment_date=d, period_index=ctx.period, deal_status=summary["deal_status"],
        collected=_money(summary["collected"]), carry_in=_money(summary["carry_in"]),
        available=_money(summary["available"]), paid=_money(summary["paid"]),
        carry_forward=_money(summary["carry_forward"]), collections=summary["collections"],
        adjustments=summary["adjustments"], receipts=summary["receipts"], inputs_sha256=summary["inputs_sha256"],
        report_dir=str(ctx.period_dir), flow_run_id=ctx.flow_run_id,
        reopen_reason=ctx.reason if ctx.reopen else None,
    )  # fmt: skip
    base = {"deal_id": ctx.deal_id, "payment_date": d}
    children: dict[type, list[dict[str, Any]]] = {
        DistributionLine: [
            {**base, "seq": int(r["seq"]), "step": r["step"], "payee": r["payee"], "due": _money(r["due"]),
             "paid": _money(r["paid"]), "shortfall": _money(r["shortfall"])}
            for r in _read(staging, "distribution.csv").to_dict("records")
        ],
        TrancheBalance: [
            {**base, "tranche_id": r["tranche_id"], **{c: _money(r[c]) for c in (
                "opening_balance", "interest_due", "interest", "principal_due", "principal", "closing_balance",
                "shortfall")}}
            for r in _read(staging, "tranches.csv").to_dict("records")
        ],
        TriggerTest: [
            {**base, "trigger_id": r["trigger_id"], "metric": r["metric"],
             "value": _finite(r["value"]), "threshold": _money(r["threshold"]),
             "breached": r["breached"] == "True", "fired": r["fired"] == "True", "effect": r["effect"],
             "status": r["status"]}
            for r in _read(staging, "triggers.csv").to_dict("records")
        ],
        ServicingClaim: [
            {**base, "asset_id": r["asset_id"], "obligor_id": r["obligor_id"],
             "guarantor_id": r.get("guarantor_id") or None, "due_date": date.fromisoformat(r["due_date"]),
             "claim_date": date.fromisoformat(r["claim_date"]),
             "expected_payment_date": date.fromisoformat(r["expected_payment_date"]),
             "amount": _money(r["amount"]), "paid": _money(r["paid"]), "outstanding": _money(r["outstanding"]),
             "status": r["status"]}
            for r in _read(staging, "claims.csv").to_dict("records")
        ],
        DisclosureEvent: [
            {**base, "kind": r["kind"], "value": _money(r["value"]) if r["value"] else None,
             "threshold": _money(r["threshold"]) if r["threshold"] else None, "detail": r["detail"]}
            for r in _read(staging, "disclosure.csv").to_dict("records")
        ],
    }  # fmt: skip
    return period, children


def _finite(text: str) -> float | None:
    """A metric value; infinite or missing values are stored as NULL."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


@task(name="commit-period", cache_policy=NO_CACHE)
def commit_period(ctx: ServicingContext, staging: Path, run_id: str) -> dict[str, Any]:
    """Commit the period exactly once (or replace it on reopen) with its audit event; swap the report folder in."""
    from dataabs.package.loader import sha256_file

    period, children = period_rows(ctx, staging)
    output_hashes = {
        str(p.relative_to(staging)): sha256_file(p) for p in sorted(staging.rglob("*")) if p.is_file()
    }
    final = ctx.period_dir
    backup = ctx.deal_out / ".staging" / f"{STAGE}-{ctx.payment_date.isoformat()}-{run_id}.previous"
    try:
        with session_scope(get_engine()) as session:
            lock_deal(session, ctx.deal_id)
            old = period_row(session, ctx.deal_id, ctx.payment_date)
            if old is not None and not ctx.reopen:
                raise LedgerError(
                    f"deal {ctx.deal_id}: period {ctx.payment_date} was distributed by another run"
                )
            if old is not None:
                period.reopened = old.reopened + 1
                for model in SERVICING_CHILDREN:
                    session.execute(delete(model).where(table_of(model).c.period_id == old.id))
                session.execute(delete(DistributionPeriod).where(col(DistributionPeriod.id) == old.id))
            session.add(period)
            session.flush()
            for model, rows in children.items():
                if rows:
                    session.execute(insert(model), [{**r, "period_id": period.id} for r in rows])
            store.finish_run(session, store.running_run(session, ctx.deal_id, STAGE, run_id), "passed")
            append_audit(
                session, ctx.deal_id, STAGE, "reopen" if old is not None else "distribute",
                flow_run_id=ctx.flow_run_id, code_version=dataabs.__version__,
                parameters={"payment_date": ctx.payment_date.isoformat(), "reopen": ctx.reopen,
                            "reason": ctx.reason if ctx.reopen else None, "statement": ctx.statement},
                input_hashes={"package": store.package_sha256(ctx.package.file_hashes()),
                              "receipts": period.inputs_sha256},
                output_hashes=output_hashes,
            )  # fmt: skip
            final.parent.mkdir(parents=True, exist_ok=True)
            swap_in(staging, final, backup)
            try:
                session.flush()
            except Exception:
                swap_back(final, backup)
                raise
    except IntegrityError as exc:
        raise LedgerError(
            f"deal {ctx.deal_id}: period {ctx.payment_date} was distributed by another run ({type(exc).__name__})"
        ) from None
    shutil.rmtree(backup, ignore_errors=True)
    with session_scope(get_engine()) as session:
        row = period_row(session, ctx.deal_id, ctx.payment_date)
        assert row is not None
        return period_summary(session, row)


@task(name="fail-servicing", cache_policy=NO_CACHE)
def fail_servicing(ctx: ServicingContext, run_id: str, error: str) -> None:
    """Mark the servicing run failed; the committed periods stay as they were."""
    with session_scope(get_engine()) as session:
        store.fail_stage_run(session, ctx.deal_id, STAGE, run_id, error)


@task(name="publish-period", cache_policy=NO_CACHE)
def publish_period(ctx: ServicingContext, result: dict[str, Any]) -> None:
    """A table artifact of the distribution and a markdown summary of the period."""
    folder = ctx.period_dir
    lines = pd.read_csv(folder / "distribution.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    key = artifact_key(ctx.deal_id, f"distribution-{ctx.payment_date.isoformat()}")
    create_table_artifact(
        lines.to_dict("records"), key=key, description=f"收益分配 {ctx.deal_id} {ctx.payment_date}"
    )
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    markdown = "\n".join(
        [
            f"# Servicing (存续期) — deal {ctx.deal_id}, payment date {ctx.payment_date}",
            "",
            f"- status: **{summary['deal_status']}**; available {summary['available']}, paid {summary['paid']}, "
            f"carried forward {summary['carry_forward']}",
            f"- senior balance after payment: {summary['senior_balance']}",
            f"- receipts this period: {summary['receipts']}; suspense (cumulative): {summary['suspense']}",
            f"- disclosure events: {', '.join(summary['disclosure']) or 'none'}; "
            f"data-collateral event past cure: {summary['data_collateral_event']}",
            f"- reopened: {result.get('reopened', 0)} time(s)",
            "",
            f"Reports: `{folder}` (distribution.csv, triggers.csv, servicer_report.html, distribution_report.html)",
        ]
    )
    create_markdown_artifact(
        markdown, key=artifact_key(ctx.deal_id, f"servicing-{ctx.payment_date.isoformat()}")
    )
