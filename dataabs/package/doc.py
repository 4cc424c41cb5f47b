"""Print the deal-package reference as markdown: every ``deal.yaml`` key and every tape column.

``python -m dataabs.package.doc`` writes the tables that ``docs/deal-package.md`` embeds between its
``<!-- generated -->`` markers; ``python -m dataabs.package.doc --write`` refreshes them in place.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from dataabs.package.schema import Deal
from dataabs.package.tapes import TAPES

BEGIN, END = "<!-- generated: python -m dataabs.package.doc -->", "<!-- end generated -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "deal-package.md"


def _type_name(annotation: Any) -> str:
    """A readable type: ``list[Party]``, ``senior | mezzanine``, ``date``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args if a is not type(None)) + (
            " \\| null" if type(None) in args else ""
        )
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return "mapping"
    return getattr(annotation, "__name__", str(annotation))


def _nested(annotation: Any) -> list[type[BaseModel]]:
    """Models inside an annotation (``list[Party]`` → ``Party``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for a in typing.get_args(annotation) for m in _nested(a)]


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
        return "`[]`" if value == [] else "`{}`" if value == {} else "(section defaults)"
    if field.default is PydanticUndefined:
        return ""
    if isinstance(field.default, BaseModel):
        return "(section defaults)"
    return f"`{field.default}`" if field.default is not None else "`null`"


def _constraints(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for name in ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern"):
            value = getattr(item, name, None)
            if value is not None:
                parts.append(f"{name} {value}")
    return ", ".join(parts)


def model_tables(model: type[BaseModel] = Deal, path: str = "") -> list[str]:
    """One markdown table per model section, depth first, keyed by the YAML key path."""
    lines = [f"### `{path or 'deal.yaml'}` — {model.__name__}", "", (model.__doc__ or "").strip(), ""]
    lines += ["| key | type | default | constraints | meaning |", "|---|---|---|---|---|"]
    children: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        key = f"{path}.{name}" if path else name
        nested = _nested(field.annotation)
        is_list = typing.get_origin(field.annotation) is list or any(
            typing.get_origin(a) is list for a in typing.get_args(field.annotation)
        )
        description = (field.description or "").replace("|", "\\|")
        lines.append(
            f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {_constraints(field)} | {description} |"
        )
        children += [(f"{key}[]" if is_list else key, m) for m in nested]
    lines.append("")
    for key, child in children:
        lines += model_tables(child, key)
    return lines


def tape_tables() -> list[str]:
    """One markdown table per tape: column, type, required, allowed values, unique, reference, meaning."""
    lines: list[str] = []
    for name, spec in TAPES.items():
        lines += [f"### Tape `{name}` (key `{spec.key.name}`)", ""]
        lines += ["| column | type | required | rules | meaning |", "|---|---|---|---|---|"]
        for c in spec.columns:
            rules = []
            if c.unique:
                rules.append("unique")
            if c.choices:
                rules.append("one of " + ", ".join(f"`{x}`" for x in c.choices))
            if c.references:
                rules.append(f"→ `{c.references}`")
            if c.minimum is not None:
                rules.append(f"≥ {c.minimum}")
            if c.pattern:
                rules.append(f"matches `{c.pattern}`")
            lines.append(
                f"| `{c.name}` | {c.kind} | {'yes' if c.required else 'no'} | {'; '.join(rules)} | {c.description} |"
            )
        lines.append("")
    return lines


def reference() -> str:
    """The generated block of docs/deal-package.md."""
    body = ["## deal.yaml, key by key", "", *model_tables(), "## Tapes, column by column", "", *tape_tables()]
    return "\n".join([BEGIN, "", *body, END])


def refresh(doc: Path = DOC) -> None:
    """Replace the generated block of the doc in place."""
    text = doc.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    doc.write_text(head + reference() + tail, encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        refresh()
    else:
        sys.stdout.write(reference() + "\n")
