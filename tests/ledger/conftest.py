"""A small deal package built in a temp dir, loaded without the sample/seed cross-checks of ``load_package``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dataabs.package import DealPackage
from dataabs.package.loader import parse_deal, read_yaml
from dataabs.package.tapes import TAPES, read_table, typed_tape

DEAL_YAML = """\
deal_id: {deal_id}
name: Ledger test deal
model: data_pledged_loan
dates: {{cut_off: 2025-06-30, closing: 2025-07-28, first_payment: 2025-10-26,
        expected_maturity: 2027-07-26, legal_maturity: 2028-07-26}}
payment_calendar: {{months: [1, 4, 7, 10], day: 26}}
parties:
  - {{id: mgr, role: manager, name: Manager Securities}}
  - {{id: bank1, role: guarantor, name: Bank One, rating: AAA}}
tranches:
  - {{id: A, name: Senior A, kind: senior, seniority: 1, size: 1000000, coupon: 0.02}}
  - {{id: B, name: Subordinate, kind: subordinate, seniority: 2, size: 100000}}
waterfall:
  normal: [{{id: s1, kind: interest, target: A}}, {{id: s2, kind: principal, target: A}},
           {{id: s3, kind: residual, target: B}}]
  accelerated: [{{id: a1, kind: interest, target: A}}]
sandbox: {{registry: null}}
"""
OBLIGORS = """obligor_id,name,uscc,province,city,industry,dishonest
ob1,Alpha Tech,91350100M000100Y43,Zhejiang,Hangzhou,I,false
ob2,Beta Agro,91350100M000100Y43,Jiangxi,Nanchang,A,
"""
DATA_ASSETS = """data_asset_id,name,holder_obligor_id,data_type,classification,source_type,sample_file,spec_file,\
registry,book_value
da1,Telemetry,ob1,telemetry,general,self_collected,samples/da1.csv,samples/da1.yaml,SZDEX,1200000.50
"""
ASSET_HEADER = (
    "asset_id,obligor_id,asset_type,principal,currency,rate,rate_type,day_count,origination_date,maturity_date,"
    "status,max_days_past_due,restructured,fully_drawn,data_asset_id,guarantor_id\n"
)


def write_package(
    root: Path, deal_id: str = "test-deal", lines: int = 2, principal: str = "600000.00"
) -> None:
    """Write deal.yaml and the four tapes; asset a1 is split into ``lines`` equal schedule lines."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "deal.yaml").write_text(DEAL_YAML.format(deal_id=deal_id), encoding="utf-8")
    (root / "obligors.csv").write_text(OBLIGORS, encoding="utf-8")
    (root / "data_assets.csv").write_text(DATA_ASSETS, encoding="utf-8")
    (root / "assets.csv").write_text(
        ASSET_HEADER
        + f"a1,ob1,loan,{principal},CNY,0.038,fixed,ACT/365,2025-06-20,2027-06-20,performing,0,false,true,da1,bank1\n"
        + "a2,ob2,loan,400000.00,CNY,0.038,fixed,ACT/365,2025-06-20,2027-06-20,performing,0,false,true,,\n",
        encoding="utf-8",
    )
    share = Decimal(principal) / lines
    rows = [f"a1,{date(2026, 1, 1) + timedelta(days=i)},{share},\n" for i in range(lines)]
    (root / "schedules.csv").write_text(
        "asset_id,due_date,principal_due,interest_due\n"
        + "".join(rows)
        + "a2,2026-06-20,200000.00,7600.00\na2,2027-06-20,200000.00,7600.00\n",
        encoding="utf-8",
    )


def read_package(root: Path) -> DealPackage:
    """Parse deal.yaml and type the tapes exactly as the loader does (no sample/spec/seed checks)."""
    raw, problems = read_yaml(root / "deal.yaml")
    assert raw is not None and not problems, problems
    deal, problems = parse_deal(raw, "deal.yaml")
    assert deal is not None and not problems, problems
    tapes = {}
    for name, spec in TAPES.items():
        frame, problems = read_table(root / getattr(deal.tapes, name))
        assert frame is not None and not problems, problems
        tapes[name], problems = typed_tape(spec, frame, name)
        assert not problems, problems
    return DealPackage(root=root, deal=deal, tapes=tapes)


PackageFactory = Callable[..., DealPackage]


@pytest.fixture
def make_package(tmp_path: Path) -> PackageFactory:
    """Build (or rebuild) a deal package in the temp dir and return it loaded."""

    def build(deal_id: str = "test-deal", **options: object) -> DealPackage:
        root = tmp_path / "packages" / deal_id
        write_package(root, deal_id, **options)  # type: ignore[arg-type]
        return read_package(root)

    return build
