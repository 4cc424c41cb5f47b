"""The demo deal's facts (示范交易): parties, borrowers, loans and data assets, modelled on 华鑫-鑫欣 phase 1.

Names are invented; the numbers match the public facts of the deal (domain.md §3). Everything else in the
demo package (tapes, deal.yaml, registry seed) is derived from the tables here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from dataabs.calendar import DayCount, accrued_interest, add_months
from dataabs.rights.uscc import make_uscc

DEAL_ID = "demo"
DEAL_NAME = "华澄-鑫泽-数据资产第1期资产支持专项计划"
SHELF_SIZE = Decimal("500000000")
CUT_OFF = date(2025, 6, 30)
CLOSING = date(2025, 7, 28)
FIRST_PAYMENT = date(2025, 10, 26)
EXPECTED_MATURITY = date(2027, 7, 26)
LEGAL_MATURITY = date(2028, 7, 26)

LOAN_RATE = Decimal("0.038")
LOAN_DAY_COUNT: DayCount = "ACT/365"
ORIGINATION = date(2025, 6, 20)
LOAN_MATURITY = date(2027, 6, 20)
FIRST_INTEREST_DATE = date(2025, 9, 20)
AMORTISATION: dict[date, Decimal] = {
    date(2026, 6, 20): Decimal("0.20"),
    date(2026, 12, 20): Decimal("0.30"),
    date(2027, 6, 20): Decimal("0.50"),
}
TRUST_COMPANY = "鑫泽国际信托有限公司"
GUARANTOR_BANK = "钧和银行股份有限公司"
CERTIFICATE_YEARS = 3
OBJECTION_DAYS = 30


@dataclass(frozen=True)
class PartyFact:
    """A party of the deal: id, role, name and the first 17 characters of its USCC."""

    id: str
    role: str
    name: str
    uscc17: str
    rating: str | None = None

    @property
    def uscc(self) -> str:
        """The party's valid 统一社会信用代码."""
        return make_uscc(self.uscc17)


@dataclass(frozen=True)
class Registry:
    """A data-IP registry body (数据知识产权登记机构) and its 4-digit code in certificate numbers."""

    id: str
    name: str
    body_code: str
    uscc17: str


@dataclass(frozen=True)
class Borrower:
    """A borrower (借款人) with its trust loan, guarantor bank branch and, if pledged, its data asset."""

    obligor_id: str
    name: str
    uscc17: str
    province: str
    city: str
    industry: str
    asset_id: str
    principal: Decimal
    guarantor: PartyFact
    data_asset_id: str | None = None

    @property
    def uscc(self) -> str:
        """The borrower's valid 统一社会信用代码."""
        return make_uscc(self.uscc17)


@dataclass(frozen=True)
class DataAssetFact:
    """A pledged data asset (质押数据资产): what it is, where it is registered and how it was sourced."""

    data_asset_id: str
    kind: str
    name: str
    data_type: str
    holder: str
    registry: str
    issued: date
    serial: int
    source_type: str
    book_value: Decimal
    authorisation_ref: str | None = None
    authorisation_expiry: date | None = None


REGISTRIES: tuple[Registry, ...] = (
    Registry("jiangsu-data-ip", "江苏省数据知识产权登记平台", "3201", "12320000466000371"),
    Registry("zhejiang-data-ip", "浙江省数据知识产权登记平台", "3301", "12330000MB1A03721"),
    Registry("jiangxi-data-ip", "江西省数据知识产权登记平台", "3601", "12360000MB0P12457"),
    Registry("shaanxi-data-ip", "陕西省数据知识产权登记平台", "6101", "12610000MB2955813"),
)


def _bank(id_: str, branch: str, uscc17: str) -> PartyFact:
    """A branch of the guarantor bank that issued a loan's 融资性保函."""
    return PartyFact(id_, "guarantor", f"{GUARANTOR_BANK}{branch}", uscc17, "AAA")


BORROWERS: tuple[Borrower, ...] = (
    Borrower(
        "OB01",
        "无锡澄行智联科技有限公司",
        "91320200MA1W3K7T5",
        "江苏省",
        "无锡市",
        "I",
        "L01",
        Decimal("25000000"),
        _bank("bank-wuxi", "无锡分行", "91320200MA1P4Q2K8"),
        "DA-V2X",
    ),
    Borrower(
        "OB02",
        "南昌禾穗农情数据有限公司",
        "91360100MA38H6R2X",
        "江西省",
        "南昌市",
        "A",
        "L02",
        Decimal("20000000"),
        _bank("bank-nanchang", "南昌分行", "91360100MA35T8N1C"),
        "DA-PADDY",
    ),
    Borrower(
        "OB03",
        "杭州栖湖酒店管理有限公司",
        "91330100MA2H7D4L6",
        "浙江省",
        "杭州市",
        "H",
        "L03",
        Decimal("16000000"),
        _bank("bank-hangzhou", "杭州分行", "91330100MA27Y0W3E"),
        "DA-HOTEL",
    ),
    Borrower(
        "OB04",
        "西安秦川路桥工程有限公司",
        "91610100MA6U2B8P3",
        "陕西省",
        "西安市",
        "E",
        "L04",
        Decimal("14700000"),
        _bank("bank-xian-gaoxin", "西安高新支行", "91610131MA6TX5J9R"),
        None,
    ),
    Borrower(
        "OB05",
        "西安长泊智慧停车运营有限公司",
        "91610100MA7B1N4F2",
        "陕西省",
        "西安市",
        "G",
        "L05",
        Decimal("13000000"),
        _bank("bank-xian-qujiang", "西安曲江支行", "91610133MA6W8C2H4"),
        "DA-PARKING",
    ),
    Borrower(
        "OB06",
        "宁波甬精智造科技有限公司",
        "91330200MA2J9E6U1",
        "浙江省",
        "宁波市",
        "C",
        "L06",
        Decimal("12000000"),
        _bank("bank-ningbo", "宁波分行", "91330200MA28K3Q7D"),
        "DA-PROCESS",
    ),
    Borrower(
        "OB07",
        "赣州章贡招采信息服务有限公司",
        "91360702MA39C5T7W",
        "江西省",
        "赣州市",
        "L",
        "L07",
        Decimal("11000000"),
        _bank("bank-ganzhou", "赣州分行", "91360700MA35Y2L6A"),
        "DA-TENDER",
    ),
    Borrower(
        "OB08",
        "南京冷迅供应链管理有限公司",
        "91320100MA1Y2R8N6",
        "江苏省",
        "南京市",
        "G",
        "L08",
        Decimal("11000000"),
        _bank("bank-nanjing", "南京分行", "91320100MA1M7H3B9"),
        "DA-COLDCHAIN",
    ),
    Borrower(
        "OB09",
        "西安丰电能源科技有限公司",
        "91610100MA6X4K1D8",
        "陕西省",
        "西安市",
        "D",
        "L09",
        Decimal("11000000"),
        _bank("bank-xian-jingkai", "西安经开支行", "91610132MA6U9F5G2"),
        "DA-METER",
    ),
)

CORE_PARTIES: tuple[PartyFact, ...] = (
    PartyFact("manager", "manager", "华澄证券股份有限公司", "91310000MA1FL3X2K"),
    PartyFact("originator", "originator", TRUST_COMPANY, "91310000132240981"),
    PartyFact("lender", "lender", TRUST_COMPANY, "91310000132240981"),
    PartyFact("servicer", "servicer", TRUST_COMPANY, "91310000132240981"),
    PartyFact("trustee", "trustee", "澄泓银行股份有限公司", "91320000138861256"),
    PartyFact("custodian", "custodian", "澄泓银行股份有限公司", "91320000138861256"),
    PartyFact("rating", "rating_agency", "远策信用评级有限公司", "91110000MA01N7P4T"),
)

DATA_ASSETS: tuple[DataAssetFact, ...] = (
    DataAssetFact(
        "DA-V2X",
        "v2x",
        "澄行车路协同路侧感知数据集",
        "vehicle_road_telemetry",
        "OB01",
        "jiangsu-data-ip",
        date(2025, 2, 14),
        118,
        "self_collected",
        Decimal("4860000"),
    ),
    DataAssetFact(
        "DA-PADDY",
        "paddy",
        "禾穗稻田农情监测数据集",
        "paddy_field_agronomy",
        "OB02",
        "jiangxi-data-ip",
        date(2025, 3, 7),
        42,
        "self_collected",
        Decimal("3150000"),
    ),
    DataAssetFact(
        "DA-HOTEL",
        "hotel",
        "栖湖连锁酒店经营数据集",
        "hotel_operations",
        "OB03",
        "zhejiang-data-ip",
        date(2025, 1, 22),
        305,
        "licensed",
        Decimal("2780000"),
        "SQ-ZJ-2024-0317",
        date(2030, 12, 31),
    ),
    DataAssetFact(
        "DA-PARKING",
        "parking",
        "长泊城市停车运营数据集",
        "parking_sessions",
        "OB05",
        "shaanxi-data-ip",
        date(2025, 3, 18),
        27,
        "licensed",
        Decimal("2440000"),
        "XA-TCSQ-2024-086",
        date(2029, 12, 31),
    ),
    DataAssetFact(
        "DA-PROCESS",
        "process",
        "甬精注塑产线工艺数据集",
        "production_line_process",
        "OB06",
        "zhejiang-data-ip",
        date(2025, 2, 26),
        412,
        "self_collected",
        Decimal("3620000"),
    ),
    DataAssetFact(
        "DA-TENDER",
        "tender",
        "章贡招标投标公告数据集",
        "tender_notices",
        "OB07",
        "jiangxi-data-ip",
        date(2025, 4, 9),
        77,
        "licensed",
        Decimal("1980000"),
        "GZ-GGZY-SQ-2024-012",
        date(2030, 6, 30),
    ),
    DataAssetFact(
        "DA-COLDCHAIN",
        "coldchain",
        "冷迅冷链运输温控数据集",
        "cold_chain_temperature",
        "OB08",
        "jiangsu-data-ip",
        date(2025, 3, 25),
        236,
        "self_collected",
        Decimal("2260000"),
    ),
    DataAssetFact(
        "DA-METER",
        "meter",
        "丰电智能电表用能数据集",
        "smart_meter_energy",
        "OB09",
        "shaanxi-data-ip",
        date(2025, 1, 16),
        19,
        "licensed",
        Decimal("2930000"),
        "SX-DW-SJSQ-2024-0045",
        date(2029, 6, 30),
    ),
)


def registry(registry_id: str) -> Registry:
    """A registry body by id."""
    return next(r for r in REGISTRIES if r.id == registry_id)


def borrower(obligor_id: str) -> Borrower:
    """A borrower by obligor id."""
    return next(b for b in BORROWERS if b.obligor_id == obligor_id)


def certificate_no(asset: DataAssetFact) -> str:
    """17-digit data-IP certificate number: year(4) + month(2) + registry body code(4) + serial(7)."""
    return f"{asset.issued:%Y%m}{registry(asset.registry).body_code}{asset.serial:07d}"


def certificate_valid_to(asset: DataAssetFact) -> date:
    """Last day of a certificate's 3-year validity."""
    return asset.issued.replace(year=asset.issued.year + CERTIFICATE_YEARS) - timedelta(days=1)


def objection_period_end(asset: DataAssetFact) -> date:
    """End of the public objection period (公示异议期) after issue."""
    return asset.issued + timedelta(days=OBJECTION_DAYS)


def payment_dates() -> list[date]:
    """The loans' due dates: the 20th of Mar/Jun/Sep/Dec from the first interest date to maturity."""
    dates, day = [], FIRST_INTEREST_DATE
    while day <= LOAN_MATURITY:
        dates.append(day)
        day = add_months(day, 3)
    return dates


def schedule(principal: Decimal) -> list[tuple[date, Decimal]]:
    """Scheduled principal per due date (0 on interest-only dates); the pieces sum to the principal."""
    rows = [
        (day, (principal * AMORTISATION.get(day, Decimal(0))).quantize(Decimal("0.01")))
        for day in payment_dates()
    ]
    last_day, last = rows[-1]
    rows[-1] = (last_day, last + principal - sum((p for _, p in rows), Decimal(0)))
    return rows


def guarantee_amount(principal: Decimal) -> Decimal:
    """The 保函 maximum: principal plus contractual interest, rounded up to ¥10,000."""
    balance, start, interest = principal, ORIGINATION, Decimal(0)
    for day, paid in schedule(principal):
        interest += accrued_interest(balance, LOAN_RATE, start, day, LOAN_DAY_COUNT)
        balance, start = balance - paid, day
    step = Decimal("10000")
    return ((principal + interest) / step).to_integral_value(rounding=ROUND_CEILING) * step


def parties() -> list[PartyFact]:
    """Every party: the core parties, one guarantor bank branch per loan, the registry bodies."""
    registries = [PartyFact(r.id, "registry", r.name, r.uscc17) for r in REGISTRIES]
    return [*CORE_PARTIES, *(b.guarantor for b in BORROWERS), *registries]
