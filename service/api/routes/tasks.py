"""The task endpoints: summaries, styling, CS answers. Thin callers of the pipeline."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from service.api.auth import require

from service.envelope import Envelope
from service.streaming import GuardedStream, sse
from service.tasks.inputs import CsAnswerInput, StylingInput, SummaryInput

router = APIRouter(prefix="/v1", tags=["tasks"])

ERRORS = {
    401: {"description": "Missing or unknown API key"},
    403: {"description": "The key lacks the scope"},
    429: {"description": "Rate limit; see Retry-After"},
    404: {"description": "Unknown product"},
    413: {"description": "Body too large"},
    422: {"description": "Invalid input; the message names the field"},
}


def _run(request: Request, task: str, body) -> Envelope:
    pipeline = request.app.state.container.pipeline
    return pipeline.run(task, body.model_dump(), request_id=request.state.request_id)


CONTENT, CS = [Depends(require("content"))], [Depends(require("cs"))]


@router.post("/summaries", response_model=Envelope, responses=ERRORS, dependencies=CONTENT)
def create_summary(body: SummaryInput, request: Request) -> Envelope:
    """A grounded 3-5 sentence product summary with key facts, every fact cited."""
    return _run(request, "summary", body)


@router.post("/styling", response_model=Envelope, responses=ERRORS, dependencies=CONTENT)
def create_styling(body: StylingInput, request: Request) -> Envelope:
    """2-3 outfits of in-stock catalog products around one product, citing the style guides."""
    return _run(request, "styling", body)


STREAM_RESPONSE = {200: {"description": "With `stream=true`: server-sent events `sentence` {index, text} (each "
                               "released only after it passed the guards), `withheld` {index, checks}, then `done` "
                               "with the envelope, or `error`.",
                          "content": {"text/event-stream": {}}}}


@router.post("/answers", response_model=Envelope, responses={**ERRORS, **STREAM_RESPONSE}, dependencies=CS)
def create_answer(body: CsAnswerInput, request: Request,
                  stream: bool = Query(False, description="Stream guarded sentences as server-sent events.")):
    """A CS answer draft for an agent, or a handoff when the evidence does not cover it."""
    if not stream:
        return _run(request, "cs_answer", body)
    guarded = GuardedStream(request.app.state.container.pipeline, "cs_answer", body.model_dump(),
                            request_id=request.state.request_id)
    guarded.prepare()  # 4xx errors (unknown product, invalid input) before the first byte
    return StreamingResponse(sse(guarded), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/products/{product_id}/summary", response_model=Envelope, responses=ERRORS, dependencies=CONTENT)
def product_summary(request: Request, product_id: str = Path(pattern=r"^P\d{3,6}$", examples=["P001"])) -> Envelope:
    """The product's summary (served from the cache once the nightly batch has run)."""
    return _run(request, "summary", SummaryInput(product_id=product_id))
