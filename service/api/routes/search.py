"""Evidence search over the knowledge index (what the pipeline retrieves from)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from service.api.auth import require
from service.retrieval.filters import Filters

router = APIRouter(prefix="/v1", tags=["search"], dependencies=[Depends(require("content"))])


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=500, examples=["린넨 셔츠 세탁 방법"])
    collections: list[str] | None = Field(None, max_length=10, examples=[["products", "faq"]])
    k: int = Field(5, ge=1, le=50)
    filters: Filters = Field(default_factory=Filters)


@router.post("/search")
def search(body: SearchRequest, request: Request) -> dict:
    retriever = request.app.state.container.retriever
    known = sorted(retriever.collections())
    unknown = [name for name in body.collections or [] if name not in known]
    if unknown:  # an unknown name used to answer 200 with no hits, as if nothing matched
        raise HTTPException(status_code=422, detail=f"collections: unknown collection {', '.join(map(repr, unknown))}; "
                                                    f"known: {', '.join(known) or 'none (run `commerce-guard ingest`)'}")
    names = body.collections or known
    result = retriever.search(body.query, names, k=body.k, filters=body.filters)
    return {
        "query": body.query,
        "insufficient_evidence": result.insufficient,
        "reason": result.reason,
        "hits": [
            {"id": h.id, "collection": h.collection, "score": h.score, "evidence": h.evidence,
             "title": h.title, "text": h.text, "metadata": {k: v for k, v in h.metadata.items() if k != "record"}}
            for h in result.hits
        ],
        "timings_ms": result.timings_ms,
    }
