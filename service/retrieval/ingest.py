"""Idempotent, atomic ingest of documents into Chroma generations.

For each collection: diff the new documents against the live generation by id
and content hash, then build a new generation (unchanged vectors copied, new
and changed documents embedded), switch the registry to it, and retire the old
one (store.py: dropped once no reader holds it). Nothing changed means nothing is
written.

One ingest at a time per index, across processes (``ingest_lock``): with Redis
configured (CG_REDIS_URL) a Redis lock, which covers every host; otherwise a file
lock in the data dir, which covers the processes of one host that share that data
dir. Without the lock, two ingests read, change and write back the same registry
and can point a collection at a generation the other one dropped.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from service.nlp.korean import KoreanAnalyzer
from service.retrieval.document import Document
from service.retrieval.embedder import Embedder
from service.retrieval.errors import IndexUnavailable
from service.retrieval.store import ChromaStore

BATCH = 128
HASH_KEY, TITLE_KEY, TERMS_KEY = "_hash", "_title", "_terms"

Progress = Callable[[int], None]


@dataclass
class IngestSummary:
    collection: str
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    generation: str | None = None
    to_embed: int = field(default=0, repr=False)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


def plan(store: ChromaStore, embedder: Embedder, collection: str, docs: list[Document]) -> tuple[IngestSummary, set[str]]:
    """Compare with the live generation; returns the summary and the ids to re-embed."""
    live = store.live(collection)
    old_hashes: dict[str, str] = {}
    if live is not None and (live.metadata or {}).get("embedder") == embedder.name:
        got = live.get(include=["metadatas"])
        old_hashes = {i: m.get(HASH_KEY, "") for i, m in zip(got["ids"], got["metadatas"])}
    elif live is not None:
        old_hashes = {i: "" for i in live.get(include=[])["ids"]}  # other embedder: all re-embedded
    new_ids = {d.id for d in docs}
    summary = IngestSummary(collection)
    to_embed: set[str] = set()
    for doc in docs:
        if doc.id not in old_hashes:
            summary.added += 1
            to_embed.add(doc.id)
        elif old_hashes[doc.id] != doc.content_hash:
            summary.updated += 1
            to_embed.add(doc.id)
        else:
            summary.unchanged += 1
    summary.deleted = len(set(old_hashes) - new_ids)
    summary.to_embed = len(to_embed)
    summary.generation = live.name if live is not None else None
    return summary, to_embed


def apply(
    store: ChromaStore,
    embedder: Embedder,
    analyzer: KoreanAnalyzer,
    collection: str,
    docs: list[Document],
    summary: IngestSummary,
    to_embed: set[str],
    progress: Progress = lambda n: None,
) -> IngestSummary:
    """Build the new generation and switch to it (only when something changed)."""
    if not summary.changed and summary.generation is not None:
        return summary
    live = store.live(collection)
    generation = store.new_generation(collection, {"embedder": embedder.name, "documents": len(docs)})
    try:
        fresh = [d for d in docs if d.id in to_embed]
        kept = [d for d in docs if d.id not in to_embed]
        for chunk in _chunks(kept, BATCH):
            vectors = live.get(ids=[d.id for d in chunk], include=["embeddings", "metadatas"])
            by_id = dict(zip(vectors["ids"], vectors["embeddings"]))
            terms = {i: m[TERMS_KEY] for i, m in zip(vectors["ids"], vectors["metadatas"])}
            _add(generation, chunk, [by_id[d.id] for d in chunk], [terms[d.id] for d in chunk])
        for chunk in _chunks(fresh, BATCH):
            vectors = embedder.embed([_embedding_text(d) for d in chunk])
            terms = [" ".join(t) for t in analyzer.content_terms_many([f"{d.title}\n{d.text}" for d in chunk])]
            _add(generation, chunk, vectors, terms)
            progress(len(chunk))
    except BaseException:
        store.drop(generation.name)  # a failed build leaves the live index untouched
        raise
    store.switch(collection, generation.name)  # retires the previous generation
    summary.generation = generation.name
    return summary


EMBED_CHARS = 120


def _embedding_text(doc: Document) -> str:
    """The title and the opening of the text: they carry a document's identity,
    BM25 covers the details, and USE's cost grows with length (bench/retrieval.py)."""
    return f"{doc.title}\n{doc.text}"[:EMBED_CHARS]


def _add(generation, docs: list[Document], vectors, terms: list[str]) -> None:
    metadatas = [
        {**d.metadata, HASH_KEY: d.content_hash, TITLE_KEY: d.title, TERMS_KEY: t}
        for d, t in zip(docs, terms)
    ]
    generation.add(ids=[d.id for d in docs], embeddings=vectors, documents=[d.text for d in docs], metadatas=metadatas)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def group_by_collection(docs: Iterable[Document]) -> dict[str, list[Document]]:
    grouped: dict[str, list[Document]] = {}
    for doc in docs:
        grouped.setdefault(doc.collection, []).append(doc)
    return grouped


WAIT_S = 600.0  # how long a command-line ingest waits for another one to finish
LOCK_LEASE_S = 60.0  # a Redis lock outlives a killed holder by at most this long

log = logging.getLogger("commerce_guard.retrieval")


class IngestBusy(IndexUnavailable):
    """Another ingest holds the lock of this index (HTTP: 409; command line: exit code 5)."""


@contextmanager
def ingest_lock(settings, wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold the ingest lock of this index for the block; IngestBusy after ``wait_s`` seconds."""
    holder = f"pid {os.getpid()} on {socket.gethostname()}: {' '.join(Path(a).name for a in sys.argv[:3])}"
    if settings.redis_url:
        with _redis_lock(settings, wait_s, holder):
            yield
    else:
        with _file_lock(Path(settings.data_dir), wait_s, holder):
            yield


class IngestLockUnavailable(IndexUnavailable):
    """The lock that serialises ingests (Redis) cannot be reached; the index itself is fine."""


def _busy(holder: str | None) -> IngestBusy:
    return IngestBusy(f"another ingest is running on this index{f' ({holder})' if holder else ''}; "
                      "retry when it has finished")


@contextmanager
def _file_lock(data_dir: Path, wait_s: float, holder: str) -> Iterator[None]:
    from filelock import FileLock, Timeout

    data_dir.mkdir(parents=True, exist_ok=True)
    note = data_dir / "ingest.lock.holder"
    try:
        lock = FileLock(str(data_dir / "ingest.lock")).acquire(timeout=wait_s)
    except Timeout:
        raise _busy(_read(note)) from None
    with lock:  # released by the kernel if this process dies
        note.write_text(holder, encoding="utf-8")
        yield


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


@contextmanager
def _redis_lock(settings, wait_s: float, holder: str) -> Iterator[None]:
    """redis-py's Lock with a lease renewed while the ingest runs: a killed holder's lock
    expires after LOCK_LEASE_S instead of blocking every later ingest."""
    import redis

    # One lock per index: the Chroma server's address, or the embedded store's directory.
    name = f"cg:ingest-lock:{settings.chroma_url or Path(settings.chroma_dir).resolve()}"
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=10)
    lock = client.lock(name, timeout=LOCK_LEASE_S, blocking_timeout=wait_s, thread_local=False)
    try:
        acquired = lock.acquire(blocking=wait_s > 0)
        if not acquired:
            raise _busy(_decode(client.get(f"{name}:holder")))
        client.set(f"{name}:holder", holder, ex=int(LOCK_LEASE_S))
    except redis.RedisError as exc:
        raise IngestLockUnavailable(f"the ingest lock in Redis (CG_REDIS_URL) is unreachable ({type(exc).__name__}); "
                                    "nothing was reindexed: retry when Redis answers") from exc
    done = threading.Event()

    def renew() -> None:
        while not done.wait(LOCK_LEASE_S / 3):
            try:
                lock.reacquire()
                client.expire(f"{name}:holder", int(LOCK_LEASE_S))
            except redis.RedisError as exc:  # the next renewal may work; the lease covers a gap
                log.warning("could not renew the ingest lock", extra={"error": str(exc)[:200]})

    renewer = threading.Thread(target=renew, name="ingest-lock-renewal", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        done.set()
        renewer.join()
        try:
            client.delete(f"{name}:holder")
            lock.release()
        except redis.RedisError as exc:  # expired or Redis gone: the lease ends it anyway
            log.warning("could not release the ingest lock", extra={"error": str(exc)[:200]})


def _decode(value) -> str | None:
    return value.decode("utf-8", "replace") if value else None


def run_ingest(container, sources, show_progress: bool = True, wait_s: float = WAIT_S) -> list[IngestSummary]:
    """Validate every source first (all or nothing), then update each collection, holding the
    ingest lock (waiting up to ``wait_s`` seconds for another ingest, else IngestBusy)."""
    from tqdm import tqdm

    docs: list[Document] = []
    for source in sources:
        docs += source.load()
    grouped = group_by_collection(docs)
    for source in sources:  # a collection whose files are now empty is emptied, not skipped
        grouped.setdefault(source.collection, [])
    store = container.store
    with ingest_lock(container.settings, wait_s):
        for name in grouped:  # killed builds, and retired generations past their drop time
            store.drop_orphans(name)
        plans = {name: plan(store, container.embedder, name, items) for name, items in grouped.items()}
        total = sum(p[0].to_embed for p in plans.values())
        summaries = []
        with tqdm(total=total, desc="embedding", unit="doc", disable=not show_progress or total == 0) as bar:
            for name, (summary, to_embed) in plans.items():
                summaries.append(apply(store, container.embedder, container.analyzer, name, grouped[name], summary,
                                       to_embed, bar.update))
                container.retriever.refresh()  # this process's new requests read the new generation at once
    return summaries
