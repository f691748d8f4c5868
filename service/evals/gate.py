"""Aggregation, baseline comparison and the CI gate (pure functions over scores).

A gating criterion fails when its mean is under its threshold, or when it
dropped by more than its tolerance against the baseline. The comparison uses
only the cases both runs scored, so a ``--limit`` run or a newly added case
never reads as a regression. The baseline holds per-case scores and no
timestamps, so it diffs cleanly and changes only with ``--update-baseline``.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from service.evals.dataset import Criterion

BASELINE_SCHEMA = 1
EPS = 1e-9


@dataclass
class CriterionResult:
    id: str
    description: str
    scorer: str
    weight: float
    threshold: float
    gate: bool
    tolerance: float
    mean: float | None
    n: int
    baseline: float | None = None  # baseline mean over the cases both runs scored
    delta: float | None = None  # mean - baseline over those same cases
    status: str = "n/a"  # pass | below_threshold | regressed | warn | n/a
    failing_cases: list[str] = field(default_factory=list)  # case score under the threshold
    worse_cases: list[str] = field(default_factory=list)  # case score under its baseline score
    spread: float | None = None  # mean judge spread (llm_judge only)
    note: str | None = None

    @property
    def blocks(self) -> bool:
        return self.gate and self.status in ("below_threshold", "regressed")


@dataclass
class GateDecision:
    passed: bool
    failures: list[str]


def mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def summarize(criteria: list[Criterion], cases: list[dict[str, Any]]) -> list[CriterionResult]:
    """Per-criterion means over the cases' scores (None = not applicable, left out)."""
    results = []
    for c in criteria:
        scored = [(case["id"], case["scores"].get(c.id)) for case in cases]
        values = [v for _, v in scored if v is not None]
        spreads = [case.get("extra", {}).get(c.id, {}).get("spread") for case in cases]
        skipped = {case.get("extra", {}).get(c.id, {}).get("skipped") for case in cases} - {None}
        results.append(CriterionResult(
            id=c.id, description=c.description, scorer=c.scorer, weight=c.weight, threshold=c.threshold,
            gate=c.gate, tolerance=c.tolerance, mean=mean(values), n=len(values),
            failing_cases=[cid for cid, v in scored if v is not None and v < c.threshold - EPS],
            spread=mean([s for s in spreads if s is not None]),
            note=f"skipped: {sorted(skipped)[0]}" if skipped and not values else None,
        ))
    return results


def compare(results: list[CriterionResult], cases: list[dict[str, Any]], baseline_task: dict[str, Any] | None) -> None:
    """Fill baseline, delta and status of each criterion in place."""
    base_cases: dict[str, dict] = (baseline_task or {}).get("cases", {})
    base_means: dict[str, dict] = (baseline_task or {}).get("criteria", {})
    for r in results:
        if base_cases:
            scored = [(case["id"], case["scores"].get(r.id), base_cases[case["id"]].get(r.id)) for case in cases
                      if case["id"] in base_cases]
            scored = [(cid, now, base) for cid, now, base in scored if now is not None and base is not None]
            r.worse_cases = [cid for cid, now, base in scored if now < base - EPS]
            pairs = [(now, base) for _, now, base in scored]
            if pairs:
                r.baseline = mean([b for _, b in pairs])
                r.delta = round(mean([n for n, _ in pairs]) - r.baseline, 4)
        elif r.id in base_means and r.mean is not None and base_means[r.id].get("mean") is not None:
            r.baseline = base_means[r.id]["mean"]
            r.delta = round(r.mean - r.baseline, 4)
        r.status = _status(r)


def _status(r: CriterionResult) -> str:
    if r.mean is None:
        return "n/a"
    problem = None
    if r.mean < r.threshold - EPS:
        problem = "below_threshold"
    elif r.delta is not None and -r.delta > r.tolerance + EPS:
        problem = "regressed"
    if problem is None:
        return "pass"
    return problem if r.gate else "warn"


def overall(results: list[CriterionResult]) -> float | None:
    """Weighted mean of the criterion means (not applicable ones left out)."""
    scored = [(r.mean, r.weight) for r in results if r.mean is not None and r.weight > 0]
    total = sum(w for _, w in scored)
    return round(sum(m * w for m, w in scored) / total, 4) if total else None


def decide(per_task: dict[str, list[CriterionResult]]) -> GateDecision:
    failures = []
    for task, results in per_task.items():
        for r in results:
            if not r.blocks:
                continue
            if r.status == "below_threshold":
                failures.append(f"{task}.{r.id}: mean {r.mean:.4f} < threshold {r.threshold:.4f}")
            else:
                failures.append(f"{task}.{r.id}: {r.delta:+.4f} against the baseline ({r.baseline:.4f}), "
                                f"tolerance {r.tolerance:.4f}")
    return GateDecision(passed=not failures, failures=failures)


# ----------------------------------------------------------------------- baseline


def load_baseline(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != BASELINE_SCHEMA:
        raise ValueError(f"{path}: baseline schema {data.get('schema')!r}, expected {BASELINE_SCHEMA}")
    return data


def baseline_payload(name: str, backend: str, per_task: dict[str, dict[str, Any]],
                     old: dict[str, Any] | None = None, partial: bool = False) -> dict[str, Any]:
    """The baseline after this run. ``per_task``: task -> {"prompt_version", "criteria": [CriterionResult],
    "cases": [case dicts]}. A partial run (--limit) merges its cases into the old baseline."""
    tasks = dict((old or {}).get("tasks", {}))
    for task, data in per_task.items():
        cases = {c["id"]: dict(sorted(c["scores"].items())) for c in data["cases"]}
        if partial and task in tasks:
            cases = {**tasks[task].get("cases", {}), **cases}
        criteria_ids = [r.id for r in data["criteria"]]
        means = {}
        for cid in criteria_ids:
            values = [s[cid] for s in cases.values() if s.get(cid) is not None]
            means[cid] = {"mean": mean(values), "n": len(values)}
        tasks[task] = {"prompt_version": data.get("prompt_version"), "criteria": means,
                       "cases": dict(sorted(cases.items()))}
    return {"schema": BASELINE_SCHEMA, "name": name, "backend": backend, "tasks": dict(sorted(tasks.items()))}


def write_baseline(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def as_dict(r: CriterionResult) -> dict[str, Any]:
    return {**asdict(r), "blocks": r.blocks}
