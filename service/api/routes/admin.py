"""Admin operations over HTTP: reindex, cache purge, audit log (scope: admin)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from service.api.auth import require

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(require("admin"))])


@router.post("/reindex", responses={409: {"description": "another ingest is running on this index"}})
def reindex(request: Request):
    """Re-ingest the knowledge base (idempotent; only changed documents are re-embedded). Requests
    keep being answered meanwhile; a reindex while another ingest runs is refused with 409."""
    from service.api.errors import error_response
    from service.retrieval.ingest import IngestBusy, run_ingest
    from service.retrieval.loaders import default_sources

    container = request.app.state.container
    try:  # no waiting inside an HTTP request: the caller retries
        summaries = run_ingest(container, default_sources(container.settings.knowledge_dir), show_progress=False,
                               wait_s=0)
    except IngestBusy as exc:
        return error_response(request, 409, "reindex_running", str(exc), {"Retry-After": "10"})
    warmed = container.warm_up()
    return {"collections": [{"collection": s.collection, "added": s.added, "updated": s.updated,
                             "deleted": s.deleted, "unchanged": s.unchanged} for s in summaries],
            "documents_warmed": warmed}


class PurgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str | None = Field(None, examples=["summary"])
    prompt_version: str | None = Field(None, examples=["summary-v1"])


@router.post("/cache/purge")
def purge(body: PurgeRequest, request: Request) -> dict:
    container = request.app.state.container
    if body.task is not None:
        container.pipeline.spec(body.task)  # unknown task -> 404 with the known ones
    return {"removed": container.cache.purge(task=body.task, prompt_version=body.prompt_version)}


@router.get("/audit")
def audit(request: Request, limit: int = Query(20, ge=1, le=1000), task: str | None = None) -> dict:
    return {"entries": request.app.state.container.audit.recent(limit, task)}
