"""Data spec YAML: the agreed shape reads; problems name the spec file and the key path."""

from __future__ import annotations

from pathlib import Path

from dataabs.governance.spec import read_spec

SPEC_YAML = r"""
standard: "T/CSAE 158-2020 车路协同数据规范"
row_key: [record_id]
columns:
  record_id: {type: string, required: true, unique: true, pattern: "^R\\d{9}$"}
  vehicle_type: {type: string, codes: [car, bus, truck]}
  speed_kmh: {type: number, min: 0, max: 200}
  ts: {type: datetime, required: true}
  plate_masked: {type: string}
  start_time: {type: datetime}
  end_time: {type: datetime}
  a: {type: number}
  b: {type: number}
  c: {type: number}
  lot_id: {type: string}
  district: {type: string}
  age_band: {type: string}
rules:
  - {id: end_after_start, kind: column_pair_ge, a: end_time, b: start_time, dimension: consistency}
  - {id: total_eq_sum, kind: sum_equals, columns: [a, b], total: c, dimension: consistency}
references:
  - {id: lot_known, column: lot_id, file: samples/parking/lots.csv, key: lot_id}
timeliness: {timestamp_column: ts, freshness_days: 45, ordered_by: ts}
accessibility: {endpoint: null}
quasi_identifiers: [district, age_band]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_agreed_shape_reads(tmp_path: Path) -> None:
    spec, problems = read_spec(write(tmp_path, SPEC_YAML))
    assert problems == [] and spec is not None
    assert spec.columns["speed_kmh"].max == 200 and spec.columns["vehicle_type"].codes == [
        "car",
        "bus",
        "truck",
    ]
    assert spec.rules[1].operands == ["a", "b", "c"]
    assert spec.required_columns == ["record_id", "ts"]


def test_unknown_key_names_the_key_path(tmp_path: Path) -> None:
    path = write(
        tmp_path, SPEC_YAML.replace("{type: number, min: 0, max: 200}", "{type: number, minimum: 0}")
    )
    spec, problems = read_spec(path)
    assert spec is None
    assert [(p.file, p.column, p.reason) for p in problems] == [
        (str(path), "columns.speed_kmh.minimum", "unknown key")
    ]


def test_undeclared_column_in_rules(tmp_path: Path) -> None:
    spec, problems = read_spec(write(tmp_path, SPEC_YAML.replace("b: start_time", "b: begin_time")))
    assert spec is None and "begin_time" in problems[0].reason


def test_bad_type_pattern_and_bounds(tmp_path: Path) -> None:
    text = SPEC_YAML.replace("type: string, codes", "type: text, codes").replace('"^R\\\\d{9}$"', '"^R(["')
    _, problems = read_spec(write(tmp_path, text.replace("min: 0, max: 200", "min: 300, max: 200")))
    places = {p.column for p in problems}
    assert {"columns.vehicle_type.type", "columns.record_id.pattern", "columns.speed_kmh"} <= places


def test_missing_file_and_invalid_yaml(tmp_path: Path) -> None:
    assert read_spec(tmp_path / "nope.yaml")[1][0].reason == "data spec file not found"
    _, problems = read_spec(write(tmp_path, "columns: [unclosed"))
    assert problems and problems[0].reason.startswith("invalid YAML")
