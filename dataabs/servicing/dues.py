"""Scheduled dues (应收本息) per asset from the assets and schedules tapes, in exact integer fen.

Interest is the schedule tape's ``interest_due`` when stated, else ``balance × rate × days / basis`` rounded to
the fen half-up on the balance outstanding before the due, accrued from the previous due date (the first from
the asset's origination date) — the contract's own arithmetic, asset by asset.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from dataabs.calendar import DayCount, basis_days, day_count_days
from dataabs.money import to_fen

DUE_COLUMNS = ("asset_id", "obligor_id", "due_date", "interest_fen", "principal_fen", "balance_fen")


def scheduled_dues(assets: pd.DataFrame, schedules: pd.DataFrame) -> pd.DataFrame:
    """One row per (asset, due date): interest and principal due and the balance they accrue on, in fen."""
    keep = ["asset_id", "obligor_id", "principal", "rate", "day_count", "origination_date"]
    table = schedules.merge(assets[keep], on="asset_id", how="inner", validate="many_to_one")
    table = table.sort_values(["asset_id", "due_date"], kind="stable").reset_index(drop=True)
    principal = np.asarray([to_fen(v) for v in table["principal_due"]], dtype=np.int64)
    opening = np.asarray([to_fen(v) for v in table["principal"]], dtype=np.int64)
    repaid_before = pd.Series(principal).groupby(table["asset_id"].to_numpy()).cumsum().to_numpy() - principal
    balance = opening - repaid_before
    start = table.groupby("asset_id", sort=False)["due_date"].shift(1)
    start = start.where(start.notna(), table["origination_date"])
    stated = table["interest_due"] if "interest_due" in table.columns else pd.Series(None, index=table.index)
    interest = [
        to_fen(given) if given is not None and given == given else _interest(int(b), r, s, d, dc)
        for given, b, r, s, d, dc in zip(
            stated, balance, table["rate"], start, table["due_date"], table["day_count"], strict=True
        )
    ]
    out = table[["asset_id", "obligor_id", "due_date"]].copy()
    out["interest_fen"] = np.asarray(interest, dtype=np.int64)
    out["principal_fen"] = principal
    out["balance_fen"] = balance
    return out


def _interest(balance_fen: int, rate: Decimal, start: date, end: date, basis: DayCount) -> int:
    """Exact ``balance × rate × days / basis`` in fen, half-up, with integer arithmetic."""
    numerator, denominator = Decimal(rate).as_integer_ratio()
    top = balance_fen * numerator * day_count_days(start, end, basis)
    bottom = denominator * basis_days(basis)
    return (2 * top + bottom) // (2 * bottom)
