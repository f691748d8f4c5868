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
    assert set(PLACEHOLDERS.values()) == {"[PHONE]", "[RRN]", "[EMAIL]", "[CARD]", "[PASSPORT]", "[DRIVER_LICENSE]",
                                          "[BANK_ACCOUNT]", "[ADDRESS]"}


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
        PiiGuard(types=["shoe_size"])


# ---- issue 13: spelled-out numbers, dashless resident numbers, obfuscated e-mails, IDs -----------
@pytest.mark.parametrize(
    "text, kind, span",
    [
        # the forms quoted in issue 13 (each passed the detector before)
        ("공일공 이삼사오 육칠팔구로 연락 주세요", "phone", "공일공 이삼사오 육칠팔구"),
        ("제 번호 0 1 0 2 3 4 5 6 7 8 8 입니다", "phone", "0 1 0 2 3 4 5 6 7 8 8"),
        ("연락처 010-이삼사오-6793 으로", "phone", "010-이삼사오-6793"),
        ("본인확인용 9001011234568 보내드려요", "rrn", "9001011234568"),  # no dash, no 주민번호, valid check digit
        ("메일은 hong (at) example dot com 입니다", "email", "hong (at) example dot com"),
        ("hong골뱅이example.com 으로 영수증 주세요", "email", "hong골뱅이example.com"),
        ("여권번호 M12345678 로 통관 신고", "passport", "M12345678"),
        ("M12345678", "passport", "M12345678"),  # without a cue too
        # more of the same kinds
        ("영일영 일이삼사 오육칠팔 번으로 문자", "phone", "영일영 일이삼사 오육칠팔"),
        ("번호가 공일공 이삼사오 육칠팔구이에요", "phone", "공일공 이삼사오 육칠팔구"),  # 이 here is the copula
        ("공 일 공 일 이 삼 사 오 육 칠 팔 로 전화", "phone", "공 일 공 일 이 삼 사 오 육 칠 팔"),
        ("010 - 9876 - 5432 로 연락", "phone", "010 - 9876 - 5432"),
        ("번호 공일공\u200b이삼사오육칠팔구로", "phone", "공일공\u200b이삼사오육칠팔구"),
        ("구공공일공일 일이삼사오육팔 이게 제 번호", "rrn", "구공공일공일 일이삼사오육팔"),
        ("카드 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 결제", "card", "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"),
        ("call me at 0082 10 1357 2468", "phone", "0082 10 1357 2468"),
        ("office +82 2 3456 7890", "phone", "+82 2 3456 7890"),
        ("외국인등록번호 9001015123450 입니다", "rrn", "9001015123450"),
        ("hong [at] example [dot] com 으로", "email", "hong [at] example [dot] com"),
        ("minsu92 앳 naver 닷컴 으로 연락", "email", "minsu92 앳 naver 닷컴"),
        ("아이디 yuna_k 골뱅이 네이버 입니다", "email", "yuna_k 골뱅이 네이버"),
        ("메일 hong @ example . com", "email", "hong @ example . com"),
        ("passport no. M123A4567, expires 2030", "passport", "M123A4567"),
        ("제 여권번호는 EA1234567 입니다", "passport", "EA1234567"),
        ("운전면허번호 11-22-333333-44 로 본인인증", "driver_license", "11-22-333333-44"),
        ("면허 서울 12-345678-90 입니다", "driver_license", "서울 12-345678-90"),
        ("driver's licence 13 05 123456 78", "driver_license", "13 05 123456 78"),
    ],
)
def test_spelled_and_obfuscated_personal_data_is_found(text, kind, span):
    assert found(text) == [(kind, span)]


@pytest.mark.parametrize(
    "text",
    [
        "사이즈 230 240 250 260 270 280 모두 있어요",
        "회사 이사 때문에 배송지 변경하려고요",   # words made of digit syllables
        "오일 사이사이 바르면 좋아요",
        "이삼일 안에 받을 수 있나요? 오륙일 걸리나요?",
        "2026년 11월 21일 이 일 삼 사 순서로 배송돼요",
        "1 2 3 4 5 단계로 세탁하세요",
        "모델 M12345678 과 같은 원단인가요?",    # a model number, not a passport
        "정품 인증코드 M123A4567",
        "주문코드 D20261121 배송 조회",           # a letter and a date
        "품번 S24SS0012 재입고 언제 되나요",
        "shop at moastore.com for more",          # a shop's address, not a person's
        "at least 3 items at 10% off",
        "모델명 AB-12-345678-90 제품",
        "9001011234567 은 제 주문 메모 번호입니다",  # 13 digits, check digit wrong, no keyword
        "바코드 9001011234568",
    ],
)
def test_issue13_look_alikes_are_not_pii(text):
    assert found(text) == []


def test_dashless_resident_number_needs_check_digit_or_keyword():
    assert found("9001011234568") == [("rrn", "9001011234568")]        # check digit
    assert found("9001011234567") == []                                # neither
    assert found("주민번호 9001011234567") == [("rrn", "9001011234567")]  # post-2020 numbers: the keyword counts


def test_issue13_feedback_values_are_redacted():
    text = "edited 010-5555-7777 900101-1234567 카드 4111-1111-1111-1111 hong@example.com"
    assert redact(text) == ("edited [PHONE] [RRN] 카드 [CARD] [EMAIL]", {"card": 1, "email": 1, "phone": 1, "rrn": 1})


# ---- issue 13, round 2: classes a red-team run still got through to the LLM ----------------------
# Each test holds its class's positives and look-alikes (values differ from bench/data/pii_heldout.jsonl).
def test_phone_numbers_with_slash_bar_or_underscore_separators_are_found():
    for text, span in [("연락처 010/3141/5926 로 주세요", "010/3141/5926"),
                       ("번호 010|2718|2818 입니다", "010|2718|2818"),
                       ("010_1618_0339 로 문자 부탁", "010_1618_0339"),
                       ("휴대폰 010 / 4142 / 1356 부재시 문앞", "010 / 4142 / 1356"),
                       ("사무실 02/555/1234 로 연락", "02/555/1234"),
                       ("공일공/칠칠팔팔/일이삼사 로 연락", "공일공/칠칠팔팔/일이삼사")]:
        assert found(text) == [("phone", span)], text
    for text in ["2024/05/01 주문 건 배송 조회", "사이즈 230/240/250 재입고", "사이즈 230 / 240 / 250 / 260",
                 "송장번호 6012/3456/7890 조회", "색상코드 010|020|030", "주문 2024_0501_1234 건",
                 "2024.05.01~2024.05.15 주문분 02/11 도착"]:
        assert found(text) == [], text


def test_resident_numbers_with_dot_slash_or_space_between_the_groups_are_found():
    for text, span in [("주민번호 860420.1234567 입니다", "860420.1234567"),          # keyword
                       ("주민등록번호 860420 / 2345678", "860420 / 2345678"),
                       ("외국인등록번호 850315 6123451", "850315 6123451"),
                       ("본인확인용 900101/1234568", "900101/1234568"),               # check digit
                       ("제 번호 880707.1234562 로 조회", "880707.1234562"),
                       ("제 번호 750505_2345676 입니다", "750505_2345676")]:
        assert found(text) == [("rrn", span)], text
    # neither keyword nor check digit, or an order/tracking/coupon number
    for text in ["주문번호 240501.1234562 조회", "송장 번호 220315 2345678 입니다", "쿠폰 931212 2345672 적용",
                 "승인번호 240501/1234567 취소", "상품코드 950101.1000003 재고", "기간 240501/240515 주문건",
                 "9001011234567 은 제 주문 메모 번호입니다"]:
        assert found(text) == [], text
    assert found("123456-1234567") == []  # not a date


def test_passport_numbers_written_with_spaces_are_found_after_the_cue():
    for text, span in [("여권번호 M 2718 2818 입니다", "M 2718 2818"),
                       ("여권 S271 82818 로 통관", "S271 82818"),
                       ("passport no. M 271 B 8281, expires 2031", "M 271 B 8281"),
                       ("여권 번호 GB 271 8281 입니다", "GB 271 8281"),
                       ("Passport: R 2718-2818 for customs", "R 2718-2818")]:
        assert found(text) == [("passport", span)], text
    for text in ["M 2718 2818 입니다",                        # spaced, without the cue: a code as often as not
                 "여권 사진 규격 3.5 x 4.5 cm 인가요?", "여권지갑 M 사이즈 39,000원, 2 개",
                 "여권 커버 M 1 개, L 2 개 교환", "passport holder size M 12 x 9 cm",
                 "여권지갑 모델 AB 2024 0501 재입고", "여권케이스 주문번호 20240501-0001234"]:
        assert found(text) == [], text


def test_hangul_digit_groups_joined_by_particles_are_read_as_phone_numbers():
    for text, span in [("공일공에 삼일사일에 오구이육요", "공일공에 삼일사일에 오구이육"),
                       ("번호는 공일공이요 칠삼팔이요 오구사육이요", "공일공이요 칠삼팔이요 오구사육"),  # 칠삼팔이 = 7382
                       ("공일공하고 구팔칠육하고 오사삼이로 연락", "공일공하고 구팔칠육하고 오사삼이"),
                       ("연락처 공일공, 사팔이일, 구삼칠오 입니다", "공일공, 사팔이일, 구삼칠오"),
                       ("010에 이삼사오에 6793이요", "010에 이삼사오에 6793")]:
        assert found(text) == [("phone", span)], text
    for text in ["이삼일에 오륙일이요, 배송 기간이요", "일이요 이요 삼이요 순서로 골라 주세요",
                 "공일공에 맞춰서 주문했어요, 사이즈 240이요", "이월 이일에 주문, 삼월 사일에 반품이요",
                 "사이즈는 이백사십이요, 가격은 삼만구천원이요", "오일하고 이삼일, 사오일 중에 언제 와요"]:
        assert found(text) == [], text


# ---- issue 13, round 3: classes a fresh-eyes tester still got through --------------------------------
# Values differ from bench/data/pii_heldout.jsonl (section round3) and from the tester's strings.
def test_any_punctuation_between_digit_groups_is_a_separator():
    for text, kind, span in [("연락처 010~6021~4478 로", "phone", "010~6021~4478"),
                             ("010*1357*2468 문자", "phone", "010*1357*2468"),
                             ("010ㆍ9087ㆍ6543 입니다", "phone", "010ㆍ9087ㆍ6543"),      # U+318D araea
                             ("010・2233・4455 로", "phone", "010・2233・4455"),
                             ("010 ~ 7788 ~ 9911 로", "phone", "010 ~ 7788 ~ 9911"),
                             ("010~*~3141~*~5926", "phone", "010~*~3141~*~5926"),       # a short run
                             ("카드 4485.2538.8853.9336", "card", "4485.2538.8853.9336"),
                             ("카드 4010_9281_5901_3962", "card", "4010_9281_5901_3962"),
                             ("카드 6011~4431~9829~6572", "card", "6011~4431~9829~6572"),
                             ("아멕스 3704/352056/17483", "card", "3704/352056/17483"),  # Amex 4-6-5
                             ("주민번호 781102~1100000 입니다", "rrn", "781102~1100000"),
                             ("본인확인 920614*2100008", "rrn", "920614*2100008")]:     # check digit
        assert found(text) == [(kind, span)], text
    for text in ["기간 2024.05.01~2024.05.31", "29,000원~1,290,000원", "사이즈 230/240", "10:30~18:00 영업",
                 "배송 1~3일", "버전 2.14.3", "주문번호 20261121-0001234", "송장 6892*1234*5678",
                 "상품코드 4010~9281~5901~3962", "허리 28~34, 총장 98·101·104cm",
                 "920614*2100001 메모"]:                 # no keyword and a wrong check digit
        assert found(text) == [], text


def test_letters_standing_for_digits_in_a_phone_number():
    for text, span in [("연락처 O1O-2846-1357 입니다", "O1O-2846-1357"), ("o1o 5567 2231 로", "o1o 5567 2231"),
                       ("0l0-4419-8820 로 문자", "0l0-4419-8820"), ("OIO.3321.7788", "OIO.3321.7788")]:
        assert found(text) == [("phone", span)], text
    for text in ["모델 OL0-2300 블랙", "oil 1000ml 3개", "LOL 010 버전", "Polo 1010-2020 컬렉션",
                 "IO10-2024-0501 상품"]:                  # a letter glued to a dashed code is no account either
        assert found(text) == [], text


def test_spoken_dashes_between_hangul_digit_groups():
    for text, span in [("공일공 다시 사사칠칠 다시 일이오팔", "공일공 다시 사사칠칠 다시 일이오팔"),
                       ("공일공 대시 구구일일 대시 삼삼팔팔", "공일공 대시 구구일일 대시 삼삼팔팔"),
                       ("공일공 하이픈 칠이칠이 하이픈 오공오공 입니다", "공일공 하이픈 칠이칠이 하이픈 오공오공"),
                       ("010 다시 5123 다시 8890 로", "010 다시 5123 다시 8890")]:
        assert found(text) == [("phone", span)], text
    for text in ["다시 한번 이삼일 안에 보내주세요", "일이삼 다시 사오육 순서로 접으세요", "하이픈 없이 이름만 적어주세요"]:
        assert found(text) == [], text


def test_obfuscated_and_letter_spaced_emails():
    for text, span in [("jin.ho(@)daum.net 로", "jin.ho(@)daum.net"), ("min77 에이티 naver.com", "min77 에이티 naver.com"),
                       ("kang 에이트 gmail.com 으로", "kang 에이트 gmail.com"),
                       ("h a n 7 7 @ n a v e r . c o m 으로", "h a n 7 7 @ n a v e r . c o m")]:
        assert found(text) == [("email", span)], text
    for text in ["에이티 (AT) 라인 신상", "S M L XL 사이즈", "c o t t o n 100% 소재", "w w w . m o a . c o . k r"]:
        assert found(text) == [], text


def test_passport_letter_spelled_in_hangul_after_the_cue():
    for text, span in [("여권 에스 6021 4478", "에스 6021 4478"), ("여권번호 알 71829304", "알 71829304"),
                       ("passport 디 5566 1122", "디 5566 1122"), ("여권 엠 3141 5926 입니다", "엠 3141 5926")]:
        assert found(text) == [("passport", span)], text
    for text in ["여권지갑 엠 사이즈 2개", "여권 케이스 알록달록 12,900원", "여권지갑 디자인 2종, 코드 디 1234 5678",
                 "엠 3141 5926 입니다"]:                # no cue
        assert found(text) == [], text


def test_long_hostile_digit_and_separator_input_is_handled():
    text = ("0~1*2ㆍ3-4 5.6/7|8_9" * 60)[:1000]
    hits = find_pii(text)
    assert all(0 <= h.start < h.end <= len(text) for h in hits)


@pytest.mark.parametrize("text", ["4929-3746.1120-5831", "4929 3746.1120 5831", "4929~3746.1120/5831",
                                  "3782-822463.10005"])
def test_cards_with_mixed_separators(text):
    assert [h.type for h in find_pii(f"카드 {text} 로 결제")] == ["card"]  # was missed: groups had to agree


def test_hangul_filler_separators_are_invisible():
    assert redact("연락처 010\u31644627\u31648815")[1] == {"phone": 1}
