"""A small thread-safe circuit breaker: stop calling an endpoint that keeps failing.

closed --N consecutive failures--> open --cool-down--> half_open
half_open lets one probe through: success -> closed, failure -> open again.
No library for this is installed in the venv, and this is short enough to own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half_open"]


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
