"""The bank client over real HTTP against the sandbox bank: pagination, duplicate pages, retries on 500."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from dataabs.connectors.bank import BankClient, BankTransaction
from dataabs.errors import CounterpartyError
from dataabs.sandbox.bank import CONTROL_PATH, BankSeed

from .conftest import DEAL

START, END = date(2025, 7, 1), date(2028, 7, 26)
PATH = "/bank/v1/accounts/PLAN-0001/transactions"


def client(url: str, page_size: int = 10) -> BankClient:
    """A client with small pages, short timeouts and fast retries."""
    return BankClient(url, timeout_seconds=2, retries=2, backoff_seconds=0.01, page_size=page_size)


def seen(control: httpx.Client) -> int:
    """Requests the sandbox received on the account path."""
    counts: dict[str, int] = control.get("/_sandbox/requests").json()["counts"]
    return counts.get(PATH, 0)


def test_follows_every_page(bank_url: str, bank_control: httpx.Client, base_seed: BankSeed) -> None:
    with client(bank_url) as bank:
        items = bank.transactions("PLAN-0001", START, END)
    assert items == base_seed.transactions
    assert seen(bank_control) == 8  # 72 transactions, 10 a page


def test_date_range_filters(bank_url: str, bank_control: httpx.Client) -> None:
    with client(bank_url) as bank:
        items = bank.transactions("PLAN-0001", date(2025, 9, 1), date(2025, 9, 30))
    assert {t.value_date for t in items} == {date(2025, 9, 22)} and len(items) == 9


def test_duplicate_page_counted_once(bank_url: str, bank_control: httpx.Client, base_seed: BankSeed) -> None:
    faulty = base_seed.model_copy(update={"duplicate_pages": [2, 5]})
    bank_control.post(
        CONTROL_PATH, json={"deal_id": DEAL, "bank": faulty.model_dump(mode="json")}
    ).raise_for_status()
    with client(bank_url) as bank:
        first = bank.page("PLAN-0001", START, END, 1)
        items = bank.transactions("PLAN-0001", START, END)
    assert first.pages == 10
    assert items == base_seed.transactions


def test_transaction_on_two_pages_counted_once(
    bank_url: str, bank_control: httpx.Client, base_seed: BankSeed
) -> None:
    twice = base_seed.model_copy(
        update={"transactions": [*base_seed.transactions, base_seed.transactions[0]]}
    )
    bank_control.post(
        CONTROL_PATH, json={"deal_id": DEAL, "bank": twice.model_dump(mode="json")}
    ).raise_for_status()
    with client(bank_url) as bank:
        items = bank.transactions("PLAN-0001", START, END)
    assert len(items) == 72


def test_500_then_success_is_retried(bank_url: str, bank_control: httpx.Client) -> None:
    bank_control.post(
        "/_sandbox/faults", json={"path_prefix": "/bank", "mode": "status", "count": 1}
    ).raise_for_status()
    with client(bank_url, page_size=100) as bank:
        items = bank.transactions("PLAN-0001", START, END)
    assert len(items) == 72
    assert seen(bank_control) == 2


def test_partial_records_are_refused(bank_url: str, bank_control: httpx.Client) -> None:
    bank_control.post(
        "/_sandbox/faults", json={"path_prefix": "/bank", "mode": "partial", "count": 1}
    ).raise_for_status()
    with client(bank_url) as bank, pytest.raises(CounterpartyError, match="wrong shape"):
        bank.transactions("PLAN-0001", START, END)


def test_unknown_account_is_refused(bank_url: str, bank_control: httpx.Client) -> None:
    with client(bank_url) as bank, pytest.raises(CounterpartyError, match="404"):
        bank.transactions("NOPE", START, END)


def test_one_model_for_client_and_seed() -> None:
    assert BankSeed.model_fields["transactions"].annotation == list[BankTransaction]
