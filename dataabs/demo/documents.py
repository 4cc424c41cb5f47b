"""Placeholder offering documents (发行文件) of a demo package: one small Markdown file per required checklist item."""

from __future__ import annotations

from pathlib import Path

from dataabs.issuance.documents import CHECKLIST, DocumentSpec
from dataabs.package.schema import DealModel

DOCUMENTS_DIR = "documents"


def required_documents(model: DealModel) -> list[DocumentSpec]:
    """The checklist documents required before issuance for the deal model, in checklist order."""
    return [d for d in CHECKLIST if model in d.required_for]


def document_path(document: DocumentSpec) -> str:
    """Package path of a document's placeholder file."""
    return f"{DOCUMENTS_DIR}/{document.id}.md"


def document_text(document: DocumentSpec, deal_name: str, deal_id: str) -> str:
    """The placeholder text: a title and a line saying it is synthetic."""
    return (
        f"# {document.name_zh}（{document.name_en}）\n\n"
        f"{deal_name}（`{deal_id}`）\n\n"
        "合成占位文件：示范交易的虚构文件，仅用于系统演示与测试，不构成任何发行文件。\n"
        "Synthetic placeholder for the demo deal; not a real offering document.\n"
    )


def document_entries(model: DealModel) -> list[dict[str, str]]:
    """The deal.yaml ``documents`` entries: checklist id and file of every required document."""
    return [{"id": d.id, "file": document_path(d)} for d in required_documents(model)]


def write_documents(dest: Path, model: DealModel, deal_name: str, deal_id: str) -> None:
    """Write every required document's placeholder file into the package."""
    for document in required_documents(model):
        path = dest / document_path(document)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(document_text(document, deal_name, deal_id), encoding="utf-8")
