"""The guard policy fingerprint: a hash of what decides whether an output passes the
output guards and how it is repaired.

It covers the banned-word lists' contents (and the matcher's version), the task's
guard policy and checked fields, the grounding judge mode, the grounding checker (its
version and thresholds) and the personal-data detector's version. It is part of every response-cache key, so a policy change makes
the cached outputs miss and the nightly ``batch summaries --changed-only``
regenerates them instead of serving answers checked under the old policy.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from service.guards.banned_words import lists_digest
from service.guards import pii

try:  # the grounding package owns its version once it declares one
    from service.grounding import CHECKER_VERSION
except ImportError:
    CHECKER_VERSION = "2"  # bump when the grounding checker's verdicts change


def grounding_fingerprint() -> str:
    """The grounding package's own ``fingerprint()`` hook if it has one, else its
    checker version and default thresholds."""
    import service.grounding as grounding

    hook = getattr(grounding, "fingerprint", None)
    if callable(hook):
        return str(hook())
    from service.grounding.checker import Thresholds

    return f"{CHECKER_VERSION}|{Thresholds()!r}"


def policy_fingerprint(spec, banned_words_dir: Path, grounding_judge: str = "rules") -> str:
    parts = [
        lists_digest(banned_words_dir),
        spec.guard.model_dump_json(),
        json.dumps([spec.text_fields, spec.label_fields]),
        grounding_judge,
        grounding_fingerprint(),
        f"pii {pii.DETECTOR_VERSION}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
