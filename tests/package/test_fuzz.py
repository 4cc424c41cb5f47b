"""Fuzz the package loader: random bytes, CSV text and YAML into a copy of the demo package.

Whatever goes in, ``load_package`` either returns a package or raises ``PackageInvalid`` — never another exception.
"""

from __future__ import annotations

import copy
import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataabs.errors import PackageInvalid
from dataabs.package import load_package

DEMO = Path(__file__).resolve().parents[2] / "config" / "deals" / "demo"
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One copy of the demo package; each example overwrites one file and the test restores it."""
    root = tmp_path_factory.mktemp("fuzz") / "deal"
    shutil.copytree(DEMO, root)
    yield root


def only_package_invalid(root: Path) -> None:
    """Load; anything but success or ``PackageInvalid`` fails the test."""
    try:
        load_package(root)
    except PackageInvalid as invalid:
        assert invalid.problems
        assert all(p.file and p.reason for p in invalid.problems)


def with_file(root: Path, name: str, content: bytes) -> None:
    """Write ``content`` to a file of the package, load, restore the file."""
    path = root / name
    original = (DEMO / name).read_bytes()
    try:
        path.write_bytes(content)
        only_package_invalid(root)
    finally:
        path.write_bytes(original)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes_as_a_tape(package: Path, data: bytes) -> None:
    with_file(package, "obligors.csv", data)


cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", "0", "-1", "NaN", "inf", "1e400", "2025-02-30", "=1+1", "L01", "OB01", "true", '"', ",", "\n"]
)


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=18), max_size=8), keep_header=st.booleans())
def test_random_csv_text_as_the_asset_tape(package: Path, rows: list[list[str]], keep_header: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if keep_header:
        writer.writerow((DEMO / "assets.csv").read_text(encoding="utf-8").splitlines()[0].split(","))
    writer.writerows(rows)
    with_file(package, "assets.csv", buffer.getvalue().encode("utf-8"))


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.dates().map(str)
)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@FUZZ
@given(text=st.text(max_size=400))
def test_random_text_as_deal_yaml(package: Path, text: str) -> None:
    with_file(package, "deal.yaml", text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(value=yaml_values)
def test_random_yaml_document_as_deal_yaml(package: Path, value: Any) -> None:
    with_file(package, "deal.yaml", yaml.safe_dump(value, allow_unicode=True).encode("utf-8"))


DEAL = yaml.safe_load((DEMO / "deal.yaml").read_text(encoding="utf-8"))


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a YAML value."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths(item, (*prefix, index))
    return out


DEAL_PATHS = paths(DEAL)


class _Plain(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


@FUZZ
@given(where=st.sampled_from(DEAL_PATHS), value=yaml_values)
def test_one_deal_yaml_value_replaced_at_random(package: Path, where: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(DEAL)
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with_file(package, "deal.yaml", yaml.dump(data, Dumper=_Plain, allow_unicode=True).encode("utf-8"))
