"""Every LLM call metered in one place: a wrapper around the backend.

Generation, reasks, streams, the grounding judge, the eval judge and the nightly batch
all reach the model through the container's backend, which is a :class:`MeteredBackend`.
Each reply's prompt and completion tokens and its cost go to the ledger (daily spend
and budgets, per task) and to the metrics the moment the call returns, whether the
reply is then used, fails to parse, is reasked or refused: the endpoint charged for it.
A reply that came back unusable (an empty completion, a stream cut midway) is counted
from the usage it reported, else from the tokenizer.

The task a call is charged to is ``LLMRequest.task``, else the task in scope
(:func:`charged_to`, set by the guards around an output check, so a judge's tokens
are the task's spend), else the call's ``purpose`` (e.g. ``grounding_judge`` for
``POST /v1/guard/check``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from service.llm.base import LLMError, LLMRequest, LLMResult, StreamDelta

log = logging.getLogger("commerce_guard.llm")
# Per thread, not a ContextVar: guardrails runs every validation in a fresh contextvars.Context(),
# which would hide the task from the judge called inside it. The calls are synchronous.
_scope = threading.local()


@contextmanager
def charged_to(task: str) -> Iterator[None]:
    """LLM calls made inside on this thread (e.g. by the grounding judge) are charged to ``task``."""
    previous = getattr(_scope, "task", None)
    _scope.task = task
    try:
        yield
    finally:
        _scope.task = previous


def price(prices: dict[str, tuple[float, float]], model: str, prompt_tokens: int, completion_tokens: int,
          discount: float = 1.0) -> float:
    """USD for a call from the price table (USD per million input / output tokens); 0 for an unpriced model."""
    price_in, price_out = prices.get(model, (0.0, 0.0))
    return round((prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000 * discount, 8)


class Meter:
    """Where a call's tokens and cost go: the ledger and the metrics (either may be None)."""

    def __init__(self, ledger: Any, metrics: Any, prices: dict[str, tuple[float, float]], discount: float = 1.0):
        self.ledger, self.metrics, self.prices, self.discount = ledger, metrics, prices, discount

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        return price(self.prices, model, prompt_tokens, completion_tokens, self.discount)

    def record(self, task: str, purpose: str, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        cost = self.cost(model, prompt_tokens, completion_tokens)
        if self.ledger is not None:
            self.ledger.record(task, prompt_tokens, completion_tokens, cost)
        if self.metrics is not None:
            self.metrics.observe_llm_call(task, purpose, prompt_tokens, completion_tokens, cost)
        return cost

    def with_discount(self, discount: float) -> "Meter":
        """The same ledger and metrics at another price factor (the Batch API's half price)."""
        return Meter(self.ledger, self.metrics, self.prices, self.discount * discount)


def task_of(request: LLMRequest) -> str:
    return request.task or getattr(_scope, "task", None) or request.purpose


class MeteredBackend:
    """An LLMBackend that meters every call of the backend it wraps; everything else
    (name, model, breaker, token counting, request building) is the inner backend's."""

    def __init__(self, inner: Any, meter: Meter) -> None:
        self.inner = inner
        self.meter = meter

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def model(self) -> str:
        return self.inner.model

    def healthy(self) -> bool:
        return self.inner.healthy()

    def generate(self, request: LLMRequest) -> LLMResult:
        try:
            result = self.inner.generate(request)
        except LLMError as exc:
            if exc.usage:
                self._record(request, *exc.usage)
            raise
        self._record(request, result.prompt_tokens, result.completion_tokens, result.model)
        return result

    def stream(self, request: LLMRequest) -> Iterator[StreamDelta | LLMResult]:
        """The inner stream, metered once: from its final result, else (an error or a reader
        that stopped midway) from what the endpoint reported or the tokenizer's count."""
        parts: list[str] = []
        metered = False
        try:
            for item in self.inner.stream(request):
                if isinstance(item, LLMResult):
                    metered = True
                    self._record(request, item.prompt_tokens, item.completion_tokens, item.model)
                else:
                    parts.append(item.text)
                yield item
        except LLMError as exc:
            if exc.usage and not metered:
                metered = True
                self._record(request, *exc.usage)
            raise
        finally:
            if not metered and parts:  # cut: the caller stopped reading, or the connection broke
                self._record(request, *self._estimate(request, "".join(parts)))

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not defined here: count_tokens, context_tokens, breaker,
        # active_json_mode, _request_kwargs, close, ...
        return getattr(self.inner, name)

    # --- internals
    def _record(self, request: LLMRequest, prompt_tokens: int, completion_tokens: int, model: str | None = None) -> None:
        if not (prompt_tokens or completion_tokens):
            return
        try:
            self.meter.record(task_of(request), request.purpose, model or self.inner.model, prompt_tokens,
                              completion_tokens)
        except Exception as exc:  # noqa: BLE001  metering must never fail the reply it meters
            log.warning("llm usage not metered", extra={"error": type(exc).__name__})

    def _estimate(self, request: LLMRequest, text: str) -> tuple[int, int]:
        try:
            return self.inner.count_tokens(request.messages), self.inner.tokens.count(text)
        except Exception:  # noqa: BLE001  a backend without a tokenizer: the high-side estimate
            from service.llm.tokens import estimate_tokens, messages_text

            return estimate_tokens(messages_text(request.messages)), estimate_tokens(text)
