"""Load and validate a deal package: every problem found at once, with file, row and column."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from dataabs.errors import PackageInvalid, Problem
from dataabs.package.schema import Deal
from dataabs.package.tapes import TAPES, read_table, typed_tape

MAX_YAML_BYTES = 1024 * 1024


@dataclass
class DealPackage:
    """A validated deal package: the deal, its typed tapes and where its files are."""

    root: Path
    deal: Deal
    tapes: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def deal_id(self) -> str:
        """The deal's id."""
        return self.deal.deal_id

    @property
    def obligors(self) -> pd.DataFrame:
        """The obligor tape."""
        return self.tapes["obligors"]

    @property
    def assets(self) -> pd.DataFrame:
        """The asset tape (loans, receivables, leases, revenue rights)."""
        return self.tapes["assets"]

    @property
    def schedules(self) -> pd.DataFrame:
        """Scheduled principal (and optional interest) per asset and due date."""
        return self.tapes["schedules"]

    @property
    def data_assets(self) -> pd.DataFrame:
        """The data-asset tape."""
        return self.tapes["data_assets"]

    def path(self, relative: str) -> Path:
        """A file of the package by its relative path (already checked to stay inside the package)."""
        return self.root / relative

    def file_hashes(self) -> dict[str, str]:
        """SHA-256 of every file of the package, by relative path: the inputs recorded in the audit log."""
        return {
            str(p.relative_to(self.root)): sha256_file(p)
            for p in sorted(self.root.rglob("*"))
            if p.is_file() and not p.name.startswith(".")
        }


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def validate_package(root: Path | str) -> list[Problem]:
    """Every problem of a deal package (empty when it is valid)."""
    try:
        load_package(root)
    except PackageInvalid as invalid:
        return invalid.problems
    return []


def load_package(root: Path | str) -> DealPackage:
    """Load a deal package or raise ``PackageInvalid`` listing every problem found."""
    root = Path(root).resolve()
    if not (root / "deal.yaml").is_file():
        raise PackageInvalid(
            str(root), [Problem(str(root / "deal.yaml"), "file not found: not a deal package")]
        )
    raw, problems = read_yaml(root / "deal.yaml")
    deal = None
    if raw is not None:
        deal, schema_problems = parse_deal(raw, str(root / "deal.yaml"))
        problems += schema_problems
    if deal is None:
        raise PackageInvalid(str(root), problems)
    tapes: dict[str, pd.DataFrame] = {}
    for name, spec in TAPES.items():
        relative = getattr(deal.tapes, name)
        path, place_problems = inside_package(root, relative, f"deal.yaml: tapes.{name}")
        problems += place_problems
        if path is None:
            continue
        frame, read_problems = read_table(path)
        problems += read_problems
        if frame is not None:
            tapes[name], type_problems = typed_tape(spec, frame, relative)
            problems += type_problems
    if len(tapes) == len(TAPES) and not problems:
        problems += cross_checks(root, deal, tapes)
    if problems:
        raise PackageInvalid(str(root), problems)
    return DealPackage(root=root, deal=deal, tapes=tapes)


class _NoAliasLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses anchors and aliases (no alias bombs) and unknown tags."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*ref) are not allowed in deal.yaml", event.start_mark
            )
        return super().compose_node(parent, index)


def read_yaml(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read a YAML mapping safely: size-capped, no aliases, no custom tags."""
    name = str(path)
    if path.stat().st_size > MAX_YAML_BYTES:
        return None, [Problem(name, f"larger than {MAX_YAML_BYTES // 1024} KiB")]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [Problem(name, "not UTF-8 text")]
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        row = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(name, f"invalid YAML: {reason}", row=row)]
    if not isinstance(data, dict):
        return None, [Problem(name, "must be a YAML mapping of keys to values")]
    return data, []


def parse_deal(raw: dict[str, Any], file: str) -> tuple[Deal | None, list[Problem]]:
    """Validate the deal.yaml mapping against the schema; each error names its key path."""
    try:
        return Deal.model_validate(raw), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, file)


def problems_from_validation(exc: ValidationError, file: str) -> list[Problem]:
    """Turn a pydantic ValidationError into problems naming the key path as the column."""
    problems = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        problems.append(Problem(file, message, column=path))
    return problems


def inside_package(root: Path, relative: str, where: str) -> tuple[Path | None, list[Problem]]:
    """Resolve a file reference, refusing absolute paths and any path that leaves the package."""
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        return None, [Problem(where, f"path {relative!r} must be relative and stay inside the package")]
    path = (root / candidate).resolve()
    if root not in path.parents:
        return None, [Problem(where, f"path {relative!r} leaves the package")]
    return path, []


def cross_checks(root: Path, deal: Deal, tapes: dict[str, pd.DataFrame]) -> list[Problem]:
    """References across tapes, schedule totals, date order and referenced files."""
    problems = reference_problems(deal, tapes)
    assets, schedules = tapes["assets"], tapes["schedules"]
    file = deal.tapes.assets
    for i, row in enumerate(assets.itertuples(index=False), start=2):
        if row.maturity_date <= row.origination_date:
            problems.append(
                Problem(file, "maturity_date is not after origination_date", row=i, column="maturity_date")
            )
    totals = schedules.groupby("asset_id")["principal_due"].sum()
    for i, row in enumerate(assets.itertuples(index=False), start=2):
        scheduled = totals.get(row.asset_id)
        if scheduled is None:
            problems.append(Problem(file, "asset has no schedule rows", row=i, column="asset_id"))
        elif scheduled != row.principal:
            problems.append(
                Problem(
                    deal.tapes.schedules,
                    f"scheduled principal {scheduled} ≠ asset principal {row.principal}",
                    column=f"principal_due (asset {row.asset_id})",
                )
            )
    if schedules.duplicated(["asset_id", "due_date"]).any():
        for i in schedules.duplicated(["asset_id", "due_date"]).to_numpy().nonzero()[0]:
            problems.append(
                Problem(
                    deal.tapes.schedules, "duplicate (asset_id, due_date)", row=int(i) + 2, column="due_date"
                )
            )
    problems += data_asset_files(root, deal, tapes["data_assets"])
    problems += sandbox_seed(root, deal)
    problems += policy_overrides(deal)
    return problems


def policy_overrides(deal: Deal) -> list[Problem]:
    """The deal's ``policy:`` overrides name known keys with valid values."""
    from dataabs.policy import load_policy

    try:
        load_policy(deal.policy)
    except PackageInvalid as invalid:
        return invalid.problems
    return []


def reference_problems(deal: Deal, tapes: dict[str, pd.DataFrame]) -> list[Problem]:
    """Dangling references from one tape to another, or to the deal's parties."""
    known: dict[str, set[str]] = {"parties.id": {p.id for p in deal.parties}}
    for name, spec in TAPES.items():
        known[f"{name}.{spec.key.name}"] = set(tapes[name][spec.key.name].dropna())
    problems = []
    for name, spec in TAPES.items():
        file = getattr(deal.tapes, name)
        for column in spec.columns:
            if column.references is None:
                continue
            for i, value in enumerate(tapes[name][column.name].tolist(), start=2):
                if value is not None and value not in known[column.references]:
                    problems.append(
                        Problem(file, f"{value!r} is not in {column.references}", row=i, column=column.name)
                    )
    return problems


def data_asset_files(root: Path, deal: Deal, data_assets: pd.DataFrame) -> list[Problem]:
    """Each data asset's sample and spec files exist inside the package and the spec is valid."""
    from dataabs.governance.spec import read_spec

    problems: list[Problem] = []
    file = deal.tapes.data_assets
    for i, row in enumerate(data_assets.itertuples(index=False), start=2):
        for column in ("sample_file", "spec_file"):
            path, place = inside_package(root, getattr(row, column), f"{file}, row {i}, column {column!r}")
            problems += place
            if path is not None and not path.is_file():
                problems.append(
                    Problem(file, f"file {getattr(row, column)!r} not found", row=i, column=column)
                )
            elif path is not None and column == "spec_file":
                problems += read_spec(path)[1]
    return problems


def sandbox_seed(root: Path, deal: Deal) -> list[Problem]:
    """The sandbox registry seed, if declared, is inside the package and well-formed."""
    if deal.sandbox.registry is None:
        return []
    from dataabs.sandbox.seed import read_registry_seed

    path, problems = inside_package(root, deal.sandbox.registry, "deal.yaml: sandbox.registry")
    if path is None:
        return problems
    return read_registry_seed(path)[1]
