"""Client of the plan account's bank/custodian (托管银行) and its wire model: account transactions, paginated.

``BankTransaction`` is the one model of a bank transaction: the sandbox bank is seeded with it and serves it,
the client validates every page against it, and statement files are checked into the same columns. The client
follows pagination, retries timeouts and 5xx through ``CounterpartyHttp`` and counts a transaction listed twice
(a duplicate page, or one record on two pages) once, keyed by ``transaction_id``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal
from urllib.parse import quote

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from dataabs.connectors.http import CounterpartyClient, validate_body
from dataabs.errors import CounterpartyError
from dataabs.settings import Settings

TRANSACTIONS_PATH = "/bank/v1/accounts/{account_no}/transactions"
DEFAULT_PAGE_SIZE = 500
MAX_PAGES = 100_000

Direction = Literal["credit", "debit"]
TRANSACTION_COLUMNS = (
    "transaction_id",
    "value_date",
    "amount",
    "currency",
    "counterparty_name",
    "counterparty_account",
    "reference",
    "direction",
)


class BankWire(BaseModel):
    """Base of the bank's records: unknown keys are an error, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class BankTransaction(BankWire):
    """One booked transaction on an account (银行流水): credit is money in, debit money out."""

    transaction_id: str = Field(min_length=1, max_length=64, description="交易流水号, unique per bank.")
    value_date: date = Field(description="交易日期 / value date.")
    amount: Decimal = Field(gt=0, decimal_places=2, description="金额, yuan, positive; JSON string.")
    currency: Literal["CNY"] = "CNY"
    counterparty_name: str = Field(default="", description="对方户名.")
    counterparty_account: str = Field(default="", description="对方账号.")
    reference: str = Field(default="", description="摘要 / payment reference.")
    direction: Direction = Field(description="借贷标志: credit 贷 (in), debit 借 (out).")


class TransactionPage(BankWire):
    """``GET /bank/v1/accounts/{account_no}/transactions``: one page of an account's transactions."""

    items: list[BankTransaction]
    page: int = Field(ge=1)
    pages: int = Field(ge=0)
    total: int = Field(ge=0)


class BankClient(CounterpartyClient):
    """Fetch an account's transactions over a date range, every page, validated and deduplicated."""

    counterparty = "bank"
    public_params = ("from", "to", "page", "page_size")

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout_seconds: float | None = None,
        retries: int | None = None,
        backoff_seconds: float = 0.5,
        page_size: int = DEFAULT_PAGE_SIZE,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(
            base_url,
            token=token,
            timeout_seconds=timeout_seconds,
            retries=retries,
            backoff_seconds=backoff_seconds,
            settings=settings,
        )
        self.page_size = page_size

    def page(self, account: str, start: date, end: date, page: int) -> TransactionPage:
        """One page of the account's transactions with value dates in [start, end]."""
        path = TRANSACTIONS_PATH.format(account_no=quote(account, safe=""))
        params = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "page": str(page),
            "page_size": str(self.page_size),
        }
        answer = self.http.get_json(path, params)
        body = validate_body(TransactionPage, answer, "a transaction page")
        if body.page != page:
            raise CounterpartyError(f"bank: GET {answer.path} answered page {body.page}, not {page}")
        strays = [t.transaction_id for t in body.items if not start <= t.value_date <= end]
        if strays:
            raise CounterpartyError(
                f"bank: GET {answer.path} answered transactions outside the range: {strays[:5]}"
            )
        return body

    def transactions(self, account: str, start: date, end: date) -> list[BankTransaction]:
        """Every transaction of the account in [start, end], following pages; one per ``transaction_id``."""
        first = self.page(account, start, end, 1)
        pages = [
            first,
            *(self.page(account, start, end, n) for n in range(2, min(first.pages, MAX_PAGES) + 1)),
        ]
        return unique_transactions([t for p in pages for t in p.items])


def unique_transactions(items: list[BankTransaction]) -> list[BankTransaction]:
    """Keep the first of each ``transaction_id``; a repeated id with different content is a bank error."""
    seen: dict[str, BankTransaction] = {}
    for item in items:
        known = seen.setdefault(item.transaction_id, item)
        if known != item:
            raise CounterpartyError(
                f"bank: transaction {item.transaction_id} was listed twice with different content"
            )
    return list(seen.values())


def transactions_frame(items: list[BankTransaction]) -> pd.DataFrame:
    """Transactions as a frame with the statement columns (amount as ``Decimal``, value_date as ``date``)."""
    rows = [t.model_dump() for t in items]
    return pd.DataFrame(rows, columns=list(TRANSACTION_COLUMNS), dtype=object)
