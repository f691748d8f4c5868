"""Chroma access: embedded by default, a Chroma server when a URL is configured.

Each logical collection ("products") is served from one physical generation
("products__g1764312000123"). A registry collection maps logical names to the
live generation, so an ingest builds a new generation beside the old one and
then switches the registry in one write: readers never see a half-built index.

The replaced generation is retired, not dropped at once: a request that started
on it keeps reading it. Readers of this process pin the generations they read
(``Leases``), and a retired generation is dropped when its last reader lets go.
Readers in other processes (a Chroma server shared by `serve --workers N`, a batch
job) cannot be counted from here, so with a server the drop also waits
``grace_s`` seconds after the switch (each process re-reads the registry every
2 s). The drop time is written on the retired generation itself, so if the
retiring process exits first (a CLI ingest), the next ingest's sweep drops it.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, NotFoundError

from service.retrieval.errors import IndexUnavailable
from service.retrieval.store_owner import StoreBusy, claim

REGISTRY = "cg_registry"
GENERATION_SEP = "__g"
DROP_AFTER_KEY = "_drop_after"  # on a retired generation: epoch seconds after which any process may drop it
ABANDONED_BUILD_S = 3600.0  # with a server: a never-switched generation this old was left by a killed ingest

log = logging.getLogger("commerce_guard.retrieval")


def connect(persist_dir: str | None = None, url: str | None = None) -> ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if url:
        parsed = urlparse(url)
        try:
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=settings,
            )
        except ValueError as exc:  # chromadb's "Could not connect to a Chroma server"
            raise IndexUnavailable(f"Chroma server {url}: {exc}") from exc
    if persist_dir is None:
        raise ValueError("an embedded Chroma store needs a directory")
    try:
        claim(Path(persist_dir))  # before opening: opening alone rewrites the store's files
    except StoreBusy as exc:
        raise IndexUnavailable(str(exc)) from exc
    return chromadb.PersistentClient(path=persist_dir, settings=settings)


def unavailable_on_failure(method):
    """A Chroma server that went away mid-flight (connection refused, timeout, 5xx) or a
    generation dropped under a reader becomes IndexUnavailable: a clear 503, not a 500."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (httpx.TransportError, ChromaError) as exc:
            raise IndexUnavailable(f"Chroma: {type(exc).__name__}: {exc}") from exc

    return wrapper


class Leases:
    """Generations pinned by this process's readers, and retired ones waiting for them.

    ``pin`` fails only for a generation this process has already dropped (or is
    dropping), so a reader holding a pin can never lose its generation to us."""

    def __init__(self, drop):
        self._drop = drop
        self._lock = threading.Lock()
        self._pins: dict[str, int] = {}
        self._retired: dict[str, float] = {}  # physical -> monotonic time from which it may be dropped
        self._gone: set[str] = set()

    def pin(self, physical: str) -> bool:
        with self._lock:
            if physical in self._gone:
                return False
            self._pins[physical] = self._pins.get(physical, 0) + 1
            return True

    def unpin(self, physical: str) -> None:
        with self._lock:
            left = self._pins.get(physical, 1) - 1
            if left > 0:
                self._pins[physical] = left
            else:
                self._pins.pop(physical, None)
        self._drop_if_due(physical)

    def pinned(self, physical: str) -> bool:
        with self._lock:
            return physical in self._pins

    def retire(self, physical: str, grace_s: float) -> None:
        """Drop ``physical`` once no reader here holds it and ``grace_s`` has passed."""
        with self._lock:
            self._retired[physical] = time.monotonic() + grace_s
        if grace_s > 0:
            timer = threading.Timer(grace_s, self._drop_if_due, args=(physical, True))
            timer.daemon = True  # a process that exits first leaves it to the next ingest's sweep
            timer.start()
        else:
            self._drop_if_due(physical)

    def _drop_if_due(self, physical: str, timer: bool = False) -> None:
        with self._lock:
            due = self._retired.get(physical)
            if due is None or physical in self._pins or (not timer and time.monotonic() < due):
                return
            del self._retired[physical]
            self._gone.add(physical)  # from here on, pin() refuses it
        try:
            self._drop(physical)
        except Exception as exc:  # noqa: BLE001  Chroma down or already dropped: the next sweep retries
            log.warning("could not drop a retired generation", extra={"generation": physical, "error": str(exc)[:200]})


class ChromaStore:
    def __init__(self, client: ClientAPI, grace_s: float = 0.0):
        """``grace_s``: how long a replaced generation outlives the switch for readers in other
        processes (0 for the embedded store, which one process owns)."""
        self.client = client
        self.grace_s = grace_s
        self.leases = Leases(self._drop_quietly)

    @unavailable_on_failure
    def ping(self) -> None:
        self.client.heartbeat()

    # --- registry -------------------------------------------------------------
    def _registry(self) -> Collection:
        return self.client.get_or_create_collection(REGISTRY, embedding_function=None, metadata={"_": "registry"})

    def live_generations(self) -> dict[str, str]:
        metadata = self._registry().metadata or {}
        return {k: v for k, v in metadata.items() if k != "_"}

    def live(self, logical: str) -> Collection | None:
        physical = self.live_generations().get(logical)
        # Chroma passes no embedding function: we always send our own vectors.
        return self.client.get_collection(physical, embedding_function=None) if physical else None

    def switch(self, logical: str, physical: str) -> str | None:
        """Point ``logical`` at ``physical`` and retire the generation it replaced (returned).
        Call it only under the ingest lock: the registry is read, changed and written back."""
        registry = self._registry()
        metadata = dict(registry.metadata or {})
        previous = metadata.get(logical)
        if previous:  # marked before the switch: a crash in between leaves it live, never unmarked and dead
            self._mark_retired(previous)
        metadata[logical] = physical
        registry.modify(metadata=metadata)
        if previous:
            self.leases.retire(previous, self.grace_s)
        return previous

    def _mark_retired(self, physical: str) -> None:
        try:
            collection = self.client.get_collection(physical, embedding_function=None)
        except NotFoundError:
            return
        collection.modify(metadata={**(collection.metadata or {}), DROP_AFTER_KEY: time.time() + self.grace_s})

    # --- generations -----------------------------------------------------------
    def new_generation(self, logical: str, metadata: dict[str, Any]) -> Collection:
        name = f"{logical}{GENERATION_SEP}{time.time_ns() // 1_000_000}"
        return self.client.create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata
        )

    def drop(self, physical: str) -> None:
        self.client.delete_collection(physical)

    def _drop_quietly(self, physical: str) -> None:
        try:
            self.drop(physical)
        except NotFoundError:  # another process's sweep was first
            pass

    def drop_orphans(self, logical: str) -> list[str]:
        """Delete generations of ``logical`` that the registry does not point at and no reader
        may still hold: left by an ingest killed between building and switching (never live,
        never read), or retired and past their drop time (set by whichever process retired
        them). Call it only under the ingest lock."""
        live = self.live_generations().get(logical)
        now = time.time()
        dropped = []
        for c in self.client.list_collections():
            if not c.name.startswith(f"{logical}{GENERATION_SEP}") or c.name == live:
                continue
            drop_after = (c.metadata or {}).get(DROP_AFTER_KEY)
            if drop_after is None:  # never switched to: a build
                # Embedded (no grace period): this process holds the lock, nobody else builds. With a
                # server, a writer the lock does not cover (another host without Redis) may still be
                # building it: only an old one is surely abandoned.
                drop_after = now if self.grace_s == 0 else _created_s(c.name) + ABANDONED_BUILD_S
            if drop_after <= now and not self.leases.pinned(c.name):
                self._drop_quietly(c.name)
                dropped.append(c.name)
        return dropped


def _created_s(physical: str) -> float:
    """Creation time (epoch seconds) from a generation's name; 0 when the name carries none."""
    try:
        return int(physical.rsplit(GENERATION_SEP, 1)[1]) / 1000
    except (IndexError, ValueError):
        return 0.0
