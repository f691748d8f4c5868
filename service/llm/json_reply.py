"""Reading a model's JSON reply the way a tolerant human reader would.

Small local models wrap their JSON in fences or prose, copy the JSON Schema of the
prompt and put the answer under its ``properties``, or are cut at ``max_tokens`` in the
middle of a value. The text they wrote is still there; throwing it away means the
offline composer answers every request. What is read here is only the model's own
text: the output is schema-checked and guarded after this, like any other reply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*(?:```|$)", re.DOTALL | re.IGNORECASE)
SCHEMA_KEYWORDS = frozenset({"type", "required", "properties", "additionalProperties", "$schema", "title",
                             "description", "items", "minItems", "maxItems"})


class UnreadableReply(ValueError):
    """No JSON object can be read from the reply."""


@dataclass
class Reading:
    value: Any
    repairs: list[str] = field(default_factory=list)  # what the reader had to do, for the envelope and metrics


def read_json_reply(text: str) -> Reading:
    """The JSON object in ``text``; raises UnreadableReply when there is none."""
    repairs: list[str] = []
    body = text.strip()
    fenced = _FENCE.search(body)
    if fenced and not body.startswith("{"):
        body, _ = fenced.group(1), repairs.append("fence")
    start = body.find("{")
    if start < 0:
        raise UnreadableReply("no JSON object in the reply")
    if start > 0:
        repairs.append("prose_around")
    value, end = _decode_first(body[start:])
    if value is None:
        value = _repair_truncated(body[start:])
        if value is None:
            raise UnreadableReply("the reply's JSON object is incomplete and cannot be closed")
        repairs.append("truncated")
    elif body[start + end:].strip():
        repairs.append("prose_around")
    if not isinstance(value, dict):
        raise UnreadableReply(f"the reply is JSON but not an object ({type(value).__name__})")
    unwrapped = unwrap_schema_copy(value)
    if unwrapped is not value:
        value, _ = unwrapped, repairs.append("schema_copy")
    return Reading(value, list(dict.fromkeys(repairs)))


def unwrap_schema_copy(value: dict[str, Any]) -> dict[str, Any]:
    """``{"type": "object", "required": [...], "properties": {"answer": "..."}}`` -> the properties,
    when they hold values rather than sub-schemas."""
    props = value.get("properties")
    if not isinstance(props, dict) or not set(value) <= SCHEMA_KEYWORDS:
        return value
    if any(_looks_like_subschema(v) for v in props.values()):
        return value
    return props


def _looks_like_subschema(v: Any) -> bool:
    return isinstance(v, dict) and "type" in v and set(v) <= SCHEMA_KEYWORDS | {"minimum", "maximum", "minLength",
                                                                                 "maxLength", "enum"}


def _decode_first(text: str) -> tuple[Any, int]:
    try:
        return json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError:
        return None, 0


def _repair_truncated(text: str) -> Any:
    """A reply cut at max_tokens: keep everything up to the last complete value and close
    the open brackets. An unfinished string is dropped, never closed: half a sentence or a
    cut number would be a different fact."""
    for end in _candidate_ends(text):
        closed = _close(text[:end])
        if closed is not None:
            return closed
    return None


def _candidate_ends(text: str) -> list[int]:
    """Positions to cut at, latest first: before each ``,`` and after each closing bracket."""
    ends = [m.start() for m in re.finditer(r",", text)] + [m.end() for m in re.finditer(r"[}\]]", text)]
    return sorted(set(ends), reverse=True)[:400]


def _close(prefix: str) -> Any:
    stack: list[str] = []
    in_string = escaped = False
    for ch in prefix:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    if in_string:
        return None
    candidate = prefix.rstrip().rstrip(",").rstrip()
    if candidate.endswith(":"):
        return None  # a key without its value
    try:
        return json.loads(candidate + "".join(reversed(stack)))
    except json.JSONDecodeError:
        return None


def drop_cut_items(value: Any, errors_at: list[list[Any]]) -> bool:
    """After a truncation repair: remove the last item of each array that a schema error points
    into (the item the cut left incomplete). True when something was removed."""
    removed = False
    for path in sorted(errors_at, key=len, reverse=True):
        for depth in range(len(path) - 1, -1, -1):
            if isinstance(path[depth], int):
                container = _at(value, path[:depth])
                if isinstance(container, list) and path[depth] == len(container) - 1:
                    container.pop()
                    removed = True
                break
    return removed


def _at(value: Any, path: list[Any]) -> Any:
    for step in path:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value
