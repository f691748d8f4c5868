"""Grounding: is every claim of an output backed by the evidence it was given?

A subsystem of its own (the guards wrap it as one validator):

- ``facts``: a sentence -> its quantities, attribute mentions, clauses and names;
- ``lexicon``: the words those facts are read with (features, colours, antonyms, ...);
- ``checker``: the per-claim checker (citations, quantities, polarity, attribute
  values, stock, negation, novel names, content support);
- ``entailment``: the learned entailment scorer over sentence-embedding and rule
  features, with ``train_entailment`` that reproduces its weights from public data;
- ``llm_judge``: the optional LLM judge with the rules as its fallback.
"""

import hashlib

from service.grounding.checker import ClaimVerdict, Evidence, GroundingChecker, GroundingReport, Thresholds, aggregate
from service.grounding.entailment import WEIGHTS

# Bump when the checker's verdicts change for a reason the thresholds and weights do not show.
CHECKER_VERSION = "5"  # 5: a threshold condition ("50,000원 이상 주문 시") must stay


def fingerprint() -> str:
    """What decides a grounding verdict: checker version, thresholds and the shipped scorer
    weights. Part of the guard policy fingerprint, hence of every response-cache key."""
    weights = hashlib.sha256(WEIGHTS.read_bytes()).hexdigest()[:12] if WEIGHTS.exists() else "none"
    return f"{CHECKER_VERSION}|{Thresholds()!r}|{weights}"


__all__ = ["CHECKER_VERSION", "ClaimVerdict", "Evidence", "GroundingChecker", "GroundingReport", "aggregate", "fingerprint"]
