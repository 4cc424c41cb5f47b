"""Freeze the pool at the cut-off date (封包): canonical CSV bytes of the selected assets, their SHA-256, the summary.

The snapshot holds the asset-tape columns of the selected pool (contract order), sorted by ``asset_id``, rendered
canonically — money to the fen, rates as plain decimals, ISO dates, ``true``/``false``, blanks for missing — as
UTF-8 CSV with ``\\n`` line ends. The same pool always gives the same bytes and hash, whatever the row order or
the dtypes of the frame it came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from dataabs.money import round_fen, to_money
from dataabs.package.tapes import TAPES
from dataabs.pool.constraints import PoolMeasures
from dataabs.pool.rules import candidate_frame

SNAPSHOT_COLUMNS: tuple[str, ...] = tuple(c.name for c in TAPES["assets"].columns)
KINDS: dict[str, str] = {c.name: c.kind for c in TAPES["assets"].columns}
SUMMARY_KEYS = (
    "asset_count",
    "principal_total",
    "data_pledged_share",
    "max_obligor_share",
    "hhi",
    "effective_obligors",
    "wa_rate",
    "wa_remaining_term_months",
)


@dataclass(frozen=True)
class PoolSnapshot:
    """The frozen pool: cut-off, canonical CSV bytes and their SHA-256; ``frame()`` gives a fresh copy."""

    cut_off: date
    csv_bytes: bytes
    sha256: str
    asset_ids: tuple[str, ...]
    _frame: pd.DataFrame = field(repr=False, compare=False)

    def frame(self) -> pd.DataFrame:
        """A copy of the frozen pool frame (sorted by asset_id); the snapshot itself never changes."""
        return self._frame.copy()

    def verify(self) -> bool:
        """True when the bytes still hash to the recorded SHA-256."""
        return hashlib.sha256(self.csv_bytes).hexdigest() == self.sha256


def freeze(pool: pd.DataFrame, cut_off: date) -> PoolSnapshot:
    """Freeze a selected pool frame at the cut-off (封包)."""
    ordered = pool.sort_values("asset_id", kind="stable").reset_index(drop=True)
    data = canonical_csv(ordered)
    ids = tuple(str(a) for a in ordered["asset_id"])
    return PoolSnapshot(cut_off, data, hashlib.sha256(data).hexdigest(), ids, ordered.copy())


def canonical_csv(frame: pd.DataFrame) -> bytes:
    """The asset-tape columns of a frame as canonical UTF-8 CSV bytes (row order as given)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(SNAPSHOT_COLUMNS)
    present = [c for c in SNAPSHOT_COLUMNS if c in frame.columns]
    rendered = {c: [_render(v, KINDS[c]) for v in frame[c].tolist()] for c in present}
    blank = [""] * len(frame)
    writer.writerows(zip(*(rendered.get(c, blank) for c in SNAPSHOT_COLUMNS), strict=True))
    return buffer.getvalue().encode("utf-8")


def _render(value: Any, kind: str) -> str:
    """One cell in canonical text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if kind == "money":
        return f"{round_fen(to_money(value)):f}"
    if kind == "rate":
        text = f"{to_money(value).normalize():f}"
        return text
    if kind == "date":
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if kind == "bool":
        return "true" if value is True or str(value).strip().lower() in ("true", "1") else "false"
    if kind == "int":
        return str(int(value))
    return str(value).strip()


def pool_summary(
    frame: pd.DataFrame, data_assets: pd.DataFrame, obligors: pd.DataFrame, cut_off: date | None = None
) -> dict[str, Any]:
    """The ``pool/summary.json`` contract; a raw asset tape is joined and measured first (then ``cut_off`` is needed)."""
    if "principal_fen" not in frame.columns:
        if cut_off is None:
            raise ValueError("pool_summary of a raw asset tape needs the cut-off date")
        frame = candidate_frame(frame, obligors, data_assets, cut_off)
    pledged = (
        frame["data_pledged"].to_numpy(dtype=bool)
        & frame["data_asset_id"].isin(data_assets["data_asset_id"]).to_numpy()
    )
    m = PoolMeasures.of(frame.assign(data_pledged=pledged))
    hhi = m.hhi()
    return {
        "asset_count": len(frame),
        "principal_total": str(Decimal(m.total_fen).scaleb(-2)),
        "data_pledged_share": round(m.share(m.pledged_fen), 6),
        "max_obligor_share": round(m.share(m.by_obligor.iloc[0]) if len(m.by_obligor) else 0.0, 6),
        "hhi": round(hhi, 6),
        "effective_obligors": round(1.0 / hhi, 6) if hhi > 0 else 0.0,
        "wa_rate": round(m.wa_rate, 6),
        "wa_remaining_term_months": round(m.wa_term, 6),
    }
