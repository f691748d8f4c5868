"""PII detection and redaction: each type, the look-alikes that must not fire, and the validator."""

from __future__ import annotations

import dataclasses

import pytest

from service.guards.guardrails_offline import offline_guard  # first: pins the offline guardrails RC
from service.guards.pii import PLACEHOLDERS, PiiGuard, PiiHit, find_pii, redact


def found(text: str) -> list[tuple[str, str]]:
    return [(h.type, text[h.start:h.end]) for h in find_pii(text)]


@pytest.mark.parametrize(
    "text, kind, span",
    [
        ("배송 전에 010-1234-5678로 연락 부탁드려요.", "phone", "010-1234-5678"),
        ("연락처는 01098765432 입니다.", "phone", "01098765432"),
        ("해외에 있어서 +82 10-4567-8901로 연락 바랍니다.", "phone", "+82 10-4567-8901"),
        ("사무실 번호는 02-123-4567이에요.", "phone", "02-123-4567"),
        ("경비실 031-765-4321로 맡겨 주세요", "phone", "031-765-4321"),
        ("고객센터 1588-1234 로 전화했는데", "phone", "1588-1234"),
        ("제 번호 ０１０－１２３４－５６７８ 입니다", "phone", "０１０－１２３４－５６７８"),
        ("주민번호 900101-1234567 적어야 하나요?", "rrn", "900101-1234567"),
        ("주민등록번호는 0203154123456 입니다", "rrn", "0203154123456"),
        ("영수증은 minji.kim@example.com 으로", "email", "minji.kim@example.com"),
        ("카드번호 4111-1111-1111-1111 로 결제했어요", "card", "4111-1111-1111-1111"),
        ("Amex 3782-822463-10005 charged twice", "card", "3782-822463-10005"),
        ("환불 계좌는 신한 110-123-456789 입니다.", "bank_account", "110-123-456789"),
        ("토스뱅크 100012345678 로 환불 가능할까요?", "bank_account", "100012345678"),
        ("서울시 강남구 테헤란로 123으로 보내 주세요.", "address", "서울시 강남구 테헤란로 123"),
        ("배송지: 경기도 성남시 분당구 판교역로 235 101동 1203호", "address",
         "경기도 성남시 분당구 판교역로 235 101동 1203호"),
        ("서울 강남구 역삼동 123-45 로 보내주세요", "address", "서울 강남구 역삼동 123-45"),
        ("강남구 역삼로 180 3층 사무실로", "address", "강남구 역삼로 180 3층"),
        ("(010) 1234-5678 로 연락", "phone", "(010) 1234-5678"),
        ("전화 02 123 4567 로 주세요", "phone", "02 123 4567"),
        ("신한 110 123 456789 로 환불", "bank_account", "110 123 456789"),
    ],
)
def test_each_type_is_found_with_its_span(text, kind, span):
    assert found(text) == [(kind, span)]


@pytest.mark.parametrize(
    "text",
    [
        "가격은 39,000원이고 50,000원 이상 무료배송이에요.",
        "신발 사이즈 230mm, 할인율 30%, 적립 5%",
        "상품번호 P001 과 P002 를 같이 주문했어요.",
        "주문번호 20261121-0001234 배송 언제 되나요?",
        "2026-11-21 에 주문했고 2026.11.21 오후 2시에 결제했어요",
        "운송장번호 6012-3456-7890 조회가 안 돼요.",
        "사업자등록번호 123-45-67890",
        "SKU 2026-11-0001 상품 문의",
        "바코드 8801234567893 상품 맞나요?",
        "주민번호 900101-1****** 로 가려서 보냈어요",  # already masked
        "전화번호 010-****-5678 로 연락 왔어요",
        "990231-1234567 이거 맞나요?",  # 31 February is not a date
        "카드번호 1234-5678-9012-3456 맞나요?",  # fails Luhn and has no issuer prefix
        "평일 10:00~17:00, 점심 12:30~13:30",
        "해외 배송비는 18,000~35,000원, 1,234,567원 결제",
        "주문 수량 1500-2000 장 가능한가요?",
        "서울 강남구 당일배송 가능한 지역인가요?",
        "친구 선물로 2개 샀어요",
        "제주 추가 3,000원, 도서산간 추가 5,000원",
        "110 123 456789",  # spaced digit groups count as an account only after a bank word
    ],
)
def test_look_alikes_are_not_pii(text):
    assert found(text) == []


def test_several_types_in_one_text_in_order():
    text = "받는 분 010-2233-4455, 서울시 강남구 테헤란로 152 12층, 메일 yuna@example.org, 환불 계좌 신한 110-987-654321"
    assert [k for k, _ in found(text)] == ["phone", "address", "email", "bank_account"]


def test_hit_stores_no_value():
    [hit] = find_pii("010-1234-5678")
    assert isinstance(hit, PiiHit)
    assert [f.name for f in dataclasses.fields(hit)] == ["type", "start", "end"]
    assert "1234" not in repr(hit)


def test_redact_replaces_with_placeholders_and_counts():
    text = "연락처 010-1111-2222 / 010-3333-4444, 주민번호 900101-1234567, 메일 a.b@example.com"
    redacted, counts = redact(text)
    assert redacted == "연락처 [PHONE] / [PHONE], 주민번호 [RRN], 메일 [EMAIL]"
    assert counts == {"email": 1, "phone": 2, "rrn": 1}
    assert redact("사이즈 M 있나요?") == ("사이즈 M 있나요?", {})
    assert set(PLACEHOLDERS.values()) == {"[PHONE]", "[RRN]", "[EMAIL]", "[CARD]", "[BANK_ACCOUNT]", "[ADDRESS]"}


def test_zero_width_inside_a_number_does_not_hide_it():
    text = "010-1234-\u200b5678 로 연락"
    assert found(text) == [("phone", "010-1234-\u200b5678")]


# ---- the guardrails validator -------------------------------------------------------------------
def test_validator_fix_redacts_and_reports_spans():
    text = "주소는 부산광역시 해운대구 센텀중앙로 97, 연락처 010-5555-1212"
    out = offline_guard(PiiGuard(on_fail="fix")).validate(text)
    assert out.validated_output == "주소는 [ADDRESS], 연락처 [PHONE]"
    [summary] = out.validation_summaries
    assert summary.validator_status == "fail"
    assert [s.reason for s in summary.error_spans] == ["address", "phone"]
    assert [text[s.start:s.end] for s in summary.error_spans] == ["부산광역시 해운대구 센텀중앙로 97", "010-5555-1212"]
    assert "address x1" in summary.failure_reason and "phone x1" in summary.failure_reason


def test_validator_exception_and_noop():
    with pytest.raises(Exception, match="personal data"):
        offline_guard(PiiGuard(on_fail="exception")).validate("메일 minji@kakao.com")
    out = offline_guard(PiiGuard(on_fail="noop")).validate("메일 minji@kakao.com")
    assert out.validation_passed is False
    assert out.validated_output == "메일 minji@kakao.com"


def test_validator_passes_clean_text_and_filters_types():
    clean = offline_guard(PiiGuard(on_fail="exception")).validate("주문번호 20261121-0001234 배송 문의")
    assert clean.validation_passed is True
    emails_only = offline_guard(PiiGuard(types=["email"], on_fail="noop")).validate("010-1234-5678")
    assert emails_only.validation_passed is True
    with pytest.raises(ValueError):
        PiiGuard(types=["passport"])
