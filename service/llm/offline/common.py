"""Helpers shared by the offline recipes: evidence access and Korean particles."""

from __future__ import annotations

import re
from typing import Protocol

from service.retrieval.records import ProductRecord
from service.retrieval.render import product_from_metadata


class HitLike(Protocol):
    id: str
    title: str
    text: str
    metadata: dict
    evidence: float


Evidence = dict[str, list[HitLike]]  # retrieval step name -> hits

SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")


def cite(sentence: str, *ids: str) -> str:
    return f"{sentence.rstrip()} " + "".join(f"[{i}]" for i in ids)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text.strip()) if s.strip()]


def product_of(hit: HitLike) -> ProductRecord:
    return product_from_metadata(hit.metadata)


def _has_batchim(word: str) -> bool | None:
    last = word.rstrip()[-1:] if word.strip() else ""
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    return None


def josa(word: str, with_batchim: str, without: str) -> str:
    """Attach the particle that fits the last syllable (은/는, 이/가, 을/를, 과/와)."""
    has = _has_batchim(word)
    if has is None:
        return f"{word}{with_batchim}({without})"
    return word + (with_batchim if has else without)
