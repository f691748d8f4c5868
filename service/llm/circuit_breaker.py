"""A small thread-safe circuit breaker: stop calling an endpoint that keeps failing.

closed --N consecutive failures--> open --cool-down--> half_open
half_open lets one probe through: success -> closed, failure -> open again.
No library for this is installed in the venv, and this is short enough to own.
With CG_REDIS_URL the state lives in Redis (SharedCircuitBreaker below), so all workers
and replicas see an endpoint as open together.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]
log = logging.getLogger("commerce_guard.llm")


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 5,
        reset_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_timeout_s < 0:
            raise ValueError("failure_threshold must be >= 1 and reset_timeout_s >= 0")
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None  # set while open or half-open
        self._probe_started: float | None = None  # set while a half-open probe is in flight

    def _state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_timeout_s:
            return "half_open"  # the transition is lazy: time alone moves open -> half_open
        return "open"

    @property
    def state(self) -> State:
        with self._lock:
            return self._state()

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    def retry_after(self) -> float:
        """Seconds until the next probe is allowed (0 when calls may go through)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self._opened_at + self.reset_timeout_s - self._clock())

    def allow(self) -> bool:
        """Ask before each call. In half_open only one caller gets the probe."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "open":
                return False
            now = self._clock()
            # A probe whose outcome was never recorded must not wedge the breaker forever.
            if self._probe_started is None or now - self._probe_started >= self.reset_timeout_s:
                self._probe_started = now
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probe_started = None

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._probe_started = None
            # A failed probe re-opens at once; in closed state only the threshold does.
            if self._opened_at is not None or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()


# --- shared across processes ------------------------------------------------------------
# One hash per endpoint in Redis: failures, opened_at, probe_started (wall-clock seconds, so
# that every worker and replica reads the same state). Each transition is one Lua script,
# atomic in Redis, with the same rules as CircuitBreaker above.
_ALLOW = """
local opened = tonumber(redis.call('HGET', KEYS[1], 'opened_at'))
if not opened then return 1 end
local now, reset = tonumber(ARGV[1]), tonumber(ARGV[2])
if now - opened < reset then return 0 end
local probe = tonumber(redis.call('HGET', KEYS[1], 'probe_started'))
if (not probe) or now - probe >= reset then
  redis.call('HSET', KEYS[1], 'probe_started', ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
"""
_FAILURE = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HDEL', KEYS[1], 'probe_started')
if redis.call('HEXISTS', KEYS[1], 'opened_at') == 1 or failures >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'opened_at', ARGV[1])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return failures
"""
STATE_TTL_S = 86_400  # an endpoint nobody called for a day starts closed again
REDIS_RETRY_S = 5.0  # after a Redis error, the local state decides for this long before Redis is tried again


class SharedCircuitBreaker:
    """The breaker's state in Redis, so every worker and replica sees an endpoint as open
    at once. If Redis fails, this process falls back to its own CircuitBreaker (kept up to
    date all along with this process's outcomes) and says so in the log; Redis is tried
    again after REDIS_RETRY_S."""

    def __init__(self, redis_client, key: str, failure_threshold: int = 5, reset_timeout_s: float = 30.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.local = CircuitBreaker(failure_threshold, reset_timeout_s, clock=clock)
        self.failure_threshold, self.reset_timeout_s = failure_threshold, reset_timeout_s
        self._redis, self._key, self._clock = redis_client, key, clock
        self._allow = redis_client.register_script(_ALLOW)
        self._failure = redis_client.register_script(_FAILURE)
        self._down_until = 0.0  # monotonic time until which Redis is not tried

    @classmethod
    def from_url(cls, url: str, endpoint: str, **options) -> "SharedCircuitBreaker":
        import hashlib

        import redis

        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        key = "cg:breaker:" + hashlib.sha256(endpoint.encode()).hexdigest()[:16]
        return cls(client, key, **options)

    # --- the CircuitBreaker interface
    @property
    def state(self) -> State:
        fields = self._shared(lambda: self._redis.hmget(self._key, "opened_at"))
        if fields is None:
            return self.local.state
        opened = _float(fields[0])
        if opened is None:
            return "closed"
        return "half_open" if self._clock() - opened >= self.reset_timeout_s else "open"

    @property
    def consecutive_failures(self) -> int:
        found = self._shared(lambda: self._redis.hget(self._key, "failures") or b"0")
        return self.local.consecutive_failures if found is None else int(_float(found) or 0)

    def retry_after(self) -> float:
        fields = self._shared(lambda: self._redis.hmget(self._key, "opened_at"))
        if fields is None:
            return self.local.retry_after()
        opened = _float(fields[0])
        return 0.0 if opened is None else max(0.0, opened + self.reset_timeout_s - self._clock())

    def allow(self) -> bool:
        allowed = self._shared(lambda: self._allow(keys=[self._key],
                                                   args=[repr(self._clock()), self.reset_timeout_s, STATE_TTL_S]))
        return self.local.allow() if allowed is None else bool(allowed)

    def record_success(self) -> None:
        self.local.record_success()
        self._shared(lambda: self._redis.delete(self._key))

    def record_failure(self) -> None:
        self.local.record_failure()
        self._shared(lambda: self._failure(keys=[self._key],
                                           args=[repr(self._clock()), self.failure_threshold, STATE_TTL_S]))

    # --- internals
    def _shared(self, op: Callable[[], object]):
        """op()'s result, or None when Redis is unavailable (the caller then uses the local state)."""
        if time.monotonic() < self._down_until:
            return None
        try:
            return op()
        except Exception as exc:  # noqa: BLE001  redis.RedisError, OSError: the local state decides
            self._down_until = time.monotonic() + REDIS_RETRY_S
            log.warning("circuit breaker state unavailable in Redis; using this process's state for %.0f s",
                        REDIS_RETRY_S, extra={"error": type(exc).__name__})
            return None


def _float(raw) -> float | None:
    return None if raw is None else float(raw)


def make_breaker(failure_threshold: int, reset_timeout_s: float, redis_url: str | None = None,
                 endpoint: str = "") -> "CircuitBreaker | SharedCircuitBreaker":
    """Shared through Redis when it is configured (several workers, several replicas), else in memory."""
    if redis_url:
        return SharedCircuitBreaker.from_url(redis_url, endpoint, failure_threshold=failure_threshold,
                                             reset_timeout_s=reset_timeout_s)
    return CircuitBreaker(failure_threshold, reset_timeout_s)
