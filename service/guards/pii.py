"""Personal data in Korean commerce text: find it, or replace it with placeholders.

Types: phone, rrn (주민등록번호), email, card, bank_account, address. Hits carry
only the type and the span, never the value. Matching runs on folded text
(normalize.fold: full-width digits, dash variants and zero-width characters) and
reports spans in the original text.

Placeholder scheme: one ASCII token per type, "[PHONE]", "[RRN]", "[EMAIL]",
"[CARD]", "[BANK_ACCOUNT]", "[ADDRESS]" (language-neutral, so the same token
appears in Korean and English text, logs and prompts).

Precision rules (what does NOT count):
- masked values (010-****-5678, 900101-1******) are already safe;
- rrn: the date part must be a real past date for the century given by the 7th
  digit; 13 digits without a separator need a keyword (주민, 등록번호, 통관 ...);
- card: Luhn check, a plausible issuer prefix, and 4-4-4-4 / 4-6-5 grouping or no separators;
- bank_account: 2-4 hyphenated digit groups with 10-14 digits (two groups, space-
  separated groups or no separator at all only after a bank/account keyword). Not after an order, tracking,
  business-number, model or SKU keyword; not the business-number shape 3-2-5; not a
  year-month code (2026-11-0001). Order numbers are defined as YYYYMMDD-NNNNNNN
  ("주문번호 20261121-0001234"), which this shape never matches;
- address: a 시/도 (or a well-known 시/구 without one), then a road (…로/…길) and a
  building number, or a 동/리 and a lot number. A region alone (서울 강남구) is not an address.
- prices (39,000원), sizes (230mm), percentages, dates and product ids (P001) have
  no pattern here that accepts them.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

from guardrails.validator_base import (
    ErrorSpan,
    FailResult,
    PassResult,
    ValidationResult,
    Validator,
    register_validator,
)

from service.guards.normalize import fold

PII_TYPES = ("email", "rrn", "card", "phone", "bank_account", "address")  # also the overlap priority
PLACEHOLDERS = {t: f"[{t.upper()}]" for t in PII_TYPES}


@dataclass(frozen=True, slots=True)
class PiiHit:
    type: str
    start: int   # offsets into the ORIGINAL text
    end: int


_EMAIL = re.compile(r"(?<![a-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![a-z0-9-])")
_RRN = re.compile(r"(?<![0-9])([0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([- ]?)([1-8])[0-9]{6}(?![0-9*])")
_CARD = re.compile(
    r"(?<![0-9])(?:[0-9]{4}([- ])[0-9]{4}\1[0-9]{4}\1[0-9]{4}(?:\1[0-9]{1,3})?"
    r"|[0-9]{4}([- ])[0-9]{6}\2[0-9]{4,5}|[0-9]{13,19})(?![0-9])"
)
_PHONE = re.compile(
    r"(?<![0-9+])(?:\+82[-. ]?(?:\(0\)[-. ]?)?0?1[016789]|\(?01[016789]\)?)[-. ]?[0-9]{3,4}[-. ]?[0-9]{4}(?![0-9*])"
    # landlines and 050x/070 need a separator: ten bare digits are too often something else
    r"|(?<![0-9])(?:\(0(?:2|[3-6][1-5]|70|50[2-8])\) ?|0(?:2|[3-6][1-5]|70|50[2-8])(?:[-. ]|\) ?))"
    r"[0-9]{3,4}[-. ][0-9]{4}(?![0-9*])"
    # nationwide representative numbers (1588-xxxx ...), not a range such as 1600-1800mm
    r"|(?<![0-9])1(?:5(?:44|66|77|88|99)|6(?:00|44|61|66|68|70|88)|8(?:00|11|33|55|77|99))-[0-9]{4}"
    r"(?![0-9])(?!\s*(?:mm|cm|원|년|장|개|벌|%))"
)
_ACCOUNT_DASHED = re.compile(r"(?<![0-9-])[0-9]{2,6}(?:-[0-9]{1,8}){1,3}(?![0-9]|-[0-9])")
_ACCOUNT_PLAIN = re.compile(r"(?<![0-9-])[0-9]{10,14}(?![0-9-])")
_ACCOUNT_SPACED = re.compile(r"(?<![0-9])[0-9]{2,6}(?: [0-9]{2,8}){2,3}(?![0-9])")  # only after a bank word

_BANK_WORDS = re.compile(
    r"계좌|입금|환불|은행|뱅크|예금주|농협|신협|수협|새마을|우체국|국민|신한|우리|하나|기업|카카오|토스|"
    r"케이뱅크|sc제일|씨티|account|bank"
)
_NOT_ACCOUNT_WORDS = re.compile(
    r"주문\s*번호|송장|운송장|택배|사업자|통신판매|등록번호|상품\s*번호|상품\s*코드|모델|품번|sku|order|"
    r"tracking|invoice|바코드|승인\s*번호|코드|쿠폰"
)
_RRN_WORDS = re.compile(r"주민|등록\s*번호|통관|외국인|rrn|resident")
_BARCODE_WORDS = re.compile(r"바코드|barcode|ean|상품\s*번호|상품\s*코드|sku|isbn|upc")

_SIDO = (
    r"(?:서울(?:특별시|시)?|부산(?:광역시|시)?|대구(?:광역시|시)?|인천(?:광역시|시)?|광주(?:광역시|시)?|"
    r"대전(?:광역시|시)?|울산(?:광역시|시)?|세종(?:특별자치시|시)?|경기도?|강원(?:특별자치도|도)?|"
    r"충청북도|충북|충청남도|충남|전라북도|전북(?:특별자치도)?|전라남도|전남|경상북도|경북|경상남도|경남|"
    r"제주(?:특별자치도|도)?)"
)
# Districts that people write without the province (강남구 테헤란로 ...). A generic
# "…구" would also take 친구 and 가구, so without a 시/도 only these names count.
_KNOWN_SIGUNGU = (
    "종로구 중구 용산구 성동구 광진구 동대문구 중랑구 성북구 강북구 도봉구 노원구 은평구 서대문구 마포구 "
    "양천구 강서구 구로구 금천구 영등포구 동작구 관악구 서초구 강남구 송파구 강동구 해운대구 수영구 "
    "부산진구 동래구 사하구 금정구 연제구 사상구 기장군 분당구 수정구 중원구 수지구 기흥구 처인구 영통구 "
    "팔달구 장안구 권선구 일산동구 일산서구 덕양구 유성구 수성구 달서구 연수구 남동구 부평구 계양구 "
    "수원시 성남시 고양시 용인시 부천시 안산시 안양시 남양주시 화성시 평택시 의정부시 시흥시 파주시 "
    "김포시 광명시 군포시 하남시 오산시 이천시 안성시 의왕시 양주시 구리시 포천시 과천시 창원시 청주시 "
    "천안시 전주시 포항시 김해시 제주시 서귀포시 원주시 춘천시 구미시 진주시 아산시 익산시 군산시 "
    "목포시 여수시 순천시 경주시 거제시 양산시 강릉시"
).split()
_SIGUNGU = r"[가-힣]{1,5}(?:시|군|구)"
_KNOWN = "(?:" + "|".join(sorted(_KNOWN_SIGUNGU, key=len, reverse=True)) + ")"
_NUMBER_END = r"(?![0-9]|[.,][0-9]|\s*(?:개|벌|장|명|원|세|번째|cm|mm|kg|%|시간|분|일|월|년|주|회|차|박|인분|호선))"
_ADDRESS = re.compile(
    rf"(?<![가-힣])(?:{_SIDO}\s*(?:{_SIGUNGU}\s+){{0,2}}|{_KNOWN}\s+(?:{_SIGUNGU}\s+)?)"
    r"(?:[가-힣]{1,5}(?:읍|면)\s+)?"
    r"(?:[가-힣0-9]{1,12}(?:로|길)\s*[0-9]{1,5}(?:-[0-9]{1,5})?"      # road name + building number
    r"|[가-힣0-9]{1,6}(?:동|리|[0-9]가)\s*[0-9]{1,5}(?:-[0-9]{1,5})?(?:\s*번지)?)"  # 동/리 + lot number
    + _NUMBER_END
    + r"(?:,?\s*(?:[0-9]{1,4}동\s*[0-9]{1,5}호|[0-9]{1,5}호|[0-9]{1,3}층))*"
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card_prefix(d: str) -> bool:
    """Visa, Mastercard, Amex, JCB, Diners, Discover/UnionPay and Korean domestic (9…) issuers."""
    return (d[0] in "49" or d[:2] in ("34", "35", "36", "37", "38", "30", "62", "64", "65")
            or "51" <= d[:2] <= "55" or "2221" <= d[:4] <= "2720" or d.startswith("6011"))


def _before(s: str, start: int, width: int = 20) -> str:
    return s[max(0, start - width):start]


def _rrn_ok(m: re.Match, s: str) -> bool:
    yy, mm, dd, sep, g = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
    century = 1900 if g in "1256" else 2000
    try:
        born = _dt.date(century + int(yy), int(mm), int(dd))
    except ValueError:
        return False
    if born > _dt.date.today():
        return False
    context = _before(s, m.start())
    if _BARCODE_WORDS.search(context):
        return False
    return bool(sep) or bool(_RRN_WORDS.search(context))


def _card_ok(m: re.Match, s: str) -> bool:
    digits = re.sub(r"[^0-9]", "", m.group(0))
    if len(digits) == 13 and digits[0] != "4":
        return False  # only old Visa cards have 13 digits; other 13-digit runs are barcodes (EAN-13)
    if _BARCODE_WORDS.search(_before(s, m.start())):
        return False
    return 13 <= len(digits) <= 19 and _card_prefix(digits) and _luhn(digits)


def _account_ok(m: re.Match, s: str) -> bool:
    text = m.group(0)
    spaced = " " in text
    groups = text.split(" " if spaced else "-")
    digits = "".join(groups)
    context = _before(s, m.start())
    if not 10 <= len(digits) <= 14 or _NOT_ACCOUNT_WORDS.search(context):
        return False
    if [len(g) for g in groups] == [3, 2, 5]:
        return False  # 사업자등록번호 shape
    if len(groups) > 1 and groups[0][:2] in ("19", "20") and len(groups[0]) == 4 and "01" <= groups[1] <= "12":
        return False  # a code that starts with a year and a month: 2026-11-0001
    if len(groups) <= 2 or spaced:
        return bool(_BANK_WORDS.search(context))  # 123456-12345, a bare run or spaced groups: only with a bank word
    return True


def find_pii(text: str) -> list[PiiHit]:
    folded = fold(text)
    s = folded.text
    found: list[tuple[int, int, str]] = []
    found += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(s)]
    found += [(m.start(), m.end(), "rrn") for m in _RRN.finditer(s) if _rrn_ok(m, s)]
    found += [(m.start(), m.end(), "card") for m in _CARD.finditer(s) if _card_ok(m, s)]
    found += [(m.start(), m.end(), "phone") for m in _PHONE.finditer(s)]
    found += [(m.start(), m.end(), "bank_account")
              for pattern in (_ACCOUNT_DASHED, _ACCOUNT_PLAIN, _ACCOUNT_SPACED)
              for m in pattern.finditer(s) if _account_ok(m, s)]
    found += [(m.start(), m.end(), "address") for m in _ADDRESS.finditer(s)]
    # Overlaps: the earlier type in PII_TYPES wins (a Luhn-valid 16 digits is a card, not an account).
    found.sort(key=lambda f: (PII_TYPES.index(f[2]), f[0]))
    taken: list[tuple[int, int]] = []
    hits = []
    for i, j, kind in found:
        if any(i < b and a < j for a, b in taken):
            continue
        taken.append((i, j))
        start, end = folded.original_span(i, j)
        hits.append(PiiHit(kind, start, end))
    return sorted(hits, key=lambda h: h.start)


def _replace(text: str, hits: list[PiiHit]) -> str:
    for h in sorted(hits, key=lambda h: h.start, reverse=True):
        text = text[:h.start] + PLACEHOLDERS[h.type] + text[h.end:]
    return text


def _counts(hits: list[PiiHit]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for h in hits:
        counts[h.type] = counts.get(h.type, 0) + 1
    return dict(sorted(counts.items()))


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Replace every hit with its placeholder; return the text and the counts of the types found."""
    hits = find_pii(text)
    return _replace(text, hits), _counts(hits)


@register_validator(name="commerce-guard/pii", data_type="string")
class PiiGuard(Validator):
    """Fails when the text holds personal data; fix_value is the redacted text.

    types: only these PII types (default: all).
    """

    def __init__(self, types: list[str] | None = None, on_fail=None, **kwargs):
        super().__init__(on_fail=on_fail, types=types, **kwargs)
        unknown = set(types or ()) - set(PII_TYPES)
        if unknown:
            raise ValueError(f"unknown PII types: {sorted(unknown)}")
        self._types = set(types) if types else set(PII_TYPES)

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        text = str(value)
        hits = [h for h in find_pii(text) if h.type in self._types]
        if not hits:
            return PassResult()
        summary = ", ".join(f"{k} x{v}" for k, v in _counts(hits).items())
        return FailResult(
            error_message=f"personal data found: {summary}",
            fix_value=_replace(text, hits),
            error_spans=[ErrorSpan(start=h.start, end=h.end, reason=h.type) for h in hits],
        )
