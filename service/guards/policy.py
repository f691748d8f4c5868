"""A task's guard policy: which checks run (through guardrails-ai) and what a failure does.

Input: personal data is redacted from every free-text field before anything
else sees it (LLM, cache key, logs); a prompt-injection attempt blocks the
request, which then gets the task's safe reply.

Output: all prose fields of the output, joined, go through one guardrails
Guard composed of the task's validators (one call keeps the overhead at about a
millisecond); outfits also get the structured catalog check. A failure becomes
the action the spec names: fix (drop failing sentences, redact personal data),
reask (one bounded regeneration with the failures as feedback) or refrain
(offline composer, or a handoff reply). The pipeline carries the action out.
"""

from __future__ import annotations

import json
import re
import threading
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

from service.envelope import CheckResult
from service.guards import fields as F
from service.guards.banned_words import BannedWords
from service.guards.catalog import CatalogItems, find_problems, without_problems
from service.guards.checks import INPUT_CHECKS, TEXT_CHECKS
from service.guards.fingerprint import policy_fingerprint
from service.grounding import Evidence, GroundingChecker
from service.guards.grounding_validator import Grounded
from service.guards.guardrails_offline import offline_guard
from service.guards.injection import PromptInjection
from service.guards.pii import PLACEHOLDERS, PiiGuard
from service.guards.prose import CITATION_ONLY
from service.nlp.claims import sentence_spans

ACTIONS = ("none", "fix", "reask", "refrain")

# Factories take the settings: the banned-word lists live in the configured knowledge dir.
# Their keys are the names in service/guards/checks.py (specs are validated against those).
INPUT_VALIDATORS: dict[str, Callable] = {
    "pii": lambda s: PiiGuard(on_fail="fix"),  # the fix is the redaction
    "injection": lambda s: PromptInjection(on_fail="noop"),
}
OUTPUT_VALIDATORS: dict[str, Callable] = {
    "banned_words": lambda s: BannedWords(on_fail="noop", knowledge_dir=str(s.knowledge_dir / "banned_words")),
    "pii": lambda s: PiiGuard(on_fail="noop"),
    "grounding": lambda s: Grounded(on_fail="noop"),
}
assert tuple(INPUT_VALIDATORS) == INPUT_CHECKS and tuple(OUTPUT_VALIDATORS) == TEXT_CHECKS, \
    "service/guards/checks.py must name exactly these validators (specs are checked against it)"
CHECK_OF = {"PiiGuard": "pii", "PromptInjection": "injection", "BannedWords": "banned_words",
            "Grounded": "grounding", "CatalogItems": "catalog"}


@dataclass
class InputScreen:
    inputs: dict[str, Any]
    checks: list[CheckResult]
    redactions: dict[str, int]
    blocked: str | None = None


@dataclass
class OutputCheck:
    passed: bool
    checks: list[CheckResult]
    action: str = "none"
    fixed: dict[str, Any] | None = None
    feedback: str = ""
    cited: dict[str, Any] | None = None  # a passing output with markers added to supported but uncited sentences


@dataclass
class _Edits:
    drops: list[tuple[int, int]] = field(default_factory=list)  # joined-text spans whose sentence goes
    replacements: list[tuple[int, int, str]] = field(default_factory=list)


class GuardRunner:
    def __init__(self, container) -> None:
        self.container = container
        self._local = threading.local()  # this thread's Guards, by key
        self._fingerprints: dict[str, str] = {}
        self._lock = threading.Lock()

    def fingerprint(self, spec) -> str:
        """The guard policy fingerprint of ``spec`` (cache keys), computed once per runner,
        like the guards themselves: both read the lists when they are first needed."""
        found = self._fingerprints.get(spec.name)
        if found is None:
            s = self.container.settings
            judge = f"{s.grounding_judge}|scorer={'on' if s.grounding_scorer else 'off'}"
            found = self._fingerprints[spec.name] = policy_fingerprint(spec, s.knowledge_dir / "banned_words", judge)
        return found

    @cached_property
    def grounding_checker(self) -> GroundingChecker:
        c = self.container
        scorer = {} if c.settings.grounding_scorer else {"entailment": None}
        rules = GroundingChecker.from_knowledge(c.analyzer, c.embedder, c.settings.knowledge_dir, **scorer)
        if c.settings.grounding_judge == "llm" and c.llm is not None:
            from service.grounding.llm_judge import LLMJudge

            return _JudgeWithRules(LLMJudge(c.llm, splitter=c.analyzer, fallback=rules), rules)
        return rules

    def _guard(self, key: tuple, factories: list[Callable]):
        # One Guard per thread: a guardrails Guard records each call in its history, and two
        # threads validating through one Guard corrupt it (AttributeError inside guardrails'
        # tracing, seen as a rare 500 under 20 concurrent clients). The validators are cheap;
        # what they load (word lists, the grounding checker) is shared.
        guards = self._local.__dict__.setdefault("guards", {})
        if key not in guards:
            with self._lock:
                guards[key] = offline_guard(*[make(self.container.settings) for make in factories])
        return guards[key]

    # --- input ---------------------------------------------------------------------
    def screen_input(self, spec, model) -> InputScreen:
        inputs = model.model_dump()
        checks = [c for c in spec.guard.input_checks if c in INPUT_VALIDATORS]
        if not checks:
            return InputScreen(inputs, [], {})
        guard = self._guard(("input", tuple(checks)), [INPUT_VALIDATORS[c] for c in checks])
        redacted: Counter[str] = Counter()
        signals: list[dict[str, str]] = []
        for name in model.free_text_fields():
            if not inputs.get(name):
                continue
            outcome = guard.validate(inputs[name], metadata={})
            for summary in _failed(outcome):
                spans = summary.error_spans or []
                if CHECK_OF[summary.validator_name] == "pii":
                    redacted.update(span.reason for span in spans)
                else:
                    signals += [{"field": name, "signal": span.reason} for span in spans]
            if "pii" in checks and isinstance(outcome.validated_output, str):
                inputs[name] = outcome.validated_output
        results = []
        if "pii" in checks:
            results.append(CheckResult(check="pii", verdict="fail" if redacted else "pass",
                                       action="fix" if redacted else "none",
                                       details=[{"type": t, "count": n} for t, n in sorted(redacted.items())]))
        if "injection" in checks:
            results.append(CheckResult(check="injection", verdict="fail" if signals else "pass",
                                       action="refrain" if signals else "none", details=signals))
        return InputScreen(inputs, results, dict(redacted), "blocked: prompt injection" if signals else None)

    # --- output --------------------------------------------------------------------
    def check_output(self, spec, output: dict[str, Any], evidence) -> OutputCheck:
        from service.llm.metering import charged_to

        with charged_to(spec.name):  # an LLM grounding judge's tokens are this task's spend
            return self._check_output(spec, output, evidence)

    def _check_output(self, spec, output: dict[str, Any], evidence) -> OutputCheck:
        handoff = output.get("handoff") is True  # a vetted template: nothing to ground
        text_checks = [c for c in spec.guard.output_checks
                       if c in OUTPUT_VALIDATORS and not (handoff and c == "grounding")]
        prose = F.extract(output, spec.text_fields)
        joined = F.join(prose)
        results: list[CheckResult] = []
        edits, feedback = _Edits(), []
        metadata: dict[str, Any] = {"details": {}}
        if text_checks and joined.strip():
            metadata = {"evidence": [Evidence(h.id, h.text) for h in evidence.hits],
                        "grounding_checker": self.grounding_checker, "details": {}}
            guard = self._guard(("output", tuple(text_checks)), [OUTPUT_VALIDATORS[c] for c in text_checks])
            failed = {CHECK_OF[s.validator_name]: s for s in _failed(guard.validate(joined, metadata=metadata))}
            for check in text_checks:
                results.append(_text_result(check, failed.get(check), metadata["details"], prose, edits, feedback))
        emptied_labels: dict[tuple, str] = {}
        if "grounding" in text_checks:
            results += self._facts(spec, output, evidence, emptied_labels, feedback)
            results += _ids(spec, output, evidence, emptied_labels, feedback)
        fact_labels = [f"{f.items}.{f.label}" for f in spec.fact_fields]
        labels = F.extract(output, list(dict.fromkeys(spec.label_fields + fact_labels)))
        label_checks = [c for c in text_checks if c != "grounding"]
        if labels and label_checks:
            results += self._labels(labels, label_checks, emptied_labels, feedback)
        if "catalog" in spec.guard.output_checks and "outfits" in output:
            results.append(self._catalog(output["outfits"], evidence, feedback))
        failures = [r for r in results if r.verdict == "fail"]
        if not failures:
            return OutputCheck(True, results, cited=_cite_uncited(output, _prose_without_facts(spec, prose),
                                                                      metadata["details"].get("grounding")))
        action = max((_action(spec, r) for r in failures), key=ACTIONS.index)
        for r in failures:
            r.action = action
        fixed = _apply(output, prose, edits, evidence, emptied_labels) if action != "refrain" else None
        return OutputCheck(False, results, action, fixed, "\n".join(feedback))

    def _facts(self, spec, output: dict[str, Any], evidence, emptied: dict, feedback: list[str]) -> list[CheckResult]:
        """Fact items ("key_facts[]"): "label: value [citation]" grounded as one claim against the
        cited evidence; a failing item is emptied (it goes from the list)."""
        results = []
        ev = [Evidence(h.id, h.text) for h in evidence.hits]
        for field in spec.fact_fields:
            items = F.fact_items(output, field)
            if not items:
                continue
            text = "\n".join(line for _, line in items)
            report = self.grounding_checker.check(text, ev)
            starts = _line_starts([line for _, line in items])
            failed, details = False, []
            for claim in report.claims:
                path, line = items[bisect_right(starts, claim.start) - 1]
                details.append(_claim_detail(claim, []) | {"field": ".".join(map(str, path))})
                if claim.verdict != "supported":
                    if claim.supported_by:  # right fact, wrong source: re-cite it
                        emptied[path[:-1] + (field.citation,)] = claim.supported_by
                    else:
                        emptied[path] = ""
                    failed = True
                    feedback.append(f"- 핵심 정보 \"{line}\": {claim.verdict} ({claim.reason})")
            results.append(CheckResult(check="grounding:facts", verdict="fail" if failed else "pass",
                                       score=report.score, details=details))
        return results

    def _labels(self, labels: list[F.FieldText], checks: list[str], emptied: dict, feedback: list[str]) -> list[CheckResult]:
        """Titles and other short labels: banned words and personal data only (not claims)."""
        guard = self._guard(("labels", tuple(checks)), [OUTPUT_VALIDATORS[c] for c in checks])
        details: dict[str, Any] = {}
        outcome = guard.validate(F.join(labels), metadata={"details": details})
        failed = {CHECK_OF[s.validator_name]: s for s in _failed(outcome)}
        results = []
        for check in checks:
            summary = failed.get(check)
            if summary is None:
                continue
            for span in summary.error_spans or []:
                located = F.locate(labels, span.start, span.end)
                if located:
                    emptied[located[0].path] = ""
            feedback.append(f"- 제목에 쓸 수 없는 표현이 있습니다 ({check})")
            results.append(CheckResult(check=f"{check}:labels", verdict="fail", score=0.0,
                                       details=[{"reason": s.reason, "start": s.start, "end": s.end,
                                                 **_list_action(details, s)} for s in summary.error_spans or []]))
        return results

    # --- guard as a service -------------------------------------------------------------
    def check_text(self, text: str, evidence: list[str] | None, checks: list[str]) -> dict[str, Any]:
        """Audit existing copy with no generation: the same validators, a flat report."""
        wanted = [c for c in checks if c in OUTPUT_VALIDATORS and (c != "grounding" or evidence)]
        metadata = {"evidence": [Evidence(f"E{i + 1}", e) for i, e in enumerate(evidence or [])],
                    "grounding_checker": self.grounding_checker if "grounding" in wanted else None, "details": {}}
        failed = {}
        if wanted and text.strip():
            guard = self._guard(("output", tuple(wanted)), [OUTPUT_VALIDATORS[c] for c in wanted])
            failed = {CHECK_OF[s.validator_name]: s for s in _failed(guard.validate(text, metadata=metadata))}
        spans = lambda check: failed[check].error_spans or [] if check in failed else []
        report: dict[str, Any] = {
            "verdict": "fail" if failed else "pass",
            "banned_words": [{"term": sp.reason.partition(": ")[2], "category": sp.reason.partition(": ")[0],
                              "start": sp.start, "end": sp.end, **_list_action(metadata["details"], sp)}
                             for sp in spans("banned_words")],
            "pii": [{"type": sp.reason, "start": sp.start, "end": sp.end} for sp in spans("pii")],
        }
        grounding = metadata["details"].get("grounding")
        if grounding is not None:
            report["grounding"] = {"verdict": grounding.verdict, "score": round(grounding.score, 4),
                                   "claims": [_claim_detail(c, []) for c in grounding.claims]}
        else:
            report["grounding"] = {"verdict": "skipped", "score": None, "claims": []}
        # "pass" covers only the checks that ran: say plainly what did not
        report["skipped"] = [f"{c}: no evidence given, no claim was checked" if c == "grounding" else f"{c}: unknown check"
                             for c in checks if c not in wanted]
        return report

    def _catalog(self, outfits: list[dict], evidence, feedback: list[str]) -> CheckResult:
        products = [h for h in evidence.hits if h.metadata.get("kind") == "product"]
        metadata = {"known_ids": [h.id for h in products],
                    "in_stock_ids": [h.id for h in products if h.metadata.get("in_stock")], "details": {}}
        outcome = self._guard(("catalog",), [lambda s: CatalogItems(on_fail="noop")]).validate(
            json.dumps(outfits, ensure_ascii=False), metadata=metadata)
        problems = metadata["details"].get("catalog", [])
        if not _failed(outcome):
            return CheckResult(check="catalog", verdict="pass", score=1.0)
        feedback += [f"- 상품 {p['item']}: {'카탈로그에 없음' if p['reason'] == 'unknown' else '품절'}" for p in problems]
        return CheckResult(check="catalog", verdict="fail", score=0.0, details=problems)


class _JudgeWithRules:
    """The LLM judge labels claims; the rule checker still prepares evidence at startup."""

    def __init__(self, judge, rules: GroundingChecker):
        self.judge, self.rules = judge, rules

    def check(self, text: str, evidence: list) -> Any:
        return self.judge.check(text, evidence)

    def prepare(self, evidence, embed: bool = True) -> int:
        return self.rules.prepare(evidence, embed)

    def clear_cache(self) -> None:
        self.rules.clear_cache()


def _action(spec, result: CheckResult) -> str:
    """What a failed check does: the spec's on_fail, except for a word from a list whose
    action is ``block``: "do not publish the text" (knowledge/banned_words/README.md), so
    the output is replaced (refrain), never repaired by dropping the sentence or masking."""
    if any(d.get("list_action") == "block" for d in result.details):
        return "refrain"
    return spec.guard.on_fail.get(result.check.split(":")[0], "refrain")


def _list_action(details: dict, span) -> dict[str, str]:
    """The action of the banned-word list behind one error span (block | fix)."""
    for hit in details.get("banned_words", []):
        if (hit.start, hit.end) == (span.start, span.end):
            return {"list_action": hit.action}
    return {}


def _line_starts(lines: list[str]) -> list[int]:
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    return starts


def _ids(spec, output: dict[str, Any], evidence, emptied: dict, feedback: list[str]) -> list[CheckResult]:
    """Id fields (outfit items) must name documents this request retrieved: an invented id is
    emptied, and its list item goes."""
    if not spec.id_fields:
        return []
    known = {h.id for h in evidence.hits}
    bad = [f for f in F.extract(output, spec.id_fields) if f.text.strip() not in known]
    for f in bad:
        emptied[f.path] = ""
        feedback.append(f"- {f.text}: 검색된 근거에 없는 id입니다")
    return [CheckResult(check="grounding:ids", verdict="fail" if bad else "pass", score=0.0 if bad else 1.0,
                        details=[{"id": f.text, "field": ".".join(map(str, f.path)), "reason": "not in the evidence"} for f in bad])]


def _failed(outcome) -> list:
    return [s for s in (outcome.validation_summaries or []) if s.validator_status == "fail"]


def _text_result(check: str, summary, details: dict, prose: list[F.FieldText], edits: _Edits,
                 feedback: list[str]) -> CheckResult:
    """The report entry of one text check, and the edits that would fix its failures."""
    if check == "grounding":
        report = details.get("grounding")
        claims = [_claim_detail(c, prose) for c in (report.claims if report else [])]
        if summary is None:
            return CheckResult(check=check, verdict="pass", score=report.score if report else 1.0, details=claims)
        joined = F.join(prose)
        for c in report.claims:
            if c.verdict == "supported":
                continue
            recite = _citation_fix(joined, c)
            if recite:
                edits.replacements.append(recite)  # the sentence is right; its citation was not
            else:
                edits.drops.append((c.start, c.end))
            feedback.append(f"- \"{c.text}\": {c.verdict} ({c.reason})")
        return CheckResult(check=check, verdict="fail", score=report.score, details=claims)
    if summary is None:
        return CheckResult(check=check, verdict="pass", score=1.0)
    found = []
    for span in summary.error_spans or []:
        located = F.locate(prose, span.start, span.end)
        where = ".".join(map(str, located[0].path)) if located else None
        if check == "pii":
            edits.replacements.append((span.start, span.end, PLACEHOLDERS.get(span.reason, "[PII]")))
            found.append({"type": span.reason, "field": where, "start": span.start, "end": span.end})
            feedback.append(f"- 개인정보({span.reason})를 출력하지 마세요")
        else:
            category, _, term = span.reason.partition(": ")
            edits.drops.append((span.start, span.end))
            found.append({"term": term, "category": category, "field": where, "start": span.start, "end": span.end,
                          **_list_action(details, span)})
            feedback.append(f"- 금지 표현 '{term}'({category})을 쓰지 마세요")
    return CheckResult(check=check, verdict="fail", score=0.0, details=found)


_MARKER_AFTER = re.compile(r"[ \t]?\[(?P<ids>[^\[\]\n]{1,80})\]")


def _citation_fix(joined: str, claim) -> tuple[int, int, str] | None:
    """(start, end, new ids) for the marker right after a claim that another retrieved passage
    backs (``supported_by``): a fix corrects the citation instead of dropping the sentence."""
    if not claim.supported_by:
        return None
    m = _MARKER_AFTER.match(joined, claim.end)
    if m is None or set(claim.cited_ids) - set(re.split(r"\s*[,;/·]\s*", m["ids"].strip())):
        return None  # the marker is not where the sentence's citation is
    return m.start("ids"), m.end("ids"), claim.supported_by


def _prose_without_facts(spec, prose: list[F.FieldText]) -> list[F.FieldText]:
    """Fact items cite through their own citation field, not a marker in their value."""
    fact_lists = {f.items.removesuffix("[]") for f in spec.fact_fields}
    return [f for f in prose if f.path[0] not in fact_lists]


def _cite_uncited(output: dict[str, Any], prose: list[F.FieldText], report) -> dict[str, Any] | None:
    """Every answer cites its evidence: a sentence judged supported but written without a
    marker (real models often write none) gets the marker of the passage that supports it."""
    if report is None:
        return None
    inserts: dict[tuple, list[tuple[int, str]]] = {}
    for claim in report.claims:
        if claim.verdict != "supported" or claim.cited_ids or not claim.evidence_id:
            continue
        located = F.locate(prose, claim.start, claim.end)
        if located is None:
            continue
        field, _, end = located
        if _MARKER_AFTER.match(field.text, end):
            continue  # a marker follows already (e.g. cited by the next line's opening marker)
        if not (field.text[:end].rstrip().endswith((".", "!", "?", "。", "다", "요")) or not field.text[end:].strip()):
            continue  # a clause the splitter cut from a longer sentence: the sentence's marker covers it
        inserts.setdefault(field.path, []).append((end, f" [{claim.evidence_id}]"))
    if not inserts:
        return None
    texts = {}
    for f in prose:
        text = f.text
        for at, marker in sorted(inserts.get(f.path, []), reverse=True):
            text = text[:at] + marker + text[at:]
        texts[f.path] = text
    return F.replace(output, texts)


def _claim_detail(claim, prose: list[F.FieldText]) -> dict[str, Any]:
    located = F.locate(prose, claim.start, claim.end)
    return {"text": claim.text, "verdict": claim.verdict, "score": round(claim.score, 3),
            "evidence_id": claim.evidence_id, "evidence_span": claim.evidence_span, "reason": claim.reason,
            "field": ".".join(map(str, located[0].path)) if located else None}


def _apply(output: dict[str, Any], prose: list[F.FieldText], edits: _Edits, evidence,
           emptied_labels: dict[tuple, str] | None = None) -> dict[str, Any] | None:
    """The output with failing sentences dropped, personal data redacted, failing labels
    emptied (their list item goes) and outfits with catalog problems removed; None if too
    little stands. Text and label edits go in one replace() over the original paths, before
    any outfit is removed: paths of the original output never meet a shortened list."""
    new_texts: dict[tuple, str] = dict(emptied_labels or {})
    for f in prose:
        text = f.text
        local_drops = [(s - f.start, e - f.start) for s, e in edits.drops if f.start <= s < f.start + len(f.text)]
        local_repl = [(s - f.start, e - f.start, r) for s, e, r in edits.replacements if f.start <= s < f.start + len(f.text)]
        spans = _sentence_cover(text, local_drops)
        pieces, cursor = [], 0
        for s, e, r in sorted([(s, e, "") for s, e in spans] + local_repl):
            if s < cursor:  # overlaps a dropped span (a sentence and the citation before the next)
                cursor = max(cursor, e)
                continue
            pieces.append(text[cursor:s] + r)
            cursor = e
        pieces.append(text[cursor:])
        cleaned = re.sub(r"\s{2,}", " ", "".join(pieces)).strip()
        if CITATION_ONLY.match(cleaned):
            cleaned = ""
        if not cleaned and not any(isinstance(k, int) for k in f.path):
            return None  # a top-level field lost everything: nothing stands
        new_texts[f.path] = cleaned
    fixed = F.replace(output, new_texts)
    if "outfits" in fixed:
        products = [h for h in evidence.hits if h.metadata.get("kind") == "product"]
        in_stock = {h.id for h in products if h.metadata.get("in_stock")}
        fixed["outfits"] = without_problems(fixed["outfits"], find_problems(fixed["outfits"], in_stock, {h.id for h in products}))
        if not fixed["outfits"]:
            return None
    return fixed


TRAILING_CITATIONS = re.compile(r"(?:\s*\[[A-Za-z][A-Za-z0-9_-]*(?:\s*,\s*[A-Za-z][A-Za-z0-9_-]*)*\])+")


def _sentence_cover(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Widen each span to the whole sentence(s) it touches, with the citations that
    follow it: a dropped sentence must not leave its "[P001]" behind, nor take the
    citation of the sentence before it (the splitter puts that at its start)."""
    if not spans:
        return []
    sentences = sentence_spans(text) or [(0, len(text))]
    covered = []
    for s, e in spans:
        hit = [(a, b) for a, b in sentences if a < e and s < b] or [(s, e)]
        start, end = min(a for a, _ in hit), max(b for _, b in hit)
        leading = TRAILING_CITATIONS.match(text, start) if start else None
        if leading and leading.end() <= s:  # "[P001]" opening a later sentence cites the one before
            start = leading.end()
        trailing = TRAILING_CITATIONS.match(text, end)
        covered.append((start, trailing.end() if trailing else end))
    return covered
