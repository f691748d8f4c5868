"""The offline default backend: a deterministic composer that writes each task's
output only from the retrieved evidence, in the task's schema, with citations.

It serves when no LLM endpoint is configured and is the fallback when the LLM
fails, so it must never state anything the evidence does not say.
"""

from __future__ import annotations

from typing import Any, Callable

from service.llm.offline import cs_answer, styling, summary
from service.llm.offline.common import Evidence

NAME = "offline-composer"
MODEL = "grounded-composer-v1"

Composer = Callable[[dict[str, Any], Evidence, dict[str, Any]], dict[str, Any]]

COMPOSERS: dict[str, Composer] = {
    "summary": summary.compose,
    "styling": styling.compose,
    "cs_answer": cs_answer.compose,
}


def compose(task: str, inputs: dict[str, Any], evidence: Evidence, data: dict[str, Any]) -> dict[str, Any]:
    if task not in COMPOSERS:
        raise KeyError(f"the offline composer has no recipe for task {task!r}")
    return COMPOSERS[task](inputs, evidence, data)


def refusal(task: str, data: dict[str, Any], reason: str) -> dict[str, Any]:
    """The safe output of each task when nothing may be generated."""
    if task == "cs_answer":
        reply = data.get("insufficient_reply") if reason.startswith("insufficient") else data.get("handoff_reply")
        return {"answer": reply or data.get("handoff_reply", ""), "handoff": True, "confidence": 0.0}
    if task == "styling":
        return {"outfits": []}
    if task == "summary":  # the vetted reply, never an empty summary (the envelope says why)
        return {"summary": data.get("handoff_reply", ""), "key_facts": []}
    raise KeyError(f"no safe output defined for task {task!r}")
