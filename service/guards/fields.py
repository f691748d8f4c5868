"""Where the prose is in a task output: field paths such as ``key_facts[].value``.

The guards check all of an output's prose in one pass, so the fields are joined
into one text with known offsets, and edits on that text map back to fields.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

SEPARATOR = "\n"


@dataclass(frozen=True)
class FieldText:
    path: tuple  # e.g. ("key_facts", 2, "value")
    text: str
    start: int  # offset in the joined text


def extract(output: dict[str, Any], patterns: list[str]) -> list[FieldText]:
    found: list[tuple[tuple, str]] = []
    for pattern in patterns:
        found += _walk(output, pattern.split("."), ())
    fields, offset = [], 0
    for path, text in found:
        fields.append(FieldText(path, text, offset))
        offset += len(text) + len(SEPARATOR)
    return fields


def _walk(node: Any, parts: list[str], path: tuple) -> list[tuple[tuple, str]]:
    if not parts:
        return [(path, node)] if isinstance(node, str) and node.strip() else []
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        items = node.get(head[:-2], []) if isinstance(node, dict) else []
        return [hit for i, item in enumerate(items) for hit in _walk(item, rest, path + (head[:-2], i))]
    return _walk(node.get(head), rest, path + (head,)) if isinstance(node, dict) else []


def join(fields: list[FieldText]) -> str:
    return SEPARATOR.join(f.text for f in fields)


def locate(fields: list[FieldText], start: int, end: int) -> tuple[FieldText, int, int] | None:
    """The field holding [start, end) of the joined text, with local offsets."""
    for f in fields:
        if f.start <= start and end <= f.start + len(f.text):
            return f, start - f.start, end - f.start
    return None


def replace(output: dict[str, Any], new_texts: dict[tuple, str]) -> dict[str, Any]:
    """A copy with the given fields replaced; list items whose prose became empty are dropped."""
    result = copy.deepcopy(output)
    emptied: list[tuple] = []
    for path, text in new_texts.items():
        parent = result
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = text
        if not text.strip() and any(isinstance(k, int) for k in path):
            last_index = max(i for i, k in enumerate(path) if isinstance(k, int))
            emptied.append(path[: last_index + 1])
    for item_path in sorted(emptied, key=lambda p: p[-1], reverse=True):
        container = result
        for key in item_path[:-1]:
            container = container[key]
        del container[item_path[-1]]
    return result
