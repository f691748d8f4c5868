"""Korean/English numbers and units -> typed quantities with character spans.

"3만 9천원" = "39,000원" = "39000 won" = "₩39,000" = "3.9만원" all become
``Quantity("money", 39000, "KRW", ...)`` so the grounding guard can compare a
claim's numbers with the evidence's whatever the spelling.

Canonical units and the decisions behind them:
- money: KRW (won) or USD; never converted into each other.
- percent: "%".  length: cm (mm /10, m *100, inch *2.54).  weight: g.
- volume: ml (L *1000).  temperature: "C" (℃, 도, °C).
- duration: "day" for calendar time (hours /24, weeks *7), "business_day"
  for 영업일/business days (kept distinct: 3영업일 is not 3일), and "month"
  for months and years (1년 = 12개월). Months are not folded into days
  because a month is not a fixed length; :func:`equivalent` accepts
  1 month = 28..31 days instead, so "한 달" matches "30일" but not "14일".
- time (of day): "clock" in 24 h hours (오후 2시 = 14.0, 2:30 pm = 14.5);
  "clock12" when no 오전/오후/am/pm is given and the hour is <= 12, which
  matches either half of the day.
- date: "date" (month*100 + day), "day_of_month" (매월 1일), "weekday"
  (월요일 = 1 .. 일요일 = 7; comparable with day_of_month, never equal), "year".
- count: counters folded into a few units (kind: 가지/종류/colours; item: 개; country,
  person, times, piece).
- multiplier: "x" (1.5배, 2x).  rating: "star" (★5, 별점 4.8점).
Ranges ("3~5영업일", "3-5 business days") carry ``high``; bounds
("7일 이내", "5만원 이상", "up to", "at least") carry ``bound`` = max|min.
Bare numbers with no unit are ``kind="number"``. "1.5 million won" and "10k" scale.
Korean Sino numerals (삼만 구천) are read only next to 십/백/천/만/억 before a unit, so
"이" or "일" in ordinary words never become numbers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

# ---------------------------------------------------------------- the type


@dataclass(frozen=True)
class Quantity:
    kind: str
    value: float
    unit: str
    start: int
    end: int
    high: float | None = None  # upper end of a range; value is the lower end
    bound: str | None = None  # "max" (이내, up to) | "min" (이상, at least)
    text: str = ""

    @property
    def is_range(self) -> bool:
        return self.high is not None and self.high != self.value


# ------------------------------------------------------- length-preserving fold

_FOLD = {"～": "~", "〜": "~", "∼": "~", "–": "-", "—": "-", "－": "-", "，": ",", "．": ".", "：": ":", "％": "%", "￦": "₩"}


def fold_width(text: str) -> str:
    """Full-width digits/letters to ASCII, one char for one char, so spans stay valid."""
    out = []
    for ch in text:
        if ch in _FOLD:
            out.append(_FOLD[ch])
            continue
        n = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


# ------------------------------------------------------------------ numerals

_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_POS = {"십": 10, "백": 100, "천": 1000}
_BIG = {"만": 10_000, "억": 100_000_000}
_NATIVE = {
    "한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "서": 3, "네": 4, "넷": 4, "넉": 4,
    "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10, "열한": 11, "열두": 12,
    "스무": 20, "스물": 20, "서른": 30, "마흔": 40, "쉰": 50,
}
_EN_NUM = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
    "hundred": 100, "a": 1, "an": 1, "a single": 1,
}
# Whole words that are quantities by themselves.
_WORD_DURATIONS = {
    "하루": (1, "day"), "이틀": (2, "day"), "사흘": (3, "day"), "나흘": (4, "day"), "닷새": (5, "day"),
    "엿새": (6, "day"), "이레": (7, "day"), "열흘": (10, "day"), "보름": (15, "day"),
    "일주일": (7, "day"), "이주일": (14, "day"), "반년": (6, "month"), "일년": (12, "month"),
    "fortnight": (14, "day"),
}


def parse_korean_number(s: str) -> float:
    """'3만 9천' -> 39000, '3.9만' -> 39000, '삼만 구천' -> 39000, '39,000' -> 39000."""
    s = s.replace(" ", "").replace(",", "")
    total, section, num = 0.0, 0.0, None
    i = 0
    while i < len(s):
        m = re.match(r"\d+(?:\.\d+)?", s[i:])
        if m:
            num = float(m.group())
            i += m.end()
            continue
        ch = s[i]
        if ch in _SINO:
            num = float(_SINO[ch])
        elif ch in _POS:
            section += (num if num is not None else 1.0) * _POS[ch]
            num = None
        elif ch in _BIG:
            section += num or 0.0
            total += (section or 1.0) * _BIG[ch]
            section, num = 0.0, None
        i += 1
    return total + section + (num or 0.0)


# ---------------------------------------------------------------- the scanner

_DIG = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SD = "[일이삼사오육칠팔구]"  # Sino digits: only read next to a positional marker
_NATIVE_RE = "|".join(sorted(_NATIVE, key=len, reverse=True))
_EN_RE = "|".join(sorted(_EN_NUM, key=len, reverse=True))
_WORD_DUR_RE = "|".join(sorted(_WORD_DURATIONS, key=len, reverse=True))
_NOT_ID = r"(?<![\w.,])(?<![A-Za-z]-)"  # not inside "P012", "SG-001", "1.2.3"

# A number phrase; the unit after it decides the kind.
NUMBER = re.compile(
    r"(?P<clock>(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d:]))"
    # digits with positional markers: "3만 9천", "3.9만", "1억 2천만", "3만 9,000"
    rf"|(?P<knum>{_NOT_ID}(?:{_DIG})\s?[십백천만억](?:\s?(?:{_DIG}|{_SD})?\s?[십백천만억])*(?:\s?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?![\d.]))?"
    # Sino numerals, only right before a unit that makes them unambiguous: "삼만 구천원", "만 원"
    rf"|(?<![가-힣]){_SD}?[십백천만억](?:\s?{_SD}?[십백천만억])*(?:\s?{_SD})?(?=\s?(?:원|명|개|달러)))"
    rf"|(?P<dig>{_NOT_ID}(?:{_DIG})(?![\d]))"
    rf"|(?P<word>(?<![가-힣])(?:{_WORD_DUR_RE})(?![가-힣])|\bfortnight\b)"
    rf"|(?P<native>(?<![가-힣])(?:{_NATIVE_RE})(?=\s?(?:가지|개|벌|켤레|장|명|번|달|시|주|색|군데|종류|곳|배)))"
    rf"|(?P<en>\b(?:{_EN_RE})\b(?=[\s-]+(?:business|working|days?|weeks?|months?|years?|hours?|colou?rs?|sizes?|items?|pieces?|pairs?|times|countries|percent|stars?|won|thousand|million)\b))",
    re.IGNORECASE,
)

# Units: (regex, kind, canonical unit, factor). Tried in order right after a number.
_UNITS: list[tuple[str, str, str, float]] = [
    # durations first: 시간 before 시, 영업일 before 일, 개월 before 개
    (r"영업\s?일|business[\s-]+days?(?![a-z])|working[\s-]+days?(?![a-z])|biz\s+days?(?![a-z])", "duration", "business_day", 1),
    (r"개월|달(?![러라리걀성])|months?(?![a-z])", "duration", "month", 1),
    (r"년(?![도생대식])|years?(?![a-z])|yrs?(?![a-z])", "duration", "month", 12),
    (r"주일|주(?![문의소로말년요차머])|weeks?(?![a-z])|wks?(?![a-z])", "duration", "day", 7),
    (r"시간|hours?(?![a-z])|hrs?(?![a-z])", "duration", "day", 1 / 24),
    (r"분(?![량류리석위기들께])|minutes?(?![a-z])|mins?(?![a-z])", "duration", "day", 1 / 1440),
    (r"일(?![본반부정요치단상])|days?(?![a-z])", "duration", "day", 1),
    # money
    (r"원(?![피단하래산칙형인숭두작본리])|won(?![a-z])|krw(?![a-z])", "money", "KRW", 1),
    (r"달러|dollars?(?![a-z])|usd(?![a-z])", "money", "USD", 1),
    (r"%|퍼센트|프로(?![모그필젝세])|percent(?![a-z])|per\s?cent(?![a-z])|pct(?![a-z])", "percent", "%", 1),
    (r"cm(?![a-z])|㎝|센티미터|센티|센치|centimet(?:er|re)s?(?![a-z])", "length", "cm", 1),
    (r"mm(?![a-z])|㎜|밀리미터|밀리|미리|millimet(?:er|re)s?(?![a-z])", "length", "cm", 0.1),
    (r"m(?![a-zA-Z])|미터|met(?:er|re)s?(?![a-z])", "length", "cm", 100),
    (r"인치|inch(?:es)?(?![a-z])", "length", "cm", 2.54),
    (r"ml(?![a-z])|㎖|밀리리터|millilit(?:er|re)s?(?![a-z])", "volume", "ml", 1),
    (r"l(?![a-z])|ℓ|리터|lit(?:er|re)s?(?![a-z])", "volume", "ml", 1000),
    (r"kg(?![a-z])|㎏|킬로그램|킬로|kilograms?(?![a-z])", "weight", "g", 1000),
    (r"g(?![a-zA-Z])|그램|grams?(?![a-z])", "weight", "g", 1),
    (r"℃|°\s?C(?![a-z])|도씨|도(?=\s?(?:이하|이상|미만|초과|에서|물|까지|의|로|를|정도|[,.)\s]|$))|degrees?(?![a-z])", "temperature", "C", 1),
    (r"배(?![송달색치기낭꼽우너려경출포상당합열분관])|x(?![a-z])|times(?![a-z])", "multiplier", "x", 1),
    (r"개국|countries(?![a-z])|nations(?![a-z])", "count", "country", 1),
    # kinds ("세 가지 색상", "three colours") are not pieces ("재고 12개"): separate units
    (r"가지|종류|종(?![류이합로])|색(?![상감깔])|컬러|kinds?(?![a-z])|types?(?![a-z])|colou?rs?(?![a-z])|colou?rways?(?![a-z])|options?(?![a-z])|sizes?(?![a-z])|styles?(?![a-z])", "count", "kind", 1),
    (r"개(?![월국])|군데|곳|items?(?![a-z])", "count", "item", 1),
    (r"명|people(?![a-z])|persons?(?![a-z])", "count", "person", 1),
    (r"번(?![째호지])|회(?![원사색])", "count", "times", 1),
    (r"벌|장(?![점마갑식])|켤레|pieces?(?![a-z])|pairs?(?![a-z])", "count", "piece", 1),
    (r"stars?(?![a-z])", "rating", "star", 1),
]
_UNIT_RE = [(re.compile(r"[\s-]?(?:" + pat + ")", re.IGNORECASE), kind, unit, factor) for pat, kind, unit, factor in _UNITS]

_RANGE_SEP = re.compile(r"\s?(?:~|-|에서|부터|to|and)\s?", re.IGNORECASE)
_MAX_AFTER = re.compile(
    r"\s?(?:이내|이하|미만|까지|안에|안으로|내(?![가-힣])|이전|전(?![가-힣])|or\s+less\b|or\s+fewer\b|at\s+most\b|at\s+the\s+latest\b|max(?:imum)?\b)",
    re.IGNORECASE,
)
_MIN_AFTER = re.compile(
    r"\s?(?:이상|초과|부터|넘게|이후|후(?![가-힣])|or\s+more\b|or\s+longer\b|and\s+(?:up|above|over)\b|minimum\b)",
    re.IGNORECASE,
)
_MAX_BEFORE = re.compile(
    r"(?:최대|최장|up\s+to|within|no\s+more\s+than|no\s+later\s+than|at\s+most|under|less\s+than|maximum(?:\s+of)?|max\.?|below|before|by)\s*$",
    re.IGNORECASE,
)
_MIN_BEFORE = re.compile(r"(?:최소|적어도|at\s+least|more\s+than|over|above|minimum(?:\s+of)?|min\.?|after|from)\s*$", re.IGNORECASE)
_AMPM_BEFORE = re.compile(r"(?P<ap>오전|오후|아침|저녁|밤|새벽|낮)\s?$")
_AMPM_AFTER = re.compile(r"\s?(?P<ap>a\.?m\.?|p\.?m\.?)(?![a-zA-Z])", re.IGNORECASE)
_CLOCK_AFTER = re.compile(r"\s?시(?![간즌리트작키청장계험즈])(?:\s?(?P<min>\d{1,2})\s?분|\s?(?P<half>반))?")
_CURRENCY_BEFORE = re.compile(r"(?P<cur>₩|KRW|USD|\$)\s?$", re.IGNORECASE)
_WON_AFTER = re.compile(r"\s?(?:원|won\b|krw\b)", re.IGNORECASE)
_RATING_BEFORE = re.compile(r"(?:★|☆|별점|평점|rating(?:\s+of)?)\s?$", re.IGNORECASE)
_RATING_AFTER = re.compile(r"\s?(?:점|/\s?5)")
_DAE = re.compile(r"\s?대(?=[^가-힣]|$|[의로에가를는])")
_WEEKDAYS = {"월": 1, "화": 2, "수": 3, "목": 4, "금": 5, "토": 6, "일": 7,
             "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_WEEKDAY = re.compile(r"(?<![가-힣])([월화수목금토일])요일|\b(mon|tues|wednes|thurs|fri|satur|sun)day(?:s)?\b", re.IGNORECASE)
_EN_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "k": 1e3}
_EN_SCALE = re.compile(r"\s?(thousand|million|billion|k)(?![a-z])", re.IGNORECASE)
_HALF = re.compile(r"\s?반(?![가-힣])")
_BUSINESS_BEFORE = re.compile(r"영업일\s?기준\s?$")
_BETWEEN_BEFORE = re.compile(r"between\s+$", re.IGNORECASE)
_PM_MARKERS = ("오후", "저녁", "밤", "pm")
_AM_MARKERS = ("오전", "아침", "새벽", "am")


def _clock_value(hour: float, marker: str | None) -> tuple[float, str]:
    if marker in _PM_MARKERS and hour < 12:
        return hour + 12, "clock"
    if marker in _AM_MARKERS and hour == 12:
        return 0.0, "clock"
    if marker is not None:
        return hour, "clock"
    return hour, ("clock" if hour > 12 or hour == 0 else "clock12")


@dataclass
class _Typed:
    """A quantity before bounds/ranges: value already scaled, plus how it was scaled."""

    kind: str
    value: float
    unit: str
    start: int
    end: int
    scale: float = 1.0  # factor from the written digits to value ("5만원": 10000)
    high: float | None = None


_NUM = r"\d+(?:[.,]\d+)?"
_DIMENSIONS = re.compile(rf"(?<![\d.])(?P<a>{_NUM})\s?[x×*]\s?(?P<b>{_NUM})(?:\s?[x×*]\s?(?P<c>{_NUM}))?\s?(?P<unit>cm|mm|m|inch(?:es)?)(?![a-z])",
                         re.IGNORECASE)


def _length_factor(unit: str) -> float:
    """The unit table's factor to cm for a length unit ("mm" -> 0.1)."""
    return next(f for rx, kind, _, f in _UNIT_RE if kind == "length" and rx.fullmatch(unit))


def _last_group(m: re.Match) -> str:
    return "c" if m["c"] else "b"


class _Scanner:
    def __init__(self, text: str):
        self.raw = text
        self.text = fold_width(text)
        self.out: list[Quantity] = []

    # -- output
    def _emit(self, t: _Typed, high: float | None = None, bounded: bool = True) -> None:
        bound = self._bound(t.start, t.end) if bounded else None
        self.out.append(Quantity(t.kind, float(t.value), t.unit, t.start, t.end, high, bound, self.raw[t.start:t.end]))

    def _bound(self, start: int, end: int) -> str | None:
        if _MAX_AFTER.match(self.text, end):
            return "max"
        if _MIN_AFTER.match(self.text, end):
            return "min"
        before = self.text[max(0, start - 24):start]
        if _MAX_BEFORE.search(before):
            return "max"
        if _MIN_BEFORE.search(before):
            return "min"
        return None

    # -- scanning
    def scan(self) -> list[Quantity]:
        self._dates()
        self._dimensions()
        taken = [(q.start, q.end) for q in self.out]
        pos = 0
        while (m := NUMBER.search(self.text, pos)) is not None:
            if any(s <= m.start() < e for s, e in taken):
                pos = max(m.end(), pos + 1)
                continue
            pos = self._from(m)
        self.out.sort(key=lambda q: q.start)
        return self.out

    def _dimensions(self) -> None:
        """"15.14 x 13.08 x 22.99 cm": every number of a dimension chain has the chain's unit
        (the x separates sides; it is not "2x" = twice)."""
        for m in _DIMENSIONS.finditer(self.text):
            scale = _length_factor(m["unit"].lower())
            for g in ("a", "b", "c"):
                if m[g]:
                    value = float(m[g].replace(",", "")) * scale
                    end = m.end("unit") if g == _last_group(m) else m.end(g)
                    self._emit(_Typed("length", value, "cm", m.start(g), end))

    def _dates(self) -> None:
        text = self.text
        for m in re.finditer(r"(?<!\d)(?P<m>1[0-2]|0?[1-9])\s?월\s?(?P<d>3[01]|[12]\d|0?[1-9])\s?일", text):
            self._emit(_Typed("date", int(m["m"]) * 100 + int(m["d"]), "date", m.start(), m.end()))
        for m in re.finditer(r"(?:매월|매달)\s?(?P<d>3[01]|[12]\d|0?[1-9])\s?일", text):
            if not any(q.start <= m.start() < q.end for q in self.out):
                self._emit(_Typed("date", int(m["d"]), "day_of_month", m.start(), m.end()))
        for m in re.finditer(r"(?<!\d)(?P<y>19\d\d|20\d\d)\s?년(?!\s?(?:이내|이상|동안|간))", text):
            self._emit(_Typed("date", int(m["y"]), "year", m.start(), m.end()))
        for m in _WEEKDAY.finditer(text):
            name = m.group(1) or m.group(2).lower()[:3]
            day = _WEEKDAYS[name]
            self._emit(_Typed("date", day, "weekday", m.start(), m.end()))

    def _from(self, m: re.Match) -> int:
        """Emit the quantity (or range) starting at number match ``m``; return where to go on."""
        low = self._typed(m)
        sep = _RANGE_SEP.match(self.text, low.end if low else m.end())
        if sep and (sep.group().strip().lower() != "and" or _BETWEEN_BEFORE.search(self.text[: m.start()])):
            m2 = NUMBER.match(self.text, sep.end())
            high = self._typed(m2) if m2 else None
            rng = self._range(m, low, high) if high else None
            if rng:
                self._emit(rng[0], high=rng[1], bounded=False)  # a range's ends are its bounds
                return rng[0].end
        if low:
            self._emit(low, high=low.high)
            return low.end
        if m.lastgroup in ("dig", "knum"):  # "260", and "2" of "2XL": still a number the evidence must hold
            self._emit(_Typed("number", self._value(m), "", m.start(), m.end()))
        return m.end()

    def _range(self, m: re.Match, low: _Typed | None, high: _Typed) -> tuple[_Typed, float] | None:
        if low is None:  # "3~5영업일", "18,000~35,000원", "3~5만원": the low end takes the high end's scale
            if m.lastgroup not in ("dig", "knum", "en", "native"):
                return None
            # a bare low end takes the high end's scale ("3~5만원"); "3만~5만원" is already scaled
            lo_value = self._value(m) * (high.scale if m.lastgroup != "knum" else 1.0)
            low = _Typed(high.kind, lo_value, high.unit, m.start(), high.end, high.scale)
        elif low.kind != high.kind:
            return None
        hv = high.value
        if low.kind == "time":
            if low.unit == "clock" and high.unit == "clock12" and hv < low.value < hv + 12:
                hv += 12  # "오후 2시~5시"
        elif low.unit != high.unit:
            return None
        if not hv > low.value:
            return None
        unit = "clock" if low.kind == "time" and "clock" in (low.unit, high.unit) else low.unit
        return _Typed(low.kind, low.value, unit, low.start, high.end, low.scale), hv

    @staticmethod
    def _value(m: re.Match) -> float:
        s, group = m.group(), m.lastgroup
        if group in ("knum", None):
            return parse_korean_number(s)
        if group == "dig":
            return float(s.replace(",", ""))
        if group == "native":
            return float(_NATIVE[s])
        if group == "en":
            return float(_EN_NUM[s.lower()])
        raise ValueError(group)

    def _typed(self, m: re.Match) -> _Typed | None:
        """The quantity a number match starts, without ranges; None for a bare number."""
        text, start, group = self.text, m.start(), m.lastgroup
        if group is None:  # the unnamed Sino alternative inside knum
            group = "knum"
        if group == "clock":
            hh, mm = m.group().split(":")
            return self._clock(int(hh) + int(mm) / 60, start, m.end(), allow_korean=False, hhmm=True)
        if group == "word":
            value, unit = _WORD_DURATIONS[m.group().lower()]
            return _Typed("duration", value, unit, start, m.end())
        value = self._value(m)
        end = m.end()
        if group in ("dig", "en") and (scale := _EN_SCALE.match(text, end)):  # "1.5 million won"
            value *= _EN_SCALES[scale.group(1).lower()]
            end = scale.end()
        before = text[max(0, start - 8):start]
        if group in ("dig", "knum") and (cur := _CURRENCY_BEFORE.search(before)):
            unit = "USD" if cur["cur"].upper() in ("USD", "$") else "KRW"
            won = _WON_AFTER.match(text, end)
            return _Typed("money", value, unit, start - (len(before) - cur.start()), won.end() if won else end)
        if group == "dig" and (rb := _RATING_BEFORE.search(before)):
            pt = _RATING_AFTER.match(text, end)
            s = start - (len(before) - rb.start()) if before[rb.start()] in "★☆" else start
            return _Typed("rating", value, "star", s, pt.end() if pt else end)
        if group in ("dig", "native", "knum", "en"):
            clock = self._clock(value, start, end, allow_korean=group != "en")
            if clock:
                return clock
        for rx, kind, unit, factor in _UNIT_RE:
            u = rx.match(text, end)
            if not u:
                continue
            if group == "en" and m.group().lower() in ("a", "an") and kind != "duration":
                return None
            if kind == "temperature" and group != "dig":
                return None
            scale = factor
            if group == "knum" and kind == "money":
                scale = _big_scale(m.group())
            if kind == "money" and (dae := _DAE.match(text, u.end())):
                # "3만원대": anything from 30,000 to 39,999
                step = 10 ** math.floor(math.log10(max(value, 1)))
                return _Typed(kind, value, unit, start, dae.end(), scale, high=value + step - 1)
            end = u.end()
            if kind == "duration":
                if (half := _HALF.match(text, end)) is not None:  # "1시간 반", "한 달 반"
                    value, end = value + 0.5, half.end()
                if unit == "day" and factor == 1 and _BUSINESS_BEFORE.search(before):
                    unit = "business_day"  # "영업일 기준 3일"
            return _Typed(kind, value * factor, unit, start, end, scale)
        return None

    def _clock(self, hour: float, start: int, end: int, allow_korean: bool, hhmm: bool = False) -> _Typed | None:
        text = self.text
        extra = None
        if allow_korean and (c := _CLOCK_AFTER.match(text, end)):
            extra = int(c["min"]) / 60 if c["min"] else (0.5 if c["half"] else 0.0)
            end = c.end()
        marker = None
        if (ap := _AMPM_AFTER.match(text, end)) is not None:
            marker, end = ap["ap"].lower().replace(".", ""), ap.end()
        elif hhmm:
            extra = 0.0  # HH:MM needs no marker
        if extra is None and marker is None:
            return None
        window = text[max(0, start - 4):start]
        if marker is None and (b := _AMPM_BEFORE.search(window)):
            marker, start = b["ap"], start - (len(window) - b.start())
        value, unit = _clock_value(hour + (extra or 0.0), marker)
        return _Typed("time", value, unit, start, end)


def _big_scale(s: str) -> float:
    """'5만' -> 10000, '3천' -> 1000: the scale a bare low end of a range shares."""
    s = s.replace(" ", "")
    if re.fullmatch(r"[\d.,]+만", s):
        return 10_000
    if re.fullmatch(r"[\d.,]+천", s):
        return 1000
    return 1.0


def extract_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text`` with its span in the original string."""
    return _Scanner(text).scan()


# --------------------------------------------------------------- comparison

_MONTH_DAYS = (28, 31)


def comparable(a: Quantity, b: Quantity) -> bool:
    """Same kind and a unit that could state the same fact (money KRW vs USD: no)."""
    if a.kind != b.kind:
        return False
    if a.kind == "money":
        return a.unit == b.unit
    if a.kind == "date":  # a recurring day may be given as a weekday or a day of the month
        return a.unit == b.unit or {a.unit, b.unit} == {"day_of_month", "weekday"}
    if a.kind == "count":
        return a.unit == b.unit
    return True


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-6 * max(1.0, abs(x), abs(y))


def _scalar_equal(kind: str, ua: str, x: float, ub: str, y: float) -> bool:
    if kind == "date" and ua != ub:
        return False  # Monday is not the 1st of the month
    if kind == "duration" and ua != ub:
        if {ua, ub} == {"day", "month"}:
            months, days = (x, y) if ua == "month" else (y, x)
            return months * _MONTH_DAYS[0] - 1e-9 <= days <= months * _MONTH_DAYS[1] + 1e-9
        return False  # business days never equal calendar days
    if kind == "time" and "clock12" in (ua, ub):
        return _close(x % 12, y % 12)
    return _close(x, y)


def equivalent(claim: Quantity, evidence: Quantity) -> bool:
    """Does the evidence quantity state the claim quantity?

    Ranges must match at both ends; a single claim value may name either end of
    an evidence range ("최대 5영업일" against "3~5영업일"). Explicit bounds
    that point opposite ways (이상 vs 이하) do not match.
    """
    if not comparable(claim, evidence):
        return False
    if claim.bound and evidence.bound and claim.bound != evidence.bound:
        return False
    k = claim.kind
    if claim.is_range:
        return (
            evidence.is_range
            and _scalar_equal(k, claim.unit, claim.value, evidence.unit, evidence.value)
            and _scalar_equal(k, claim.unit, claim.high, evidence.unit, evidence.high)  # type: ignore[arg-type]
        )
    if evidence.is_range:
        return _scalar_equal(k, claim.unit, claim.value, evidence.unit, evidence.value) or _scalar_equal(
            k, claim.unit, claim.value, evidence.unit, evidence.high  # type: ignore[arg-type]
        )
    return _scalar_equal(k, claim.unit, claim.value, evidence.unit, evidence.value)


def format_quantity(q: Quantity) -> str:
    """Short canonical text for reasons and logs: '39000 KRW', '3-5 business_day'."""
    v = f"{q.value:g}" if q.high is None else f"{q.value:g}-{q.high:g}"
    b = {"max": "<=", "min": ">="}.get(q.bound or "", "")
    return f"{b}{v} {q.unit}".strip()
