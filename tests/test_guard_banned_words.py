"""Banned-word matcher: obfuscation, precision rules, offsets, YAML loading and the guardrails validator."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from service.guards.guardrails_offline import offline_guard  # first: pins the offline guardrails RC
from service.guards.banned_words import (
    BannedWordHit,
    BannedWordMatcher,
    BannedWords,
    Category,
    default_matcher,
    find_banned_words,
    redact,
)


@pytest.fixture(scope="module")
def matcher() -> BannedWordMatcher:
    return default_matcher()


def surfaces(text: str, matcher: BannedWordMatcher) -> list[tuple[str, str]]:
    return [(text[h.start:h.end], h.category) for h in matcher.find(text)]


# ---- obfuscated spellings are found, with spans in the original text ------------------------
@pytest.mark.parametrize(
    "text, span",
    [
        ("시1발 교환 신청만 세 번째", "시1발"),
        ("씨.발 포장이 엉망", "씨.발"),
        ("시 발 이게 정품이라고?", "시 발"),
        ("개 새 끼 들아 답장 좀", "개 새 끼"),
        ("ㅅㅣㅂㅏㄹ 이거 누가 검수함", "ㅅㅣㅂㅏㄹ"),  # decomposed jamo
        ("ㄱㅐㅅㅐㄲㅣ들 답장 좀", "ㄱㅐㅅㅐㄲㅣ"),
        ("씨\u200b발 배송비를 또 받냐", "씨\u200b발"),  # zero-width space inside the word
        ("병\u200d신 같은 응대", "병\u200d신"),
        ("씨이이발 또 지연", "씨이이발"),  # repeated letters
        ("ＦＵＣＫ this courier", "ＦＵＣＫ"),  # full width
        ("fuuuuck, wrong colour", "fuuuuck"),
        ("F*U*C*K, wrong size", "F*U*C*K"),
        ("f u c k this", "f u c k"),
        ("ㅅㅂ 사이즈 또 잘못 옴", "ㅅㅂ"),
        ("This is fucking ridiculous", "fucking"),  # allowed English suffix
    ],
)
def test_obfuscated_profanity_is_found_with_original_span(matcher, text, span):
    hits = matcher.find(text)
    assert [(text[h.start:h.end], h.category) for h in hits] == [(span, "profanity")]


# ---- innocent look-alikes stay clean ------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "이번 컬렉션은 브랜드의 시발점이 된 디자인이에요.",
        "오후 2시 발송 마감입니다.",
        "주문하신 상품은 다시 발송해 드렸습니다.",
        "새끼손가락 반지 사이즈는 3호부터 있어요.",
        "8등신 모델 핏이 아니어도 예뻐요.",
        "두 개 같은 색상으로 왔어요.",
        "3개 같은 사이즈로 주문했어요.",
        "아이가 하도 졸라서 샀어요.",
        "세탁기로 빨아도 되나요?",
        "사이즈표를 보지 못했어요.",
        "SM 사이즈와 108 사이즈가 있어요.",
        "카드 결제 시 할부 가능, 폰으로 주문했어요.",
        "유니섹스 핏이라 커플룩으로 좋아요.",
        "최고급 울 원단, 세탁은 최고 40도까지.",
        "면 100%, 울 100% 소재입니다.",
        "이염 예방을 위해 단독 세탁, 부작용이 나타나면 사용을 중단하세요.",
        "지그재그 스티치가 포인트예요.",
        "총장 29cm 미니백, 가로 29CM 파우치",
        "원가격 대비 40% 할인, 배송비 포함 3만원가량, 회원가입 시 쿠폰",
        "The classic trench, assorted colours, our assistant, a Sussex tweed, Dickies pants.",
        "The shiitake brown colour is popular.",
    ],
)
def test_innocent_look_alikes_are_clean(matcher, text):
    assert surfaces(text, matcher) == []


# ---- each category, with its YAML severity and action -------------------------------------------
@pytest.mark.parametrize(
    "text, span, category, severity, action",
    [
        ("국내 최고의 캐시미어", "최고", "advertising", "medium", "fix"),
        ("착용감 100% 보장되는 슬랙스", "100% 보장", "advertising", "medium", "fix"),
        ("업계최고 수준의 봉제", "최고", "advertising", "medium", "fix"),  # compound allowed for ads
        ("항균 99.9% 기능성 속옷", "항균 99.9%", "medical", "high", "block"),
        ("부작용 없는 천연 염색", "부작용 없", "medical", "high", "block"),
        ("무신사보다 저렴해요", "무신사", "competitor", "medium", "fix"),
        ("29CM에서 본 코트", "29CM", "competitor", "medium", "fix"),
        ("네이버 스마트스토어에서도 파나요", "네이버 스마트스토어", "competitor", "medium", "fix"),
        ("제조원가가 높아요", "원가", "internal", "high", "block"),
        ("내부 전용 자료입니다", "내부 전용", "internal", "high", "block"),
        ("씨발 환불 언제 해줘", "씨발", "profanity", "high", "block"),
    ],
)
def test_categories_carry_severity_and_action(matcher, text, span, category, severity, action):
    hits = matcher.find(text)
    assert len(hits) == 1
    h = hits[0]
    assert (text[h.start:h.end], h.category, h.severity, h.action) == (span, category, severity, action)


def test_several_hits_in_order_without_overlap(matcher):
    text = "무신사보다 싸고 품질은 국내 최고, 씨발 원가가 얼마냐"
    assert surfaces(text, matcher) == [
        ("무신사", "competitor"), ("최고", "advertising"), ("씨발", "profanity"), ("원가", "internal")]
    hits = matcher.find(text)
    assert all(a.end <= b.start for a, b in zip(hits, hits[1:]))


def test_hit_is_frozen_and_has_no_surface_field():
    hit = find_banned_words("시발 진짜")[0]
    assert isinstance(hit, BannedWordHit)
    assert [f.name for f in dataclasses.fields(hit)] == ["term", "category", "severity", "action", "start", "end"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.start = 3  # type: ignore[misc]


def test_redact_masks_hits_and_keeps_length():
    text = "씨 발 이게 최고 품질이라고?"
    masked = redact(text)
    assert masked == "* * 이게 ** 품질이라고?"
    assert len(masked) == len(text)
    assert redact("사이즈 문의드려요") == "사이즈 문의드려요"


def test_from_dir_reads_schema_allow_compound_and_term_options(tmp_path):
    (tmp_path / "shop.yaml").write_text(textwrap.dedent("""\
        category: test
        severity: low
        action: fix
        compound: false
        terms:
          - 반짝
          - {term: ABC, case_sensitive: true}
          - {term: 좋아, whole: true}
          - two words
        allow:
          - 반짝반짝
        """), encoding="utf-8")
    m = BannedWordMatcher.from_dir(tmp_path)

    def found(text):
        return [text[h.start:h.end] for h in m.find(text)]

    assert found("반짝 빛나요") == ["반짝"]
    assert found("반짝반짝 빛나요") == []            # allow phrase covers the hit
    assert found("아주반짝 빛나요") == []            # compound: false -> needs a word start
    assert found("ABC 로고") == ["ABC"] and found("abc 로고") == []
    assert found("좋아 보여요") == ["좋아"] and found("좋아요") == []
    assert found("two  words here") == ["two  words"] and found("twowords") == ["twowords"]
    assert {h.severity for h in m.find("반짝")} == {"low"}


def test_category_rejects_unknown_severity_and_empty_dir(tmp_path):
    with pytest.raises(ValueError):
        Category(category="x", severity="urgent", action="fix", terms=["a"])
    with pytest.raises(ValueError):
        Category(category="x", severity="low", action="delete", terms=["a"])
    with pytest.raises(FileNotFoundError):
        BannedWordMatcher.from_dir(tmp_path)
    with pytest.raises(ValueError, match="bad term entry"):
        BannedWordMatcher([Category(category="x", severity="low", action="fix", terms=[{"term": "a", "exact": 1}])])
    (tmp_path / "broken.yaml").write_text("category: x\nseverity: low\naction: fix\nwords: [a]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="broken.yaml"):
        BannedWordMatcher.from_dir(tmp_path)


def test_knowledge_dictionary_is_curated(matcher):
    """Short or ordinary entries from the upstream list were dropped, and every category exists."""
    assert {c.category for c in matcher.categories} == {"profanity", "advertising", "medical", "competitor", "internal"}
    profanity = next(c for c in matcher.categories if c.category == "profanity")
    terms = {t if isinstance(t, str) else t["term"] for t in profanity.terms}
    assert {"카드", "폰으로", "호로", "sm", "18년", "108", "보지", "빨아도", "팬티"}.isdisjoint(terms)
    assert {"씨발", "병신", "개새끼", "fuck"} <= terms
    assert len(terms) > 1000


# ---- the guardrails validator -------------------------------------------------------------------
def test_validator_fix_returns_masked_text_and_reports_spans():
    guard = offline_guard(BannedWords(on_fail="fix"))
    text = "시1발, 국내 최고의 품질"
    out = guard.validate(text)
    assert out.validated_output == "***, 국내 **의 품질"
    [summary] = out.validation_summaries
    assert summary.validator_status == "fail"
    assert "profanity" in summary.failure_reason and "advertising" in summary.failure_reason
    assert [(s.start, s.end) for s in summary.error_spans] == [(0, 3), (8, 10)]
    assert [s.reason for s in summary.error_spans] == ["profanity: 시발", "advertising: 최고"]  # dictionary terms, not surfaces


def test_validator_passes_clean_text():
    out = offline_guard(BannedWords(on_fail="exception")).validate("울 코트는 드라이클리닝을 권장합니다.")
    assert out.validation_passed is True
    assert out.validated_output == "울 코트는 드라이클리닝을 권장합니다."
    assert all(s.validator_status != "fail" for s in out.validation_summaries)


def test_validator_exception_raises():
    guard = offline_guard(BannedWords(on_fail="exception"))
    with pytest.raises(Exception, match="banned words"):
        guard.validate("업계 최저가로 모십니다")


def test_validator_noop_fails_without_changing_output():
    out = offline_guard(BannedWords(on_fail="noop")).validate("업계 최저가로 모십니다")
    assert out.validation_passed is False
    assert out.validated_output == "업계 최저가로 모십니다"
    assert [s.validator_status for s in out.validation_summaries] == ["fail"]


def test_validator_filters_by_category_and_severity():
    text = "무신사보다 싸요"  # competitor, medium
    only_profanity = offline_guard(BannedWords(categories=["profanity"], on_fail="noop")).validate(text)
    assert only_profanity.validation_passed is True
    high_only = offline_guard(BannedWords(min_severity="high", on_fail="noop")).validate(text)
    assert high_only.validation_passed is True
    everything = offline_guard(BannedWords(on_fail="noop")).validate(text)
    assert everything.validation_passed is False
