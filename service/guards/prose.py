"""Is there prose left? An output whose required prose a fix removed (or that only
ever held citations) must not go out as an empty 200: the pipeline refrains instead.

Required means what the prompt's output schema says: a required string field
(``summary``), or a required list with ``minItems`` (``outfits``) for paths such
as ``outfits[].reason``.
"""

from __future__ import annotations

import re
from typing import Any

# Whitespace, citation markers and punctuation only: what a dropped sentence leaves behind.
CITATION_ONLY = re.compile(r"^(?:\s|\[[^\]]*\]|[.,!?·•\-])*$")


def has_prose(text: Any) -> bool:
    return isinstance(text, str) and not CITATION_ONLY.match(text)


def missing_prose(output: dict[str, Any], text_fields: list[str], schema: dict[str, Any]) -> list[str]:
    """The required prose fields of ``output`` that hold no prose (empty list: all present)."""
    missing = []
    for path in text_fields:
        head, _, _ = path.partition(".")
        node = schema.get("properties", {}).get(head.removesuffix("[]"), {})
        if head.removesuffix("[]") not in schema.get("required", []):
            continue
        if head.endswith("[]"):
            if node.get("minItems", 0) > 0 and not output.get(head[:-2]):
                missing.append(head[:-2])
        elif "." not in path and not has_prose(output.get(head)):
            missing.append(path)
    return list(dict.fromkeys(missing))
