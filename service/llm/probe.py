"""What an OpenAI-compatible endpoint supports, measured before traffic goes to it:
its models, which JSON modes it honours, its tokenizer and context window, its speed."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from service.llm.base import LLMError, LLMRequest, LLMResult
from service.llm.circuit_breaker import CircuitBreaker
from service.llm.json_reply import UnreadableReply, read_json_reply
from service.llm.openai_backend import NEGOTIATION_ORDER, OpenAIBackend
from service.llm.tokens import discover_context, server_root

PROBE_SCHEMA = {"type": "object", "required": ["ok", "word"], "additionalProperties": False,
                "properties": {"ok": {"type": "boolean"}, "word": {"type": "string"}}}
PROBE_MESSAGES = [{"role": "system", "content": "Answer with one JSON object only."},
                  {"role": "user", "content": 'Reply with {"ok": true, "word": "<the Korean word for apple>"}.'}]
SPEED_MESSAGES = [{"role": "user", "content": "면 100% 반팔 티셔츠를 한국어 두 문장으로 소개해 주세요."}]


@dataclass
class ModeResult:
    mode: str
    accepted: bool  # the endpoint answered 200
    valid: bool  # the reply was a JSON object of the right shape
    detail: str
    seconds: float


@dataclass
class Report:
    base_url: str
    model: str
    reachable: bool = False
    served_models: list[str] = field(default_factory=list)
    tokenizer: str = "estimate"
    context_tokens: int | None = None
    context_source: str = "default"
    modes: list[ModeResult] = field(default_factory=list)
    chosen_mode: str | None = None
    ttft_s: float | None = None
    tokens_per_s: float | None = None
    problems: list[str] = field(default_factory=list)


def probe(base_url: str, api_key: str, model: str, *, timeout_s: float = 120.0,
          configured_context: int | None = None) -> Report:
    report = Report(base_url, model)
    http = httpx.Client(timeout=timeout_s)
    try:
        _models(report, http)
        if not report.reachable:
            return report
        backend = _backend(base_url, api_key, model, timeout_s, "auto", http)
        report.tokenizer = "server" if backend.tokens.exact else "estimate (no tokenize route)"
        discovered = discover_context(server_root(base_url), http, model)
        report.context_tokens = configured_context or discovered
        report.context_source = "setting" if configured_context else ("server" if discovered else "unknown")
        for mode in NEGOTIATION_ORDER:
            report.modes.append(_try_mode(base_url, api_key, model, timeout_s, mode, http))
        report.chosen_mode = next((m.mode for m in report.modes if m.accepted and m.valid), None) or next(
            (m.mode for m in report.modes if m.accepted), None)
        _speed(report, backend)
    finally:
        http.close()
    _judge(report)
    return report


def _backend(base_url, api_key, model, timeout_s, mode, http) -> OpenAIBackend:
    return OpenAIBackend(base_url=base_url, api_key=api_key, model=model, timeout_s=timeout_s, max_retries=0,
                         json_mode=mode, http_client=http, breaker=CircuitBreaker(failure_threshold=1000))


def _models(report: Report, http: httpx.Client) -> None:
    try:
        r = http.get(report.base_url.rstrip("/") + "/models", timeout=10.0)
    except httpx.HTTPError as exc:
        report.problems.append(f"endpoint unreachable: {type(exc).__name__}: {exc}")
        return
    report.reachable = True
    if r.status_code != 200:
        report.problems.append(f"GET /models answered {r.status_code}")
        return
    try:
        report.served_models = [m.get("id", "?") for m in r.json().get("data", [])]
    except ValueError:
        report.problems.append("GET /models did not return JSON")


def _try_mode(base_url, api_key, model, timeout_s, mode, http) -> ModeResult:
    backend = _backend(base_url, api_key, model, timeout_s, mode, http)
    started = time.perf_counter()
    try:
        result = backend.generate(LLMRequest(messages=PROBE_MESSAGES, json_schema=PROBE_SCHEMA, max_tokens=40))
    except LLMError as exc:
        return ModeResult(mode, False, False, f"{exc.kind} ({exc.status_code or '-'})", time.perf_counter() - started)
    seconds = time.perf_counter() - started
    try:
        value = read_json_reply(result.text).value
    except UnreadableReply as exc:
        return ModeResult(mode, True, False, f"reply not JSON: {exc}", seconds)
    valid = isinstance(value.get("ok"), bool) and isinstance(value.get("word"), str)
    return ModeResult(mode, True, valid, json.dumps(value, ensure_ascii=False)[:80], seconds)


def _speed(report: Report, backend: OpenAIBackend) -> None:
    started = time.perf_counter()
    try:
        result: Any = None
        for item in backend.stream(LLMRequest(messages=SPEED_MESSAGES, max_tokens=64, temperature=0.0)):
            result = item
    except LLMError as exc:
        report.problems.append(f"streaming failed: {exc.kind}")
        return
    if isinstance(result, LLMResult) and result.ttft_ms is not None:
        report.ttft_s = result.ttft_ms / 1000
        decode_s = max(1e-6, time.perf_counter() - started - report.ttft_s)
        report.tokens_per_s = max(0, result.completion_tokens - 1) / decode_s


def _judge(report: Report) -> None:
    if report.served_models and report.model not in report.served_models:
        report.problems.append(f"model {report.model!r} is not served (served: {', '.join(report.served_models)})")
    if report.reachable and not any(m.accepted for m in report.modes):
        report.problems.append("no request was answered: check the model name, the key and the server's log")
    if report.context_tokens is None and report.reachable:
        report.problems.append("the server does not report its context window: set CG_LLM_CONTEXT_TOKENS to its "
                               "n_ctx (`llm serve` / make serve-llm start it with 4096 and set it); else 8192 is assumed")
