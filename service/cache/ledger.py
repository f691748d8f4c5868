"""Token and cost accounting per task and UTC day, and the daily budgets.

Counters live in the cache store, so replicas sharing Redis share one ledger.
Cost is kept in micro-dollars because the stores count in integers.
"""

from __future__ import annotations

import datetime as dt

from service.cache.response_cache import degrade_to_miss
from service.cache.stores import CacheStore

MICRO = 1_000_000


def today() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")


class Ledger:
    def __init__(self, store: CacheStore, budgets: dict[str, float]):
        self.store = store
        self.budgets = budgets  # task -> USD per day; a task without one is unlimited

    @degrade_to_miss  # an unavailable store loses the count, never the request
    def record(self, task: str, prompt_tokens: int, completion_tokens: int, cost: float, day: str | None = None) -> None:
        if not (prompt_tokens or completion_tokens or cost):
            return
        prefix = f"spend|{day or today()}|{task}|"
        self.store.incr(prefix + "prompt_tokens", prompt_tokens)
        self.store.incr(prefix + "completion_tokens", completion_tokens)
        self.store.incr(prefix + "cost_micro", round(cost * MICRO))

    def day(self, day: str | None = None) -> dict[str, dict[str, float]]:
        totals: dict[str, dict[str, float]] = {}
        try:
            counters = self.store.counters(f"spend|{day or today()}|")
        except Exception:  # noqa: BLE001  unknown spend: budgets are not enforced meanwhile
            return totals
        for name, value in counters.items():
            _, _, task, field = name.split("|", 3)
            row = totals.setdefault(task, {"prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0})
            if field == "cost_micro":
                row["cost"] = value / MICRO
            else:
                row[field] = value
        return totals

    def budget_left(self, task: str, day: str | None = None) -> float | None:
        if task not in self.budgets:
            return None
        spent = self.day(day).get(task, {}).get("cost", 0.0)
        return self.budgets[task] - spent

    def over_budget(self, task: str) -> bool:
        left = self.budget_left(task)
        return left is not None and left <= 0
