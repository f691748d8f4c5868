"""Hybrid retrieval: Chroma dense search + two BM25 indexes, fused by score.

Candidates come from BM25 over Korean content morphemes, BM25 over character
bigrams (compounds, spacing, misspellings) and Chroma's dense search. Each
candidate's score is a weighted sum of the two BM25 scores (each divided by its
best score for the query) and the cosine similarity. On Korean, BM25 is the
strong signal and rank fusion with a weaker dense model lowered Recall@1
(STACK_NOTES, and bench/retrieval.py here), so the dense weight is small, and it
grows with the query's share of Latin letters because BM25 cannot match an
English query to Korean text.

Every hit also gets an evidence score in [0, 1] (query-term coverage and dense
similarity); when the best hit is below the threshold the result says
"insufficient evidence" instead of returning weak hits.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterator

import numpy as np
from chromadb.errors import NotFoundError

from service.nlp.korean import KoreanAnalyzer
from service.nlp.ngrams import char_bigrams, latin_share
from service.retrieval.bm25 import Bm25Index
from service.retrieval.embedder import Embedder
from service.retrieval.errors import IndexUnavailable
from service.retrieval.filters import Filters
from service.retrieval.ingest import HASH_KEY, TERMS_KEY, TITLE_KEY
from service.retrieval.store import ChromaStore, unavailable_on_failure

INTERNAL_KEYS = {HASH_KEY, TITLE_KEY, TERMS_KEY}
# USE cosines of unrelated Korean sentences sit around 0.1-0.2: dense evidence
# starts above that floor and is full at the ceiling.
DENSE_FLOOR, DENSE_CEILING = 0.2, 0.7
REGISTRY_TTL_S = 2.0
ANALYSED_QUERIES = 1024


@dataclass
class Hit:
    id: str
    collection: str
    score: float
    title: str
    text: str
    metadata: dict[str, Any]
    evidence: float = 0.0
    content_hash: str = ""


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    insufficient: bool = False
    reason: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class FusionWeights:
    bm25: float = 1.0
    bigram: float = 0.5
    dense: float = 0.5
    dense_latin_boost: float = 1.5  # added to the dense weight for an all-Latin query

    def dense_for(self, query: str) -> float:
        return self.dense + self.dense_latin_boost * latin_share(query)


class _CollectionIndex:
    """What one generation needs in memory. Search structures are built on first
    search: a batch that only fetches products by id never pays for them."""

    def __init__(self, physical: str, got: dict, collection):
        self.physical = physical
        self.collection = collection  # the Chroma handle, kept: fetching it costs a round trip
        self.ids: list[str] = got["ids"]
        self.texts: list[str] = got["documents"]
        self.metadatas: list[dict] = got["metadatas"]
        self.position = {doc_id: i for i, doc_id in enumerate(self.ids)}

    @cached_property
    def bm25(self) -> Bm25Index:
        return Bm25Index([m.get(TERMS_KEY, "").split() for m in self.metadatas])

    @cached_property
    def bigrams(self) -> Bm25Index:
        # Ranking uses bigrams of the raw words; the evidence score uses bigrams of
        # content morphemes only, where endings such as -나요 cannot make unrelated
        # texts look alike (measured in bench/retrieval.py).
        return Bm25Index([char_bigrams(f"{m.get(TITLE_KEY, '')} {t}") for m, t in zip(self.metadatas, self.texts)])

    @cached_property
    def content_bigrams(self) -> Bm25Index:
        return Bm25Index([char_bigrams(m.get(TERMS_KEY, "")) for m in self.metadatas])

    @cached_property
    def vectors(self) -> np.ndarray:
        """In memory so that every fused hit gets a cosine, not only dense candidates."""
        got = self.collection.get(ids=self.ids, include=["embeddings"]) if self.ids else {"ids": [], "embeddings": []}
        by_id = dict(zip(got["ids"], got["embeddings"]))
        return np.asarray([by_id[i] for i in self.ids], dtype=np.float32).reshape(len(self.ids), -1)


class HybridRetriever:
    def __init__(self, store: ChromaStore, embedder: Embedder, analyzer: KoreanAnalyzer,
                 weights: FusionWeights | None = None, candidates: int = 50, evidence_min: float = 0.35):
        self.store, self.embedder, self.analyzer = store, embedder, analyzer
        self.weights = weights or FusionWeights()
        self.candidates = candidates
        self.evidence_min = evidence_min
        self._indexes: dict[str, _CollectionIndex] = {}
        self._registry: dict[str, str] = {}
        self._registry_at = 0.0
        self._lock = threading.Lock()
        self._analysed: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()

    # --- loading ---------------------------------------------------------------
    @unavailable_on_failure
    def collections(self) -> dict[str, str]:
        """Logical -> live generation, re-read at most every REGISTRY_TTL_S."""
        with self._lock:
            if time.monotonic() - self._registry_at > REGISTRY_TTL_S:
                self._registry = self.store.live_generations()
                self._registry_at = time.monotonic()
            return dict(self._registry)

    @contextmanager
    def reading(self, logicals: list[str]) -> Iterator[dict[str, _CollectionIndex]]:
        """The live index of each collection that exists, its generation pinned until the
        block ends: a reindex meanwhile retires it but cannot drop it under this reader."""
        indexes: dict[str, _CollectionIndex] = {}
        try:
            for logical in dict.fromkeys(logicals):  # one pin per generation, released once
                index = self._pin(logical)
                if index is not None:
                    indexes[logical] = index
            yield indexes
        finally:
            for index in indexes.values():
                self.store.leases.unpin(index.physical)

    def _pin(self, logical: str) -> _CollectionIndex | None:
        for _ in range(2):  # a stale registry view can name a generation just dropped: re-read it once
            physical = self.collections().get(logical)
            if physical is None:
                return None
            if not self.store.leases.pin(physical):
                self.refresh()
                continue
            try:
                return self._load(logical, physical)
            except NotFoundError:  # dropped by another process (past its grace period)
                self.store.leases.unpin(physical)
                self.refresh()
            except BaseException:
                self.store.leases.unpin(physical)
                raise
        raise IndexUnavailable(f"collection {logical!r}: its generation changed while it was being opened")

    def _load(self, logical: str, physical: str) -> _CollectionIndex:
        with self._lock:
            index = self._indexes.get(logical)
            if index is None or index.physical != physical:
                collection = self.store.client.get_collection(physical, embedding_function=None)
                index = _CollectionIndex(physical, collection.get(include=["documents", "metadatas"]), collection)
                if physical == self._registry.get(logical):  # a late reader of an old one must not evict it
                    self._indexes[logical] = index
            return index

    def _analyse(self, query: str) -> tuple[list[str], np.ndarray]:
        """Morphemes and embedding of a query, memoised: a styling request searches
        the same text once per category, and popular questions come back all day."""
        with self._lock:
            cached = self._analysed.get(query)
            if cached is not None:
                self._analysed.move_to_end(query)
                return cached
        analysed = (self.analyzer.content_terms(query), self.embedder.embed([query])[0])
        with self._lock:
            self._analysed[query] = analysed
            if len(self._analysed) > ANALYSED_QUERIES:
                self._analysed.popitem(last=False)
        return analysed

    def refresh(self) -> None:
        with self._lock:
            self._registry_at = 0.0

    # --- lookups -----------------------------------------------------------------
    @unavailable_on_failure
    def documents(self, collection: str) -> list[tuple[str, str]]:
        """(id, text) of every live document of a collection (loads its index)."""
        with self.reading([collection]) as indexes:
            index = indexes.get(collection)
            return list(zip(index.ids, index.texts)) if index else []

    @unavailable_on_failure
    def get(self, collection: str, doc_id: str) -> Hit | None:
        with self.reading([collection]) as indexes:
            index = indexes.get(collection)
            if index is None or doc_id not in index.position:
                return None
            i = index.position[doc_id]
            return self._hit(collection, index, i, score=1.0, evidence=1.0)

    # --- search ------------------------------------------------------------------
    @unavailable_on_failure
    def search(self, query: str, collections: list[str], k: int = 5, filters: Filters | None = None,
               min_evidence: float | None = None) -> SearchResult:
        with self.reading(collections) as indexes:
            return self._search(indexes, query, k, filters or Filters(), min_evidence)

    def _search(self, indexes: dict[str, _CollectionIndex], query: str, k: int, filters: Filters,
                min_evidence: float | None) -> SearchResult:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        terms, vector = self._analyse(query)
        timings["encode"] = (time.perf_counter() - t0) * 1000

        t1 = time.perf_counter()
        grams, content_grams = char_bigrams(query), char_bigrams(" ".join(terms))
        candidates: dict[tuple[str, int], None] = {}
        lexical: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, index in indexes.items():
            lexical[name] = (index.bm25.scores(terms), index.bigrams.scores(grams))
            for scores in lexical[name]:
                for i in self._lexical_candidates(scores, index, filters):
                    candidates[(name, i)] = None
            for i in self._dense_candidates(index, vector, filters):
                candidates[(name, i)] = None
        timings["retrieve"] = (time.perf_counter() - t1) * 1000

        hits = self._fuse(indexes, lexical, list(candidates), query, terms, content_grams, vector)[:k]
        threshold = self.evidence_min if min_evidence is None else min_evidence
        result = SearchResult(query, hits, timings_ms=timings)
        if not hits:
            result.insufficient, result.reason = True, "no matching documents"
        elif hits[0].evidence < threshold:
            result.insufficient = True
            result.reason = f"best evidence score {hits[0].evidence:.2f} is below {threshold:.2f}"
            result.hits = []
        timings["total"] = (time.perf_counter() - t0) * 1000
        return result

    def _lexical_candidates(self, scores: np.ndarray, index: _CollectionIndex, filters: Filters) -> list[int]:
        out: list[int] = []
        for i in np.argsort(-scores, kind="stable"):
            if scores[i] <= 0 or len(out) >= self.candidates:
                break
            if filters.is_empty() or filters.matches(index.metadatas[i]):
                out.append(int(i))
        return out

    def _dense_candidates(self, index: _CollectionIndex, vector: np.ndarray, filters: Filters) -> list[int]:
        n = min(self.candidates, len(index.ids))
        if n == 0:
            return []
        got = index.collection.query(query_embeddings=[vector.tolist()], n_results=n, where=filters.to_where(), include=[])
        return [index.position[i] for i in got["ids"][0]]

    def _fuse(self, indexes, lexical, candidates, query, terms, content_grams, vector) -> list[Hit]:
        w = self.weights
        dense_weight = w.dense_for(query)
        morph = {key: float(lexical[key[0]][0][key[1]]) for key in candidates}
        bigram = {key: float(lexical[key[0]][1][key[1]]) for key in candidates}
        top_morph, top_bigram = max(morph.values(), default=0.0) or 1.0, max(bigram.values(), default=0.0) or 1.0
        hits = []
        for key in candidates:
            name, i = key
            index = indexes[name]
            cosine = float(index.vectors[i] @ vector)
            score = w.bm25 * morph[key] / top_morph + w.bigram * bigram[key] / top_bigram + dense_weight * cosine
            hit = self._hit(name, index, i, score, self._evidence(index, i, terms, content_grams, cosine))
            hits.append(hit)
        hits.sort(key=lambda h: -h.score)
        return hits

    @staticmethod
    def _evidence(index: _CollectionIndex, i: int, terms: list[str], content_grams: list[str], cosine: float) -> float:
        """How well one document covers the query, in [0, 1] (see evidence_min_score)."""
        lexical = max(index.bm25.coverage(terms, i), index.content_bigrams.coverage(content_grams, i))
        dense = (cosine - DENSE_FLOOR) / (DENSE_CEILING - DENSE_FLOOR)
        return max(lexical, min(1.0, max(dense, 0.0)))

    @staticmethod
    def _hit(name: str, index: _CollectionIndex, i: int, score: float, evidence: float) -> Hit:
        metadata = index.metadatas[i]
        return Hit(
            id=index.ids[i], collection=name, score=round(score, 6),
            title=metadata.get(TITLE_KEY, ""), text=index.texts[i],
            metadata={k: v for k, v in metadata.items() if k not in INTERNAL_KEYS},
            evidence=round(evidence, 4), content_hash=metadata.get(HASH_KEY, ""),
        )
