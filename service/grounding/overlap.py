"""Word overlap between a claim and evidence, shared by the rule checks and the learned scorer."""

from __future__ import annotations

import re

from service.grounding.facts import Clause, TextFacts, canonical

_HANGUL = re.compile(r"[가-힣]")


def credit(term: str, term_set: frozenset[str], joined: str) -> float:
    """How far ``term`` is found: exactly, inside a compound or the raw text, or by syllable pairs.
    ``joined`` is "|term|term|" followed by the raw text of the evidence."""
    if term in term_set:
        return 1.0
    if len(term) >= 2 and term in joined:
        return 0.8  # part of a compound ("배송" in "무료배송") or in the text Kiwi cut another way
    if len(term) >= 3 and _HANGUL.search(term):
        grams = [term[j:j + 2] for j in range(len(term) - 1)]
        return 0.6 * sum(g in joined for g in grams) / len(grams)
    return 0.0


def negates_shared(claim: Clause, ev: Clause, claim_terms: set[str], ev_terms: set[str]) -> bool:
    """Does one side negate a word the other states plainly? Compared word by word, not by the
    parity of negators: "덜 머금어 자주 빨지 않아도" and "덜 머금는 편이라 자주 빨지 않아도" agree,
    and "무릎 굽힐 때 안 당겨요" negates 당기, which "무릎을 굽혀도" does not mention."""
    if (ev.neg_heads & claim_terms) - claim.neg_heads:
        return True
    return bool((claim.neg_heads & ev_terms) - ev.neg_heads)


def squash(text: str) -> str:
    """Lower-cased letters and digits only: "I. U." and "IU", "알 카에다" and "알카에다" meet."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


# Consonant skeletons let a name match across scripts ("Hazmi" / "하즈미", "Nike" / "나이키"):
# translated evidence and model output spell foreign names either way.
_INITIALS = "k k n t t l m p p s s _ j j j k t p h".split()  # ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ
_FINALS = ["", "k", "k", "k", "n", "n", "n", "t", "l", "l", "l", "l", "l", "l", "l", "l", "m", "p", "p", "s", "s",
           "ng", "t", "t", "k", "t", "p", "t"]
_LATIN = [("sh", "s"), ("ch", "j"), ("th", "s"), ("ph", "p"), ("ck", "k"), ("ts", "j"), ("tz", "j"), ("c", "k"),
          ("q", "k"), ("g", "k"), ("d", "t"), ("b", "p"), ("f", "p"), ("v", "p"), ("z", "j"), ("x", "ks")]


def skeleton(word: str) -> str:
    """Consonant classes of a name, in either script ("ng" kept: 앤 vs ann differ only in vowels)."""
    out = []
    for ch in word.lower():
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            out += [_INITIALS[code // 588].replace("_", ""), _FINALS[code % 28]]
        elif "a" <= ch <= "z" and ch not in "aeiouwy":
            out.append(ch)
    s = "".join(out)
    if not ("가" <= word[:1] <= "힣"):
        s = s[:1] + s[1:].replace("r", "")  # Korean drops an r after a vowel ("Forbes" 포브스)
        for a, b in _LATIN:
            s = s.replace(a, b)
        s = s.replace("r", "l")
    s = s.replace("ng", "n")
    return "".join(c for k, c in enumerate(s) if k == 0 or c != s[k - 1])


def transliterated_in(name: str, text: str) -> bool:
    """Does ``text`` hold a word of the other script whose skeleton matches ``name``'s?"""
    hangul = "가" <= name[:1] <= "힣"
    target = skeleton(name)
    if len(target) < 2:
        return False
    pattern = r"[a-zA-Z]{2,}" if hangul else r"[가-힣]{2,}"
    for word in re.findall(pattern, text):
        other = skeleton(word)
        # a Korean word may carry a particle ("게이츠는"): a longer skeleton by at most two
        if other == target or (len(target) >= 3 and other.startswith(target) and len(other) - len(target) <= 2 and not hangul):
            return True
    return False


def unseen_names(claim: TextFacts, term_set: frozenset[str], joined: str) -> list[str]:
    """Names the claim says that an evidence text does not: not among its terms, not inside a
    word of it, not spelt with other spacing or dots ("알 카에다", "I.U."), not in the other script
    (an acronym such as "DHL" is spelt letter by letter in Korean, so it is not transliterated);
    an English gloss is as new as the Korean words it glosses. ``joined`` is "|term|...|" and
    the raw evidence text."""
    if not claim.entities:
        return []
    lower, squashed = joined.lower(), squash(joined)
    out = []
    for pos, name in claim.entities:
        head = claim.glosses.get(pos)
        if head and any(credit(word, term_set, lower) >= 0.8 for word in head.split()):
            continue
        acronym = claim.text[pos:pos + len(name)].isupper()
        found = (credit(canonical(name), term_set, lower) >= 0.8 or credit(name, term_set, lower) >= 0.8
                 or squash(name) in squashed or (not acronym and transliterated_in(name, joined)))
        if not found:
            out.append(name)
    return out
