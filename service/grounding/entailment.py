"""The learned entailment signal: does an evidence line entail a claim?

The rules are precise where the domain is closed (numbers, units, attribute
values, polarity). Open language (a paraphrase, a summary, a sentence that says
a little more than its evidence) needs a signal that generalises, and no NLI
model for Korean ships in a PyPI package. So this is a logistic regression over
features of the pair that the service computes anyway:

- the sentence embeddings of claim ``u`` and evidence ``v`` (multilingual USE):
  ``u * v``, ``|u - v|`` and ``u`` (InferSent-style; USE's transfer carries English);
- a few lexical features: content coverage both ways, character-bigram containment,
  length ratio, negation on either side and a negated shared word, numbers and names
  the evidence lacks, absolute words, antonyms;
- what the rules found: their content score and how many facts they verified.

Weights live in ``entailment_weights.npz`` beside this file, reproduced from
public data by ``python -m service.grounding.train_entailment`` (fixed seed).
Scoring is a dot product: microseconds per pair, one thread.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from service.grounding import lexicon as lex
from service.grounding.facts import TextFacts
from service.grounding.overlap import credit, negates_shared, unseen_names
from service.nlp.numbers import equivalent

WEIGHTS = Path(__file__).with_name("entailment_weights.npz")
FEATURE_VERSION = 2
SCALAR_FEATURES = (
    "cos", "coverage", "coverage_rev", "bigram", "bigram_rev", "log_len_ratio",
    "claim_negated", "evidence_negated", "negated_shared", "numbers_missing", "names_missing",
    "claim_absolute", "antonym", "negation_differs", "cos_if_negation_differs", "coverage_if_negation_differs",
)
# What the rules found, appended last: their content score (IDF-weighted coverage and cosine
# over this call's evidence), and how many facts (and strong ones: numbers, features) they verified.
RULE_FEATURES = ("rule_content", "facts_verified", "strong_facts_verified")
# Words that make a claim broader than most evidence ("항상", "모든", "never"): a contradiction cue.
ABSOLUTE = re.compile(r"모든|항상|절대|전혀|결코|아무(?:도|것도|런)|오직|유일|never|always|every|all\b|only|nobody|nothing|none", re.IGNORECASE)


def coverage(terms: list[str], other: TextFacts) -> float:
    """Share of ``terms`` found in ``other`` (exactly, inside a compound, or by syllable pairs)."""
    if not terms:
        return 1.0
    joined = other.joined + other.text
    return sum(credit(t, other.term_set, joined) for t in terms) / len(terms)


def _containment(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a) if a else 1.0


def _numbers_missing(claim: TextFacts, ev: TextFacts) -> int:
    return sum(1 for q in claim.quantities if not any(equivalent(q, e) for e in ev.quantities))


def _names_missing(claim: TextFacts, ev: TextFacts) -> int:
    return len(unseen_names(claim, ev.term_set, ev.joined + ev.text))


def _negated_shared(claim: TextFacts, ev: TextFacts) -> bool:
    c_terms, e_terms = set(claim.terms), set(ev.terms)
    return any(negates_shared(cc, ec, c_terms, e_terms) for cc in claim.clauses for ec in ev.clauses)


def _antonym(claim: TextFacts, ev: TextFacts) -> bool:
    """The claim uses a word whose opposite the evidence uses (and not the word itself)."""
    own = {t for t in claim.terms if t in lex.ANTONYMS} - ev.term_set
    return any(lex.ANTONYMS[t] in ev.term_set for t in own)


def scalar_features(claim: TextFacts, ev: TextFacts, cos: float) -> np.ndarray:
    cb, eb = claim.bigrams, ev.bigrams
    ratio = math.log((len(claim.text) + 1) / (len(ev.text) + 1))
    cov = coverage(claim.content_terms, ev)
    claim_neg, ev_neg = claim.negated, ev.negated
    differs = float(claim_neg != ev_neg)
    return np.array([
        cos,
        cov,
        coverage(ev.content_terms, claim),
        _containment(cb, eb),
        _containment(eb, cb),
        ratio,
        float(claim_neg),
        float(ev_neg),
        float(_negated_shared(claim, ev)),
        min(3, _numbers_missing(claim, ev)),
        min(3, _names_missing(claim, ev)),
        float(bool(ABSOLUTE.search(claim.text)) and not ABSOLUTE.search(ev.text)),
        float(_antonym(claim, ev)),
        differs,
        cos * differs,
        cov * differs,
    ], dtype=np.float32)


def pair_features(u: np.ndarray, v: np.ndarray, scalars: np.ndarray) -> np.ndarray:
    """One row per pair: [u*v, |u-v|, u, scalars]. ``u`` and ``v`` are (n, d) or (d,). The claim's
    own vector carries how claims that go beyond their evidence tend to be worded."""
    u2, v2 = np.atleast_2d(u), np.atleast_2d(v)
    return np.hstack([u2 * v2, np.abs(u2 - v2), u2, np.atleast_2d(scalars)]).astype(np.float32)


def with_rule_features(rows: np.ndarray, content: float, facts: int, strong: int) -> np.ndarray:
    extra = np.tile(np.array([content, min(3, facts), min(3, strong)], dtype=np.float32), (len(rows), 1))
    return np.hstack([rows, extra])


@dataclass(frozen=True)
class EntailmentScorer:
    """Standardise, dot, sigmoid. ``threshold`` is the probability chosen on dev data, and
    ``mode`` whether the rules' content bar may also accept a claim (both chosen on dev data)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    dim: int
    version: str
    mode: str = "learned"  # "either": the rules' content bar may also accept a claim

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> "EntailmentScorer":
        with np.load(path, allow_pickle=False) as z:
            if int(z["feature_version"]) != FEATURE_VERSION:
                raise ValueError(f"{path}: feature version {int(z['feature_version'])}, code expects {FEATURE_VERSION}")
            return cls(z["mean"], z["scale"], z["coef"], float(z["intercept"]), float(z["threshold"]),
                       int(z["dim"]), str(z["version"]), str(z["mode"]))

    def probability(self, features: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(features) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))


@lru_cache(maxsize=1)
def default_scorer() -> EntailmentScorer | None:
    """The shipped weights, or None when they are missing (the rules then decide alone)."""
    return EntailmentScorer.load() if WEIGHTS.exists() else None
