"""The sandbox registry seed (``registry/registry.json`` in a deal package): certificates and pledge registrations."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, ValidationError, model_validator

from dataabs.connectors.registry import Certificate, Pledge, Wire
from dataabs.errors import Problem
from dataabs.package.loader import problems_from_validation

MAX_SEED_BYTES = 16 * 1024 * 1024

__all__ = ["Certificate", "Pledge", "RegistrySeed", "read_registry_seed"]


class RegistrySeed(Wire):
    """What the sandbox registry serves for one deal: certificates and the pledges registered on them."""

    certificates: list[Certificate] = Field(default_factory=list)
    pledges: list[Pledge] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> RegistrySeed:
        problems = _duplicates(
            "certificates", "certificate_no", [c.certificate_no for c in self.certificates]
        )
        problems += _duplicates("pledges", "registration_no", [p.registration_no for p in self.pledges])
        if problems:
            raise ValueError("; ".join(problems))
        return self


def read_registry_seed(path: Path | str) -> tuple[RegistrySeed | None, list[Problem]]:
    """Read and validate a registry seed JSON file; problems name the file and the key path."""
    path = Path(path)
    name = str(path)
    if not path.is_file():
        return None, [Problem(name, "file not found")]
    if path.stat().st_size > MAX_SEED_BYTES:
        return None, [Problem(name, f"larger than {MAX_SEED_BYTES // 2**20} MiB")]
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, [Problem(name, "not UTF-8 text")]
    except json.JSONDecodeError as exc:
        return None, [Problem(name, f"invalid JSON: {exc.msg} (column {exc.colno})", row=exc.lineno)]
    if not isinstance(data, dict):
        return None, [Problem(name, 'must be a JSON object {"certificates": [...], "pledges": [...]}')]
    try:
        return RegistrySeed.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from_validation(exc, name)


def _duplicates(section: str, key: str, values: list[str]) -> list[str]:
    """Messages for values of a key that appear more than once in a section."""
    seen: set[str] = set()
    repeated = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
    return [f"{section}: duplicate {key} {v!r}" for v in repeated]
