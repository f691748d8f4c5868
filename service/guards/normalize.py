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
  into syllables, so a decomposed spelling meets the dictionary spelling; also when
  every jamo is followed by one space ("ㅁ ㅜ ㅅ ㅣ ㄴ"), which no ordinary text writes.
- maps letters of other scripts that look like Latin ones (Cyrillic "с", Greek "Κ":
  Unicode's confusables, from confusable-homoglyphs) to those Latin letters, but only
  inside a word that mixes them with Latin letters or is made of look-alikes only
  ("соupang", "ѕһіt"), so real Russian or Greek words stay as they are.

``clean_input`` is the gentler form for request text (kept readable, case kept): it
drops the invisible characters, turns full-width ASCII into ASCII and maps look-alike
letters in mixed words, so the guards, retrieval, the cache key and handoff cues all
read the words a person sees.

For the banned-word matcher only: ``attach_stray_jamo`` joins a lone jamo to the syllable
before it ("무시ㄴ사" -> 무신사), and ``romanize`` writes Hangul in Revised Romanization for
comparing words that mix Hangul and Latin letters ("무sinsa").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

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
# Hangul fillers (U+3164, U+FFA0, U+115F, U+1160) are letters to Unicode but render as blanks:
# "쿠\u3164팡" reads as 쿠팡, and "010\u31644627" as a phone number.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f",
              "\u3164", "\uffa0", "\u115f", "\u1160"}
# Scripts whose letters are used to disguise Latin words.
_LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "LATIN", "ARMENIAN", "CHEROKEE", "COPTIC"})


@cache
def lookalikes() -> dict[str, str]:
    """Non-ASCII letter -> the lower-case ASCII letter it passes for (Unicode TR39 confusables).
    Built on first use (about 0.2 s): most texts never need it."""
    from confusable_homoglyphs.categories import alias
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[str, str] = {}
    for ch, glyphs in confusables_data.items():
        if len(ch) != 1 or ch.isascii() or not unicodedata.category(ch).startswith("L"):
            continue
        if alias(ch) not in _LOOKALIKE_SCRIPTS:
            continue
        latin = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalpha()]
        same_case = [c for c in latin if c.isupper() == ch.isupper()]
        if latin:
            table[ch] = (same_case or latin)[0].lower()
    return table


def _lookalike(ch: str) -> str | None:
    table = lookalikes()
    return table.get(ch) or table.get(ch.lower())


def _map_lookalikes(chars: list[str], originals: list[str]) -> None:
    """In place: look-alike letters become Latin inside words that are disguised Latin words.
    A word here is a run of letters and digits other than Hangul (Hangul ends a word: "соupang에서")."""
    n = len(chars)
    i = 0
    while i < n:
        if not _word_char(chars[i]):
            i += 1
            continue
        k = i
        while k < n and _word_char(chars[k]):
            k += 1
        mapped = {m: _lookalike(originals[m]) for m in range(i, k) if not chars[m].isascii() and chars[m].isalpha()}
        has_latin = any(chars[m].isascii() and chars[m].isalpha() for m in range(i, k))
        if mapped and (has_latin or all(mapped.values())):
            for m, latin in mapped.items():
                if latin:
                    chars[m] = latin
        i = k


def _word_char(c: str) -> bool:
    return c.isalnum() and not is_hangul(c)


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


def _unspace_jamo(chars: list[str], starts: list[int], ends: list[int]):
    """Drop the single spaces of letter-spaced jamo ("ㅁ ㅜ ㅅ ㅣ ㄴ"): runs of three or more jamo,
    each one space apart, with a vowel among them."""
    n = len(chars)
    drop: set[int] = set()
    i = 0
    while i < n:
        k = i
        while k + 2 < n and is_jamo(chars[k]) and chars[k + 1] == " " and is_jamo(chars[k + 2]):
            k += 2
        if k - i >= 4 and is_jamo(chars[i]) and any(chars[m] in _JUNG_INDEX for m in range(i, k + 1, 2)):
            drop.update(range(i + 1, k, 2))
        i = k + 1
    if not drop:
        return chars, starts, ends
    keep = [m for m in range(n) if m not in drop]
    return [chars[m] for m in keep], [starts[m] for m in keep], [ends[m] for m in keep]


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
    has_jamo = has_foreign = False
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
            elif not c.isascii() and c.isalpha() and not is_hangul(c):
                has_foreign = True
    if has_foreign:
        _map_lookalikes(chars, [text[k] for k in starts])
    if has_jamo:
        chars, starts, ends = _compose(*_unspace_jamo(chars, starts, ends))
    return Folded("".join(chars), starts, ends)


# Compound vowels a stray vowel jamo forms with a syllable's vowel (호+ㅏ -> 화).
_COMPOUND_VOWELS = {("ㅗ", "ㅏ"): "ㅘ", ("ㅗ", "ㅐ"): "ㅙ", ("ㅗ", "ㅣ"): "ㅚ", ("ㅜ", "ㅓ"): "ㅝ",
                    ("ㅜ", "ㅔ"): "ㅞ", ("ㅜ", "ㅣ"): "ㅟ", ("ㅡ", "ㅣ"): "ㅢ"}
# Jamo typed on their own as laughter or tears (ㅋㅋ, ㅎㅎ, ㅠㅠ, ㅜㅜ, ㅡㅡ): never a syllable's missing part.
_EMOTICON_JAMO = frozenset("ㅋㅎㅠㅜㅡ")
_SYLLABLE_THEN_JAMO = re.compile("[\uac00-\ud7a3][\u3131-\u3163]")


def split_syllable(c: str) -> tuple[int, int, int]:
    """(initial, vowel, final) indexes of a precomposed Hangul syllable (final 0 = none)."""
    code = ord(c) - 0xAC00
    return code // 588, (code // 28) % 21, code % 28


def attach_stray_jamo(folded: Folded) -> Folded:
    """For matching only: a lone jamo written after a syllable to supply its final consonant or a
    compound vowel joins that syllable ("무시ㄴ사" -> 무신사, "호ㅏㄴ" -> 환). Only a run of one jamo
    (a final, or a vowel) or two (vowel + final) right after a syllable without a final; runs such as
    ㅋㅋ or ㅠㅠ and the laughter/tear jamo themselves are left alone."""
    s = folded.text
    if not _SYLLABLE_THEN_JAMO.search(s):
        return folded
    chars, starts, ends = list(s), list(folded.starts), list(folded.ends)
    out_c: list[str] = []
    out_s: list[int] = []
    out_e: list[int] = []
    n = len(chars)
    i = 0
    while i < n:
        c = chars[i]
        k = i + 1
        while k < n and is_jamo(chars[k]):
            k += 1
        merged = _attach(c, chars[i + 1:k]) if k > i + 1 and is_hangul_syllable(c) else None
        if merged is None:
            out_c.append(c)
            out_s.append(starts[i])
            out_e.append(ends[i])
            i += 1
            continue
        out_c.append(merged)
        out_s.append(starts[i])
        out_e.append(ends[k - 1])
        i = k
    return Folded("".join(out_c), out_s, out_e)


def _attach(syllable: str, run: list[str]) -> str | None:
    if len(run) > 2 or any(j in _EMOTICON_JAMO for j in run):
        return None
    cho, jung, jong = split_syllable(syllable)
    if jong:
        return None
    rest = run
    if rest[0] in _JUNG_INDEX:
        compound = _COMPOUND_VOWELS.get((_JUNG[jung], rest[0]))
        if compound is None:
            return None
        jung, rest = _JUNG_INDEX[compound], rest[1:]
    if rest:
        if len(rest) > 1 or rest[0] not in _JONG_INDEX:
            return None
        jong = _JONG_INDEX[rest[0]]
    return chr(0xAC00 + (cho * 21 + jung) * 28 + jong)


# Revised Romanization, letter by letter (no sound-change rules): for comparing a word that mixes
# Hangul and Latin letters with romanised dictionary terms.
_RR_INITIAL = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_RR_VOWEL = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
             "yu", "eu", "ui", "i"]
_RR_FINAL = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
             "ng", "t", "t", "k", "t", "p", "t"]


def romanize(text: str) -> str:
    """Hangul syllables in Revised Romanization; every other character kept."""
    out = []
    for c in text:
        if is_hangul_syllable(c):
            cho, jung, jong = split_syllable(c)
            out.append(_RR_INITIAL[cho] + _RR_VOWEL[jung] + _RR_FINAL[jong])
        else:
            out.append(c)
    return "".join(out)


def clean_input(text: str) -> str:
    """Request text as a person reads it: no invisible or format characters (zero-width,
    bidi controls, soft hyphen), full-width ASCII as ASCII, look-alike letters of other
    scripts as Latin inside disguised Latin words. Case, Hangul and everything else kept."""
    chars: list[str] = []
    originals: list[str] = []
    has_foreign = False
    for ch in text:
        o = ord(ch)
        if o < 128 or 0xAC00 <= o <= 0xD7A3:
            chars.append(ch)
        elif ch in _INVISIBLE or unicodedata.category(ch) == "Cf":
            continue
        elif 0xFF01 <= o <= 0xFF5E or o == 0x3000:  # full-width ASCII, ideographic space
            chars.append(unicodedata.normalize("NFKC", ch))
        else:
            chars.append(ch)
            has_foreign = has_foreign or (ch.isalpha() and not is_hangul(ch))
        originals.append(ch)
    if has_foreign:
        mapped = list(chars)
        _map_lookalikes(mapped, originals)
        chars = [m.upper() if c.isupper() and m != c else m for c, m in zip(chars, mapped)]
    return "".join(chars)


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
