"""BM25 over Korean content morphemes (bm25s), one index per collection generation."""

from __future__ import annotations

import logging
import math
from collections import Counter

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG


class Bm25Index:
    def __init__(self, doc_terms: list[list[str]]):
        self._n = len(doc_terms)
        self._bm25 = bm25s.BM25()
        if self._n:
            self._bm25.index(doc_terms, show_progress=False)
        df = Counter(term for terms in doc_terms for term in set(terms))
        # Smoothed IDF in (0, log(N+1)]; also used to weight evidence coverage.
        self._idf = {t: math.log(1 + (self._n - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        self._max_idf = math.log(1 + (self._n + 0.5) / 0.5) if self._n else 1.0
        self._doc_sets = [set(terms) for terms in doc_terms]


    def scores(self, query_terms: list[str]) -> np.ndarray:
        known = [t for t in query_terms if t in self._idf]
        if not self._n or not known:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._max_idf)

    def coverage(self, query_terms: list[str], doc_index: int) -> float:
        """IDF-weighted share of the query's distinct terms found in one document."""
        unique = set(query_terms)
        total = sum(self.idf(t) for t in unique)
        if total == 0:
            return 0.0
        found = sum(self.idf(t) for t in unique if t in self._doc_sets[doc_index])
        return found / total
