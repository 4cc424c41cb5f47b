"""Small builders the demo packages share: synthetic USCCs, parties, schedules, data assets and valuation inputs."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from dataabs.calendar import accrued_interest, add_months
from dataabs.demo.appraisal import ValuationFact
from dataabs.demo.package import DataAssetFact, Due, PartyFact, Registry

CENT = Decimal("0.01")
TEN_THOUSAND = Decimal("10000")
DIRECT_PREMIUMS = (Decimal("0.03"), Decimal("0.03"), Decimal("0.03"), Decimal("0.025"))
COST_SPLIT = (Decimal("0.12"), Decimal("0.55"), Decimal("0.18"), Decimal("0.08"), Decimal("0.07"))
GROWTH = (Decimal(1), Decimal("1.05"), Decimal("1.08"))


def uscc17(area: str, serial: int) -> str:
    """First 17 characters of a synthetic enterprise USCC: 91 + 6-digit area code + MA + 7-digit serial."""
    return f"91{area}MA{serial:07d}"


def core_parties(
    manager: tuple[str, str],
    originator: tuple[str, str],
    custodian: tuple[str, str],
    rating: tuple[str, str],
    appraiser: tuple[str, str] | None,
) -> tuple[PartyFact, ...]:
    """Manager, originator (also servicer), trustee and custodian (one bank), rating agency and appraiser."""
    parties = [
        PartyFact("manager", "manager", *manager),
        PartyFact("originator", "originator", *originator),
        PartyFact("servicer", "servicer", *originator),
        PartyFact("trustee", "trustee", *custodian),
        PartyFact("custodian", "custodian", *custodian),
        PartyFact("rating", "rating_agency", *rating),
    ]
    if appraiser is not None:
        parties.append(PartyFact("appraiser", "appraiser", *appraiser))
    return tuple(parties)


def registry_party(registry: Registry) -> PartyFact:
    """A registry body as a party of the deal."""
    return PartyFact(registry.id, "registry", registry.name, registry.uscc17)


def yuan(value: Decimal) -> Decimal:
    """Round to the fen, half-up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_10k(value: Decimal) -> Decimal:
    """Round to ¥10,000."""
    return (value / TEN_THOUSAND).quantize(Decimal(1), rounding=ROUND_HALF_UP) * TEN_THOUSAND


def quarterly(first: date, last: date) -> tuple[date, ...]:
    """Every third month from ``first`` to ``last`` inclusive."""
    days, day, step = [], first, 0
    while day <= last:
        days.append(day)
        step += 3
        day = add_months(first, step)
    return tuple(days)


def equal_principal(principal: Decimal, dates: tuple[date, ...]) -> tuple[Due, ...]:
    """Equal principal on each date (等额本金), the last one taking the rounding."""
    piece = yuan(principal / len(dates))
    dues = [Due(day, piece) for day in dates[:-1]]
    return (*dues, Due(dates[-1], principal - piece * (len(dates) - 1)))


def revenue_schedule(
    revenue: tuple[Decimal, ...], dates: tuple[date, ...], rate: Decimal, start: date
) -> tuple[Decimal, tuple[Due, ...]]:
    """A revenue stream as an amortising asset: principal = PV at ``rate``, each revenue = interest + principal."""
    balance = Decimal(0)
    # the present value (ACT/365 simple per period, compounded period by period), then the split per period
    factors, previous = [], start
    for day in dates:
        factors.append(1 + rate * Decimal((day - previous).days) / 365)
        previous = day
    for amount, factor in zip(reversed(revenue), reversed(factors), strict=True):
        balance = (balance + amount) / factor
    principal = yuan(balance)
    remaining, previous, dues = principal, start, []
    for day, amount in zip(dates, revenue, strict=True):
        interest = yuan(accrued_interest(remaining, rate, previous, day, "ACT/365"))
        paid = min(remaining, amount - interest) if day != dates[-1] else remaining
        dues.append(Due(day, paid))
        remaining, previous = remaining - paid, day
    return principal, tuple(dues)


def data_asset(
    data_asset_id: str,
    kind: str,
    name: str,
    holder: str,
    registry: str,
    issued: date,
    serial: int,
    book_value: int,
    licence: tuple[str, date] | None = None,
) -> DataAssetFact:
    """A data asset, self-collected unless a licence (authorisation ref, expiry) is given."""
    return DataAssetFact(
        data_asset_id,
        kind,
        name,
        kind_data_type(kind),
        holder,
        registry,
        issued,
        serial,
        "licensed" if licence else "self_collected",
        Decimal(book_value),
        licence[0] if licence else None,
        licence[1] if licence else None,
    )


DATA_TYPES = {
    "v2x": "vehicle_road_telemetry",
    "paddy": "paddy_field_agronomy",
    "hotel": "hotel_operations",
    "parking": "parking_sessions",
    "process": "production_line_process",
    "tender": "tender_notices",
    "coldchain": "cold_chain_temperature",
    "meter": "smart_meter_energy",
}


def kind_data_type(kind: str) -> str:
    """The data type of a sample scenario."""
    return DATA_TYPES[kind]


def direct_valuation(asset: DataAssetFact, secured: Decimal, ltv: Decimal) -> ValuationFact:
    """Direct-income and cost inputs sized so the final value lands near ``secured / ltv``.

    The income value of the growth path (1, 1.05, 1.08) at r = 13.15% over the certificate's remaining life
    (about 2.6 years) is about 2.17 × the first year's flow, so R_1 = secured / ltv / 2.17.
    """
    first = round_10k(secured / ltv / Decimal("2.17"))
    book = asset.book_value * Decimal("2.3")
    lines = tuple(int(round_10k(book * w)) for w in COST_SPLIT)
    return ValuationFact(
        asset.data_asset_id,
        "direct",
        tuple(int(round_10k(first * g)) for g in GROWTH),
        DIRECT_PREMIUMS,
        (lines[0], lines[1], lines[2], lines[3], lines[4]),
        Decimal("3.6"),
    )
