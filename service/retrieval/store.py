"""Chroma access: embedded by default, a Chroma server when a URL is configured.

Each logical collection ("products") is served from one physical generation
("products__g1764312000123"). A registry collection maps logical names to the
live generation, so an ingest builds a new generation beside the old one and
then switches the registry in one write: readers never see a half-built index.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError

from service.retrieval.errors import IndexUnavailable
from service.retrieval.store_owner import StoreBusy, claim

REGISTRY = "cg_registry"
GENERATION_SEP = "__g"


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


class ChromaStore:
    def __init__(self, client: ClientAPI):
        self.client = client

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
        """Point ``logical`` at ``physical``; returns the generation it replaced."""
        registry = self._registry()
        metadata = dict(registry.metadata or {})
        previous = metadata.get(logical)
        metadata[logical] = physical
        registry.modify(metadata=metadata)
        return previous

    # --- generations -----------------------------------------------------------
    def new_generation(self, logical: str, metadata: dict[str, Any]) -> Collection:
        name = f"{logical}{GENERATION_SEP}{time.time_ns() // 1_000_000}"
        return self.client.create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata
        )

    def drop(self, physical: str) -> None:
        self.client.delete_collection(physical)

    def drop_orphans(self, logical: str) -> list[str]:
        """Delete generations of ``logical`` that the registry does not point at: left by
        an ingest killed between building and switching. Call it only under the ingest lock."""
        live = self.live_generations().get(logical)
        orphans = [
            c.name for c in self.client.list_collections()
            if c.name.startswith(f"{logical}{GENERATION_SEP}") and c.name != live
        ]
        for name in orphans:
            self.drop(name)
        return orphans
