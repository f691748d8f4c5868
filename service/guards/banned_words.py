"""Banned words: profanity, prohibited ad claims, medical claims, competitor names, internal data.

The dictionary lives in knowledge/banned_words/*.yaml (schema and matching rules:
knowledge/banned_words/README.md). Matching folds the text once (normalize.fold:
full-width, zero-width, case, jamo, look-alike letters of other scripts) and walks a
character trie from every position. Inside a word the walk tolerates up to three
inserted non-letters (시1발, 시.발, 시 발), repeated letters (fuuuck) and, in Latin
terms, digits and symbols standing for letters (sh1t, $hit, f*ck, fvck); word-boundary
rules then keep the precision that naive substring matching lacks (시발점, 2시 발송,
class, A1). A term spelt out letter by letter may go on with a particle or ending
(무 신 사보다, 혈 액 순 환에, s h i t에서), as the same term written normally may.
Also for matching only: a stray jamo joins the syllable before it (무시ㄴ사), a vowel
lengthening syllable is skipped (무우신사), a space before % is ignored (99.9 %), a word that
mixes Hangul and Latin letters is compared in romanised form (무sinsa, 시bal), and a long
Latin term is found with one letter changed, dropped, added or swapped (c00pang, musimsa).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from guardrails.validator_base import (
    ErrorSpan,
    FailResult,
    PassResult,
    ValidationResult,
    Validator,
    register_validator,
)

from service.guards.normalize import (
    Folded,
    attach_stray_jamo,
    fold,
    fold_text,
    is_hangul,
    is_hangul_syllable,
    is_jamo,
    romanize,
    split_syllable,
)

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "banned_words"
SEVERITIES = ("low", "medium", "high")
ACTIONS = ("block", "fix")

_END = ""            # trie key holding the terms that end at a node (never a real character)
_SEP = " "           # trie key for a space inside a multi-word term
_SEPARATORS = frozenset(" \t\n\r\u00a0-·/_")
_MAX_NOISE = 3       # non-letters tolerated between two letters of a word
_OBFUSCATED, _SPACED, _LEET = 1, 2, 4
# Characters written for Latin letters (sh1t, $hit, fu(k, fvck, a55hole); '*' stands for any letter (f*ck).
_LEET_MAP = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s",
             "!": "il", "|": "il", "(": "c", "+": "t", "€": "e", "v": "u"}
_WILDCARD = "*"
_MIN_REAL_LETTERS = 2  # a disguised Latin word keeps at least two of its own letters
# Particles and endings that may follow a term spelt out letter by letter ("무 신 사보다", "혈 액 순 환에").
# The one-syllable ones only after terms of three letters or more: "5만 원 가요" is not 원가 + 요.
_PARTICLES = frozenset("""
    이 가 은 는 을 를 에 의 도 만 과 와 로 랑 나 야 아 요 다 고 며 인 께 뿐
    에서 에게 한테 보다 처럼 같이 까지 부터 으로 로서 로써 이나 이랑 하고 마저 조차 밖에 만큼 이든 라도
    이야 이다 이냐 이니 이고 이며 이라 라서 이요 인데 인가 예요 이에요 입니다 인가요 이라서 이라도 이지 이네
    에도 에는 에서도 에서는 으로도 로도 까지도 보다도 에게는 한테는 이랑은 과는 와는 도요 만요
    하네 하는 하고 하다 한다 해요 해서 했다 했어 하냐 하지 하면 되는 된다 돼요 되고
""".split())
# Bump when the matching rules change what fires (it is part of the guard policy fingerprint).
MATCHER_VERSION = "4"  # 4: Hangul fillers are invisible
_ALLOW_GAP = r"[ \t.\-·/_]{0,3}"
_MIN_LETTERS_UNEVEN = 4  # a term split into uneven pieces ("다이어 트 효과", "혈액순 환") needs this many letters
# Latin suffixes that keep a match (fucking, bitches); anything else means a longer word (classic, assist).
_LATIN_SUFFIXES = frozenset({"s", "es", "ed", "er", "ers", "ing", "in", "y", "ies", "ez"})
# Jamo that commonly sit next to ㅅㅂ-style abbreviations without forming a word (ㅋㅋ, ㅠㅠ).
_JAMO_NEIGHBOURS = frozenset("ㅋㅎㅠㅜㅡ")
# One-letter edits: only Latin terms this long (shorter ones have too many innocent neighbours:
# sibal/sisal), and the word must keep the term's first and last letters.
_MIN_FUZZY_LETTERS = 6
_FUZZY_WORD = re.compile(r"(?<![a-z0-9])[a-z0-9@$]{5,}(?![a-z0-9])")
_LEET_FIRST = {k: v[0] for k, v in _LEET_MAP.items()}
# A word mixing Hangul and Latin letters: its romanised form must be at least this long to match.
_MIN_ROMAN_KEY = 5
_MIXED_WORD = re.compile(r"(?<![a-z\uac00-\ud7a3])[a-z\uac00-\ud7a3]*"
                         r"(?:[a-z][\uac00-\ud7a3]|[\uac00-\ud7a3][a-z])[a-z\uac00-\ud7a3]*")
# Syllables that can lengthen the vowel before them: ㅇ + a vowel, no final (아, 우, 이 ...).
_VOWEL_SYLLABLES = frozenset(chr(0xAC00 + (11 * 21 + v) * 28) for v in range(21))
# Common romanisation variants folded together (ㅓ eo/u, oo/ou/u, sh/s, ch/j, voiced/voiceless
# consonants, l/r) so that "byung", "byeong" and "coo", "cou", "ku" meet.
_ROMAN_PAIRS = (("eo", "u"), ("oo", "u"), ("ou", "u"), ("eu", "u"), ("ae", "e"), ("ee", "i"), ("sh", "s"),
                ("ch", "j"), ("ck", "k"), ("ph", "p"))
_ROMAN_LETTERS = str.maketrans({"c": "k", "q": "k", "g": "k", "f": "p", "b": "p", "v": "p", "d": "t",
                                "l": "r", "z": "j"})


def roman_key(latin: str) -> str:
    """A loose phonetic key of a romanised word: the variants above folded, doubled letters single."""
    for a, b in _ROMAN_PAIRS:
        latin = latin.replace(a, b)
    latin = latin.translate(_ROMAN_LETTERS)
    return re.sub(r"(.)\1+", r"\1", latin)


def _edit_distance_le1(a: str, b: str) -> bool:
    """True when a and b differ by at most one substitution, insertion, deletion or swap of neighbours."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if i == len(a):
        return True
    if len(a) == len(b):
        return (a[i + 1:] == b[i + 1:]
                or (i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]))
    return a[i:] == b[i + 1:]


def _elongation(prev: str, c: str) -> bool:
    """c lengthens the vowel of prev: ㅇ + the same vowel, no final, after a syllable without a final (무우)."""
    if c not in _VOWEL_SYLLABLES or not is_hangul_syllable(prev) or prev == c:
        return False
    _, p_jung, p_jong = split_syllable(prev)
    return not p_jong and split_syllable(c)[1] == p_jung


@dataclass(frozen=True, slots=True)
class BannedWordHit:
    term: str          # dictionary term (folded form), not the surface text
    category: str
    severity: str
    action: str
    start: int         # offsets into the ORIGINAL text
    end: int


@dataclass(frozen=True, slots=True)
class _Term:
    term: str
    category: str
    severity: str
    action: str
    compound: bool
    whole: bool
    case_sensitive: bool


@dataclass
class Category:
    """One YAML file."""

    category: str
    severity: str
    action: str
    terms: list[Any]
    allow: list[str] = field(default_factory=list)
    compound: bool = False

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.category}: severity must be one of {SEVERITIES}")
        if self.action not in ACTIONS:
            raise ValueError(f"{self.category}: action must be one of {ACTIONS}")


def _allow_pattern(phrase: str) -> str:
    """An allow phrase as a regex over folded text: '#' is a number, a space is optional whitespace,
    and letters may be spelt out with separators as hits may be ("최 상 급" is still 최상급)."""
    parts = []
    for c in fold_text(phrase).strip():
        if c == "#":
            parts.append(r"\d+(?:[.,]\d+)*")
        elif c.isspace():
            parts.append(r"\s*")
        else:
            if parts and parts[-1] != r"\s*":
                parts.append(_ALLOW_GAP)
            parts.append(re.escape(c))
    return "".join(parts)


def _latin(c: str) -> bool:
    return "a" <= c <= "z"  # folded text is lower case


class BannedWordMatcher:
    def __init__(self, categories: Iterable[Category]):
        self.categories = list(categories)
        self._root: dict = {}
        self._start_cache: dict[str, list] = {}
        self._allow: dict[str, re.Pattern | None] = {}
        self._fuzzy: dict[tuple[str, str], list[tuple[str, _Term]]] = {}
        self._roman: dict[str, list[_Term]] = {}
        for cat in self.categories:
            for entry in cat.terms:
                opts = entry if isinstance(entry, dict) else {"term": entry}
                unknown = set(opts) - {"term", "whole", "case_sensitive"}
                if unknown or "term" not in opts:
                    raise ValueError(f"{cat.category}: bad term entry {entry!r}")
                term = str(opts["term"])
                info = _Term(term, cat.category, cat.severity, cat.action, cat.compound,
                             bool(opts.get("whole", False)), bool(opts.get("case_sensitive", False)))
                self._insert(term, info)
                self._index_variants(fold_text(term).strip(), info)
            patterns = [_allow_pattern(p) for p in cat.allow if str(p).strip()]
            self._allow[cat.category] = re.compile("|".join(patterns)) if patterns else None

    @classmethod
    def from_dir(cls, path: str | Path) -> "BannedWordMatcher":
        cats = []
        for file in sorted(Path(path).glob("*.yaml")):
            doc = yaml.safe_load(file.read_text(encoding="utf-8"))
            try:
                cats.append(Category(**doc))
            except TypeError as exc:  # a missing or unknown top-level key
                raise ValueError(f"{file.name}: {exc}") from None
        if not cats:
            raise FileNotFoundError(f"no *.yaml banned-word files in {path}")
        return cls(cats)

    def _insert(self, term: str, info: _Term) -> None:
        key = " ".join(fold_text(term).split())
        if not key:
            return
        node = self._root
        for c in key:
            node = node.setdefault(c, {})
        node.setdefault(_END, []).append(info)

    def _index_variants(self, key: str, info: _Term) -> None:
        """Single-word terms, for the one-letter-edit and the mixed-script passes."""
        if info.case_sensitive or not key:
            return
        if key.isascii() and key.isalpha():
            if len(key) >= _MIN_FUZZY_LETTERS:
                self._fuzzy.setdefault((key[0], key[-1]), []).append((key, info))
            roman = roman_key(key)
        elif all(is_hangul_syllable(c) for c in key):
            roman = roman_key(romanize(key))
        else:
            return
        if len(roman) >= _MIN_ROMAN_KEY:
            self._roman.setdefault(roman, []).append(info)

    # ---- matching -------------------------------------------------------------
    def find(self, text: str) -> list[BannedWordHit]:
        folded = attach_stray_jamo(fold(text))
        s = folded.text
        root = self._root
        candidates: list[tuple[int, int, _Term]] = []
        allow_spans: dict[str, list[tuple[int, int]]] = {}
        for i, c in enumerate(s):
            if c not in root and c not in _LEET_MAP:
                continue
            if _latin(c) and i and _latin(s[i - 1]):
                continue  # Latin terms start at a word start only
            best_end, best = -1, []
            for j, terms, flags in self._walk(s, i):
                for t in terms:
                    if j < best_end or not self._accept(s, i, j, t, flags, text, folded):
                        continue
                    if j > best_end:
                        best_end, best = j, []
                    best.append(t)
            for t in best:
                if not self._allowed(s, i, best_end, t.category, allow_spans):
                    candidates.append((i, best_end, t))
        for i, j, t in self._near_latin(s) + self._mixed_script(s):
            if not self._allowed(s, i, j, t.category, allow_spans):
                candidates.append((i, j, t))
        return self._resolve(candidates, folded)

    def _near_latin(self, s: str) -> list[tuple[int, int, _Term]]:
        """Latin words one edit away from a long Latin term, after leet folding (c00pang, musimsa,
        fukking). An exact spelling is the trie's business (its allow and case rules stand)."""
        found = []
        for m in _FUZZY_WORD.finditer(s):
            word = "".join(_LEET_FIRST.get(c, c) if not c.isalpha() else c for c in m.group())
            if sum(c.isalpha() for c in m.group()) < len(word) - 2:
                continue  # mostly digits and symbols: a code, not a word
            for key, t in self._fuzzy.get((word[0], word[-1]), ()):
                if key != word and _edit_distance_le1(word, key):
                    found.append((m.start(), m.end(), t))
        return found

    def _mixed_script(self, s: str) -> list[tuple[int, int, _Term]]:
        """A word mixing Hangul and Latin letters (무sinsa, 쿠pang, 시bal, ssi발): its Hangul part is
        romanised and the whole compared with the romanised terms; a particle may follow."""
        found = []
        for m in _MIXED_WORD.finditer(s):
            word = m.group()
            for e in range(2, len(word) + 1):
                head, tail = word[:e], word[e:]
                if tail and tail not in _PARTICLES:
                    continue
                if head.isascii() or not any(_latin(c) for c in head):
                    continue  # one script only: the trie's business
                if _latin(head[0]) and head.lstrip("abcdefghijklmnopqrstuvwxyz") in _PARTICLES:
                    continue  # a Latin word and its particle (Sec의, app에서)
                for t in self._roman.get(roman_key(romanize(head)), ()):
                    if not (t.whole and tail):
                        found.append((m.start(), m.start() + e, t))
        return found

    def redact(self, text: str, hits: list[BannedWordHit] | None = None) -> str:
        """Mask every hit with '*' (whitespace kept, so offsets stay valid)."""
        hits = self.find(text) if hits is None else hits
        chars = list(text)
        for h in hits:
            for k in range(h.start, h.end):
                if not chars[k].isspace():
                    chars[k] = "*"
        return "".join(chars)

    def _starts(self, c: str) -> list[tuple[dict, str, int]]:
        """The trie nodes a match can start from at character c: itself, or the Latin letters it stands for."""
        found = self._start_cache.get(c)
        if found is None:
            found = [(self._root[c], c, 0)] if c in self._root else []
            found += [(self._root[sub], sub, _LEET) for sub in _LEET_MAP.get(c, "") if sub in self._root]
            self._start_cache[c] = found
        return found

    def _walk(self, s: str, i: int):
        """Yield (end, terms, flags) for every dictionary path that starts at s[i]."""
        n = len(s)
        stack = [(node, i + 1, letter, flags, False) for node, letter, flags in self._starts(s[i])]
        while stack:
            node, j, last, flags, skipped = stack.pop()
            terms = node.get(_END)
            if terms and not skipped:  # a match never ends on skipped noise
                yield j, terms, flags
            if j >= n:
                continue
            c = s[j]
            nxt = node.get(c)
            if nxt is not None:
                stack.append((nxt, j + 1, c, flags, False))
            for sub in (_LEET_MAP.get(c, "") if c != _WILDCARD else [k for k in node if _latin(k)]):
                child = node.get(sub)
                if child is not None and _latin(sub) and sub != c:  # a symbol standing for a Latin letter
                    stack.append((child, j + 1, sub, flags | _LEET, False))
            if c == last and c.isalpha():
                # Repeated letter (fuuuck, 씨이이발). A repeated syllable may not END a match:
                # 원가가 is 원가 + the particle 가.
                stack.append((node, j + 1, last, flags, is_hangul_syllable(c)))
            elif c in _VOWEL_SYLLABLES and _elongation(last, c):
                # A lengthened vowel (무우신사, 쿠우팡): skipped, and never the end of a match.
                stack.append((node, j + 1, last, flags | _OBFUSCATED, True))
            if c == " " and last.isdigit() and "%" in node:  # 99.9 % = 99.9%
                k = j
                while k < n and k - j < _MAX_NOISE and s[k] == " ":
                    k += 1
                if k < n and s[k] == "%":
                    stack.append((node["%"], k + 1, "%", flags, False))
            sep = node.get(_SEP)
            if sep is not None:  # a space in the term: zero or more separators in the text
                k = j
                while k < n and k - j < _MAX_NOISE and s[k] in _SEPARATORS:
                    k += 1
                stack.append((sep, k, last, flags, False))
            if not c.isalpha():  # noise inserted inside a word
                k = j
                while k < n and not s[k].isalpha():
                    k += 1
                if last.isdigit() and any(ch.isdigit() for ch in s[j:k]):
                    continue  # digits after a digit make a longer number: 11위 is not 1위
                if k - j <= _MAX_NOISE and k < n:
                    spaced = _SPACED if any(ch.isspace() for ch in s[j:k]) else 0
                    stack.append((node, k, last, flags | _OBFUSCATED | spaced, True))

    def _accept(self, s: str, i: int, j: int, t: _Term, flags: int, text: str, folded: Folded) -> bool:
        prev = s[i - 1] if i else ""
        nxt = s[j] if j < len(s) else ""
        first, last = s[i], s[j - 1]
        # Left edge.
        if is_hangul(first):
            if prev and is_hangul_syllable(prev) and not t.compound:
                return False  # inside a longer Hangul word: 다시발견
            if is_jamo(first) and prev and is_jamo(prev) and prev not in _JAMO_NEIGHBOURS:
                return False
            if first == "개" and prev.isdigit():
                return False  # the counter 개: 3개같은
        elif _latin(first) and prev and _latin(prev):
            return False
        elif first.isdigit() and prev and (prev.isdigit() or (prev in ".," and i > 1 and s[i - 2].isdigit())):
            return False
        if flags & (_OBFUSCATED | _LEET) and prev.isalnum():
            return False  # 2시 발송, 10시.발, A5hit
        if flags & _LEET and not self._disguised_word(s, i, j, nxt):
            return False
        # Right edge.
        if _latin(last) and nxt and _latin(nxt):
            k = j
            while k < len(s) and _latin(s[k]):
                k += 1
            if s[j:k] not in _LATIN_SUFFIXES:
                return False  # classic, assistant
        if last.isdigit() and nxt.isdigit():
            return False
        if t.whole and nxt and is_hangul(nxt):
            return False
        if flags & _SPACED and not self._spaced(s, i, j):
            return False
        if t.case_sensitive:
            start, end = folded.original_span(i, j)
            surface = [c for c in unicodedata.normalize("NFKC", text[start:end]) if c.isalnum()]
            if surface != [c for c in t.term if c.isalnum()]:
                return False
        return True

    @staticmethod
    def _disguised_word(s: str, i: int, j: int, nxt: str) -> bool:
        """A Latin word with symbols for letters stands alone and keeps some of its own letters:
        sh1t, $hit, a55hole fire; SH1-T202, b1ack (no term) and A5hit do not."""
        if nxt and ((nxt.isalnum() and not is_hangul(nxt)) or nxt in _LEET_MAP):
            return False  # the word goes on (particles may follow: c0upang에서)
        return sum(_latin(ch) for ch in s[i:j]) >= _MIN_REAL_LETTERS

    @staticmethod
    def _spaced(s: str, i: int, j: int) -> bool:
        """A match spread over spaces counts as a term spelt out letter by letter (시 발, f u c k,
        무 신 사보다) or, for a long term, split into uneven pieces (다이어 트 효과, 혈액순 환);
        not as ordinary words that happen to meet (2시 발송, 두 개 같은, 5만 원 가요)."""
        k = i - 1
        while k >= 0 and not s[k].isspace():
            if s[k].isalnum():
                return False  # a letter glued before the first piece: 2시 발송
            k -= 1
        pieces = [sum(ch.isalnum() for ch in piece) for piece in s[i:j].split()]
        letters = sum(pieces)
        k = j
        while k < len(s) and is_hangul_syllable(s[k]):
            k += 1
        tail = s[j:k]
        if tail and not ((is_hangul_syllable(s[j - 1]) or _latin(s[j - 1])) and tail in _PARTICLES
                         and (len(tail) > 1 or letters >= 3)):
            return False  # the last piece goes on as another word: 시 발송
        while k < len(s) and not s[k].isspace():
            if s[k].isalnum():
                return False
            k += 1
        return max(pieces) <= 1 or letters >= _MIN_LETTERS_UNEVEN

    def _allowed(self, s: str, i: int, j: int, category: str, cache: dict) -> bool:
        pattern = self._allow.get(category)
        if pattern is None:
            return False
        spans = cache.get(category)
        if spans is None:
            spans = cache[category] = [m.span() for m in pattern.finditer(s)]
        return any(a <= i and j <= b for a, b in spans)

    @staticmethod
    def _resolve(candidates: list[tuple[int, int, _Term]], folded: Folded) -> list[BannedWordHit]:
        """Leftmost-longest, no overlaps; one hit per category on the same span."""
        candidates.sort(key=lambda c: (c[0], -c[1]))
        hits: list[BannedWordHit] = []
        seen: set[tuple[int, int, str]] = set()
        taken_end = -1
        taken_start = -1
        for i, j, t in candidates:
            if i < taken_end and not (i == taken_start and j == taken_end):
                continue
            key = (i, j, t.category)
            if key in seen:
                continue
            seen.add(key)
            taken_start, taken_end = i, j
            start, end = folded.original_span(i, j)
            hits.append(BannedWordHit(t.term, t.category, t.severity, t.action, start, end))
        return hits


def default_matcher(path: str | None = None) -> BannedWordMatcher:
    """The matcher over knowledge/banned_words (built once per content of the lists, about 0.1 s)."""
    folder = Path(path or DEFAULT_DIR)
    return _matcher(str(folder), lists_digest(folder))


@lru_cache(maxsize=4)
def _matcher(path: str, digest: str) -> BannedWordMatcher:
    # Keyed by the lists' digest too: a guard built after a list changed enforces the new list,
    # the same one the guard policy fingerprint (cache keys) was computed from.
    return BannedWordMatcher.from_dir(path)


def lists_digest(path: str | Path) -> str:
    """A hash of the matching rules' version and every list file's name and bytes (part of the
    guard policy fingerprint: outputs cached under weaker rules miss)."""
    digest = hashlib.sha256(f"rules {MATCHER_VERSION}\0".encode())
    for file in sorted(Path(path).glob("*.yaml")):
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def find_banned_words(text: str) -> list[BannedWordHit]:
    return default_matcher().find(text)


def redact(text: str) -> str:
    return default_matcher().redact(text)


@register_validator(name="commerce-guard/banned-words", data_type="string")
class BannedWords(Validator):
    """Fails on any banned word; fix_value masks the hits with '*'.

    categories: only these categories (default: all); min_severity: ignore hits below it.
    The hit's action (block/fix) is reported in the error message for the caller to act on,
    and the hits themselves go back through ``metadata["details"]["banned_words"]``.
    """

    def __init__(self, categories: list[str] | None = None, min_severity: str = "low",
                 knowledge_dir: str | None = None, on_fail=None, **kwargs):
        super().__init__(on_fail=on_fail, categories=categories, min_severity=min_severity,
                         knowledge_dir=knowledge_dir, **kwargs)
        self._matcher = default_matcher(str(knowledge_dir) if knowledge_dir else None)
        self._categories = set(categories) if categories else None
        self._min_rank = SEVERITIES.index(min_severity)

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        text = str(value)
        hits = [h for h in self._matcher.find(text)
                if (self._categories is None or h.category in self._categories)
                and SEVERITIES.index(h.severity) >= self._min_rank]
        metadata.setdefault("details", {})["banned_words"] = hits
        if not hits:
            return PassResult()
        listed = ", ".join(f"{text[h.start:h.end]!r} ({h.category}, {h.severity}, {h.action})" for h in hits)
        return FailResult(
            error_message=f"banned words: {listed}",
            fix_value=self._matcher.redact(text, hits),
            error_spans=[ErrorSpan(start=h.start, end=h.end, reason=f"{h.category}: {h.term}") for h in hits],
        )
