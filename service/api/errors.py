"""One error shape for every failure: {"error": {"code", "message", "request_id"}}.

Nothing escapes as a 500 with a traceback: unexpected exceptions are logged
with the request id and answered with a generic message.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.api.work_pool import PoolFull
from service.evidence import NotFound
from service.retrieval.loaders import RecordError
from service.retrieval.errors import IndexUnavailable
from service.pipeline import UnknownTask

log = logging.getLogger("commerce_guard.api")


def error_response(request: Request, status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    body = {"error": {"code": code, "message": message, "request_id": request_id}}
    return JSONResponse(body, status_code=status, headers=headers)


def _describe(errors: list[dict], body: object = None) -> str:
    bad_json = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if bad_json is not None:
        return _bad_json(bad_json, body)
    parts = []
    for err in errors[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        parts.append(f"{'.'.join(loc) or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


BODY_PARSE_ERROR = "There was an error parsing the body"  # FastAPI's detail (fastapi/routing.py)


def _not_json(request: Request, errors: list[dict]) -> bool:
    """A body sent without a JSON content type reaches the model as raw bytes: say so, rather
    than "body: Input should be a valid dictionary"."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    whole_body = any(tuple(e.get("loc", ())) == ("body",) for e in errors)
    return whole_body and request.method in ("POST", "PUT", "PATCH") and not media.endswith("json")


def _bad_json(error: dict, body: object) -> str:
    """What is wrong and where, e.g. "request body is not valid JSON: Expecting ',' delimiter at
    line 3, column 5" (FastAPI's own message was "17: JSON decode error")."""
    loc = error.get("loc") or ()
    pos = loc[-1] if loc and isinstance(loc[-1], int) else None
    what = (error.get("ctx") or {}).get("error") or "invalid JSON"
    if pos is None or not isinstance(body, str):
        return f"request body is not valid JSON: {what}"
    line = body.count("\n", 0, pos) + 1
    column = pos - (body.rfind("\n", 0, pos) + 1) + 1
    return f"request body is not valid JSON: {what} at line {line}, column {column}"


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if _not_json(request, exc.errors()):
            return error_response(request, 422, "invalid_request",
                                  "the request body must be a JSON object sent with Content-Type: application/json")
        return error_response(request, 422, "invalid_request", _describe(exc.errors(), exc.body))

    @app.exception_handler(PoolFull)
    async def _busy(request: Request, exc: PoolFull):
        return error_response(request, 429, "busy", str(exc), {"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(ValidationError)
    async def _invalid_model(request: Request, exc: ValidationError):
        return error_response(request, 422, "invalid_request", _describe(exc.errors()))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return error_response(request, 404, "not_found", str(exc))

    @app.exception_handler(RecordError)
    async def _bad_knowledge(request: Request, exc: RecordError):
        return error_response(request, 422, "invalid_knowledge", str(exc))

    @app.exception_handler(IndexUnavailable)
    async def _no_index(request: Request, exc: IndexUnavailable):
        # No evidence, no answer: a clear 503, the details (paths, pids) in the log and /readyz only.
        log.error("index unavailable", extra={"request_id": getattr(request.state, "request_id", None),
                                              "error": str(exc)[:300]})
        return error_response(request, 503, "index_unavailable",
                              "the knowledge index is unavailable; retry later (GET /readyz names the reason)",
                              {"Retry-After": "5"})

    @app.exception_handler(UnknownTask)
    async def _unknown_task(request: Request, exc: UnknownTask):
        return error_response(request, 404, "unknown_task", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:
            # FastAPI's 400 for a body it could not decode at all: not UTF-8, or JSON nested
            # deeper than the parser allows. Same code as any other invalid body.
            return error_response(request, 422, "invalid_request",
                                  "request body is not valid JSON: it is not UTF-8 text or is nested too deeply")
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                413: "payload_too_large", 422: "invalid_request", 429: "rate_limited"}.get(exc.status_code, "http_error")
        return error_response(request, exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error", extra={"request_id": getattr(request.state, "request_id", None)})
        return error_response(request, 500, "internal_error", "internal error; the request id identifies it in the logs")
