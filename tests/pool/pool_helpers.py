"""Builders of typed tapes and pool frames for the pool-cut tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from dataabs.pool.rules import CutContext, add_measures, candidate_frame
from dataabs.rights.uscc import make_uscc

CUT_OFF = date(2025, 6, 30)
CONTEXT = CutContext(CUT_OFF, date(2028, 7, 26), "data_pledged_loan", frozenset({"bank1"}))
USCC = [make_uscc(f"9133010{i}MA27XK0A1") for i in range(10)]

GOOD_OBLIGOR: dict[str, Any] = {
    "obligor_id": "O1",
    "name": "甲公司",
    "uscc": USCC[1],
    "province": "浙江省",
    "city": "杭州市",
    "industry": "I",
    "dishonest": False,
    "private": False,
}
GOOD_ASSET: dict[str, Any] = {
    "asset_id": "A1",
    "obligor_id": "O1",
    "asset_type": "loan",
    "principal": Decimal("25000000.00"),
    "currency": "CNY",
    "rate": Decimal("0.038"),
    "rate_type": "fixed",
    "day_count": "ACT/365",
    "origination_date": date(2025, 6, 20),
    "maturity_date": date(2027, 6, 20),
    "status": "performing",
    "max_days_past_due": 0,
    "restructured": False,
    "fully_drawn": True,
    "data_asset_id": "DA1",
    "guarantor_id": "bank1",
}
GOOD_DATA: dict[str, Any] = {
    "data_asset_id": "DA1",
    "name": "车联网数据",
    "holder_obligor_id": "O1",
    "data_type": "telemetry",
    "classification": "general",
    "registry": "浙江省数据知识产权登记平台",
}
GOOD_QUALITY: dict[str, Any] = {"data_asset_id": "DA1", "Q": 92.9}
GOOD_RIGHTS: dict[str, Any] = {
    "data_asset_id": "DA1",
    "passed_all": True,
    "pledge_perfected": True,
    "certificate_valid_to": date(2028, 6, 20),
}
GOOD_VALUATION: dict[str, Any] = {
    "data_asset_id": "DA1",
    "final_value": Decimal("62000000"),
    "base_date": date(2025, 5, 31),
    "method": "income",
}


def one_asset(**overrides: dict[str, Any]) -> pd.DataFrame:
    """The candidate frame of one good data-pledged asset, with per-tape field overrides."""
    part = {
        k: {**base, **overrides.get(k, {})}
        for k, base in (
            ("obligor", GOOD_OBLIGOR),
            ("asset", GOOD_ASSET),
            ("data", GOOD_DATA),
            ("quality", GOOD_QUALITY),
            ("rights", GOOD_RIGHTS),
            ("valuation", GOOD_VALUATION),
        )
    }
    other = {**GOOD_OBLIGOR, "obligor_id": "O2", "uscc": USCC[2]}
    return candidate_frame(
        pd.DataFrame([part["asset"]]),
        pd.DataFrame([part["obligor"], other]),
        pd.DataFrame([part["data"]]),
        CUT_OFF,
        quality=pd.DataFrame([part["quality"]]),
        rights=pd.DataFrame([part["rights"]]),
        valuation=pd.DataFrame([part["valuation"]]),
    )


# The demo pool (domain.md §3): principal ¥m, pledged?, province, city, industry, appraised value ¥m.
DEMO = [
    (25.0, True, "浙江省", "杭州市", "I", 62.0),
    (20.0, True, "江西省", "南昌市", "C", 45.0),
    (16.0, True, "陕西省", "西安市", "A", 36.0),
    (14.7, False, "江苏省", "南京市", "M", None),
    (13.0, True, "江苏省", "苏州市", "I", 30.0),
    (12.0, True, "江苏省", "南京市", "C", 26.0),
    (11.0, True, "浙江省", "宁波市", "C", 22.5),
    (11.0, True, "江西省", "赣州市", "A", 24.0),
    (11.0, True, "陕西省", "西安市", "M", 25.0),
]


def demo_tapes() -> dict[str, pd.DataFrame]:
    """Typed tapes and stage results of the demo pool."""
    obligors, assets, data, quality, rights, valuation = [], [], [], [], [], []
    for i, (principal, pledged, province, city, industry, value) in enumerate(DEMO, start=1):
        oid, da = f"O{i}", f"DA{i}" if pledged else None
        obligors.append(
            {
                **GOOD_OBLIGOR,
                "obligor_id": oid,
                "name": f"借款人{i}",
                "uscc": USCC[i % 10],
                "province": province,
                "city": city,
                "industry": industry,
                "private": i == 9,
            }
        )
        assets.append(
            {
                **GOOD_ASSET,
                "asset_id": f"L{i}",
                "obligor_id": oid,
                "principal": Decimal(str(principal)) * 1_000_000,
                "data_asset_id": da,
            }
        )
        if da:
            data.append({**GOOD_DATA, "data_asset_id": da, "holder_obligor_id": oid})
            quality.append({"data_asset_id": da, "Q": 90.0})
            rights.append({**GOOD_RIGHTS, "data_asset_id": da})
            valuation.append(
                {**GOOD_VALUATION, "data_asset_id": da, "final_value": Decimal(str(value)) * 1_000_000}
            )
    frames = {
        "obligors": obligors,
        "assets": assets,
        "data_assets": data,
        "quality": quality,
        "rights": rights,
        "valuation": valuation,
    }
    return {k: pd.DataFrame(v) for k, v in frames.items()}


def demo_frame() -> pd.DataFrame:
    """The demo candidate frame."""
    t = demo_tapes()
    return candidate_frame(
        t["assets"],
        t["obligors"],
        t["data_assets"],
        CUT_OFF,
        quality=t["quality"],
        rights=t["rights"],
        valuation=t["valuation"],
    )


def pool(rows: list[tuple[str, str, str, float, bool, float]]) -> pd.DataFrame:
    """A measured pool frame from rows of (obligor, industry, province, principal ¥m, pledged, remaining months)."""
    records = []
    for i, (obligor, industry, province, principal, pledged, months) in enumerate(rows):
        records.append(
            {
                "asset_id": f"X{i:03d}",
                "obligor_id": obligor,
                "industry": industry,
                "province": province,
                "city": province,
                "principal": Decimal(str(principal)) * 1_000_000,
                "rate": Decimal("0.04"),
                "data_asset_id": f"D{i}" if pledged else None,
                "maturity_date": date(2025, 6, 30) + timedelta(days=round(months * 365 / 12)),
            }
        )
    return add_measures(pd.DataFrame(records), CUT_OFF)
