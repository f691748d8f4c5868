"""Builds the long-lived components once per process from the Settings.

Heavy objects (Kiwi, the embedder, the Chroma client) are created on first use
and shared by the REST app, the CLI, the batch job and the eval runner.
"""

from __future__ import annotations

from functools import cached_property

from service.config import Settings
from service.nlp.korean import KoreanAnalyzer, get_analyzer
from service.retrieval.embedder import Embedder, get_embedder
from service.retrieval.hybrid import FusionWeights, HybridRetriever
from service.retrieval.store import ChromaStore, connect


class Container:
    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def analyzer(self) -> KoreanAnalyzer:
        return get_analyzer(self.settings.user_dict_path)

    @cached_property
    def embedder(self) -> Embedder:
        return get_embedder(self.settings.embedder, self.settings.st_model_path)

    @cached_property
    def store(self) -> ChromaStore:
        s = self.settings
        # One process owns an embedded store, so its readers are all counted: no grace period needed.
        return ChromaStore(connect(persist_dir=str(s.chroma_dir), url=s.chroma_url),
                           grace_s=s.generation_grace_s if s.chroma_url else 0.0)

    @cached_property
    def retriever(self) -> HybridRetriever:
        s = self.settings
        return HybridRetriever(
            self.store, self.embedder, self.analyzer,
            weights=FusionWeights(bm25=s.bm25_weight, bigram=s.bigram_weight, dense=s.dense_weight,
                                  dense_latin_boost=s.dense_latin_boost),
            candidates=s.candidates, evidence_min=s.evidence_min_score,
        )

    @cached_property
    def llm(self):
        """The configured OpenAI-compatible backend, or None for the offline composer."""
        s = self.settings
        if not s.llm_base_url:
            return None
        from service.llm.circuit_breaker import make_breaker
        from service.llm.metering import MeteredBackend
        from service.llm.openai_backend import OpenAIBackend

        backend = OpenAIBackend(
            base_url=s.llm_base_url, api_key=s.llm_api_key.get_secret_value(), model=s.llm_model,
            timeout_s=s.llm_timeout_s, max_retries=s.llm_max_retries, json_mode=s.llm_json_mode,
            context_tokens=s.llm_context_tokens,
            # In Redis when configured: every worker and replica sees the endpoint open at once.
            breaker=make_breaker(s.breaker_failures, s.breaker_cooldown_s, s.redis_url, f"{s.llm_base_url}|{s.llm_model}"),
        )
        # Every call (generation, reask, stream, judges, batch) is metered here, once.
        return MeteredBackend(backend, self.meter)

    @cached_property
    def meter(self):
        from service.llm.metering import Meter

        return Meter(self.ledger, self.metrics, self.settings.prices)

    @cached_property
    def generator(self):
        from service.generation import Generator

        return Generator(self.llm, self.settings.prices)

    @cached_property
    def guards(self):
        from service.guards.policy import GuardRunner

        return GuardRunner(self)

    @cached_property
    def pipeline(self):
        from service.pipeline import Pipeline

        return Pipeline(self)

    @cached_property
    def cache(self):
        from service.cache.response_cache import ResponseCache
        from service.cache.stores import DiskCacheStore, RedisStore

        s = self.settings
        store = RedisStore(s.redis_url) if s.redis_url else DiskCacheStore(s.cache_dir)
        return ResponseCache(store, s.semantic_cache_threshold)

    @cached_property
    def audit(self):
        from service.guards.audit import AuditLog

        return AuditLog(self.settings.data_dir / "audit.db")

    @cached_property
    def ledger(self):
        from service.cache.ledger import Ledger

        return Ledger(self.cache.store, self.settings.daily_budget_usd, fail_closed=self.settings.budget_fail_closed)

    @cached_property
    def api_keys(self):
        from service.api.keys import KeyStore

        return KeyStore(self.settings.data_dir / "api_keys.json")

    @cached_property
    def metrics(self):
        from service.observability.metrics import Metrics

        return Metrics()

    def warm_up(self) -> int:
        """Load every index and analyse all evidence once, so that the first requests
        do not pay for it (a cold grounding check is several times slower)."""
        from service.grounding import Evidence

        docs = [Evidence(i, t) for name in self.retriever.collections() for i, t in self.retriever.documents(name)]
        self.guards.grounding_checker.prepare(docs)
        return len(docs)
