"""Per-claim grounding: is every sentence of an LLM output backed by the evidence?

Precise rules decide where the domain is closed; a learned entailment signal
(``entailment.py``) decides open content where no rule does (facts turns a sentence
into facts; lexicon holds the words):

1. citations: a cited id that was not retrieved makes the claim unsupported; a claim
   that cites retrieved passages is judged against those only (another passage that
   backs it is named in ``supported_by``); a whole evidence line repeated is supported;
2. alignment: the evidence line that best matches the claim, by IDF-weighted
   content-term coverage (IDF over this call's evidence lines), shared facts and
   USE cosine; the product the claim is about is the one whose name it says, else
   the best-covered one (another product's numbers say nothing about it);
3. quantities: every number in the claim must be found, normalised and of the
   same kind, in the evidence; a different value where the evidence names the
   same thing ("M" "총장" next to the number) is a contradiction; an unlabelled
   amount said of a product is compared with its price line; a stated value denied
   ("면 100%가 아닙니다") contradicts;
4. polar concepts (features, care): the claim's polarity must equal the
   evidence's ("방수됩니다" vs "방수: 없음" contradicts; silence: unsupported);
5. attribute values (colour, material, fit, season, brand): a value absent from
   the product's spec line while the line lists others contradicts; stock claims
   are read against the "재고:" / "Stock:" line;
6. negation and antonyms: a claim clause whose best-matching evidence clause
   negates a word the claim states plainly (or the reverse), or uses its antonym;
7. conditions (``conditions.py``): a claim that drops the condition or scope its
   evidence attaches is unsupported;
8. names the evidence never mentions ("DHL", "이탈리아") make a claim unsupported;
9. the rest: the entailment scorer's probability over the claim's candidate lines,
   and (in its "either" mode, or without the scorer) the rules' content bar: a
   lower bar when numbers or features were verified, since those carry the claim.

Verdict of a report: contradicted if any claim is, else unsupported if any is,
else supported. Score of a claim: 0 when contradicted, at most 0.1 when a fact
is missing, the content-support score (< support threshold) when otherwise
unsupported, and at least the threshold when supported; the report's score is
the minimum over claims (1.0 with no claims).

Evidence analysis is cached by text across calls and can be done ahead of time
with :meth:`GroundingChecker.prepare`; a warm check() then costs the claims only.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Protocol

import numpy as np

from service.grounding import conditions
from service.grounding import lexicon as lex
from service.grounding.entailment import EntailmentScorer, default_scorer, pair_features, scalar_features, with_rule_features
from service.grounding.overlap import credit, negates_shared, squash, unseen_names
from service.grounding.facts import Clause, Mention, Morphology, TextFacts, Vocabulary, analyze, canonical
from service.nlp.claims import Claim, sentence_spans, split_claims
from service.nlp.numbers import Quantity, comparable, equivalent, format_quantity

Verdict = str  # "supported" | "contradicted" | "unsupported"


# ------------------------------------------------------------------ public types


@dataclass(frozen=True)
class Evidence:
    id: str
    text: str


@dataclass
class ClaimVerdict:
    text: str
    start: int
    end: int
    verdict: Verdict
    score: float
    evidence_id: str | None
    evidence_span: tuple[int, int] | None
    reason: str
    cited_ids: list[str] = field(default_factory=list)
    supported_by: str | None = None  # the passage that states a claim whose citation does not


@dataclass
class GroundingReport:
    verdict: Verdict
    score: float
    claims: list[ClaimVerdict]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Thresholds:
    """Tuned on split A of bench/data/grounding_claims.jsonl (a plateau: see the report)."""

    support: float = 0.55  # content score a claim needs when no number or feature was verified
    support_with_facts: float = 0.3  # ... when a number or a feature was (they carry the claim)
    quantity_context: float = 0.34  # how well a different number must match the claim's words to contradict
    negation_overlap: float = 0.55  # clause similarity at which opposite negation contradicts
    negation_margin: float = 0.0  # ... if it also beats the best clause without the conflict by this
    lexical_weight: float = 0.7  # content score = w * lexical + (1 - w) * scaled cosine
    cos_floor: float = 0.2  # USE cosine of unrelated Korean sentences sits near 0.1-0.2
    cos_ceiling: float = 0.75
    top_k: int = 4  # evidence lines per claim that get embedded


class Embedder(Protocol):
    def embed(self, texts: list[str]) -> np.ndarray: ...


# --------------------------------------------------------------- evidence units


@dataclass
class _Unit:
    doc: str
    start: int  # span in the evidence text
    end: int
    facts: TextFacts
    authority: float  # spec line 1.0 > prose 0.8 > review 0.5: who wins when lines disagree
    spec: bool  # a "label: value" line of a product record


_REVIEW = re.compile(r"^\s*(?:리뷰|review)", re.IGNORECASE)
_SPEC_LABELS = {"가격", "소재", "핏", "색상", "사이즈 실측", "재고", "세탁/관리", "시즌", "기능", "출고", "반품 정책", "브랜드",
                # another store's English export ("Price: $9.99", "Stock: 5")
                "Price", "Brand", "Category", "Stock", "Availability", "Material", "Materials", "Color", "Colors",
                "Sizes", "Care", "Shipping", "Return policy", "Warranty", "Dimensions", "Weight"}
_STOCK_LABELS = {"재고", "Stock", "Availability"}


def _unit_spans(text: str) -> Iterable[tuple[int, int]]:
    """Lines (a product record states one fact per line); long prose lines are cut into sentences."""
    offset = 0
    for line in text.split("\n"):
        if line.strip():
            spec_line = re.match(r"^\s*[^:：]{1,14}[:：]", line) and not re.search(r"[.!?]\s", line)
            if len(line) <= 90 or spec_line:
                s = len(line) - len(line.lstrip())
                yield offset + s, offset + len(line.rstrip())
            else:
                yield from ((offset + s, offset + e) for s, e in sentence_spans(line))
        offset += len(line) + 1


# ---------------------------------------------------------------------- checker


class GroundingChecker:
    """Judge each claim of a text against the evidence passages retrieved for it."""

    def __init__(
        self,
        analyzer: Morphology,
        embedder: Embedder | None = None,
        thresholds: Thresholds = Thresholds(),
        products_path: Path | None = None,
        cache_size: int = 4096,
        entailment: EntailmentScorer | None | str = "default",
    ) -> None:
        self.analyzer = analyzer
        self.embedder = embedder
        self.t = thresholds
        # the learned signal decides open content when it and an embedder are there; else the rules do
        self.entailment = default_scorer() if entailment == "default" else entailment
        extra, parents = product_vocabulary(products_path) if products_path and Path(products_path).exists() else ({}, {})
        self.vocab = Vocabulary(extra)
        self.parents: dict[str, tuple[str, ...]] = {k: (v,) for k, v in lex.PARENT.items()} | parents
        self._units: OrderedDict[str, list[_Unit]] = OrderedDict()  # evidence text -> analysed units
        self._vectors_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the caches are shared by request threads; analysis runs outside it

    @classmethod
    def from_knowledge(cls, analyzer: Morphology, embedder: Embedder | None, knowledge_dir: Path, **kw) -> "GroundingChecker":
        return cls(analyzer, embedder, products_path=Path(knowledge_dir) / "products.jsonl", **kw)

    # -- public
    def check(self, text: str, evidence: list[Evidence]) -> GroundingReport:
        return self.check_claims(split_claims(text, self.analyzer), evidence)

    def check_claims(self, claims: list[Claim], evidence: list[Evidence]) -> GroundingReport:
        return aggregate([v for v, _ in self.judge_claims(claims, evidence)])

    def judge_claims(self, claims: list[Claim], evidence: list[Evidence]) -> list[tuple[ClaimVerdict, np.ndarray | None]]:
        """Each claim's verdict with the entailment feature rows of its candidate evidence lines
        (None without an embedder): the training script learns from exactly what the checker sees.

        A claim that cites retrieved passages is judged against those passages only: a citation
        must point at evidence that says it. When another passage does, the verdict names it."""
        ev_ids = {ev.id for ev in evidence}
        facts = [analyze(c.text, self.analyzer, self.vocab) for c in claims]
        vecs = self.embedder.embed([c.text for c in claims]) if self.embedder is not None and claims else None
        groups: dict[frozenset[str], list[int]] = {}
        for i, c in enumerate(claims):
            groups.setdefault(frozenset(x for x in c.cited_ids if x in ev_ids), []).append(i)
        out: list = [None] * len(claims)
        for cited, idx in groups.items():
            scoped = [ev for ev in evidence if ev.id in cited] if cited else evidence
            group_vecs = vecs[idx] if vecs is not None else None
            judged = self._judge_group([claims[i] for i in idx], [facts[i] for i in idx], group_vecs, scoped, ev_ids)
            for i, result in zip(idx, judged):
                out[i] = result
        for i, (verdict, rows) in enumerate(out):
            # Also a citation of an id that was never retrieved (a model wrote [P001] on a shipping
            # fact): if a retrieved passage states it, the fix re-cites instead of dropping it.
            if verdict.verdict != "supported" and claims[i].cited_ids and evidence:
                one = vecs[i:i + 1] if vecs is not None else None
                out[i] = (self._misattributed(claims[i], facts[i], one, evidence, ev_ids, verdict), rows)
        return out

    def _judge_group(self, claims: list[Claim], facts: list[TextFacts], claim_vecs: np.ndarray | None,
                     evidence: list[Evidence], ev_ids: set[str]):
        units = [u for ev in evidence for u in self._evidence_units(ev)]
        ctx = _CallContext(units, facts)
        top = [ctx.top_units(i, self.t.top_k) for i in range(len(claims))]
        unit_vecs = self._unit_vectors(ctx, top) if claim_vecs is not None else {}
        out = []
        for i, c in enumerate(claims):
            cos = {u: float(np.dot(claim_vecs[i], unit_vecs[u])) for u in top[i]} if claim_vecs is not None else {}
            rows = self._entailment_rows(i, ctx, top[i], cos, claim_vecs, unit_vecs) if claim_vecs is not None else None
            out.append(self._judge(c, i, ctx, ev_ids, cos, rows, top[i]))
        return out

    def _misattributed(self, claim: Claim, facts: TextFacts, vec: np.ndarray | None, evidence: list[Evidence],
                       ev_ids: set[str], verdict: ClaimVerdict) -> ClaimVerdict:
        """A cited claim that its citations do not back: if another retrieved passage does, the
        claim stays unsupported (the reader would check the wrong source) but says which one."""
        free = Claim(claim.text, claim.start, claim.end, [])
        (other, _), = self._judge_group([free], [facts], vec, evidence, ev_ids)
        if other.verdict == "supported" and other.evidence_id not in claim.cited_ids:
            cited = ", ".join(claim.cited_ids)
            unknown = [x for x in claim.cited_ids if x not in ev_ids]
            why = (f"citation not in evidence ({', '.join(unknown)}); {other.evidence_id} states it" if unknown
                   else f"cited {cited} does not state it; {other.evidence_id} does")
            return ClaimVerdict(claim.text, claim.start, claim.end, "unsupported", min(verdict.score, 0.2),
                                other.evidence_id, other.evidence_span, why, list(claim.cited_ids),
                                supported_by=other.evidence_id)
        return verdict

    def prepare(self, evidence: Iterable[Evidence], embed: bool = True) -> int:
        """Analyse (and embed) evidence ahead of requests, e.g. every knowledge document at
        startup or after ingest, so that check() only pays for the claims. Returns lines prepared."""
        units = [u for ev in evidence for u in self._evidence_units(ev)]
        if embed and self.embedder is not None:
            texts = [t for t in dict.fromkeys(u.facts.text for u in units) if t not in self._vectors_cache]
            for k in range(0, len(texts), 256):
                batch = texts[k:k + 256]
                vectors = self.embedder.embed(batch)
                with self._lock:
                    self._vectors_cache.update(zip(batch, vectors))
        return len(units)

    def clear_cache(self) -> None:
        with self._lock:
            self._units.clear()
            self._vectors_cache.clear()

    # -- evidence analysis, cached across calls (the same documents come back all day)
    def _evidence_units(self, ev: Evidence) -> list[_Unit]:
        key = ev.id + "\x00" + ev.text
        with self._lock:
            cached = self._units.get(key)
            if cached is not None:
                self._units.move_to_end(key)
                return cached
        units = []
        for s, e in _unit_spans(ev.text):
            facts = analyze(ev.text[s:e], self.analyzer, self.vocab, list_counts=True)
            spec = facts.label in _SPEC_LABELS
            authority = 1.0 if spec else (0.5 if _REVIEW.match(facts.text) else 0.8)
            units.append(_Unit(ev.id, s, e, facts, authority, spec))
        with self._lock:
            self._units[key] = units
            if len(self._units) > self._cache_size:
                self._units.popitem(last=False)
        return units

    def _unit_vectors(self, ctx: "_CallContext", top: list[list[int]]) -> dict[int, np.ndarray]:
        """{unit index: vector} for the candidate lines: from the cache, the rest in one embed call."""
        wanted = sorted({u for ids in top for u in ids})
        with self._lock:
            known = {t: self._vectors_cache[t] for u in wanted if (t := ctx.units[u].facts.text) in self._vectors_cache}
        missing = [t for t in dict.fromkeys(ctx.units[u].facts.text for u in wanted) if t not in known]
        if missing:
            known.update(zip(missing, self.embedder.embed(missing)))
            with self._lock:
                for t in missing:
                    self._vectors_cache[t] = known[t]
                while len(self._vectors_cache) > self._cache_size * 4:
                    self._vectors_cache.popitem(last=False)
        return {u: known[ctx.units[u].facts.text] for u in wanted}

    def _entailment_rows(self, i: int, ctx: "_CallContext", top: list[int], cos: dict[int, float], claim_vecs, unit_vecs) -> np.ndarray:
        """Feature rows (claim, evidence line) for the claim's candidate lines, in ``top`` order."""
        cf = ctx.claims[i]
        rows = [pair_features(claim_vecs[i], unit_vecs[u], scalar_features(cf, ctx.units[u].facts, cos[u]))[0] for u in top]
        return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    # -- one claim
    def _judge(self, claim: Claim, i: int, ctx: "_CallContext", ev_ids: set[str], cos: dict[int, float],
               rows: np.ndarray | None, top: list[int]) -> tuple[ClaimVerdict, np.ndarray | None]:
        """The claim's verdict, and its entailment rows with the rule features appended."""
        cf = ctx.claims[i]
        t = self.t

        def verdict(v: Verdict, score: float, unit: _Unit | None, reason: str) -> ClaimVerdict:
            span = (unit.start, unit.end) if unit else None
            return ClaimVerdict(claim.text, claim.start, claim.end, v, round(float(score), 4), unit.doc if unit else None, span, reason, list(claim.cited_ids))

        missing = [c for c in claim.cited_ids if c not in ev_ids]
        if missing:
            return verdict("unsupported", 0.0, None, f"citation not in evidence: {', '.join(missing)}"), None
        if not ctx.units:
            return verdict("unsupported", 0.0, None, "no evidence"), None
        copied = _verbatim(claim.text, ctx.units)
        if copied is not None:  # an evidence line said again, word for word, is what it says
            return verdict("supported", 1.0, copied, "states an evidence line verbatim"), None

        cited = {c for c in claim.cited_ids if c in ev_ids}
        align = [
            ctx.lexical[i][u] + 0.5 * ctx.fact_match[i][u] + 0.3 * _scale(cos.get(u), t.cos_floor, t.cos_ceiling)
            + (0.05 if ctx.units[u].doc in cited else 0.0)
            for u in range(len(ctx.units))
        ]
        best_unit = ctx.units[int(np.argmax(align))]
        doc_cov = ctx.doc_coverage(i)
        best_doc = max(doc_cov, key=lambda d: (doc_cov[d] + (0.05 if d in cited else 0.0))) if doc_cov else best_unit.doc
        scope = {best_unit.doc, best_doc} | cited
        target = self._target_product(ctx, i, ctx.doc_coverage(i, identity=True), cited)

        results, stock = self._facts(claim, cf, i, ctx, scope, target)
        failure = self._rule_failure(cf, i, ctx, results, stock, scope, best_unit)
        # 7. the rest of the content: words not already verified as facts. Verified numbers and
        # features lower the bar; a matching colour or material alone is only topical.
        facts_ok = len(results)
        strong = sum(1 for r in results if r[3])
        content = self._content(i, ctx, cos, best_doc, lex.STOCK_TERMS if stock and stock[0] == "ok" else frozenset())
        full = with_rule_features(rows, content, facts_ok, strong) if rows is not None and len(rows) else None
        if failure:
            return verdict(*failure), full
        what = f"{facts_ok} fact(s) verified; " if facts_ok else ""
        need = t.support_with_facts if strong else t.support
        scorer = self.entailment
        if scorer is not None and full is not None:
            probs = scorer.probability(full)
            k = int(np.argmax(probs))
            p = float(probs[k])
            if p >= scorer.threshold:
                return verdict("supported", p, ctx.units[top[k]], f"{what}entailment {p:.2f}"), full
            if scorer.mode != "either" or content < need:
                return verdict("unsupported", p, ctx.units[top[k]], f"{what}entailment {p:.2f} < {scorer.threshold:.2f}, content {content:.2f}"), full
        if content >= need:
            score = min(1.0, max(content, t.support) + 0.1 * facts_ok)
            return verdict("supported", score, best_unit, f"{what}content support {content:.2f}"), full
        return verdict("unsupported", min(content, t.support - 0.01), best_unit, f"weak content support {content:.2f} < {need:.2f}"), full

    def _facts(self, claim: Claim, cf: TextFacts, i: int, ctx: "_CallContext", scope: set[str], target: str | None):
        """3-5. every quantity, polar concept and attribute value, and stock talk:
        [(status, unit, reason, strong)], and the stock result (or None)."""
        results: list[tuple[str, _Unit | None, str, bool]] = []
        for qi, q in enumerate(cf.quantities):
            status, unit, reason = self._check_quantity(cf, qi, q, ctx, scope, target)
            results.append((status, unit, reason, q.kind != "number"))
        for m in cf.mentions:
            if m.polarity == 0:
                continue
            if m.group == "polar":
                status, unit, reason = self._check_polar(cf, m, ctx, scope | ({target} if target else set()), target)
            else:
                status, unit, reason = self._check_attribute(i, m, ctx, target)
            results.append((status, unit, reason, m.group == "polar"))
        stock = self._check_stock(claim.text, cf, ctx, target)
        if stock:
            results.append((*stock, True))  # stock talk is settled here, not by the negation check below
        results += _denied_values(cf, results[:len(cf.quantities)])
        return results, stock

    def _rule_failure(self, cf: TextFacts, i: int, ctx: "_CallContext", results, stock, scope: set[str], best_unit: _Unit):
        """(verdict, score, unit, reason) when a precise rule settles the claim against it, else None:
        a contradicted fact, a negated or antonym statement, a missing fact, a dropped condition,
        a name the evidence never mentions."""
        for status, unit, reason, _ in results:
            if status == "contradicted":
                return "contradicted", 0.0, unit, reason
        # 6. negation or antonym of a statement the evidence makes the other way round
        flipped = None if stock else self._check_negation(cf, ctx, scope)
        if flipped:
            return "contradicted", 0.0, flipped[0], flipped[1]
        for status, unit, reason, _ in results:
            if status == "missing":
                return "unsupported", 0.1, unit or best_unit, reason
        anchors = [u for _, u, _, _ in results if u is not None] + [best_unit]
        for unit in {id(u): u for u in anchors}.values():
            cond = conditions.dropped(cf, unit.facts)
            if cond is not None:
                return "unsupported", 0.1, unit, f"drops the condition '{cond.text}' that the evidence attaches"
        novel = ctx.novel_entities(i)
        if novel:
            return "unsupported", 0.1, best_unit, f"names {', '.join(novel)} that the evidence does not mention"
        return None

    def _content(self, i: int, ctx: "_CallContext", cos: dict[int, float], best_doc: str, verified: frozenset[str] = frozenset()) -> float:
        t = self.t
        residual = [x for x in ctx.residual[i] if x not in verified]
        if all(x in lex.LIGHT_TERMS for x in residual):
            lexical = 1.0  # nothing left beyond the verified facts but filler ("지금 ... 구매할 수 있어요")
        else:
            by_unit = max((ctx.coverage(residual, u.facts.term_set, j) for u, j in zip(ctx.units, ctx._joined)), default=0.0)
            ts, joined = ctx.doc_terms(best_doc)
            lexical = max(by_unit, 0.9 * ctx.coverage(residual, ts, joined))
        c = _scale(max(cos.values(), default=None), t.cos_floor, t.cos_ceiling)
        return t.lexical_weight * lexical + (1 - t.lexical_weight) * c

    @staticmethod
    def _target_product(ctx: "_CallContext", i: int, doc_cov: dict[str, float], cited: set[str]) -> str | None:
        """The product record a claim is about: a cited one, else the one it names (most of its
        title line said by the claim), else the best-covered one. Another product's description
        may name this one ("스톰 3레이어 방수 재킷을 추천드려요"); its title does not."""
        products = ctx.product_docs()
        if not products:
            return None
        cited_products = [d for d in products if d in cited]
        if cited_products:
            return max(cited_products, key=lambda d: doc_cov.get(d, 0.0))
        named = ctx.title_match(i)
        if named:
            best = max(named, key=named.get)
            runner_up = max((v for d, v in named.items() if d != best), default=0.0)
            if named[best] >= 0.5 and named[best] - runner_up >= 0.15:
                return best
        return max(products, key=lambda d: doc_cov.get(d, 0.0))

    # -- fact checks; each returns (status ok|contradicted|missing, unit, reason)
    def _check_quantity(self, cf: TextFacts, qi: int, q: Quantity, ctx: "_CallContext", scope: set[str], target: str | None):
        claim_terms = {x for x in cf.clauses[cf.q_clauses[qi]].terms if not x.startswith("#")} | set(cf.q_context[qi])
        local = set(cf.q_context[qi]) or claim_terms
        claim_all = {x for x in cf.terms if not x.startswith("#")}
        if q.kind == "number":  # a bare number: it must at least occur in the evidence
            for unit in ctx.units:
                if any(abs(e.value - q.value) < 1e-9 or (e.high is not None and abs(e.high - q.value) < 1e-9) for e in unit.facts.quantities):
                    return "ok", unit, ""
            return "missing", None, f"number {q.text!r} not in evidence"
        cands = []
        products = set(ctx.product_docs())
        for unit in ctx.units:
            if target and unit.doc in products and unit.doc != target:
                continue  # another product's numbers say nothing about this one
            for ei, e in enumerate(unit.facts.quantities):
                # "무료" (0 won) answers whether there is a fee, not how much: free and amounts are
                # not compared (a claim of "free" is then backed only by "free" in the evidence)
                if comparable(q, e) and not (q.kind == "money" and bool(q.value) != bool(e.value)):
                    c, ev_ctx = ctx.quantity_context(claim_terms, claim_all, unit, ei)
                    if unit.doc in scope:
                        c += 0.05
                    cands.append((c, equivalent(q, e), unit, e, ev_ctx))
        if not cands:
            return "missing", None, f"{q.text!r} ({format_quantity(q)}) not in evidence"
        top = max(cands, key=lambda x: x[0])
        equal = [x for x in cands if x[1]]
        best_eq = max(equal, key=lambda x: x[0]) if equal else None
        if best_eq:
            # Another number fits the claim's words better only if the claim names something that
            # tells them apart ("M" in "M 사이즈 총장") more than it names what backs the equal one.
            if best_eq is top or ctx.telling(top[4] - best_eq[4], local) <= ctx.telling(best_eq[4] - top[4], local):
                return "ok", best_eq[2], ""
        if top[0] < self.t.quantity_context and best_eq is None and target:
            # "이 티셔츠는 3만 9천원이에요" names no field, but an amount said of a product is its
            # price (a business-day span its dispatch time): compare with that spec line
            slot = _DEFAULT_SLOT.get((q.kind, q.unit if q.kind == "duration" else ""))
            fallback = [x for x in cands if x[2].doc == target and x[2].facts.label == slot]
            if fallback:
                top = max(fallback, key=lambda x: x[0])
                return "contradicted", top[2], f"claim says {q.text!r} ({format_quantity(q)}), evidence says {top[3].text!r} ({format_quantity(top[3])})"
        if top[0] >= self.t.quantity_context:
            _, _, unit, e, _ = top
            return "contradicted", unit, f"claim says {q.text!r} ({format_quantity(q)}), evidence says {e.text!r} ({format_quantity(e)})"
        if best_eq:
            return "ok", best_eq[2], ""  # the number is there and nothing says otherwise
        return "missing", top[2] if top[0] > 0 else None, f"{q.text!r} ({format_quantity(q)}) not found for this context"

    def _check_polar(self, cf: TextFacts, m: Mention, ctx: "_CallContext", scope: set[str], target: str | None = None):
        claim_terms = set(cf.clauses[m.clause].terms)
        found = []
        for unit in ctx.units:
            for em in unit.facts.mentions:
                if em.group == "polar" and em.value == m.value and em.polarity != 0:
                    overlap = ctx.overlap(claim_terms, set(unit.facts.clauses[em.clause].terms))
                    # features are stated on the "기능:" line, care on "세탁/관리:"; elsewhere they are
                    # mentioned in passing ("발수·방수 기능 저하" in a care note)
                    home = "세탁/관리" if m.value.startswith("care_") else "기능"
                    authority = unit.authority if not unit.spec or unit.facts.label == home else 0.3
                    rank = (unit.doc == target, unit.doc in scope, unit.facts.label == home, authority, overlap)
                    found.append((rank, em, unit))
        label = _concept_label(m.value)
        if not found:
            return "missing", None, f"'{label}' not mentioned in evidence"
        _, em, unit = max(found, key=lambda x: x[0])
        if em.polarity == m.polarity:
            return "ok", unit, ""
        said = "has" if m.polarity > 0 else "lacks"
        return "contradicted", unit, f"claim says it {said} '{label}', evidence says the opposite"

    def _check_attribute(self, i: int, m: Mention, ctx: "_CallContext", target: str | None):
        group, value = m.group, m.value
        hits = [(u, em) for u in ctx.units for em in u.facts.mentions if em.group == group and _compatible(value, em.value, self.parents)]
        spec_lines = [u for u in ctx.units if u.doc == target and u.spec and u.facts.label in lex.GROUP_LABELS.get(group, ())]
        if group == "season" and spec_lines:
            seasons = {em.value for u in spec_lines for em in u.facts.mentions if em.group == "season" and em.polarity > 0}
            if "all_season" in seasons or (value == "all_season" and {"spring", "summer", "fall", "winter"} <= seasons):
                return ("ok", spec_lines[0], "") if m.polarity > 0 else ("contradicted", spec_lines[0], "evidence says all seasons")
        in_target = [(u, em) for u, em in hits if u.doc == target]
        if in_target:
            unit, em = max(in_target, key=lambda x: (x[0].spec, x[0].authority))
            if (em.polarity >= 0) == (m.polarity > 0):
                return "ok", unit, ""
            return "contradicted", unit, f"claim and evidence disagree on {group} '{_value_label(value)}'"
        # prose that says the same thing, beyond the value itself, backs it ("네이비와 머스타드는 보색")
        residual = ctx.residual[i]
        if ctx.weight_sum(residual) >= 0.5:
            for u, em in hits:
                if not u.spec and (em.polarity >= 0) == (m.polarity > 0) and ctx.coverage(residual, u.facts.term_set, u.facts.joined) >= 0.5:
                    return "ok", u, ""
        if spec_lines:
            if m.polarity < 0:
                return "ok", spec_lines[0], ""
            listed = ", ".join(dict.fromkeys(_value_label(em.value) for u in spec_lines for em in u.facts.mentions if em.group == group))
            return "contradicted", spec_lines[0], f"claim says {group} '{_value_label(value)}', evidence says {listed or spec_lines[0].facts.text}"
        if hits and target is None:
            unit, em = hits[0]
            return ("ok", unit, "") if (em.polarity >= 0) == (m.polarity > 0) else ("contradicted", unit, f"claim and evidence disagree on {group} '{_value_label(value)}'")
        return "missing", None, f"{group} '{_value_label(value)}' not in evidence"

    def _check_negation(self, cf: TextFacts, ctx: "_CallContext", scope: set[str]):
        """A clause the evidence states the other way round: negated ("반품이 가능합니다" vs
        "반품이 불가합니다") or with an antonym predicate ("물에 강해" vs "물에 약해")."""
        t = self.t
        ev_clauses = [
            (unit, ec, {x for x in ec.terms if not x.startswith(("#", "="))})
            for unit in ctx.units if unit.doc in scope
            for ec in unit.facts.clauses if not ec.conditional
        ]
        for ci, clause in enumerate(cf.clauses):
            if clause.conditional or any(m.clause == ci and m.group == "polar" for m in cf.mentions):
                continue
            terms = {x for x in clause.terms if not x.startswith(("#", "="))}
            named = terms & ctx.title_terms
            if len(terms - named) >= 2:
                terms -= named  # the product's name says which item, not what is said of it
            if len(terms) < 2:
                continue
            claim_raw = cf.text[clause.start:clause.end]

            def similarity(unit: _Unit, ec: Clause, ev_terms: set[str]) -> float:
                # mostly how much of the claim clause it holds; an evidence clause that says much
                # more besides is a somewhat weaker match
                raw = unit.facts.text[ec.start:ec.end]  # Kiwi may cut the same word differently here
                r = ctx.overlap(terms, ev_terms, raw=raw)
                p = ctx.overlap(ev_terms, terms, plain=True, raw=claim_raw)
                return r * (0.5 + 0.5 * p)

            conflicts = [(u, ec, et) for u, ec, et in ev_clauses if et and negates_shared(clause, ec, terms, et)]
            diff, diff_unit = 0.0, None
            for u, ec, et in conflicts:
                ov = similarity(u, ec, et)
                if ov > diff:
                    diff, diff_unit = ov, u
            if diff >= t.negation_overlap:
                conflict_ids = {id(ec) for _, ec, _ in conflicts}
                same = max((similarity(u, ec, et) for u, ec, et in ev_clauses if et and id(ec) not in conflict_ids), default=0.0)
                if diff > same + t.negation_margin:
                    said = "denies" if clause.negated else "asserts"
                    return diff_unit, f"claim {said} what the evidence states the other way (negation mismatch)"
            own = {x for x in terms if x in lex.ANTONYMS}
            if not own:
                continue
            flipped = {lex.ANTONYMS[x] for x in own}
            rest = terms - own
            for u, ec, et in ev_clauses:
                # "두꺼운 옷보다 얇은 옷" holds both words: no flip
                if flipped & et and not own & et and ctx.overlap(rest, et, plain=True) >= t.negation_overlap:
                    return u, "claim uses the opposite word of the evidence (antonym)"
        return None

    def _check_stock(self, text: str, cf: TextFacts, ctx: "_CallContext", target: str | None):
        """Stock claims ("M 사이즈 재고 있어요", "sold out") against the target's "재고:" line."""
        if not target or not lex.STOCK_WORDS.search(text):
            return None
        line = next((u for u in ctx.units if u.doc == target and u.facts.label in _STOCK_LABELS), None)
        if line is None:
            return None
        stock = _parse_stock(line.facts.text)
        if not stock:
            return None
        available = not lex.STOCK_NEGATIVE.search(text) and not cf.negated
        sizes = [sz for sz in stock if sz and re.search(rf"(?<![A-Za-z0-9]){re.escape(sz)}(?![A-Za-z0-9])", text, re.IGNORECASE)]
        if sizes:
            states = [stock[sz] for sz in sizes]
        elif lex.ALL_SIZES.search(text):
            states = list(stock.values())
        else:
            states = [any(stock.values())]
        ok = all(s == available for s in states) if (sizes or lex.ALL_SIZES.search(text)) else states[0] == available
        if ok:
            return "ok", line, ""
        return "contradicted", line, f"stock: evidence says {line.facts.text.split(':', 1)[1].strip()}"


# The spec line an unlabelled amount refers to when a claim is about a product.
_DEFAULT_SLOT = {("money", ""): "가격", ("duration", "business_day"): "출고"}


_COPULA_DENIAL = re.compile(r"아니|아닙|is\s+not|isn't|are\s+not|aren't|not\s+made", re.IGNORECASE)


def _denied_values(cf: TextFacts, quantity_results: list) -> list:
    """"면 100%가 아닙니다" with 면 100% in the evidence: a value the evidence states, denied."""
    out = []
    for qi, (status, unit, _, strong) in enumerate(quantity_results):
        q = cf.quantities[qi]
        clause = cf.clauses[cf.q_clauses[qi]]
        if status == "ok" and q.kind != "number" and _COPULA_DENIAL.search(cf.text[q.end:clause.end]):
            out.append(("contradicted", unit, f"claim denies {q.text!r}, which the evidence states", strong))
    return out


def _verbatim(text: str, units: list[_Unit]) -> _Unit | None:
    """The evidence line that ``text`` repeats whole (its value after a "label:" prefix may
    stand for the line's value): only a whole line, so a copied fragment that drops the
    line's condition is still judged."""
    body = squash(_after_label(text))
    if len(body) < 6:
        return None
    for unit in units:
        line = unit.facts.text
        if body == squash(_after_label(line)) or body == squash(line):
            return unit
    return None


def _after_label(text: str) -> str:
    head, sep, rest = text.partition(":")
    return rest if sep and len(head) <= 14 and rest.strip() else text


def _parse_stock(line: str) -> dict[str, bool]:
    """'재고: S 11개, M 품절' -> {'S': True, 'M': False}."""
    body = line.split(":", 1)[1] if ":" in line else line
    whole = re.match(r"\s*(\d+)\b(?!\s*개)", body)  # "Stock: 5 (Low Stock)": a count for the product
    if whole:
        return {"": int(whole.group(1)) > 0}
    if re.match(r"\s*(?:품절|out of stock|sold out)", body, re.IGNORECASE):
        return {"": False}
    out = {}
    for part in re.split(r",\s*", re.sub(r"\(.*?\)", "", body)):
        m = re.match(r"\s*(\S+)\s+(?:(\d+)\s*개|(품절))", part)
        if m:
            out[m.group(1)] = bool(m.group(2)) and int(m.group(2)) > 0
    return out


# ------------------------------------------------------------------ call context


class _CallContext:
    """Per-call statistics: IDF over the evidence lines, coverage of each claim."""

    def __init__(self, units: list[_Unit], claims: list[TextFacts]):
        self.units = units
        self.claims = claims
        n = len(units)
        df: dict[str, int] = {}
        for u in units:
            for term in u.facts.term_set:
                df[term] = df.get(term, 0) + 1
        self._df, self._n = df, n
        self._w: dict[str, float] = {}
        self._idf: dict[str, float] = {}
        by_doc: dict[str, set[str]] = {}
        raw: dict[str, list[str]] = {}
        for u in units:
            by_doc.setdefault(u.doc, set()).update(u.facts.term_set)
            raw.setdefault(u.doc, []).append(u.facts.text)
        # joined terms, then the raw text: a Korean word Kiwi split differently still counts there
        self._docs = {doc: (frozenset(ts), "|" + "|".join(sorted(ts)) + "|" + " ".join(raw[doc])) for doc, ts in by_doc.items()}
        self._products = [d for d in dict.fromkeys(u.doc for u in units if u.spec)]
        self._titles = {}
        for u in units:  # a product's first line is its name
            if u.doc in self._products and u.doc not in self._titles:
                self._titles[u.doc] = u
        self._joined = [u.facts.joined + u.facts.text for u in units]
        self.lexical = [[self.coverage(c.terms, u.facts.term_set, j) for u, j in zip(units, self._joined)] for c in claims]
        self.fact_match = [[_fact_match(c, u.facts) for u in units] for c in claims]
        self.residual = [_residual_terms(c) for c in claims]

    def idf(self, term: str) -> float:
        v = self._idf.get(term)
        if v is None:
            v = self._idf[term] = math.log(1 + (self._n + 1) / (self._df.get(term, 0) + 0.5))
        return v

    def weight(self, term: str) -> float:
        w = self._w.get(term)
        if w is None:
            w = self._w[term] = self.idf(term) * (0.15 if term in lex.LIGHT_TERMS else 1.0)
        return w

    def weight_sum(self, terms: Iterable[str]) -> float:
        return sum(self.weight(x) for x in dict.fromkeys(terms))

    def coverage(self, terms: Iterable[str], term_set: frozenset[str], joined: str, plain: bool = False) -> float:
        total = got = 0.0
        for term in dict.fromkeys(terms):
            w = self.idf(term) if plain else self.weight(term)
            total += w
            got += w * credit(term, term_set, joined)
        return got / total if total else 0.0

    def overlap(self, claim_terms: set[str], ev_terms: set[str], plain: bool = False, raw: str = "") -> float:
        """Share of the claim terms' weight found among the evidence terms (``plain``: no light-word
        discount; ``raw``: the evidence text, where a word Kiwi cut differently still counts)."""
        if not claim_terms:
            return 0.0
        return self.coverage(claim_terms, frozenset(ev_terms), "|" + "|".join(ev_terms) + "|" + raw, plain)

    def top_units(self, i: int, k: int) -> list[int]:
        scores = [lx + 0.5 * fm for lx, fm in zip(self.lexical[i], self.fact_match[i])]
        return sorted(range(len(scores)), key=lambda u: -scores[u])[:k]

    def telling(self, terms: set[str], claim_local: set[str]) -> float:
        """Weight of ``terms`` that the claim says next to its number (words elsewhere in the
        claim often belong to its other numbers: "울 90%에 캐시미어 10%")."""
        local_j = "|" + "|".join(claim_local) + "|"
        return sum(self.weight(x) * credit(x, frozenset(claim_local), local_j) for x in terms)

    def doc_coverage(self, i: int, identity: bool = False) -> dict[str, float]:
        """Coverage of the claim by each document; ``identity`` leaves out the claimed numbers,
        so "가격은 129,000원" does not pick the product whose price is 129,000."""
        terms = self.claims[i].terms
        if identity:
            terms = [x for x in terms if not x.startswith(("#", "="))]
        return {doc: self.coverage(terms, ts, joined) for doc, (ts, joined) in self._docs.items()}

    def doc_terms(self, doc: str) -> tuple[frozenset[str], str]:
        return self._docs.get(doc, (frozenset(), "||"))

    def title_match(self, i: int) -> dict[str, float]:
        """Share of each product's title words that the claim says (its name, Korean or English)."""
        claim = set(self.claims[i].terms)
        joined = "|" + "|".join(claim) + "|"
        out = {}
        for doc, title in self._titles.items():
            terms = {x for x in title.facts.terms if not x.startswith(("#", "="))}
            if terms:
                out[doc] = sum(self.idf(x) * credit(x, frozenset(claim), joined) for x in terms) / sum(self.idf(x) for x in terms)
        return out

    def novel_entities(self, i: int) -> list[str]:
        """Names in the claim that no evidence passage mentions (see overlap.unseen_names)."""
        claim = self.claims[i]
        unseen = [set(unseen_names(claim, ts, joined)) for ts, joined in self._docs.values()]
        return [n for _, n in claim.entities if all(n in u for u in unseen)] if unseen else [n for _, n in claim.entities]

    @cached_property
    def title_terms(self) -> set[str]:
        """Words of the products' names (their first lines)."""
        return {x for title in self._titles.values() for x in title.facts.terms if not x.startswith(("#", "="))}

    def product_docs(self) -> list[str]:
        return self._products

    def quantity_context(self, claim_clause: set[str], claim_all: set[str], unit: _Unit, ei: int) -> tuple[float, set[str]]:
        """How well the claim names what the evidence quantity measures (precision/recall mix), and its words."""
        f = unit.facts
        ev_ctx = set(f.q_context[ei]) or {x for x in f.clauses[f.q_clauses[ei]].terms if not x.startswith("#")}
        if not ev_ctx:
            ev_ctx = {x for x in f.terms if not x.startswith("#")}
        # the evidence's words for it, said by the claim (near the number, or anywhere in it)
        precision = max(self.overlap(ev_ctx, claim_clause), 0.8 * self.overlap(ev_ctx, claim_all))
        recall = self.overlap(claim_clause, ev_ctx | set(f.terms)) if claim_clause else 0.0
        return 0.6 * precision + 0.4 * recall, ev_ctx


def _fact_match(claim: TextFacts, ev: TextFacts) -> float:
    """Share of the claim's quantities and mentions that this evidence line states too."""
    facts = [q for q in claim.quantities if q.kind != "number"] + claim.mentions
    if not facts:
        return 0.0
    got = 0
    for f in facts:
        if isinstance(f, Quantity):
            got += any(equivalent(f, e) for e in ev.quantities)
        else:
            got += any(e.group == f.group and e.value == f.value for e in ev.mentions)
    return got / len(facts)


def _residual_terms(claim: TextFacts) -> list[str]:
    """Claim terms outside its quantities and mentions: what the fact checks do not cover."""
    spans = [(q.start, q.end) for q in claim.quantities if q.kind != "number"] + [(m.start, m.end) for m in claim.mentions]
    return [t for p, t in claim.term_pos if not t.startswith(("@", "#")) and not any(s <= p < e for s, e in spans)]


# ----------------------------------------------------------------------- helpers


def _scale(x: float | None, lo: float, hi: float) -> float:
    if x is None:
        return 0.0
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


def _compatible(claim_value: str, ev_value: str, parents: dict[str, tuple[str, ...]]) -> bool:
    """The evidence value states the claim value: equal, or more specific ("메리노울" is wool)."""
    return claim_value == ev_value or claim_value in parents.get(ev_value, ())


def _value_label(value: str) -> str:
    return value.split(":", 1)[1] if ":" in value else value


def _concept_label(concept: str) -> str:
    if concept in lex.FEATURE_LABELS:
        return lex.FEATURE_LABELS[concept]
    return concept.replace("care_", "").replace("_", " ")


def aggregate(verdicts: list[ClaimVerdict]) -> GroundingReport:
    """Contradicted if any claim is, else unsupported if any is, else supported; score = min."""
    if not verdicts:
        return GroundingReport("supported", 1.0, [])
    kinds = {v.verdict for v in verdicts}
    overall = "contradicted" if "contradicted" in kinds else ("unsupported" if "unsupported" in kinds else "supported")
    return GroundingReport(overall, min(v.score for v in verdicts), verdicts)


def product_vocabulary(path: Path) -> tuple[dict[str, dict[str, list[str]]], dict[str, tuple[str, ...]]]:
    """Attribute values found in products.jsonl that the built-in lexicon does not know.

    Compound values ("라이트그레이", "멜란지그레이") become values of their own whose
    parents are the base colours inside them, so a claim of "그레이" is backed by
    "라이트그레이" but "라이트그레이" is not backed by "그레이".
    """
    base = Vocabulary()
    extra: dict[str, dict[str, list[str]]] = {"color": {}, "material": {}, "fit": {}, "brand": {}}
    parents: dict[str, tuple[str, ...]] = {}
    seen: dict[str, set[str]] = {g: set() for g in extra}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        values = {
            "color": rec.get("colors", []),
            "material": [m["name"] for m in rec.get("materials", [])],
            "fit": [rec.get("fit", "")],
            "brand": [rec.get("brand", "")],
        }
        for group, vals in values.items():
            for v in vals:
                v = v.strip()
                if not v or v in seen[group]:
                    continue
                seen[group].add(v)
                found = [x for x in base.find(v.lower()) if x[2] == group]
                if group != "brand" and len(found) == 1 and found[0][1] - found[0][0] >= len(v.replace(" ", "")) - 1:
                    continue  # the lexicon already knows this exact value
                if group == "fit" and (re.search(r"\d", v) or len(v) > 12):
                    continue  # "원사이즈 (220~250mm)" is a note, not a fit
                key = f"{group}:{v}"
                pattern = r"\s?".join(re.escape(ch) for ch in v.replace(" ", "").lower())
                extra[group][key] = [pattern]
                english = _english_colour(v) if group == "color" else None
                if english:
                    extra[group][key].append(english)  # "라이트그레이" is also "light grey"
                inside = tuple(dict.fromkeys(x[3] for x in found))
                if inside:
                    parents[key] = inside
    return extra, parents


# Korean loanword parts of colour names and their English spelling, for English claims.
_COLOUR_PARTS = {
    "라이트": "light", "다크": "dark", "딥": "deep", "더스티": "dusty", "멜란지": "melange", "포레스트": "forest",
    "스카이": "sky", "베이비": "baby", "애쉬": "ash", "샌드": "sand", "워시드": "washed", "미드": "mid",
    "미디엄": "medium", "로우": "raw", "클리어": "clear", "버터": "butter", "내추럴": "natural", "스킨": "skin",
    "세이지": "sage", "테라코타": "terracotta", "에크루": "ecru", "샴페인": "champagne", "에메랄드": "emerald",
    "코랄": "coral", "라임": "lime", "레몬": "lemon", "라일락": "lilac", "탄": "tan", "체크": "check",
    "스트라이프": "stripe[sd]?", "플라워": "flower|floral", "도트": "dots?", "패턴": "pattern", "믹스": "mix",
    "깅엄": "gingham", "페이즐리": "paisley", "팜": "palm", "프린트": "print", "데미": "demi", "그린": "green",
    "블루": "blue", "그레이": "gr[ae]y", "화이트": "white", "블랙": "black", "네이비": "navy", "레드": "red",
    "핑크": "pink", "옐로우": "yellow", "브라운": "brown", "베이지": "beige", "오렌지": "orange", "올리브": "olive",
    "카키": "khaki", "인디고": "indigo", "실버": "silver", "골드": "gold", "크림": "cream", "아이보리": "ivory",
    "차콜": "charcoal", "오트밀": "oatmeal", "카멜": "camel", "버건디": "burgundy", "모카": "mocha",
    "라벤더": "lavender", "민트": "mint", "머스타드": "mustard",
}


def _english_colour(value: str) -> str | None:
    """'라이트그레이' -> a pattern for "light grey" / "light-gray" when every part of the name is known."""
    rest, parts = value.replace(" ", ""), []
    while rest:
        hit = next((k for k in sorted(_COLOUR_PARTS, key=len, reverse=True) if rest.startswith(k)), None)
        if hit is None:
            return None
        parts.append(f"(?:{_COLOUR_PARTS[hit]})")
        rest = rest[len(hit):]
    return r"\b" + r"[\s-]?".join(parts) + r"\b"
