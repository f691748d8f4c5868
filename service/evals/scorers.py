"""Scorers: small functions ``(case, envelope, ctx) -> float in [0, 1] | None``.

None means "not applicable to this case" (no reference, no expected facts, a
refusal where only answers are scored) and is left out of the criterion mean.
``envelope`` is None when the request itself was rejected (unknown product:
404, invalid input: 422), which counts as a refusal. A scorer says why it
scored low through ``ctx.note``; the report shows those notes per case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from service.envelope import CheckResult, Envelope
from service.evals import judge as llm_judge_lib
from service.evals.dataset import Case
from service.evals.matching import states
from service.guards import fields as F
from service.guards.pii import PLACEHOLDERS
from service.nlp.claims import segment, strip_citations
from service.nlp.numbers import equivalent, extract_quantities
from service.pipeline import cited_ids


@dataclass
class ScoreContext:
    container: Any
    spec: Any  # the task's TaskSpec
    evidence: dict[str, str] = field(default_factory=dict)  # id -> full passage of this request's evidence
    params: dict[str, Any] = field(default_factory=dict)  # the criterion's scorer params
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # structured details (judge spread, samples)

    @property
    def task(self) -> str:
        return self.spec.name

    def note(self, message: str) -> None:
        self.notes.append(message)


Scorer = Callable[[Case, "Envelope | None", ScoreContext], "float | None"]

# ----------------------------------------------------------------- output helpers


def refused(task: str, envelope: Envelope | None) -> bool:
    """Did the request end in a refusal / handoff rather than an answer?"""
    if envelope is None:
        return True
    out = envelope.output
    if task == "cs_answer":
        return out.get("handoff") is True
    if task == "styling":
        return not out.get("outfits")
    # A summary refusal is the spec's handoff reply (blocked), never an empty 200.
    return envelope.guard.verdict == "blocked" or not str(out.get("summary") or "").strip()


def all_text(output: Any) -> str:
    """Every string of the output, one per line (what a reader could see)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            parts.append(node)

    walk(output)
    return "\n".join(parts)


def prose_fields(envelope: Envelope, spec) -> list[F.FieldText]:
    return F.extract(envelope.output, spec.text_fields)


def prose(envelope: Envelope, spec) -> str:
    return strip_citations(F.join(prose_fields(envelope, spec)))


_PLACEHOLDER_IDS = {p.strip("[]") for p in PLACEHOLDERS.values()}  # "[PHONE]" is a redaction, not a citation


def _check(envelope: Envelope, name: str) -> CheckResult | None:
    found = [c for c in envelope.guard.output if c.check == name]
    return found[-1] if found else None


# Quotations; a single quote between letters is an apostrophe ("it's"), not a quote.
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|(?<![A-Za-z])'[^'\n]*'(?![A-Za-z])|‘[^’\n]*’")


def count_sentences(text: str, analyzer=None) -> int:
    """Sentences as a reader counts them: a quoted review inside a sentence is part of it.
    End marks decide; Kiwi only for long text without them (it over-splits lists such as
    "비침: 있음, 세탁기 사용: 없음입니다" at the noun ending -음)."""
    text = _QUOTED.sub(lambda m: "Q" * len(m.group()), strip_citations(text))

    def count(splitter) -> int:
        return sum(1 for s in segment(text, splitter) if s.kind in ("claim", "courtesy"))

    n = count(None)
    return count(analyzer) if n <= 1 and len(text) > 40 and analyzer is not None else n


# --------------------------------------------------------------------- scorers


def required_facts(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """Share of ``must_include`` facts the output states (numbers/units normalised)."""
    if not case.must_include:
        return None
    if refused(ctx.task, envelope):
        if case.expect_handoff:
            return None  # facts are for answers; the refusal is scored by handoff_correct
        ctx.note("refused, so none of the required facts were given")
        return 0.0
    text = all_text(envelope.output)
    missing = [f for f in case.must_include if not states(text, f)]
    if missing:
        ctx.note("missing: " + ", ".join(missing))
    return round(1 - len(missing) / len(case.must_include), 4)


def forbidden_absent(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """1 when none of ``must_not_include`` appears in the output (one leak fails the case)."""
    if not case.must_not_include:
        return None
    if envelope is None:
        return 1.0
    text = all_text(envelope.output)
    found = [s for s in case.must_not_include if states(text, s)]
    if found:
        ctx.note("forbidden content present: " + ", ".join(found))
    return 0.0 if found else 1.0


def citations_valid(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """Every cited id is in this request's evidence, and each cited claim's numbers
    (and required facts) are in the passages it cites. Uncited claims count as failures."""
    if refused(ctx.task, envelope):
        return None
    ids = [i for i in cited_ids(envelope.output) if i not in _PLACEHOLDER_IDS]
    unknown = [i for i in ids if i not in ctx.evidence]
    if unknown:
        ctx.note("cited ids not in the evidence: " + ", ".join(unknown))
    analyzer = ctx.container.analyzer
    checked = ok = 0
    for f in prose_fields(envelope, ctx.spec):
        sibling = _sibling_citation(envelope.output, f.path)
        for claim, inherited in _with_following_citation(f.text, _checkable(f.text, analyzer)):
            checked += 1
            cites = [i for i in dict.fromkeys(inherited + sibling) if i not in _PLACEHOLDER_IDS]
            problem = _claim_problem(claim.text, cites, case, ctx)
            if problem:
                ctx.note(f"\"{claim.text[:60]}\": {problem}")
            else:
                ok += 1
    id_share = 1 - len(unknown) / len(ids) if ids else 0.0
    if not ids:
        ctx.note("no citations at all")
    claim_share = ok / checked if checked else 1.0
    return round(id_share * claim_share, 4)


def _checkable(text: str, analyzer) -> list:
    """Claims, plus short fragments that state a number ("29,000원" as a key fact value)."""
    return [s for s in segment(text, analyzer)
            if s.kind == "claim" or (s.kind == "fragment" and extract_quantities(s.text))]


def _with_following_citation(text: str, claims: list) -> list[tuple[Any, list[str]]]:
    """A marker after several sentences on one line ('리뷰에는 "A. B."라는 평이 있습니다. [P1]')
    covers them all, so an uncited claim takes the next marker on its line."""
    out, carry, next_start = [], [], len(text)
    for claim in reversed(claims):
        if "\n" in text[claim.end:next_start]:
            carry = []
        if claim.cited_ids:
            carry = claim.cited_ids
        out.append((claim, claim.cited_ids or carry))
        next_start = claim.start
    return out[::-1]


def _sibling_citation(output: dict, path: tuple) -> list[str]:
    """key_facts[i].value is cited by key_facts[i].citation."""
    parent: Any = output
    for key in path[:-1]:
        parent = parent[key]
    cite = parent.get("citation") if isinstance(parent, dict) else None
    return [cite] if isinstance(cite, str) and cite else []


def _claim_problem(text: str, cites: list[str], case: Case, ctx: ScoreContext) -> str | None:
    if not cites:
        return "no citation"
    passages = [ctx.evidence[i] for i in cites if i in ctx.evidence]
    if not passages:
        return "cites only ids outside the evidence"
    held = [q for p in passages for q in extract_quantities(p)]
    for q in extract_quantities(text):
        if q.kind != "number" and not any(equivalent(q, h) for h in held):
            return f"cited passage does not hold {q.text!r}"
    joined = "\n".join(passages)
    for fact in case.must_include:
        if states(text, fact) and not states(joined, fact):
            return f"cited passage does not hold the fact {fact!r}"
    return None


def grounding_supported(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """Share of claims the output guard found supported (of the generation it judged,
    so a blocked output still shows how ungrounded the generation was)."""
    if envelope is None:
        return None
    check = _check(envelope, "grounding")
    claims = check.details if check else []
    if not claims:
        return None
    bad = [c for c in claims if c.get("verdict") != "supported"]
    for c in bad[:5]:
        ctx.note(f"{c.get('verdict')}: \"{str(c.get('text'))[:60]}\" ({c.get('reason')})")
    return round(1 - len(bad) / len(claims), 4)


def banned_words_clean(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """1 when the output guard's banned-word check passed on what it judged last."""
    if envelope is None:
        return None
    check = _check(envelope, "banned_words")
    if check is None:
        return None
    if check.verdict == "fail":
        ctx.note("banned: " + ", ".join(f"{d.get('term')} ({d.get('category')})" for d in check.details))
        return 0.0
    return 1.0


def format_ok(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """Shape per task: summary 3-5 sentences + key facts, styling 2-3 well-formed outfits,
    CS answer length and sentence count. Refusals that were expected are not scored."""
    if refused(ctx.task, envelope) and (case.expect_handoff or envelope is None):
        return None
    p = ctx.params
    analyzer = ctx.container.analyzer
    out = envelope.output
    checks: list[bool] = []
    dangling = [f for f in prose_fields(envelope, ctx.spec) if _starts_with_citation(f.text)]
    if dangling:  # a guard fix that dropped a sentence but left its marker: "[P131] 가격은 ..."
        ctx.note("text starts with a citation marker left over from a dropped sentence")
    checks.append(not dangling)
    if ctx.task == "summary":
        n = count_sentences(str(out.get("summary") or ""), analyzer)
        checks.append(p.get("min_sentences", 3) <= n <= p.get("max_sentences", 5))
        if not checks[-1]:
            ctx.note(f"summary has {n} sentences")
        facts = out.get("key_facts") or []
        checks.append(bool(facts) and all(f.get("label") and f.get("value") and f.get("citation") for f in facts))
        if not checks[-1]:
            ctx.note("key_facts missing or incomplete")
    elif ctx.task == "styling":
        outfits = out.get("outfits") or []
        checks.append(p.get("min_outfits", 2) <= len(outfits) <= p.get("max_outfits", 3))
        if not checks[-1]:
            ctx.note(f"{len(outfits)} outfits")
        anchor = case.inputs.get("product_id")
        good = [o for o in outfits if o.get("title") and o.get("reason") and len(o.get("items") or []) >= 2
                and o["items"][0] == anchor]
        checks.append(bool(outfits) and len(good) == len(outfits))
        if outfits and len(good) < len(outfits):
            ctx.note(f"{len(outfits) - len(good)} outfit(s) malformed (title, reason, anchor first, 2+ items)")
    else:
        answer = strip_citations(str(out.get("answer") or "")).strip()
        length_ok = p.get("min_chars", 20) <= len(answer) <= p.get("max_chars", 600)
        n = count_sentences(answer, analyzer)
        checks += [length_ok, 1 <= n <= p.get("max_sentences", 6)]
        if not length_ok:
            ctx.note(f"answer has {len(answer)} characters")
        if not checks[-1]:
            ctx.note(f"answer has {n} sentences")
    return round(sum(checks) / len(checks), 4)


_LEADING_CITATION = re.compile(r"\s*\[[A-Za-z][A-Za-z0-9_-]*(?:\s*,\s*[A-Za-z][A-Za-z0-9_-]*)*\]")


def _starts_with_citation(text: str) -> bool:
    m = _LEADING_CITATION.match(text)
    return bool(m) and m.group().strip(" []") not in _PLACEHOLDER_IDS


# Sentence-final endings (Kiwi EF) by speech level.
_FORMAL = ("니다", "니까", "시오", "ᆸ시다", "읍시다")  # 합쇼체: -습니다/-ㅂ니까/-십시오
_POLITE = ("요", "죠")  # 해요체: -어요/-세요/-네요/-죠


def honorific_register(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """CS answers speak to a customer in 합쇼체 or 해요체, from Kiwi morphology: every
    sentence-final ending (EF) is classified; a plain ending (해체/해라체, noun endings)
    scores 0, or 0.5 when the sentence still carries the honorific pre-final -시- (EP)."""
    if refused(ctx.task, envelope):
        return None  # the handoff replies are vetted templates
    text = strip_citations(all_text({k: v for k, v in envelope.output.items() if isinstance(v, str)}))
    if not re.search(r"[가-힣]", text):
        return None  # English answers: no Korean register to judge
    morphemes = ctx.container.analyzer.morphemes(text)
    scores, honorific, start = [], False, 0
    for m in morphemes:
        if m.tag == "EP" and m.form in ("시", "으시", "세"):
            honorific = True
        if m.tag != "EF":
            continue
        if m.form.endswith(_FORMAL) or m.form.endswith(_POLITE):
            scores.append(1.0)
        else:
            scores.append(0.5 if honorific else 0.0)
            ctx.note(f"plain ending -{m.form} in \"{text[start:m.end][-40:].strip()}\"")
        honorific, start = False, m.end
    if not scores:
        return None
    return round(sum(scores) / len(scores), 4)


def handoff_correct(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """Should-refuse cases refused (handed over / no output), answerable ones answered."""
    if case.expect_handoff is None:
        return None
    got = refused(ctx.task, envelope)
    if got != case.expect_handoff:
        why = f" ({envelope.reason})" if envelope is not None and envelope.reason else ""
        ctx.note(("refused" if got else "answered") + f" but expected {'a handoff' if case.expect_handoff else 'an answer'}{why}")
    return 1.0 if got == case.expect_handoff else 0.0


def reference_similarity(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """Cosine of USE embeddings (the container's embedder) of the output prose and the reference."""
    if not case.reference:
        return None
    if envelope is None:
        return 0.0
    text = prose(envelope, ctx.spec).strip() or strip_citations(all_text(envelope.output))
    if not text.strip():
        ctx.note("empty output")
        return 0.0
    vectors = ctx.container.embedder.embed([text, case.reference])
    return round(max(0.0, min(1.0, float(vectors[0] @ vectors[1]))), 4)


def styling_constraints(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """Share of outfits whose added items exist, are in stock, and together fit the budget."""
    if ctx.task != "styling" or refused(ctx.task, envelope):
        return None
    budget = case.inputs.get("budget")
    retriever = ctx.container.retriever
    ok = 0
    outfits = envelope.output["outfits"]
    for i, outfit in enumerate(outfits, start=1):
        problems, spent = [], 0
        for item in (outfit.get("items") or [])[1:]:
            hit = retriever.get("products", item)
            if hit is None:
                problems.append(f"{item} not in the catalog")
                continue
            if not hit.metadata.get("in_stock"):
                problems.append(f"{item} sold out")
            spent += int(hit.metadata.get("price") or 0)
        if budget is not None and spent > budget:
            problems.append(f"added items cost {spent:,}원 > budget {budget:,}원")
        if problems:
            ctx.note(f"outfit {i}: " + "; ".join(problems))
        else:
            ok += 1
    return round(ok / len(outfits), 4)


def llm_judge(case: Case, envelope: Envelope | None, ctx: ScoreContext) -> float | None:
    """A rubric prompt judged by the container's LLM, sampled ``n`` times (default 3) and
    averaged; the spread goes to ``ctx.extra``. Skipped without an endpoint."""
    llm = ctx.container.llm
    if llm is None:
        ctx.extra["skipped"] = "no LLM endpoint configured (CG_LLM_BASE_URL unset)"
        return None
    if envelope is None:
        return None
    p = ctx.params
    prompt = llm_judge_lib.render(
        p.get("prompt"), task=ctx.task, criterion=p.get("criterion") or "overall quality", inputs=case.inputs,
        evidence=[{"id": i, "text": t} for i, t in ctx.evidence.items()], output=all_text(envelope.output))
    verdict = llm_judge_lib.judge(llm, prompt, n=int(p.get("n", 3)), temperature=float(p.get("temperature", 0.7)))
    ctx.extra.update(spread=verdict.spread, samples=verdict.samples, errors=verdict.errors)
    if verdict.mean is None:
        ctx.note("judge gave no usable answer: " + ", ".join(verdict.errors))
    return verdict.mean


SCORERS: dict[str, Scorer] = {
    "required_facts": required_facts,
    "forbidden_absent": forbidden_absent,
    "citations_valid": citations_valid,
    "grounding_supported": grounding_supported,
    "banned_words_clean": banned_words_clean,
    "format_ok": format_ok,
    "honorific_register": honorific_register,
    "handoff_correct": handoff_correct,
    "reference_similarity": reference_similarity,
    "styling_constraints": styling_constraints,
    "llm_judge": llm_judge,
}
