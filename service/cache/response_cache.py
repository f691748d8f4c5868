"""The response cache the pipeline uses: exact lookups, the semantic index for
paraphrased questions, and hit/miss counters per task.

The semantic index is keyed by prompt version, backend and the evidence
signature: a paraphrase is reused only when retrieval returned the very same
evidence set AND the question's embedding is close enough. Measured on labelled
pairs (bench/semantic_cache.py), that is not enough: look-alikes such as 출고 전
vs 출고 후 취소 share evidence and embed closer than true paraphrases, so no task
enables it by default.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import numpy as np

from service.cache.buffered_counters import BufferedCounters
from service.cache.stores import CacheStore

log = logging.getLogger("commerce_guard.cache")
SEMANTIC_PREFIX = "semantic|"


def degrade_to_miss(method):
    """A cache outage (Redis down, disk error) must cost speed, never a request:
    lookups miss and stores are skipped, with one log line each."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001  any store failure degrades the same way
            log.warning("cache unavailable", extra={"operation": method.__name__, "error": type(exc).__name__})
            return None

    return wrapper
MAX_NEIGHBOURS = 50  # questions remembered per evidence set


class ResponseCache:
    def __init__(self, store: CacheStore, semantic_threshold: float):
        self.store = store
        self.semantic_threshold = semantic_threshold
        self.counters = BufferedCounters(store)  # a store write per request was the hit path's tail

    @degrade_to_miss
    def get(self, key: str) -> dict[str, Any] | None:
        return self.store.get(key)

    @degrade_to_miss
    def put(self, key: str, envelope: dict[str, Any], ttl_s: int) -> None:
        self.store.set(key, envelope, ttl_s)

    # --- semantic -----------------------------------------------------------------
    @degrade_to_miss
    def semantic_get(self, task: str, signature: str, vector: np.ndarray) -> tuple[dict[str, Any], float] | None:
        index = self.store.get(f"{SEMANTIC_PREFIX}{task}|{signature}")
        if not index:
            return None
        vectors = np.asarray(index["vectors"], dtype=np.float32)
        scores = vectors @ vector
        best = int(np.argmax(scores))
        if scores[best] < self.semantic_threshold:
            return None
        envelope = self.store.get(index["keys"][best])
        return (envelope, float(scores[best])) if envelope else None

    @degrade_to_miss
    def semantic_put(self, task: str, signature: str, vector: np.ndarray, key: str, ttl_s: int) -> None:
        name = f"{SEMANTIC_PREFIX}{task}|{signature}"
        index = self.store.get(name) or {"vectors": [], "keys": []}
        if key in index["keys"]:
            return
        index["vectors"] = (index["vectors"] + [np.round(vector, 5).tolist()])[-MAX_NEIGHBOURS:]
        index["keys"] = (index["keys"] + [key])[-MAX_NEIGHBOURS:]
        self.store.set(name, index, ttl_s)

    # --- counters and admin ----------------------------------------------------------
    def count(self, task: str, outcome: str) -> None:
        self.counters.incr(f"cache|{task}|{outcome}")

    def stats(self) -> dict[str, dict[str, int]]:
        self.counters.flush()  # this process's latest counts first
        out: dict[str, dict[str, int]] = {}
        for name, value in self.store.counters("cache|").items():
            _, task, outcome = name.split("|", 2)
            out.setdefault(task, {})[outcome] = value
        entries: dict[str, int] = {}
        for key in self.store.keys():
            if not key.startswith(SEMANTIC_PREFIX):
                task = key.split("|", 1)[0]
                entries[task] = entries.get(task, 0) + 1
        for task, n in entries.items():
            out.setdefault(task, {})["entries"] = n
        return out

    def purge(self, task: str | None = None, prompt_version: str | None = None) -> int:
        removed = 0
        for key in list(self.store.keys()):
            parts = key.split("|")
            if key.startswith(SEMANTIC_PREFIX):
                parts = parts[1:]  # semantic|task|prompt version|backend|guard policy|evidence signature
            matches = (task is None or parts[0] == task) and (prompt_version is None or parts[1].startswith(prompt_version))
            if matches:
                self.store.delete(key)
                removed += 1
        return removed
