"""CS answer draft from the best-matching FAQ/policy passages."""

from __future__ import annotations

from typing import Any

from service.llm.offline.common import Evidence, cite, sentences
from service.nlp.ngrams import latin_share

MAX_SENTENCES = 4


def compose(inputs: dict[str, Any], evidence: Evidence, data: dict[str, Any]) -> dict[str, Any]:
    hits = evidence.get("answers", [])
    if not hits:
        return {"answer": data["insufficient_reply"], "handoff": True, "confidence": 0.0}
    best = hits[0]
    english = latin_share(inputs.get("question", "")) > 0.5
    body = _in_language(_answer_body(best.text, best.title), english)
    chosen = [cite(s, best.id) for s in body[:MAX_SENTENCES]]
    # A second passage joins only when it is nearly as relevant and adds something new.
    if len(hits) > 1 and hits[1].evidence >= 0.9 * best.evidence and len(chosen) < MAX_SENTENCES:
        extra = [s for s in _in_language(_answer_body(hits[1].text, hits[1].title), english) if s not in body]
        if extra:
            chosen.append(cite(extra[0], hits[1].id))
    return {"answer": " ".join(chosen), "handoff": False, "confidence": round(float(best.evidence), 3)}


def _answer_body(text: str, title: str) -> list[str]:
    """The passage without its title line (FAQ titles are the customer's question)."""
    body = text[len(title):].strip() if text.startswith(title) else text
    return sentences(body)


def _in_language(found: list[str], english: bool) -> list[str]:
    """Answer in the customer's language: bilingual passages keep only the matching
    sentences (all of them when none match, e.g. an English question on Korean text)."""
    matching = [s for s in found if (latin_share(s) > 0.5) == english]
    return matching or found
