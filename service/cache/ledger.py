"""Token and cost accounting per task and UTC day, and the daily budgets.

Counters live in the cache store, so replicas sharing Redis share one ledger.
Cost is kept in micro-dollars because the stores count in integers.

A store outage must not switch budgets off: a budget check that cannot read the
day's spend refuses the LLM (``fail_closed``, the default; CG_BUDGET_FAIL_CLOSED),
and the request is served by the offline composer, flagged "budget unknown: ledger
unavailable". Spend that could not be written is kept in memory and written with
the next record, so an outage delays counts instead of losing them.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter

from service.cache.stores import CacheStore

MICRO = 1_000_000
OVER_BUDGET = "daily budget exceeded"
BUDGET_UNKNOWN = "budget unknown: ledger unavailable"

log = logging.getLogger("commerce_guard.ledger")


class LedgerUnavailable(RuntimeError):
    """The store holding the day's spend could not be read."""


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")


class Ledger:
    def __init__(self, store: CacheStore, budgets: dict[str, float], fail_closed: bool = True):
        self.store = store
        self.budgets = budgets  # task -> USD per day; a task without one is unlimited
        self.fail_closed = fail_closed
        self._unwritten: Counter[str] = Counter()  # counter name -> amount the store has not taken yet
        self._lock = threading.Lock()

    def record(self, task: str, prompt_tokens: int, completion_tokens: int, cost: float, day: str | None = None) -> None:
        """Add spend; never raises (a store outage keeps the amounts for the next write)."""
        prefix = f"spend|{day or today()}|{task}|"
        with self._lock:
            for field, amount in (("prompt_tokens", prompt_tokens), ("completion_tokens", completion_tokens),
                                  ("cost_micro", round(cost * MICRO))):
                if amount:
                    self._unwritten[prefix + field] += amount
            pending = list(self._unwritten.items())
            for name, amount in pending:  # each counter leaves the buffer only once the store has it
                try:
                    self.store.incr(name, amount)
                except Exception as exc:  # noqa: BLE001  Redis down, disk error
                    log.warning("ledger not written; kept for the next write",
                                extra={"error": type(exc).__name__, "pending": len(self._unwritten)})
                    return
                del self._unwritten[name]

    def spend(self, day: str | None = None) -> dict[str, dict[str, float]]:
        """The day's spend per task; LedgerUnavailable when the store cannot be read."""
        try:
            counters = self.store.counters(f"spend|{day or today()}|")
        except Exception as exc:  # noqa: BLE001
            raise LedgerUnavailable(f"{type(exc).__name__}: {exc}") from exc
        totals: dict[str, dict[str, float]] = {}
        for name, value in counters.items():
            _, _, task, field = name.split("|", 3)
            row = totals.setdefault(task, {"prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0})
            if field == "cost_micro":
                row["cost"] = value / MICRO
            else:
                row[field] = value
        return totals

    def day(self, day: str | None = None) -> dict[str, dict[str, float]]:
        """For display (stats, the CLI): the day's spend, empty while the store is unreadable."""
        try:
            return self.spend(day)
        except LedgerUnavailable as exc:
            log.warning("ledger unavailable", extra={"error": str(exc)[:200]})
            return {}

    def budget_left(self, task: str, day: str | None = None) -> float | None:
        """USD left today (None: no budget, or the ledger cannot be read)."""
        if task not in self.budgets:
            return None
        try:
            spent = self.spend(day).get(task, {}).get("cost", 0.0)
        except LedgerUnavailable:
            return None
        return self.budgets[task] - spent

    def budget_refusal(self, task: str) -> str | None:
        """Why ``task`` may not call the LLM now, or None. Unknown spend refuses when fail_closed."""
        if task not in self.budgets:
            return None
        try:
            spent = self.spend().get(task, {}).get("cost", 0.0)
        except LedgerUnavailable as exc:
            log.warning("budget check could not read the ledger",
                        extra={"task": task, "fail_closed": self.fail_closed, "error": str(exc)[:200]})
            return BUDGET_UNKNOWN if self.fail_closed else None
        return OVER_BUDGET if self.budgets[task] - spent <= 0 else None

    def over_budget(self, task: str) -> bool:
        return self.budget_refusal(task) is not None
