"""The sandbox reference curve: a China Government Bond curve that is a smooth, deterministic function of date.

Nelson–Siegel yields ``y(τ) = β0 + β1·f1(τ) + β2·f2(τ)`` with λ = 3 years, whose level, slope and curvature
drift along slow sine cycles anchored so that mid-2025 runs from about 1.35% (3 months) to 1.88% (30 years), 10 years near 1.67%,
close to the published curve of that time. Served at ``GET /curve/v1/cgb?date=YYYY-MM-DD``; the lead mounts
``router`` under the sandbox's token check, and fault injection applies to ``/curve`` like any counterparty.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from dataabs.connectors.curve import CGB_PATH, CurveAnswer, CurvePoint

PREFIX = "/curve"
TENORS_YEARS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 30.0)
ANCHOR = date(2025, 7, 1)
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)
LAMBDA_YEARS = 3.0
LEVEL, SLOPE, CURVATURE = 0.02004, -0.00657, -0.00571
CYCLES = (  # (parameter, amplitude, period in years, phase in years): sin((years − phase) · 2π / period)
    ("level", 0.0025, 8.0, 0.0),
    ("slope", 0.0010, 5.0, 1.0),
    ("curvature", 0.0008, 3.0, 0.5),
)
DECIMALS = 6


def factors(day: date) -> tuple[float, float, float]:
    """Nelson–Siegel level, slope and curvature of a date."""
    years = (day - ANCHOR).days / 365.0
    base = {"level": LEVEL, "slope": SLOPE, "curvature": CURVATURE}
    for name, amplitude, period, phase in CYCLES:
        base[name] += amplitude * (
            math.sin(2 * math.pi * (years - phase) / period) + math.sin(2 * math.pi * phase / period)
        )
    return base["level"], base["slope"], base["curvature"]


def cgb_yield(day: date, tenor_years: float) -> float:
    """The sandbox CGB yield (decimal, annually compounded) of a date at a tenor."""
    level, slope, curvature = factors(day)
    x = tenor_years / LAMBDA_YEARS
    loading = (1 - math.exp(-x)) / x
    return level + slope * loading + curvature * (loading - math.exp(-x))


def cgb_curve(day: date) -> CurveAnswer:
    """The sandbox curve answer of a date."""
    return CurveAnswer(
        curve="cgb",
        date=day,
        points=[CurvePoint(tenor_years=t, yield_=round(cgb_yield(day, t), DECIMALS)) for t in TENORS_YEARS],
        source="dataabs sandbox (synthetic Nelson–Siegel, not market data)",
        fetched_at=datetime.now(UTC),
    )


router = APIRouter(tags=["reference curve"])


@router.get(CGB_PATH, response_model=CurveAnswer, response_model_by_alias=True, responses={404: {}})
def get_cgb_curve(day: Annotated[date, Query(alias="date", description="YYYY-MM-DD")]) -> CurveAnswer:
    """China Government Bond yields at 0.25–30 years for a date (2000-01-01 to 2099-12-31)."""
    if not FIRST_DATE <= day <= LAST_DATE:
        raise HTTPException(status_code=404, detail=f"no curve for {day}: dates {FIRST_DATE} to {LAST_DATE}")
    return cgb_curve(day)
