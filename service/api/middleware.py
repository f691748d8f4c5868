"""Request ids and body-size limits (pure ASGI, so streaming bodies are counted too)."""

from __future__ import annotations

import json
import re
import uuid

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.guards.pii import find_pii

REQUEST_ID_HEADER = "x-request-id"
VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def accepted_request_id(given: str) -> str | None:
    """A client's x-request-id, if it is safe to echo into logs, audit and feedback: 1-64 characters
    of [A-Za-z0-9._-] (CS tools send short ids such as "req-1"), not all digits (01055557777,
    9001011234567) and no personal data (hong.kim-010-5555-7777, a-900101.1234567). Anything else
    is replaced by an id of our own."""
    if not VALID_ID.match(given) or given.isdigit() or find_pii(given):
        return None
    return given


class RequestIdAndLimits:
    def __init__(self, app: ASGIApp, max_body_bytes: int = 64 * 1024):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = accepted_request_id(given) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _too_large(send, request_id, self.max_body_bytes)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge(self.max_body_bytes)
            return message

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_id(message)

        try:
            await self.app(scope, limited_receive, send_tracked)
        except _BodyTooLarge:
            # Read outside FastAPI's body parsing (e.g. by a streaming reader): answer here if we still can.
            if started:
                raise
            await _too_large(send, request_id, self.max_body_bytes)


class _BodyTooLarge(HTTPException):
    """Raised by the body reader. An HTTPException, because FastAPI turns any other error
    raised while it reads the body into a 400 ("There was an error parsing the body"): a
    chunked body (no Content-Length) over the limit got 400 instead of 413."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=_too_large_message(limit))


def _too_large_message(limit: int) -> str:
    return f"request body exceeds {limit} bytes"


async def _too_large(send: Send, request_id: str, limit: int) -> None:
    body = json.dumps({"error": {"code": "payload_too_large", "message": _too_large_message(limit),
                                 "request_id": request_id}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (REQUEST_ID_HEADER.encode(), request_id.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class AccessLogAndMetrics:
    """One JSON log line and the HTTP metrics per request (route template, not raw path)."""

    def __init__(self, app: ASGIApp, metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import logging
        import time

        start, status = time.perf_counter(), 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.http_requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.http_latency.labels(route).observe(elapsed)
            logging.getLogger("commerce_guard.access").info(
                "request", extra={"request_id": scope.get("state", {}).get("request_id"), "method": scope["method"],
                                  "route": route, "status": status, "duration_ms": round(elapsed * 1000, 2)})
