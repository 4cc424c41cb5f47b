"""Load and validate a deal package: every problem found at once, with file, row and column."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from dataabs.errors import PackageInvalid, Problem
from dataabs.package.schema import Deal
from dataabs.package.tapes import TAPES, read_header, read_table, typed_tape

MAX_YAML_BYTES = 1024 * 1024
MAX_YAML_DEPTH = 64
MAX_JSON_BYTES = 64 * 1024 * 1024
TAPES_THAT_MAY_BE_EMPTY = ("data_assets",)


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
    try:
        root = Path(root).resolve()
        is_folder = root.is_dir()
    except (OSError, RuntimeError, ValueError) as exc:
        raise PackageInvalid(
            str(root), [Problem(str(root), f"cannot open the package folder: {exc}")]
        ) from None
    deal_file = str(root / "deal.yaml")
    if not is_folder:
        raise PackageInvalid(str(root), [Problem(str(root), "not a folder: a deal package is a folder")])
    path, problems = inside_package(root, "deal.yaml", deal_file)
    if path is not None and path.is_dir():
        problems.append(Problem(deal_file, "is a directory, not a file"))
    elif path is not None and not path.is_file():
        problems.append(Problem(deal_file, "file not found: not a deal package"))
    if problems:
        raise PackageInvalid(str(root), problems)
    raw, problems = read_yaml(root / "deal.yaml")
    deal = None
    if raw is not None:
        deal, schema_problems = parse_deal(raw, deal_file)
        problems += schema_problems
    if deal is None:
        raise PackageInvalid(str(root), problems)
    tapes: dict[str, pd.DataFrame] = {}
    for name, spec in TAPES.items():
        relative = getattr(deal.tapes, name)
        path, place_problems = inside_package(root, relative, deal_file, column=f"tapes.{name}")
        problems += place_problems
        if path is None:
            continue
        frame, read_problems = read_table(path)
        problems += read_problems
        if frame is None:
            continue
        tapes[name], type_problems = typed_tape(spec, frame, relative)
        problems += type_problems
        if frame.empty and name not in TAPES_THAT_MAY_BE_EMPTY:
            problems.append(Problem(relative, "has a header but no data rows", row=2))
    if len(tapes) == len(TAPES) and not problems:
        problems += cross_checks(root, deal, tapes)
    if problems:
        raise PackageInvalid(str(root), problems)
    return DealPackage(root=root, deal=deal, tapes=tapes)


_YamlBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed: 10x faster


class _NoAliasLoader(_YamlBase):
    """A safe YAML loader that refuses duplicate keys and impossible dates (``_refuse_aliases`` runs first)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise yaml.constructor.ConstructorError(
                        None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark
                    )
                key = (key_node.tag, key_node.value)
                if key in first:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {key_node.value!r} (first at line {first[key]})",
                        key_node.start_mark,
                    )
                first[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"impossible date {node.value!r} ({exc})", node.start_mark
            ) from None


_NoAliasLoader.add_constructor("tag:yaml.org,2002:timestamp", _NoAliasLoader.construct_yaml_timestamp)


def _refuse_aliases(text: str) -> None:
    """Scan the YAML events once: aliases (``*ref``, the billion-laughs bomb) and deep nesting are refused."""
    depth = 0
    for event in yaml.parse(text, Loader=_YamlBase):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "aliases (*ref) are not allowed in deal package YAML", event.start_mark
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_YAML_DEPTH} levels", event.start_mark
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def read_yaml(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read a YAML mapping safely: size-capped, no aliases, no custom tags, no duplicate keys."""
    name = str(path)
    try:
        if path.is_dir():
            return None, [Problem(name, "is a directory, not a file")]
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            return None, [Problem(name, f"larger than {MAX_YAML_BYTES // 1024} KiB")]
        data_bytes = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, f"cannot read: {exc.strerror or exc}")]
    if not data_bytes.strip():
        return None, [Problem(name, "empty file")]
    try:
        text = data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data_bytes[: exc.start].count(b"\n") + 1
        return None, [Problem(name, "not UTF-8 text (save YAML as UTF-8)", row=line)]
    try:
        _refuse_aliases(text)
        data = yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        row = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(name, f"invalid YAML: {reason}", row=row)]
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        return None, [Problem(name, f"invalid YAML: {type(exc).__name__}: {exc}")]
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return None, [Problem(name, f"must be a YAML mapping of keys to values, not {kind}")]
    return data, []


def parse_deal(raw: dict[str, Any], file: str) -> tuple[Deal | None, list[Problem]]:
    """Validate the deal.yaml mapping against the schema; each error names its key path."""
    try:
        return Deal.model_validate(raw), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, file)


_KEYED_MESSAGE = re.compile(r"^(?P<path>[\w.:\-\[\]]+): (?P<reason>.+)$", re.DOTALL)


def problems_from_validation(exc: ValidationError, file: str) -> list[Problem]:
    """Turn a pydantic ValidationError into problems naming the key path as the column.

    A model validator that finds several defects raises one ``ValueError`` of ``"<key path>: <reason>"`` parts
    joined by ``"; "``; each part becomes its own problem at its own key path.
    """
    problems = []
    for error in exc.errors():
        path = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"])
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "value_error":
            message = message.removeprefix("Value error, ")
            parts = [_KEYED_MESSAGE.match(part) for part in message.split("; ")]
            if all(parts):
                problems += [
                    Problem(file, m["reason"], column=".".join(x for x in (path, m["path"]) if x))
                    for m in parts
                    if m is not None
                ]
                continue
        problems.append(Problem(file, message, column=path or "(top level)"))
    return problems


def inside_package(
    root: Path, relative: str, where: str, row: int | None = None, column: str | None = None
) -> tuple[Path | None, list[Problem]]:
    """Resolve a file reference, refusing absolute paths and any path (or symlink) that leaves the package."""

    def refuse(reason: str) -> tuple[Path | None, list[Problem]]:
        return None, [Problem(where, reason, row=row, column=column)]

    if not isinstance(relative, str) or not relative.strip():
        return refuse("empty file path")
    if "\x00" in relative:
        return refuse(f"path {relative!r} contains a NUL character")
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts or relative.startswith("\\"):
        return refuse(f"path {relative!r} must be relative and stay inside the package")
    try:
        path = (root / candidate).resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        return refuse(f"path {relative!r} cannot be resolved: {exc}")
    if root not in path.parents:
        return refuse(f"path {relative!r} leaves the package (a symlink pointing outside?)")
    return path, []


def _existing_file(
    root: Path, relative: str, where: str, row: int | None = None, column: str | None = None
) -> tuple[Path | None, list[Problem]]:
    """``inside_package`` plus: the path is an existing regular file."""
    path, problems = inside_package(root, relative, where, row=row, column=column)
    if path is None:
        return None, problems
    try:
        if path.is_dir():
            return None, [Problem(where, f"{relative!r} is a directory, not a file", row=row, column=column)]
        if not path.is_file():
            return None, [Problem(where, f"file {relative!r} not found", row=row, column=column)]
    except OSError as exc:
        return None, [Problem(where, f"cannot open {relative!r}: {exc}", row=row, column=column)]
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
    problems += bank_seed(root, deal)
    problems += valuation_file(root, deal)
    problems += document_files(root, deal)
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
    """Each data asset's sample, spec and evidence files exist inside the package; the spec is valid, the
    sample's header has every column the spec requires and the files the spec references exist."""
    from dataabs.governance.spec import read_spec

    problems: list[Problem] = []
    file = deal.tapes.data_assets
    for i, row in enumerate(data_assets.itertuples(index=False), start=2):
        paths: dict[str, Path | None] = {}
        for column in ("sample_file", "spec_file", "evidence_file"):
            relative = getattr(row, column, None)
            if relative is None:
                continue
            paths[column], place = _existing_file(root, relative, file, row=i, column=column)
            problems += place
        spec = None
        spec_path = paths.get("spec_file")
        if spec_path is not None:
            spec, spec_problems = read_spec(spec_path)
            problems += spec_problems
        sample_path = paths.get("sample_file")
        if spec is None or sample_path is None:
            continue
        header, header_problems = read_header(sample_path)
        problems += header_problems
        if header is not None:
            problems += [
                Problem(
                    str(row.sample_file),
                    f"column required by the data spec {row.spec_file} is missing from the header",
                    row=1,
                    column=name,
                )
                for name in spec.required_columns
                if name not in header
            ]
        for reference in spec.references:
            problems += _existing_file(
                root, reference.file, str(spec_path), column=f"references.{reference.id}.file"
            )[1]
    return problems


def sandbox_seed(root: Path, deal: Deal) -> list[Problem]:
    """The sandbox registry seed, if declared, is inside the package and well-formed."""
    if deal.sandbox.registry is None:
        return []
    from dataabs.sandbox.seed import read_registry_seed

    path, problems = _existing_file(root, deal.sandbox.registry, _deal_file(root), column="sandbox.registry")
    if path is None:
        return problems
    return read_registry_seed(path)[1]


def bank_seed(root: Path, deal: Deal) -> list[Problem]:
    """The sandbox bank seed, if declared, is inside the package and a JSON object."""
    if deal.sandbox.bank is None:
        return []
    path, problems = _existing_file(root, deal.sandbox.bank, _deal_file(root), column="sandbox.bank")
    if path is None:
        return problems
    name = str(path)
    if path.stat().st_size > MAX_JSON_BYTES:
        return [Problem(name, f"larger than {MAX_JSON_BYTES // 2**20} MiB")]
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        return [Problem(name, "not UTF-8 text")]
    except json.JSONDecodeError as exc:
        return [Problem(name, f"invalid JSON: {exc.msg} (column {exc.colno})", row=exc.lineno)]
    except RecursionError:
        return [Problem(name, "invalid JSON: nested too deeply")]
    if not isinstance(data, dict):
        return [Problem(name, "must be a JSON object (the bank seed: account_no, transactions)")]
    return []


def valuation_file(root: Path, deal: Deal) -> list[Problem]:
    """The deal's ``valuation.yaml``, if declared, is inside the package and valid (``load_valuation``)."""
    if deal.valuation is None:
        return []
    from dataabs.valuation.model import load_valuation

    path, problems = _existing_file(root, deal.valuation, _deal_file(root), column="valuation")
    if path is None:
        return problems
    raw, problems = read_yaml(path)  # the safe reader first: size cap, no aliases, no duplicate keys
    if raw is None:
        return problems
    try:
        load_valuation(path)
    except PackageInvalid as invalid:
        return [Problem(deal.valuation, p.reason, row=p.row, column=p.column) for p in invalid.problems]
    return []


def document_files(root: Path, deal: Deal) -> list[Problem]:
    """Every ``documents[].file`` is an existing file inside the package."""
    problems: list[Problem] = []
    for n, document in enumerate(deal.documents):
        problems += _existing_file(root, document.file, _deal_file(root), column=f"documents.{n}.file")[1]
    return problems


def _deal_file(root: Path) -> str:
    """The name problems in ``deal.yaml`` carry."""
    return str(root / "deal.yaml")
