"""Idempotent, atomic ingest of documents into Chroma generations.

For each collection: diff the new documents against the live generation by id
and content hash, then build a new generation (unchanged vectors copied, new
and changed documents embedded), switch the registry to it, and drop the old
one. Nothing changed means nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from service.nlp.korean import KoreanAnalyzer
from service.retrieval.document import Document
from service.retrieval.embedder import Embedder
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
    previous = store.switch(collection, generation.name)
    if previous:
        store.drop(previous)
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


def run_ingest(container, sources, show_progress: bool = True) -> list[IngestSummary]:
    """Validate every source first (all or nothing), then update each collection."""
    from contextlib import nullcontext

    from filelock import FileLock
    from tqdm import tqdm

    docs: list[Document] = []
    for source in sources:
        docs += source.load()
    grouped = group_by_collection(docs)
    for source in sources:  # a collection whose files are now empty is emptied, not skipped
        grouped.setdefault(source.collection, [])
    settings = container.settings
    lock = nullcontext() if settings.chroma_url else FileLock(str(settings.data_dir / "ingest.lock"))
    with lock:
        if not settings.chroma_url:  # a server may be shared: there the lock does not cover other writers
            for name in grouped:
                container.store.drop_orphans(name)
        plans = {name: plan(container.store, container.embedder, name, items) for name, items in grouped.items()}
        total = sum(p[0].to_embed for p in plans.values())
        with tqdm(total=total, desc="embedding", unit="doc", disable=not show_progress or total == 0) as bar:
            summaries = [
                apply(container.store, container.embedder, container.analyzer, name, grouped[name], summary, to_embed, bar.update)
                for name, (summary, to_embed) in plans.items()
            ]
    container.retriever.refresh()
    return summaries
