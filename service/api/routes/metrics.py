"""Prometheus exposition."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.api.auth import require

router = APIRouter(tags=["observability"])


# Its own scope: a scraper gets a key that can read metrics and nothing else (admin holds it too).
@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require("metrics"))])
def metrics(request: Request) -> Response:
    container = request.app.state.container
    container.metrics.observe_breaker(container.llm)
    return Response(generate_latest(container.metrics.registry), media_type=CONTENT_TYPE_LATEST)
