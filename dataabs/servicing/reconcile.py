"""Reconcile bank receipts with scheduled dues (回款核对): matching, arrears, defaults, claims and collections.

Money columns are integer fen (``*_fen``), exact and vectorised; ``PeriodCollections`` turn them into Decimal yuan.
Rules, in order (see ``docs/servicing.md``):

1. Credits only, one per ``transaction_id``. A receipt is tagged by its reference (guarantee payment, data-collateral
   enforcement, other recovery, prepayment; else an ordinary collection).
2. It is identified by the first reference token that is an asset id or contract number, else by the counterparty
   account, else by the counterparty name → obligor. Nothing found: suspense (待查明款项).
3. Collections of period k pay the open dues due by the end of period k, oldest first, interest before principal
   within each due (FIFO). Asset-identified receipts first, then obligor-identified ones across the obligor's
   assets. What is left is an overpayment: suspense, or a prepayment when the rule says so.
4. Prepayments reduce the asset's future principal from the last instalment backwards (term shortening); once the
   balance is nil the later interest is waived. Excess over the balance goes to suspense.
5. A due still short at the end of its grace period (business-day adjusted due date + ``grace_days``) defaults
   the next day; a claim on the guarantee (or shortfall undertaking) is raised that day for the shortfall, payable
   after ``claim_delay_days``. Guarantee receipts pay the asset's claims oldest first; recoveries are cash in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dataabs.engine.model import PeriodCollections
from dataabs.money import from_fen
from dataabs.servicing.periods import (
    CollectionPeriod,
    Convention,
    HolidayCalendar,
    adjust,
    cn_holidays,
    day_numbers,
    period_index,
)

Int = npt.NDArray[np.int64]
Kind = Literal["collection", "prepayment", "guarantee", "recovery", "data_recovery"]
EPOCH = date(1970, 1, 1)
DPD_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")

DEFAULT_TAGS: dict[str, str] = {
    "guarantee": r"保函|代偿|担保赔付|差额支付|GUARANTEE|CLAIM",
    "data_recovery": r"数据资产处置|质押数据|数据质权|DATA-ENF",
    "recovery": r"回收|处置|清收|RECOVERY",
    "prepayment": r"提前还款|提前结清|PREPAY",
}
MONEY = (
    "interest_fen",
    "principal_fen",
    "prepayment_fen",
    "recovery_fen",
    "guarantee_interest_fen",
    "guarantee_principal_fen",
    "suspense_fen",
)


@dataclass(frozen=True)
class ServicingRules:
    """Servicing policy [P] (house defaults; the lead maps them from ``config/policy.yaml`` ``servicing:``)."""

    grace_days: int = 30
    claim_delay_days: int = 30
    overpayment: Literal["suspense", "prepayment"] = "suspense"
    business_day: Convention = "following"
    tags: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TAGS))


@dataclass(frozen=True)
class Reconciliation:
    """What reconciliation found: receipts with their allocation, dues with arrears, suspense, claims, periods."""

    receipts: pd.DataFrame
    dues: pd.DataFrame
    suspense: pd.DataFrame
    claims: pd.DataFrame
    collections: list[PeriodCollections]
    duplicates: int


# ---------------------------------------------------------------------------------------------------- allocation


def fifo(need: Int, need_group: Int, have: Int, have_group: Int) -> tuple[Int, Int, Int]:
    """Allocate amounts ``have`` to ``need`` in order within each group; returns (need idx, have idx, amount).

    Both sides must be sorted by group (codes 0..G-1) and, within a group, by priority. Each side is laid on one
    global axis (cumulative sums, groups side by side), and every stretch covered by one need and one have is an
    allocation — no Python loop over rows.
    """
    if len(need) == 0 or len(have) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    groups = int(max(need_group.max(), have_group.max())) + 1
    need_total, have_total = _group_sum(need, need_group, groups), _group_sum(have, have_group, groups)
    span = np.maximum(need_total, have_total)
    base = np.cumsum(span) - span
    need_end = _global_ends(need, need_group, need_total, base)
    have_end = _global_ends(have, have_group, have_total, base)
    points = np.sort(np.concatenate([need_end, have_end, base, [base[-1] + span[-1]]]), kind="stable")
    points = points[np.r_[True, np.diff(points) > 0]]  # sorted runs merge in linear time
    starts, lengths = points[:-1], np.diff(points)
    n_idx = _covering(need_end, need, starts)
    h_idx = _covering(have_end, have, starts)
    both = (n_idx >= 0) & (h_idx >= 0) & (lengths > 0)
    n_idx, h_idx, lengths = n_idx[both], h_idx[both], lengths[both]
    if len(n_idx) == 0:  # no group has both a need and an amount to give
        return n_idx, h_idx, lengths
    change = np.flatnonzero(np.r_[True, (np.diff(n_idx) != 0) | (np.diff(h_idx) != 0)])
    return n_idx[change], h_idx[change], np.add.reduceat(lengths, change)


def _group_sum(values: Int, groups: Int, count: int) -> Int:
    """Sum of values per group code."""
    out = np.zeros(count, dtype=np.int64)
    np.add.at(out, groups, values)
    return out


def _global_ends(values: Int, groups: Int, totals: Int, base: Int) -> Int:
    """End of each item on the global axis: group base + cumulative amount within the group."""
    before = np.cumsum(totals) - totals
    return base[groups] + np.cumsum(values) - before[groups]


def _covering(ends: Int, amounts: Int, starts: Int) -> Int:
    """Index of the item whose stretch [end − amount, end) covers each start; -1 where none does."""
    idx = np.searchsorted(ends, starts, side="right")
    inside = idx < len(ends)
    safe = np.minimum(idx, len(ends) - 1)
    covered = inside & (ends[safe] - amounts[safe] <= starts)
    return np.where(covered, idx, -1)


# ------------------------------------------------------------------------------------------------------ receipts


def prepare_receipts(
    transactions: pd.DataFrame,
    assets: pd.DataFrame,
    obligors: pd.DataFrame | None,
    accounts: pd.DataFrame | None,
    periods: Sequence[CollectionPeriod],
    rules: ServicingRules,
) -> tuple[pd.DataFrame, int]:
    """Credits once per transaction id, with fen amount, day number, period, tag and the asset/obligor found."""
    credits = transactions[transactions["direction"] == "credit"]
    unique = credits.drop_duplicates(subset=["transaction_id"], keep="first")
    rec = pd.DataFrame({"transaction_id": unique["transaction_id"].to_numpy()})
    rec["day"] = day_numbers(unique["value_date"])
    rec["amount_fen"] = _fen_column(unique)
    rec["period"] = period_index(rec["day"].to_numpy(), list(periods))
    reference = unique["reference"].fillna("").astype(str).reset_index(drop=True)
    rec["kind"] = _tags(reference, rules.tags)
    rec["asset_id"] = _asset_from_reference(reference, assets)
    owner = assets.set_index("asset_id")["obligor_id"]
    rec["obligor_id"] = rec["asset_id"].map(owner).astype(object)
    rec["match"] = rec["asset_id"].notna().map({True: "reference", False: None}).astype(object)
    for column, how in (("counterparty_account", "account"), ("counterparty_name", "name")):
        lookup = _obligor_lookup(column, obligors, accounts)
        if lookup is None:
            continue
        found = unique[column].fillna("").astype(str).str.strip().reset_index(drop=True).map(lookup)
        fill = rec["obligor_id"].isna() & found.notna()
        rec.loc[fill, "obligor_id"] = found[fill]
        rec.loc[fill, "match"] = how
    return rec, len(credits) - len(unique)


def _fen_column(frame: pd.DataFrame) -> Int:
    """Amounts in integer fen (``amount_fen`` if given, else exact from the Decimal ``amount``)."""
    if "amount_fen" in frame.columns:
        return frame["amount_fen"].to_numpy(dtype=np.int64)
    return np.asarray([int(Decimal(a).scaleb(2)) for a in frame["amount"]], dtype=np.int64)


def _tags(reference: pd.Series, tags: Mapping[str, str]) -> npt.NDArray[np.object_]:
    """The first tag whose pattern the reference matches (in the rules' order), else ``collection``."""
    kind = np.full(len(reference), "collection", dtype=object)
    for name, pattern in reversed(list(tags.items())):
        kind[reference.str.contains(pattern, regex=True, case=False).to_numpy(dtype=bool)] = name
    return kind


def _asset_from_reference(reference: pd.Series, assets: pd.DataFrame) -> pd.Series:
    """The asset named by the first reference token that is an asset id or a contract number.

    Tokenised in Arrow (``split_pattern_regex`` → flattened tokens → ``index_in`` the key set): no Python object
    per token; the first hit of each reference wins.
    """
    keys = pd.Series(assets["asset_id"].to_numpy(), index=assets["asset_id"].to_numpy())
    if "contract_no" in assets.columns:
        contracts = assets.dropna(subset=["contract_no"])
        keys = pd.concat([keys, pd.Series(contracts["asset_id"].to_numpy(), index=contracts["contract_no"])])
    keys = keys[~keys.index.duplicated(keep="first")]
    keys = keys[[isinstance(k, str) for k in keys.index]]  # tokens are strings: only string keys can match
    out = np.full(len(reference), np.nan, dtype=object)
    if len(reference) and len(keys):
        text = pa.array(reference.to_numpy(dtype=object), type=pa.string())
        lists = pc.split_pattern_regex(text, r"[^A-Za-z0-9_-]+")
        position = pc.index_in(pc.list_flatten(lists), value_set=pa.array(list(keys.index), type=pa.string()))
        parent = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
        hit = position.is_valid().to_numpy(zero_copy_only=False)
        rows, first = np.unique(parent[hit], return_index=True)
        found = position.filter(position.is_valid()).to_numpy(zero_copy_only=False)[first]
        out[rows] = keys.to_numpy(dtype=object)[found]
    return pd.Series(out, dtype=object)


def _obligor_lookup(
    column: str, obligors: pd.DataFrame | None, accounts: pd.DataFrame | None
) -> pd.Series | None:
    """counterparty account → obligor (from ``accounts``) or counterparty name → obligor (from ``obligors``)."""
    if column == "counterparty_account" and accounts is not None and len(accounts):
        table = accounts.assign(key=accounts["counterparty_account"].astype(str).str.strip())
    elif column == "counterparty_name" and obligors is not None and len(obligors):
        table = obligors.assign(key=obligors["name"].astype(str).str.strip())
    else:
        return None
    table = table.drop_duplicates(
        subset=["key"], keep=False
    )  # an ambiguous account or name identifies nobody
    return pd.Series(table["obligor_id"].to_numpy(), index=table["key"].to_numpy())


# ------------------------------------------------------------------------------------------------- the run itself


@dataclass
class _Book:
    """Mutable state of one reconciliation: due lines and receipts as aligned numpy arrays, allocations so far."""

    line_due: Int
    line_asset: Int
    line_obligor: Int
    line_day: Int
    line_component: Int
    need: Int
    paid: Int
    prepaid: Int
    waived: Int
    rec_asset: Int
    rec_obligor: Int
    rec_day: Int
    rec_period: Int
    rec_kind: npt.NDArray[np.object_]
    left: Int
    allocations: list[tuple[str, Int, Int, Int]] = field(default_factory=list)

    def remaining(self) -> Int:
        """Amount still owed on each line."""
        return self.need - self.paid - self.prepaid - self.waived

    def apply(self, kind: str, lines: Int, line_key: Int, receipts: Int, rec_key: Int, owed: Int) -> Int:
        """FIFO-allocate the receipts' unallocated amounts to the lines' ``owed`` within equal keys (in order)."""
        lines = lines[np.argsort(line_key[lines], kind="stable")]
        receipts = receipts[np.argsort(rec_key[receipts], kind="stable")]
        ni, hi, amount = fifo(owed[lines], line_key[lines], self.left[receipts], rec_key[receipts])
        line_ids, rec_ids = lines[ni], receipts[hi]
        np.subtract.at(self.left, rec_ids, amount)
        self.allocations.append((kind, line_ids, rec_ids, amount))
        return _sum_at(len(self.need), line_ids, amount)


def _sum_at(size: int, ids: Int, amount: Int) -> Int:
    """A zero vector with amounts added at ``ids``."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, ids, amount)
    return out


def reconcile(
    transactions: pd.DataFrame,
    dues: pd.DataFrame,
    assets: pd.DataFrame,
    periods: Sequence[CollectionPeriod],
    *,
    as_of: date | None = None,
    obligors: pd.DataFrame | None = None,
    accounts: pd.DataFrame | None = None,
    rules: ServicingRules | None = None,
    calendar: HolidayCalendar | None = None,
) -> Reconciliation:
    """Match bank transactions to scheduled dues up to ``as_of`` (default: the last period's end)."""
    rules = rules or ServicingRules()
    calendar = calendar or cn_holidays()
    as_of_day = _day(as_of or periods[-1].end)
    rec, duplicates = prepare_receipts(transactions, assets, obligors, accounts, periods, rules)
    rec = rec[rec["day"].to_numpy() <= as_of_day].sort_values(["day", "transaction_id"], kind="stable")
    rec = rec.reset_index(drop=True)
    table = dues.sort_values(["obligor_id", "due_date", "asset_id"], kind="stable").reset_index(drop=True)
    universe = pd.Index(pd.unique(assets["asset_id"]))
    obligor_ids = pd.Index(pd.unique(assets["obligor_id"]))
    book = _new_book(table, rec, universe, obligor_ids)
    ends = [_day(p.end) for p in periods]
    for k, end in enumerate(ends):
        if end > as_of_day and k > 0 and ends[k - 1] >= as_of_day:
            break
        _collect_period(book, rec, k, min(end, as_of_day), rules)
    claims, claim_lines = _claims(table, book, rec, as_of_day, rules, calendar, assets)
    _pay_claims(book, rec, claim_lines)
    dues_out = _dues_status(table, book, rec, as_of_day, rules, calendar)
    receipts_out = _receipts_out(rec, book, transactions)
    claims = _claims_paid(claims, claim_lines, book)
    collections = _period_collections(receipts_out, dues_out, table, book, periods, as_of_day)
    return Reconciliation(
        receipts=receipts_out,
        dues=dues_out,
        suspense=_suspense(receipts_out),
        claims=claims,
        collections=collections,
        duplicates=duplicates,
    )


def _day(day: date) -> int:
    """Day number of a date."""
    return (day - EPOCH).days


def _new_book(table: pd.DataFrame, rec: pd.DataFrame, assets: pd.Index, obligors: pd.Index) -> _Book:
    """Due lines (interest line then principal line per due, in due order) and receipts as arrays."""
    n = len(table)
    order = np.arange(2 * n)
    due = order // 2
    component = order % 2
    need = np.empty(2 * n, dtype=np.int64)
    need[0::2], need[1::2] = (
        table["interest_fen"].to_numpy(np.int64),
        table["principal_fen"].to_numpy(np.int64),
    )
    zeros = np.zeros(2 * n, dtype=np.int64)
    return _Book(
        line_due=due,
        line_asset=_codes(table["asset_id"], assets)[due],
        line_obligor=_codes(table["obligor_id"], obligors)[due],
        line_day=day_numbers(table["due_date"])[due],
        line_component=component,
        need=need,
        paid=zeros.copy(),
        prepaid=zeros.copy(),
        waived=zeros.copy(),
        rec_asset=_codes(rec["asset_id"], assets),
        rec_obligor=_codes(rec["obligor_id"], obligors),
        rec_day=rec["day"].to_numpy(np.int64),
        rec_period=rec["period"].to_numpy(np.int64),
        rec_kind=np.asarray(rec["kind"].to_numpy(), dtype=object),
        left=rec["amount_fen"].to_numpy(np.int64).copy(),
    )


def _codes(values: pd.Series, universe: pd.Index) -> Int:
    """Integer codes of values in a universe of keys (-1 if absent or missing).

    Values are factorised first (one hash pass over the long column), then only the distinct values are looked
    up in the universe — the long column is never converted to Python objects.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    where = np.append(np.asarray(universe.get_indexer(pd.Index(distinct)), dtype=np.int64), -1)
    return where[codes]  # code -1 (missing) picks the appended -1


def _collect_period(book: _Book, rec: pd.DataFrame, k: int, end: int, rules: ServicingRules) -> None:
    """Period k: collections pay dues due by its end (asset level, then obligor level); then prepayments."""
    kind = book.rec_kind
    in_period = book.rec_period == k
    collection = in_period & (kind == "collection")
    for line_key, rec_key, extra in (
        (book.line_asset, book.rec_asset, book.rec_asset >= 0),
        (book.line_obligor, book.rec_obligor, book.rec_asset < 0),
    ):
        receipts = np.flatnonzero(collection & extra & (rec_key >= 0) & (book.left > 0))
        owed = book.remaining()
        lines = np.flatnonzero((book.line_day <= end) & (owed > 0))
        if len(receipts) and len(lines):
            book.paid += book.apply("due", lines, line_key, receipts, rec_key, owed)
    prepay = in_period & (book.rec_asset >= 0) & (book.left > 0) & (kind == "prepayment")
    if rules.overpayment == "prepayment":
        prepay |= collection & (book.rec_asset >= 0) & (book.left > 0)
    if prepay.any():
        _prepay(book, np.flatnonzero(prepay), end)


def _prepay(book: _Book, receipts: Int, end: int) -> None:
    """Apply prepayments to future principal, last instalment first; waive later interest of assets paid off."""
    owed = book.remaining()
    future = (book.line_day > end) & (book.line_component == 1) & (owed > 0)
    lines = np.flatnonzero(future)[::-1]
    if len(lines) == 0:
        return
    book.prepaid += book.apply("prepayment", lines, book.line_asset, receipts, book.rec_asset, owed)
    principal_left = _sum_at(
        int(book.line_asset.max()) + 1, book.line_asset[future], book.remaining()[future]
    )
    touched = np.unique(book.rec_asset[receipts])
    paid_off = touched[principal_left[touched] == 0]
    waive = (book.line_day > end) & (book.line_component == 0) & np.isin(book.line_asset, paid_off)
    book.waived[waive] += book.remaining()[waive]


def _paid_before(book: _Book, kind: str, cutoff_day: Int) -> Int:
    """Per line, the amount allocated (of this kind) from receipts dated before the line's cutoff day."""
    out = np.zeros(len(book.need), dtype=np.int64)
    for what, line_ids, rec_ids, amount in book.allocations:
        if what == kind:
            early = book.rec_day[rec_ids] < cutoff_day[line_ids]
            np.add.at(out, line_ids[early], amount[early])
    return out


def _adjusted_days(table: pd.DataFrame, rules: ServicingRules, calendar: HolidayCalendar) -> Int:
    """Business-day adjusted due dates as day numbers (lateness is measured from them)."""
    unique = pd.unique(table["due_date"])
    mapping = {d: _day(adjust(d, rules.business_day, calendar)) for d in unique}
    return table["due_date"].map(mapping).to_numpy(np.int64)


def _claims(
    table: pd.DataFrame,
    book: _Book,
    rec: pd.DataFrame,
    as_of_day: int,
    rules: ServicingRules,
    calendar: HolidayCalendar,
    assets: pd.DataFrame,
) -> tuple[pd.DataFrame, Int]:
    """Claims on the guarantee for dues short at the end of grace; and the claim amount per due line."""
    adjusted = _adjusted_days(table, rules, calendar)
    default_day = adjusted + rules.grace_days + 1
    line_default = default_day[book.line_due]
    short = book.need - _paid_before(book, "due", line_default) - book.prepaid - book.waived
    short = np.where(line_default <= as_of_day, np.maximum(short, 0), 0)
    per_due = short.reshape(-1, 2)
    defaulted = per_due.sum(axis=1) > 0
    claims = table.loc[defaulted, ["asset_id", "obligor_id", "due_date"]].copy()
    if "guarantor_id" in assets.columns:
        claims["guarantor_id"] = claims["asset_id"].map(assets.set_index("asset_id")["guarantor_id"])
    claims["interest_fen"] = per_due[defaulted, 0]
    claims["principal_fen"] = per_due[defaulted, 1]
    claims["amount_fen"] = per_due[defaulted].sum(axis=1)
    claim_day = default_day[defaulted]
    claims["claim_date"] = _dates(claim_day)
    claims["expected_payment_date"] = _dates(claim_day + rules.claim_delay_days)
    return claims.reset_index(drop=True), short


def _pay_claims(book: _Book, rec: pd.DataFrame, claim_lines: Int) -> None:
    """Guarantee receipts pay the asset's open claims, oldest due first, interest before principal."""
    receipts = np.flatnonzero((book.rec_kind == "guarantee") & (book.rec_asset >= 0) & (book.rec_period >= 0))
    lines = np.flatnonzero(claim_lines > 0)
    if len(receipts) and len(lines):
        book.apply("guarantee", lines, book.line_asset, receipts, book.rec_asset, claim_lines)


def _dates(days: Int) -> npt.NDArray[np.object_]:
    """Day numbers as ``date`` objects."""
    return np.asarray(days, dtype="datetime64[D]").astype(object)


def _allocated(
    book: _Book, kind: str, by: Literal["line", "receipt"], size: int, component: int | None = None
) -> Int:
    """Sum of allocations of a kind per line or per receipt, optionally for one line component."""
    out = np.zeros(size, dtype=np.int64)
    for what, line_ids, rec_ids, amount in book.allocations:
        if what != kind:
            continue
        keep = (
            np.ones(len(amount), dtype=bool)
            if component is None
            else book.line_component[line_ids] == component
        )
        np.add.at(out, (line_ids if by == "line" else rec_ids)[keep], amount[keep])
    return out


def _last_paid_day(book: _Book) -> Int:
    """Per due, the latest value date of a receipt that paid it (-1 if none)."""
    out = np.full(len(book.need) // 2, -1, dtype=np.int64)
    for what, line_ids, rec_ids, _ in book.allocations:
        if what == "due":
            np.maximum.at(out, book.line_due[line_ids], book.rec_day[rec_ids])
    return out


def _dues_status(
    table: pd.DataFrame,
    book: _Book,
    rec: pd.DataFrame,
    as_of_day: int,
    rules: ServicingRules,
    calendar: HolidayCalendar,
) -> pd.DataFrame:
    """Dues with paid, prepaid, shortfall, days past due, bucket, status and default date."""
    pair = lambda v: v.reshape(-1, 2)  # noqa: E731 - interest and principal columns of each due
    adjusted = _adjusted_days(table, rules, calendar)
    need, paid = pair(book.need), pair(book.paid)
    settled = pair(book.prepaid + book.waived).sum(axis=1)
    shortfall = need.sum(axis=1) - paid.sum(axis=1) - settled
    last = _last_paid_day(book)
    late = np.where((shortfall == 0) & (last >= 0), np.maximum(last - adjusted, 0), 0)
    dpd = np.where((shortfall > 0) & (adjusted <= as_of_day), as_of_day - adjusted, 0)
    default_day = adjusted + rules.grace_days + 1
    out = table[["asset_id", "obligor_id", "due_date"]].copy()
    out["interest_fen"], out["principal_fen"] = need[:, 0], need[:, 1]
    out["paid_interest_fen"], out["paid_principal_fen"] = paid[:, 0], paid[:, 1]
    out["prepaid_fen"] = pair(book.prepaid).sum(axis=1)
    out["waived_fen"] = pair(book.waived).sum(axis=1)
    out["shortfall_fen"] = shortfall
    out["days_late"] = late
    out["dpd"] = dpd
    out["dpd_bucket"] = np.select(
        [dpd == 0, dpd <= 30, dpd <= 60, dpd <= 90], DPD_BUCKETS[:4], DPD_BUCKETS[4]
    )
    claimed = pd.Series(False, index=out.index)
    defaulted = _defaulted_dues(table, book, as_of_day, default_day)
    claimed[defaulted] = True
    out["status"] = np.select(
        [
            defaulted,
            (shortfall > 0) & (adjusted > as_of_day),
            (shortfall == 0) & (settled > 0) & (paid.sum(axis=1) == 0),
            (shortfall == 0) & (late > 0),
            shortfall == 0,
            paid.sum(axis=1) > 0,
        ],
        ["defaulted", "not_due", "prepaid", "paid_late", "paid", "partial"],
        "overdue",
    )
    out["default_date"] = pd.Series(_dates(default_day), index=out.index).where(defaulted, None)
    out["balance_fen"] = table["balance_fen"].to_numpy()
    return out


def _defaulted_dues(
    table: pd.DataFrame, book: _Book, as_of_day: int, default_day: Int
) -> npt.NDArray[np.bool_]:
    """Dues short at the end of their grace period (and that period is over by ``as_of``)."""
    line_default = default_day[book.line_due]
    short = book.need - _paid_before(book, "due", line_default) - book.prepaid - book.waived
    return (short.reshape(-1, 2).sum(axis=1) > 0) & (default_day <= as_of_day)


def _receipts_out(rec: pd.DataFrame, book: _Book, transactions: pd.DataFrame) -> pd.DataFrame:
    """Receipts with what each paid: interest, principal, prepayment, recovery, guarantee; the rest in suspense."""
    n = len(rec)
    out = rec[
        ["transaction_id", "day", "amount_fen", "kind", "asset_id", "obligor_id", "match", "period"]
    ].copy()
    out["interest_fen"] = _allocated(book, "due", "receipt", n, 0)
    out["principal_fen"] = _allocated(book, "due", "receipt", n, 1)
    out["prepayment_fen"] = _allocated(book, "prepayment", "receipt", n)
    is_recovery = rec["kind"].isin(["recovery", "data_recovery"]).to_numpy() & (book.rec_period >= 0)
    out["recovery_fen"] = np.where(is_recovery, book.left, 0)
    book.left[is_recovery] = 0
    out["guarantee_interest_fen"] = _allocated(book, "guarantee", "receipt", n, 0)
    out["guarantee_principal_fen"] = _allocated(book, "guarantee", "receipt", n, 1)
    out["suspense_fen"] = book.left.copy()
    out.insert(1, "value_date", out.pop("day").to_numpy().astype("datetime64[D]"))
    return out


def _suspense(receipts: pd.DataFrame) -> pd.DataFrame:
    """Unallocated receipt amounts (挂账) with the reason."""
    held = receipts[receipts["suspense_fen"] > 0]
    reason = np.select(
        [
            held["period"] < 0,
            held["asset_id"].isna() & held["obligor_id"].isna(),
            held["kind"] == "guarantee",
            held["kind"] == "prepayment",
        ],
        [
            "value date outside the collection periods",
            "unidentified receipt",
            "guarantee payment above the claims",
            "prepayment above the outstanding principal",
        ],
        "overpayment",
    )
    out = held[["transaction_id", "value_date", "kind", "asset_id", "obligor_id", "period"]].copy()
    out["amount_fen"] = held["suspense_fen"]
    out["reason"] = reason
    return out.reset_index(drop=True)


def _claims_paid(claims: pd.DataFrame, claim_lines: Int, book: _Book) -> pd.DataFrame:
    """Claims with what the guarantor has paid on them and what is still outstanding."""
    paid = _allocated(book, "guarantee", "line", len(book.need)).reshape(-1, 2).sum(axis=1)
    per_due = claim_lines.reshape(-1, 2).sum(axis=1) > 0
    out = claims.copy()
    out["paid_fen"] = paid[per_due]
    out["outstanding_fen"] = out["amount_fen"] - out["paid_fen"]
    return out


def _period_collections(
    receipts: pd.DataFrame,
    dues: pd.DataFrame,
    table: pd.DataFrame,
    book: _Book,
    periods: Sequence[CollectionPeriod],
    as_of_day: int,
) -> list[PeriodCollections]:
    """Cash by period for the waterfall, with defaults and the performing balance at each period end."""
    count = len(periods)
    ends = np.asarray([_day(p.end) for p in periods], dtype=np.int64)
    inside = receipts[receipts["period"] >= 0]
    sums = inside.groupby("period")[list(MONEY)].sum().reindex(range(count), fill_value=0)
    default_amount, default_period = _asset_defaults(dues, ends)
    defaults = _sum_at(count + 1, np.minimum(default_period, count), default_amount)[:count]
    balance = _performing_balance(table, book, ends, default_period)
    result = []
    for k, period in enumerate(periods):
        if ends[k] > as_of_day and (k == 0 or ends[k - 1] >= as_of_day):
            break
        row = sums.loc[k]
        result.append(
            PeriodCollections(
                payment_date=period.payment_date,
                interest=from_fen(int(row["interest_fen"])),
                principal=from_fen(int(row["principal_fen"] + row["prepayment_fen"])),
                recoveries=from_fen(int(row["recovery_fen"])),
                guarantee_interest=from_fen(int(row["guarantee_interest_fen"])),
                guarantee_principal=from_fen(int(row["guarantee_principal_fen"])),
                defaults=from_fen(int(defaults[k])),
                cumulative_defaults=from_fen(int(defaults[: k + 1].sum())),
                pool_balance=from_fen(int(balance[k])),
            )
        )
    return result


def _asset_defaults(dues: pd.DataFrame, ends: Int) -> tuple[Int, Int]:
    """Per asset (in first-appearance order of ``dues``), its defaulted balance and the period it defaulted in."""
    assets = pd.Index(pd.unique(dues["asset_id"]))
    first = dues[dues["status"] == "defaulted"].sort_values("due_date").drop_duplicates("asset_id")
    amount = np.zeros(len(assets), dtype=np.int64)
    period = np.full(len(assets), len(ends), dtype=np.int64)
    where = assets.get_indexer(first["asset_id"])
    amount[where] = first["balance_fen"].to_numpy(np.int64)
    period[where] = np.searchsorted(ends, day_numbers(first["default_date"]), side="left")
    return amount, period


def _performing_balance(table: pd.DataFrame, book: _Book, ends: Int, default_period: Int) -> Int:
    """Σ over assets not yet defaulted of opening principal − scheduled principal due − prepayments, per period."""
    count = len(ends)
    assets = pd.Index(pd.unique(table["asset_id"]))
    asset_of_due = assets.get_indexer(table["asset_id"])
    opening = table.groupby("asset_id", sort=False)["balance_fen"].max().reindex(assets).to_numpy(np.int64)
    delta = np.zeros(count + 2, dtype=np.int64)
    np.add.at(delta, 0, opening.sum())
    np.add.at(delta, np.minimum(default_period, count + 1), -opening)
    principal = book.line_component == 1
    line_asset = asset_of_due[book.line_due[principal]]
    scheduled = (book.need - book.prepaid)[principal]
    due_period = np.searchsorted(ends, book.line_day[principal], side="left")
    _add_until(delta, due_period, default_period[line_asset], -scheduled, count)
    for what, line_ids, rec_ids, amount in book.allocations:
        if what == "prepayment":
            _add_until(
                delta,
                book.rec_period[rec_ids],
                default_period[asset_of_due[book.line_due[line_ids]]],
                -amount,
                count,
            )
    return np.cumsum(delta)[:count]


def _add_until(delta: Int, start: Int, stop: Int, amount: Int, count: int) -> None:
    """Add ``amount`` to periods start..stop-1 of a difference array (nothing where start ≥ stop)."""
    live = start < stop
    np.add.at(delta, np.minimum(start[live], count + 1), amount[live])
    np.add.at(delta, np.minimum(stop[live], count + 1), -amount[live])
