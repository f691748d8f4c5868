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
    """A copy with the given fields replaced; list items whose prose became empty are dropped.

    Every path addresses ``output`` as given, and the result does not depend on their
    order: all texts are set first, emptied items are then marked in place and only
    removed at the end, so removing one item never shifts the index of another. A path
    that does not exist in ``output`` is skipped: a fix never raises.
    """
    result = copy.deepcopy(output)
    emptied = [path for path, text in new_texts.items() if _set(result, path, text) and not text.strip()]
    for path in emptied:
        _mark_item(result, path)
    return _without_marked(result)


_GONE = object()  # stands in for a dropped list item until every mark is placed


def _resolve(node: Any, path: tuple) -> Any:
    for key in path:
        if isinstance(key, int) and isinstance(node, list) and 0 <= key < len(node):
            node = node[key]
        elif isinstance(key, str) and isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return _GONE
    return node


def _set(result: Any, path: tuple, text: str) -> bool:
    """Set one field; False when the path is not in the output."""
    if not path or _resolve(result, path) is _GONE:
        return False
    _resolve(result, path[:-1])[path[-1]] = text
    return True


def _mark_item(result: Any, path: tuple) -> None:
    """Mark the innermost list item holding ``path`` (none for a top-level field)."""
    indices = [i for i, k in enumerate(path) if isinstance(k, int)]
    if not indices:
        return
    parent = _resolve(result, path[: indices[-1]])
    if parent is not _GONE:  # already gone with an enclosing item
        parent[path[indices[-1]]] = _GONE


def _without_marked(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_marked(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_marked(v) for v in node if v is not _GONE]
    return node


def fact_items(output: dict[str, Any], field) -> list[tuple[tuple, str]]:
    """(path of the value, "label: value [citation]") for each item of a spec's fact field."""
    out = []
    for i, item in enumerate(_items(output, field.items)):
        if not isinstance(item, dict) or not str(item.get(field.value) or "").strip():
            continue
        label = str(item.get(field.label) or "").strip()
        cite = str(item.get(field.citation) or "").strip().strip("[]【】 ")
        line = f"{label}: {item[field.value]}" if label else str(item[field.value])
        out.append((_item_path(field.items, i) + (field.value,), line + (f" [{cite}]" if cite else "")))
    return out


def _items(output: dict[str, Any], items_path: str) -> list:
    """The list a path such as "key_facts[]" names (one level: what fact fields use)."""
    name = items_path.removesuffix("[]")
    value = output.get(name) if isinstance(output, dict) else None
    return value if isinstance(value, list) else []


def _item_path(items_path: str, i: int) -> tuple:
    return (items_path.removesuffix("[]"), i)
