"""Response cache: exact hits, invalidation by evidence, semantic reuse, corruption, purge, Redis."""

from __future__ import annotations

import json

import pytest

from service.cache.keys import cache_key, normalise
from service.cache.stores import RedisStore
from service.retrieval.ingest import run_ingest
from service.retrieval.loaders import Source
from tests.fakes.fake_openai import HTTPError


def test_second_request_is_a_hit_with_nothing_spent(small_container):
    first = small_container.pipeline.run("summary", {"product_id": "P902"})
    second = small_container.pipeline.run("summary", {"product_id": "P902"})
    assert first.cache.status == "miss" and second.cache.status == "hit"
    assert second.output == first.output and second.citations == first.citations
    assert second.request_id != first.request_id
    assert second.usage.prompt_tokens == 0 and second.usage.cost == 0
    assert "generate" not in second.timings_ms


def test_bypass_and_refresh(small_container):
    small_container.pipeline.run("summary", {"product_id": "P902"})
    assert small_container.pipeline.run("summary", {"product_id": "P902"}, cache="bypass").cache.status == "bypass"
    assert small_container.pipeline.run("summary", {"product_id": "P902"}, cache="refresh").cache.status == "miss"


def test_inputs_are_normalised_for_the_key():
    assert normalise({"question": "  교환   배송비?  ", "order_context": None}) == {"question": "교환 배송비?"}
    a = cache_key("cs_answer", {"question": "Return  FEE?"}, "v1+x", "offline:m", "sig")
    assert a == cache_key("cs_answer", {"question": "return fee?"}, "v1+x", "offline:m", "sig")
    assert a != cache_key("cs_answer", {"question": "return fee?"}, "v2+y", "offline:m", "sig")
    assert a.startswith("cs_answer|v1+x|")


def test_changed_evidence_misses(fresh_container):
    knowledge = fresh_container.settings.knowledge_dir
    faq = knowledge / "faq_small.jsonl"
    run_ingest(fresh_container, [Source(faq, "faq", "faq")], show_progress=False)
    question = {"question": "교환 배송비는 얼마인가요?"}
    assert fresh_container.pipeline.run("cs_answer", question).cache.status == "miss"
    assert fresh_container.pipeline.run("cs_answer", question).cache.status == "hit"
    faq.write_text(faq.read_text().replace("6,000원", "7,000원"))
    run_ingest(fresh_container, [Source(faq, "faq", "faq")], show_progress=False)
    fresh_container.retriever.refresh()
    again = fresh_container.pipeline.run("cs_answer", question)
    assert again.cache.status == "miss" and "7,000원" in again.output["answer"]


@pytest.fixture
def semantic_pipeline(small_container):
    """The semantic cache is off by default (measured); a spec can turn it on."""
    from tests.conftest import container_with

    container = container_with(small_container, semantic_cache_threshold=0.9)
    container.__dict__.pop("cache", None)
    pipeline = container.pipeline
    spec = pipeline.specs["cs_answer"].model_copy(deep=True)
    spec.cache.semantic = True
    pipeline.specs = {**pipeline.specs, "cs_answer": spec}
    return pipeline


def test_paraphrase_with_the_same_evidence_is_a_semantic_hit(semantic_pipeline):
    first = semantic_pipeline.run("cs_answer", {"question": "교환할 때 배송비는 얼마인가요?"})
    near = semantic_pipeline.run("cs_answer", {"question": "교환하면 배송비가 얼마인가요?"})
    assert first.cache.status == "miss"
    assert near.cache.status == "semantic_hit" and near.output == first.output


def test_question_with_other_evidence_is_not_reused(semantic_pipeline):
    semantic_pipeline.run("cs_answer", {"question": "교환할 때 배송비는 얼마인가요?"})
    other = semantic_pipeline.run("cs_answer", {"question": "반품 신청은 언제까지 할 수 있나요?"})
    assert other.cache.status == "miss" and "7일" in other.output["answer"]


def test_semantic_cache_is_off_for_cs_by_default(small_container):
    small_container.pipeline.run("cs_answer", {"question": "교환할 때 배송비는 얼마인가요?"})
    near = small_container.pipeline.run("cs_answer", {"question": "교환하면 배송비가 얼마인가요?"})
    assert near.cache.status == "miss"


def test_fallback_outputs_are_not_cached(llm_container, fake_llm):
    fake_llm.set_default(HTTPError(500))
    first = llm_container.pipeline.run("summary", {"product_id": "P901"})
    assert first.backend.fallback
    assert llm_container.pipeline.run("summary", {"product_id": "P901"}).cache.status == "miss"


def test_corrupted_entry_is_recomputed_not_served(small_container):
    first = small_container.pipeline.run("summary", {"product_id": "P904"})
    store = small_container.cache.store
    store._cache.set(first.cache.key, "{not json")  # as a torn write would leave it
    again = small_container.pipeline.run("summary", {"product_id": "P904"})
    assert again.cache.status == "miss" and again.output == first.output


def test_stats_and_purge(small_container):
    pipeline, cache = small_container.pipeline, small_container.cache
    pipeline.run("summary", {"product_id": "P901"})
    pipeline.run("summary", {"product_id": "P901"})
    pipeline.run("cs_answer", {"question": "교환 배송비는 얼마인가요?"})
    stats = cache.stats()
    assert stats["summary"]["entries"] == 1 and stats["summary"]["hit"] >= 1
    version = pipeline.run("summary", {"product_id": "P901"}).prompt_version
    assert cache.purge(task="summary", prompt_version="summary-v0") == 0
    assert cache.purge(task="summary", prompt_version=version.split("+")[0]) == 1
    assert cache.stats()["cs_answer"]["entries"] == 1
    assert pipeline.run("summary", {"product_id": "P901"}).cache.status == "miss"


# --- Redis ------------------------------------------------------------------------


def test_redis_store_round_trip_and_counters(redis_url):
    store = RedisStore(redis_url, namespace="t1")
    store.set("summary|v1|abc", {"output": {"summary": "요약"}}, ttl_s=60)
    assert store.get("summary|v1|abc") == {"output": {"summary": "요약"}}
    assert list(store.keys("summary|")) == ["summary|v1|abc"]
    store.incr("cache|summary|hit")
    store.incr("cache|summary|hit", 2)
    assert store.counters("cache|") == {"cache|summary|hit": 3}
    store._redis.set("t1:c:broken", b"\xff{")
    assert store.get("broken") is None and store._redis.get("t1:c:broken") is None


def test_pipeline_on_redis_shares_entries_between_replicas(small_container, redis_url):
    from tests.conftest import container_with

    replica_a = container_with(small_container, redis_url=redis_url)
    replica_b = container_with(small_container, redis_url=redis_url)
    replica_a.__dict__.pop("cache", None)
    replica_b.__dict__.pop("cache", None)
    replica_a.cache.purge()
    assert replica_a.pipeline.run("summary", {"product_id": "P901"}).cache.status == "miss"
    assert replica_b.pipeline.run("summary", {"product_id": "P901"}).cache.status == "hit"


def test_a_dead_cache_store_degrades_to_no_cache_with_an_llm(small_container, fake_llm):
    from tests.conftest import container_with
    from tests.fakes.fake_openai import Reply

    fake_llm.reset()
    fake_llm.set_default(Reply({"answer": "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]",
                                "handoff": False, "confidence": 0.9}))
    container = container_with(small_container, redis_url="redis://127.0.0.1:1/0", llm_base_url=fake_llm.base_url,
                               llm_model="fake-model", daily_budget_usd={"cs_answer": 10},
                               budget_fail_closed=False)  # fail-closed budgets: tests/test_shared_state.py
    container.__dict__.pop("cache", None)
    env = container.pipeline.run("cs_answer", {"question": "교환 배송비는 얼마인가요?"})
    assert env.backend.name == "openai" and env.usage.prompt_tokens > 0  # tokens spent, count kept for later, request fine
    assert env.cache.status == "miss"


def test_hit_and_miss_counts_are_buffered_then_written_and_survive_a_store_outage(tmp_path):
    from service.cache.buffered_counters import BufferedCounters, flush_all
    from service.cache.stores import DiskCacheStore

    class Flaky:
        """The disk store, failing while `down` is set."""

        def __init__(self, inner):
            self.inner, self.down, self.writes = inner, False, 0

        def incr(self, name, amount=1):
            if self.down:
                raise OSError("disk unavailable")
            self.writes += 1
            self.inner.incr(name, amount)

    store = Flaky(DiskCacheStore(tmp_path / "cache"))
    counters = BufferedCounters(store)
    for _ in range(50):
        counters.incr("cache|summary|hit")
    counters.incr("cache|summary|miss")
    assert store.writes == 0  # nothing written on the request path
    store.down = True
    counters.flush()  # fails: the counts wait for the next flush
    store.down = False
    counters.incr("cache|summary|hit")
    flush_all()
    assert store.inner.counters("cache|") == {"cache|summary|hit": 51, "cache|summary|miss": 1}
    assert store.writes == 2  # one write per counter name, not per request


def test_stats_include_this_process_counts_at_once(small_container):
    before = small_container.cache.stats().get("summary", {})
    small_container.pipeline.run("summary", {"product_id": "P903"})
    small_container.pipeline.run("summary", {"product_id": "P903"})
    after = small_container.cache.stats()["summary"]  # no wait for the background flush
    assert after["miss"] - before.get("miss", 0) == 1 and after["hit"] - before.get("hit", 0) == 1
