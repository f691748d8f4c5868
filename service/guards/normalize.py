"""Fold text for matching while remembering where every folded character came from.

Detectors match on the folded text and report spans in the ORIGINAL text, so the
fold keeps, for each output character, the original [start, end) it was built from.
What the fold does, and why:

- NFKC per character: full-width letters and digits (ＦＵＣＫ, ０１０) and circled
  forms (ⓢ, ㉮) become their plain forms.
- lower case: Latin matching is case-insensitive.
- drops zero-width and other format characters (U+200B, U+200D, U+FEFF, soft
  hyphen) and combining marks: invisible characters used to split a word.
- maps the many dash characters to '-', so "010–1234–5678" reads like "010-1234-5678".
- composes Hangul jamo typed one by one ("ㅅㅣㅂㅏㄹ", conjoining jamo U+1100..)
  into syllables, so a decomposed spelling meets the dictionary spelling.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

_CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_JONG = ["", "ㄱ", "ㄲ", "ㄳ", "ㄴ", "ㄵ", "ㄶ", "ㄷ", "ㄹ", "ㄺ", "ㄻ", "ㄼ", "ㄽ", "ㄾ",
         "ㄿ", "ㅀ", "ㅁ", "ㅂ", "ㅄ", "ㅅ", "ㅆ", "ㅇ", "ㅈ", "ㅊ", "ㅋ", "ㅌ", "ㅍ", "ㅎ"]
_CHO_INDEX = {c: i for i, c in enumerate(_CHO)}
_JUNG_INDEX = {c: i for i, c in enumerate(_JUNG)}
_JONG_INDEX = {c: i for i, c in enumerate(_JONG) if c}

# Conjoining jamo (what NFD and some circled forms produce) -> compatibility jamo.
_CONJOINING = {chr(0x1100 + i): c for i, c in enumerate(_CHO)}
_CONJOINING.update({chr(0x1161 + i): c for i, c in enumerate(_JUNG)})
_CONJOINING.update({chr(0x11A8 + i - 1): c for i, c in enumerate(_JONG) if c})

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"}


@dataclass(frozen=True, slots=True)
class Folded:
    """Folded text plus, per folded character, its [start, end) in the original."""

    text: str
    starts: list[int]
    ends: list[int]

    def original_span(self, i: int, j: int) -> tuple[int, int]:
        """Original [start, end) of folded characters i..j-1 (j > i)."""
        return self.starts[i], self.ends[j - 1]


def _fold_char(ch: str) -> str:
    if ch in _INVISIBLE:
        return ""
    if ch in _DASHES:
        return "-"
    if "\u3131" <= ch <= "\u318e":
        return ch  # compatibility jamo are canonical here (NFKC would turn ㅄ into a conjoining letter)
    cat = unicodedata.category(ch)
    if cat in ("Cf", "Mn", "Me"):
        return ""
    out = unicodedata.normalize("NFKC", ch).lower()
    return "".join(_CONJOINING.get(c, c) for c in out)


def _compose(chars: list[str], starts: list[int], ends: list[int]):
    """Compose runs of compatibility jamo (initial + vowel [+ final]) into syllables."""
    out_c: list[str] = []
    out_s: list[int] = []
    out_e: list[int] = []
    n = len(chars)
    i = 0
    while i < n:
        c = chars[i]
        if c in _CHO_INDEX and i + 1 < n and chars[i + 1] in _JUNG_INDEX:
            code = (_CHO_INDEX[c] * 21 + _JUNG_INDEX[chars[i + 1]]) * 28
            last = i + 1
            # A consonant is a final only if no vowel follows it (else it starts the next syllable).
            if (i + 2 < n and chars[i + 2] in _JONG_INDEX
                    and not (i + 3 < n and chars[i + 3] in _JUNG_INDEX)):
                code += _JONG_INDEX[chars[i + 2]]
                last = i + 2
            out_c.append(chr(0xAC00 + code))
            out_s.append(starts[i])
            out_e.append(ends[last])
            i = last + 1
        else:
            out_c.append(c)
            out_s.append(starts[i])
            out_e.append(ends[i])
            i += 1
    return out_c, out_s, out_e


def fold(text: str) -> Folded:
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    has_jamo = False
    for idx, ch in enumerate(text):
        o = ord(ch)
        if o < 128:
            chars.append(ch.lower() if 65 <= o <= 90 else ch)
            starts.append(idx)
            ends.append(idx + 1)
            continue
        if 0xAC00 <= o <= 0xD7A3:  # precomposed Hangul syllable: already canonical
            chars.append(ch)
            starts.append(idx)
            ends.append(idx + 1)
            continue
        for c in _fold_char(ch):
            chars.append(c)
            starts.append(idx)
            ends.append(idx + 1)
            if "\u3131" <= c <= "\u3163":
                has_jamo = True
    if has_jamo:
        chars, starts, ends = _compose(chars, starts, ends)
    return Folded("".join(chars), starts, ends)


def fold_text(text: str) -> str:
    """The folded string only (for dictionaries and allow phrases)."""
    return fold(text).text


def is_hangul(c: str) -> bool:
    """A Hangul syllable or compatibility jamo."""
    return "\uac00" <= c <= "\ud7a3" or "\u3131" <= c <= "\u318e"


def is_hangul_syllable(c: str) -> bool:
    return "\uac00" <= c <= "\ud7a3"


def is_jamo(c: str) -> bool:
    return "\u3131" <= c <= "\u318e"


def is_latin(c: str) -> bool:
    return "a" <= c <= "z" or "A" <= c <= "Z"
