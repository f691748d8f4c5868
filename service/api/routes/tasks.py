"""The task endpoints: summaries, styling, CS answers. Thin callers of the pipeline."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from service.api.auth import require
from service.api.routes.feedback import remember_draft
from service.envelope import Envelope
from service.streaming import GuardedStream, sse
from service.tasks.inputs import PRODUCT_ID_PATTERN, CsAnswerInput, StylingInput, SummaryInput

router = APIRouter(prefix="/v1", tags=["tasks"])

ERRORS = {
    401: {"description": "Missing or unknown API key"},
    403: {"description": "The key lacks the scope"},
    429: {"description": "Rate limit, or the work pool's queue is full (code `busy`); see Retry-After"},
    404: {"description": "Unknown product"},
    413: {"description": "Body too large"},
    422: {"description": "Invalid input; the message names the field"},
}


async def _run(request: Request, task: str, body) -> Envelope:
    """Input guard, retrieval and the cache lookup run on the shared thread pool: a cache hit or
    a refusal is answered from there. Only a miss (generation + output guards) takes a slot
    of the bounded work pool, or a 429 when the pool's queue is full."""
    pipeline = request.app.state.container.pipeline
    prepared = await run_in_threadpool(pipeline.prepare, task, body.model_dump(), request_id=request.state.request_id)
    if isinstance(prepared, Envelope):
        return prepared
    return await request.app.state.work_pool.run(pipeline.complete, prepared)


CONTENT, CS = [Depends(require("content"))], [Depends(require("cs"))]


@router.post("/summaries", response_model=Envelope, responses=ERRORS, dependencies=CONTENT)
async def create_summary(body: SummaryInput, request: Request) -> Envelope:
    """A grounded 3-5 sentence product summary with key facts, every fact cited."""
    return await _run(request, "summary", body)


@router.post("/styling", response_model=Envelope, responses=ERRORS, dependencies=CONTENT)
async def create_styling(body: StylingInput, request: Request) -> Envelope:
    """2-3 outfits of in-stock catalog products around one product, citing the style guides."""
    return await _run(request, "styling", body)


STREAM_RESPONSE = {200: {"description": "With `stream=true`: server-sent events `sentence` {index, text} (each "
                               "released only after it passed the guards), `withheld` {index, checks}, then `done` "
                               "with the envelope, or `error`.",
                          "content": {"text/event-stream": {}}}}


@router.post("/answers", response_model=Envelope, responses={**ERRORS, **STREAM_RESPONSE}, dependencies=CS)
async def create_answer(body: CsAnswerInput, request: Request,
                        stream: bool = Query(False, description="Stream guarded sentences as server-sent events.")):
    """A CS answer draft for an agent, or a handoff when the evidence does not cover it."""
    if not stream:
        envelope = await _run(request, "cs_answer", body)
        await run_in_threadpool(remember_draft, request, "cs_answer")  # feedback may name this draft
        return envelope
    guarded = GuardedStream(request.app.state.container.pipeline, "cs_answer", body.model_dump(),
                            request_id=request.state.request_id)
    await run_in_threadpool(guarded.prepare)  # 4xx errors (unknown product, invalid input) before the first byte
    await run_in_threadpool(remember_draft, request, "cs_answer")
    return StreamingResponse(sse(guarded), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/products/{product_id}/summary", response_model=Envelope, responses=ERRORS, dependencies=CONTENT)
async def product_summary(request: Request,
                          product_id: str = Path(pattern=PRODUCT_ID_PATTERN, examples=["P001"])) -> Envelope:
    """The product's summary (served from the cache once the nightly batch has run)."""
    return await _run(request, "summary", SummaryInput(product_id=product_id))
