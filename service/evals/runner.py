"""The eval runner: every case through ``container.pipeline.run`` (the REST path),
cache bypassed, scored per criterion, compared with the baseline, gated.

Scores are deterministic on the offline backend: the request id is derived from
the case id, the cache is bypassed, and no score depends on time or sampling
(timings appear in the report only).
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from service.evals import gate as G
from service.evals.dataset import EVALS_DIR, TASKS, Case, Rubric, load_cases, load_rubric
from service.evals.scorers import SCORERS, ScoreContext
from service.evidence import NotFound, collect

SNIPPET_CHARS = 200


@dataclass
class TaskPlan:
    task: str
    rubric: Rubric
    cases: list[Case]


@dataclass
class TaskRun:
    task: str
    criteria: list[G.CriterionResult]
    cases: list[dict[str, Any]]
    prompt_version: str | None
    overall: float | None
    outcomes: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalRun:
    backend: str
    started_at: str
    runtime_s: float
    limit: int | None
    baseline_path: str | None
    baseline_updated: bool
    tasks: dict[str, TaskRun]
    gate: G.GateDecision
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend, "started_at": self.started_at, "runtime_s": self.runtime_s,
            "limit": self.limit, "baseline": self.baseline_path, "baseline_updated": self.baseline_updated,
            "gate": {"passed": self.gate.passed, "failures": self.gate.failures}, "notes": self.notes,
            "tasks": {t: {"prompt_version": r.prompt_version, "overall": r.overall, "outcomes": r.outcomes,
                          "criteria": [G.as_dict(c) for c in r.criteria], "cases": r.cases}
                      for t, r in self.tasks.items()},
        }


def plan(tasks: list[str] | None = None, limit: int | None = None, root: Path = EVALS_DIR) -> list[TaskPlan]:
    return [TaskPlan(t, load_rubric(t, root), load_cases(t, root, limit)) for t in (tasks or list(TASKS))]


def run(container, plans: list[TaskPlan], *, baseline_path: Path | None = None, update_baseline: bool = False,
        baseline_name: str = "offline", limit: int | None = None,
        on_case: Callable[[str, str], None] | None = None) -> EvalRun:
    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    baseline = G.load_baseline(baseline_path)
    run_kwargs = _bypass_cache(container.pipeline)
    tasks: dict[str, TaskRun] = {}
    for p in plans:
        spec = container.pipeline.spec(p.task)
        cases = []
        for case in p.cases:
            cases.append(run_case(container, spec, p.rubric, case, run_kwargs))
            if on_case:
                on_case(p.task, case.id)
        criteria = G.summarize(p.rubric.criteria, cases)
        G.compare(criteria, cases, (baseline or {}).get("tasks", {}).get(p.task))
        versions = {c["envelope"]["prompt_version"] for c in cases if c["envelope"]}
        tasks[p.task] = TaskRun(p.task, criteria, cases, ",".join(sorted(versions)) or None, G.overall(criteria),
                                outcomes(cases))
    decision = G.decide({t: r.criteria for t, r in tasks.items()})
    notes = [] if run_kwargs else ["Pipeline.run has no cache switch: responses may come from the cache"]
    backend = _backend(container)
    if update_baseline and baseline_path is not None:
        payload = G.baseline_payload(
            baseline_name, backend,
            {t: {"prompt_version": r.prompt_version, "criteria": r.criteria, "cases": r.cases} for t, r in tasks.items()},
            old=baseline, partial=limit is not None)
        G.write_baseline(baseline_path, payload)
    return EvalRun(backend=backend, started_at=started.isoformat(timespec="seconds"),
                   runtime_s=round(time.perf_counter() - t0, 2), limit=limit,
                   baseline_path=str(baseline_path) if baseline_path else None,
                   baseline_updated=bool(update_baseline and baseline_path), tasks=tasks, gate=decision, notes=notes)


def run_case(container, spec, rubric: Rubric, case: Case, run_kwargs: dict[str, Any]) -> dict[str, Any]:
    envelope, error = None, None
    replies: list[dict[str, Any]] = []
    container.generator.recorder = replies.append
    try:
        envelope = container.pipeline.run(spec.name, case.inputs, request_id=f"eval-{case.id}", **run_kwargs)
    except ValidationError as exc:  # REST: 422
        error = "rejected as invalid input (422): " + "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    except NotFound as exc:  # REST: 404
        error = f"not found (404): {exc}"
    finally:
        container.generator.recorder = None
    evidence = evidence_of(container, spec, case.inputs, envelope)
    scores: dict[str, float | None] = {}
    notes: dict[str, list[str]] = {}
    extra: dict[str, dict] = {}
    for criterion in rubric.criteria:
        ctx = ScoreContext(container, spec, evidence, dict(criterion.params))
        value = SCORERS[criterion.scorer](case, envelope, ctx)
        scores[criterion.id] = None if value is None else round(float(value), 4)
        if ctx.notes:
            notes[criterion.id] = ctx.notes
        if ctx.extra:
            extra[criterion.id] = ctx.extra
    return {
        "id": case.id, "tags": case.tags, "inputs": case.inputs, "expect_handoff": case.expect_handoff,
        "must_include": case.must_include, "must_not_include": case.must_not_include,
        "scores": scores, "notes": notes, "extra": extra, "error": error,
        "envelope": envelope.model_dump(mode="json") if envelope is not None else None,
        "evidence": [{"id": i, "snippet": _snippet(t)} for i, t in evidence.items()],
        "raw_replies": replies,
    }


def outcomes(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Who answered each case and what the guards did: the share the model answered (its reply
    parsed and reached the guards), fallbacks by reason, fixes, reasks, refrains."""
    from service.observability.metrics import fallback_kind

    out: dict[str, Any] = {"cases": len(cases), "model_called": 0, "reply_reached_guards": 0, "answered_by_model": 0,
                           "fixed": 0, "reasked": 0, "refrained": 0, "handoff_template": 0, "fallback_reasons": {}}
    for case in cases:
        env = case.get("envelope")
        if env is None:
            continue
        backend, actions = env["backend"], env["guard"]["actions"]
        replies = case.get("raw_replies") or []
        out["model_called"] += bool(replies)
        out["reply_reached_guards"] += bool(replies) and not _unusable(backend.get("fallback_reason"))
        out["answered_by_model"] += bool(replies) and not backend["fallback"]
        out["fixed"] += "fix" in actions
        out["reasked"] += "reask" in actions
        out["refrained"] += "refrain" in actions
        out["handoff_template"] += backend["name"] == "handoff"
        if backend["fallback"]:
            kind = fallback_kind(backend.get("fallback_reason") or "unknown")
            out["fallback_reasons"][kind] = out["fallback_reasons"].get(kind, 0) + 1
    return out


def _unusable(reason: str | None) -> bool:
    """Fallbacks that mean the model's reply never reached the guards (transport, context, format)."""
    return bool(reason) and reason.startswith(("llm error", "invalid llm output"))


def evidence_of(container, spec, inputs: dict[str, Any], envelope) -> dict[str, str]:
    """The evidence the pipeline saw for this request: retrieval is deterministic, so it is
    collected again over the same screened (redacted) inputs. Handoffs saw none."""
    if envelope is None or envelope.backend.name == "handoff":
        return {}
    screen = container.guards.screen_input(spec, spec.input_model.model_validate(inputs))
    return {h.id: h.text for h in collect(spec, screen.inputs, container.retriever).hits}


def _bypass_cache(pipeline) -> dict[str, Any]:
    """Evals must measure fresh generations: pass cache="bypass" when the pipeline has the switch."""
    return {"cache": "bypass"} if "cache" in inspect.signature(pipeline.run).parameters else {}


def _backend(container) -> str:
    info = container.generator.info
    return f"{info.name}/{info.model}"


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"
