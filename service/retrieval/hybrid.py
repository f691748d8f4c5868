"""Hybrid retrieval: Chroma dense search + Korean BM25, fused by weighted RRF.

On Korean, BM25 over content morphemes is the stronger retriever and an
equal-weight fusion with a weaker dense model lowers Recall@1 (STACK_NOTES), so
the weights come from settings and were chosen by bench/retrieval.py.

Every hit also gets an evidence score in [0, 1] (query-term coverage and dense
similarity); when the best hit is below the threshold the result says
"insufficient evidence" instead of returning weak hits.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.nlp.korean import KoreanAnalyzer
from service.retrieval.bm25 import Bm25Index
from service.retrieval.embedder import Embedder
from service.retrieval.filters import Filters
from service.retrieval.ingest import HASH_KEY, TERMS_KEY, TITLE_KEY
from service.retrieval.store import ChromaStore

INTERNAL_KEYS = {HASH_KEY, TITLE_KEY, TERMS_KEY}
REGISTRY_TTL_S = 2.0


@dataclass
class Hit:
    id: str
    collection: str
    score: float
    title: str
    text: str
    metadata: dict[str, Any]
    evidence: float = 0.0
    bm25_rank: int | None = None
    dense_rank: int | None = None
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
    dense: float = 0.5
    rrf_k: int = 60


class _CollectionIndex:
    """What one generation needs in memory for BM25 and hit assembly."""

    def __init__(self, physical: str, got: dict):
        self.physical = physical
        self.ids: list[str] = got["ids"]
        self.texts: list[str] = got["documents"]
        self.metadatas: list[dict] = got["metadatas"]
        self.position = {doc_id: i for i, doc_id in enumerate(self.ids)}
        # Kept in memory so every fused hit gets a cosine, not only dense candidates.
        self.vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(self.ids), -1)
        self.bm25 = Bm25Index([m.get(TERMS_KEY, "").split() for m in self.metadatas])


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

    # --- loading ---------------------------------------------------------------
    def collections(self) -> dict[str, str]:
        """Logical -> live generation, re-read at most every REGISTRY_TTL_S."""
        with self._lock:
            if time.monotonic() - self._registry_at > REGISTRY_TTL_S:
                self._registry = self.store.live_generations()
                self._registry_at = time.monotonic()
            return dict(self._registry)

    def _index(self, logical: str) -> _CollectionIndex | None:
        physical = self.collections().get(logical)
        if physical is None:
            return None
        with self._lock:
            index = self._indexes.get(logical)
            if index is None or index.physical != physical:
                collection = self.store.client.get_collection(physical, embedding_function=None)
                index = _CollectionIndex(physical, collection.get(include=["documents", "metadatas", "embeddings"]))
                self._indexes[logical] = index
            return index

    def refresh(self) -> None:
        with self._lock:
            self._registry_at = 0.0

    # --- lookups -----------------------------------------------------------------
    def get(self, collection: str, doc_id: str) -> Hit | None:
        index = self._index(collection)
        if index is None or doc_id not in index.position:
            return None
        i = index.position[doc_id]
        return self._hit(collection, index, i, score=1.0, evidence=1.0)

    # --- search ------------------------------------------------------------------
    def search(self, query: str, collections: list[str], k: int = 5, filters: Filters | None = None,
               min_evidence: float | None = None) -> SearchResult:
        filters = filters or Filters()
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        terms = self.analyzer.content_terms(query)
        vector = self.embedder.embed([query])[0]
        timings["encode"] = (time.perf_counter() - t0) * 1000

        t1 = time.perf_counter()
        bm25_ranked, dense_ranked = [], []
        indexes = {name: idx for name in collections if (idx := self._index(name)) is not None}
        for name, index in indexes.items():
            bm25_ranked += self._bm25_candidates(name, index, terms, filters)
            dense_ranked += self._dense_candidates(name, index, vector, filters)
        timings["retrieve"] = (time.perf_counter() - t1) * 1000

        hits = self._fuse(indexes, terms, vector, bm25_ranked, dense_ranked)[:k]
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

    def _bm25_candidates(self, name, index, terms, filters) -> list[tuple[tuple[str, int], float]]:
        scores = index.bm25.scores(terms)
        order = np.argsort(-scores, kind="stable")
        out = []
        for i in order:
            if scores[i] <= 0 or len(out) >= self.candidates:
                break
            if filters.is_empty() or filters.matches(index.metadatas[i]):
                out.append(((name, int(i)), float(scores[i])))
        return out

    def _dense_candidates(self, name, index, vector, filters) -> list[tuple[tuple[str, int], float]]:
        n = min(self.candidates, len(index.ids))
        if n == 0:
            return []
        collection = self.store.client.get_collection(index.physical, embedding_function=None)
        got = collection.query(query_embeddings=[vector.tolist()], n_results=n, where=filters.to_where(), include=["distances"])
        return [((name, index.position[i]), 1.0 - d) for i, d in zip(got["ids"][0], got["distances"][0])]

    def _fuse(self, indexes, terms, vector, bm25_ranked, dense_ranked) -> list[Hit]:
        w = self.weights
        fused: dict[tuple[str, int], float] = {}
        ranks: dict[tuple[str, int], dict[str, int]] = {}
        for label, ranked, weight in (("bm25", bm25_ranked, w.bm25), ("dense", dense_ranked, w.dense)):
            # Scores from different collections are comparable enough to rank together.
            for rank, (key, _score) in enumerate(sorted(ranked, key=lambda kv: -kv[1]), start=1):
                fused[key] = fused.get(key, 0.0) + weight / (w.rrf_k + rank)
                ranks.setdefault(key, {})[label] = rank
        hits = []
        for key, score in sorted(fused.items(), key=lambda kv: -kv[1]):
            name, i = key
            index = indexes[name]
            coverage = index.bm25.coverage(terms, i)
            cosine = float(index.vectors[i] @ vector) if len(index.vectors) else 0.0
            evidence = (coverage + max(cosine, 0.0)) / 2
            hit = self._hit(name, index, i, score, evidence)
            hit.bm25_rank, hit.dense_rank = ranks[key].get("bm25"), ranks[key].get("dense")
            hits.append(hit)
        return hits

    @staticmethod
    def _hit(name: str, index: _CollectionIndex, i: int, score: float, evidence: float) -> Hit:
        metadata = index.metadatas[i]
        return Hit(
            id=index.ids[i], collection=name, score=round(score, 6),
            title=metadata.get(TITLE_KEY, ""), text=index.texts[i],
            metadata={k: v for k, v in metadata.items() if k not in INTERNAL_KEYS},
            evidence=round(evidence, 4), content_hash=metadata.get(HASH_KEY, ""),
        )
