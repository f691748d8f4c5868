"""Prometheus metrics, each registry private to one container (tests build many apps).

Task-level metrics are derived from the response envelope, which already holds
everything an operator asks about: stage latencies, cache status, guard verdicts
and actions, fallbacks and their reasons. Tokens and cost come from the LLM meter
(service/llm/metering.py), per call, so judge and reask calls count too.

Under ``serve --workers N`` every worker writes its samples to files in
PROMETHEUS_MULTIPROC_DIR (set up by ``serve``), and ``registry`` is then a view that
adds up all workers' files: /metrics shows the service, not the worker that answered.
"""

from __future__ import annotations

import atexit
import os
import re
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3, 0.6, 1.2, 2.5, 5, 10, 30)
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


class Metrics:
    def __init__(self) -> None:
        r = CollectorRegistry()  # this process's metrics
        self.registry = r  # what /metrics exposes
        if os.environ.get(MULTIPROC_ENV):
            self.registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(self.registry)
            # A worker that exits drops its live gauges' files (counters stay: they are history).
            atexit.register(multiprocess.mark_process_dead, os.getpid())
        self.http_requests = Counter("cg_http_requests_total", "HTTP requests", ["route", "method", "status"], registry=r)
        self.http_latency = Histogram("cg_http_request_seconds", "HTTP latency", ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.task_requests = Counter("cg_task_requests_total", "Task requests by cache status", ["task", "cache"], registry=r)
        self.stage_latency = Histogram("cg_pipeline_stage_seconds", "Pipeline stage latency", ["task", "stage"],
                                       buckets=LATENCY_BUCKETS, registry=r)
        self.guard_checks = Counter("cg_guard_checks_total", "Guard check results", ["direction", "check", "verdict"], registry=r)
        self.guard_outcomes = Counter("cg_guard_outcomes_total", "Final guard verdicts and actions", ["task", "verdict", "actions"], registry=r)
        self.fallbacks = Counter("cg_fallbacks_total", "Outputs not served by the configured backend", ["task", "reason"], registry=r)
        self.llm_errors = Counter("cg_llm_errors_total", "LLM failures by kind", ["kind"], registry=r)
        self.tokens = Counter("cg_tokens_total", "Tokens spent", ["task", "kind"], registry=r)
        self.cost = Counter("cg_cost_usd_total", "LLM cost in USD", ["task"], registry=r)
        self.llm_calls = Counter("cg_llm_calls_total", "Metered LLM calls", ["task", "purpose"], registry=r)
        # Several workers: the worst state any live worker saw (with CG_REDIS_URL they share one breaker).
        self.breaker = Gauge("cg_llm_circuit_state", "0 closed, 1 half-open, 2 open, -1 no LLM", registry=r,
                             multiprocess_mode="livemax")

    def observe_envelope(self, env) -> None:
        self.task_requests.labels(env.task, env.cache.status).inc()
        for stage, ms in env.timings_ms.items():
            self.stage_latency.labels(env.task, stage).observe(ms / 1000)
        if env.cache.status in ("hit", "semantic_hit"):
            return  # the checks below ran when the entry was made
        for direction, checks in (("input", env.guard.input), ("output", env.guard.output)):
            for c in checks:
                self.guard_checks.labels(direction, c.check, c.verdict).inc()
        self.guard_outcomes.labels(env.task, env.guard.verdict, ",".join(env.guard.actions) or "none").inc()
        if env.backend.fallback:
            reason = env.backend.fallback_reason or "unknown"
            self.fallbacks.labels(env.task, fallback_kind(reason)).inc()
            if reason.startswith("llm error: "):
                self.llm_errors.labels(reason.removeprefix("llm error: ")).inc()

    def observe_llm_call(self, task: str, purpose: str, prompt_tokens: int, completion_tokens: int, cost: float) -> None:
        """One metered LLM call (service/llm/metering.py)."""
        self.llm_calls.labels(task, purpose).inc()
        self.tokens.labels(task, "prompt").inc(prompt_tokens)
        self.tokens.labels(task, "completion").inc(completion_tokens)
        self.cost.labels(task).inc(cost)

    def observe_breaker(self, llm) -> None:
        state = getattr(getattr(llm, "breaker", None), "state", None)
        self.breaker.set(BREAKER_STATES.get(state, -1))


_KIND = re.compile(r"^(llm error|invalid llm output): ([A-Za-z_ ]+?)\s*(?:[:(]|$)")


def fallback_kind(reason: str) -> str:
    """A bounded label for a fallback reason: "invalid llm output: schema", "llm error: timeout",
    "output failed the guards" (the free text after it would make a label per request)."""
    match = _KIND.match(reason)
    if match:
        return f"{match.group(1)}: {match.group(2)}"
    return reason.split(":")[0].split(" (")[0]


def use_multiprocess_dir(data_dir) -> "Path":
    """For ``serve --workers N``: a fresh, empty PROMETHEUS_MULTIPROC_DIR under the data dir,
    set in the environment before the workers start (prometheus_client picks its value
    class when it is imported, so a worker must see it from its first import on). Files of
    an earlier run are removed: their counts would otherwise be added to this run's."""
    import shutil

    directory = Path(data_dir) / "prometheus-multiproc"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory
