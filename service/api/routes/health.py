"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict:
    # async: answered on the event loop, never queued behind sync routes in the thread pool.
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    container = request.app.state.container
    checks: dict[str, str] = {}
    try:
        container.store.ping()  # the registry is memoised: ask Chroma itself
        live = container.retriever.collections()
        checks["index"] = "ok" if live else "empty: run `commerce-guard ingest`"
    except Exception as exc:  # readiness reports, it never raises
        checks["index"] = f"unavailable: {type(exc).__name__}: {exc}"
    try:
        container.cache.store.ping()
        checks["cache"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["cache"] = f"unavailable ({container.settings.redis_url and 'redis' or 'diskcache'}): {type(exc).__name__}: {exc}"
    llm = container.llm
    if llm is None:
        checks["backend"] = "ok"  # the offline composer is always usable
    else:
        checks["backend"] = "ok" if llm.healthy() else "ok (circuit open: serving the offline composer)"
    ready = all(v.startswith("ok") for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
