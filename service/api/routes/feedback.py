"""CS agents' verdicts on drafts: POST /v1/feedback (stored for import as draft eval cases)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.api.auth import require
from service.evals.feedback import FeedbackStore, db_path

router = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[Depends(require("cs"))])


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [
        {"request_id": "3f2a9c1e", "verdict": "edited", "edited_text": "교환 배송비는 왕복 6,000원입니다.",
         "reason": "편도 금액을 안내함"}]})
    request_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="The x-request-id of the draft's response.")
    verdict: Literal["accepted", "edited", "rejected"]
    edited_text: str | None = Field(None, min_length=1, max_length=4000, description="Required when verdict is edited.")
    reason: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _edited_needs_text(self) -> "FeedbackIn":
        if self.verdict == "edited" and not self.edited_text:
            raise ValueError("edited_text is required when verdict is 'edited'")
        return self


class FeedbackOut(BaseModel):
    id: int
    request_id: str
    verdict: str
    created_at: str


@lru_cache(maxsize=8)
def _store(path: Path) -> FeedbackStore:
    return FeedbackStore(path)  # the schema is created once per process and file


@router.post("/feedback", status_code=201, response_model=FeedbackOut,
             responses={422: {"description": "Invalid feedback (e.g. edited without edited_text)"}})
def create_feedback(body: FeedbackIn, request: Request) -> FeedbackOut:
    """Record an agent's verdict on a draft; `commerce-guard eval import-feedback` turns
    edited and rejected ones into draft eval cases."""
    data_dir = request.app.state.container.settings.data_dir
    record = _store(db_path(data_dir)).add(body.request_id, body.verdict, body.edited_text, body.reason)
    return FeedbackOut(id=record.id, request_id=record.request_id, verdict=record.verdict, created_at=record.created_at)
