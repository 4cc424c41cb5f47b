"""Each GB/T 36344 indicator measured by GX on small crafted frames with known A and B."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dataabs.governance.indicators import Indicator, measure_indicators
from dataabs.governance.spec import DataSpec

CUT_OFF = date(2025, 6, 30)


def spec(**sections: Any) -> DataSpec:
    return DataSpec.model_validate({"standard": "test", **sections})


def frame(**columns: list[Any]) -> pd.DataFrame:
    return pd.DataFrame(columns).astype("str")


def ab(indicators: list[Indicator]) -> dict[str, tuple[int, int]]:
    return {i.id: (i.met, i.evaluated) for i in indicators}


def test_normativity_types_codes_ranges() -> None:
    s = spec(
        columns={
            "n": {"type": "number", "min": 0, "max": 10},
            "i": {"type": "integer"},
            "d": {"type": "date", "min": "2025-01-01"},
            "t": {"type": "datetime"},
            "b": {"type": "boolean"},
            "c": {"type": "string", "codes": ["x", "y"]},
        }
    )
    f = frame(
        n=["1.5", "11", "abc", None],
        i=["1", "-2", "3.0", "4"],
        d=["2025-02-01", "2024-12-31", "2025/01/01", None],
        t=["2025-01-01 10:00:00", "2025-01-01", "2025-13-01", "x"],
        b=["true", "否", "maybe", "0"],
        c=["x", "z", None, "y"],
    )
    result = ab(measure_indicators(f, s, CUT_OFF))
    # types: n 2/3, i 3/4, d 2/3, t 2/4, b 3/4
    assert result["normativity.data_standard"] == (12, 18)
    assert result["normativity.reference_data"] == (2, 3)
    # ranges on parsed values: n 1 of 2 (1.5 ok, 11 out), d 1 of 2
    assert result["normativity.business_rules"] == (2, 4)


def test_completeness_element_and_record() -> None:
    s = spec(
        columns={
            "a": {"type": "string", "required": True},
            "b": {"type": "string", "required": True},
            "c": {"type": "string"},
        }
    )
    result = ab(
        measure_indicators(
            frame(a=["1", None, "3", None], b=["1", "2", None, None], c=[None] * 4), s, CUT_OFF
        )
    )
    assert result["completeness.element"] == (4, 8)
    assert result["completeness.record"] == (1, 4)


def test_declared_column_missing_from_sample() -> None:
    s = spec(
        columns={"a": {"type": "string", "required": True}, "gone": {"type": "string", "required": True}}
    )
    result = ab(measure_indicators(frame(a=["1", "2"]), s, CUT_OFF))
    assert result["completeness.element"] == (2, 4)
    assert result["accessibility.usable"] == (1, 2)


def test_accuracy_format_duplicates_uniqueness_dirt() -> None:
    s = spec(
        row_key=["k"],
        columns={"k": {"type": "string", "unique": True, "pattern": r"R\d{3}"}, "v": {"type": "string"}},
    )
    f = frame(k=["R001", "R001", "R01", "R002"], v=["ok", "NULL", " padded", "-"])
    indicators = {i.id: i for i in measure_indicators(f, s, CUT_OFF)}
    assert (
        indicators["accuracy.format_compliance"].met,
        indicators["accuracy.format_compliance"].evaluated,
    ) == (3, 4)
    duplicates = indicators["accuracy.duplicate_rate"]
    assert (duplicates.met, duplicates.evaluated) == (2, 4) and duplicates.value == pytest.approx(0.5)
    assert (indicators["accuracy.uniqueness"].met, indicators["accuracy.uniqueness"].evaluated) == (2, 4)
    dirty = indicators["accuracy.dirty_rate"]
    assert (dirty.met, dirty.evaluated) == (5, 8) and dirty.value == pytest.approx(3 / 8)


def test_compound_row_key() -> None:
    s = spec(row_key=["a", "b"], columns={"a": {"type": "string"}, "b": {"type": "string"}})
    assert ab(measure_indicators(frame(a=["1", "1", "1"], b=["x", "x", "y"]), s, CUT_OFF))[
        "accuracy.duplicate_rate"
    ] == (1, 3)


def test_consistency_rules() -> None:
    s = spec(
        columns={
            "start": {"type": "datetime"},
            "end": {"type": "datetime"},
            "a": {"type": "number"},
            "b": {"type": "number"},
            "c": {"type": "number"},
            "x": {"type": "string"},
            "y": {"type": "string"},
        },
        rules=[
            {"id": "ordered", "kind": "column_pair_ge", "a": "end", "b": "start"},
            {"id": "sums", "kind": "sum_equals", "columns": ["a", "b"], "total": "c"},
            {"id": "same", "kind": "column_pair_equal", "a": "x", "b": "y"},
        ],
    )
    f = frame(
        start=["2025-01-01", "2025-01-02", None],
        end=["2025-01-01", "2025-01-01", "2025-01-01"],
        a=["0.1", "1", "1"],
        b=["0.2", "1", None],
        c=["0.3", "3", "1"],
        x=["p", "q", "r"],
        y=["p", "q", "s"],
    )
    # ordered: 1 of 2 (row 3 skipped); sums: 1 of 2 (0.1+0.2 = 0.3 within tolerance; row 3 skipped); same: 2 of 3
    assert ab(measure_indicators(f, s, CUT_OFF))["consistency.rules"] == (4, 7)


def test_consistency_references(tmp_path: Path) -> None:
    (tmp_path / "lots.csv").write_text("lot_id,name\nL1,a\nL2,b\n", encoding="utf-8")
    s = spec(
        columns={"lot": {"type": "string"}},
        references=[{"id": "lot_known", "column": "lot", "file": "lots.csv", "key": "lot_id"}],
    )
    result = ab(measure_indicators(frame(lot=["L1", "L2", "L3", None]), s, CUT_OFF, package_root=tmp_path))
    assert result["consistency.references"] == (2, 3)
    outside = spec(
        columns={"lot": {"type": "string"}},
        references=[{"id": "escape", "column": "lot", "file": "../lots.csv", "key": "lot_id"}],
    )
    broken = {i.id: i for i in measure_indicators(frame(lot=["L1"]), outside, CUT_OFF, package_root=tmp_path)}
    assert broken["consistency.references"].score == 0 and broken["consistency.references"].errors


def test_timeliness_freshness_and_ordering() -> None:
    s = spec(
        columns={"ts": {"type": "datetime"}},
        timeliness={"timestamp_column": "ts", "freshness_days": 45, "ordered_by": "ts"},
    )
    fresh = frame(ts=["2025-05-01 00:00:00", "2025-05-20 08:00:00", "2025-05-19 00:00:00", "2025-05-21"])
    result = ab(measure_indicators(fresh, s, CUT_OFF))
    assert result["timeliness.freshness"] == (1, 1)
    assert result["timeliness.ordering"] == (3, 4)
    stale = frame(ts=["2025-05-01", "2025-05-15"])  # cut-off minus 45 days is 2025-05-16
    assert ab(measure_indicators(stale, s, CUT_OFF))["timeliness.freshness"] == (0, 1)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = {"/ok": (200, b'{"rows": 3}'), "/bad-json": (200, b"<html>"), "/down": (503, b"{}")}[
            self.path
        ]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("path", "expected"), [("/ok", (1, 1)), ("/bad-json", (1, 0)), ("/down", (0, 0))])
def test_accessibility_endpoint(api: str, path: str, expected: tuple[int, int]) -> None:
    s = spec(columns={"a": {"type": "string"}}, accessibility={"endpoint": api + path})
    result = ab(measure_indicators(frame(a=["1"]), s, CUT_OFF, timeout=5))
    assert (result["accessibility.accessible"][0], result["accessibility.usable"][0]) == expected


def test_accessibility_unreachable_endpoint() -> None:
    s = spec(columns={"a": {"type": "string"}}, accessibility={"endpoint": "http://127.0.0.1:9/none"})
    result = ab(measure_indicators(frame(a=["1"]), s, CUT_OFF, timeout=2))
    assert result["accessibility.accessible"] == (0, 1)
