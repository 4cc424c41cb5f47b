"""k-anonymity (k-匿名) over the declared quasi-identifiers of a sample."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class KAnonymity:
    """The smallest equivalence class and how many records sit in classes smaller than ``k``."""

    quasi_identifiers: tuple[str, ...]
    k: int
    smallest_class: int
    classes: int
    records: int
    records_below_k: int

    @property
    def satisfied(self) -> bool:
        """True when every equivalence class has at least ``k`` records (an empty table is trivially k-anonymous)."""
        return self.records_below_k == 0


def k_anonymity(frame: pd.DataFrame, quasi_identifiers: Sequence[str], k: int) -> KAnonymity:
    """Group records by their quasi-identifier values (a blank is a value of its own) and measure the classes."""
    qi = tuple(quasi_identifiers)
    if not qi:
        raise ValueError("k-anonymity needs at least one quasi-identifier")
    missing = [c for c in qi if c not in frame.columns]
    if missing:
        raise KeyError(f"quasi-identifier column(s) not in the sample: {', '.join(missing)}")
    if frame.empty:
        return KAnonymity(qi, k, smallest_class=0, classes=0, records=0, records_below_k=0)
    sizes = frame.groupby(list(qi), dropna=False, sort=False, observed=True).size()
    return KAnonymity(
        quasi_identifiers=qi,
        k=k,
        smallest_class=int(sizes.min()),
        classes=len(sizes),
        records=len(frame),
        records_below_k=int(sizes[sizes < k].sum()),
    )
