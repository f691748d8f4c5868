"""Spend and cache visibility: hits and misses per task, tokens, cost, budget left (today, UTC)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from service.api.auth import require
from service.cache.ledger import today

router = APIRouter(prefix="/v1", tags=["stats"], dependencies=[Depends(require("admin"))])


@router.get("/stats")
def stats(request: Request) -> dict:
    container = request.app.state.container
    cache = container.cache.stats()
    spend = container.ledger.day()
    tasks = sorted(set(container.pipeline.specs) | set(cache) | set(spend))
    return {
        "day": today(),
        "tasks": {
            task: {
                "cache": {k: cache.get(task, {}).get(k, 0) for k in ("hit", "miss", "entries")},
                "usage": spend.get(task, {"prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0}),
                "budget_usd": container.settings.daily_budget_usd.get(task),
                "budget_left_usd": container.ledger.budget_left(task),
            }
            for task in tasks
        },
    }
