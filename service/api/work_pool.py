"""A bounded pool for the expensive part of a request: guard checks, and task requests
that missed the cache (generation + output guards).

Why: FastAPI runs sync routes in one 40-thread pool shared by every route, so a few
CPU-heavy guard checks made liveness probes and cache hits wait behind them. Here at
most ``workers`` jobs run at once and at most ``queue`` wait; a caller beyond that gets
429 with Retry-After at once instead of a growing queue. Cheap work (health, cache hits,
refusals) never enters the pool.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")

RETRY_AFTER_S = 1


class PoolFull(Exception):
    """Every worker is busy and the queue is full: the caller should retry later."""

    def __init__(self, running: int, queued: int, retry_after_s: int = RETRY_AFTER_S):
        self.retry_after_s = retry_after_s
        super().__init__(f"the server is busy with expensive requests ({running} running, {queued} queued, "
                         f"the queue is full); retry after {retry_after_s} s")


class WorkPool:
    def __init__(self, workers: int | None = None, queue: int = 32, name: str = "work"):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.queue = max(0, queue)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=f"cg-{name}")
        self._lock = threading.Lock()
        self._admitted = 0  # running + waiting

    @property
    def admitted(self) -> int:
        return self._admitted

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on a pool thread and await it; :class:`PoolFull` when there is no room."""
        with self._lock:
            if self._admitted >= self.workers + self.queue:
                running = min(self._admitted, self.workers)
                raise PoolFull(running, self._admitted - running)
            self._admitted += 1
        try:
            # The context travels along (request-scoped context variables, e.g. for logs).
            future = self._executor.submit(contextvars.copy_context().run, fn, *args, **kwargs)
        except BaseException:
            self._release()
            raise
        # The slot is freed when the work ends, not when the caller stops waiting (a client
        # that hung up does not make room while its work still runs).
        future.add_done_callback(lambda _: self._release())
        return await asyncio.wrap_future(future)

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
