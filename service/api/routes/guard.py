"""Guard as a service: check existing copy (e.g. seller product text) with no generation."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from service.api.auth import require

router = APIRouter(prefix="/v1/guard", tags=["guard"], dependencies=[Depends(require("content"))])

Check = Literal["banned_words", "pii", "grounding"]


class GuardCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20_000, examples=["이 재킷은 완벽한 방수로 비를 100% 막아 줍니다."])
    evidence: list[str] = Field(default_factory=list, max_length=20,
                                examples=[["기능: 방수: 없음, 생활방수(발수): 있음"]],
                                description="Passages the claims must be grounded in; without them grounding is skipped.")
    checks: list[Check] = Field(default_factory=lambda: ["banned_words", "pii", "grounding"], min_length=1)


@router.post("/check")
def guard_check(body: GuardCheckRequest, request: Request) -> dict:
    if any(len(e) > 5_000 for e in body.evidence):
        from fastapi import HTTPException

        raise HTTPException(status_code=422, detail="evidence: each passage must be at most 5000 characters")
    report = request.app.state.container.guards.check_text(body.text, body.evidence, body.checks)
    return {"request_id": request.state.request_id, **report}
