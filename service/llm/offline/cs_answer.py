"""CS answer draft from the best-matching FAQ/policy passages."""

from __future__ import annotations

from typing import Any

from service.llm.offline.common import Evidence, cite, sentences

MAX_SENTENCES = 4


def compose(inputs: dict[str, Any], evidence: Evidence, data: dict[str, Any]) -> dict[str, Any]:
    hits = evidence.get("answers", [])
    if not hits:
        return {"answer": data["insufficient_reply"], "handoff": True, "confidence": 0.0}
    best = hits[0]
    body = _answer_body(best.text, best.title)
    chosen = [cite(s, best.id) for s in body[:MAX_SENTENCES]]
    # A second passage joins only when it is nearly as relevant and adds something new.
    if len(hits) > 1 and hits[1].evidence >= 0.9 * best.evidence and len(chosen) < MAX_SENTENCES:
        extra = [s for s in _answer_body(hits[1].text, hits[1].title) if s not in body]
        if extra:
            chosen.append(cite(extra[0], hits[1].id))
    return {"answer": " ".join(chosen), "handoff": False, "confidence": round(float(best.evidence), 3)}


def _answer_body(text: str, title: str) -> list[str]:
    """The passage without its title line (FAQ titles are the customer's question)."""
    body = text[len(title):].strip() if text.startswith(title) else text
    return sentences(body)
