"""Reconciliation of bank receipts with the demo deal's dues: every case, and actual == projected on time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dataabs.connectors.bank import transactions_frame
from dataabs.engine.examples import demo_deal
from dataabs.engine.model import Scenario
from dataabs.engine.run import project_collections
from dataabs.engine.waterfall import run_waterfall
from dataabs.package.loader import DealPackage
from dataabs.sandbox.bank import BankScenario, build_bank_seed
from dataabs.servicing.dues import scheduled_dues
from dataabs.servicing.periods import collection_periods
from dataabs.servicing.reconcile import MONEY, Reconciliation, ServicingRules, fifo, reconcile


def run(
    demo: DealPackage, as_of: date | None = None, rules: ServicingRules | None = None, **scenario: Any
) -> Reconciliation:
    """Reconcile the demo deal's bank statement of a scenario."""
    seed = build_bank_seed(demo.schedules, demo.assets, demo.obligors, BankScenario.model_validate(scenario))
    return reconcile_frame(demo, transactions_frame(seed.transactions), as_of, rules)


def reconcile_frame(
    demo: DealPackage, frame: pd.DataFrame, as_of: date | None = None, rules: ServicingRules | None = None
) -> Reconciliation:
    """Reconcile a transactions frame against the demo deal."""
    dues = scheduled_dues(demo.assets, demo.schedules)
    periods = collection_periods(demo.deal)
    return reconcile(frame, dues, demo.assets, periods, as_of=as_of, obligors=demo.obligors, rules=rules)


def due(r: Reconciliation, asset: str, day: date) -> pd.Series:
    """One due's row."""
    return r.dues[(r.dues["asset_id"] == asset) & (r.dues["due_date"] == day)].iloc[0]


def test_base_collections_equal_the_engine_projection(demo: DealPackage) -> None:
    actual = run(demo).collections
    projected = project_collections(demo_deal(), Scenario())
    assert [c.payment_date for c in actual] == [c.payment_date for c in projected]
    for a, p in zip(actual, projected, strict=True):
        assert (a.principal, a.pool_balance, a.defaults, a.recoveries) == (
            p.principal,
            p.pool_balance,
            p.defaults,
            p.recoveries,
        )
        # The engine rounds the pool's float interest once per period; obligors pay fen-rounded interest per
        # loan, so the sums may differ by under half a fen per loan (seen: ≤ 0.01).
        assert abs(a.interest - p.interest) <= Decimal("0.01")
    run_waterfall(demo_deal(), actual)  # actual collections drive the waterfall as projected ones do


def test_base_everything_paid_nothing_in_suspense(demo: DealPackage) -> None:
    r = run(demo)
    assert set(r.dues["status"]) == {"paid"} and r.suspense.empty and r.claims.empty
    assert r.receipts["amount_fen"].sum() == r.dues[["interest_fen", "principal_fen"]].to_numpy().sum()


def test_partial_payment_leaves_a_shortfall(demo: DealPackage) -> None:
    r = run(
        demo,
        as_of=date(2025, 10, 10),
        partial=[{"asset_id": "L01", "due_date": "2025-09-20", "paid": "100000.00"}],
    )
    row = due(r, "L01", date(2025, 9, 20))
    assert (row["status"], row["shortfall_fen"], row["dpd"], row["dpd_bucket"]) == (
        "partial",
        13945205,
        18,
        "1-30",
    )
    assert row["paid_interest_fen"] == 10000000


def test_late_payment_is_paid_late(demo: DealPackage) -> None:
    r = run(demo, late=[{"asset_id": "L02", "due_date": "2025-12-20", "days": 10}])
    row = due(r, "L02", date(2025, 12, 20))
    assert (row["status"], row["days_late"], row["shortfall_fen"]) == ("paid_late", 10, 0)
    assert r.claims.empty


def test_overpayment_goes_to_suspense(demo: DealPackage) -> None:
    r = run(demo, over=[{"asset_id": "L04", "due_date": "2025-09-20", "extra": "500.00"}])
    assert r.suspense[["asset_id", "amount_fen", "reason"]].values.tolist() == [["L04", 50000, "overpayment"]]


def test_overpayment_as_prepayment_by_rule(demo: DealPackage) -> None:
    rules = ServicingRules(overpayment="prepayment")
    r = run(demo, rules=rules, over=[{"asset_id": "L04", "due_date": "2025-09-20", "extra": "500.00"}])
    assert due(r, "L04", date(2027, 6, 20))["prepaid_fen"] == 50000
    assert r.collections[0].principal == Decimal("500.00")
    # the last instalment was 500.00 smaller after the prepayment, so the obligor's full payment leaves 500.00 over
    assert r.suspense[["transaction_id", "amount_fen"]].values.tolist() == [["TX-L04-20270620", 50000]]


def test_prepayment_pays_off_the_loan(demo: DealPackage) -> None:
    r = run(
        demo,
        defaults=[{"obligor_id": "OB05", "from_date": "2026-06-20"}],
        extra=[
            {"value_date": "2026-04-10", "amount": "13000000.00", "asset_id": "L05", "kind": "prepayment"}
        ],
    )
    later = r.dues[(r.dues["asset_id"] == "L05") & (r.dues["due_date"] > date(2026, 4, 26))]
    assert set(later["status"]) == {"prepaid"} and r.claims.empty and r.suspense.empty
    assert r.collections[2].principal == Decimal("13000000.00")
    assert r.collections[2].pool_balance == Decimal("120700000.00")


def test_unidentified_receipt_is_held(demo: DealPackage) -> None:
    r = run(demo, extra=[{"value_date": "2025-08-01", "amount": "8888.88", "kind": "unidentified"}])
    assert r.suspense[["amount_fen", "reason"]].values.tolist() == [[888888, "unidentified receipt"]]


def test_default_raises_a_claim_the_guarantor_pays(demo: DealPackage) -> None:
    r = run(
        demo,
        as_of=date(2026, 5, 31),
        defaults=[{"obligor_id": "OB01", "from_date": "2026-03-20"}],
        extra=[
            {
                "value_date": "2026-05-20",
                "amount": "234246.58",
                "asset_id": "L01",
                "kind": "guarantee",
                "counterparty_name": "钧和银行股份有限公司无锡分行",
            }
        ],
    )
    assert due(r, "L01", date(2026, 3, 20))["status"] == "defaulted"
    claim = r.claims.iloc[0]
    assert (claim["asset_id"], claim["amount_fen"], claim["claim_date"], claim["expected_payment_date"]) == (
        "L01",
        23424658,
        date(2026, 4, 20),
        date(2026, 5, 20),
    )
    assert (claim["guarantor_id"], claim["paid_fen"], claim["outstanding_fen"]) == ("bank-wuxi", 23424658, 0)
    assert r.collections[2].defaults == Decimal("25000000.00")
    assert r.collections[2].pool_balance == Decimal("108700000.00")
    assert r.collections[3].guarantee_interest == Decimal("234246.58")


def test_recoveries_are_tagged(demo: DealPackage) -> None:
    r = run(
        demo,
        extra=[
            {"value_date": "2027-02-01", "amount": "1000000.00", "asset_id": "L02", "kind": "data_recovery"}
        ],
    )
    assert r.receipts.loc[r.receipts["kind"] == "data_recovery", "recovery_fen"].tolist() == [100000000]
    assert r.collections[6].recoveries == Decimal("1000000.00")


def test_duplicates_counted_once(demo: DealPackage) -> None:
    twice = run(demo, duplicated=[{"asset_id": "L03", "due_date": "2025-09-20"}])
    assert twice.duplicates == 1
    assert twice.collections == run(demo).collections


def test_receipt_matched_by_counterparty_name(demo: DealPackage) -> None:
    seed = build_bank_seed(demo.schedules, demo.assets, demo.obligors)
    frame = transactions_frame(seed.transactions)
    frame.loc[0, "reference"] = "还款"
    r = reconcile_frame(demo, frame)
    assert r.receipts.loc[0, "match"] == "name" and r.suspense.empty


def test_fifo_allocates_in_order_within_groups() -> None:
    import numpy as np

    i64 = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    ni, hi, amount = fifo(i64([5, 5, 7]), i64([0, 0, 1]), i64([3, 4, 10]), i64([0, 0, 1]))
    assert list(zip(ni.tolist(), hi.tolist(), amount.tolist(), strict=True)) == [
        (0, 0, 3),
        (0, 1, 2),
        (1, 1, 2),
        (2, 2, 7),
    ]


def test_fifo_with_no_group_on_both_sides_allocates_nothing() -> None:
    import numpy as np

    # Dues of asset 0 only, receipts of asset 1 only: nothing to allocate (found by hypothesis as an IndexError).
    ni, hi, amount = fifo(*(np.asarray(v, dtype=np.int64) for v in ([5, 7], [0, 0], [3], [1])))
    assert len(ni) == len(hi) == len(amount) == 0


ASSETS = ["L01", "L02", "L05", "L09", ""]
REFS = ["{a} 还本付息", "{a} 提前还款", "{a} 保函代偿", "{a} 数据资产处置", "往来款 {a}"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 10**9),
            st.integers(0, 1200),
            st.sampled_from(ASSETS),
            st.sampled_from(REFS),
            st.booleans(),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_matched_plus_suspense_equals_receipts(
    demo: DealPackage, rows: list[tuple[int, int, str, str, bool]]
) -> None:
    frame = pd.DataFrame(
        [
            {
                "transaction_id": f"T{n % 30}",
                "value_date": date.fromordinal(date(2025, 6, 1).toordinal() + d),
                "amount": Decimal(fen) / 100,
                "currency": "CNY",
                "counterparty_name": "南昌禾穗农情数据有限公司" if named else "x",
                "counterparty_account": "",
                "reference": ref.format(a=asset),
                "direction": "credit",
            }
            for n, (fen, d, asset, ref, named) in enumerate(rows)
        ]
    )
    r = reconcile_frame(demo, frame)
    received = frame.drop_duplicates("transaction_id")
    received = received[received["value_date"] <= date(2028, 7, 26)]
    total = sum(int(a * 100) for a in received["amount"])
    matched = r.receipts[list(MONEY[:-1])].to_numpy().sum()
    assert matched + r.suspense["amount_fen"].sum() == total == r.receipts["amount_fen"].sum()
    assert r.receipts["suspense_fen"].sum() == r.suspense["amount_fen"].sum()
