"""Two stores with one small interface: diskcache (default, safe across local
processes) and Redis (several replicas). Values are JSON-able dicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Protocol

from service.datafiles import private_file


class CacheStore(Protocol):
    name: str

    def get(self, key: str) -> dict[str, Any] | None: ...
    def set(self, key: str, value: dict[str, Any], ttl_s: int) -> None: ...
    def delete(self, key: str) -> None: ...
    def keys(self, prefix: str = "") -> Iterator[str]: ...
    def incr(self, counter: str, amount: int = 1) -> None: ...
    def counters(self, prefix: str = "") -> dict[str, int]: ...
    def ping(self) -> None: ...


class DiskCacheStore:
    name = "diskcache"

    def __init__(self, directory: Path):
        import diskcache

        # Owner-only: the databases are created 0600 here (diskcache then opens them), and the
        # 0700 directories cover the value files diskcache writes for large entries.
        private_file(Path(directory) / "cache.db")
        private_file(Path(directory) / "counters" / "cache.db")
        self._cache = diskcache.Cache(str(directory), size_limit=2**30, eviction_policy="least-recently-stored")
        self._counters = diskcache.Cache(str(Path(directory) / "counters"))

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._cache.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (TypeError, ValueError):
            self._cache.delete(key)  # a corrupted entry is dropped and recomputed, never served
            return None

    def set(self, key: str, value: dict[str, Any], ttl_s: int) -> None:
        self._cache.set(key, json.dumps(value, ensure_ascii=False), expire=ttl_s)

    def delete(self, key: str) -> None:
        self._cache.delete(key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        return (k for k in list(self._cache.iterkeys()) if isinstance(k, str) and k.startswith(prefix))

    def incr(self, counter: str, amount: int = 1) -> None:
        self._counters.incr(counter, amount, default=0)

    def counters(self, prefix: str = "") -> dict[str, int]:
        return {k: self._counters.get(k, 0) for k in self._counters.iterkeys() if k.startswith(prefix)}

    def ping(self) -> None:
        self._cache.get("__ping__")


class RedisStore:
    name = "redis"

    def __init__(self, url: str, namespace: str = "cg"):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._ns = namespace

    def _k(self, key: str) -> str:
        return f"{self._ns}:c:{key}"

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self._redis.get(self._k(key))
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (TypeError, ValueError):
            self._redis.delete(self._k(key))
            return None

    def set(self, key: str, value: dict[str, Any], ttl_s: int) -> None:
        self._redis.set(self._k(key), json.dumps(value, ensure_ascii=False), ex=ttl_s)

    def delete(self, key: str) -> None:
        self._redis.delete(self._k(key))

    def keys(self, prefix: str = "") -> Iterator[str]:
        start = len(self._k(""))
        for raw in self._redis.scan_iter(match=self._k(prefix) + "*", count=500):
            yield raw.decode()[start:]

    def incr(self, counter: str, amount: int = 1) -> None:
        self._redis.incrby(f"{self._ns}:n:{counter}", amount)

    def counters(self, prefix: str = "") -> dict[str, int]:
        start = len(f"{self._ns}:n:")
        names = list(self._redis.scan_iter(match=f"{self._ns}:n:{prefix}*", count=500))
        values = self._redis.mget(names) if names else []
        return {n.decode()[start:]: int(v or 0) for n, v in zip(names, values)}

    def ping(self) -> None:
        self._redis.ping()
