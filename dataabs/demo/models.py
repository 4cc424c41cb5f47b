"""One demo package per deal model the market uses (domain §1), each a ``PackageSpec`` with invented names.

- ``demo-receivables`` — supply-chain receivables + data pledge (平安-如皋 shape: ¥130m, senior 2.4%, AAAsf);
- ``demo-leasing`` — financial-leasing receivables + data pledge (联投租赁 shape: senior 1.85%);
- ``demo-empowered`` — data-empowered receivables, no pledge (天风-中投保 shape: ¥510m);
- ``demo-revenue-rights`` — a data product's licensing and subscription income (数据产品收益权).

Every package shares the cut-off 2025-06-30 of the demo samples (their freshness is judged at the cut-off).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from dataabs.calendar import add_months
from dataabs.demo.builders import (
    core_parties,
    data_asset,
    direct_valuation,
    equal_principal,
    quarterly,
    registry_party,
    revenue_schedule,
    round_10k,
    uscc17,
    yuan,
)
from dataabs.demo.package import AssetFact, Due, ObligorFact, PackageSpec, PartyFact, Registry
from dataabs.demo.sampling import Inline, Rand
from dataabs.demo.structure import standard_fees, standard_triggers, tranche_pair

CUT_OFF = date(2025, 6, 30)
CLOSING = date(2025, 7, 28)
FIRST_PAYMENT = date(2025, 10, 26)
PLEDGED_ON = date(2025, 6, 16)
CUSTODIAN = ("澄泓银行股份有限公司", "91320000138861256")
RATING = ("远策信用评级有限公司", "91110000MA01N7P4T")
APPRAISER = ("澄信资产评估有限公司", "91310000MA1K8P3W6")


def _dates(expected: date, legal: date) -> dict[str, date]:
    """Key dates: the shared cut-off, closing and first payment, the deal's maturities."""
    return {
        "cut_off": CUT_OFF,
        "closing": CLOSING,
        "first_payment": FIRST_PAYMENT,
        "expected_maturity": expected,
        "legal_maturity": legal,
    }


def _ltv(secured: dict[str, Decimal], data_asset_id: str) -> Decimal:
    """Target LTV of a data asset: 42%–48% spread by its id, so values differ but all stay under 50%."""
    return Decimal("0.42") + Decimal(sum(map(ord, data_asset_id)) % 7) / 100


# --- demo-receivables ---------------------------------------------------------------------------------------

REC_REGISTRY = Registry(
    "ningcheng-ggzy", "宁澄市公共资源交易中心（数据资产登记）", "3201", "12320100MB1C45672"
)
REC_GUARANTOR = PartyFact("guarantor", "guarantor", "中衡信用融资担保有限公司", "91110000MA0B6T2X7", "AAA")
#: SOE obligors (国有企业): id, name, area code, province, city, GB/T 4754 section, pledged data (kind, name) or None
REC_OBLIGORS = (
    (
        "SO01",
        "如澄城市建设投资集团有限公司",
        "320682",
        "江苏省",
        "如皋市",
        "E",
        ("tender", "如澄工程招采数据集"),
    ),
    (
        "SO02",
        "如澄水务集团有限公司",
        "320682",
        "江苏省",
        "如皋市",
        "D",
        ("meter", "如澄智能水电表用能数据集"),
    ),
    (
        "SO03",
        "通澄交通产业集团有限公司",
        "320600",
        "江苏省",
        "南通市",
        "G",
        ("parking", "通澄城市停车运营数据集"),
    ),
    ("SO04", "沪澄城市发展集团有限公司", "310000", "上海市", "上海市", "E", None),
    ("SO05", "杭澄城投集团有限公司", "330100", "浙江省", "杭州市", "N", ("v2x", "杭澄智慧路网感知数据集")),
    ("SO06", "合澄产业投资集团有限公司", "340100", "安徽省", "合肥市", "K", None),
    ("SO07", "济澄城市建设发展集团有限公司", "370100", "山东省", "济南市", "E", None),
    (
        "SO08",
        "甬澄港航物流集团有限公司",
        "330200",
        "浙江省",
        "宁波市",
        "G",
        ("coldchain", "甬澄冷链物流温控数据集"),
    ),
    ("SO09", "沪澄公用事业集团有限公司", "310000", "上海市", "上海市", "D", None),
    ("SO10", "皖澄交通投资集团有限公司", "340100", "安徽省", "合肥市", "N", None),
)
#: receivable face values at cut-off (¥m), two per obligor
REC_AMOUNTS = (
    (13.2, 12.0),
    (10.4, 9.6),
    (8.8, 8.0),
    (6.4, 5.6),
    (7.6, 6.8),
    (5.2, 4.4),
    (5.0, 4.2),
    (6.0, 5.2),
    (4.8, 4.0),
    (4.4, 3.8),
)


def receivables_spec() -> PackageSpec:
    """Supply-chain receivables of state-owned obligors, a guarantor company, data pledged over > 50% of the pool."""
    rate = Decimal("0.040")
    obligors, assets, data_assets = [], [], []
    for i, (oid, name, area, province, city, industry, data) in enumerate(REC_OBLIGORS):
        obligors.append(ObligorFact(oid, name, uscc17(area, 3100 + i), province, city, industry, "AA+"))
        da_id = None
        if data:
            da_id = f"DA-{oid}"
            data_assets.append(
                data_asset(
                    da_id,
                    data[0],
                    data[1],
                    oid,
                    REC_REGISTRY.id,
                    date(2025, 2 + i % 3, 10 + i),
                    500 + i,
                    1800000 + 90000 * i,
                )
            )
        for k, face in enumerate(REC_AMOUNTS[i]):
            maturity = add_months(date(2025, 9, 20), 3 * ((2 * i + k) % 7))
            principal = Decimal(str(face)) * 1000000
            assets.append(
                AssetFact(
                    f"R{2 * i + k + 1:02d}",
                    oid,
                    "receivable",
                    principal,
                    rate,
                    date(2025, 6, 20),
                    maturity,
                    (Due(maturity, principal),),
                    data_asset_id=da_id,
                    guarantor_id="guarantor",
                )
            )
    secured = _secured(assets)
    valuations = tuple(
        direct_valuation(a, secured[a.data_asset_id], _ltv(secured, a.data_asset_id)) for a in data_assets
    )
    pool = sum((a.principal for a in assets), Decimal(0))
    parties = (
        *core_parties(
            ("澄安证券股份有限公司", "91440300MA5F2K8Q1"),
            ("澄安商业保理有限公司", "91440300MA5D7W3L2"),
            CUSTODIAN,
            RATING,
            APPRAISER,
        ),
        REC_GUARANTOR,
        registry_party(REC_REGISTRY),
    )
    expected, legal = date(2027, 4, 26), date(2028, 4, 26)
    return PackageSpec(
        deal_id="demo-receivables",
        name="澄安-如澄供应链应收账款数据资产第1期资产支持专项计划",
        model="receivable_data_pledge",
        dates=_dates(expected, legal),
        payment_months=(1, 4, 7, 10),
        payment_day=26,
        parties=parties,
        tranches=tranche_pair(Decimal("123500000"), Decimal("6500000"), Decimal("0.024"), expected, legal),
        fees=standard_fees(),
        triggers=standard_triggers(data_collateral=True),
        credit_support=(
            Inline(
                id="guarantee",
                kind="guarantor",
                provider="guarantor",
                covers="asset_dues",
                amount=int(round_10k(pool * Decimal("1.05"))),
                claim_delay_days=30,
            ),
        ),
        obligors=tuple(obligors),
        assets=tuple(assets),
        data_assets=tuple(data_assets),
        registries=(REC_REGISTRY,),
        valuations=valuations,
        collection_account="32050161360009000202",
        pledgee="澄安商业保理有限公司",
        pledge_registered=PLEDGED_ON,
        appraisal_prefix="澄信评报字",
        readme_intro=(
            "Synthetic receivables + data pledge deal (应收账款 + 数据质押, model `receivable_data_pledge`) in the shape of",
            "平安-如皋第1期 (SZSE, 2025-04-28): names are invented; size, senior coupon and rating are the public facts.",
        ),
        readme_facts=(
            "- ¥130.0m issue (public): senior A ¥123.5m 2.40% fixed AAAsf, subordinate B ¥6.5m (the 95/5 split is",
            "  synthetic). Cut-off 2025-06-30 (synthetic, shared with the demo samples), payments 26 Jan/Apr/Jul/Oct.",
            "- 20 supply-chain receivables bought by the factor (保理商, originator) from suppliers of 10 state-owned",
            "  obligors (AA+), single due dates quarterly 2025-09-20 … 2027-03-20. `principal` is the purchase price at cut-off and",
            "  `rate` the 4.00% discount yield: principal × (1 + r × days/365) is the face amount due.",
            "- Guarantor: 中衡信用融资担保 (invented, 中证信用融资担保-like, AAA) guarantees every receivable",
            "  (`guarantor_id`), limit 1.05 × pool principal.",
            "- Five obligors pledge their own data (holder = obligor = pledgor), registered at 宁澄市公共资源交易中心",
            "  (南京市公共资源交易中心-like, code 3201); the pledges to the factor are published on 中登网 (registry seed).",
        ),
        notes={
            "deal_id": "Demo deal, synthetic names; shape of 平安-如皋第1期 (receivables + data pledge). Generated by dataabs.demo.",
            "credit_support": "The guarantor company guarantees every receivable's dues (担保).",
            "policy": "Overrides of config/policy.yaml (none).",
        },
    )


def _secured(assets: list[AssetFact]) -> dict[str, Decimal]:
    """Principal secured by each data asset."""
    out: dict[str, Decimal] = {}
    for a in assets:
        if a.data_asset_id:
            out[a.data_asset_id] = out.get(a.data_asset_id, Decimal(0)) + a.principal
    return out


# --- demo-leasing -------------------------------------------------------------------------------------------

LEASE_REGISTRY = Registry("ehan-data-ip", "鄂汉数据知识产权登记平台", "4201", "12420100MB1D63285")
LEASE_PARENT = PartyFact("sponsor", "guarantor", "鄂澄联合投资集团有限公司", "91420000MA4K2P7W3", "AAA")
#: lessees: id, name, area, province, city, section, principal ¥m, pledged data (kind, name) or None
LESSEES = (
    (
        "LS01",
        "武澄精密注塑科技有限公司",
        "420100",
        "湖北省",
        "武汉市",
        "C",
        30.0,
        ("process", "武澄注塑产线工艺数据集"),
    ),
    (
        "LS02",
        "荆澄现代农业发展有限公司",
        "421000",
        "湖北省",
        "荆州市",
        "A",
        26.0,
        ("paddy", "荆澄稻田农情监测数据集"),
    ),
    (
        "LS03",
        "长澄文旅酒店管理有限公司",
        "430100",
        "湖南省",
        "长沙市",
        "H",
        24.0,
        ("hotel", "长澄连锁酒店经营数据集"),
    ),
    (
        "LS04",
        "襄澄冷链物流有限公司",
        "420600",
        "湖北省",
        "襄阳市",
        "G",
        22.0,
        ("coldchain", "襄澄冷链运输温控数据集"),
    ),
    (
        "LS05",
        "宜澄新能源科技有限公司",
        "420500",
        "湖北省",
        "宜昌市",
        "D",
        18.0,
        ("meter", "宜澄智能电表用能数据集"),
    ),
    ("LS06", "南澄装备制造有限公司", "360100", "江西省", "南昌市", "C", 18.0, None),
    ("LS07", "郑澄智慧交通运营有限公司", "410100", "河南省", "郑州市", "G", 17.0, None),
    ("LS08", "合澄医疗设备有限公司", "340100", "安徽省", "合肥市", "Q", 15.0, None),
    ("LS09", "渝澄环境工程有限公司", "500000", "重庆市", "重庆市", "N", 14.0, None),
    ("LS10", "黄澄建材有限公司", "420200", "湖北省", "黄石市", "C", 13.0, None),
    ("LS11", "岳澄港口物流有限公司", "430600", "湖南省", "岳阳市", "G", 12.0, None),
    ("LS12", "九澄光伏电力有限公司", "360400", "江西省", "九江市", "D", 11.0, None),
)


def leasing_spec() -> PackageSpec:
    """Financial-leasing receivables (融资租赁) with the lessees' data pledged to the lessor."""
    rate, dates = Decimal("0.055"), quarterly(date(2025, 9, 15), date(2027, 6, 15))
    obligors, assets, data_assets = [], [], []
    for i, (oid, name, area, province, city, industry, amount, data) in enumerate(LESSEES):
        obligors.append(ObligorFact(oid, name, uscc17(area, 4200 + i), province, city, industry))
        da_id = None
        if data:
            da_id = f"DA-{oid}"
            data_assets.append(
                data_asset(
                    da_id,
                    data[0],
                    data[1],
                    oid,
                    LEASE_REGISTRY.id,
                    date(2025, 1 + i % 3, 8 + i),
                    700 + i,
                    2100000 + 110000 * i,
                )
            )
        principal = Decimal(str(amount)) * 1000000
        assets.append(
            AssetFact(
                f"LE{i + 1:02d}",
                oid,
                "lease",
                principal,
                rate,
                date(2025, 6, 15),
                dates[-1],
                equal_principal(principal, dates),
                data_asset_id=da_id,
            )
        )
    secured = _secured(assets)
    valuations = tuple(
        direct_valuation(a, secured[a.data_asset_id], _ltv(secured, a.data_asset_id)) for a in data_assets
    )
    expected, legal = date(2027, 7, 26), date(2028, 7, 26)
    lessor = ("鄂澄融资租赁有限公司", "91420100MA4F8N2K6")
    return PackageSpec(
        deal_id="demo-leasing",
        name="鄂澄租赁数据资产第3期资产支持专项计划",
        model="leasing_data_pledge",
        dates=_dates(expected, legal),
        payment_months=(1, 4, 7, 10),
        payment_day=26,
        parties=(
            *core_parties(
                ("澄汉证券股份有限公司", "91420100MA4K9T3E5"), lessor, CUSTODIAN, RATING, APPRAISER
            ),
            LEASE_PARENT,
            registry_party(LEASE_REGISTRY),
        ),
        tranches=tranche_pair(Decimal("200000000"), Decimal("11000000"), Decimal("0.0185"), expected, legal),
        fees=standard_fees(),
        triggers=standard_triggers(data_collateral=True),
        credit_support=(
            Inline(
                id="shortfall",
                kind="shortfall_undertaking",
                provider="sponsor",
                covers="senior_shortfall",
                amount=None,
                claim_delay_days=10,
            ),
        ),
        obligors=tuple(obligors),
        assets=tuple(assets),
        data_assets=tuple(data_assets),
        registries=(LEASE_REGISTRY,),
        valuations=valuations,
        collection_account="42050161360009000303",
        pledgee=lessor[0],
        pledge_registered=PLEDGED_ON,
        appraisal_prefix="澄信评报字",
        readme_intro=(
            "Synthetic financial-leasing + data pledge deal (融资租赁 + 数据质押, model `leasing_data_pledge`) in the shape",
            "of 联投租赁三期: names are invented; the senior coupon 1.85% is the public fact, the size is synthetic.",
        ),
        readme_facts=(
            "- Senior A ¥200.0m 1.85% fixed AAAsf, subordinate B ¥11.0m (5.21% of the ¥211.0m issue, risk retention ≥ 5%);",
            "  pool ¥220.0m: over-collateralisation 1.10× the senior, 1.043× the issue.",
            "- 12 sale-and-leaseback contracts of 12 lessees in 6 provinces, 5.50% fixed ACT/365, rent quarterly on the",
            "  15th of Mar/Jun/Sep/Dec from 2025-09-15 to 2027-06-15, equal principal (等额本金) plus interest.",
            "- Five lessees pledge their own data to the lessor (holder = lessee = pledgor), registered at 鄂汉数据知识产权",
            "  登记平台 (code 4201); pledged share of the pool above 50%.",
            "- The lessor's parent (鄂澄联合投资集团, AAA, invented; 联投集团-like) gives an unlimited shortfall undertaking",
            "  (差额支付承诺, `covers: senior_shortfall`) on senior interest and principal: the credit substitution that",
            "  carries the AAAsf (house policy `credit_substitution_by: shortfall_undertaking`, provider ≥ AAA). The",
            "  enhancement gate tests interest coverage and no senior loss with the undertaking paying; the parent-fails",
            "  stresses (standalone credit) are reported.",
        ),
        notes={
            "deal_id": "Demo deal, synthetic names; shape of 联投租赁三期 (leasing + data pledge). Generated by dataabs.demo.",
            "credit_support": "Shortfall undertaking (差额支付承诺) of the lessor's parent on the senior.",
            "policy": "Overrides of config/policy.yaml (none).",
        },
    )


# --- demo-empowered -----------------------------------------------------------------------------------------

EMP_REGISTRY = Registry("jingcheng-data-ip", "京澄数据知识产权登记平台", "1101", "12110000MB1E24596")
EMP_GUARANTOR = PartyFact("guarantor", "guarantor", "中泓投融资担保股份有限公司", "91110000MA0C8R4N2", "AAA")
EMP_PLATFORM = ObligorFact(
    "PLATFORM", "京澄供应链科技有限公司", uscc17("110000", 5100), "北京市", "北京市", "I"
)
#: (province, city, area code) of the obligors; each region takes obligors in turn
EMP_REGIONS = (
    ("北京市", "北京市", "110000"),
    ("上海市", "上海市", "310000"),
    ("广东省", "广州市", "440100"),
    ("广东省", "深圳市", "440300"),
    ("江苏省", "南京市", "320100"),
    ("浙江省", "杭州市", "330100"),
    ("四川省", "成都市", "510100"),
    ("湖北省", "武汉市", "420100"),
    ("山东省", "济南市", "370100"),
    ("福建省", "福州市", "350100"),
)
EMP_INDUSTRIES = ("E", "C", "F", "G", "D", "K", "I")
EMP_OBLIGORS = 120
EMP_ASSETS = 300
EMP_TARGET = Decimal("540000000")
#: deliberately ineligible receivables: asset index → (field, value, the rule it fails)
EMP_REJECTS = {
    7: "overdue",
    31: "overdue",
    58: "restructured",
    97: "long",
    143: "long",
    188: "overdue",
    230: "restructured",
    277: "long",
}
EMP_DISHONEST = (17, 64)
LATE_MATURITY = date(
    2027, 10, 25
)  # after legal maturity − 6 months (E13)  # obligors flagged 失信被执行人 (E02)


def empowered_spec() -> PackageSpec:
    """Receivables selected and priced with the originator's platform data (数据资产赋能), no pledge."""
    rand = Rand(20250630, 901)
    sizes = rand.uniform(EMP_ASSETS, 0.6, 3.6)
    terms = rand.integers(EMP_ASSETS, 3, 17)
    rates = rand.uniform(EMP_ASSETS, 0.028, 0.046)
    obligors = [
        ObligorFact(
            f"EO{n + 1:03d}",
            f"澄链{EMP_REGIONS[n % len(EMP_REGIONS)][1].removesuffix('市')}{n + 1:03d}号工程有限公司",
            uscc17(EMP_REGIONS[n % len(EMP_REGIONS)][2], 6000 + n),
            EMP_REGIONS[n % len(EMP_REGIONS)][0],
            EMP_REGIONS[n % len(EMP_REGIONS)][1],
            EMP_INDUSTRIES[n % len(EMP_INDUSTRIES)],
            dishonest=n in EMP_DISHONEST,
        )
        for n in range(EMP_OBLIGORS)
    ]
    assets = []
    for i in range(EMP_ASSETS):
        reject = EMP_REJECTS.get(i)
        maturity = LATE_MATURITY if reject == "long" else add_months(date(2025, 7, 25), int(terms[i]))
        principal = yuan(Decimal(str(round(float(sizes[i]), 2))) * 1000000)
        assets.append(
            AssetFact(
                f"E{i + 1:03d}",
                obligors[(i * 7) % EMP_OBLIGORS].obligor_id,
                "receivable",
                principal,
                Decimal(str(round(float(rates[i]), 4))),
                date(2025, 6, 10),
                maturity,
                (Due(maturity, principal),),
                guarantor_id="guarantor",
                status="overdue" if reject == "overdue" else "performing",
                max_days_past_due=45 if reject == "overdue" else 0,
                restructured=reject == "restructured",
            )
        )
    platform = (
        data_asset(
            "DA-PLATFORM-TRADE",
            "tender",
            "京澄供应链平台招采交易数据集",
            "PLATFORM",
            EMP_REGISTRY.id,
            date(2025, 3, 12),
            321,
            6800000,
        ),
        data_asset(
            "DA-PLATFORM-LOGISTICS",
            "coldchain",
            "京澄供应链平台物流履约数据集",
            "PLATFORM",
            EMP_REGISTRY.id,
            date(2025, 4, 8),
            322,
            4200000,
        ),
    )
    expected, legal = date(2027, 1, 26), date(2028, 1, 26)
    originator = ("京澄供应链科技有限公司", EMP_PLATFORM.uscc17)
    return PackageSpec(
        deal_id="demo-empowered",
        name="澄天-中泓投保应收账款数据赋能第2期资产支持专项计划",
        model="data_empowered",
        dates=_dates(expected, legal),
        payment_months=(1, 4, 7, 10),
        payment_day=26,
        parties=(
            *core_parties(("澄天证券股份有限公司", "91420100MA4L3Q8C2"), originator, CUSTODIAN, RATING, None),
            EMP_GUARANTOR,
            registry_party(EMP_REGISTRY),
        ),
        tranches=tranche_pair(Decimal("484500000"), Decimal("25500000"), Decimal("0.021"), expected, legal),
        fees=standard_fees(rating_fee=150000),
        triggers=standard_triggers(data_collateral=False),
        credit_support=(
            Inline(
                id="guarantee",
                kind="guarantor",
                provider="guarantor",
                covers="asset_dues",
                amount=int(EMP_TARGET * Decimal("1.05")),
                claim_delay_days=30,
            ),
        ),
        obligors=(EMP_PLATFORM, *obligors),
        assets=tuple(assets),
        data_assets=platform,
        registries=(EMP_REGISTRY,),
        valuations=(),
        collection_account="11050161360009000404",
        pledgee=None,
        pledge_registered=PLEDGED_ON,
        appraisal_prefix="澄信评报字",
        policy={
            "rights": {"require_pledge": False},
            "pool": {"constraints": {"target_principal": int(EMP_TARGET)}},
        },
        readme_intro=(
            "Synthetic data-empowered receivables deal (数据资产赋能类, model `data_empowered`) in the shape of",
            "天风-中投保应收账款2期: names are invented; the ¥510m size is the public fact.",
        ),
        readme_facts=(
            "- ¥510.0m issue (public): senior A ¥484.5m 2.10% fixed AAAsf, subordinate B ¥25.5m (split and coupon",
            "  synthetic, within the 1.8–2.5% range of the data deals).",
            f"- {EMP_ASSETS} receivables (¥0.6–3.6m, single due dates, 2.8–4.6% discount yield) of {EMP_OBLIGORS} obligors in",
            "  10 cities, all guaranteed by 中泓投融资担保 (invented, 中投保-like, AAA). `principal` is the purchase price",
            "  at cut-off and `rate` the discount yield.",
            f"- The pool is **selected**: target ¥{EMP_TARGET:,.0f} (deal policy `pool.constraints.target_principal`);",
            "  8 receivables are deliberately ineligible (3 overdue → E03/E04, 2 restructured → E08, 3 maturing after",
            "  legal maturity − 6 months → E13) and obligors EO018, EO065 are flagged 失信被执行人 (E02).",
            "- Data: the originator's platform data (trading and logistics-fulfilment data), which selects, prices",
            "  and monitors the receivables. Governance runs on both samples. No receivable is secured by data: no",
            "  pledge, no `data_asset_id` on the assets, the label rule (> 50% pledged) does not apply (exempt model),",
            "  no valuation.yaml (no pool rule needs a value; the checklist needs no appraisal for this model).",
            "- Rights: the platform data is registered (京澄数据知识产权登记平台, code 1101) though the model needs no",
            "  certificate; deal policy `rights.require_pledge: false`, so V1/V2/V5/V6/V8/V9 verify the registration",
            "  and V3/V4/V7 pass as not applicable (no borrower, no maturity to cover, no pledge).",
        ),
        notes={
            "deal_id": "Demo deal, synthetic names; shape of 天风-中投保应收账款2期 (data-empowered). Generated by dataabs.demo.",
            "credit_support": "The guarantor company guarantees every receivable's dues (担保).",
            "policy": "No pledge: rights checks run without one; the pool is selected to a target size.",
        },
    )


# --- demo-revenue-rights ------------------------------------------------------------------------------------

REV_REGISTRY = Registry("shencheng-data", "深澄数据资产登记平台", "4403", "12440300MB2F57318")
REV_HOLDER = ObligorFact(
    "DP01", "深澄能源数据科技有限公司", uscc17("440300", 7100), "广东省", "深圳市", "I", "AA"
)
REV_PARENT = PartyFact("parent", "guarantor", "深澄能源集团有限公司", "91440300MA5G7K2P8", "AAA")
REV_RATE = Decimal("0.060")
REV_CHURN = Decimal("0.08")
#: licensees (被许可方) of the data product, each paying a contracted flat licence fee: id, name, area, province,
#: city, GB/T 4754 section, rating, quarterly fee ¥m
REV_LICENSEES = (
    ("LC01", "粤澄电网售电有限公司", "440100", "广东省", "广州市", "D", "AAA", 1.60),
    ("LC02", "沪澄商业银行股份有限公司", "310000", "上海市", "上海市", "J", "AAA", 1.35),
    ("LC03", "京澄财产保险股份有限公司", "110000", "北京市", "北京市", "J", "AA+", 1.10),
    ("LC04", "苏澄智能制造集团有限公司", "320500", "江苏省", "苏州市", "C", "AA+", 0.95),
    ("LC05", "浙澄碳资产管理有限公司", "330100", "浙江省", "杭州市", "M", "AA", 0.80),
)
#: subscription cohorts (订阅客户, by sign-up year): id, churn-projected quarterly fee ¥m per subscriber, and the
#: subscribers (id, name, area, province, city, GB/T 4754 section)
REV_COHORTS = (
    (
        "S1",
        0.30,
        (
            ("SB11", "深澄精工电子有限公司", "440300", "广东省", "深圳市", "C"),
            ("SB12", "福澄冷链物流有限公司", "350100", "福建省", "福州市", "G"),
            ("SB13", "川澄商业地产管理有限公司", "510100", "四川省", "成都市", "K"),
            ("SB14", "鲁澄化工新材料有限公司", "370100", "山东省", "济南市", "C"),
        ),
    ),
    (
        "S2",
        0.225,
        (
            ("SB21", "湘澄数据中心运营有限公司", "430100", "湖南省", "长沙市", "I"),
            ("SB22", "皖澄新能源汽车部件有限公司", "340100", "安徽省", "合肥市", "C"),
            ("SB23", "鄂澄城市燃气有限公司", "420100", "湖北省", "武汉市", "D"),
            ("SB24", "津澄港口装卸有限公司", "120000", "天津市", "天津市", "G"),
        ),
    ),
    (
        "S3",
        0.1875,
        (
            ("SB31", "渝澄连锁商超有限公司", "500000", "重庆市", "重庆市", "F"),
            ("SB32", "陕澄建筑科技有限公司", "610100", "陕西省", "西安市", "E"),
            ("SB33", "豫澄食品加工有限公司", "410100", "河南省", "郑州市", "C"),
            ("SB34", "赣澄医药物流有限公司", "360100", "江西省", "南昌市", "G"),
        ),
    ),
)


def revenue_rights_spec() -> PackageSpec:
    """A data product's licensing and subscription income (数据产品收益权), the product's data pledged by its holder."""
    dates = quarterly(date(2025, 9, 30), date(2027, 6, 30))
    product = data_asset(
        "DA-ENERGY-PRODUCT",
        "meter",
        "深澄企业用能数据产品",
        "DP01",
        REV_REGISTRY.id,
        date(2025, 2, 20),
        88,
        5600000,
    )
    obligors, assets = [REV_HOLDER], []

    def stream(asset_id: str, obligor_id: str, quarterly_fee: float, projected: bool) -> AssetFact:
        """One payer's income stream as a revenue_right asset (PV at REV_RATE; churn on subscriptions)."""
        base, keep = Decimal(str(quarterly_fee)) * 1000000, 1 - REV_CHURN / 4
        revenue = tuple(yuan(base * (keep**t if projected else 1)) for t in range(len(dates)))
        principal, dues = revenue_schedule(revenue, dates, REV_RATE, CUT_OFF)
        return AssetFact(
            asset_id,
            obligor_id,
            "revenue_right",
            principal,
            REV_RATE,
            CUT_OFF,
            dates[-1],
            dues,
            data_asset_id=product.data_asset_id,
        )

    for n, (oid, name, area, province, city, industry, rating, fee) in enumerate(REV_LICENSEES):
        obligors.append(ObligorFact(oid, name, uscc17(area, 7200 + n), province, city, industry, rating))
        assets.append(stream(f"RR-LIC-{n + 1:02d}", oid, fee, projected=False))
    for c, (cohort, fee, subscribers) in enumerate(REV_COHORTS):
        for k, (oid, name, area, province, city, industry) in enumerate(subscribers):
            obligors.append(ObligorFact(oid, name, uscc17(area, 7300 + 10 * c + k), province, city, industry))
            assets.append(stream(f"RR-{cohort}-{k + 1:02d}", oid, fee, projected=True))
    secured = _secured(assets)
    valuation = direct_valuation(product, secured[product.data_asset_id], Decimal("0.45"))
    expected, legal = date(2027, 7, 26), date(2028, 7, 26)
    manager = ("澄深证券股份有限公司", "91440300MA5H1R6T4")
    pool = sum((a.principal for a in assets), Decimal(0))
    senior, subordinate = round_10k(pool * Decimal("0.80")), round_10k(pool * Decimal("0.08"))
    return PackageSpec(
        deal_id="demo-revenue-rights",
        name="澄深-深澄能源数据产品收益权第1期资产支持专项计划",
        model="revenue_rights",
        dates=_dates(expected, legal),
        payment_months=(1, 4, 7, 10),
        payment_day=26,
        parties=(
            *core_parties(manager, (REV_HOLDER.name, REV_HOLDER.uscc17), CUSTODIAN, RATING, APPRAISER),
            REV_PARENT,
            registry_party(REV_REGISTRY),
        ),
        tranches=tranche_pair(senior, subordinate, Decimal("0.025"), expected, legal),
        fees=standard_fees(rating_fee=50000),
        triggers=standard_triggers(data_collateral=True),
        credit_support=(
            Inline(
                id="shortfall",
                kind="shortfall_undertaking",
                provider="parent",
                covers="senior_shortfall",
                amount=None,
                claim_delay_days=10,
            ),
        ),
        obligors=tuple(obligors),
        assets=tuple(assets),
        data_assets=(product,),
        registries=(REV_REGISTRY,),
        valuations=(valuation,),
        collection_account="44050161360009000505",
        pledgee=REV_HOLDER.name,
        pledge_registered=PLEDGED_ON,
        appraisal_prefix="澄信评报字",
        policy={
            "rights": {"obligor_is_holder": False},
            "pool": {"eligibility": {"E17_pledgor_is_obligor": {"enabled": False}}},
        },
        readme_intro=(
            'Synthetic data-product revenue-rights deal (数据产品收益权, model `revenue_rights`) — the "ideal" model',
            "the market discusses, not yet issued (domain §1): every name and number is synthetic.",
        ),
        readme_facts=(
            "- The base asset is the future income of one data product (企业用能数据产品) of 深澄能源数据科技 (DP01, the",
            "  originator): five licensing contracts of five licensees (contracted, flat fees) and three subscription",
            "  cohorts of four subscribers each (projected with 8% a year churn), quarterly 2025-09-30 … 2027-06-30.",
            "- Obligors are the payers: the 5 licensees (LC01–LC05, rated AAA–AA) and the 12 subscribers (SB11–SB34);",
            "  each payer's stream is one `revenue_right` asset whose `principal` is the transfer price = the stream's",
            f"  present value at {REV_RATE:.2%} (ACT/365); each period's revenue = interest on the balance + the",
            "  scheduled principal. The pool concentration rules (P02–P07) apply to them as to any pool.",
            f"- Pool ¥{pool:,.2f}: senior A ¥{senior:,.0f} (80% of the pool) 2.50% AAAsf, subordinate B",
            f"  ¥{subordinate:,.0f} (8% of the pool, {subordinate / (senior + subordinate):.2%} of the issue); the",
            f"  rest is over-collateralisation (pool {pool / senior:.3f}× the senior): the excess spread of a",
            "  single-product revenue deal must carry the senior on its own (life debt-service coverage ≥ 1.20×).",
            "- Credit support: the originator's parent 深澄能源集团 (AAA, invented) gives an unlimited shortfall",
            "  undertaking (差额支付承诺, `covers: senior_shortfall`) on senior interest and principal — the credit",
            "  substitution that carries the AAAsf (policy `credit_substitution_by: shortfall_undertaking`). Top-N",
            "  obligor default stresses = the largest licensees stop paying at the first due date.",
            "- The product's data asset is registered at 深澄数据资产登记平台 (code 4403) and pledged (中登网) by its holder,",
            "  the originator, who sells the revenue: holder = pledgor (V3); the payers are not pledgors (deal policy",
            "  `rights.obligor_is_holder: false`, and eligibility rule E17 pledgor = obligor switched off: it is V3's",
            "  per-asset twin and holds for loans, not for a seller's revenue).",
            "- Pledgee: registered to the originator's name because the rights stage takes the deal's pledgee from the",
            "  lender or else the originator party (tasks/rights.py); in a real deal it would be the plan (the manager).",
        ),
        notes={
            "deal_id": "Demo deal, synthetic (数据产品收益权, not yet issued in the market). Generated by dataabs.demo.",
            "credit_support": "Shortfall undertaking (差额支付承诺) of the originator's AAA parent on the senior.",
            "policy": "Obligors are the payers (licensees, subscribers), not the holder: V3 compares holder and pledgor; E17 off.",
        },
    )
