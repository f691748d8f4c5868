"""CS agents' verdicts on drafts: POST /v1/feedback (stored for import as draft eval cases).

Only drafts this service issued take feedback: the answer route calls remember_draft with
each CS answer's request id; an unknown id is a 404 (so invented ids cannot plant text in
the store that eval import-feedback reads). The free text is redacted before storage.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from service.api.auth import require
from service.evals.feedback import ISSUED_DAYS, FeedbackStore, db_path
from service.tasks.inputs import exact_id

router = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[Depends(require("cs"))])


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [
        {"request_id": "3f2a9c1e", "verdict": "edited", "edited_text": "교환 배송비는 왕복 6,000원입니다.",
         "reason": "편도 금액을 안내함"}]})
    request_id: Annotated[str, BeforeValidator(exact_id),
                          Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="The x-request-id of the draft's response.")]
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


def store_of(request: Request) -> FeedbackStore:
    return _store(db_path(request.app.state.container.settings.data_dir))


def remember_draft(request: Request, task: str) -> None:
    """Record that this request's id names a draft the service issued (feedback may follow)."""
    store_of(request).issue(request.state.request_id, task)


@router.post("/feedback", status_code=201, response_model=FeedbackOut,
             responses={404: {"description": "request_id names no CS answer draft this service issued"},
                        422: {"description": "Invalid feedback (e.g. edited without edited_text)"}})
def create_feedback(body: FeedbackIn, request: Request) -> FeedbackOut:
    """Record an agent's verdict on a CS answer draft this service issued (its `x-request-id`);
    personal data in the text is redacted before storage. `commerce-guard eval import-feedback`
    turns edited and rejected ones into draft eval cases."""
    store = store_of(request)
    if not store.issued(body.request_id):
        # the value is not echoed: a request id is client-chosen text
        raise HTTPException(404, f"request_id: no CS answer draft with this request_id was issued by this "
                                 f"service in the last {ISSUED_DAYS} days")
    record = store.add(body.request_id, body.verdict, body.edited_text, body.reason)
    return FeedbackOut(id=record.id, request_id=record.request_id, verdict=record.verdict, created_at=record.created_at)
