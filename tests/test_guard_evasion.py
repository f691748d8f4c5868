"""Evasion of the banned-word guard (issue 13, part 2) and invisible / look-alike characters in requests.

Every string quoted in the issue is here; each passed the guard (or was handed off) before the fix.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.guards.guardrails_offline import offline_guard  # first: pins the offline guardrails RC
from service.guards.banned_words import BannedWordMatcher, BannedWords, default_matcher
from service.guards.normalize import attach_stray_jamo, clean_input, fold
from service.tasks.inputs import CsAnswerInput, StylingInput

ZW = "\u200b"


@pytest.fixture(scope="module")
def matcher() -> BannedWordMatcher:
    return default_matcher()


def hits(matcher: BannedWordMatcher, text: str) -> list[tuple[str, str]]:
    return [(text[h.start:h.end], h.category) for h in matcher.find(text)]


# ---- the issue's strings ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, span, category",
    [
        ("다 이 어 트 효 과가", "다 이 어 트 효 과", "medical"),
        ("무 신 사보다", "무 신 사", "competitor"),
        ("혈 액 순 환에", "혈 액 순 환", "medical"),
        ("c0upang", "c0upang", "competitor"),
        ("fvck", "fvck", "profanity"),
        ("sh1t", "sh1t", "profanity"),
    ],
)
def test_issue_strings_are_caught(matcher, text, span, category):
    assert hits(matcher, text) == [(span, category)]


# ---- letters spelt out, then a particle or ending; uneven splits of long terms --------------------
@pytest.mark.parametrize(
    "text, span, category",
    [
        ("쿠 팡에서는 더 싸던데요", "쿠 팡", "competitor"),          # two letters: particles of two or more
        ("아 토 피에 좋은 면 소재", "아 토 피", "medical"),
        ("체 형 교 정까지 되는 보정 속옷", "체 형 교 정", "medical"),
        ("병 신이냐 진짜", "병 신", "profanity"),
        ("최 저 가로 드립니다", "최 저 가", "advertising"),
        ("다이어 트 효과 보장", "다이어 트 효과", "medical"),         # uneven pieces, long term
        ("혈액순 환 개선", "혈액순 환", "medical"),
        ("ㅁ ㅜ ㅅ ㅣ ㄴ ㅅ ㅏ 랑 비교", "ㅁ ㅜ ㅅ ㅣ ㄴ ㅅ ㅏ", "competitor"),  # spaced jamo
        ("무 \u200b신 \u200b사보다", "무 \u200b신 \u200b사", "competitor"),
    ],
)
def test_spelt_out_terms_with_particles(matcher, text, span, category):
    assert hits(matcher, text) == [(span, category)]


# ---- leetspeak, look-alike letters, invisible characters ------------------------------------------
@pytest.mark.parametrize(
    "text, span, category",
    [
        ("Sh!t, the zipper broke", "Sh!t", "profanity"),
        ("$hit happens", "$hit", "profanity"),
        ("what a b1tch of a return", "b1tch", "profanity"),
        ("f*ck the delivery", "f*ck", "profanity"),
        ("fu(k, wrong size", "fu(k", "profanity"),
        ("a55hole courier", "a55hole", "profanity"),
        ("c0upang에서 봤어요", "c0upang", "competitor"),              # a particle may follow
        ("the wh0lesale price is lower", "wh0lesale price", "internal"),
        ("F.V.C.K", "F.V.C.K", "profanity"),
        ("соupang에서 봤어요", "соupang", "competitor"),               # Cyrillic с, о
        ("ѕһіt quality", "ѕһіt", "profanity"),                       # a word of look-alikes only
        ("ΚREAM 리셀가", "ΚREAM", "competitor"),                      # Greek capital kappa
        ("с0uраng 가격", "с0uраng", "competitor"),                  # look-alikes and a digit
        ("ｆ＊ｃｋ", "ｆ＊ｃｋ", "profanity"),
        ("병\u202e신", "병\u202e신", "profanity"),                    # a bidi control inside the word
        ("s\u034fhit", "s\u034fhit", "profanity"),                  # combining grapheme joiner
        ("원\u2063가가 얼마예요", "원\u2063가", "internal"),
    ],
)
def test_disguised_letters_are_caught(matcher, text, span, category):
    assert hits(matcher, text) == [(span, category)]


# ---- precision: what must stay clean --------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "정 말 좋 아 요", "진 짜 예 뻐 요 강 추", "가 격 대 비 최 상 급",   # spaced emphasis (최상급 is allowed)
        "두 개 같은 색으로 왔어요", "오후 2 시 발송 마감", "5만 원 가요?",
        "무 신 경하게 포장해서 아쉬워요", "쿠 션감이 좋아요", "입고 가세요", "최저 기온 영하 10도",
        "Model SH1-T202 restocked", "A1 사이즈, B2 사이즈", "sh!ny satin skirt", "5hirt 5ale 50%",
        "b1ack jeans", "su1t jacket", "l0ve this bag", "Shitake brown suede", "cocktail dress",
        "Привет, размер M подойдёт?", "Сумка из кожи", "α 라인 원피스", "10µm 극세사 원단",
        "👨\u200d👩\u200d👧 가족 티셔츠", "정\u200b말 좋아요",
    ],
)
def test_hard_negatives_stay_clean(matcher, text):
    assert hits(matcher, text) == []


def test_validator_masks_a_disguised_word_in_the_original_text():
    out = offline_guard(BannedWords(on_fail="fix")).validate("무 신 사보다 싸요, sh1t")
    assert out.validated_output == "* * *보다 싸요, ****"


# ---- normalisation ------------------------------------------------------------------------------
def test_fold_maps_look_alikes_only_in_disguised_latin_words():
    assert fold("соupang에서").text == "coupang에서"
    assert fold("ѕһіt").text == "shit"
    assert fold("Привет").text == "привет"        # a real Russian word stays Cyrillic
    folded = fold("ab ㅁ ㅜ ㅅ ㅣ ㄴ ㅅ ㅏ!")
    assert folded.text == "ab 무신사!"
    assert folded.original_span(3, 6) == (3, 16)   # the syllables cover the spaced jamo


def test_clean_input_strips_invisible_and_maps_look_alikes():
    assert clean_input("교\u200b환 배\u2060송\ufeff비는\u202e?") == "교환 배송비는?"
    assert clean_input("ＳＩＺＥ　Ｍ") == "SIZE M"
    assert clean_input("Соupang") == "Coupang"      # case kept
    assert clean_input("Привет 👍🏻 ㅋㅋ") == "Привет 👍🏻 ㅋㅋ"


def test_request_text_is_cleaned_before_length_checks():
    assert CsAnswerInput.model_validate({"question": f"교{ZW}환 배{ZW}송비?"}).question == "교환 배송비?"
    assert StylingInput.model_validate({"product_id": "P001", "occasion": f"출{ZW}근"}).occasion == "출근"
    with pytest.raises(ValidationError, match="at least 2 characters"):
        CsAnswerInput.model_validate({"question": ZW * 5})


# ---- the pipeline: invisible characters neither hand off nor hide a cue ----------------------------
def test_zero_width_question_is_answered_like_the_clean_one(kb_container):
    """Zero-width spaces between every letter took the best evidence score from 0.6 to 0.21:
    the question was handed off as unanswerable."""
    clean = "반품은 언제까지 신청할 수 있나요?"
    hidden = ZW.join(clean)
    pipeline = kb_container.pipeline
    plain = pipeline.run("cs_answer", {"question": clean})
    split = pipeline.run("cs_answer", {"question": hidden})
    assert plain.output["handoff"] is False and split.output["handoff"] is False
    assert not split.insufficient_evidence
    assert split.cache.status == "hit"  # the same question: the same cache key
    assert split.output == plain.output and [c.id for c in split.citations] == [c.id for c in plain.citations]


def test_zero_width_does_not_hide_a_handoff_cue(kb_container):
    env = kb_container.pipeline.run("cs_answer", {"question": f"내{ZW} 주{ZW}문 언제 와요?"})
    assert env.output["handoff"] is True and env.reason == "handoff: account_data"


def test_matching_rules_version_is_part_of_the_policy_fingerprint(monkeypatch, tmp_path):
    """Outputs cached while "sh1t" passed must miss once the rules catch it."""
    import service.guards.banned_words as bw

    (tmp_path / "x.yaml").write_text("category: x\nseverity: low\naction: fix\nterms: [a]\n", encoding="utf-8")
    now = bw.lists_digest(tmp_path)
    monkeypatch.setattr(bw, "MATCHER_VERSION", "1")
    assert bw.lists_digest(tmp_path) != now


# ---- round 2: evasion classes a red-team run found (each case passed the guard before) --------------
@pytest.mark.parametrize(
    "text, span, category",
    [
        ("무sinsa보다 여기가 싸요", "무sinsa", "competitor"),     # Hangul, then the romanised rest
        ("musin사에서 본 제품", "musin사", "competitor"),         # Latin first; a particle follows
        ("coo팡에서 샀어요", "coo팡", "competitor"),              # oo/ou/u and c/k variants
        ("byung신 같은 포장", "byung신", "profanity"),           # eo written u
        ("ssi발 진짜", "ssi발", "profanity"),
    ],
)
def test_a_word_mixing_hangul_and_latin_is_compared_romanised(matcher, text, span, category):
    assert hits(matcher, text) == [(span, category)]


@pytest.mark.parametrize("text", ["T셔츠 2장, V넥과 U넥", "FREE사이즈라 잘 맞아요", "Sec의 주장", "si발점이 된 디자인",
                                  "쿠pon 적용가", "sns에서 보고 주문했어요"])
def test_mixed_script_words_that_are_not_terms_stay_clean(matcher, text):
    assert hits(matcher, text) == []


@pytest.mark.parametrize(
    "text, span, category",
    [
        ("무시ㄴ사보다 싸요", "무시ㄴ사", "competitor"),           # 시 + ㄴ = 신
        ("혈액수ㄴ호ㅏㄴ에 좋은 양말", "혈액수ㄴ호ㅏㄴ", "medical"),  # 호 + ㅏ + ㄴ = 환
        ("시바ㄹ 배송 언제 와", "시바ㄹ", "profanity"),
    ],
)
def test_a_stray_jamo_joins_the_syllable_before_it(matcher, text, span, category):
    assert hits(matcher, text) == [(span, category)]


def test_stray_jamo_keeps_offsets_and_leaves_laughter_alone():
    folded = attach_stray_jamo(fold("혈액수ㄴ호ㅏㄴ에"))
    assert folded.text == "혈액순환에" and folded.original_span(2, 4) == (2, 7)
    for text in ("좋아요ㅋㅋ", "작아요ㅠㅠ", "예뻐요ㅎ", "빠르다ㄷㄷ", "품절이라니ㅜ", "ㅇㅋ 주문"):
        assert attach_stray_jamo(fold(text)).text == fold(text).text


@pytest.mark.parametrize(
    "text, span, category",
    [
        ("무우신사보다 싸요", "무우신사", "competitor"),
        ("쿠우우팡에서 봤어요", "쿠우우팡", "competitor"),
        ("디이톡스 효과 레깅스", "디이톡스", "medical"),
    ],
)
def test_a_lengthened_vowel_is_skipped(matcher, text, span, category):
    assert hits(matcher, text) == [(span, category)]


@pytest.mark.parametrize("text", ["우유 색 니트", "소오름 돋는 핏", "파아란 하늘색 셔츠", "누우면 편한 잠옷"])
def test_lengthened_vowels_in_clean_text_stay_clean(matcher, text):
    assert hits(matcher, text) == []


@pytest.mark.parametrize(
    "text, span, category",
    [
        ("c00pang has it cheaper", "c00pang", "competitor"),   # o for u after leet folding
        ("musimsa sells the same", "musimsa", "competitor"),   # one letter changed
        ("cuopang delivers tomorrow", "cuopang", "competitor"),  # two letters swapped
        ("motherfuker courier", "motherfuker", "profanity"),   # one letter dropped
    ],
)
def test_a_long_latin_term_one_edit_away_is_caught(matcher, text, span, category):
    assert hits(matcher, text) == [(span, category)]


@pytest.mark.parametrize("text", ["sisal tote bag", "coupons applied", "custard yellow cardigan", "market price",
                                  "cellulose acetate frames", "basted hem"])
def test_english_words_near_a_term_stay_clean(matcher, text):
    assert hits(matcher, text) == []


@pytest.mark.parametrize(
    "text, span, category",
    [
        ("s h i t이네 진짜", "s h i t", "profanity"),
        ("c o u p a n g에서 더 싸요", "c o u p a n g", "competitor"),
        ("S S G에서 샀어요", "S S G", "competitor"),
    ],
)
def test_spaced_latin_letters_then_a_particle_are_caught(matcher, text, span, category):
    assert hits(matcher, text) == [(span, category)]


@pytest.mark.parametrize(
    "text, span, category",
    [
        ("항균 99.9 % 원단", "항균 99.9 %", "medical"),
        ("100 % 보장합니다", "100 % 보장", "advertising"),
        ("kills 99.9 % of germs", "kills 99.9 %", "medical"),
    ],
)
def test_a_space_before_percent_does_not_hide_a_claim(matcher, text, span, category):
    assert hits(matcher, text) == [(span, category)]


@pytest.mark.parametrize("text", ["검색어 순위 11위", "전체 101위에서 시작", "주간 111위", "1,111위 안에 든 상품",
                                  "강남구 111번가 매장"])
def test_a_digit_initial_term_does_not_match_inside_a_longer_number(matcher, text):
    assert hits(matcher, text) == []


def test_digit_initial_terms_still_fire_on_their_own(matcher):
    assert hits(matcher, "판매 1위 브랜드") == [("판매 1위", "advertising")]
    assert hits(matcher, "랭킹 1위 니트, 11번가보다 싸요") == [("1위", "advertising"), ("11번가", "competitor")]


@pytest.mark.parametrize("text", ["물 좀 물을 주세요", "존 나는 이 셔츠가 좋아", "세 키가 다른 모델", "5만 원 가요?"])
def test_two_letter_terms_split_before_a_one_syllable_particle_stay_off(matcher, text):
    """Decided against (knowledge/banned_words/README.md): the pieces are ordinary words too often."""
    assert hits(matcher, text) == []


def test_validator_masks_a_mixed_script_word_in_the_original_text():
    out = offline_guard(BannedWords(on_fail="fix")).validate("무sinsa보다 싸요, 무시ㄴ사")
    assert out.validated_output == "******보다 싸요, ****"


@pytest.mark.parametrize("filler", ["\u3164", "\uffa0", "\u115f", "\u1160"])
def test_hangul_fillers_are_invisible_too(matcher, filler):
    # A fresh tester's find: the Hangul fillers render as blanks but are letters to Unicode, so
    # "쿠<filler>팡" and "씨<filler>발" passed and reached a caller.
    assert [h.term for h in matcher.find(f"쿠{filler}팡보다 저렴합니다")] == ["쿠팡"]
    assert clean_input(f"무{filler}신{filler}사") == "무신사"
