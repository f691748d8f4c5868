"""Spend and cache visibility: hits and misses per task, tokens, cost, budget left (today, UTC).

A store that cannot be read (Redis down, a broken disk) is named under `unavailable` and its
figures are left out, rather than shown as zero or failing the whole page with a 500."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request

from service.api.auth import require
from service.cache.ledger import LedgerUnavailable, today

log = logging.getLogger("commerce_guard.api")

router = APIRouter(prefix="/v1", tags=["stats"], dependencies=[Depends(require("admin"))])


@router.get("/stats")
def stats(request: Request) -> dict:
    container = request.app.state.container
    unavailable: list[str] = []
    try:
        cache = container.cache.stats()
    except Exception as exc:  # noqa: BLE001  the cache store is down: the page still answers
        log.warning("cache stats unavailable", extra={"error": f"{type(exc).__name__}: {str(exc)[:200]}"})
        cache, unavailable = {}, ["cache"]
    try:
        spend = container.ledger.spend()
    except LedgerUnavailable:
        spend, unavailable = {}, [*unavailable, "ledger"]
    tasks = sorted(set(container.pipeline.specs) | set(cache) | set(spend))
    return {
        "day": today(),
        "unavailable": unavailable,
        "tasks": {task: _task(container, task, cache, spend, unavailable) for task in tasks},
    }


def _task(container, task: str, cache: dict, spend: dict, unavailable: list[str]) -> dict:
    ledger_ok = "ledger" not in unavailable
    return {
        "cache": None if "cache" in unavailable else {k: cache.get(task, {}).get(k, 0) for k in ("hit", "miss", "entries")},
        "usage": spend.get(task, {"prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0}) if ledger_ok else None,
        "budget_usd": container.settings.daily_budget_usd.get(task),
        "budget_left_usd": container.ledger.budget_left(task) if ledger_ok else None,
    }
