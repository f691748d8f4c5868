"""Ids written as names: a model that fills an outfit's ``items`` with "Oxford Button-down
Shirt" instead of "P019" has still chosen a product from the evidence. Such a value is
mapped to the id of the one passage whose name it is; anything else is left alone for the
schema and the guards (an unknown id is still an unknown id)."""

from __future__ import annotations

import re
from typing import Any

from service.guards import fields as F

_PAREN = re.compile(r"\(([^()]{2,80})\)")


def ids_from_names(output: dict[str, Any], id_fields: list[str], hits) -> list[str]:
    """Rewrites ``output`` in place; returns ["ids_from_names"] when it changed something."""
    if not id_fields or not isinstance(output, dict):
        return []
    known = {h.id for h in hits}
    names = _names(hits)
    changes = {}
    for f in F.extract(output, id_fields):
        value = f.text.strip()
        if value in known:
            continue
        found = _match(value, names, known)
        if found:
            changes[f.path] = found
    for path, new in changes.items():
        parent = F._resolve(output, path[:-1])
        parent[path[-1]] = new
    return ["ids_from_names"] if changes else []


def _key(text: str) -> str:
    return re.sub(r"[\s\[\]【】()\"'·,._-]+", "", text).lower()


def _names(hits) -> dict[str, str]:
    """Normalised name -> id, for names that belong to one passage only."""
    seen: dict[str, set[str]] = {}
    for h in hits:
        first = (h.text.splitlines() or [""])[0]
        for name in {h.title, first, *_PAREN.findall(first), _PAREN.sub("", first)}:
            key = _key(name)
            if len(key) >= 3:
                seen.setdefault(key, set()).add(h.id)
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}


def _match(value: str, names: dict[str, str], known: set[str]) -> str | None:
    ids = [i for i in known if re.search(r"(?<![A-Za-z0-9])" + re.escape(i) + r"(?![A-Za-z0-9])", value)]
    if len(ids) == 1:
        return ids[0]  # "P019 옥스퍼드 셔츠", "[P019]"
    return names.get(_key(value))
