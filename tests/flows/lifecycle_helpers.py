"""Helpers of the lifecycle tests: run the real flow, read the real ledger, edit package copies."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pandas as pd
from sqlmodel import SQLModel, func, select

from dataabs.ledger import store
from dataabs.ledger.db import get_engine, session_scope
from flows.lifecycle import lifecycle

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def run(deal_dir: Path, out: Path, sandbox: str, stages: list[str] | None = None) -> dict[str, str]:
    """Run the lifecycle flow for real against the session's Prefect server."""
    return lifecycle(
        deal_dir=str(deal_dir), stages=stages, out_dir=str(out), counterparties={"registry": sandbox}
    )


def states(deal_id: str) -> dict[str, str]:
    """Stage → status from the ledger."""
    with session_scope(get_engine()) as session:
        return {view.stage: view.status for view in store.stage_states(session, deal_id)}


def count(model: type[SQLModel], deal_id: str) -> int:
    """Rows of a ledger table for one deal."""
    with session_scope(get_engine()) as session:
        return int(
            session.exec(select(func.count()).select_from(model).where(model.deal_id == deal_id)).one()
        )  # type: ignore[attr-defined]


def id_number(first17: str) -> str:
    """A mainland ID number with its GB 11643 check digit (an independent oracle for the scanner)."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def edit_csv(path: Path, edit: Any) -> None:
    """Rewrite a CSV of the package through a DataFrame edit (text columns kept as text)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    edited = edit(frame)
    frame = frame if edited is None else edited
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes (to prove a folder was left untouched)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def luhn_valid(number: str) -> bool:
    """Luhn check (an independent oracle for the bank-card scanner)."""
    digits = [int(d) for d in reversed(number)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def wrong_id_number(valid: str) -> str:
    """The same ID number with a wrong check digit that is not a Luhn-valid card number either."""
    return next(
        valid[:-1] + c
        for c in "0123456789X"
        if c != valid[-1] and not luhn_valid(valid[:-1] + c.replace("X", "0"))
    )
