"""Character bigrams: a lexical signal that survives compounds, spacing and misspellings.

"무료 배송" vs "무료배송", "트랜치코트" vs "트렌치코트": morphemes disagree,
bigrams mostly agree. Callers pass content morphemes, not raw text, so that
endings (-나요, -습니다) do not make unrelated texts look alike.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[가-힣]+|[a-z0-9]+")


def char_bigrams(text: str) -> list[str]:
    grams: list[str] = []
    for word in WORD.findall(text.lower()):
        if len(word) == 1:
            grams.append(word)
        grams.extend(word[i : i + 2] for i in range(len(word) - 1))
    return grams


def latin_share(text: str) -> float:
    """Share of letters that are Latin (vs Hangul): how English a query is."""
    letters = re.findall(r"[A-Za-z가-힣]", text)
    return sum(ch.isascii() for ch in letters) / len(letters) if letters else 0.0
