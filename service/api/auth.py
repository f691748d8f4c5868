"""Access control: scoped API keys, per-key rate limits, and the local default.

With no key created yet, the service answers loopback clients only (the first
`make serve` just works and is still closed to the network). Once a key exists,
every request needs one: `Authorization: Bearer <key>` or `X-API-Key: <key>`.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per key: ``rate_per_minute`` requests, bursts up to that many."""

    def __init__(self, clock=time.monotonic):
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def retry_after(self, name: str, rate_per_minute: int) -> float:
        """0 when the request may pass (and is counted), else seconds to wait."""
        now, rate = self._clock(), rate_per_minute / 60.0
        with self._lock:
            bucket = self._buckets.setdefault(name, _Bucket(float(rate_per_minute), now))
            bucket.tokens = min(float(rate_per_minute), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / rate


def require(scope: str):
    """A FastAPI dependency: the caller must hold ``scope`` (admin holds every scope)."""

    def check(request: Request) -> str:
        container = request.app.state.container
        if container.settings.auth_mode == "off":
            return "anonymous"
        keys = container.api_keys
        secret = _presented(request)
        if not keys.load() and container.settings.auth_mode == "auto":
            host = request.client.host if request.client else ""
            if host in LOOPBACK and secret is None:
                return "local"
            raise HTTPException(401, "no API keys exist yet: only loopback clients are served; "
                                     "create one with `commerce-guard keys create --name NAME --scope cs`",
                                headers={"WWW-Authenticate": "Bearer"})
        if secret is None:
            raise HTTPException(401, "missing API key (Authorization: Bearer <key> or X-API-Key)",
                                headers={"WWW-Authenticate": "Bearer"})
        key = keys.find(secret)
        if key is None:
            raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
        if scope not in key.scopes and "admin" not in key.scopes:
            raise HTTPException(403, f"API key {key.name!r} lacks the {scope!r} scope")
        wait = request.app.state.rate_limiter.retry_after(key.name, key.rate_per_minute)
        if wait:
            raise HTTPException(429, f"rate limit of {key.rate_per_minute}/min exceeded",
                                headers={"Retry-After": str(math.ceil(wait))})
        return key.name

    return check


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None
