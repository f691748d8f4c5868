"""A fake OpenAI-compatible HTTP server, scriptable per test.

Real HTTP on 127.0.0.1 (OS-assigned port) so the real ``openai`` client, its
httpx transport, timeouts and connection errors are all exercised. Serves
/v1/chat/completions (also streaming, as server-sent events without usage, like
llama.cpp), /v1/models, /v1/files and /v1/batches.

``like_llama_cpp()`` imitates what llama-cpp-python's server was measured to do
(STACK_NOTES): HTTP 500 for ``json_schema``, ``json_object`` with an optional
``schema``, ``/extras/tokenize/count``, 400 when prompt + max_tokens exceed n_ctx.

Scripting: every chat completion (over HTTP, or one line of a batch) takes the
next queued item from ``script(...)``, or ``default`` when the queue is empty.
An item is a behaviour (Reply, HTTPError, EmptyChoices, RawBody), a str/dict/list
(shorthand for Reply(content)), or a callable ``body -> item`` for content built
from the request.

    with FakeOpenAI() as fake:
        fake.script(HTTPError(429, retry_after=0.1), Reply({"answer": "yes"}))
        client = openai.OpenAI(base_url=fake.base_url, api_key="x")
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

Content = Union[str, dict, list, None, Callable[[dict], Union[str, dict, list, None]]]


@dataclass(frozen=True)
class Reply:
    """A 200 chat completion. ``content`` may be a function of the request body."""

    content: Content = "ok"
    latency_s: float = 0.0
    finish_reason: str = "stop"
    usage: bool = True  # False: omit the usage block, as some servers do
    model: str | None = None  # default: echo the requested model


@dataclass(frozen=True)
class HTTPError:
    """An error status with an OpenAI-style error body (429, 500, 503, 400, 401...)."""

    status: int = 500
    message: str = "fake server error"
    retry_after: float | str | None = None  # Retry-After header value, seconds or an HTTP date
    latency_s: float = 0.0


@dataclass(frozen=True)
class EmptyChoices:
    """A 200 completion whose ``choices`` list is empty."""

    latency_s: float = 0.0


@dataclass(frozen=True)
class RawBody:
    """Any status and body, verbatim: for bodies the client cannot parse."""

    body: str
    status: int = 200
    content_type: str = "application/json"
    latency_s: float = 0.0


Behaviour = Union[Reply, HTTPError, EmptyChoices, RawBody]
ScriptItem = Union[Behaviour, str, dict, list, Callable[[dict], Any]]


def echo() -> Reply:
    """Reply with the content of the last message."""
    return Reply(lambda body: _text(body.get("messages", [{}])[-1].get("content")))


def malformed_json() -> Reply:
    return Reply('{"answer": "yes", "citations": [p1')


def truncated_json(obj: Any) -> Reply:
    """Valid JSON cut in half, as a model stopped by max_tokens produces."""
    text = json.dumps(obj, ensure_ascii=False)
    return Reply(text[: max(1, len(text) // 2)], finish_reason="length")


def estimate_tokens(text: str) -> int:
    # Words for spaced text, chars/4 for unspaced (Korean, JSON): plausible, not exact.
    return max(len(text.split()), math.ceil(len(text) / 4)) if text else 0


def like_llama_cpp(**options: Any) -> "FakeOpenAI":
    """A fake that answers like llama-cpp-python's server 0.3.x with n_ctx 4096."""
    options.setdefault("formats", frozenset({"json_object", "json_object_schema"}))
    options.setdefault("tokenizer", True)
    options.setdefault("context_tokens", 4096)
    return FakeOpenAI(**options)


def _text(content: Any) -> str:
    if content is None:
        return ""
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


@dataclass
class _File:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def public(self) -> dict:
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


@dataclass
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict | None
    created_at: int
    status: str = "validating"
    polls: int = 0
    times: dict[str, int] = field(default_factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: dict | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"total": 0, "completed": 0, "failed": 0})

    def public(self) -> dict:
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "errors": self.errors,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "expires_at": self.created_at + 86400,
            **{f"{k}_at": v for k, v in self.times.items()},
            "request_counts": dict(self.counts),
            "metadata": self.metadata,
        }


class FakeOpenAI:
    def __init__(
        self,
        default: ScriptItem = "ok",
        *,
        model: str = "fake-model",
        batch_polls_to_complete: int = 2,
        formats: frozenset[str] | None = None,
        tokenizer: bool = False,
        context_tokens: int | None = None,
    ) -> None:
        """batch_polls_to_complete: retrieves until a batch completes (2: validating ->
        in_progress -> completed; 1: validating -> completed; 0: completed at create)."""
        self.model = model
        self.batch_polls_to_complete = batch_polls_to_complete
        self.formats = formats  # accepted response_format types; None: all
        self.tokenizer = tokenizer
        self.context_tokens = context_tokens
        self._default: ScriptItem = default
        self._queue: deque[ScriptItem] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.requests: list[dict] = []  # chat completion bodies received over HTTP
        self.batch_requests: list[dict] = []  # chat bodies taken from batch input lines
        self.log: list[tuple[str, str]] = []  # (method, path) of every HTTP request
        self.files: dict[str, _File] = {}
        self.batches: dict[str, _Batch] = {}
        self.app = self._build_app()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.port: int | None = None

    # --- scripting -----------------------------------------------------------
    def script(self, *items: ScriptItem) -> None:
        """Queue behaviours, consumed one per chat completion."""
        with self._lock:
            self._queue.extend(items)

    def set_default(self, item: ScriptItem) -> None:
        with self._lock:
            self._default = item

    def reset(self) -> None:
        """Forget scripts and recordings (for a fake shared across tests)."""
        with self._lock:
            self._queue.clear()
            self._default = "ok"
            self.requests.clear()
            self.batch_requests.clear()
            self.log.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def _next(self, body: dict) -> Behaviour:
        with self._lock:
            item = self._queue.popleft() if self._queue else self._default
        while not isinstance(item, (Reply, HTTPError, EmptyChoices, RawBody)):
            if callable(item):
                item = item(body)
            else:
                item = Reply(item)
        return item

    # --- lifecycle -----------------------------------------------------------
    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeOpenAI is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def start(self, timeout_s: float = 5.0) -> FakeOpenAI:
        if self._server is not None:
            raise RuntimeError("already started")
        # Bind here and hand the socket over: the port is known before serving, no race.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._stopping = False
        config = uvicorn.Config(
            self._asgi,
            interface="asgi3",
            log_config=None,  # leave the process's logging alone
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=0.5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"fake-openai-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("fake OpenAI server failed to start")
            time.sleep(0.005)
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Hard stop: in-flight requests (e.g. a scripted latency) are cancelled, not awaited.
        Idempotent. Afterwards the port refuses connections (a dead endpoint)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping = True
        server.should_exit = True
        server.force_exit = True  # skip waiting for open connections and running handlers
        thread.join(timeout_s)
        if thread.is_alive():
            raise RuntimeError("fake OpenAI server thread did not stop")
        self._server = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- responses -----------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self._ids):06d}"

    def _completion(self, body: dict, behaviour: Reply | EmptyChoices) -> dict:
        prompt = "\n".join(_text(m.get("content")) for m in body.get("messages", []) if isinstance(m, dict))
        out: dict[str, Any] = {
            "id": self._new_id("chatcmpl"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "system_fingerprint": "fake",
            "choices": [],
        }
        text = ""
        if isinstance(behaviour, Reply):
            content = behaviour.content(body) if callable(behaviour.content) else behaviour.content
            text = _text(content)
            out["model"] = behaviour.model or out["model"]
            out["choices"] = [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": behaviour.finish_reason,
                    "logprobs": None,
                }
            ]
            if not behaviour.usage:
                return out
        prompt_tokens, completion_tokens = estimate_tokens(prompt), estimate_tokens(text)
        out["usage"] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        return out

    def _respond(self, body: dict, behaviour: Behaviour) -> tuple[int, Any, dict[str, str]]:
        """(status, body, headers) for one chat completion; shared by HTTP and batch lines."""
        if isinstance(behaviour, HTTPError):
            headers = {} if behaviour.retry_after is None else {"retry-after": str(behaviour.retry_after)}
            return behaviour.status, _error(behaviour.message, behaviour.status), headers
        if isinstance(behaviour, RawBody):
            return behaviour.status, behaviour.body, {"content-type": behaviour.content_type}
        return 200, self._completion(body, behaviour), {}

    # --- app -----------------------------------------------------------------
    def _build_app(self) -> FastAPI:
        app = FastAPI(title="fake-openai", openapi_url=None, docs_url=None, redoc_url=None)

        @app.get("/v1/models")
        async def models() -> dict:
            return {
                "object": "list",
                "data": [{"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}],
            }

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            try:
                body = await request.json()
            except ValueError:
                return JSONResponse(_error("body is not JSON", 400), status_code=400)
            with self._lock:
                self.requests.append(body)
            refused = self._refusal(body)
            if refused is not None:
                return refused
            behaviour = self._next(body)
            if body.get("stream") and isinstance(behaviour, Reply):
                return StreamingResponse(self._stream(body, behaviour), media_type="text/event-stream")
            if behaviour.latency_s > 0:
                await asyncio.sleep(behaviour.latency_s)  # cancellable, so stop() stays quick
            status, payload, headers = self._respond(body, behaviour)
            if isinstance(payload, str):
                return Response(payload, status_code=status, headers=headers)
            return JSONResponse(payload, status_code=status, headers=headers)

        @app.post("/extras/tokenize/count")
        async def tokenize_count(request: Request) -> Response:
            if not self.tokenizer:
                return JSONResponse({"detail": "Not Found"}, status_code=404)
            body = await request.json()
            return JSONResponse({"count": estimate_tokens(str(body.get("input", "")))})

        @app.post("/v1/files")
        async def upload(request: Request) -> Response:
            fields = _parse_multipart(request.headers.get("content-type", ""), await request.body())
            if "file" not in fields:
                return JSONResponse(_error("missing multipart field 'file'", 400), status_code=400)
            filename, content = fields["file"]
            purpose = fields.get("purpose", ("", b"batch"))[1].decode()
            file = _File(self._new_id("file"), filename or "upload.jsonl", purpose, content, int(time.time()))
            with self._lock:
                self.files[file.id] = file
            return JSONResponse(file.public())

        @app.get("/v1/files/{file_id}")
        async def file_meta(file_id: str) -> Response:
            file = self.files.get(file_id)
            if file is None:
                return JSONResponse(_error(f"no file {file_id}", 404), status_code=404)
            return JSONResponse(file.public())

        @app.get("/v1/files/{file_id}/content")
        async def file_content(file_id: str) -> Response:
            file = self.files.get(file_id)
            if file is None:
                return JSONResponse(_error(f"no file {file_id}", 404), status_code=404)
            return Response(file.content, media_type="application/octet-stream")

        @app.post("/v1/batches")
        async def create_batch(request: Request) -> Response:
            body = await request.json()
            if body.get("input_file_id") not in self.files:
                return JSONResponse(_error("unknown input_file_id", 404), status_code=404)
            if body.get("endpoint") != "/v1/chat/completions":
                return JSONResponse(_error("the fake only batches /v1/chat/completions", 400), status_code=400)
            batch = _Batch(
                id=self._new_id("batch"),
                input_file_id=body["input_file_id"],
                endpoint=body["endpoint"],
                completion_window=body.get("completion_window", "24h"),
                metadata=body.get("metadata"),
                created_at=int(time.time()),
            )
            batch.counts["total"] = sum(1 for x in self.files[batch.input_file_id].content.splitlines() if x.strip())
            with self._lock:
                self.batches[batch.id] = batch
            if self.batch_polls_to_complete <= 0:
                self._finish_batch(batch)
            return JSONResponse(batch.public())

        @app.get("/v1/batches")
        async def list_batches() -> dict:
            return {"object": "list", "data": [b.public() for b in self.batches.values()], "has_more": False}

        @app.get("/v1/batches/{batch_id}")
        async def get_batch(batch_id: str) -> Response:
            batch = self.batches.get(batch_id)
            if batch is None:
                return JSONResponse(_error(f"no batch {batch_id}", 404), status_code=404)
            if batch.status in ("validating", "in_progress"):
                batch.polls += 1
                if batch.polls >= self.batch_polls_to_complete:
                    self._finish_batch(batch)
                else:
                    batch.status = "in_progress"
                    batch.times.setdefault("in_progress", int(time.time()))
            return JSONResponse(batch.public())

        @app.post("/v1/batches/{batch_id}/cancel")
        async def cancel_batch(batch_id: str) -> Response:
            batch = self.batches.get(batch_id)
            if batch is None:
                return JSONResponse(_error(f"no batch {batch_id}", 404), status_code=404)
            if batch.status not in ("validating", "in_progress"):
                return JSONResponse(_error(f"batch is {batch.status}", 409), status_code=409)
            batch.status = "cancelled"
            batch.times["cancelled"] = int(time.time())
            return JSONResponse(batch.public())

        return app

    def _refusal(self, body: dict) -> Response | None:
        fmt = body.get("response_format") or {}
        kind = fmt.get("type")
        if kind == "json_object" and "schema" in fmt:
            kind = "json_object_schema"
        if kind and kind != "text" and self.formats is not None and kind not in self.formats:
            return JSONResponse(_error(f"Input should be 'text' or 'json_object', got {fmt.get('type')!r}", 500),
                                status_code=500)
        if self.context_tokens is not None:
            prompt = "\n".join(_text(m.get("content")) for m in body.get("messages", []) if isinstance(m, dict))
            needed = estimate_tokens(prompt) + int(body.get("max_tokens") or 0)
            if needed > self.context_tokens:
                return JSONResponse(_error(f"Requested tokens ({needed}) exceed context window of "
                                           f"{self.context_tokens}", 400), status_code=400)
        return None

    async def _stream(self, body: dict, behaviour: Reply):
        """Server-sent chunks of a few characters each, then [DONE]; no usage (llama.cpp sends none)."""
        content = behaviour.content(body) if callable(behaviour.content) else behaviour.content
        text = _text(content)
        base = {"id": self._new_id("chatcmpl"), "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body.get("model") or self.model}
        pieces = [text[i:i + 3] for i in range(0, len(text), 3)]
        delay = behaviour.latency_s / max(1, len(pieces))
        first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
        yield f"data: {json.dumps(first, ensure_ascii=False)}\n\n"
        for piece in pieces:
            if delay:
                await asyncio.sleep(delay)
            chunk = {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"
        last = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": behaviour.finish_reason}]}
        yield f"data: {json.dumps(last, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"

    async def _asgi(self, scope: dict, receive: Callable, send: Callable) -> None:
        """The app as served: records every request and ends cancelled ones quietly."""
        if scope["type"] == "http":
            with self._lock:
                self.log.append((scope["method"], scope["path"]))
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # stop() cancelled an in-flight request (e.g. a scripted latency): end it like a
            # killed server would, instead of uvicorn logging a traceback per request.

    def _finish_batch(self, batch: _Batch) -> None:
        """Run every input line through the script; scripted latency is not applied."""
        now = int(time.time())
        try:
            lines = [json.loads(line) for line in self.files[batch.input_file_id].content.decode().splitlines() if line.strip()]
            if not all(isinstance(x, dict) and "custom_id" in x and isinstance(x.get("body"), dict) for x in lines):
                raise ValueError("each line needs custom_id and a body object")
        except ValueError as exc:
            batch.status, batch.times["failed"] = "failed", now
            batch.errors = {"object": "list", "data": [{"code": "invalid_input", "message": str(exc), "line": None}]}
            return
        ok: list[str] = []
        failed: list[str] = []
        for line in lines:
            body = line["body"]
            with self._lock:
                self.batch_requests.append(body)
            status, payload, _ = self._respond(body, self._next(body))
            if isinstance(payload, str):
                try:
                    payload = json.loads(payload)
                except ValueError:
                    pass  # keep the raw text: a malformed body is what the test asked for
            record = {
                "id": self._new_id("batch_req"),
                "custom_id": line["custom_id"],
                "response": {"status_code": status, "request_id": self._new_id("req"), "body": payload},
                "error": None,
            }
            (ok if status == 200 else failed).append(json.dumps(record, ensure_ascii=False))
        batch.output_file_id = self._store_output(ok, "batch_output.jsonl")
        batch.error_file_id = self._store_output(failed, "batch_errors.jsonl") if failed else None
        batch.counts = {"total": len(lines), "completed": len(ok), "failed": len(failed)}
        batch.times.setdefault("in_progress", now)
        batch.times.update(finalizing=now, completed=now)
        batch.status = "completed"

    def _store_output(self, lines: list[str], filename: str) -> str:
        content = "".join(line + "\n" for line in lines).encode()
        file = _File(self._new_id("file"), filename, "batch_output", content, int(time.time()))
        with self._lock:
            self.files[file.id] = file
        return file.id


def _error(message: str, status: int) -> dict:
    kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error"}
    return {"error": {"message": message, "type": kind.get(status, "server_error"), "param": None, "code": None}}


_DISPOSITION_PARAM = re.compile(r'(\w+)="([^"]*)"')


def _parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, bytes). Hand-rolled: python-multipart is not installed."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return {}
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in body.split(b"--" + match.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break  # closing delimiter
        head, _, data = part.partition(b"\r\n\r\n")
        params: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if line.lower().startswith("content-disposition:"):
                params = dict(_DISPOSITION_PARAM.findall(line))
        if "name" in params:
            fields[params["name"]] = (params.get("filename"), data.removesuffix(b"\r\n"))
    return fields
