"""Ingest: idempotent upserts, deletions, atomic switch, and all-or-nothing validation."""

from __future__ import annotations

import json
import shutil

import pytest

from service.retrieval import ingest as ingest_module
from service.retrieval.ingest import run_ingest
from service.retrieval.loaders import RecordError, Source, infer_source
from tests.conftest import small_sources


def _counts(summaries):
    return {s.collection: (s.added, s.updated, s.deleted, s.unchanged) for s in summaries}


def test_second_ingest_changes_nothing(fresh_container):
    sources = small_sources(fresh_container.settings.knowledge_dir)
    first = _counts(run_ingest(fresh_container, sources, show_progress=False))
    assert first == {"products": (4, 0, 0, 0), "faq": (3, 0, 0, 0), "style": (2, 0, 0, 0)}
    live_before = fresh_container.store.live_generations()
    second = run_ingest(fresh_container, sources, show_progress=False)
    assert _counts(second) == {"products": (0, 0, 0, 4), "faq": (0, 0, 0, 3), "style": (0, 0, 0, 2)}
    assert fresh_container.store.live_generations() == live_before


def test_changed_and_removed_documents_are_updated_and_deleted(fresh_container):
    knowledge = fresh_container.settings.knowledge_dir
    run_ingest(fresh_container, small_sources(knowledge), show_progress=False)
    faq = knowledge / "faq_small.jsonl"
    rows = [json.loads(line) for line in faq.read_text().splitlines()]
    rows[0]["text"] = "사이즈 교환 시 왕복 배송비 5,000원이 부과됩니다."
    del rows[2]
    rows.append({"id": "FAQ-T-003", "kind": "faq", "category": "payment", "title": "무통장입금 기한은?", "text": "주문 후 24시간 이내 입금해 주세요."})
    faq.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")

    summaries = run_ingest(fresh_container, [Source(faq, "faq", "faq")], show_progress=False)
    assert _counts(summaries) == {"faq": (1, 1, 1, 1)}
    live = fresh_container.store.live("faq").get(include=["documents"])
    assert sorted(live["ids"]) == ["FAQ-T-001", "FAQ-T-002", "FAQ-T-003"]
    assert any("5,000원" in text for text in live["documents"])
    # Only the live generation of each collection remains.
    names = [c.name for c in fresh_container.store.client.list_collections() if c.name.startswith("faq__")]
    assert names == [fresh_container.store.live_generations()["faq"]]


def test_readers_see_the_old_index_until_the_switch(fresh_container, monkeypatch):
    knowledge = fresh_container.settings.knowledge_dir
    run_ingest(fresh_container, small_sources(knowledge), show_progress=False)
    retriever = fresh_container.retriever
    faq = knowledge / "faq_small.jsonl"
    faq.write_text(faq.read_text().replace("6,000원", "9,900원"))

    seen_during_build = []
    real_switch = fresh_container.store.switch

    def observing_switch(logical, physical):
        retriever.refresh()
        hit = retriever.get("faq", "FAQ-T-001")
        seen_during_build.append(hit.text)
        return real_switch(logical, physical)

    monkeypatch.setattr(fresh_container.store, "switch", observing_switch)
    run_ingest(fresh_container, [Source(faq, "faq", "faq")], show_progress=False)
    assert "6,000원" in seen_during_build[0]  # the half-built generation was invisible
    assert "9,900원" in retriever.get("faq", "FAQ-T-001").text


def test_a_failed_build_leaves_the_live_index_untouched(fresh_container, monkeypatch):
    knowledge = fresh_container.settings.knowledge_dir
    run_ingest(fresh_container, small_sources(knowledge), show_progress=False)
    before = fresh_container.store.live_generations()
    faq = knowledge / "faq_small.jsonl"
    faq.write_text(faq.read_text().replace("6,000원", "7,000원"))

    def broken_add(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_module, "_add", broken_add)
    with pytest.raises(RuntimeError, match="disk full"):
        run_ingest(fresh_container, [Source(faq, "faq", "faq")], show_progress=False)
    assert fresh_container.store.live_generations() == before
    faq_generations = [c.name for c in fresh_container.store.client.list_collections() if c.name.startswith("faq__")]
    assert faq_generations == [before["faq"]]


def test_invalid_records_name_file_line_and_field_and_nothing_is_ingested(fresh_container, tmp_path):
    bad = tmp_path / "products.jsonl"
    lines = (fresh_container.settings.knowledge_dir / "products_small.jsonl").read_text().splitlines()
    broken = json.loads(lines[2])
    broken["price"] = "비쌈"
    lines[2] = json.dumps(broken, ensure_ascii=False)
    lines.append("{not json")
    bad.write_text("\n".join(lines) + "\n")
    good_faq = Source(fresh_container.settings.knowledge_dir / "faq_small.jsonl", "faq", "faq")

    with pytest.raises(RecordError) as excinfo:
        run_ingest(fresh_container, [good_faq, infer_source(bad)], show_progress=False)
    message = str(excinfo.value)
    assert f"{bad}:3: field 'price'" in message
    assert f"{bad}:5:" in message
    assert fresh_container.store.live_generations() == {}  # not even the valid FAQ file


def test_product_consistency_rules_are_checked(tmp_path, fresh_container):
    row = json.loads((fresh_container.settings.knowledge_dir / "products_small.jsonl").read_text().splitlines()[0])
    row["materials"][0]["percent"] = 60
    row["stock"] = {"XL": 1}
    path = tmp_path / "products.jsonl"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n")
    with pytest.raises(RecordError) as excinfo:
        infer_source(path).load()
    assert "add up to 105" in str(excinfo.value)


def test_generic_documents_go_to_a_named_collection(fresh_container, tmp_path):
    corpus = tmp_path / "notices.jsonl"
    corpus.write_text(
        json.dumps({"id": "N1", "title": "설 연휴 배송 안내", "text": "설 연휴 기간에는 출고가 중단됩니다.", "metadata": {"kind": "notice", "year": 2026}}, ensure_ascii=False)
        + "\n"
    )
    run_ingest(fresh_container, [infer_source(corpus, "notices")], show_progress=False)
    result = fresh_container.retriever.search("연휴 배송", ["notices"], k=1)
    assert [h.id for h in result.hits] == ["N1"]
    assert result.hits[0].metadata["year"] == 2026


def test_unknown_file_kind_without_collection_is_refused(tmp_path):
    path = tmp_path / "misc.jsonl"
    path.write_text("{}\n")
    with pytest.raises(RecordError, match="--collection"):
        infer_source(path)


def test_a_generation_left_by_a_killed_ingest_is_dropped_next_time(fresh_container):
    sources = small_sources(fresh_container.settings.knowledge_dir)
    run_ingest(fresh_container, sources, show_progress=False)
    orphan = fresh_container.store.new_generation("faq", {"embedder": "x"})  # built, never switched
    run_ingest(fresh_container, sources, show_progress=False)
    names = [c.name for c in fresh_container.store.client.list_collections()]
    assert orphan.name not in names
    assert fresh_container.store.live_generations()["faq"] in names
