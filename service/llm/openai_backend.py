"""LLMBackend over any OpenAI-compatible chat endpoint (OpenAI, llama.cpp server, vLLM, Ollama).

The openai client's own retries are off (max_retries=0): tenacity owns the retry
policy so that it is bounded, jittered, visible to the circuit breaker as one
outcome per generate() call, and never retries a 4xx other than 429.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx
import openai
from openai.types.chat import ChatCompletion
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from service.llm.base import LLMError, LLMRequest, LLMResult
from service.llm.circuit_breaker import CircuitBreaker

JsonMode = Literal["json_object", "json_schema", "none"]

_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL | re.IGNORECASE)
_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]")


class OpenAIBackend:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        timeout_s: float = 30.0,
        max_retries: int = 2,
        breaker: CircuitBreaker | None = None,
        json_mode: JsonMode = "json_object",
        http_client: httpx.Client | None = None,
        *,
        name: str = "openai",
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 8.0,
        retry_after_cap_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if json_mode not in ("json_object", "json_schema", "none"):
            raise ValueError(f"unknown json_mode {json_mode!r}")
        self.name = name
        self.model = model
        self.json_mode: JsonMode = json_mode
        self.max_retries = max(0, max_retries)
        self.breaker = breaker if breaker is not None else CircuitBreaker()
        self.retry_after_cap_s = retry_after_cap_s
        self._backoff = wait_random_exponential(multiplier=backoff_initial_s, max=backoff_max_s)
        self._client = openai.OpenAI(
            base_url=base_url,
            # Local servers ignore the key, but the client refuses to start without one.
            api_key=api_key or "not-needed",
            timeout=timeout_s,
            max_retries=0,
            http_client=http_client,
        )
        self._retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, LLMError) and e.retryable),
            sleep=sleep,
            reraise=True,
        )

    def healthy(self) -> bool:
        return self.breaker.state != "open"

    def close(self) -> None:
        self._client.close()

    def generate(self, request: LLMRequest) -> LLMResult:
        if not self.breaker.allow():
            raise LLMError("circuit_open", f"{self.name} circuit is open", retry_after=self.breaker.retry_after())
        started = time.perf_counter()
        try:
            # copy(): a Retrying instance keeps per-call state; one per call is thread-safe.
            completion = self._retrying.copy()(self._create, self._request_kwargs(request))
            text = _content(completion, want_json=request.json_schema is not None)
        except LLMError as exc:
            if exc.kind == "bad_request":
                # The endpoint answered; the request was at fault. Do not let bad prompts open the circuit.
                self.breaker.record_success()
            else:
                self.breaker.record_failure()
            raise
        except BaseException:
            self.breaker.record_failure()  # also frees a half-open probe slot
            raise
        self.breaker.record_success()
        usage = getattr(completion, "usage", None)
        return LLMResult(
            text=text,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            # The configured name, not the served one: OpenAI answers with dated snapshots and
            # llama.cpp with a file path, and prices and metric labels are keyed by the configured name.
            model=self.model,
            backend=self.name,
            latency_ms=(time.perf_counter() - started) * 1000.0,
        )

    def _request_kwargs(self, request: LLMRequest) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.seed is not None:
            kwargs["seed"] = request.seed
        if request.json_schema is not None and self.json_mode == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        elif request.json_schema is not None and self.json_mode == "json_schema":
            name = _SCHEMA_NAME.sub("_", str(request.json_schema.get("title") or "response"))[:64]
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": request.json_schema, "strict": False},
            }
        return kwargs

    def _create(self, kwargs: dict[str, Any]) -> ChatCompletion:
        try:
            return self._client.chat.completions.create(**kwargs)
        except openai.OpenAIError as exc:
            raise _to_llm_error(exc) from exc
        except ValueError as exc:  # a 200 whose body is not JSON (JSONDecodeError) or not a completion
            raise LLMError("malformed", f"unparseable response body: {exc}") from exc

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, LLMError) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.retry_after_cap_s)
        return self._backoff(state)


def _content(completion: Any, *, want_json: bool) -> str:
    """The assistant text, or LLMError('malformed') when there is nothing usable."""
    if not isinstance(completion, ChatCompletion):
        raise LLMError("malformed", f"unexpected response type {type(completion).__name__}")
    choices = getattr(completion, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    content = getattr(message, "content", None)
    if not isinstance(content, str) or not content.strip():
        raise LLMError("malformed", "empty completion" if choices else "no choices")
    if not want_json:
        return content
    text = content.strip()
    fenced = _FENCE.match(text)  # tolerate ```json fences from servers without JSON mode
    if fenced:
        text = fenced.group(1)
    try:
        json.loads(text)
    except ValueError as exc:
        finish = getattr(choices[0], "finish_reason", None)
        raise LLMError("malformed", f"invalid JSON (finish_reason={finish}): {exc}") from exc
    return text


def _to_llm_error(exc: openai.OpenAIError) -> LLMError:
    # APITimeoutError subclasses APIConnectionError, so it must be tested first.
    if isinstance(exc, openai.APITimeoutError):
        return LLMError("timeout", str(exc))
    if isinstance(exc, openai.APIConnectionError):
        return LLMError("connection", str(exc))
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retry_after = _retry_after(exc.response.headers)
        if status == 429:
            kind = "rate_limited"
        elif status in (401, 403):
            kind = "auth"
        elif status >= 500:
            kind = "server_error"
        else:
            kind = "bad_request"
        return LLMError(kind, str(exc), retry_after=retry_after, status_code=status)
    # APIResponseValidationError and anything else the client could not make sense of.
    return LLMError("malformed", str(exc), status_code=getattr(exc, "status_code", None))


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from retry-after-ms (OpenAI's extension) or Retry-After (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000.0
            if math.isfinite(value):
                return max(0.0, value)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        value = float(raw)
        return max(0.0, value) if math.isfinite(value) else None
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
