"""Governance findings (治理发现): one line each, masked, saying whether it blocks the data asset."""

from __future__ import annotations

from dataclasses import dataclass

FINDING_COLUMNS = ("data_asset_id", "kind", "column", "count", "masked_example", "blocking", "reason")


@dataclass(frozen=True)
class Finding:
    """Something the governance stage found about a data asset; ``masked_example`` never holds raw PII."""

    kind: str
    reason: str
    blocking: bool
    column: str = ""
    count: int = 1
    masked_example: str = ""

    def row(self, data_asset_id: str) -> dict[str, object]:
        """The row of the ``findings`` table (gated by ``expectations/governance.json``)."""
        return {
            "data_asset_id": data_asset_id,
            "kind": self.kind,
            "column": self.column,
            "count": self.count,
            "masked_example": self.masked_example,
            "blocking": self.blocking,
            "reason": self.reason,
        }
