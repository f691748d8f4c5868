"""Banned words: profanity, prohibited ad claims, medical claims, competitor names, internal data.

The dictionary lives in knowledge/banned_words/*.yaml (schema and matching rules:
knowledge/banned_words/README.md). Matching folds the text once (normalize.fold:
full-width, zero-width, case, jamo) and walks a character trie from every
position. Inside a word the walk tolerates up to three inserted non-letters
(시1발, 시.발, 시 발) and repeated letters (fuuuck); word-boundary rules then
keep the precision that naive substring matching lacks (시발점, 2시 발송, class).
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

from service.guards.normalize import Folded, fold, fold_text, is_hangul, is_hangul_syllable, is_jamo

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "banned_words"
SEVERITIES = ("low", "medium", "high")
ACTIONS = ("block", "fix")

_END = ""            # trie key holding the terms that end at a node (never a real character)
_SEP = " "           # trie key for a space inside a multi-word term
_SEPARATORS = frozenset(" \t\n\r\u00a0-·/_")
_MAX_NOISE = 3       # non-letters tolerated between two letters of a word
_OBFUSCATED, _SPACED = 1, 2
# Latin suffixes that keep a match (fucking, bitches); anything else means a longer word (classic, assist).
_LATIN_SUFFIXES = frozenset({"s", "es", "ed", "er", "ers", "ing", "in", "y", "ies", "ez"})
# Jamo that commonly sit next to ㅅㅂ-style abbreviations without forming a word (ㅋㅋ, ㅠㅠ).
_JAMO_NEIGHBOURS = frozenset("ㅋㅎㅠㅜㅡ")


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
    """An allow phrase as a regex over folded text: '#' is a number, a space is optional whitespace."""
    parts = []
    for c in fold_text(phrase).strip():
        if c == "#":
            parts.append(r"\d+(?:[.,]\d+)*")
        elif c.isspace():
            parts.append(r"\s*")
        else:
            parts.append(re.escape(c))
    return "".join(parts)


def _latin(c: str) -> bool:
    return "a" <= c <= "z"  # folded text is lower case


class BannedWordMatcher:
    def __init__(self, categories: Iterable[Category]):
        self.categories = list(categories)
        self._root: dict = {}
        self._allow: dict[str, re.Pattern | None] = {}
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

    # ---- matching -------------------------------------------------------------
    def find(self, text: str) -> list[BannedWordHit]:
        folded = fold(text)
        s = folded.text
        root = self._root
        candidates: list[tuple[int, int, _Term]] = []
        allow_spans: dict[str, list[tuple[int, int]]] = {}
        for i, c in enumerate(s):
            if c not in root:
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
        return self._resolve(candidates, folded)

    def redact(self, text: str, hits: list[BannedWordHit] | None = None) -> str:
        """Mask every hit with '*' (whitespace kept, so offsets stay valid)."""
        hits = self.find(text) if hits is None else hits
        chars = list(text)
        for h in hits:
            for k in range(h.start, h.end):
                if not chars[k].isspace():
                    chars[k] = "*"
        return "".join(chars)

    def _walk(self, s: str, i: int):
        """Yield (end, terms, flags) for every dictionary path that starts at s[i]."""
        n = len(s)
        stack = [(self._root[s[i]], i + 1, s[i], 0, False)]
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
            if c == last and c.isalpha():
                # Repeated letter (fuuuck, 씨이이발). A repeated syllable may not END a match:
                # 원가가 is 원가 + the particle 가.
                stack.append((node, j + 1, last, flags, is_hangul_syllable(c)))
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
        if flags & _OBFUSCATED and prev.isalnum():
            return False  # 2시 발송, 10시.발
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
        if flags & _SPACED and not self._letter_spaced(s, i, j):
            return False
        if t.case_sensitive:
            start, end = folded.original_span(i, j)
            surface = [c for c in unicodedata.normalize("NFKC", text[start:end]) if c.isalnum()]
            if surface != [c for c in t.term if c.isalnum()]:
                return False
        return True

    @staticmethod
    def _letter_spaced(s: str, i: int, j: int) -> bool:
        """A match spread over spaces counts only as one-letter pieces: 시 발, f u c k (not 2시 발송, 두 개 같은)."""
        k = i - 1
        while k >= 0 and not s[k].isspace():
            if s[k].isalnum():
                return False
            k -= 1
        k = j
        while k < len(s) and not s[k].isspace():
            if s[k].isalnum():
                return False
            k += 1
        return all(sum(ch.isalnum() for ch in piece) <= 1 for piece in s[i:j].split())

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
    """A hash of every list file's name and bytes (part of the guard policy fingerprint)."""
    digest = hashlib.sha256()
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
