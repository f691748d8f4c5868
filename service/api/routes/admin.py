"""Admin operations over HTTP: reindex, cache purge, audit log (scope: admin)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from service.api.auth import require

log = logging.getLogger("commerce_guard.api")

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require("admin"))])


class ReindexRequest(BaseModel):
    """No options yet: the whole knowledge dir is reindexed. A body with fields is a 422, so a
    caller who expects to pick collections learns that it cannot, instead of a full reindex."""
    model_config = ConfigDict(extra="forbid")


@router.post("/reindex", responses={409: {"description": "another ingest is running on this index"},
                                    503: {"description": "the index or the ingest lock (Redis) is unreachable"}})
def reindex(request: Request, body: ReindexRequest | None = None):
    """Re-ingest the knowledge base (idempotent; only changed documents are re-embedded). Requests
    keep being answered meanwhile; a reindex while another ingest runs is refused with 409."""
    from service.api.errors import error_response
    from service.retrieval.ingest import IngestBusy, IngestLockUnavailable, run_ingest
    from service.retrieval.loaders import default_sources

    container = request.app.state.container
    try:  # no waiting inside an HTTP request: the caller retries
        summaries = run_ingest(container, default_sources(container.settings.knowledge_dir), show_progress=False,
                               wait_s=0)
    except IngestBusy as exc:
        return error_response(request, 409, "reindex_running", str(exc), {"Retry-After": "10"})
    except IngestLockUnavailable as exc:
        return error_response(request, 503, "lock_unavailable", str(exc), {"Retry-After": "10"})
    warmed = container.warm_up()
    return {"collections": [{"collection": s.collection, "added": s.added, "updated": s.updated,
                             "deleted": s.deleted, "unchanged": s.unchanged} for s in summaries],
            "documents_warmed": warmed}


class PurgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str | None = Field(None, examples=["summary"])
    prompt_version: str | None = Field(None, examples=["summary-v1"])


@router.post("/cache/purge", responses={503: {"description": "the cache store is unreachable"}})
def purge(body: PurgeRequest, request: Request):
    from service.api.errors import error_response

    container = request.app.state.container
    if body.task is not None:
        container.pipeline.spec(body.task)  # unknown task -> 404 with the known ones
    try:
        return {"removed": container.cache.purge(task=body.task, prompt_version=body.prompt_version)}
    except Exception as exc:  # noqa: BLE001  Redis or disk gone: say so, never a 500
        log.warning("cache purge failed", extra={"error": f"{type(exc).__name__}: {str(exc)[:200]}"})
        return error_response(request, 503, "cache_unavailable",
                              f"the cache store ({container.cache.store.name}) is unreachable; entries removed before "
                              "it failed stay removed, retry to purge the rest", {"Retry-After": "10"})


@router.get("/audit")
def audit(request: Request, limit: int = Query(20, ge=1, le=1000), task: str | None = None) -> dict:
    return {"entries": request.app.state.container.audit.recent(limit, task)}
