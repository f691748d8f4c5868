"""The FastAPI app factory."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

import service
from service.api import errors
from service.api.rate_limits import RateLimits
from service.api.middleware import AccessLogAndMetrics, RequestIdAndLimits
from service.api.work_pool import WorkPool
from service.config import get_settings
from service.container import Container
from service.tasks.spec import load_specs


def create_app(container: Container | None = None) -> FastAPI:
    from service.api.routes import admin, feedback, guard, health, metrics, search, stats, tasks

    container = container or Container(get_settings())
    # A spec that names an unknown check or field stops the service here, not at a request.
    load_specs(prompts_dir=container.settings.prompts_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Before the first request: indexes loaded, evidence analysed. If Chroma is down the
        # service still starts, and /readyz says why it is not ready.
        try:
            app.state.warm_documents = container.warm_up()
        except Exception as exc:  # noqa: BLE001
            logging.getLogger("commerce_guard.api").error("warm-up failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            app.state.warm_documents = None
        yield

    # CG_API_DOCS: FastAPI's own docs routes are open to all, so only `public` keeps them.
    public_docs = container.settings.api_docs == "public"
    app = FastAPI(title="commerce-guard", version=service.__version__, lifespan=lifespan,
                  description="Guarded LLM/RAG service for commerce content: grounded, checked, cited.",
                  **({} if public_docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}))
    app.state.container = container
    app.state.rate_limits = RateLimits(container.settings.redis_url)  # shared by workers through Redis
    errors.install(app)
    # Added last = outermost. The access log wraps the body limit so that the 413s it answers
    # itself are logged and counted too; it reads the request id after the inner layers set it.
    app.add_middleware(RequestIdAndLimits, max_body_bytes=container.settings.max_body_bytes)
    app.add_middleware(AccessLogAndMetrics, metrics=container.metrics)
    # Guard checks and cache misses: bounded, so health checks and cache hits never queue behind them.
    app.state.work_pool = WorkPool(container.settings.work_pool_workers, container.settings.work_pool_queue)
    for module in (health, search, tasks, guard, stats, feedback, metrics, admin):
        app.include_router(module.router)
    if container.settings.api_docs == "key":
        from service.api.routes import docs

        app.include_router(docs.router)
    if container.settings.trusted_proxies:  # X-Forwarded-For is believed from these peers only
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=container.settings.trusted_proxies)
    return app
