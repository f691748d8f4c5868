"""Split generated text into checkable claims, with spans into the original text.

A claim is one sentence (or one bullet / list item) that states something the
evidence can confirm or refute. Citation markers such as ``[P012]`` or
``[FAQ-RET-001, P003]`` are removed from the claim text and kept as the
claim's ``cited_ids``. Headings, tiny fragments (unless they hold a number: a bare
value such as "19,000원" is a claim) and pure courtesy sentences
("문의 주셔서 감사합니다", "Hope this helps") are segments but not claims.

Korean sentences often end without punctuation in LLM output, so Korean pieces
are also split by Kiwi (``split_into_sents``) when an analyser is given;
English relies on punctuation, where Kiwi is weak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from service.nlp.numbers import extract_quantities

_ID = r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*"
# "[P012]", "[P012, FAQ-RET-001]", "[출처: P012]", "【P012】", "(source: SG-003)", "[POL-RETURN-STANDARD]":
# an id holds a digit or is upper-case words joined by hyphens, so "[NEW]" or "[참고]" is not a citation.
CITATION = re.compile(
    r"[ \t]?[\[【](?=[^\]】]*\d|[A-Z]+-[A-Z])(?:(?:출처|근거|source|ref|sources)\s*[:：]\s*)?#?(?P<ids>{id}(?:\s*[,;/·]\s*#?{id})*)[\]】]"
    r"|[ \t]?\((?=[^)]*\d)(?:출처|근거|source|sources)\s*[:：]\s*(?P<ids2>{id}(?:\s*[,;/]\s*{id})*)\)".format(id=_ID),
    re.IGNORECASE,
)
_ID_RE = re.compile(_ID)

_BULLET = re.compile(r"^\s*(?:[-*•◦▪‣·●○■□→>]+|\d{1,2}[.)](?!\d)|[①-⑳]|[a-zA-Z][.)](?=\s)|\(\d{1,2}\))\s*")
_HEADING = re.compile(r"^\s*(?:#{1,6}\s|\*\*[^*]+\*\*\s*:?\s*$|__[^_]+__\s*$|\[[^\]]+\]\s*$)")
_LABEL_ONLY = re.compile(r"^[^.!?。]{1,30}[:：]\s*$")
# Sentence breaks: end marks followed by space, Hangul or a quote (so "4.8" never splits), and ';'.
# An inline "·" joins nouns ("반품·교환", "화이트 · 블랙"), so only a leading "·" is a bullet.
_BREAK = re.compile(r"[.!?。]+(?=\s|$|[가-힣\"'“”)\]])|;")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|approx|vs|Mr|Ms|Dr|No|St|incl|min|max)\.)$", re.IGNORECASE)
_COURTESY = re.compile(
    r"^(?:안녕하세요|안녕하십니까|감사합니다|고맙습니다|문의(?:해)?\s?주셔서\s?감사|이용해\s?주셔서\s?감사|불편을\s?드려|죄송합니다|"
    r"좋은\s?하루|도움이\s?되(?:셨|었|길)|더\s?궁금하신|추가로?\s?(?:궁금하신|문의하실|문의\s?사항)|궁금하신\s?점|참고\s?부탁|"
    r"thank(?:s|\s+you)|hello|hi\b|dear\b|we\s+apologi[sz]e|sorry\s+for|hope\s+this\s+helps|feel\s+free|let\s+us\s+know|"
    r"if\s+you\s+have\s+any|have\s+a\s+(?:nice|great|good))",
    re.IGNORECASE,
)
_LETTERS = re.compile(r"[가-힣A-Za-z]")
_HANGUL = re.compile(r"[가-힣]")
MIN_LETTERS = 3


class SentenceSplitter(Protocol):
    def sentences(self, text: str) -> list: ...


@dataclass
class Claim:
    text: str  # the sentence without citation markers, bullets or surrounding space
    start: int  # span in the original text
    end: int
    cited_ids: list[str] = field(default_factory=list)
    kind: str = "claim"  # claim | heading | fragment | courtesy


def find_citations(text: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, ids) of every citation marker."""
    out = []
    for m in CITATION.finditer(text):
        ids = m["ids"] or m["ids2"] or ""
        out.append((m.start(), m.end(), _ID_RE.findall(ids)))
    return out


def strip_citations(text: str) -> str:
    return CITATION.sub("", text)


def segment(text: str, splitter: SentenceSplitter | None = None) -> list[Claim]:
    """Every segment of ``text`` with its kind; :func:`split_claims` keeps the claims."""
    cites = find_citations(text)
    # Blank the markers (same length) so splitting never breaks inside one and spans stay valid.
    blanked = list(text)
    for s, e, _ in cites:
        blanked[s:e] = " " * (e - s)
    plain = "".join(blanked)

    spans: list[tuple[int, int, str]] = []
    offset = 0
    for line in plain.split("\n"):
        spans.extend(_line_spans(line, offset, splitter))
        offset += len(line) + 1

    segments = [Claim(_clean(text, s, e, cites), s, e, [], kind) for s, e, kind in spans]
    _attach_citations(segments, cites, text)
    for seg in segments:
        if seg.kind == "claim":
            seg.kind = _kind(seg.text)
    return [seg for seg in segments if seg.text]


def split_claims(text: str, splitter: SentenceSplitter | None = None) -> list[Claim]:
    """Checkable claims of ``text`` (courtesy, headings and fragments dropped)."""
    return [seg for seg in segment(text, splitter) if seg.kind == "claim"]


# ------------------------------------------------------------------ internals


def _line_spans(line: str, offset: int, splitter: SentenceSplitter | None) -> list[tuple[int, int, str]]:
    if not line.strip():
        return []
    if _HEADING.match(line) or _LABEL_ONLY.match(line.strip()):
        s = len(line) - len(line.lstrip())
        return [(offset + s, offset + len(line.rstrip()), "heading")]
    bullet = _BULLET.match(line)
    body_start = bullet.end() if bullet else 0
    out = []
    for s, e in _sentences(line, body_start):
        for s2, e2 in _kiwi_split(line, s, e, splitter):
            out.append((offset + s2, offset + e2, "claim"))
    return out


def sentence_spans(line: str, start: int = 0) -> list[tuple[int, int]]:
    """Punctuation-based sentence spans of one line (no Kiwi): used for evidence text."""
    return _sentences(line, start)


def _sentences(line: str, start: int) -> list[tuple[int, int]]:
    """Punctuation-based split of line[start:], skipping abbreviations like 'e.g.'."""
    spans, cur = [], start
    for m in _BREAK.finditer(line, start):
        keep = m.group()[0] != ";"  # the end mark stays in the sentence; ';' does not
        if keep and _ABBREV.search(line[cur:m.end()]):
            continue
        spans.append((cur, m.end() if keep else m.start()))
        cur = m.end()
    spans.append((cur, len(line)))
    return [_trim(line, s, e) for s, e in spans if line[s:e].strip()]


def _kiwi_split(line: str, s: int, e: int, splitter: SentenceSplitter | None) -> list[tuple[int, int]]:
    """Korean sentences that end without punctuation ('...입니다 방수는...')."""
    piece = line[s:e]
    if splitter is None or not _HANGUL.search(piece) or len(piece) < 12:
        return [(s, e)]
    sents = splitter.sentences(piece)
    if len(sents) <= 1:
        return [(s, e)]
    return [_trim(line, s + x.start, s + x.end) for x in sents if piece[x.start:x.end].strip()]


def _trim(line: str, s: int, e: int) -> tuple[int, int]:
    while s < e and line[s] in " \t*_\"'“”‘’`":
        s += 1
    while e > s and line[e - 1] in " \t*_\"'“”‘’`":
        e -= 1
    return s, e


def _clean(text: str, s: int, e: int, cites: list[tuple[int, int, list[str]]]) -> str:
    parts, cur = [], s
    for cs, ce, _ in cites:
        if ce <= s or cs >= e:
            continue
        parts.append(text[cur:max(cur, cs)])
        cur = max(cur, ce)
    parts.append(text[cur:e])
    out = re.sub(r"\s+", " ", "".join(parts)).strip()
    out = re.sub(r"\s+([.,!?;:])", r"\1", out)  # "없습니다 ." after a removed marker
    return out.strip(" *_")


def _attach_citations(segments: list[Claim], cites: list[tuple[int, int, list[str]]], text: str) -> None:
    """A marker belongs to the segment that contains it, else to the one before it on its line."""
    for cs, ce, ids in cites:
        owner = None
        for seg in segments:
            if seg.start <= cs < seg.end or (seg.start < ce <= seg.end):
                owner = seg
                break
            if seg.end <= cs and "\n" not in text[seg.end:cs]:
                owner = seg
        if owner is None:  # a marker at the start of a line cites what follows it
            owner = next((seg for seg in segments if seg.start >= ce), None)
        if owner is not None:
            owner.cited_ids.extend(i for i in ids if i not in owner.cited_ids)


def _kind(text: str) -> str:
    if len(_LETTERS.findall(text)) < MIN_LETTERS:
        # a bare value ("19,000원", "면 80%", "7일") is a fact to check, not a fragment
        return "claim" if extract_quantities(text) else "fragment"
    if _COURTESY.match(text) and not extract_quantities(text):
        return "courtesy"
    return "claim"
