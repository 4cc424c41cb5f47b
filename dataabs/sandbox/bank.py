"""The sandbox bank/custodian (托管银行): the plan account's transactions, paginated, seeded per deal.

A ``BankSeed`` lists one account's transactions (``dataabs.connectors.bank.BankTransaction``, the client's model)
in booking order; ``build_bank_seed`` makes one from the tapes for a scenario expressed as data: everyone pays
on time (``base``), or obligor defaults, partial, late and over-payments, prepayments, unidentified receipts,
a transaction listed twice, guarantee payments and recoveries. ``duplicate_pages`` is a fault: those pages are
served twice in a row (the client must count their transactions once). Timeouts, 5xx and bad bodies come from
the app's fault middleware (``POST /_sandbox/faults`` with ``path_prefix: /bank``).

Mount: ``install(app, seeds, dependencies=[Depends(_require_token)])`` in ``create_app``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from pydantic import Field, model_validator

from dataabs.connectors.bank import TRANSACTIONS_PATH, BankTransaction, BankWire, TransactionPage
from dataabs.money import from_fen, to_fen
from dataabs.servicing.dues import scheduled_dues
from dataabs.servicing.periods import HolidayCalendar, adjust_series

CONTROL_PATH = "/_sandbox/bank/seed"
MAX_PAGE_SIZE = 1000


class BankSeed(BankWire):
    """What the sandbox bank serves for one deal: the plan account and its transactions in booking order."""

    account_no: str = Field(min_length=1, description="The plan's account at the custodian (专项计划账户).")
    transactions: list[BankTransaction] = Field(default_factory=list)
    duplicate_pages: list[int] = Field(
        default_factory=list, description="Fault: pages served twice in a row."
    )

    @model_validator(mode="after")
    def _same_id_same_content(self) -> BankSeed:
        seen: dict[str, BankTransaction] = {}
        clashes = sorted(
            {t.transaction_id for t in self.transactions if seen.setdefault(t.transaction_id, t) != t}
        )
        if clashes:
            raise ValueError(f"transaction ids listed twice with different content: {clashes[:5]}")
        return self


class BankSeedReplacement(BankWire):
    """``POST /_sandbox/bank/seed``: new bank records for one deal."""

    deal_id: str = Field(default="default", min_length=1)
    bank: BankSeed


class DueRef(BankWire):
    """One scheduled due: asset and due date."""

    asset_id: str
    due_date: date


class ObligorDefault(BankWire):
    """The obligor pays nothing due on or after ``from_date``."""

    obligor_id: str
    from_date: date


class PartialPayment(DueRef):
    """The due is paid short: only ``paid`` arrives."""

    paid: Decimal = Field(ge=0, decimal_places=2)


class LatePayment(DueRef):
    """The due is paid in full ``days`` calendar days after its (adjusted) date."""

    days: int = Field(ge=1)


class Overpayment(DueRef):
    """The due is paid with ``extra`` on top."""

    extra: Decimal = Field(gt=0, decimal_places=2)


class ExtraReceipt(BankWire):
    """A receipt outside the schedule: prepayment, guarantee payment, recovery or unidentified money."""

    value_date: date
    amount: Decimal = Field(gt=0, decimal_places=2)
    asset_id: str | None = None
    kind: str = Field(pattern="^(prepayment|guarantee|recovery|data_recovery|unidentified)$")
    counterparty_name: str = ""
    counterparty_account: str = ""


class BankScenario(BankWire):
    """Collections of a scenario as data; the empty scenario is ``base`` (every due paid on its date)."""

    name: str = "base"
    defaults: list[ObligorDefault] = Field(default_factory=list)
    partial: list[PartialPayment] = Field(default_factory=list)
    late: list[LatePayment] = Field(default_factory=list)
    over: list[Overpayment] = Field(default_factory=list)
    extra: list[ExtraReceipt] = Field(default_factory=list)
    duplicated: list[DueRef] = Field(default_factory=list, description="Dues whose receipt is listed twice.")


REFERENCES = {
    "prepayment": "{asset} 提前还款",
    "guarantee": "{asset} 保函代偿",
    "recovery": "{asset} 清收回收",
    "data_recovery": "{asset} 数据资产处置回收",
    "unidentified": "往来款",
}


def build_bank_seed(
    schedules: pd.DataFrame,
    assets: pd.DataFrame,
    obligors: pd.DataFrame,
    scenario: BankScenario | None = None,
    *,
    account_no: str = "PLAN-0001",
    calendar: HolidayCalendar | None = None,
) -> BankSeed:
    """The bank statement of a scenario: one credit per paid due (on its business day) plus the extras."""
    scenario = scenario or BankScenario()
    dues = scheduled_dues(assets, schedules)
    dues["amount_fen"] = dues["interest_fen"] + dues["principal_fen"]
    dues["value_date"] = adjust_series(dues["due_date"], "following", calendar)
    dues = _apply_scenario(dues, scenario)
    names = obligors.set_index("obligor_id")["name"]
    accounts = _accounts(obligors)
    dues = dues[dues["amount_fen"] > 0].sort_values(["value_date", "asset_id"], kind="stable")
    keys = list(zip(dues["asset_id"], dues["due_date"], strict=True))
    items = [
        BankTransaction(
            transaction_id=f"TX-{row.asset_id}-{row.due_date:%Y%m%d}",
            value_date=row.value_date,
            amount=from_fen(int(row.amount_fen)),
            counterparty_name=str(names.get(row.obligor_id, "")),
            counterparty_account=accounts.get(row.obligor_id, ""),
            reference=f"{row.asset_id} {row.due_date:%Y-%m-%d} 还本付息",
            direction="credit",
        )
        for row in dues.itertuples()
    ]
    wanted = {(d.asset_id, d.due_date) for d in scenario.duplicated}
    repeats = [t for t, key in zip(items, keys, strict=True) if key in wanted]
    items += [_extra(n, e) for n, e in enumerate(scenario.extra, start=1)]
    return BankSeed(account_no=account_no, transactions=items + repeats)


def _accounts(obligors: pd.DataFrame) -> dict[str, str]:
    """Each obligor's paying account: the tape's ``bank_account`` if any, else a sandbox number."""
    if "bank_account" in obligors.columns:
        return dict(zip(obligors["obligor_id"], obligors["bank_account"].fillna("").astype(str), strict=True))
    return {
        o: f"6217{int(hashlib.sha256(o.encode()).hexdigest(), 16) % 10**12:012d}"
        for o in obligors["obligor_id"]
    }


def _apply_scenario(dues: pd.DataFrame, scenario: BankScenario) -> pd.DataFrame:
    """Adjust each due's receipt for the scenario's defaults, partial, late and over-payments."""
    out = dues.copy()
    for d in scenario.defaults:
        out.loc[(out["obligor_id"] == d.obligor_id) & (out["due_date"] >= d.from_date), "amount_fen"] = 0
    for p in scenario.partial:
        out.loc[_at(out, p), "amount_fen"] = to_fen(p.paid)
    for late in scenario.late:
        out.loc[_at(out, late), "value_date"] = out.loc[_at(out, late), "value_date"] + timedelta(
            days=late.days
        )
    for o in scenario.over:
        out.loc[_at(out, o), "amount_fen"] += to_fen(o.extra)
    return out


def _at(dues: pd.DataFrame, ref: DueRef) -> pd.Series:
    """Mask of one due; ``KeyError`` if the schedule has no such due."""
    mask = (dues["asset_id"] == ref.asset_id) & (dues["due_date"] == ref.due_date)
    if not mask.any():
        raise KeyError(f"no due of asset {ref.asset_id} on {ref.due_date}")
    return mask


def _extra(number: int, extra: ExtraReceipt) -> BankTransaction:
    """A receipt outside the schedule, its reference tagged by kind."""
    return BankTransaction(
        transaction_id=f"TX-X{number:04d}-{extra.value_date:%Y%m%d}",
        value_date=extra.value_date,
        amount=extra.amount,
        counterparty_name=extra.counterparty_name,
        counterparty_account=extra.counterparty_account,
        reference=REFERENCES[extra.kind].format(asset=extra.asset_id or ""),
        direction="credit",
    )


class BankStore:
    """The bank's accounts by deal, indexed by account number."""

    def __init__(self, seeds: Mapping[str, BankSeed]) -> None:
        self.seeds: dict[str, BankSeed] = {}
        self.accounts: dict[str, BankSeed] = {}
        self._reindex(dict(seeds))

    def replace(self, deal_id: str, seed: BankSeed) -> None:
        """Replace one deal's account; ``ValueError`` if another deal already uses the account number."""
        self._reindex({**self.seeds, deal_id: seed})

    def _reindex(self, seeds: dict[str, BankSeed]) -> None:
        """Rebuild the account index, refusing an account seeded by two deals."""
        owners: dict[str, str] = {}
        for deal_id, seed in seeds.items():
            if seed.account_no in owners:
                raise ValueError(
                    f"account {seed.account_no} is seeded by deals {owners[seed.account_no]} and {deal_id}"
                )
            owners[seed.account_no] = deal_id
        self.seeds, self.accounts = seeds, {s.account_no: s for s in seeds.values()}


def listing(seed: BankSeed, start: date, end: date, page: int, page_size: int) -> TransactionPage:
    """One page of the account's transactions in [start, end], booking order; duplicate pages served twice."""
    items = [t for t in seed.transactions if start <= t.value_date <= end]
    chunks = [items[i : i + page_size] for i in range(0, len(items), page_size)]
    served: list[list[BankTransaction]] = []
    for number, chunk in enumerate(chunks, start=1):
        served += [chunk, chunk] if number in seed.duplicate_pages else [chunk]
    body = served[page - 1] if page <= len(served) else []
    return TransactionPage(items=body, page=page, pages=len(served), total=len(items))


router = APIRouter(tags=["bank"])
control = APIRouter(tags=["sandbox control"])


def _store(request: Request) -> BankStore:
    """The bank store of the running app."""
    store: BankStore = request.app.state.bank
    return store


@router.get(
    TRANSACTIONS_PATH, response_model=TransactionPage, responses={404: {"description": "No such account"}}
)
def account_transactions(
    account_no: str,
    request: Request,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> TransactionPage:
    """An account's transactions with value dates in [from, to], one page (账户交易明细查询)."""
    seed = _store(request).accounts.get(account_no)
    if seed is None:
        raise HTTPException(status_code=404, detail=f"account {account_no} is not known to this bank")
    if end < start:
        raise HTTPException(status_code=422, detail="'to' is before 'from'")
    return listing(seed, start, end, page, page_size)


@control.post(CONTROL_PATH, responses={409: {"description": "Account clash"}})
def replace_bank_seed(replacement: BankSeedReplacement, request: Request) -> dict[str, Any]:
    """Replace one deal's bank account records (e.g. plant a scenario or a duplicate-page fault)."""
    try:
        _store(request).replace(replacement.deal_id, replacement.bank)
    except ValueError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    seed = replacement.bank
    return {
        "deal_id": replacement.deal_id,
        "account_no": seed.account_no,
        "transactions": len(seed.transactions),
    }


def install(app: FastAPI, seeds: Mapping[str, BankSeed], dependencies: Sequence[Any] = ()) -> None:
    """Add the bank to a sandbox app: its store, its router (behind ``dependencies``) and its control route."""
    app.state.bank = BankStore(seeds)
    app.include_router(router, dependencies=list(dependencies))
    app.include_router(control)
