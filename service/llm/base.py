"""The contract every LLM backend meets: one request in, one result or one LLMError out.

Callers (prompting, guards, the batch runner) depend only on these types, so a
backend can be swapped (OpenAI, llama.cpp server, vLLM, a test double) without
touching them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

ErrorKind = Literal[
    "timeout",
    "rate_limited",
    "server_error",
    "connection",
    "bad_request",
    "malformed",
    "circuit_open",
    "auth",
    "context",  # the prompt cannot fit the model's context window
]

# Kinds worth another attempt: the endpoint may answer differently next time.
RETRYABLE_KINDS: frozenset[str] = frozenset({"timeout", "rate_limited", "server_error", "connection"})


@dataclass(frozen=True)
class LLMRequest:
    messages: list[dict]  # OpenAI chat format
    json_schema: dict | None = None  # when set, ask for JSON output
    temperature: float = 0.0
    max_tokens: int = 800
    seed: int | None = None
    # Who pays (service/llm/metering.py): the task whose ledger line and budget the tokens go to
    # (else the task in scope, see metering.charged_to), and what the call was for.
    task: str | None = None
    purpose: str = "generation"  # generation, reask, stream, grounding_judge, eval_judge, ...


@dataclass(frozen=True)
class LLMResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    backend: str  # e.g. "openai"
    latency_ms: float  # wall time of generate(), retries and back-off included
    finish_reason: str | None = None  # "length": cut at max_tokens
    ttft_ms: float | None = None  # streamed calls: time to the first content token


@dataclass(frozen=True)
class StreamDelta:
    """A piece of streamed assistant text; a stream ends with one LLMResult (the whole text)."""

    text: str


class LLMError(Exception):
    """A failed generation, classified so callers can degrade without parsing messages."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str = "",
        *,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind: ErrorKind = kind
        self.retry_after = retry_after  # seconds the caller should wait, when known
        self.status_code = status_code  # HTTP status, when there was one
        # (prompt, completion) tokens of a reply that came back unusable (empty, cut stream):
        # the endpoint charged them all the same, so the meter counts them.
        self.usage: tuple[int, int] | None = None

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS


@runtime_checkable
class LLMBackend(Protocol):
    name: str
    model: str

    def generate(self, request: LLMRequest) -> LLMResult: ...

    def healthy(self) -> bool:
        """Cheap, no network: False while the circuit is open."""
        ...
