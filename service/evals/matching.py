"""Does a text state a fact? Numbers and units are compared as quantities.

"39,000원" in a case matches "3만 9천원" in an output (service.nlp.numbers), and
the words around a fact's number must appear near the matching number, so
"왕복 6,000원" is not satisfied by "편도 6,000원 ... 왕복" far apart.
Facts without numbers are matched as substrings, ignoring case and spacing
(Korean spacing varies: "회사가 부담" = "회사가부담").
"""

from __future__ import annotations

import re

from service.nlp.numbers import Quantity, equivalent, extract_quantities

WINDOW = 24  # characters either side of a matched number where the fact's words must be
_WORD = re.compile(r"[가-힣A-Za-z]+")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def states(text: str, fact: str) -> bool:
    fact = fact.strip()
    if not fact:
        return True
    wanted = extract_quantities(fact)
    if not wanted:
        return squash(fact) in squash(text)
    found = extract_quantities(text)
    words = _remainder_words(fact, wanted)
    for q in wanted:
        places = [f for f in found if equivalent(q, f)]
        if not places:
            return False
        if words and not any(_words_near(text, f, words) for f in places):
            return False
    return True


def _remainder_words(fact: str, quantities: list[Quantity]) -> list[str]:
    blanked = list(fact)
    for q in quantities:
        blanked[q.start:q.end] = " " * (q.end - q.start)
    return [w.lower() for w in _WORD.findall("".join(blanked))]


def _words_near(text: str, q: Quantity, words: list[str]) -> bool:
    window = squash(text[max(0, q.start - WINDOW):q.end + WINDOW])
    return all(w in window for w in words)
