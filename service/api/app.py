"""The FastAPI app factory."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

import service
from service.api import errors
from service.api.auth import RateLimiter
from service.api.middleware import AccessLogAndMetrics, RequestIdAndLimits
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

    app = FastAPI(title="commerce-guard", version=service.__version__, lifespan=lifespan,
                  description="Guarded LLM/RAG service for commerce content: grounded, checked, cited.")
    app.state.container = container
    app.state.rate_limiter = RateLimiter()
    errors.install(app)
    # Added last = outermost: the request id exists before the access log reads it.
    app.add_middleware(AccessLogAndMetrics, metrics=container.metrics)
    app.add_middleware(RequestIdAndLimits, max_body_bytes=container.settings.max_body_bytes)
    for module in (health, search, tasks, guard, stats, feedback, metrics, admin):
        app.include_router(module.router)
    return app
