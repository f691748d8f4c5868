"""Hybrid retrieval over the fixture catalog: ranking, filters, insufficient evidence."""

from __future__ import annotations

from service.retrieval.filters import Filters

ALL = ["products", "faq", "style"]


def test_korean_query_finds_the_right_document(small_container):
    result = small_container.retriever.search("교환할 때 배송비 얼마예요?", ALL, k=3)
    assert not result.insufficient
    assert result.hits[0].id == "FAQ-T-001"
    hit = result.hits[0]
    assert hit.collection == "faq" and hit.title and "6,000원" in hit.text and hit.metadata["kind"] == "faq"


def test_english_query_is_answered(small_container):
    result = small_container.retriever.search("waterproof mountain jacket", ["products"], k=3)
    assert result.hits[0].id == "P902"


def test_linen_is_one_word_with_the_user_dictionary(small_container):
    assert "린넨" in small_container.analyzer.content_terms("린넨 셔츠")
    assert small_container.retriever.search("린넨 셔츠", ["products"], k=1).hits[0].id == "P901"


def test_filters_apply_to_both_retrievers(small_container):
    retriever = small_container.retriever
    outer = retriever.search("재킷 코트", ["products"], k=10, filters=Filters(category="outerwear"), min_evidence=0)
    assert {h.id for h in outer.hits} <= {"P902", "P903"} and outer.hits
    in_stock = retriever.search("트렌치코트", ["products"], k=10, filters=Filters(in_stock=True), min_evidence=0)
    assert "P903" not in {h.id for h in in_stock.hits}  # sold out in every size
    cheap = retriever.search("셔츠 니트 재킷", ["products"], k=10, filters=Filters(price_max=130000), min_evidence=0)
    assert {h.id for h in cheap.hits} == {"P901", "P904"}  # sale prices count
    brand = retriever.search("니트", ["products"], k=10, filters=Filters(brand="브리즈랩"), min_evidence=0)
    assert {h.id for h in brand.hits} <= {"P902"}


def test_unrelated_question_yields_insufficient_evidence(small_container):
    result = small_container.retriever.search("오늘 서울 날씨 어때요?", ALL, k=3)
    assert result.insufficient and result.hits == []
    assert "below" in result.reason


def test_threshold_is_configurable(small_container):
    result = small_container.retriever.search("오늘 서울 날씨 어때요?", ALL, k=3, min_evidence=0.0)
    assert not result.insufficient and result.hits


def test_get_by_id_returns_the_document(small_container):
    hit = small_container.retriever.get("products", "P904")
    assert hit.title == "캐시미어 라운드 니트" and "캐시미어 100%" in hit.text
    assert small_container.retriever.get("products", "P999") is None
