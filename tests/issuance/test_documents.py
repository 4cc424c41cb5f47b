"""The document checklist: required flags per deal model, hashes of the files on hand, blocking on a gap."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dataabs.errors import PackageInvalid
from dataabs.issuance.documents import (
    CHECKLIST,
    DOCUMENT_COLUMNS,
    IssuanceBlocked,
    blocking_documents,
    check_documents,
    documents_frame,
    ensure_issuable,
)


def declare_all(package: Path, skip: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Write one small file per checklist document (except ``skip``) and declare them."""
    (package / "docs").mkdir(parents=True, exist_ok=True)
    declared = []
    for doc in CHECKLIST:
        file = f"docs/{doc.id}.pdf"
        declared.append({"id": doc.id, "file": file})
        if doc.id not in skip:
            (package / file).write_bytes(f"%PDF {doc.id}".encode())
    return declared


def test_a_complete_package_does_not_block_and_every_file_is_hashed(tmp_path: Path) -> None:
    rows = check_documents(tmp_path, declare_all(tmp_path))
    assert blocking_documents(rows) == []
    ensure_issuable(tmp_path, rows)
    prospectus = next(r for r in rows if r.id == "prospectus")
    assert prospectus.name_zh == "计划说明书" and prospectus.required
    assert prospectus.status == "present"
    assert prospectus.sha256 == hashlib.sha256(b"%PDF prospectus").hexdigest()


def test_a_missing_required_document_blocks_issuance(tmp_path: Path) -> None:
    rows = check_documents(tmp_path, declare_all(tmp_path, skip=("pledge_evidence",)))
    blocking = blocking_documents(rows)
    assert [r.id for r in blocking] == ["pledge_evidence"]
    assert blocking[0].status == "missing" and blocking[0].sha256 is None
    with pytest.raises(
        IssuanceBlocked, match=r"pledge_evidence \(质押登记证明 Pledge registration evidence\)"
    ):
        ensure_issuable(tmp_path, rows)


def test_an_undeclared_required_document_blocks_too(tmp_path: Path) -> None:
    declared = [d for d in declare_all(tmp_path) if d["id"] != "legal_opinion"]
    rows = check_documents(tmp_path, declared)
    assert [r.id for r in blocking_documents(rows)] == ["legal_opinion"]
    assert next(r for r in rows if r.id == "legal_opinion").file is None


def test_required_flags_follow_the_deal_model(tmp_path: Path) -> None:
    declared = declare_all(
        tmp_path, skip=("pledge_evidence", "registration_evidence", "data_asset_appraisal")
    )
    pledged = check_documents(tmp_path, declared, model="data_pledged_loan")
    empowered = check_documents(tmp_path, declared, model="data_empowered")
    assert len(blocking_documents(pledged)) == 3
    assert blocking_documents(empowered) == []
    assert next(r for r in empowered if r.id == "data_quality_report").required


def test_post_issuance_documents_never_block(tmp_path: Path) -> None:
    rows = check_documents(tmp_path, declare_all(tmp_path, skip=("amac_filing", "listing_notice")))
    assert blocking_documents(rows) == []
    assert {r.id for r in rows if r.stage == "post_issuance"} >= {"amac_filing", "listing_notice"}


def test_empty_files_and_paths_outside_the_package_count_as_missing(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    declared = declare_all(package)
    (package / "docs" / "rating_report.pdf").write_bytes(b"")
    (tmp_path / "outside.pdf").write_bytes(b"%PDF elsewhere")
    for item in declared:
        if item["id"] == "legal_opinion":
            item["file"] = "../outside.pdf"
    rows = check_documents(package, declared)
    assert {r.id for r in blocking_documents(rows)} == {"rating_report", "legal_opinion"}


def test_unknown_or_repeated_ids_are_reported_with_their_row(tmp_path: Path) -> None:
    declared = [{"id": "prospectus", "file": "a.pdf"}, {"id": "brochure", "file": "b.pdf"}]
    declared.append({"id": "prospectus", "file": "c.pdf"})
    with pytest.raises(PackageInvalid) as raised:
        check_documents(tmp_path, declared)
    text = str(raised.value)
    assert "row 2, column 'id': unknown document id 'brochure'" in text
    assert "row 3, column 'id': document 'prospectus' declared twice" in text


def test_documents_frame_columns(tmp_path: Path) -> None:
    frame = documents_frame(check_documents(tmp_path, declare_all(tmp_path)))
    assert list(frame.columns) == DOCUMENT_COLUMNS
    assert len(frame) == len(CHECKLIST)
