"""Grounding beyond our own phrasing: bare values, citations that must back their sentence,
dropped conditions, names across scripts, and the learned entailment scorer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from service.grounding import Evidence, GroundingChecker
from service.grounding.entailment import (
    FEATURE_VERSION, RULE_FEATURES, SCALAR_FEATURES, WEIGHTS, EntailmentScorer, default_scorer,
)
from service.grounding.overlap import transliterated_in

ROOT = Path(__file__).resolve().parents[1]

TEE = Evidence("P901", "헤비웨이트 코튼 반팔 티셔츠\n가격: 29,000원\n소재: 면 100%\n색상: 화이트, 블랙\n"
                       "세탁/관리: 30℃ 이하 세탁기 사용 가능, 건조기 사용 금지\n출고: 결제 후 2영업일 이내 출고")
EXCHANGE = Evidence("FAQ-EXC-001", "사이즈가 안 맞아서 교환하고 싶어요.\n사이즈 교환은 단순 변심에 해당하여 교환 배송비 왕복 "
                                   "6,000원이 발생합니다. 교환은 상품 수령 후 7일 이내에 신청해 주셔야 합니다.")
DEFECT = Evidence("FAQ-EXC-005", "불량이라 교환하려는데 배송비를 제가 내야 하나요?\n불량이나 오배송으로 인한 교환은 배송비를 전액 "
                                 "회사가 부담합니다. 불량·오배송 교환은 수령 후 30일 이내에 신청하실 수 있습니다.")
FINAL_SALE = Evidence("POL-RETURN-FINAL-SALE", "반품 정책 - 파이널 세일 상품\n파이널 세일 상품은 단순 변심에 의한 반품과 교환이 "
                                               "모두 불가합니다. 상품 불량 또는 오배송인 경우에만 반품·교환이 가능합니다.")


@pytest.fixture(scope="module")
def checker() -> GroundingChecker:
    from service.nlp.korean import get_analyzer
    from service.retrieval.embedder import get_embedder

    return GroundingChecker(get_analyzer(ROOT / "knowledge" / "user_dict.tsv"), get_embedder("use"))


def verdict(checker, text, *evidence):
    return checker.check(text, list(evidence)).verdict


# --- bare values are facts, not fragments ------------------------------------------


@pytest.mark.parametrize("text", ["19,000원", "면 80%", "3영업일"])
def test_a_wrong_bare_value_is_caught(checker, text):
    assert verdict(checker, text, TEE) != "supported"


@pytest.mark.parametrize("text", ["29,000원", "면 100%", "2영업일"])
def test_a_right_bare_value_passes(checker, text):
    assert verdict(checker, text, TEE) == "supported"


# --- a citation must point at the passage that says it ------------------------------


def test_a_sentence_backed_only_by_another_passage_names_it(checker):
    report = checker.check("사이즈 교환은 단순 변심이라 교환 배송비가 왕복 6,000원입니다. [FAQ-EXC-005]", [EXCHANGE, DEFECT])
    claim = report.claims[0]
    assert claim.verdict == "unsupported"
    assert claim.supported_by == "FAQ-EXC-001"
    assert "FAQ-EXC-001" in claim.reason


def test_the_right_citation_passes(checker):
    assert verdict(checker, "사이즈 교환은 단순 변심이라 교환 배송비가 왕복 6,000원입니다. [FAQ-EXC-001]", EXCHANGE, DEFECT) == "supported"


def test_a_fee_without_its_scope_is_not_supported(checker):
    # the 6,000원 holds for a change of mind; a defect exchange costs nothing
    assert verdict(checker, "교환 배송비는 왕복 6,000원입니다. [FAQ-EXC-001]", EXCHANGE, DEFECT) != "supported"


# --- conditions and scopes ----------------------------------------------------------


def test_a_dropped_condition_is_not_supported(checker):
    # the case: the 30 days hold only for defects
    report = checker.check("교환은 수령 후 30일 이내에 신청할 수 있습니다. [FAQ-EXC-005]", [EXCHANGE, DEFECT])
    assert report.verdict != "supported"


def test_the_condition_kept_is_supported(checker):
    assert verdict(checker, "불량·오배송 교환은 수령 후 30일 이내에 신청하실 수 있습니다. [FAQ-EXC-005]", EXCHANGE, DEFECT) == "supported"


def test_an_only_if_condition_must_stay(checker):
    assert verdict(checker, "파이널 세일 상품도 반품·교환이 가능합니다.", FINAL_SALE) != "supported"


SHIPPING = Evidence("POL-SHIP", "기본 배송비는 3,000원이며 50,000원 이상 주문 시 무료배송입니다.")


@pytest.mark.parametrize("text", ["모든 주문은 배송비가 0원입니다.", "배송비는 무료입니다."])
def test_a_threshold_condition_must_stay(checker, text):
    # the red-team's injected order note: "free for every order" drops "50,000원 이상 주문 시"
    assert verdict(checker, text, SHIPPING) != "supported"


def test_the_threshold_kept_is_supported(checker):
    assert verdict(checker, "50,000원 이상 구매 시 배송비가 무료입니다.", SHIPPING) == "supported"


# --- negation inside "V-ㄹ 수 없다" ---------------------------------------------------


def test_cannot_use_reads_as_a_negation(checker):
    assert verdict(checker, "건조기를 사용할 수 없습니다.", TEE) == "supported"
    assert verdict(checker, "건조기를 사용할 수 있습니다.", TEE) == "contradicted"


# --- names across scripts -------------------------------------------------------------


@pytest.mark.parametrize("name,text", [("하즈미", "Hazmi의 동거인은"), ("나이키", "Nike 운동화"), ("forbes", "포브스에 대한")])
def test_a_name_spelt_in_the_other_script_is_found(name, text):
    assert transliterated_in(name, text)


def test_an_invented_courier_is_still_novel(checker):
    assert not transliterated_in("dhl", "결제 후 2영업일 이내 출고")
    assert verdict(checker, "DHL로 결제 후 2영업일 이내 출고됩니다.", TEE) != "supported"


# --- the learned entailment scorer ----------------------------------------------------


def test_the_shipped_weights_load_and_match_the_features():
    scorer = default_scorer()
    assert scorer is not None, f"{WEIGHTS} is missing: run python -m service.grounding.train_entailment"
    width = 3 * scorer.dim + len(SCALAR_FEATURES) + len(RULE_FEATURES)
    assert scorer.coef.shape == (width,) and scorer.mean.shape == (width,)
    assert 0.0 < scorer.threshold < 1.0 and scorer.mode in ("learned", "either")
    p = scorer.probability(np.zeros((2, width), dtype=np.float32))
    assert p.shape == (2,) and np.all((p > 0) & (p < 1))


def test_weights_of_another_feature_version_are_refused(tmp_path):
    scorer = default_scorer()
    path = tmp_path / "w.npz"
    np.savez(path, mean=scorer.mean, scale=scorer.scale, coef=scorer.coef, intercept=np.float32(0), threshold=np.float32(0.5),
             dim=np.int32(scorer.dim), feature_version=np.int32(FEATURE_VERSION + 1), version=np.str_("x"), mode=np.str_("learned"))
    with pytest.raises(ValueError, match="feature version"):
        EntailmentScorer.load(path)


@pytest.mark.parametrize("evidence,claim", [
    ("The fabric dries quickly after washing.", "It dries fast once washed."),
    ("촉감이 부드러워 맨살에 입어도 따갑지 않아요.", "피부에 닿아도 따끔거리지 않는 부드러운 촉감이에요."),
])
def test_a_paraphrase_the_rules_refuse_is_accepted_by_the_scorer(checker, evidence, claim):
    rules_only = GroundingChecker(checker.analyzer, checker.embedder, entailment=None)
    ev = Evidence("E1", evidence)
    assert verdict(rules_only, claim, ev) != "supported"
    assert verdict(checker, claim, ev) == "supported"


def test_an_unrelated_claim_is_still_refused(checker):
    ev = Evidence("E1", "이 재킷은 비 오는 날에도 안까지 젖지 않도록 3레이어 원단으로 만들었습니다.")
    assert verdict(checker, "이 재킷은 세탁기로 빨아도 됩니다.", ev) != "supported"


def test_every_claim_reports_the_features_the_scorer_saw(checker):
    (claim_verdict, rows), = checker.judge_claims(
        __import__("service.nlp.claims", fromlist=["split_claims"]).split_claims("가격은 29,000원입니다.", checker.analyzer), [TEE])
    assert claim_verdict.verdict == "supported"
    assert rows.shape[1] == 3 * 512 + len(SCALAR_FEATURES) + len(RULE_FEATURES)


def test_training_runs_end_to_end_on_a_small_sample(tmp_path, checker):
    from service.grounding import train_entailment as T

    examples = [T.Example(c, [("E", e)], y, s, e) for c, e, y, s in [
        ("가격은 29,000원입니다.", "가격: 29,000원", 1, "a"), ("가격은 39,000원입니다.", "가격: 29,000원", 0, "a"),
        ("면 100% 소재예요.", "소재: 면 100%", 1, "b"), ("울 소재예요.", "소재: 면 100%", 0, "b"),
        ("비가 와도 젖지 않아요.", "방수 기능이 있어 비에 젖지 않습니다.", 1, "a"), ("비에 젖어요.", "방수 기능이 있어 비에 젖지 않습니다.", 0, "b"),
    ]]
    data = T.featurise(examples, checker)
    mean, scale, coef, b = T.fit(data.rows, data.labels, T.source_weights(data.sources), 0.01)
    assert coef.shape == (data.rows.shape[1],) and np.isfinite(b)


# --- another store's English export -----------------------------------------------------

DJ = Evidence("dj-1", "Title: Gray Dress\nBrand: Nova\nPrice: $19.99\nStock: 43 (In Stock)\n"
                      "Warranty: 1 month warranty\nDimensions: 15.14 x 13.08 x 22.99 cm")


def test_an_english_stock_line_settles_stock_claims(checker):
    assert verdict(checker, "It is currently out of stock. [dj-1]", DJ) == "contradicted"
    assert verdict(checker, "It is in stock. [dj-1]", DJ) == "supported"


def test_every_side_of_a_dimension_chain_has_its_unit(checker):
    assert verdict(checker, "It measures 15.14 cm wide, 13.08 cm high and 22.99 cm deep. [dj-1]", DJ) == "supported"
    assert verdict(checker, "It is 16 cm wide. [dj-1]", DJ) != "supported"


def test_english_names_the_evidence_never_mentions(checker):
    assert verdict(checker, "It costs $19.99 at Walmart. [dj-1]", DJ) != "supported"
    assert verdict(checker, "It comes with no warranty. [dj-1]", DJ) != "supported"


def test_bulganeung_is_one_negation(checker):
    # Kiwi cuts 불가능 into a prefix and 가능
    assert verdict(checker, "세탁기 사용이 불가능합니다.", TEE) == "contradicted"


def test_a_gloss_is_as_new_as_its_korean_word(checker):
    ev = Evidence("P1", "반품 정책: 일반 반품 규정(수령 후 7일 이내)")
    assert "standard" not in str(checker.check("일반 상품(standard) 반품 정책이 적용됩니다.", [ev]).claims[0].reason)
    assert verdict(checker, "블루사인(bluesign) 인증 원단입니다.", ev) != "supported"


def test_the_scorer_can_be_switched_off_and_that_changes_the_policy_fingerprint(small_container):
    from tests.conftest import container_with

    off = container_with(small_container, grounding_scorer=False)
    assert off.guards.grounding_checker.entailment is None
    assert small_container.guards.grounding_checker.entailment is not None
    spec = small_container.pipeline.specs["summary"]
    assert off.guards.fingerprint(spec) != small_container.guards.fingerprint(spec)


# --- found by a user auditing copy from the README alone ---------------------------------

FINAL = Evidence("POL-RETURN-FINAL-SALE", "반품 정책 - 파이널 세일 상품(final_sale)\n파이널 세일(final_sale) 상품은 단순 변심에 의한 "
                 "반품과 교환이 모두 불가합니다. 상품 불량 또는 오배송인 경우에만 반품·교환이 가능하며, 이 경우 수령 후 30일 이내 신청, "
                 "배송비 전액 회사 부담 기준이 적용됩니다.")
HOODIE = Evidence("P904", "피그먼트 로고 후드티\n가격: 49,000원\n반품 정책: 파이널 세일(단순 변심 반품·교환 불가)")
COAT = Evidence("P905", "클래식 더블 트렌치코트\n가격: 189,000원\n기능: 방수: 없음, 생활방수(발수): 있음")


def test_this_case_refers_back_to_its_condition(checker):
    assert verdict(checker, "피그먼트 로고 후드티는 수령 후 30일 이내라면 반품할 수 있어요.", HOODIE, FINAL) != "supported"


def test_the_product_name_does_not_hide_a_negation(checker):
    from service.retrieval.loaders import load_knowledge

    docs = load_knowledge(ROOT / "knowledge")  # the real P004 record and its policy, as a user sent them
    evidence = [Evidence(i, docs[i].text) for i in ("P004", "POL-RETURN-FINAL-SALE")]
    assert verdict(checker, "피그먼트 로고 후드티는 단순 변심으로도 교환할 수 있어요.", *evidence) != "supported"


def test_a_feature_named_as_the_means_is_asserted(checker):
    assert verdict(checker, "클래식 더블 트렌치코트는 방수 기능으로 폭우에도 젖지 않아요.", COAT) == "contradicted"


def test_a_stated_value_denied_is_a_contradiction(checker):
    assert verdict(checker, "헤비웨이트 티셔츠는 면 100%가 아닙니다.", TEE) == "contradicted"
    assert verdict(checker, "가격은 29,000원이 아니에요.", TEE) == "contradicted"
