"""The one response envelope every caller gets (REST, CLI, batch, evals)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Citation(BaseModel):
    id: str
    snippet: str


class CheckResult(BaseModel):
    check: str
    verdict: Literal["pass", "fail", "skipped"]
    score: float | None = None
    action: Literal["none", "fix", "reask", "refrain", "block"] = "none"
    details: list[dict[str, Any]] = Field(default_factory=list)


class GuardReport(BaseModel):
    verdict: Literal["pass", "fixed", "fallback", "blocked"] = "pass"
    input: list[CheckResult] = Field(default_factory=list)
    output: list[CheckResult] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list, description="Actions taken, in order.")
    repairs: list[dict[str, Any]] = Field(
        default_factory=list, description="The failed checks behind each action (claims shortened, personal data "
                                          "redacted): `output` holds the checks of the final output only.")
    redactions: dict[str, int] = Field(default_factory=dict, description="PII type -> count removed from the input.")


class CacheInfo(BaseModel):
    status: Literal["hit", "miss", "bypass", "semantic_hit"] = "bypass"
    # The internal cache key stays in the process (batch report, tests) and never reaches a
    # response: it is derived from the caller's inputs and would tell how entries are keyed.
    key: str | None = Field(None, exclude=True)


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0


class BackendInfo(BaseModel):
    name: str
    model: str
    fallback: bool = False
    fallback_reason: str | None = None
    reply_repairs: list[str] = Field(default_factory=list, description="What the tolerant reader fixed in the model's "
                                     "JSON (fence, prose_around, schema_copy, truncated, dropped_cut_item).")
    evidence_left_out: list[str] = Field(default_factory=list, description="Evidence ids left out of the prompt "
                                         "(lowest rank first) so that it fits the model's context window.")


class Envelope(BaseModel):
    request_id: str
    task: str
    output: dict[str, Any]
    citations: list[Citation]
    guard: GuardReport
    cache: CacheInfo = Field(default_factory=CacheInfo)
    usage: Usage = Field(default_factory=Usage)
    backend: BackendInfo
    prompt_version: str
    insufficient_evidence: bool = False
    reason: str | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
