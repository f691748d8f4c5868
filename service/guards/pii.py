"""Personal data in Korean commerce text: find it, or replace it with placeholders.

Types: phone, rrn (주민등록번호 and 외국인등록번호), email, card, passport,
driver_license, bank_account, address. Hits carry only the type and the span, never
the value. Matching runs on folded text (normalize.fold: full-width digits, dash
variants and zero-width characters) and reports spans in the original text.

Spelled-out numbers: digit runs written in Hangul (공일공 이삼사오 육칠팔구, 영 = 0),
spaced one digit at a time (0 1 0 2 3 4 ...), mixed (010-이삼사오-6793) or with
spaced separators (010 - 1234 - 5678) are read through a "digit view" of the text,
where such a run becomes plain digits; the number rules below then apply to it
unchanged, so their precision rules hold for spelled numbers too. A Hangul digit
only starts a run at the start of a word (사이즈, 회사 are words, not digits), and a
run is read only with 3+ Hangul digits or 6+ one-digit groups and 9-40 digits.
Group separators: space, "-", ".", "/", "|", "_" (010/2345/6789, 공일공|이삼사오|육칠팔구).
Groups joined by particles or fillers ("공일공에 이삼사오에 육칠팔구요", "공일공이요 칠삼팔이요
오구사육이요", "공일공하고 ...", "공일공, ...") are read only as a whole phone number.

Obfuscated e-mails: "hong (at) example dot com", "hong골뱅이example.com",
"hong [at] example [dot] com", "hong 앳 naver 닷컴", "hong 골뱅이 네이버".

Placeholder scheme: one ASCII token per type, "[PHONE]", "[RRN]", "[EMAIL]",
"[CARD]", "[PASSPORT]", "[DRIVER_LICENSE]", "[BANK_ACCOUNT]", "[ADDRESS]"
(language-neutral, so the same token appears in Korean and English text, logs and prompts).

Precision rules (what does NOT count):
- masked values (010-****-5678, 900101-1******) are already safe;
- rrn: the date part must be a real past date for the century given by the 7th
  digit (1-4 citizens, 5-8 foreigners); 13 digits without a separator need the
  check digit (the weights 2..9,2..5 mod 11; foreigner numbers also the older +2
  variant) OR a keyword (주민, 등록번호, 외국인, 통관 ...): numbers issued since
  October 2020 carry a random tail that need not satisfy the check digit, so the
  keyword still counts, and a random 13-digit run with a valid date passes the
  check digit 1 time in 10 (a barcode keyword excludes it); the same for ". / _ |" or a
  space between the groups, which also lose to an order/tracking/coupon keyword;
- passport: a Korean passport number, M/S/R/O/D + 8 digits or (since 2021)
  M/S/R/O/D + 3 digits + a letter + 4 digits, with or without 여권/passport; not after
  a model/SKU keyword, and a letter + an 8-digit date (D20261121) only with the cue;
  after 여권/passport any 1-2 letters + 7-8 digits (foreign passports), and either form
  with spaces or dashes inside (M 1234 5678, EA 123 4567) unless a code, order or size word
  stands between the cue and the number;
- driver_license: NN-NN-NNNNNN-NN with a region code 11-28, the older
  region-name form (서울 12-345678-90), or the 12 digits undashed after 면허/licence;
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
import itertools
import re
import unicodedata
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

# Bump when what the detector finds changes: it is part of the guard policy fingerprint, so
# outputs cached under the old detector miss. 2: issue 13's spelled, spaced and disguised forms.
DETECTOR_VERSION = "2"
PII_TYPES = ("email", "rrn", "card", "passport", "driver_license", "phone", "bank_account", "address")  # also the overlap priority
PLACEHOLDERS = {t: f"[{t.upper()}]" for t in PII_TYPES}


@dataclass(frozen=True, slots=True)
class PiiHit:
    type: str
    start: int   # offsets into the ORIGINAL text
    end: int


_EMAIL = re.compile(r"(?<![a-z0-9._%+-])[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?![a-z0-9-])")
# Between the two groups: nothing, a dash, or (round 2) ". / _ |" or a space, each with spaces around.
_RRN = re.compile(r"(?<![0-9])([0-9]{2})(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])( ?[-./_|] ?| {1,2}|)([1-8])[0-9]{6}"
                  r"(?![0-9*])")
# Groups may also mix single separators ("4929-3746.1120-5831", "4929 3746.1120 5831"): the Luhn
# check and the issuer prefix keep dates and codes out. Spaced separators (" - ") must agree, so a
# list ("... 3315 / 4485.2538...") is not read across its " / ".
_CS = r"[-._/| ]"
_CARD = re.compile(
    r"(?<![0-9])(?:[0-9]{4}( ?[-._/|] ?| )[0-9]{4}\1[0-9]{4}\1[0-9]{4}(?:\1[0-9]{1,3})?"
    r"|[0-9]{4}( ?[-._/|] ?| )[0-9]{6}\2[0-9]{4,5}"
    rf"|[0-9]{{4}}{_CS}[0-9]{{4}}{_CS}[0-9]{{4}}{_CS}[0-9]{{4}}|[0-9]{{4}}{_CS}[0-9]{{6}}{_CS}[0-9]{{4,5}}"
    r"|[0-9]{13,19})(?![0-9])"
)
# A group separator in a phone number: a space, or "-", ".", "/", "|", "_" with a space either side or not
# (010/2345/6789, 010 | 2345 | 6789, 010_2345_6789).
_PS = r"(?: ?[-./|_] ?| )"
_PHONE = re.compile(
    # +82 / 0082 / "82-" country code forms, then mobiles
    rf"(?<![0-9+])(?:(?:\+|00)82{_PS}?(?:\(0\){_PS}?)?0?1[016789]|82{_PS}0?1[016789]|\(?01[016789]\)?)"
    rf"{_PS}?[0-9]{{3,4}}{_PS}?[0-9]{{4}}(?![0-9*])"
    rf"|(?<![0-9+])(?:\+|00)82{_PS}?(?:\(0\){_PS}?)?0?(?:2|[3-6][1-5]|70){_PS}[0-9]{{3,4}}{_PS}[0-9]{{4}}(?![0-9*])"
    # landlines and 050x/070 need a separator: ten bare digits are too often something else
    rf"|(?<![0-9])(?:\(0(?:2|[3-6][1-5]|70|50[2-8])\) ?|0(?:2|[3-6][1-5]|70|50[2-8])(?:{_PS}|\) ?))"
    rf"[0-9]{{3,4}}{_PS}[0-9]{{4}}(?![0-9*])"
    # nationwide representative numbers (1588-xxxx ...), not a range such as 1600-1800mm
    r"|(?<![0-9])1(?:5(?:44|66|77|88|99)|6(?:00|44|61|66|68|70|88)|8(?:00|11|33|55|77|99))-[0-9]{4}"
    r"(?![0-9])(?!\s*(?:mm|cm|원|년|장|개|벌|%))"
)
_ACCOUNT_DASHED = re.compile(r"(?<![0-9a-z-])[0-9]{2,6}(?:-[0-9]{1,8}){1,3}(?![0-9]|-[0-9])")
_ACCOUNT_PLAIN = re.compile(r"(?<![0-9a-z-])[0-9]{10,14}(?![0-9-])")
_ACCOUNT_SPACED = re.compile(r"(?<![0-9])[0-9]{2,6}(?: [0-9]{2,8}){2,3}(?![0-9])")  # only after a bank word

_BANK_WORDS = re.compile(
    r"계좌|입금|환불|은행|뱅크|예금주|농협|신협|수협|새마을|우체국|국민|신한|우리|하나|기업|카카오|토스|"
    r"케이뱅크|sc제일|씨티|account|bank"
)
_NOT_ACCOUNT_WORDS = re.compile(
    r"주문\s*번호|송장|운송장|택배|사업자|통신판매|등록번호|상품\s*번호|상품\s*코드|모델|품번|sku|order|"
    r"tracking|invoice|바코드|승인\s*번호|코드|쿠폰"
)
_RRN_WORDS = re.compile(r"주민|등록\s*번호|통관|외국인|rrn|resident|alien|foreigner")
_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)

# Obfuscated e-mails. A strong "at" (@, (at), [at], 골뱅이, 앳) takes any dot; a bare " at "
# only a spelled dot (" dot ", 닷, (dot)), so "shop at moastore.com" stays an address of a shop.
_STRONG_AT = (r"(?:\s*@\s*|\s*[(\[{<]\s*(?:at|@|골뱅이|앳|에이티|에이트)\s*[)\]}>]\s*"
              r"|\s*(?:골뱅이|앳)\s*|\s+(?:에이티|에이트)\s+)")  # 에이티/에이트 ("at" said aloud) only as a word
_SPELLED_DOT = r"(?:\s*[(\[{<]\s*(?:dot|닷|점)\s*[)\]}>]\s*|\s+dot\s+|\s*(?:닷|점)\s*)"
_ANY_DOT = rf"(?:\s*\.\s*|{_SPELLED_DOT})"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_TLD = r"(?:[a-z]{2,}|컴|넷|케이알)(?![a-z0-9])"
_LOCAL = r"(?<![a-z0-9._%+-])[a-z0-9][a-z0-9._%+-]{0,63}"
_PROVIDERS = r"(?:naver|gmail|daum|hanmail|kakao|nate|hotmail|yahoo|outlook|네이버|지메일|다음|한메일|카카오|네이트|핫메일|야후)"
_AT_HINT = re.compile(r"@|골뱅이|앳|에이[티트]|\bat\b")
_EMAIL_OBFUSCATED = re.compile(
    rf"{_LOCAL}{_STRONG_AT}(?:(?:{_LABEL}|{_PROVIDERS}){_ANY_DOT})+{_TLD}"
    rf"|{_LOCAL}\s+(?:at)\s+(?:{_LABEL}{_SPELLED_DOT})+{_TLD}"
    rf"|{_LOCAL}{_STRONG_AT}{_PROVIDERS}(?![a-z0-9])"
)

# Passports: Korean M/S/R/O/D + 8 digits, or + 3 digits + letter + 4 digits (2021 format).
_PASSPORT = re.compile(r"(?<![a-z0-9])[mrsod](?:([0-9]{8})|[0-9]{3}[a-z][0-9]{4})(?![a-z0-9])")
_PASSPORT_CUED = re.compile(r"(?<![a-z0-9])[a-z]{1,2}[0-9]{7,8}(?![a-z0-9])")  # any country, after the cue
_PASSPORT_WORDS = re.compile(r"여권|passport")
# Written with spaces or dashes inside (M 1234 5678, M123 45678, EA 123 4567, M 123 A 4567): only after
# the cue, with 7-8 digits in all and no digit right after; each digit may follow up to 2 separators.
_PD = r"(?:[ \-]{0,2}[0-9])"
_PASSPORT_SPACED = re.compile(
    rf"(?<![a-z0-9])(?:[a-z]{{1,2}}{_PD}{{7,8}}|[mrsod]{_PD}{{3}}[ \-]{{0,2}}[a-z]{_PD}{{4}})(?![ \-]{{0,2}}[0-9])(?![a-z])")
# A code or an order between the cue and the number: 여권지갑 모델 AB 2024 0501 is a product.
_NOT_PASSPORT_WORDS = re.compile(r"모델|품번|sku|코드|code|model|style|주문|송장|order|tracking|사이즈|size|mm|cm")
_CODE_WORDS = re.compile(r"모델|품번|sku|상품\s*코드|상품\s*번호|코드|code|model|style|no\.")

# Driver's licences: region code 11-28, or the older region-name form.
_LICENSE = re.compile(r"(?<![0-9-])(?:1[1-9]|2[0-8])-[0-9]{2}-[0-9]{6}-[0-9]{2}(?![0-9]|-[0-9])")
_LICENSE_REGION = re.compile(
    r"(?<![가-힣])(?:서울|부산|경기|강원|충북|충남|전북|전남|경북|경남|제주|대구|인천|광주|대전|울산)\s?"
    r"[0-9]{2}-[0-9]{6}-[0-9]{2}(?![0-9]|-[0-9])")
_LICENSE_UNDASHED = re.compile(r"(?<![0-9])(?:1[1-9]|2[0-8])[ -]?[0-9]{2}[ -]?[0-9]{6}[ -]?[0-9]{2}(?![0-9])")
_LICENSE_WORDS = re.compile(r"면허|licen[cs]e")

# Spelled-out digits (the digit view).
_HANGUL_DIGITS = {"공": "0", "영": "0", "일": "1", "이": "2", "삼": "3", "사": "4", "오": "5",
                  "육": "6", "륙": "6", "칠": "7", "팔": "8", "구": "9"}
_HD = "[" + "".join(_HANGUL_DIGITS) + "]"
# A run starts with a digit or with a Hangul digit at the start of a word (not 사 in 회사).
_DIGIT_RUN = re.compile(rf"(?:[0-9]|(?<![가-힣]){_HD})(?:[\s.\-/|_]{{0,3}}(?:[0-9]|{_HD}))*")
_SEPARATORS = re.compile(r"[\s.\-/|_]+")
# Digit groups joined by particles or fillers ("공일공에 이삼사오에 육칠팔구요", "공일공이요 칠삼팔이요
# 오구사육이요", "010하고 ..."): read only as a phone number. 이 is a digit and starts 이요/이고/이에요,
# so a group ending in 이 before 요/고/에요 is read both ways.
_FILLER = r"(?:다시|대시|하이픈|빼기|하고|그리고|이랑|랑|이에요|에요|예요|이요|이고|에|요|고|,)"
_GROUP = rf"(?:[0-9]|{_HD}){{2,8}}(?![0-9])"
_FILLED_RUN = re.compile(
    rf"(?<![가-힣0-9]){_GROUP}(?:(?:\s*{_FILLER}\s*|[\s.\-/|_]{{1,3}}){_GROUP})+")
_FILLER_AFTER_I = re.compile(r"요|고|에요")
_BARCODE_WORDS = re.compile(r"바코드|barcode|ean|상품\s*번호|상품\s*코드|sku|isbn|upc")

# Any punctuation or symbol between digit groups (round 3): "010~5551~2983", "010*7272*3838", "010ㆍ4455ㆍ6677",
# "850317~2145630", or a short run of them ("010~~5551"). Such a run (1-3 marks, spaces around allowed) between two
# digits is read as "_", a separator every number rule already treats as weak, so the check digits, Luhn,
# cues and groupings still decide: 2024.05.01, 29,000원, 230/240, 10:30~18:00 and 1~3일 stay unflagged.
# A single "-", ".", "/", "|" or "_" is left as it is (a dash is a strong separator for resident numbers,
# and " / " separates listed numbers). The araea "ㆍ" is a letter used as a middle dot.
_SEPARATOR_CATEGORIES = frozenset({"Pd", "Po", "Sm", "Sk", "So"})
_NOT_SEPARATORS = frozenset("+@#%")  # a country code, an e-mail, a number sign, a percentage
_MARK = r"(?:[^\w\s]|[\u318d\u119e])"
_DIGIT_CHAR = "[0-9" + "".join(_HANGUL_DIGITS) + "]"
_SEPARATOR_RUN = re.compile(rf"(?<={_DIGIT_CHAR}) ?({_MARK}(?: ?{_MARK}){{0,2}}) ?(?={_DIGIT_CHAR})")

# Letters written for digits in a phone number (O1O-9182-7364: O for 0, l or I for 1), read as a phone only.
_PHONE_LETTERS = re.compile(r"(?<![a-z0-9])[0o][1li][016789o](?:(?: ?[-./|_] ?| )?[0-9oli]){7,8}(?![a-z0-9])")
_LETTER_DIGITS = str.maketrans("oli", "011")

# An e-mail spelled one character at a time: "l e e s o 9 9 @ g m a i l . c o m".
_SPACED_CHARS = re.compile(r"(?<!\S)[a-z0-9@._%+-](?: {1,2}[a-z0-9@._%+-]){5,}(?!\S)")

# A Korean passport letter spelled in Hangul after the cue: 여권 엠 7654 3210 (엠/에스/알/오/디 = M/S/R/O/D).
_PASSPORT_HANGUL = re.compile(
    rf"(?<![가-힣a-z0-9])(?:엠|에스|알|오|디)(?:{_PD}{{8}}|{_PD}{{3}}[ \-]{{0,2}}[a-z]{_PD}{{4}})"
    rf"(?![ \-]{{0,2}}[0-9])(?![a-z])")

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


def _rrn_checksum_ok(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits, _RRN_WEIGHTS))
    check = int(digits[12])
    if check == (11 - total % 11) % 10:
        return True
    return digits[6] in "5678" and check == (13 - total % 11) % 10  # foreigner numbers before 2020


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
    if _RRN_WORDS.search(context) or sep.strip() == "-":
        return True  # the written form (900101-1234567) or a keyword
    if _NOT_ACCOUNT_WORDS.search(context):
        return False  # 송장 번호 220315 2345678: an order, tracking or coupon number
    # no separator, or another one (. / _ | or a space): the check digit decides
    return _rrn_checksum_ok(re.sub(r"[^0-9]", "", m.group(0)))


def _passport_ok(m: re.Match, s: str) -> bool:
    context = _before(s, m.start())
    if _PASSPORT_WORDS.search(context):
        return True
    if _CODE_WORDS.search(context) or _BARCODE_WORDS.search(context):
        return False
    eight = m.group(1)
    if eight and eight[:2] in ("19", "20") and "01" <= eight[4:6] <= "12" and "01" <= eight[6:] <= "31":
        return False  # a letter and a date (D20261121) is more often a code than a passport
    return True


def _license_ok(m: re.Match, s: str) -> bool:
    context = _before(s, m.start())
    return not (_CODE_WORDS.search(context) or _NOT_ACCOUNT_WORDS.search(context)) or bool(
        _LICENSE_WORDS.search(context))


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


def _number_hits(s: str) -> list[tuple[int, int, str]]:
    """Hits of the number-shaped types in s (the folded text or a digit view of it)."""
    found: list[tuple[int, int, str]] = []
    found += [(m.start(), m.end(), "rrn") for m in _RRN.finditer(s) if _rrn_ok(m, s)]
    found += [(m.start(), m.end(), "card") for m in _CARD.finditer(s) if _card_ok(m, s)]
    found += [(m.start(), m.end(), "driver_license")
              for pattern in (_LICENSE, _LICENSE_REGION) for m in pattern.finditer(s) if _license_ok(m, s)]
    found += [(m.start(), m.end(), "driver_license") for m in _LICENSE_UNDASHED.finditer(s)
              if _LICENSE_WORDS.search(_before(s, m.start()))]
    found += [(m.start(), m.end(), "phone") for m in _PHONE.finditer(s)]
    found += [(m.start(), m.end(), "bank_account")
              for pattern in (_ACCOUNT_DASHED, _ACCOUNT_PLAIN, _ACCOUNT_SPACED)
              for m in pattern.finditer(s) if _account_ok(m, s)]
    return found


@dataclass(frozen=True, slots=True)
class _View:
    """s with spelled-out digit runs rewritten; per view character its [start, end) in s."""

    text: str
    starts: list[int]
    ends: list[int]
    runs: list[tuple[int, int]]  # the rewritten runs, in s


def _spelled_run(run: str) -> bool:
    """A run worth reading as digits: Hangul digits, one-digit groups or spaced separators."""
    digits = sum(c.isdigit() or c in _HANGUL_DIGITS for c in run)
    if not 9 <= digits <= 40:
        return False
    groups = _SEPARATORS.split(run)
    hangul = sum(c in _HANGUL_DIGITS for c in run)
    singles = sum(len(g) == 1 for g in groups)
    spaced_dash = re.search(r"\s[-.]|[-.]\s", run) is not None  # 010 - 1234 - 5678
    return hangul >= 3 or singles >= 6 or spaced_dash


def _digit_views(s: str) -> list[_View]:
    """Views of s with its spelled-out runs rewritten: separators kept as one '-', and removed.
    Variants: the whole runs; runs cut where one-digit groups meet longer ones across a space
    (공일공 칠삼팔이 0 1 0 2 ... holds two numbers); and without a final 이 that may be a
    particle (육칠팔구이에요, 구이 맞나요)."""
    whole: list[tuple[int, int]] = []
    cut: list[tuple[int, int]] = []
    for m in _DIGIT_RUN.finditer(s):
        if m.end() - m.start() < 9:
            continue  # fewer than 9 digits: nothing to read
        if _spelled_run(m.group(0)):
            whole.append((m.start(), m.end()))
        cut += [(a, b) for a, b in _pieces(s, m.start(), m.end()) if _spelled_run(s[a:b])]
    variants: list[list[tuple[int, int]]] = []
    for runs in (whole, cut):
        trimmed = [(a, b - 1) if s[b - 1] == "이" and b - 1 > a else (a, b) for a, b in runs]
        for candidate in (runs, trimmed):
            if candidate and candidate not in variants:
                variants.append(candidate)
    return [_view(s, runs, keep) for runs in variants for keep in (True, False)]


def _pieces(s: str, a: int, b: int) -> list[tuple[int, int]]:
    """The run s[a:b] cut at each whitespace between a one-digit group and a longer one, and at
    each " / " or " | " (a list of numbers: 공일공 칠삼팔이 오구사육 / 0 1 0 2 7 4 6 8 1 3 9)."""
    groups = [(a + g.start(), a + g.end()) for g in re.finditer(r"[^\s.\-/|_]+", s[a:b])]
    pieces, start = [], groups[0][0]
    for (pa, pb), (na, nb) in zip(groups, groups[1:]):
        gap = s[pb:na]
        listed = ("/" in gap or "|" in gap) and not gap.strip(" /|") and " " in gap  # " / " between numbers
        if (gap.isspace() and (pb - pa == 1) != (nb - na == 1)) or listed:
            pieces.append((start, pb))
            start = na
    pieces.append((start, groups[-1][1]))
    return pieces


def _view(s: str, runs: list[tuple[int, int]], keep_separators: bool) -> _View:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def copy(a: int, b: int) -> None:
        for k in range(a, b):
            out.append(s[k])
            starts.append(k)
            ends.append(k + 1)

    pos = 0
    for a, b in runs:
        copy(pos, a)
        for part in re.finditer(r"[\s.\-/|_]+|.", s[a:b]):
            ch = part.group(0)
            if ch[0] in _HANGUL_DIGITS or ch[0].isdigit():
                out.append(_HANGUL_DIGITS.get(ch, ch))
            elif keep_separators:
                out.append("-")
            else:
                continue
            starts.append(a + part.start())
            ends.append(a + part.end())
        pos = b
    copy(pos, len(s))
    return _View("".join(out), starts, ends, runs)


def _filled_phone_hits(s: str) -> list[tuple[int, int, str]]:
    """Phone numbers spelled in groups with fillers between them (see _FILLED_RUN)."""
    found = []
    for m in _FILLED_RUN.finditer(s):
        groups = [(m.start() + g.start(), m.start() + g.end())
                  for g in re.finditer(rf"(?:[0-9]|{_HD}){{2,}}", m.group(0))]  # 2+: the 이 of 하이픈 is no group
        i = 0
        while i < len(groups) - 1:  # windows of 2-4 groups: a run may hold a number and its neighbours
            hit = next(filter(None, (_filled_phone(s, groups[i:j]) for j in range(i + 2, min(i + 5, len(groups) + 1)))),
                       None)
            if hit:
                found.append(hit)
            i += 1
    return found


def _filled_phone(s: str, groups: list[tuple[int, int]]) -> tuple[int, int, str] | None:
    """The groups (spans in s) as one phone number, if some reading of them is one."""
    between = [s[a[1]:b[0]] for a, b in zip(groups, groups[1:])]
    if not any(re.search(r"[가-힣,]", gap) for gap in between):
        return None  # separators only: the digit view reads those
    options = []
    for k, (a, b) in enumerate(groups):
        digits = "".join(_HANGUL_DIGITS.get(c, c) for c in s[a:b])
        after = between[k].lstrip() if k < len(between) else s[b:]
        ambiguous = s[b - 1] == "이" and _FILLER_AFTER_I.match(after)
        options.append([digits, digits[:-1]] if ambiguous else [digits])
    for choice in itertools.product(*options):
        if _PHONE.fullmatch("-".join(choice)):
            dropped = len(options[-1][0]) - len(choice[-1])  # a final 이 read as a particle stays out
            return groups[0][0], groups[-1][1] - dropped, "phone"
    return None


def _passport_hits(s: str) -> list[tuple[int, int, str]]:
    found = [(m.start(), m.end(), "passport") for m in _PASSPORT.finditer(s) if _passport_ok(m, s)]
    found += [(m.start(), m.end(), "passport") for m in _PASSPORT_CUED.finditer(s)
              if _PASSPORT_WORDS.search(_before(s, m.start()))]
    found += [(m.start(), m.end(), "passport")
              for pattern in (_PASSPORT_SPACED, _PASSPORT_HANGUL) for m in pattern.finditer(s) if _spaced_passport_ok(m, s)]
    return found


def _spaced_passport_ok(m: re.Match, s: str) -> bool:
    """After 여권/passport, and nothing between the cue and the number that makes it a code."""
    context = _before(s, m.start())
    cues = list(_PASSPORT_WORDS.finditer(context))
    return bool(cues) and not _NOT_PASSPORT_WORDS.search(context[cues[-1].end():])


def _unify_separators(s: str) -> tuple[str, list[int], list[int]]:
    """s with each run of punctuation between digits (see _SEPARATOR_RUN) written as "_";
    per output character its [start, end) in s."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _SEPARATOR_RUN.finditer(s):
        run = m.group(1)
        marks = run.replace(" ", "")
        if len(run) == 1 and run in "-./|_":
            continue  # the separators the rules already know
        if any(c in _NOT_SEPARATORS or (unicodedata.category(c) not in _SEPARATOR_CATEGORIES and c not in "\u318d\u119e")
               for c in marks):
            continue
        a, b = m.span(1)
        out.append(s[pos:a])
        starts.extend(range(pos, a))
        ends.extend(range(pos + 1, a + 1))
        out.append("_")
        starts.append(a)
        ends.append(b)
        pos = b
    out.append(s[pos:])
    starts.extend(range(pos, len(s)))
    ends.extend(range(pos + 1, len(s) + 1))
    return "".join(out), starts, ends


def _letter_phone_hits(s: str) -> list[tuple[int, int, str]]:
    """Phone numbers with up to 3 letters standing for digits (O1O-9182-7364)."""
    found = []
    for m in _PHONE_LETTERS.finditer(s):
        text = m.group(0)
        letters = sum(c in "oli" for c in text)
        if 1 <= letters <= 3 and _PHONE.fullmatch(text.translate(_LETTER_DIGITS)):
            found.append((m.start(), m.end(), "phone"))
    return found


def _spaced_email_hits(s: str) -> list[tuple[int, int, str]]:
    """E-mails written one character at a time, read with the spaces taken out."""
    found = []
    for m in _SPACED_CHARS.finditer(s):
        if "@" not in m.group(0):
            continue
        where = [m.start() + k for k, c in enumerate(m.group(0)) if c != " "]
        squeezed = "".join(s[k] for k in where)
        found += [(where[e.start()], where[e.end() - 1] + 1, "email") for e in _EMAIL.finditer(squeezed)]
    return found


def find_pii(text: str) -> list[PiiHit]:
    folded = fold(text)
    s, starts, ends = _unify_separators(folded.text)
    found: list[tuple[int, int, str]] = []
    found += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(s)]
    if _AT_HINT.search(s):  # the obfuscated forms all need an "at" of some kind
        found += [(m.start(), m.end(), "email") for m in _EMAIL_OBFUSCATED.finditer(s)]
    found += _spaced_email_hits(s)
    found += _passport_hits(s)
    found += _number_hits(s)
    found += _filled_phone_hits(s)
    found += _letter_phone_hits(s)
    for view in _digit_views(s):
        # only what a rewritten run takes part in: the rest of the view is s itself
        for i, j, kind in _number_hits(view.text) + _letter_phone_hits(view.text):  # O1O-칠이팔사-3315 too
            a, b = view.starts[i], view.ends[j - 1]
            if any(a < rb and ra < b for ra, rb in view.runs):
                found.append((a, b, kind))
    found += [(m.start(), m.end(), "address") for m in _ADDRESS.finditer(s)]
    # Overlaps: the earlier type in PII_TYPES wins (a Luhn-valid 16 digits is a card, not an account),
    # then the longer span (a digit-view hit covers the whole spelled number).
    found.sort(key=lambda f: (PII_TYPES.index(f[2]), f[0] - f[1], f[0]))
    taken: list[tuple[int, int]] = []
    hits = []
    for i, j, kind in found:
        if any(i < b and a < j for a, b in taken):
            continue
        taken.append((i, j))
        start, end = folded.original_span(starts[i], ends[j - 1])
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
