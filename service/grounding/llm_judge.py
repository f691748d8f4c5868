"""Optional LLM judge for grounding, for deployments that have an LLM to spare.

It asks the model to label every claim as supported / contradicted / unsupported
against the numbered evidence, in JSON, and maps the answer onto the same
:class:`ClaimVerdict` objects as the rule-based :class:`GroundingChecker`, so
callers and reports do not care which judge ran. Claims are split and citations
checked here, not by the model: a claim citing an id that was not retrieved is
unsupported whatever the model says. If the model fails or answers garbage, the
optional ``fallback`` checker judges instead (or every claim is unsupported).
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from service.grounding import ClaimVerdict, Evidence, GroundingReport, aggregate
from service.nlp.claims import Claim, SentenceSplitter, split_claims

from service.llm.base import LLMRequest


class Generator(Protocol):
    def generate(self, request: LLMRequest) -> Any: ...  # result has .text


LABELS = ("supported", "contradicted", "unsupported")

SCHEMA: dict = {
    "type": "object",
    "properties": {
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "label": {"type": "string", "enum": list(LABELS)},
                    "evidence_id": {"type": ["string", "null"]},
                    "quote": {"type": ["string", "null"]},
                    "reason": {"type": "string"},
                },
                "required": ["index", "label"],
            },
        }
    },
    "required": ["claims"],
}

SYSTEM = (
    "You check generated shop answers against evidence passages, claim by claim. "
    "supported: the evidence states it or directly implies it (paraphrases and unit conversions are fine). "
    "contradicted: the evidence says something incompatible (another number, the opposite, another value). "
    "unsupported: the evidence does not say it. Business days (영업일) are not calendar days (일). "
    "Judge only from the evidence, never from general knowledge. "
    'Answer JSON only: {"claims": [{"index": 1, "label": "...", "evidence_id": "...", '
    '"quote": "exact words copied from that passage", "reason": "short"}]}'
)


class LLMJudge:
    """Label claims with an LLM; same report shape as GroundingChecker."""

    def __init__(
        self,
        backend: Generator,
        splitter: SentenceSplitter | None = None,
        fallback: Any | None = None,  # anything with check_claims(claims, evidence)
        max_evidence_chars: int = 6000,
        max_tokens: int = 800,
        seed: int | None = 0,
    ) -> None:
        self.backend = backend
        self.splitter = splitter
        self.fallback = fallback
        self.max_evidence_chars = max_evidence_chars
        self.max_tokens = max_tokens
        self.seed = seed

    def check(self, text: str, evidence: list[Evidence]) -> GroundingReport:
        return self.check_claims(split_claims(text, self.splitter), evidence)

    def check_claims(self, claims: list[Claim], evidence: list[Evidence]) -> GroundingReport:
        if not claims:
            return GroundingReport("supported", 1.0, [])
        ev_ids = {e.id for e in evidence}
        request = LLMRequest(
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": self._prompt(claims, evidence)}],
            json_schema=SCHEMA,
            temperature=0.0,
            max_tokens=self.max_tokens,
            seed=self.seed,
            purpose="grounding_judge",  # metered like every call (service/llm/metering.py)
        )
        try:
            answer = parse_answer(self.backend.generate(request).text)
        except Exception as exc:  # the LLM is optional: any failure degrades, never raises
            return self._degrade(claims, evidence, f"judge failed: {type(exc).__name__}")
        if answer is None:
            return self._degrade(claims, evidence, "judge answer was not valid JSON")
        by_index = {a["index"]: a for a in answer}
        return aggregate([self._verdict(i, c, by_index.get(i), evidence, ev_ids) for i, c in enumerate(claims, 1)])

    # -- internals
    def _prompt(self, claims: list[Claim], evidence: list[Evidence]) -> str:
        budget = self.max_evidence_chars // max(1, len(evidence))
        passages = "\n\n".join(f"[{e.id}]\n{e.text[:budget]}" for e in evidence)
        numbered = "\n".join(f"{i}. {c.text}" for i, c in enumerate(claims, 1))
        return f"Evidence:\n{passages}\n\nClaims:\n{numbered}"

    def _verdict(self, i: int, claim: Claim, a: dict | None, evidence: list[Evidence], ev_ids: set[str]) -> ClaimVerdict:
        def make(label: str, score: float, ev_id: str | None, span: tuple[int, int] | None, reason: str) -> ClaimVerdict:
            return ClaimVerdict(claim.text, claim.start, claim.end, label, score, ev_id, span, reason, list(claim.cited_ids))

        missing = [c for c in claim.cited_ids if c not in ev_ids]
        if missing:
            return make("unsupported", 0.0, None, None, f"citation not in evidence: {', '.join(missing)}")
        if a is None or a.get("label") not in LABELS:
            return make("unsupported", 0.0, None, None, "judge gave no verdict for this claim")
        label = a["label"]
        ev_id = a.get("evidence_id") if a.get("evidence_id") in ev_ids else None
        span = _find_quote(a.get("quote"), next((e for e in evidence if e.id == ev_id), None))
        if label == "supported" and ev_id is None:
            label = "unsupported"  # support must point at a retrieved passage
        score = {"supported": 1.0, "unsupported": 0.25, "contradicted": 0.0}[label]
        return make(label, score, ev_id, span, "llm: " + str(a.get("reason") or label))

    def _degrade(self, claims: list[Claim], evidence: list[Evidence], why: str) -> GroundingReport:
        if self.fallback is not None:
            report = self.fallback.check_claims(claims, evidence)
            for v in report.claims:
                v.reason = f"{why}; rules: {v.reason}"
            return report
        return aggregate([
            ClaimVerdict(c.text, c.start, c.end, "unsupported", 0.0, None, None, why, list(c.cited_ids)) for c in claims
        ])


def parse_answer(text: str) -> list[dict] | None:
    """The judge's labels, tolerant of code fences and prose around the JSON object."""
    text = re.sub(r"^```(?:json)?|```$", "", text.strip(), flags=re.MULTILINE).strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start:end + 1])
    except json.JSONDecodeError:
        return None
    items = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    out = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("index"), int):
            out.append(item)
    return out


def _find_quote(quote: Any, evidence: Evidence | None) -> tuple[int, int] | None:
    if not quote or evidence is None or not isinstance(quote, str):
        return None
    pos = evidence.text.find(quote.strip())
    return (pos, pos + len(quote.strip())) if pos >= 0 else None
