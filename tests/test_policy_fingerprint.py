"""The guard policy fingerprint is part of the response-cache key: changing a banned-word
list or a task's guard policy makes cached outputs miss and the nightly batch
(--changed-only) regenerate them."""

from __future__ import annotations

import os

from rich.console import Console

from service.batch.summaries import Options, run
from service.guards.fingerprint import grounding_fingerprint, policy_fingerprint
from service.retrieval.ingest import run_ingest
from tests.conftest import container_with, small_sources

QUIET = Console(file=open(os.devnull, "w"))


def batch(container, **options):
    return run(container, Options(progress=False, **options), QUIET)


def test_the_fingerprint_follows_the_lists_the_policy_and_the_checker(small_container, tmp_path):
    spec = small_container.pipeline.spec("summary")
    lists = tmp_path / "banned_words"
    lists.mkdir()
    for f in (small_container.settings.knowledge_dir / "banned_words").glob("*.yaml"):
        (lists / f.name).write_bytes(f.read_bytes())
    before = policy_fingerprint(spec, lists)
    assert policy_fingerprint(spec, lists) == before  # deterministic
    assert policy_fingerprint(spec, lists, "llm") != before  # the LLM judge decides differently
    stricter = spec.model_copy(update={"guard": spec.guard.model_copy(update={"on_fail": {"grounding": "refrain"}})})
    assert policy_fingerprint(stricter, lists) != before
    with (lists / "competitor.yaml").open("a", encoding="utf-8") as f:
        f.write("  - 가상마켓\n")
    assert policy_fingerprint(spec, lists) != before
    assert "Thresholds(" in grounding_fingerprint()


def test_a_new_personal_data_detector_changes_the_fingerprint(small_container, monkeypatch):
    from service.guards import pii

    spec = small_container.pipeline.spec("summary")
    lists = small_container.settings.knowledge_dir / "banned_words"
    before = policy_fingerprint(spec, lists)
    monkeypatch.setattr(pii, "DETECTOR_VERSION", "test")
    assert policy_fingerprint(spec, lists) != before  # outputs checked by the old detector miss


def test_a_banned_word_list_change_makes_cached_summaries_miss_and_changed_only_rerun(fresh_container):
    knowledge = fresh_container.settings.knowledge_dir
    run_ingest(fresh_container, small_sources(knowledge), show_progress=False)
    first = batch(fresh_container)
    assert first.generated == 4 and first.cached == 4 - first.fallback - first.blocked
    assert batch(fresh_container, changed_only=True).skipped == 4
    hit = fresh_container.pipeline.run("summary", {"product_id": "P901"})
    assert hit.cache.status == "hit"

    with (knowledge / "banned_words" / "competitor.yaml").open("a", encoding="utf-8") as f:
        f.write("  - 가상마켓\n")  # a new term: every output must be checked again
    restarted = container_with(fresh_container)  # a new process reads the lists again

    miss = restarted.pipeline.run("summary", {"product_id": "P901"})
    assert miss.cache.status == "miss" and miss.cache.key != hit.cache.key
    again = batch(restarted, changed_only=True)
    assert (again.skipped, again.generated) == (1, 3)  # P901 was just re-cached by the request above
    assert batch(restarted, changed_only=True).skipped == 4
