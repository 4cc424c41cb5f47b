"""The demo deal's facts (示范交易): parties, borrowers, loans and data assets, modelled on 华鑫-鑫欣 phase 1.

Names are invented; the numbers match the public facts of the deal (domain.md §3). Everything else in the
demo package (tapes, deal.yaml, registry seed) is derived from the tables here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from dataabs.calendar import DayCount, accrued_interest, add_months
from dataabs.demo.appraisal import ComparableFact, ValuationFact
from dataabs.demo.package import DataAssetFact, PartyFact, Registry
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
COLLECTION_ACCOUNT = "31050161360009000101"
APPRAISER = "澄信资产评估有限公司"


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
    PartyFact("appraiser", "appraiser", APPRAISER, "91310000MA1K8P3W6"),
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


# Valuation inputs (valuation.yaml), calibrated so that with Q ≈ 99.9 the final values are 62.0, 44.5, 36.0, 28.5,
# 26.0, 23.5, 23.0 and 22.5 ¥m: each pledged loan's LTV 40.3%–48.9% (domain §3).
VALUATIONS: tuple[ValuationFact, ...] = (
    ValuationFact(
        "DA-V2X",
        "revenue_share",
        (77600000, 86910000, 93120000),
        (Decimal("0.03"), Decimal("0.035"), Decimal("0.03"), Decimal("0.025")),
        (1400000, 6420000, 2100000, 930000, 820000),
        Decimal("3.5"),
        share=Decimal("0.35"),
    ),
    ValuationFact(
        "DA-PADDY",
        "revenue_share",
        (65340000, 69260000, 71870000),
        (Decimal("0.03"), Decimal("0.03"), Decimal("0.025"), Decimal("0.025")),
        (830000, 3810000, 1250000, 550000, 490000),
        Decimal("3.6"),
        share=Decimal("0.30"),
    ),
    ValuationFact(
        "DA-HOTEL",
        "revenue_share",
        (68620000, 72060000, 74110000),
        (Decimal("0.03"), Decimal("0.035"), Decimal("0.035"), Decimal("0.03")),
        (770000, 3520000, 1150000, 510000, 450000),
        Decimal("3.4"),
        share=Decimal("0.25"),
    ),
    ValuationFact(
        "DA-PARKING",
        "direct",
        (13550000, 14630000, 15180000),
        (Decimal("0.03"), Decimal("0.03"), Decimal("0.03"), Decimal("0.025")),
        (730000, 3360000, 1100000, 490000, 430000),
        Decimal("3.7"),
        comparables=(
            ComparableFact(
                "SZDE-2024-PK-0412",
                25910000,
                date(2024, 4, 12),
                Decimal("0.4"),
                Decimal("95"),
                Decimal("99"),
                Decimal("8"),
            ),
            ComparableFact(
                "SHDE-2024-PK-1105",
                30000000,
                date(2024, 11, 5),
                Decimal("0.3"),
                Decimal("97"),
                Decimal("101"),
                Decimal("11"),
                supply_demand=Decimal("0.95"),
            ),
            ComparableFact(
                "XADE-2025-PK-0218",
                27280000,
                date(2025, 2, 18),
                Decimal("0.3"),
                Decimal("93"),
                Decimal("101"),
                Decimal("9"),
                other=(("region", Decimal("1.05")),),
            ),
        ),
    ),
    ValuationFact(
        "DA-PROCESS",
        "revenue_share",
        (40800000, 43660000, 44880000),
        (Decimal("0.03"), Decimal("0.03"), Decimal("0.025"), Decimal("0.02")),
        (910000, 4180000, 1370000, 610000, 530000),
        Decimal("3.6"),
        share=Decimal("0.28"),
    ),
    ValuationFact(
        "DA-TENDER",
        "direct",
        (10880000, 11420000, 11860000),
        (Decimal("0.025"), Decimal("0.03"), Decimal("0.02"), Decimal("0.025")),
        (620000, 2830000, 930000, 410000, 360000),
        Decimal("3.8"),
        comparables=(
            ComparableFact(
                "GZDE-2023-ZB-0915",
                24590000,
                date(2023, 9, 15),
                Decimal("0.3"),
                Decimal("94"),
                Decimal("98"),
                Decimal("12"),
            ),
            ComparableFact(
                "BJDE-2024-ZB-0626",
                28690000,
                date(2024, 6, 26),
                Decimal("0.4"),
                Decimal("96"),
                Decimal("100"),
                Decimal("14"),
                supply_demand=Decimal("1.05"),
                other=(("rights_type", Decimal("0.95")),),
            ),
            ComparableFact(
                "JSDE-2025-ZB-0321",
                27320000,
                date(2025, 3, 21),
                Decimal("0.3"),
                Decimal("98"),
                Decimal("101"),
                Decimal("10"),
            ),
        ),
    ),
    ValuationFact(
        "DA-COLDCHAIN",
        "revenue_share",
        (31420000, 33300000, 34560000),
        (Decimal("0.03"), Decimal("0.03"), Decimal("0.03"), Decimal("0.025")),
        (650000, 2980000, 980000, 430000, 380000),
        Decimal("3.7"),
        share=Decimal("0.32"),
    ),
    ValuationFact(
        "DA-METER",
        "direct",
        (10840000, 11280000, 11600000),
        (Decimal("0.03"), Decimal("0.035"), Decimal("0.035"), Decimal("0.03")),
        (910000, 4190000, 1370000, 610000, 530000),
        Decimal("3.9"),
    ),
)


def borrower(obligor_id: str) -> Borrower:
    """A borrower by obligor id."""
    return next(b for b in BORROWERS if b.obligor_id == obligor_id)


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
