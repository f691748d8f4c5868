"""The one path: input guard -> retrieve -> prompt -> generate -> output guard -> envelope.

REST routes, the CLI, the nightly batch and the eval runner all call
:meth:`Pipeline.run`; none of them has a private route to the LLM.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Literal

from service.cache.keys import cache_key, evidence_signature
from service.envelope import BackendInfo, CacheInfo, CheckResult, Citation, Envelope, GuardReport
from service.evidence import EvidenceSet, NotFound, collect
from service.generation import Generation, Generator
from service.guards.audit import Trail
from service.guards.policy import GuardRunner, OutputCheck
from service.guards.prose import missing_prose
from service.llm import offline
from service.prompting.templates import load_prompt
from service.tasks.spec import TaskSpec, load_specs

CacheMode = Literal["use", "bypass", "refresh"]  # refresh: recompute and overwrite
CITATION = re.compile(r"\[([A-Za-z][A-Za-z0-9_-]{0,40})\]")
SNIPPET_CHARS = 160

__all__ = ["Pipeline", "NotFound", "UnknownTask"]

log = logging.getLogger("commerce_guard.pipeline")


class UnknownTask(LookupError):
    pass


class StageTimer:
    """Milliseconds per stage. A stage timed inside another (a reask's generation inside the
    guard stage) counts for itself only: the outer stage gets its own time."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self._start = time.perf_counter()
        self._nested: list[float] = []  # per open stage: seconds spent in stages inside it

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        self._nested.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - t0
            inner = self._nested.pop()
            if self._nested:
                self._nested[-1] += elapsed
            self.ms[stage] = round(self.ms.get(stage, 0.0) + (elapsed - inner) * 1000, 3)

    def total(self) -> dict[str, float]:
        return {**self.ms, "total": round((time.perf_counter() - self._start) * 1000, 3)}


class Pipeline:
    def __init__(self, container) -> None:
        self.container = container
        self.specs = load_specs(prompts_dir=container.settings.prompts_dir)
        self.generator: Generator = container.generator
        self.guards: GuardRunner = container.guards

    def spec(self, task: str) -> TaskSpec:
        if task not in self.specs:
            raise UnknownTask(f"unknown task {task!r}; known: {sorted(self.specs)}")
        return self.specs[task]

    def run(self, task: str, raw_inputs: dict[str, Any], *, request_id: str | None = None,
            cache: CacheMode = "use") -> Envelope:
        prepared = self.prepare(task, raw_inputs, request_id=request_id, cache=cache)
        if isinstance(prepared, Envelope):
            return prepared
        return self.complete(prepared)

    def complete(self, p: "Prepared") -> Envelope:
        """Everything after ``prepare``: generation, the output guards, the cache write. The API
        runs this half in its bounded work pool (a cache hit never reaches it)."""
        with p.timer("generate"):
            generation = self.generator.generate(p.spec, p.prompt, p.inputs, p.evidence, skip_llm=self.skip_llm(p))
        trail = Trail()
        with p.timer("guard"):
            generation, output, why = self._guarded(p.spec, p.prompt, p.inputs, p.evidence, generation, p.report,
                                                    p.timer, trail)
        return self.conclude(p, generation, output, why, trail)

    def prepare(self, task: str, raw_inputs: dict[str, Any], *, request_id: str | None = None,
                cache: CacheMode = "use") -> "Envelope | Prepared":
        """Everything before generation: the input guard, retrieval and the cache. Returns the
        final envelope when there is nothing to generate (a refusal, a cache hit)."""
        spec = self.spec(task)
        inputs_model = spec.input_model.model_validate(raw_inputs)  # ValidationError -> 422 upstream
        request_id = request_id or uuid.uuid4().hex
        prompt = load_prompt(self.container.settings.prompts_dir, spec.prompt)
        timer = StageTimer()

        with timer("input_guard"):
            screen = self.guards.screen_input(spec, inputs_model)
        report = GuardReport(input=screen.checks, redactions=screen.redactions)
        inputs = screen.inputs
        refusal = screen.blocked or _handoff_cue(spec, inputs)
        if refusal:
            report.verdict = "blocked" if screen.blocked else "pass"
            output = offline.refusal(spec.name, spec.data, refusal)
            # Nothing is generated: the reply is the task's vetted template.
            handoff = Generation(output, BackendInfo(name="handoff", model="template"))
            return self._audited(self._envelope(spec, request_id, prompt.version, output, EvidenceSet(), report,
                                                handoff, timer, reason=refusal))

        with timer("retrieve"):
            evidence = collect(spec, inputs, self.container.retriever)
        lookup = None
        if cache != "bypass" and not evidence.insufficient:
            with timer("cache"):
                lookup = self._cache_lookup(spec, inputs, prompt.version, evidence)
            if lookup.envelope is not None and cache == "use":
                return self._from_cache(lookup, request_id, timer)
        return Prepared(spec, prompt, inputs, evidence, report, timer, lookup, request_id)

    def conclude(self, p: "Prepared", generation: Generation, output: dict[str, Any], why: str | None,
                 trail: Trail) -> Envelope:
        """The guarded output becomes the envelope: cached when it passed, audited."""
        envelope = self._envelope(p.spec, p.request_id, p.prompt.version, output, p.evidence, p.report, generation,
                                  p.timer, reason=why or p.evidence.reason)
        envelope.guard.repairs = trail.failures()
        if p.lookup is not None:
            self._cache_store(p.spec, p.lookup, envelope)
        # Spend is not recorded here: the LLM meter (service/llm/metering.py) did, call by call.
        return self._audited(envelope, trail)

    def skip_llm(self, p: "Prepared") -> str | None:
        return self._skip_llm(p.spec, p.evidence)

    def _skip_llm(self, spec: TaskSpec, evidence: EvidenceSet) -> str | None:
        if evidence.insufficient:
            return "insufficient evidence"  # no evidence, no answer: the LLM is not asked
        if self.generator.llm is not None:
            return self.container.ledger.budget_refusal(spec.name)  # over budget, or spend unknown
        return None

    def _audited(self, envelope: Envelope, trail: Trail | None = None) -> Envelope:
        """Every blocked, fixed or fallen-back output goes to the audit log, with the failures
        behind each action; every response to the metrics and one log line (ids and verdicts, never text)."""
        if envelope.guard.verdict != "pass" or envelope.guard.actions or envelope.backend.fallback:
            self.container.audit.record(envelope, trail)
        self.container.metrics.observe_envelope(envelope)
        log.info("task", extra={"request_id": envelope.request_id, "task": envelope.task, "cache": envelope.cache.status,
                                "guard": envelope.guard.verdict, "actions": envelope.guard.actions,
                                "backend": envelope.backend.name, "fallback": envelope.backend.fallback_reason,
                                "redactions": envelope.guard.redactions, "timings_ms": envelope.timings_ms})
        return envelope

    # --- cache ---------------------------------------------------------------------
    def _cache_lookup(self, spec: TaskSpec, inputs: dict[str, Any], prompt_version: str, evidence: EvidenceSet) -> "_Lookup":
        cache = self.container.cache
        signature = evidence_signature(evidence.hits)
        # The semantic index is per prompt version, backend and guard policy too, like the exact key.
        info, policy = self.generator.info, self.guards.fingerprint(spec)
        semantic = f"{prompt_version}|{info.name}:{info.model}|{policy}|{signature}"
        lookup = _Lookup(self._key(spec, inputs, prompt_version, signature), semantic)
        found = cache.get(lookup.key)
        if found is not None:
            lookup.envelope, lookup.status = found, "hit"
        elif spec.cache.semantic and spec.data.get("semantic_field"):
            lookup.vector = self.container.embedder.embed([str(inputs[spec.data["semantic_field"]])])[0]
            near = cache.semantic_get(spec.name, lookup.signature, lookup.vector)
            if near is not None:
                lookup.envelope, lookup.status = near[0], "semantic_hit"
        cache.count(spec.name, "hit" if lookup.envelope is not None else "miss")
        return lookup

    def _from_cache(self, lookup: "_Lookup", request_id: str, timer: StageTimer) -> Envelope:
        envelope = Envelope.model_validate(lookup.envelope)
        envelope.request_id = request_id
        envelope.cache = CacheInfo(status=lookup.status, key=lookup.key)
        envelope.usage = type(envelope.usage)()  # nothing was spent on this request
        envelope.timings_ms = timer.total()
        self.container.metrics.observe_envelope(envelope)
        return envelope

    def _cache_store(self, spec: TaskSpec, lookup: "_Lookup", envelope: Envelope) -> None:
        """Only outputs that passed the guards are kept; fallbacks are not pinned for a TTL."""
        envelope.cache = CacheInfo(status="miss", key=lookup.key)
        if envelope.guard.verdict not in ("pass", "fixed") or envelope.backend.fallback:
            return
        cache = self.container.cache
        cache.put(lookup.key, envelope.model_dump(mode="json"), spec.cache.ttl_s)
        if lookup.vector is not None:
            cache.semantic_put(spec.name, lookup.signature, lookup.vector, lookup.key, spec.cache.ttl_s)

    def cached(self, task: str, raw_inputs: dict[str, Any]) -> bool:
        """True when run() would be served by an exact cache hit: same inputs, evidence content
        hashes, prompt version and backend/model. For the nightly batch's --changed-only; counts
        neither a hit nor a miss."""
        spec = self.spec(task)
        screen = self.guards.screen_input(spec, spec.input_model.model_validate(raw_inputs))
        if screen.blocked or _handoff_cue(spec, screen.inputs):
            return False  # refusals are never cached
        evidence = collect(spec, screen.inputs, self.container.retriever)
        if evidence.insufficient:
            return False
        version = load_prompt(self.container.settings.prompts_dir, spec.prompt).version
        key = self._key(spec, screen.inputs, version, evidence_signature(evidence.hits))
        return self.container.cache.get(key) is not None

    def _key(self, spec: TaskSpec, inputs: dict[str, Any], prompt_version: str, signature: str) -> str:
        info = self.generator.info  # the configured backend: a fallback answer is never cached
        return cache_key(spec.name, inputs, prompt_version, f"{info.name}:{info.model}", signature,
                         policy=self.guards.fingerprint(spec))

    # --- output guard with its actions -------------------------------------------
    def _guarded(self, spec, prompt, inputs, evidence, generation: Generation, report: GuardReport, timer,
                 trail: Trail):
        """Carry out the policy's action until the output passes: fix (drop the failing
        sentences when the rest stands), reask (bounded), else refrain. A reask that is
        not possible (offline composer, reasks used up) tries the fix first. An output
        left without its required prose is refrained too, never served empty.
        Returns the generation, the output and why it was refrained (None if it was not)."""
        check = self.guards.check_output(spec, generation.output, evidence)
        reasks, fix_tried = 0, False
        while not check.passed:
            can_reask = (generation.from_llm and reasks < spec.guard.max_reasks
                         and self.generator.reask_fits(prompt, generation, check.feedback))
            wants_fix = check.action == "fix" or (check.action == "reask" and not can_reask)
            if wants_fix and check.fixed is not None and not fix_tried:
                fix_tried = True
                report.actions.append("fix")
                trail.add("fix", check.checks)
                candidate = check.fixed
                check = self.guards.check_output(spec, candidate, evidence)
                if check.passed:
                    generation.output = candidate
                continue
            if check.action in ("fix", "reask") and can_reask:
                report.actions.append("reask")
                trail.add("reask", check.checks)
                reasks, fix_tried = reasks + 1, False
                with timer("generate"):
                    retry = self.generator.reask(spec, prompt, generation, check.feedback, inputs, evidence)
                retry.usage = _add_usage(generation.usage, retry.usage)
                generation = retry
                check = self.guards.check_output(spec, generation.output, evidence)
                continue
            return self._refrain(spec, prompt, inputs, evidence, generation, check, report, trail, _why(check))
        missing = _missing(spec, prompt, evidence, generation.output)
        if missing:
            return self._refrain(spec, prompt, inputs, evidence, generation, _no_prose(check, missing), report, trail,
                                 f"no prose left in {', '.join(missing)}")
        if check.cited is not None:
            generation.output = check.cited  # supported sentences the model left uncited get their source
        report.output = check.checks
        if report.actions:
            report.verdict = "fixed"
        return generation, generation.output, None

    def _refrain(self, spec, prompt, inputs, evidence, generation: Generation, failed: OutputCheck,
                 report: GuardReport, trail: Trail, why: str):
        """Fall back to the offline composer; if even that fails, the task's safe handoff reply."""
        report.actions.append("refrain")
        trail.add("refrain", failed.checks)
        if generation.from_llm:
            fallback = self.generator.compose(spec, inputs, evidence, reason=why)
            fallback.usage = generation.usage
            check = self.guards.check_output(spec, fallback.output, evidence)
            if not check.passed and check.fixed is not None:  # the composer's output fixed, as offline
                fixed = self.guards.check_output(spec, check.fixed, evidence)
                if fixed.passed:
                    report.actions.append("fix")
                    trail.add("fix", check.checks)
                    fallback.output, check = check.fixed, fixed
            missing = _missing(spec, prompt, evidence, fallback.output) if check.passed else []
            if check.passed and not missing:
                report.verdict, report.output = "fallback", check.checks
                return fallback, fallback.output, why
            trail.add("handoff", _no_prose(check, missing).checks)
        report.verdict, report.output = "blocked", failed.checks
        output = offline.refusal(spec.name, spec.data, why)
        # The reply is the task's vetted handoff template, whoever wrote the refused output.
        generation.backend = BackendInfo(name="handoff", model="template", fallback=True, fallback_reason=why,
                                         reply_repairs=generation.backend.reply_repairs,
                                         evidence_left_out=generation.backend.evidence_left_out)
        return generation, output, why

    # --- envelope ------------------------------------------------------------------
    def _envelope(self, spec, request_id, prompt_version, output, evidence: EvidenceSet, report, generation: Generation,
                  timer: StageTimer, reason: str | None) -> Envelope:
        return Envelope(
            request_id=request_id, task=spec.name, output=output,
            citations=citations(output, evidence), guard=report, usage=generation.usage,
            backend=generation.backend, prompt_version=prompt_version,
            insufficient_evidence=evidence.insufficient, reason=reason, timings_ms=timer.total(),
        )


@dataclass
class Prepared:
    """A request ready for generation: its spec, prompt, screened inputs, evidence and so far."""

    spec: TaskSpec
    prompt: Any
    inputs: dict[str, Any]
    evidence: EvidenceSet
    report: GuardReport
    timer: StageTimer
    lookup: "_Lookup | None"
    request_id: str


@dataclass
class _Lookup:
    key: str
    signature: str
    envelope: dict[str, Any] | None = None
    status: str = "miss"
    vector: Any = None


def _why(check: OutputCheck) -> str:
    """Why an output is refrained, short and bounded (it is a metrics label too)."""
    failed = sorted({c.check.split(":")[0] for c in check.checks if c.verdict == "fail"})
    return f"output failed the guards: {', '.join(failed)}" if failed else "output failed the guards"


def _missing(spec, prompt, evidence: EvidenceSet, output: dict[str, Any]) -> list[str]:
    """Required prose fields the output lacks; without evidence an empty output is the
    designed answer (no evidence, no answer) and the envelope already says why."""
    return [] if evidence.insufficient else missing_prose(output, spec.text_fields, prompt.schema)


def _no_prose(check: OutputCheck, missing: list[str]) -> OutputCheck:
    """The check as it failed, plus the prose check when required prose is missing."""
    if not missing:
        return check
    prose = CheckResult(check="prose", verdict="fail", score=0.0, action="refrain",
                        details=[{"field": f, "reason": "no prose left"} for f in missing])
    return OutputCheck(False, [*check.checks, prose], "refrain")


def _add_usage(a, b):
    return type(a)(prompt_tokens=a.prompt_tokens + b.prompt_tokens,
                   completion_tokens=a.completion_tokens + b.completion_tokens, cost=round(a.cost + b.cost, 8))


def _handoff_cue(spec: TaskSpec, inputs: dict[str, Any]) -> str | None:
    """Questions that need a person (account data, complaints): cues are spec data.
    A cue must start a word: "내 주문" is a cue, "국내 주문" is not."""
    cues: dict[str, list[str]] = spec.data.get("handoff_cues", {})
    text = " ".join(str(v) for v in inputs.values() if isinstance(v, str)).lower()
    for kind, phrases in cues.items():
        if any(re.search(r"(?<![0-9a-z가-힣])" + re.escape(p.lower()), text) for p in phrases):
            return f"handoff: {kind}"
    return None


def cited_ids(output: Any) -> list[str]:
    """Ids cited anywhere in the output: [ID] markers, citation fields, outfit items."""
    found: list[str] = []

    def walk(node: Any, key: str | None = None) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str):
            found.extend(CITATION.findall(node))
            if key in ("citation", "items"):
                found.append(node)

    walk(output)
    return list(dict.fromkeys(found))


def citations(output: dict[str, Any], evidence: EvidenceSet) -> list[Citation]:
    by_id = evidence.by_id()
    return [Citation(id=i, snippet=_snippet(by_id[i].text)) for i in cited_ids(output) if i in by_id]


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"
