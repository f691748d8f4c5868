"""Korean/English number and unit normalisation (service.nlp.numbers)."""

from __future__ import annotations

import pytest

from service.nlp.numbers import Quantity, equivalent, extract_quantities


def one(text: str, kind: str | None = None) -> Quantity:
    qs = [q for q in extract_quantities(text) if kind is None or q.kind == kind]
    assert len(qs) == 1, (text, qs)
    return qs[0]


@pytest.mark.parametrize("text", ["3만 9천원", "39,000원", "39000 won", "₩39,000", "3.9만원", "삼만 구천 원", "KRW 39,000", "39,000 KRW"])
def test_money_spellings_are_one_amount(text):
    q = one(text)
    assert (q.kind, q.value, q.unit) == ("money", 39000, "KRW")


def test_money_near_miss_and_currency_are_not_equal():
    assert not equivalent(one("36,000원"), one("39,000원"))
    assert not equivalent(one("$25"), one("25원"))  # USD is not KRW
    assert equivalent(one("3천원"), one("3,000 won"))
    assert one("1.5 million won").value == 1_500_000


def test_percent_length_weight_volume_temperature():
    assert (one("55%").kind, one("55 퍼센트").value) == ("percent", 55)
    assert one("720mm").value == one("72cm").value == 72  # canonical cm
    assert one("1.2kg").value == 1200 and one("1.2kg").unit == "g"
    assert one("약 20L").value == 20000 and one("20L").kind == "volume"
    assert (one("30℃ 이하").kind, one("30도 이하").value) == ("temperature", 30)


@pytest.mark.parametrize("a,b", [("2주", "14일"), ("하루", "1일"), ("24시간", "1일"), ("일주일", "7일"), ("1년", "12개월"), ("한 달", "30일"), ("two weeks", "14 days")])
def test_duration_equivalences(a, b):
    assert equivalent(one(a), one(b))


def test_business_days_stay_distinct_from_days():
    assert one("3영업일").unit == "business_day"
    assert one("3 business days").unit == "business_day"
    assert not equivalent(one("3일"), one("3영업일"))
    assert one("영업일 기준 3일").unit == "business_day"
    assert not equivalent(one("한 달"), one("14일"))  # a month is 28..31 days


def test_times_of_day():
    assert one("오후 2시").value == 14 and one("오후 2시").unit == "clock"
    assert equivalent(one("오후 2시"), one("14:00"))
    assert equivalent(one("2 p.m."), one("14:00"))
    assert equivalent(one("2시"), one("14:00"))  # no 오전/오후: either half of the day
    assert not equivalent(one("오후 3시"), one("14:00"))
    assert one("2시 30분").value == 2.5


def test_ranges_carry_both_ends():
    q = one("3~5영업일")
    assert (q.value, q.high, q.unit) == (3, 5, "business_day")
    assert equivalent(one("3-5 business days"), q)
    assert (one("18,000~35,000원").value, one("18,000~35,000원").high) == (18000, 35000)
    assert (one("3~5만원").value, one("3~5만원").high) == (30000, 50000)
    assert (one("3만원대").value, one("3만원대").high) == (30000, 39999)
    assert one("평일 10:00~17:00").high == 17
    assert equivalent(one("최대 5영업일"), q)  # one end of the range
    assert not equivalent(one("3~4영업일"), q)


def test_bounds_and_their_direction():
    assert one("7일 이내").bound == "max" and one("within 7 days").bound == "max"
    assert one("5만원 이상").bound == "min" and one("at least 50,000 won").bound == "min"
    assert not equivalent(one("5만원 이하"), one("5만원 이상"))
    assert equivalent(one("7일 안에"), one("7일 이내"))


def test_multipliers_counts_korean_numerals():
    assert (one("1.5배").kind, one("1.5배").value) == ("multiplier", 1.5)
    assert (one("세 가지 색상").kind, one("세 가지").value, one("세 가지").unit) == ("count", 3, "kind")
    assert equivalent(one("three colors"), one("세 가지"))
    assert one("22개국").unit == "country" and one("다섯 켤레").value == 5
    assert not equivalent(one("한 가지"), one("12개"))  # kinds are not pieces


def test_dates():
    assert one("매월 1일").unit == "day_of_month"
    assert one("11월 21일").value == 1121
    monday = one("매주 월요일")
    assert monday.unit == "weekday" and not equivalent(monday, one("매월 1일"))


def test_spans_point_into_the_original_text():
    text = "가격은 ３만 9천원이고 반품은 7일 이내예요."  # full-width digit
    qs = extract_quantities(text)
    assert [text[q.start:q.end] for q in qs] == ["３만 9천원", "7일"]
    assert qs[0].value == 39000


@pytest.mark.parametrize("text", ["원피스", "세탁 방법", "드라이클리닝만 원하시면", "세 번째", "한국", "P012 SG-001", "배송비 안내"])
def test_words_that_look_like_numbers_are_not(text):
    assert [q for q in extract_quantities(text) if q.kind != "number"] == []
