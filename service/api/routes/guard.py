"""Guard as a service: check existing copy (e.g. seller product text) with no generation.

A check costs CPU in proportion to its size (grounding: claims x evidence, and the square
of a claim's length for number-heavy text), so each request has a size budget (413 names
the limit) and runs in the bounded work pool (429 `busy` when its queue is full).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from service.api.auth import require
from service.nlp.claims import segment

router = APIRouter(prefix="/v1/guard", tags=["guard"], dependencies=[Depends(require("content"))])

Check = Literal["banned_words", "pii", "grounding"]


class GuardCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The length limits are the size budget below (413), set by CG_GUARD_MAX_* settings.
    text: str = Field(min_length=1, examples=["이 재킷은 완벽한 방수로 비를 100% 막아 줍니다."],
                      description="At most 1,500 characters, no sentence or line over 300 (CG_GUARD_MAX_TEXT_CHARS, "
                                  "CG_GUARD_MAX_SENTENCE_CHARS); longer gets 413.")
    evidence: list[str] = Field(default_factory=list, max_length=20,
                                examples=[["기능: 방수: 없음, 생활방수(발수): 있음"]],
                                description="Passages the claims must be grounded in (at most 4,000 characters "
                                            "together, CG_GUARD_MAX_EVIDENCE_CHARS); without them grounding is skipped.")
    checks: list[Check] = Field(default_factory=lambda: ["banned_words", "pii", "grounding"], min_length=1)


def over_budget(body: GuardCheckRequest, settings) -> str | None:
    """Why this check is too big to run, naming the limit; None when it fits."""
    if len(body.text) > settings.guard_max_text_chars:
        return (f"text is {len(body.text):,} characters; a guard check takes at most "
                f"{settings.guard_max_text_chars:,} (CG_GUARD_MAX_TEXT_CHARS): split the copy into several checks")
    evidence_chars = sum(len(e) for e in body.evidence)
    if evidence_chars > settings.guard_max_evidence_chars:
        return (f"evidence is {evidence_chars:,} characters together; a guard check takes at most "
                f"{settings.guard_max_evidence_chars:,} (CG_GUARD_MAX_EVIDENCE_CHARS)")
    # Punctuation and line breaks only (no Kiwi): an upper bound of the claims the checker sees.
    longest = max((seg.end - seg.start for seg in segment(body.text)), default=0)
    if longest > settings.guard_max_sentence_chars:
        return (f"text has a sentence or line of {longest:,} characters; at most "
                f"{settings.guard_max_sentence_chars:,} are checked as one claim (CG_GUARD_MAX_SENTENCE_CHARS): "
                f"end sentences with punctuation or a line break")
    return None


@router.post("/check", responses={413: {"description": "Over the size budget; the message names the limit"},
                                  429: {"description": "The work pool's queue is full (code `busy`); see Retry-After"}})
async def guard_check(body: GuardCheckRequest, request: Request) -> dict:
    container = request.app.state.container
    # segment() takes up to ~70 ms on 2,000 characters of spaced digits: not on the event loop.
    problem = await run_in_threadpool(over_budget, body, container.settings)
    if problem:
        raise HTTPException(status_code=413, detail=problem)
    report = await request.app.state.work_pool.run(container.guards.check_text, body.text, body.evidence, body.checks)
    return {"request_id": request.state.request_id, **report}
