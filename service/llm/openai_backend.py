"""LLMBackend over any OpenAI-compatible chat endpoint (OpenAI, llama.cpp server, vLLM, Ollama).

The openai client's own retries are off (max_retries=0): tenacity owns the retry
policy so that it is bounded, jittered, visible to the circuit breaker as one
outcome per generate() call, and never retries a 4xx other than 429.

JSON output is negotiated (``json_mode="auto"``): OpenAI-style ``json_schema`` first,
then ``json_object`` with llama.cpp's ``schema`` extension (grammar-constrained), then
plain ``json_object``, then no response format (the tolerant reader copes). A mode the
server rejects before it ever worked is dropped for the life of the backend.
"""

from __future__ import annotations

import logging
import math
import threading
import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx
import openai
from openai.types.chat import ChatCompletion
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from collections.abc import Iterator

from service.llm.base import LLMError, LLMRequest, LLMResult, StreamDelta
from service.llm.circuit_breaker import CircuitBreaker
from service.llm.tokens import TokenCounter, discover_context, server_root

JsonMode = Literal["auto", "json_schema", "json_object_schema", "json_object", "none"]
NEGOTIATION_ORDER: tuple[JsonMode, ...] = ("json_schema", "json_object_schema", "json_object", "none")
DEFAULT_CONTEXT_TOKENS = 8192  # when neither the settings nor the server say

log = logging.getLogger("commerce_guard.llm")
_CONTEXT_EXCEEDED = re.compile(r"context[_ ](length|window)|maximum context|exceed", re.IGNORECASE)
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
        json_mode: JsonMode = "auto",
        http_client: httpx.Client | None = None,
        *,
        context_tokens: int | None = None,
        name: str = "openai",
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 8.0,
        retry_after_cap_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if json_mode not in ("auto", *NEGOTIATION_ORDER):
            raise ValueError(f"unknown json_mode {json_mode!r}")
        self.name = name
        self.model = model
        self.json_mode: JsonMode = json_mode
        # auto: the modes still to try, best first; the first that works is kept.
        self._modes: list[JsonMode] = list(NEGOTIATION_ORDER) if json_mode == "auto" else [json_mode]
        self._mode_settled = json_mode != "auto"
        self._mode_lock = threading.Lock()
        self._configured_context = context_tokens
        self._context: int | None = None
        self._own_http = http_client is None  # closed with the backend only when made here
        self._http = http_client or httpx.Client(timeout=timeout_s)
        self._root = server_root(base_url)
        self.tokens = TokenCounter(self._root, self._http, model)
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
        if self._own_http:
            self._http.close()

    @property
    def active_json_mode(self) -> JsonMode:
        return self._modes[0]

    @property
    def context_tokens(self) -> int:
        """The context window prompts must fit: the setting, else what the server says, else a default."""
        if self._configured_context:
            return self._configured_context
        if self._context is None:
            self._context = discover_context(self._root, self._http, self.model) or DEFAULT_CONTEXT_TOKENS
        return self._context

    def count_tokens(self, messages: list[dict]) -> int:
        return self.tokens.count_messages(messages)

    def generate(self, request: LLMRequest) -> LLMResult:
        if not self.breaker.allow():
            raise LLMError("circuit_open", f"{self.name} circuit is open", retry_after=self.breaker.retry_after())
        started = time.perf_counter()
        try:
            completion = self._negotiated(request)
            text = _with_usage(_content, completion)
        except LLMError as exc:
            if exc.kind in ("bad_request", "context"):
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
            finish_reason=getattr(completion.choices[0], "finish_reason", None),
        )

    def stream(self, request: LLMRequest) -> Iterator[StreamDelta | LLMResult]:
        """Deltas as the server sends them, then one LLMResult. No retries once text has
        flowed (it was shown to the caller's guard); servers that send no usage in streams
        (llama.cpp) are counted with the tokenizer."""
        if not self.breaker.allow():
            raise LLMError("circuit_open", f"{self.name} circuit is open", retry_after=self.breaker.retry_after())
        started = time.perf_counter()
        parts: list[str] = []
        ttft = finish = usage = None
        try:
            chunks = self._negotiated(request, stream=True)
            try:
                for chunk in chunks:
                    usage = getattr(chunk, "usage", None) or usage
                    for choice in chunk.choices or []:
                        finish = choice.finish_reason or finish
                        piece = getattr(choice.delta, "content", None)
                        if piece:
                            ttft = ttft if ttft is not None else (time.perf_counter() - started) * 1000.0
                            parts.append(piece)
                            yield StreamDelta(piece)
            except openai.OpenAIError as exc:
                raise _to_llm_error(exc) from exc
        except LLMError as exc:
            (self.breaker.record_success if exc.kind in ("bad_request", "context") else self.breaker.record_failure)()
            raise
        except GeneratorExit:
            self.breaker.record_success()  # the caller stopped reading; the endpoint was fine
            raise
        except BaseException:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        text = "".join(parts)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0) or self.count_tokens(request.messages)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0) or self.tokens.count(text)
        if not text.strip():
            empty = LLMError("malformed", "empty completion")
            empty.usage = (prompt_tokens, completion_tokens)  # the prompt was read and charged all the same
            raise empty
        yield LLMResult(text=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, model=self.model,
                        backend=self.name, latency_ms=(time.perf_counter() - started) * 1000.0,
                        finish_reason=finish, ttft_ms=ttft)

    def _negotiated(self, request: LLMRequest, stream: bool = False) -> Any:
        """One call (with retries); while the JSON mode is unsettled, a rejection of the
        response format moves on to the next mode instead of failing the request."""
        while True:
            mode = self._modes[0]
            try:
                # copy(): a Retrying instance keeps per-call state; one per call is thread-safe.
                kwargs = self._request_kwargs(request, mode)
                if stream:
                    kwargs["stream"] = True
                completion = self._retrying.copy()(self._create, kwargs)
            except LLMError as exc:
                if (request.json_schema is not None and not self._mode_settled and len(self._modes) > 1
                        and exc.status_code in (400, 404, 422, 500, 501)):
                    log.warning("endpoint rejected response format, trying the next",
                                extra={"json_mode": mode, "status": exc.status_code})
                    with self._mode_lock:
                        if self._modes and self._modes[0] == mode and len(self._modes) > 1:
                            self._modes.pop(0)
                    continue
                raise
            if request.json_schema is not None:
                self._mode_settled = True
            return completion

    def _request_kwargs(self, request: LLMRequest, mode: JsonMode | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.seed is not None:
            kwargs["seed"] = request.seed
        mode = mode or self._modes[0]
        if request.json_schema is not None and mode == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        elif request.json_schema is not None and mode == "json_object_schema":
            # llama.cpp's extension: the schema becomes a grammar, so the reply cannot copy it.
            kwargs["response_format"] = {"type": "json_object", "schema": grammar_schema(request.json_schema)}
        elif request.json_schema is not None and mode == "json_schema":
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


# Bounds that llama.cpp unrolls into one grammar rule per repetition: maxLength 1500 made a
# grammar the server could not parse, and it crashed. The reply is validated against the
# full schema afterwards, so the grammar needs only the shape.
_UNROLLED_BOUNDS = frozenset({"maxLength", "minLength", "minimum", "maximum", "pattern", "format"})
_SMALL_BOUND = 10  # item counts up to this are cheap rules, and keep e.g. "an outfit has 2-5 items"


def grammar_schema(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: grammar_schema(v) for k, v in schema.items()
                if k not in _UNROLLED_BOUNDS and not (k in ("minItems", "maxItems") and not _small(v))}
    if isinstance(schema, list):
        return [grammar_schema(v) for v in schema]
    return schema


def _small(bound: Any) -> bool:
    return isinstance(bound, int) and 0 <= bound <= _SMALL_BOUND


def _with_usage(read: Callable[[Any], str], completion: Any) -> str:
    """``read(completion)``; an unusable reply's LLMError carries the usage the endpoint reported."""
    try:
        return read(completion)
    except LLMError as exc:
        usage = getattr(completion, "usage", None)
        if usage is not None:
            exc.usage = (int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0))
        raise


def _content(completion: Any) -> str:
    """The assistant text, or LLMError('malformed') when there is nothing usable."""
    if not isinstance(completion, ChatCompletion):
        raise LLMError("malformed", f"unexpected response type {type(completion).__name__}")
    choices = getattr(completion, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    content = getattr(message, "content", None)
    if not isinstance(content, str) or not content.strip():
        raise LLMError("malformed", "empty completion" if choices else "no choices")
    # The JSON is read (tolerantly) by the caller: a reply with fences, prose around it or
    # cut at max_tokens may still hold the answer.
    return content


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
        elif _CONTEXT_EXCEEDED.search(str(exc)):
            kind = "context"  # the prompt plus max_tokens is larger than the model's window
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
