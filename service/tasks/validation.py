"""Spec integrity: a task spec is checked against the guards and its prompt's
output schema when it loads, so a misspelt check or field path stops the
service at start-up instead of silently checking nothing.

Checked: guard check names, ``on_fail`` keys (a check the spec runs), the field
paths of ``text_fields`` / ``label_fields`` / ``fact_fields`` / ``id_fields`` (string
fields of the JSON output schema), and that every string field of the schema is
listed in one of them: a field no guard reads is an error, not a silent pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.guards.checks import INPUT_CHECKS, OUTPUT_CHECKS


class SpecError(ValueError):
    """A task spec that cannot run as written. The message names the spec file,
    the field and what is allowed; ``serve`` and the CLI print it and exit 2."""


def check_spec(spec, path: Path, schema: dict[str, Any]) -> None:
    """Raise SpecError with every problem of ``spec`` (loaded from ``path``)."""
    problems = _check_names(spec) + _check_paths(spec, schema) + _check_coverage(spec, schema)
    if problems:
        raise SpecError(f"{path}: " + "; ".join(problems))


def _check_names(spec) -> list[str]:
    guard, problems = spec.guard, []
    for field, names, known in (("guard.input_checks", guard.input_checks, INPUT_CHECKS),
                                ("guard.output_checks", guard.output_checks, OUTPUT_CHECKS)):
        problems += [f"{field}: unknown check {n!r} (allowed: {', '.join(known)})" for n in names if n not in known]
    runs = list(guard.output_checks)  # on_fail acts on output failures only
    problems += [f"guard.on_fail: {n!r} is not a check this spec runs (allowed: {', '.join(runs) or 'none'})"
                 for n in guard.on_fail if n not in runs]
    return problems


def _check_paths(spec, schema: dict[str, Any]) -> list[str]:
    allowed = ", ".join(string_paths(schema)) or "none"
    return [f"{field}: {p!r} is not a string field of the prompt's output schema (allowed: {allowed})"
            for field, paths in _declared(spec) for p in paths if not _is_string(resolve(schema, p))]


def _declared(spec) -> list[tuple[str, list[str]]]:
    facts = [p for f in spec.fact_fields for p in f.paths()]
    return [("text_fields", spec.text_fields), ("label_fields", spec.label_fields),
            ("fact_fields", facts), ("id_fields", spec.id_fields)]


def _check_coverage(spec, schema: dict[str, Any]) -> list[str]:
    """Every string the output can carry is read by some guard."""
    covered = {p for _, paths in _declared(spec) for p in paths}
    return [f"output field {p!r} is checked by nothing (list it in text_fields, label_fields, fact_fields or id_fields)"
            for p in string_paths(schema) if p not in covered]


def resolve(schema: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The schema node a field path (``key_facts[].value``) names, or None."""
    node: dict[str, Any] | None = schema
    for part in path.split("."):
        many = part.endswith("[]")
        node = (node or {}).get("properties", {}).get(part[:-2] if many else part)
        if many:
            node = node.get("items") if node and _types(node) == {"array"} else None
        if node is None:
            return None
    return node


def string_paths(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Every string field of an object schema, as field paths."""
    found = []
    for name, node in schema.get("properties", {}).items():
        if _types(node) == {"array"}:
            node, name = node.get("items", {}), name + "[]"
        if _is_string(node):
            found.append(prefix + name)
        elif "properties" in node:
            found += string_paths(node, prefix + name + ".")
    return found


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    return set(kind) if isinstance(kind, list) else {kind}


def _is_string(node: dict[str, Any] | None) -> bool:
    return node is not None and "string" in _types(node)
