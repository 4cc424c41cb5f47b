"""Benchmark: reconcile 10^6 bank receipts against 10^5 assets' dues (10^6 dues) vs a plain pandas merge.

The plain merge joins receipts that already carry (asset id, due date) to the dues one-to-one — the floor of
any matching. ``reconcile`` does the whole job: reference parsing, tagging, FIFO allocation interest-first per
period, arrears, defaults, claims and period collections.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from dataabs.calendar import add_months
from dataabs.servicing.periods import periods_from_dates
from dataabs.servicing.reconcile import reconcile

ASSETS = 100_000
DUES_PER_ASSET = 10
CUT_OFF = date(2025, 6, 30)


def make_inputs(assets: int = ASSETS, per_asset: int = DUES_PER_ASSET, seed: int = 7) -> dict[str, Any]:
    """Synthetic assets, quarterly dues and one receipt per due (5% short, 2% unidentified), amounts in fen."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("A", np.char.zfill(np.arange(assets).astype(str), 7))
    asset_frame = pd.DataFrame(
        {
            "asset_id": ids,
            "obligor_id": np.char.add("O", np.char.zfill((np.arange(assets) // 2).astype(str), 7)),
        }
    )
    due_dates = [add_months(date(2025, 9, 20), 3 * k) for k in range(per_asset)]
    dues = pd.DataFrame(
        {
            "asset_id": np.repeat(ids, per_asset),
            "obligor_id": np.repeat(asset_frame["obligor_id"].to_numpy(), per_asset),
            "due_date": np.tile(np.asarray(due_dates, dtype=object), assets),
            "interest_fen": rng.integers(10_000, 5_000_000, assets * per_asset),
            "principal_fen": rng.integers(0, 50_000_000, assets * per_asset),
        }
    )
    dues["balance_fen"] = 10**10
    amount = (dues["interest_fen"] + dues["principal_fen"]).to_numpy()
    amount = np.where(rng.random(len(amount)) < 0.05, amount // 2, amount)
    reference = dues["asset_id"] + " 还本付息"
    reference = reference.where(rng.random(len(reference)) > 0.02, "往来款")
    value = np.asarray(due_dates, dtype="datetime64[D]")[np.tile(np.arange(per_asset), assets)] + 2
    receipts = pd.DataFrame(
        {
            "transaction_id": np.char.add("T", np.arange(len(dues)).astype(str)),
            "value_date": value,
            "amount_fen": amount,
            "counterparty_name": "",
            "counterparty_account": "",
            "reference": reference,
            "direction": "credit",
        }
    )
    pay = [add_months(date(2025, 10, 26), 3 * k) for k in range(per_asset)]
    return {
        "assets": asset_frame,
        "dues": dues,
        "receipts": receipts,
        "periods": periods_from_dates(CUT_OFF, pay),
    }


def plain_merge(inputs: dict[str, Any]) -> pd.DataFrame:
    """The floor: receipts already keyed by (asset, due date) joined one-to-one to the dues."""
    receipts = inputs["receipts"].assign(
        asset_id=inputs["dues"]["asset_id"].to_numpy(), due_date=inputs["dues"]["due_date"].to_numpy()
    )
    return receipts.merge(inputs["dues"], on=["asset_id", "due_date"], how="left")


def run() -> dict[str, float]:
    """Time both on 10^6 receipts × 10^6 dues; seconds and the ratio."""
    inputs = make_inputs()
    started = time.perf_counter()
    plain_merge(inputs)
    merge_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = reconcile(inputs["receipts"], inputs["dues"], inputs["assets"], inputs["periods"])
    reconcile_seconds = time.perf_counter() - started
    return {
        "receipts": float(len(inputs["receipts"])),
        "dues": float(len(inputs["dues"])),
        "plain_merge_seconds": round(merge_seconds, 2),
        "reconcile_seconds": round(reconcile_seconds, 2),
        "ratio": round(reconcile_seconds / merge_seconds, 2),
        "suspense_rows": float(len(result.suspense)),
        "claims": float(len(result.claims)),
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:>22}: {value:g}")
