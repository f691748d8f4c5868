"""Prometheus exposition."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["observability"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    container = request.app.state.container
    container.metrics.observe_breaker(container.llm)
    return Response(generate_latest(container.metrics.registry), media_type=CONTENT_TYPE_LATEST)
