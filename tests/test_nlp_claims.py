"""Splitting generated text into claims (service.nlp.claims)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.nlp.claims import find_citations, segment, split_claims

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kiwi():
    from service.nlp.korean import get_analyzer

    return get_analyzer(ROOT / "knowledge" / "user_dict.tsv")


def texts(claims) -> list[str]:
    return [c.text for c in claims]


def test_bullets_numbers_and_lines():
    text = "## 요약\n- 가격은 59,000원입니다.\n• 소재는 린넨 55%입니다\n1. 방수 기능은 없습니다.\n2) 반품은 7일 이내 가능합니다."
    assert texts(split_claims(text)) == ["가격은 59,000원입니다.", "소재는 린넨 55%입니다", "방수 기능은 없습니다.", "반품은 7일 이내 가능합니다."]


def test_citations_are_removed_and_recorded():
    text = "방수 기능이 없습니다 [P012]. 반품은 7일 이내 가능합니다 [FAQ-RET-001, POL-RETURN-STANDARD]."
    claims = split_claims(text)
    assert texts(claims) == ["방수 기능이 없습니다.", "반품은 7일 이내 가능합니다."]
    assert claims[0].cited_ids == ["P012"]
    assert claims[1].cited_ids == ["FAQ-RET-001", "POL-RETURN-STANDARD"]


def test_trailing_and_leading_citations_attach_to_the_right_claim():
    text = "소재는 면 100%입니다. [P001]\n[SG-003] 네이비와 머스타드는 보색입니다."
    claims = split_claims(text)
    assert [c.cited_ids for c in claims] == [["P001"], ["SG-003"]]


def test_brackets_that_are_not_citations_stay():
    assert find_citations("[NEW] 신상품 [참고]") == []
    assert [ids for _, _, ids in find_citations("[출처: P003] (source: SG-001)")] == [["P003"], ["SG-001"]]


def test_spans_point_into_the_original_text():
    text = "  - 가격은 39,000원입니다 [P001].\n\n소재는 면입니다;  색상은 블랙입니다."
    for c in split_claims(text):
        original = text[c.start:c.end]
        assert c.text.rstrip(".") in original.replace(" [P001]", "")


def test_semicolons_split_and_inline_middle_dots_do_not():
    claims = split_claims("반품·교환은 7일 이내 가능합니다; 배송비는 3,000원입니다")
    assert texts(claims) == ["반품·교환은 7일 이내 가능합니다", "배송비는 3,000원입니다"]


def test_english_sentences_keep_decimals_and_abbreviations():
    claims = split_claims("It costs 59,000 won. Rated 4.8 by buyers, e.g. for fit. Ships in 2 days!")
    assert texts(claims) == ["It costs 59,000 won.", "Rated 4.8 by buyers, e.g. for fit.", "Ships in 2 days!"]


def test_headings_courtesy_and_fragments_are_not_claims():
    segs = segment("## 상품 요약\n주의사항:\n문의 주셔서 감사합니다.\n네.\nThank you for asking!\n방수 기능은 없습니다.")
    kinds = {s.text: s.kind for s in segs}
    assert kinds["## 상품 요약"] == "heading"
    assert kinds["주의사항:"] == "heading"
    assert kinds["문의 주셔서 감사합니다."] == "courtesy"
    assert kinds["네."] == "fragment"
    assert kinds["Thank you for asking!"] == "courtesy"
    assert texts(split_claims("문의 주셔서 감사합니다. 방수 기능은 없습니다.")) == ["방수 기능은 없습니다."]


def test_courtesy_with_a_fact_is_still_a_claim():
    assert len(split_claims("추가로 궁금하신 점은 평일 10:00~17:00에 고객센터로 연락 주세요.")) == 1


def test_kiwi_splits_korean_sentences_without_punctuation(kiwi):
    claims = split_claims("가격은 59,000원이고 소재는 린넨입니다 방수는 안됩니다 세탁기 사용은 불가해요", kiwi)
    assert len(claims) == 3
    assert claims[-1].text == "세탁기 사용은 불가해요"
