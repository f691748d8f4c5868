"""Cache keys: everything that can change an answer is part of the key.

task + normalised inputs (after PII redaction) + prompt version hash + the
configured backend/model + the content hashes of the evidence used + the guard
policy fingerprint (service/guards/fingerprint.py). Re-ingesting a changed
product changes its evidence hash, and editing a banned-word list or the task's
guard policy changes the fingerprint, so the old entries simply miss.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any, Iterable


def normalise(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFKC", value).split()).lower()
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def evidence_signature(hits: Iterable) -> str:
    """Identity of an evidence set: ids and content hashes, order-free."""
    pairs = sorted(f"{h.id}@{h.content_hash}" for h in hits)
    return hashlib.sha256("|".join(pairs).encode()).hexdigest()[:24]


def cache_key(task: str, inputs: dict[str, Any], prompt_version: str, backend_id: str, signature: str,
              policy: str = "") -> str:
    """``policy``: the guard policy fingerprint the output was checked under."""
    payload = json.dumps([normalise(inputs), backend_id, signature, policy], ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(payload.encode()).hexdigest()[:32]
    # The readable prefix lets purge select by task and prompt version without reading values.
    return f"{task}|{prompt_version}|{digest}"
