"""Registry evidence kept as fetched: raw answers in the report folder, reloaded for the checks and the ledger."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from dataabs.connectors.http import HttpAnswer, validate_body
from dataabs.connectors.registry import (
    CertificateAnswer,
    PledgeAnswer,
    RegistryEvidence,
    RegistrySnapshot,
)

INDEX = "index.json"


def save_evidence(evidence: dict[str, RegistryEvidence], folder: Path) -> Path:
    """Write every snapshot's raw bytes and an index of where and when each was fetched."""
    folder.mkdir(parents=True, exist_ok=True)
    index: list[dict[str, Any]] = []
    for number, item in sorted(evidence.items()):
        for kind, snapshot in (("certificate", item.certificate), ("pledges", item.pledges)):
            if snapshot is None:
                index.append({"certificate_no": number, "kind": kind, "found": False})
                continue
            name = f"{number}-{kind}.json"
            (folder / name).write_bytes(snapshot.raw)
            index.append(
                {
                    "certificate_no": number,
                    "kind": kind,
                    "found": True,
                    "file": name,
                    "base_url": snapshot.base_url,
                    "path": snapshot.path,
                    "fetched_at": snapshot.fetched_at.isoformat(),
                    "sha256": snapshot.sha256,
                }
            )
    (folder / INDEX).write_text(json.dumps(index, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder / INDEX


def load_evidence(folder: Path) -> dict[str, RegistryEvidence]:
    """Rebuild the evidence map from a folder written by ``save_evidence``."""
    entries = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    parts: dict[str, dict[str, Any]] = {}
    for entry in entries:
        slot = parts.setdefault(entry["certificate_no"], {"certificate": None, "pledges": None})
        if entry["found"]:
            slot[entry["kind"]] = _snapshot(folder, entry)
    return {no: RegistryEvidence(no, slot["certificate"], slot["pledges"]) for no, slot in parts.items()}


def _snapshot(folder: Path, entry: dict[str, Any]) -> RegistrySnapshot[Any]:
    """One stored answer, validated again against the registry's wire model."""
    raw = (folder / entry["file"]).read_bytes()
    answer = HttpAnswer(
        counterparty="registry",
        base_url=entry["base_url"],
        path=entry["path"],
        fetched_at=datetime.fromisoformat(entry["fetched_at"]),
        sha256=entry["sha256"],
        raw=raw,
        body=json.loads(raw),
    )
    model = CertificateAnswer if entry["kind"] == "certificate" else PledgeAnswer
    body = validate_body(model, answer, f"a stored {entry['kind']} answer")
    return RegistrySnapshot(
        body=body,
        base_url=answer.base_url,
        path=answer.path,
        fetched_at=answer.fetched_at,
        sha256=answer.sha256,
        raw=raw,
    )


def snapshot_index(folder: Path) -> list[dict[str, Any]]:
    """The index entries of the stored answers (for ledger rows)."""
    return list(json.loads((folder / INDEX).read_text(encoding="utf-8")))
