"""Rate limits with the `limits` package: per API key, and per client address for failed logins.

With ``CG_REDIS_URL`` set the counters live in Redis, so every worker process and
replica draws from one budget (a key with 60/min gets 60/min in total, not 60 per
worker). Without Redis they live in this process's memory.

If Redis stops answering, the limits fall back to this process's memory for a few
seconds at a time and log a warning: a Redis outage weakens the limits to one
budget per process but never turns requests away by itself (fail-open, like the
cache). The moving-window strategy counts exactly N requests in any 60 s.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("commerce_guard.rate_limits")

REDIS_RETRY_S = 5.0  # after a Redis error, use memory this long before asking Redis again
REDIS_TIMEOUT_S = 0.5  # a limit check must never stall a request for long


def per_minute(amount: int) -> RateLimitItem:
    return RateLimitItemPerMinute(amount)


class RateLimits:
    """``hit`` counts one request and says how long to wait (0: allowed); ``wait`` only looks."""

    def __init__(self, redis_url: str | None = None, namespace: str = "cg"):
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._shared = None
        if redis_url:
            storage = storage_from_string(redis_url, key_prefix=f"{namespace}-limits", wrap_exceptions=True,
                                          socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)
            self._shared = MovingWindowRateLimiter(storage)
        self._redis_down_until = 0.0
        self._lock = threading.Lock()

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def hit(self, limit: RateLimitItem, *identifiers: str) -> float:
        return self._run(lambda lim: 0.0 if lim.hit(limit, *identifiers) else _wait(lim, limit, identifiers))

    def wait(self, limit: RateLimitItem, *identifiers: str) -> float:
        return self._run(lambda lim: 0.0 if lim.test(limit, *identifiers) else _wait(lim, limit, identifiers))

    def _run(self, check) -> float:
        if self._shared is not None and time.monotonic() >= self._redis_down_until:
            try:
                return check(self._shared)
            except Exception as exc:  # noqa: BLE001  StorageError or a redis error: degrade, never fail the request
                with self._lock:
                    self._redis_down_until = time.monotonic() + REDIS_RETRY_S
                log.warning("rate limits: Redis unavailable, using this process's own counters",
                            extra={"error": f"{type(exc).__name__}: {exc}", "retry_s": REDIS_RETRY_S})
        return check(self._memory)


def _wait(limiter: MovingWindowRateLimiter, limit: RateLimitItem, identifiers: tuple[str, ...]) -> float:
    """Seconds until the oldest counted request leaves the window (at least 1, for Retry-After)."""
    reset_time, _ = limiter.get_window_stats(limit, *identifiers)
    return float(max(1, math.ceil(reset_time - time.time())))
