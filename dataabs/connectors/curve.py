"""Client of the reference curve (基准收益率曲线): China Government Bond (中债国债) yields by tenor for a date.

The wire models describe both what the client accepts and what the sandbox curve serves
(``dataabs.sandbox.curve``), so they cannot drift apart. Yields are decimals, annually compounded.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dataabs.connectors.http import CounterpartyClient, validate_body
from dataabs.errors import CounterpartyError
from dataabs.issuance.pricing import Curve

CGB_PATH = "/curve/v1/cgb"


class CurvePoint(BaseModel):
    """One tenor of the curve."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    tenor_years: float = Field(gt=0, le=50)
    yield_: float = Field(alias="yield", ge=-0.05, le=0.5, description="Decimal, annually compounded.")


class CurveAnswer(BaseModel):
    """``GET /curve/v1/cgb?date=YYYY-MM-DD``: the curve of one date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    curve: str = Field(description="Curve id, e.g. cgb.")
    date: date
    points: list[CurvePoint] = Field(min_length=1)
    source: str
    fetched_at: datetime

    @model_validator(mode="after")
    def _increasing(self) -> CurveAnswer:
        tenors = [p.tenor_years for p in self.points]
        if any(b <= a for a, b in itertools.pairwise(tenors)):
            raise ValueError(f"tenors must be strictly increasing: {tenors}")
        return self

    def to_curve(self) -> Curve:
        """The answer as an analytics curve."""
        return Curve(
            tenors_years=tuple(p.tenor_years for p in self.points),
            yields=tuple(p.yield_ for p in self.points),
            as_of=self.date,
            name=self.curve.upper(),
        )


class CurveClient(CounterpartyClient):
    """Fetch the reference curve of a date over the shared counterparty plumbing (timeouts, retries on 5xx)."""

    counterparty = "curve"
    public_params = ("date",)

    def answer(self, day: date) -> CurveAnswer:
        """The validated curve answer of a date; ``CounterpartyError`` if it is for another date."""
        answer = self.http.get_json(CGB_PATH, {"date": day.isoformat()})
        body = validate_body(CurveAnswer, answer, "a curve")
        if body.date != day:
            raise CounterpartyError(f"curve: GET {answer.path} answered the curve of {body.date}, not {day}")
        return body

    def curve(self, day: date) -> Curve:
        """The China Government Bond curve of a date."""
        return self.answer(day).to_curve()
