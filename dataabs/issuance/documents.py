"""The issuance document checklist (发行文件清单): which documents a deal model needs, and which are on file.

Documents follow domain §2.6: the application package (prospectus, legal opinion, rating report, cash-flow
forecast, data-asset appraisal and quality reports, registration and pledge evidence, the plan's agreements) and
the exchange process (completeness check → no-objection letter → book-building → coupon announcement → payment
→ establishment → AMAC filing → listing). ``required`` means required before issuance for the deal model;
documents of the steps after payment (``stage == "post_issuance"``) are tracked but never block issuance.
A declared file is ``present`` when it is a non-empty regular file inside the package directory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from dataabs.errors import DataabsError, PackageInvalid, Problem
from dataabs.package.schema import DealModel

Stage = Literal["application", "approval", "pricing", "post_issuance"]
Status = Literal["present", "missing"]

PLEDGE_MODELS: frozenset[DealModel] = frozenset(
    {"data_pledged_loan", "receivable_data_pledge", "leasing_data_pledge"}
)
DATA_RIGHTS_MODELS: frozenset[DealModel] = PLEDGE_MODELS | {"revenue_rights"}
ALL_MODELS: frozenset[DealModel] = DATA_RIGHTS_MODELS | {"data_empowered"}
NONE: frozenset[DealModel] = frozenset()
DOCUMENT_COLUMNS = ["id", "name_zh", "name_en", "stage", "required", "file", "sha256", "status"]


@dataclass(frozen=True)
class DocumentSpec:
    """A document of the checklist and the deal models that need it before issuance."""

    id: str
    name_zh: str
    name_en: str
    stage: Stage
    required_for: frozenset[DealModel]


CHECKLIST: tuple[DocumentSpec, ...] = (
    DocumentSpec("prospectus", "计划说明书", "Prospectus", "application", ALL_MODELS),
    DocumentSpec("standard_terms", "标准条款", "Standard terms", "application", ALL_MODELS),
    DocumentSpec(
        "subscription_agreement",
        "认购协议与风险揭示书",
        "Subscription agreement and risk disclosure",
        "application",
        ALL_MODELS,
    ),
    DocumentSpec(
        "asset_sale_agreement", "基础资产买卖协议", "Asset sale agreement", "application", ALL_MODELS
    ),
    DocumentSpec("servicing_agreement", "服务协议", "Servicing agreement", "application", ALL_MODELS),
    DocumentSpec("custody_agreement", "托管协议", "Custody agreement", "application", ALL_MODELS),
    DocumentSpec("legal_opinion", "法律意见书", "Legal opinion", "application", ALL_MODELS),
    DocumentSpec("rating_report", "评级报告", "Rating report", "application", ALL_MODELS),
    DocumentSpec(
        "cashflow_forecast", "现金流预测报告", "Cash-flow forecast report", "application", ALL_MODELS
    ),
    DocumentSpec("due_diligence_report", "尽职调查报告", "Due diligence report", "application", ALL_MODELS),
    DocumentSpec(
        "data_asset_appraisal",
        "数据资产评估报告",
        "Data-asset appraisal report",
        "application",
        DATA_RIGHTS_MODELS,
    ),
    DocumentSpec("data_quality_report", "数据质量报告", "Data quality report", "application", ALL_MODELS),
    DocumentSpec(
        "registration_evidence",
        "登记证明",
        "Data registration evidence (certificate)",
        "application",
        DATA_RIGHTS_MODELS,
    ),
    DocumentSpec(
        "pledge_evidence", "质押登记证明", "Pledge registration evidence", "application", PLEDGE_MODELS
    ),
    DocumentSpec(
        "credit_support",
        "增信文件（保函/差额支付承诺函）",
        "Credit support (guarantee, shortfall undertaking)",
        "application",
        frozenset({"data_pledged_loan"}),
    ),
    DocumentSpec("no_objection_letter", "无异议函", "Exchange no-objection letter", "approval", ALL_MODELS),
    DocumentSpec("issuance_announcement", "发行公告", "Issuance announcement", "pricing", ALL_MODELS),
    DocumentSpec("coupon_announcement", "票面利率公告", "Coupon announcement", "pricing", NONE),
    DocumentSpec("capital_verification", "验资报告", "Capital verification report", "post_issuance", NONE),
    DocumentSpec(
        "establishment_notice", "成立公告", "Plan establishment announcement", "post_issuance", NONE
    ),
    DocumentSpec("amac_filing", "中基协备案确认函", "AMAC filing confirmation", "post_issuance", NONE),
    DocumentSpec("listing_notice", "挂牌转让通知", "Listing notice", "post_issuance", NONE),
)


@dataclass(frozen=True)
class DocumentRow:
    """One checklist line: the document, whether it is required, the declared file, its hash and status."""

    id: str
    name_zh: str
    name_en: str
    stage: Stage
    required: bool
    file: str | None
    sha256: str | None
    status: Status


class IssuanceBlocked(DataabsError):
    """Issuance is blocked while a required document is missing."""

    exit_code = 3

    def __init__(self, package_dir: str, missing: Sequence[DocumentRow]) -> None:
        self.package_dir, self.missing = package_dir, list(missing)
        names = "; ".join(f"{r.id} ({r.name_zh} {r.name_en})" for r in self.missing)
        super().__init__(
            f"Issuance of {package_dir} is blocked: {len(self.missing)} required document(s) missing: {names}"
        )


def spec(document_id: str) -> DocumentSpec:
    """The checklist entry with this id."""
    return next(s for s in CHECKLIST if s.id == document_id)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _declared_files(package_dir: Path, declared: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Declared file per document id; ``PackageInvalid`` on unknown or repeated ids or missing keys."""
    known = {s.id for s in CHECKLIST}
    files: dict[str, str] = {}
    problems = []
    for row, item in enumerate(declared, start=1):
        doc_id, file = item.get("id"), item.get("file")
        if not doc_id or not file:
            problems.append(Problem(str(package_dir), "a declared document needs both id and file", row=row))
        elif doc_id not in known:
            problems.append(
                Problem(str(package_dir), f"unknown document id {doc_id!r}", row=row, column="id")
            )
        elif doc_id in files:
            problems.append(
                Problem(str(package_dir), f"document {doc_id!r} declared twice", row=row, column="id")
            )
        else:
            files[doc_id] = file
    if problems:
        raise PackageInvalid(str(package_dir), problems)
    return files


def _on_file(package_dir: Path, file: str) -> Path | None:
    """The declared file if it is a non-empty regular file inside the package, else None."""
    root = package_dir.resolve()
    path = (root / file).resolve()
    if not path.is_relative_to(root) or not path.is_file() or path.stat().st_size == 0:
        return None
    return path


def check_documents(
    package_dir: Path | str, declared: Sequence[Mapping[str, str]], model: DealModel = "data_pledged_loan"
) -> list[DocumentRow]:
    """The checklist of a deal model against the declared files ``[{id, file}]``: one row per document."""
    root = Path(package_dir)
    files = _declared_files(root, declared)
    rows = []
    for doc in CHECKLIST:
        file = files.get(doc.id)
        path = None if file is None else _on_file(root, file)
        rows.append(
            DocumentRow(
                id=doc.id,
                name_zh=doc.name_zh,
                name_en=doc.name_en,
                stage=doc.stage,
                required=model in doc.required_for,
                file=file,
                sha256=None if path is None else file_sha256(path),
                status="missing" if path is None else "present",
            )
        )
    return rows


def blocking_documents(rows: Sequence[DocumentRow]) -> list[DocumentRow]:
    """The required documents still missing: issuance is blocked while this list is not empty."""
    return [r for r in rows if r.required and r.status == "missing"]


def ensure_issuable(package_dir: Path | str, rows: Sequence[DocumentRow]) -> None:
    """Raise ``IssuanceBlocked`` naming every missing required document."""
    missing = blocking_documents(rows)
    if missing:
        raise IssuanceBlocked(str(package_dir), missing)


def documents_frame(rows: Sequence[DocumentRow]) -> pd.DataFrame:
    """The checklist as a table (``issuance/documents.csv``)."""
    return pd.DataFrame([asdict(r) for r in rows], columns=DOCUMENT_COLUMNS)
