"""Conditions and scopes: a claim must keep the condition its evidence attaches.

"상품 불량 또는 오배송인 경우에만 반품·교환이 가능하며, 이 경우 수령 후 30일 이내 신청"
backs "불량 상품은 30일 이내에 반품할 수 있어요" but not "수령 후 30일 이내에 반품할 수
있어요": the number matches, the scope is gone. Wrong facts in commerce are mostly right
numbers with the wrong scope, so this is its own check.

The evidence clause a claim draws on is the one sharing most of its words and facts. The
conditions governing it: a conditional clause right before it ("...하시면", "if ...",
"...인 경우"), condition phrases inside it ("불량인 경우에만", "파이널 세일 제외", "에 한해",
"except ...", "only for ..."), and the scope nouns of the commerce domain it names
(불량, 오배송, 단순 변심, 무료배송 주문, ...). A condition counts as dropped when the claim
says none of its content words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.grounding import lexicon as lex
from service.grounding.facts import Clause, TextFacts
from service.grounding.overlap import credit

# A condition phrase inside a clause: what precedes 경우/시/제외/한해/만, or follows if/except/only.
_KO_CONDITION = re.compile(
    r"(?P<ko>(?:[^\s,.;]+\s?){1,3}?)(?:인|한|된|일|는|은|ᆫ)?\s?(?:경우|때)(?:에만|에는|에|라면|엔|만)?(?=[\s,]|$)"
    r"|(?P<ko2>(?:[^\s,.;]+\s?){1,3}?)(?:은|는|을|를|이|가)?\s?제외"
    r"|(?P<ko3>(?:[^\s,.;]+\s?){1,2}?)에\s?(?:한해|한하여|한정)"
    r"|(?P<ko4>(?:(?:\d[\d,.]*[^\s,.;]*|[^\s,.;]+)\s){0,2}?[^\s,.;]+)\s시(?:에만|에는|에)?(?=\s)"
)
_EN_CONDITION = re.compile(
    r"\b(?:only\s+(?:if|when|for|on)|if|when|unless|except(?:\s+for)?|excluding|provided\s+that|as\s+long\s+as)\s+"
    r"(?P<en>[^,.;]{2,60})", re.IGNORECASE)
_THRESHOLD = re.compile(r"\d\s?\S*\s?(?:이상|이하|미만|초과)|\b(?:over|under|at\s+least|more\s+than|less\s+than)\b",
                        re.IGNORECASE)
_BACK_REFERENCE = re.compile(r"(?:이|그|해당|위)\s?(?:경우|때)|이때|in\s+(?:this|that|such\s+a)\s+case", re.IGNORECASE)
# Scope nouns of a store's policies: a fact said of one of these holds only for it.
SCOPE_TERMS = frozenset(
    "불량 오배송 파손 하자 변심 세일 파이널 위생 주문제작 제작 해외 도서산간 제주 신규 회원 vip 첫구매 이벤트 "
    "유료배송 무료배송 defective damaged wrong final sale hygiene custom international overseas member".split()
)


# Words every condition and its consequence share: they tell no scope apart.
GENERIC = frozenset("상품 제품 주문 고객 고객님 구매 경우 해당 이 그 신청 item items order product products customer".split())


@dataclass(frozen=True)
class Condition:
    text: str
    terms: frozenset[str]


def drawn_clause(claim: TextFacts, ev: TextFacts) -> int | None:
    """The evidence clause the claim draws on: most of its words and facts ('#' terms count twice)."""
    claim_terms = set(claim.terms)
    best, best_score = None, 0.0
    for j, clause in enumerate(ev.clauses):
        score = sum(2.0 if t.startswith("#") else 1.0 for t in set(clause.terms) if t in claim_terms)
        if score > best_score:
            best, best_score = j, score
    return best


def conditions(ev: TextFacts, j: int) -> list[Condition]:
    """The conditions that govern clause ``j`` of an evidence line; "이 경우" / "이때" refers
    back to the conditions of the clauses before it."""
    clause = ev.clauses[j]
    out = []
    if j > 0 and ev.clauses[j - 1].conditional:
        out.append(_condition(ev, ev.clauses[j - 1].start, ev.clauses[j - 1].end))
    for span in _phrases(ev.text, clause):
        out.append(_condition(ev, *span))
    if _BACK_REFERENCE.search(ev.text[clause.start:clause.end]):
        out += [_condition(ev, *span) for earlier in ev.clauses[:j] for span in _phrases(ev.text, earlier)]
    scope = [t for t in clause.terms if t in SCOPE_TERMS]
    if scope:
        out.append(Condition(", ".join(dict.fromkeys(scope)), frozenset(scope)))
    return [c for c in out if c.terms]


def dropped(claim: TextFacts, ev: TextFacts) -> Condition | None:
    """A condition of the clause the claim draws on that the claim does not say at all."""
    j = drawn_clause(claim, ev)
    if j is None:
        return None
    joined = claim.joined + claim.text.lower()
    for cond in conditions(ev, j):
        if not any(credit(t, claim.term_set, joined) >= 0.8 for t in cond.terms):
            return cond
    return None


def _phrases(text: str, clause: Clause) -> list[tuple[int, int]]:
    piece = text[clause.start:clause.end]
    spans = []
    for m in _KO_CONDITION.finditer(piece):
        group = next(g for g in ("ko", "ko2", "ko3", "ko4") if m.group(g))
        spans.append((clause.start + m.start(group), clause.start + m.end(group)))
    for m in _EN_CONDITION.finditer(piece):
        spans.append((clause.start + m.start("en"), clause.start + m.end("en")))
    return spans


def _condition(ev: TextFacts, start: int, end: int) -> Condition:
    text = ev.text[start:end]
    # A number is a condition only as a threshold ("50,000원 이상 주문 시"): elsewhere the
    # number checks judge it.
    threshold = _THRESHOLD.search(text) is not None
    terms = frozenset(t for p, t in ev.term_pos if start <= p < end and not t.startswith("@")
                      and (threshold or not t.startswith("#"))
                      and t not in lex.LIGHT_TERMS and t not in GENERIC and len(t) >= 2)
    return Condition(text.strip(), terms)
