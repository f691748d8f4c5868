"""Per-claim grounding guard: each kind of catch, paraphrase support, citations, English."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from service.grounding import Evidence, GroundingChecker
from service.grounding.llm_judge import LLMJudge, parse_answer

ROOT = Path(__file__).resolve().parents[1]

# Evidence in the shapes render.py and the FAQ loader produce: one fact per line, or "title\ntext".
SHIRT = Evidence("P900", "\n".join([
    "린넨 블렌드 오버핏 셔츠 (Linen-blend Overfit Shirt)",
    "브랜드: 모놀로그 서울 / 카테고리: 셔츠/블라우스",
    "가격: 59,000원, 할인가 47,200원",
    "소재: 린넨 55%, 면 45%",
    "핏: 오버핏",
    "색상: 화이트, 스카이블루, 베이지",
    "사이즈 실측: S(총장 72cm, 가슴단면 56cm); M(총장 73.5cm, 가슴단면 58cm); L(총장 75cm, 가슴단면 60cm)",
    "재고: S 4개, M 27개, L 품절",
    "세탁/관리: 30℃ 이하 찬물 단독 손세탁, 표백제 사용 금지, 건조기 사용 금지",
    "시즌: 봄, 여름",
    "기능: 비침: 있음, 방수: 없음, 세탁기 사용: 없음",
    "출고: 결제 후 3영업일 이내 출고",
    "반품 정책: 일반 반품 규정(수령 후 7일 이내)",
    "설명: 린넨에 면을 섞어 부드러운 셔츠예요. 화이트는 살짝 비침이 있어 밝은 색 이너를 권해요.",
]))
TEE = Evidence("P901", "\n".join([
    "헤비웨이트 코튼 반팔 티셔츠 (Heavyweight Cotton Tee)",
    "가격: 29,000원",
    "소재: 면 100%",
    "색상: 화이트, 블랙",
    "기능: 비침: 없음, 세탁기 사용: 있음",
    "출고: 결제 후 2영업일 이내 출고",
]))
JACKET = Evidence("P902", "3레이어 방수 재킷\n가격: 189,000원\n소재: 나일론 100%\n기능: 방수: 있음, 방풍: 있음\n설명: 비 오는 날에도 안까지 젖지 않습니다.")
RETURNS = Evidence("FAQ-RET-001", "단순 변심으로 반품하고 싶은데 언제까지 신청해야 하나요?\n일반 상품은 수령 후 7일 이내에 반품을 신청해 주셔야 합니다. 파이널 세일 상품은 단순 변심 반품이 불가합니다.")
REFUND = Evidence("POL-REFUND", "환불 정책\n환불은 반품 상품이 입고되어 검수가 완료된 후 3영업일 이내에 처리됩니다.")
NO_WATERPROOF = Evidence("FAQ-X-001", "이 코트 방수 되나요?\n이 코트는 방수 기능이 없습니다. 가벼운 비는 털어냅니다.")


@pytest.fixture(scope="module")
def checker() -> GroundingChecker:
    from service.nlp.korean import get_analyzer
    from service.retrieval.embedder import get_embedder

    return GroundingChecker(get_analyzer(ROOT / "knowledge" / "user_dict.tsv"), get_embedder("use"))


def judge(checker: GroundingChecker, text: str, *evidence: Evidence) -> str:
    return checker.check(text, list(evidence)).verdict


# --- numbers ---------------------------------------------------------------


def test_price_paraphrase_is_supported_and_near_miss_contradicted(checker):
    assert judge(checker, "이 티셔츠는 2만 9천원이에요.", TEE) == "supported"
    report = checker.check("이 티셔츠는 3만 9천원이에요.", [TEE])
    assert report.verdict == "contradicted"
    assert report.claims[0].evidence_id == "P901"
    assert "29,000원" in TEE.text[slice(*report.claims[0].evidence_span)]


def test_size_measurement_of_the_named_size(checker):
    assert judge(checker, "M 사이즈 총장은 73.5cm예요.", SHIRT) == "supported"
    assert judge(checker, "M 사이즈 총장은 75cm예요.", SHIRT) == "contradicted"


def test_percentages_of_a_blend(checker):
    assert judge(checker, "린넨 55%, 면 45% 혼방이에요.", SHIRT) == "supported"
    assert judge(checker, "린넨 45%, 면 55% 혼방이에요.", SHIRT) == "contradicted"


def test_durations_and_business_days(checker):
    assert judge(checker, "7일 안에 반품 신청하시면 됩니다.", RETURNS) == "supported"
    assert judge(checker, "수령 후 14일 이내에 반품할 수 있어요.", RETURNS) == "contradicted"
    assert judge(checker, "검수 후 3영업일 안에 환불돼요.", REFUND) == "supported"
    assert judge(checker, "검수 후 3일 안에 환불돼요.", REFUND) == "contradicted"


def test_number_missing_from_the_evidence_is_unsupported(checker):
    assert judge(checker, "내수압 20,000mm 재킷이에요.", TEE) == "unsupported"


# --- features and negation -------------------------------------------------


def test_feature_asserted_against_negative_evidence(checker):
    assert judge(checker, "방수됩니다.", SHIRT) == "contradicted"  # 방수: 없음
    assert judge(checker, "방수 기능이 있어요.", NO_WATERPROOF) == "contradicted"  # 방수 기능이 없습니다


def test_negation_both_ways(checker):
    assert judge(checker, "방수가 되지 않습니다.", SHIRT) == "supported"
    assert judge(checker, "방수 기능이 없어요.", JACKET) == "contradicted"
    assert judge(checker, "비 오는 날에도 젖지 않는 방수 재킷이에요.", JACKET) == "supported"


def test_feature_the_evidence_is_silent_about(checker):
    report = checker.check("주머니가 있어 편해요.", [TEE])
    assert report.verdict == "unsupported"
    assert "주머니" in report.claims[0].reason


def test_paraphrased_features(checker):
    assert judge(checker, "세탁기에 돌려도 돼요.", TEE) == "supported"  # 세탁기 사용: 있음
    assert judge(checker, "세탁기 사용이 불가해 손세탁해 주세요.", SHIRT) == "supported"
    assert judge(checker, "흰색도 비치지 않아요.", TEE) == "supported"  # 비침: 없음
    assert judge(checker, "화이트는 살짝 비쳐요.", TEE) == "contradicted"


# The rendered feature line of a catalogue product; Kiwi reads "비침: 없음" (and "안감: 없음") as
# the noun 없음 since the user dictionary gained 비침, 안감, 구김, 발수 as nouns.
RAYON = Evidence("P025", "레이온 하와이안 셔츠\n기능: 통기성: 있음, 비침: 없음, 구김 방지: 없음, 세탁기 사용: 없음\n핏: 루즈핏")
LINED = Evidence("P005", "린넨 셔츠\n기능: 비침: 있음, 안감: 없음, 구김 방지: 있음, 세탁기 사용: 없음")


def test_negative_spec_value_read_as_a_noun(checker):
    for claim in ["비침이 없습니다.", "비침 없음.", "비침은 없어요.", "통기성이 있고, 비침은 없습니다.",
                  "기능: 통기성 있음, 비침 없음, 구김 방지 없음, 세탁기 사용 없음."]:
        assert judge(checker, claim, RAYON) == "supported", claim
    assert judge(checker, "비침이 있어요.", RAYON) == "contradicted"
    assert judge(checker, "안감이 없습니다.", LINED) == "supported"
    assert judge(checker, "안감이 있어요.", LINED) == "contradicted"
    # "N 없이" ends N's predicate: the 않 of 비치지 않아요 does not negate it again
    skirt = Evidence("P064", "골지 니트 롱스커트\n기능: 신축성: 있음, 안감: 없음, 비침: 없음\n설명: 골 조직이 도톰한 니트 스커트예요.")
    assert judge(checker, "골 조직이 도톰해 안감 없이도 비치지 않아요.", skirt) == "supported"
    assert judge(checker, "골 조직이 도톰하고 안감이 있어 비치지 않아요.", skirt) == "contradicted"


def test_list_items_share_the_predicate_after_the_list(checker):
    # "A 기능이 있으며, B, C, D 기능은 없습니다": 없 negates every item of the second list
    assert judge(checker, "통기성 기능이 있으며, 비침, 구김 방지, 세탁기 사용 기능은 없습니다.", RAYON) == "supported"
    assert judge(checker, "비침, 구김 방지, 세탁기 사용 기능은 없지만 통기성 기능은 있어요.", RAYON) == "supported"
    assert judge(checker, "비침도, 구김 방지도 없어요.", RAYON) == "supported"
    # ... and the positive list only its own items: 비침 is 없음, so this is false
    report = checker.check("비침, 통기성 기능이 있으며, 구김 방지, 세탁기 사용 기능은 없습니다.", [RAYON])
    assert report.verdict == "contradicted" and "비침" in report.claims[0].reason
    assert judge(checker, "구김 방지, 통기성 기능은 없어요.", RAYON) == "contradicted"  # 통기성: 있음
    # Kiwi reads 여밈 in "지퍼 여밈" as a verb; the lexicon word is still a list item
    zipless = Evidence("P140", "버킷백\n기능: 주머니: 있음, 지퍼 여밈: 없음, 방수: 없음")
    assert judge(checker, "주머니 기능이 있으며, 방수, 지퍼 여밈 기능은 없습니다.", zipless) == "supported"


def test_list_items_with_predicates_of_their_own(checker):
    # the items of a spec line are separate statements: 금지 is the bleach's, not the hand wash's
    assert judge(checker, "손세탁해 주세요.", SHIRT) == "supported"
    assert judge(checker, "손세탁은 안 돼요.", SHIRT) == "contradicted"
    from service.grounding.facts import Vocabulary, analyze

    vocab = Vocabulary()

    def polarity(text: str) -> dict[str, int]:
        return {m.value: m.polarity for m in analyze(text, checker.analyzer, vocab).mentions if m.group == "polar"}

    assert polarity("찬물 단독 손세탁, 표백제 사용 금지") == {"care_cold_water": 1, "care_hand_wash": 1, "care_bleach": -1}
    assert polarity("방수, 방풍은 안 되지만 발수는 돼요.") == {"waterproof": -1, "windproof": -1, "water_repellent": 1}
    assert polarity("방수, 방풍 기능이 필요하시면 다른 재킷을 보세요.") == {"waterproof": 0, "windproof": 0}  # conditional


def test_english_or_list_shares_the_negation(checker):
    assert judge(checker, "It is breathable but not see-through, wrinkle-resistant or machine washable.", RAYON) == "supported"
    assert judge(checker, "It has no see-through, wrinkle resistance, or machine washing.", RAYON) == "supported"
    assert judge(checker, "It is not see-through, breathable or wrinkle-resistant.", RAYON) == "contradicted"  # breathable
    # an "and" list: each item keeps its own polarity
    assert judge(checker, "It is breathable, not see-through, and wrinkle-resistant.", RAYON) == "contradicted"


def test_policy_statement_negated(checker):
    assert judge(checker, "파이널 세일 상품도 단순 변심 반품이 가능합니다.", RETURNS) == "contradicted"
    assert judge(checker, "파이널 세일 상품은 단순 변심 반품이 안 돼요.", RETURNS) == "supported"


# --- attribute values ------------------------------------------------------


def test_material_colour_fit_swaps(checker):
    assert judge(checker, "소재는 울입니다.", TEE) == "contradicted"
    assert judge(checker, "면 100% 티셔츠예요.", TEE) == "supported"
    assert judge(checker, "블랙 색상도 있어요.", SHIRT) == "contradicted"
    assert judge(checker, "스카이블루 색상이 있어요.", SHIRT) == "supported"
    assert judge(checker, "슬림핏이라 몸에 붙어요.", SHIRT) == "contradicted"


def test_claim_true_for_another_product_only(checker):
    # both products retrieved; the claim names the shirt, whose price is 59,000
    assert judge(checker, "린넨 블렌드 셔츠는 29,000원이에요.", SHIRT, TEE) == "contradicted"
    assert judge(checker, "린넨 블렌드 셔츠는 59,000원이에요.", SHIRT, TEE) == "supported"


def test_stock(checker):
    assert judge(checker, "L 사이즈는 품절이에요.", SHIRT) == "supported"
    assert judge(checker, "L 사이즈도 재고가 있어요.", SHIRT) == "contradicted"


def test_unsupported_addition(checker):
    assert judge(checker, "이탈리아에서 생산한 셔츠예요.", SHIRT) == "unsupported"


# --- citations ---------------------------------------------------------------


def test_citation_not_in_evidence(checker):
    report = checker.check("수령 후 7일 이내에 반품할 수 있어요 [POL-RETURN-STANDARD].", [RETURNS])
    assert report.verdict == "unsupported"
    assert report.claims[0].reason.startswith("citation not in evidence")
    assert report.claims[0].cited_ids == ["POL-RETURN-STANDARD"]
    assert report.claims[0].supported_by == "FAQ-RET-001"  # the fix re-cites it


def test_valid_citation_still_needs_support(checker):
    assert judge(checker, "수령 후 7일 이내에 반품할 수 있어요 [FAQ-RET-001].", RETURNS) == "supported"
    assert judge(checker, "방수 기능이 없어요 [P902].", JACKET) == "contradicted"


# --- English -------------------------------------------------------------------


def test_english_claims_against_korean_evidence(checker):
    assert judge(checker, "The shirt costs 59,000 won and is on sale for 47,200 won.", SHIRT) == "supported"
    assert judge(checker, "It is not waterproof.", SHIRT) == "supported"
    assert judge(checker, "It is waterproof.", SHIRT) == "contradicted"
    assert judge(checker, "It is made of 100% wool.", TEE) == "contradicted"
    assert judge(checker, "Returns are accepted within 7 days of receipt.", RETURNS) == "supported"
    assert judge(checker, "Refunds take 3 days after inspection.", REFUND) == "contradicted"


SHIPPING_FEE = Evidence("FAQ-SHP-001", "배송비 얼마예요? 무료배송 기준도 알려주세요\n기본 배송비는 3,000원이고, 주문 금액이 50,000원 이상이면 무료배송입니다. The standard domestic shipping fee is 3,000 KRW, and orders of 50,000 KRW or more ship free.")


def test_currency_codes_are_units_not_names(checker):
    same = "The standard domestic shipping fee is 3,000 KRW, and orders of 50,000 KRW or more ship free."
    assert judge(checker, same, SHIPPING_FEE) == "supported"
    assert judge(checker, "Shipping costs KRW 3,000, and orders of 50,000 won or more ship free.", SHIPPING_FEE) == "supported"
    assert judge(checker, "기본 배송비는 3,000 KRW입니다.", SHIPPING_FEE) == "supported"
    assert judge(checker, "The standard shipping fee is 5,000 KRW.", SHIPPING_FEE) == "contradicted"
    # "shipping costs" names the fee, not the order amount (금액 -> 가격) of the other number
    assert judge(checker, "Shipping costs 3,000 won.", SHIPPING_FEE) == "supported"
    assert judge(checker, "Shipping costs 5,000 won.", SHIPPING_FEE) == "contradicted"
    report = checker.check("Orders ship free via DHL.", [SHIPPING_FEE])  # a name is still a name
    assert report.verdict == "unsupported" and "dhl" in report.claims[0].reason


# --- the report ----------------------------------------------------------------


def test_report_aggregates_claims_and_serialises(checker):
    text = "가격은 59,000원이에요. 방수 기능이 있어요. 색상은 화이트, 스카이블루, 베이지예요."
    report = checker.check(text, [SHIRT])
    assert [c.verdict for c in report.claims] == ["supported", "contradicted", "supported"]
    assert report.verdict == "contradicted"
    assert report.score == min(c.score for c in report.claims) == 0.0
    for c in report.claims:
        assert text[c.start:c.end].startswith(c.text[:5])
        assert 0.0 <= c.score <= 1.0
    payload = json.loads(json.dumps(asdict(report), ensure_ascii=False))
    assert payload["claims"][1]["evidence_id"] == "P900"


def test_unsupported_beats_supported_and_empty_text(checker):
    report = checker.check("가격은 59,000원이에요. 국내에서 생산했어요.", [SHIRT])
    assert report.verdict == "unsupported"
    empty = checker.check("문의 주셔서 감사합니다.", [SHIRT])
    assert (empty.verdict, empty.score, empty.claims) == ("supported", 1.0, [])


def test_no_evidence_means_unsupported(checker):
    assert judge(checker, "가격은 59,000원이에요.") == "unsupported"


def test_prepare_fills_the_cache_without_changing_verdicts(checker):
    checker.clear_cache()
    assert checker.prepare([SHIRT, TEE]) > 10
    assert judge(checker, "이 티셔츠는 3만 9천원이에요.", TEE) == "contradicted"


# --- LLM judge with a stub backend --------------------------------------------------


class StubResult:
    def __init__(self, text: str) -> None:
        self.text = text


class StubLLM:
    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.requests = []

    def generate(self, request):
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return StubResult(self.answer)


def test_llm_judge_maps_labels_quotes_and_citations():
    answer = {"claims": [
        {"index": 1, "label": "supported", "evidence_id": "P900", "quote": "가격: 59,000원", "reason": "price"},
        {"index": 2, "label": "contradicted", "evidence_id": "P900", "quote": "방수: 없음", "reason": "not waterproof"},
        {"index": 3, "label": "supported", "evidence_id": "P900", "quote": None, "reason": "model says so"},
    ]}
    llm = StubLLM("```json\n" + json.dumps(answer, ensure_ascii=False) + "\n```")
    report = LLMJudge(llm).check("가격은 59,000원이에요. 방수돼요. 반품은 7일 이내예요 [P777].", [SHIRT])
    assert [c.verdict for c in report.claims] == ["supported", "contradicted", "unsupported"]
    assert report.verdict == "contradicted"
    first = report.claims[0]
    assert SHIRT.text[slice(*first.evidence_span)] == "가격: 59,000원"
    assert report.claims[2].reason.startswith("citation not in evidence")  # the model cannot override it
    request = llm.requests[0]
    assert request.json_schema is not None and request.temperature == 0.0
    assert "[P900]" in request.messages[-1]["content"]


def test_llm_judge_degrades_to_the_rules(checker):
    report = LLMJudge(StubLLM("I think it is fine."), fallback=checker).check("방수됩니다.", [SHIRT])
    assert report.verdict == "contradicted"
    assert "not valid JSON" in report.claims[0].reason
    failed = LLMJudge(StubLLM(TimeoutError("slow"))).check("방수됩니다.", [SHIRT])
    assert failed.verdict == "unsupported" and "judge failed" in failed.claims[0].reason


def test_parse_answer_is_tolerant():
    assert parse_answer('Sure! {"claims": [{"index": 1, "label": "supported"}]} done') == [{"index": 1, "label": "supported"}]
    assert parse_answer("no json") is None
    assert parse_answer('{"claims": "x"}') is None
