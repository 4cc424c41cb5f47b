"""Constants and small helpers of the sandbox and registry-client tests."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from dataabs.rights.uscc import make_uscc

TOKEN = "sbx-Secret-Token-7f3a9c"  # a test credential; must never reach a log
CERT = "20250331010000012"
HOLDER = make_uscc("91320100712345678")
DEAL = "demo-deal"

SEED: dict[str, Any] = {
    "certificates": [
        {
            "certificate_no": CERT,
            "registry": "jiangsu-data-ip",
            "registry_name": "江苏省数据知识产权登记平台",
            "holder_name": "苏州示例数据科技有限公司",
            "holder_uscc": HOLDER,
            "data_asset_name": "工业设备运行数据集",
            "rights": ["holding", "processing", "operation"],
            "issued": "2025-03-31",
            "valid_from": "2025-03-31",
            "valid_to": "2028-03-30",
            "status": "active",
            "objection_period_end": "2025-04-30",
            "dispute": False,
            "evidence_sha256": "ab" * 32,
            "classification": "general",
        }
    ],
    "pledges": [
        {
            "registration_no": "ZD2025063000001",
            "certificate_no": CERT,
            "pledgor_uscc": HOLDER,
            "pledgee": "示例信托",
            "rank": 1,
            "registered": "2025-06-25",
            "description": f"以数据知识产权登记证书{CERT}项下数据质押",
            "status": "active",
        }
    ],
}


def seed_json() -> dict[str, Any]:
    """A fresh, mutable copy of the test seed in the registry.json shape."""
    return copy.deepcopy(SEED)


def arm(control: httpx.Client, mode: str, count: int, **extra: Any) -> None:
    """Arm a fault on the registry paths."""
    control.post(
        "/_sandbox/faults", json={"path_prefix": "/registry", "mode": mode, "count": count, **extra}
    ).raise_for_status()


def seen(control: httpx.Client, path: str) -> int:
    """How many requests the sandbox received on a path."""
    counts: dict[str, int] = control.get("/_sandbox/requests").json()["counts"]
    return counts.get(path, 0)
