"""A small two-loan deal for the rights tests: tapes, an evidence file and its registry seed, all mutable."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from dataabs.connectors.registry import RegistryClient
from dataabs.rights.checks import RightsPolicy, verify_rights
from dataabs.rights.uscc import make_uscc

AS_OF = date(2025, 6, 30)
USCC_1 = make_uscc("91320100712345678")
USCC_2 = make_uscc("91330100MA2ABCDE1")
CERT_1 = "20250331010000012"
CERT_2 = "20250533020000007"
LENDER = "示例信托有限责任公司"


def certificate(no: str, holder: str, evidence_sha256: str) -> dict[str, Any]:
    """A registry certificate record in the registry.json shape."""
    return {
        "certificate_no": no,
        "registry": "jiangsu-data-ip",
        "registry_name": "江苏省数据知识产权登记平台",
        "holder_name": "示例数据科技有限公司",
        "holder_uscc": holder,
        "data_asset_name": "设备运行数据集",
        "rights": ["holding", "processing", "operation"],
        "issued": "2025-03-31",
        "valid_from": "2025-03-31",
        "valid_to": "2028-03-30",
        "status": "active",
        "objection_period_end": "2025-04-30",
        "dispute": False,
        "evidence_sha256": evidence_sha256,
        "classification": "general",
    }


def pledge(
    registration_no: str, no: str, pledgor: str, pledgee: str = LENDER, rank: int = 1
) -> dict[str, Any]:
    """A pledge registration record in the registry.json shape."""
    return {
        "registration_no": registration_no,
        "certificate_no": no,
        "pledgor_uscc": pledgor,
        "pledgee": pledgee,
        "rank": rank,
        "registered": "2025-06-25",
        "description": f"以数据知识产权登记证书{no}项下数据质押",
        "status": "active",
    }


@dataclass
class RightsDeal:
    """Tapes as row dicts, the registry seed as JSON, and the package folder holding the evidence files."""

    root: Path
    sandbox_url: str
    obligors: list[dict[str, Any]] = field(default_factory=list)
    assets: list[dict[str, Any]] = field(default_factory=list)
    data_assets: list[dict[str, Any]] = field(default_factory=list)
    seed: dict[str, Any] = field(default_factory=dict)

    def verify(self, policy: RightsPolicy | None = None, pledgee: str | None = LENDER) -> pd.DataFrame:
        """Plant the seed in the sandbox, fetch the registry evidence over HTTP and run V1–V9."""
        httpx.post(
            f"{self.sandbox_url}/_sandbox/seed", json={"deal_id": "rights", "registry": self.seed}
        ).raise_for_status()
        with RegistryClient(self.sandbox_url, timeout_seconds=2, retries=0) as client:
            numbers = {row["certificate_no"] for row in self.data_assets if row["certificate_no"]}
            evidence = {no: client.evidence(no) for no in numbers}
        return verify_rights(
            pd.DataFrame(self.data_assets),
            pd.DataFrame(self.obligors),
            pd.DataFrame(self.assets),
            evidence,
            as_of=AS_OF,
            package_root=self.root,
            policy=policy,
            pledgee=pledgee,
        )

    def asset(self, data_asset_id: str) -> dict[str, Any]:
        """A data-asset row by id."""
        return next(r for r in self.data_assets if r["data_asset_id"] == data_asset_id)

    def cert(self, no: str) -> dict[str, Any]:
        """A seeded certificate by number."""
        return next(c for c in self.seed["certificates"] if c["certificate_no"] == no)


def build_deal(root: Path, sandbox_url: str) -> RightsDeal:
    """Two borrowers, each pledging one registered data asset; every check passes."""
    evidence = root / "evidence"
    evidence.mkdir()
    hashes = {}
    for name in ("da1.pdf", "da2.pdf"):
        (evidence / name).write_bytes(f"registration evidence {name}".encode())
        hashes[name] = hashlib.sha256((evidence / name).read_bytes()).hexdigest()
    deal = RightsDeal(root=root, sandbox_url=sandbox_url)
    deal.obligors = [
        {"obligor_id": "O1", "name": "示例一", "uscc": USCC_1},
        {"obligor_id": "O2", "name": "示例二", "uscc": USCC_2},
    ]
    deal.assets = [
        {"asset_id": "L1", "obligor_id": "O1", "maturity_date": date(2027, 6, 20), "data_asset_id": "DA1"},
        {"asset_id": "L2", "obligor_id": "O2", "maturity_date": date(2027, 6, 20), "data_asset_id": "DA2"},
        {"asset_id": "L3", "obligor_id": "O2", "maturity_date": date(2027, 6, 20), "data_asset_id": None},
    ]
    deal.data_assets = [
        _data_asset("DA1", "O1", CERT_1, "evidence/da1.pdf"),
        _data_asset("DA2", "O2", CERT_2, "evidence/da2.pdf"),
    ]
    deal.seed = copy.deepcopy(
        {
            "certificates": [
                certificate(CERT_1, USCC_1, hashes["da1.pdf"]),
                certificate(CERT_2, USCC_2, hashes["da2.pdf"]),
            ],
            "pledges": [pledge("ZD2025063000001", CERT_1, USCC_1), pledge("ZD2025063000002", CERT_2, USCC_2)],
        }
    )
    return deal


def _data_asset(data_asset_id: str, holder: str, no: str, evidence_file: str) -> dict[str, Any]:
    """A data-asset tape row (typed, as the package loader returns it)."""
    return {
        "data_asset_id": data_asset_id,
        "holder_obligor_id": holder,
        "classification": "general",
        "source_type": "licensed",
        "authorisation_ref": "AUTH-2025-001",
        "authorisation_expiry": date(2028, 12, 31),
        "waiver_ref": None,
        "risk_assessment_date": None,
        "certificate_no": no,
        "evidence_file": evidence_file,
    }


def failed(result: pd.DataFrame, data_asset_id: str = "DA1") -> dict[str, str]:
    """The failed checks of one data asset: check id → detail."""
    rows = result[(result["data_asset_id"] == data_asset_id) & ~result["passed"]]
    return dict(zip(rows["check_id"], rows["detail"], strict=True))
