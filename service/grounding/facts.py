"""Turn one sentence (a claim or an evidence line) into the facts grounding compares.

A :class:`TextFacts` holds
- canonical content terms (Kiwi morphemes + English words, synonyms folded;
  feature/colour/material mentions become language-neutral "@value" terms),
- clauses (split at punctuation and clause-linking endings: -고, -지만, -며,
  -라서, -면 ...), each with the words its negators negate ("취소가 불가합니다"
  negates 취소; "진행되지 않습니다" negates 진행 and, through the light verb, 출고),
- quantities (service.nlp.numbers) with the words naming each one, plus
  "무료/free" as 0 won and the item count of spec lists ("색상: 블랙, 네이비" = 2),
- mentions of polar concepts (features, care) and attribute values (colour,
  material, fit, season, brand). A Korean feature's polarity comes from the
  predicate it belongs to, not from its whole clause ("안감을 더해 ... 비치지
  않아요": 않 negates 비치, not 안감); English uses the clause.
- names a claim must not invent (Latin words in Korean text, proper nouns, acronyms),
- the spec label of lines such as "소재: 면 100%".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from service.grounding import lexicon as lex
from service.nlp.numbers import Quantity, extract_quantities, fold_width

_HANGUL = re.compile(r"[가-힣]")
_EN_WORD = re.compile(r"[a-z][a-z0-9]*(?:['’-][a-z0-9]+)*")
_LABEL = re.compile(r"^\s*(?:[-•*]\s*)?(?P<label>[^:：()\n]{1,14}?)\s*(?:\([^)]*\))?\s*[:：]\s*(?=\S)")
_FREE = re.compile(r"무료(?!\s?(?:배송\s?)?쿠폰)|free\s+(?:of\s+charge|shipping|delivery|returns?|exchanges?)|for\s+free|at\s+no\s+(?:extra\s+)?(?:cost|charge)|no\s+charge", re.IGNORECASE)
_CONTENT_TAGS = ("NNG", "NNP", "NR", "XR", "VV", "VA", "MAG", "SH")
_CONDITIONAL_ENDINGS = {"면", "으면", "다면", "라면", "려면", "으려면", "는다면", "ᆫ다면"}
_EN_CONDITIONAL = frozenset({"if", "unless", "whether"})
_EN_STOP = frozenset(
    "a an the is are was were be been am do does did of to in on at for with by from and or it its this that these those "
    "i you he she we they my your our me can could would will what which who how when where there here as if so than then "
    "also has have had very just only about into all any each per please us their get gets got won krw cm mm kg g "
    "day days week weeks month months year years hour hours percent x run runs still "
    "currently now between over under within up least most more less than out every".split()
)


class Morphology(Protocol):
    def morphemes(self, text: str) -> list: ...


@dataclass
class Clause:
    start: int
    end: int
    terms: list[str]
    negated: bool
    conditional: bool = False  # "방수가 필요하시면": asserts nothing about the product
    neg_heads: frozenset[str] = frozenset()  # what the negators negate: 취소 in "취소가 불가합니다"


@dataclass
class Mention:
    group: str  # "polar" or an attribute group: color, material, fit, season, brand
    value: str  # concept key or canonical value
    start: int
    end: int
    clause: int
    polarity: int  # +1 asserted, -1 denied (alias sign x clause negation)


@dataclass
class TextFacts:
    text: str
    terms: list[str]
    clauses: list[Clause]
    quantities: list[Quantity]
    q_clauses: list[int]
    mentions: list[Mention]
    label: str | None = None
    term_pos: list[tuple[int, str]] = field(default_factory=list)
    entities: list[tuple[int, str]] = field(default_factory=list)  # names: Latin words in Korean, proper nouns
    glosses: dict[int, str] = field(default_factory=dict)  # entity position -> the Korean words it glosses
    q_context: list[frozenset[str]] = field(default_factory=list)  # terms that say what each quantity is
    term_set: frozenset[str] = field(default_factory=frozenset)
    joined: str = ""  # "|term|term|" for substring credit across compounds

    def __post_init__(self) -> None:
        self.term_set = frozenset(self.terms)
        self.joined = "|" + "|".join(sorted(self.term_set)) + "|"

    @cached_property
    def content_terms(self) -> list[str]:
        """Terms without numbers and markers, once each (evidence lines are read all day)."""
        return [t for t in dict.fromkeys(self.terms) if not t.startswith(("#", "@"))]

    @cached_property
    def bigrams(self) -> frozenset[str]:
        """Character pairs of the letters and digits: a script-independent overlap."""
        s = "".join(ch for ch in self.text.lower() if ch.isalnum())
        return frozenset(s[i:i + 2] for i in range(len(s) - 1))

    @cached_property
    def negated(self) -> bool:
        return any(c.negated for c in self.clauses)

    def clause_at(self, pos: int) -> int:
        for i, c in enumerate(self.clauses):
            if c.start <= pos < c.end:
                return i
        return max(0, len(self.clauses) - 1)


# ------------------------------------------------------------------ vocabulary


class Vocabulary:
    """Alias patterns indexed by their first literal characters.

    One big alternation over ~700 aliases costs milliseconds per line in Python's
    re; instead each text runs only the patterns whose literal prefix occurs in
    it, and overlapping matches resolve leftmost-longest.
    """

    def __init__(self, extra_values: dict[str, dict[str, list[str]]] | None = None):
        entries: list[tuple[str, str, str, int]] = []  # (pattern, group, value, sign)
        for concept, aliases in lex.POLAR.items():
            entries += [(pat, "polar", concept, sign) for pat, sign in aliases]
        groups = {g: {v: list(a) for v, a in values.items()} for g, values in lex.ATTRIBUTES.items()}
        for group, values in (extra_values or {}).items():
            for value, aliases in values.items():
                groups.setdefault(group, {}).setdefault(value, []).extend(aliases)
        for group, values in groups.items():
            for value, aliases in values.items():
                entries += [(pat, group, value, 1) for pat in aliases]
        self.values = groups
        self._index: dict[str, list[tuple[re.Pattern, str, str, int, bool]]] = {}
        self._always: list[tuple[re.Pattern, str, str, int, bool]] = []
        for pat, group, value, sign in entries:
            item = (re.compile(pat, re.IGNORECASE), group, value, sign, bool(_HANGUL.search(pat)))
            key = _literal_prefix(pat)
            if key:
                self._index.setdefault(key, []).append(item)
            else:
                self._always.append(item)

    def find(self, folded: str) -> list[tuple[int, int, str, str, int, bool]]:
        candidates = dict.fromkeys(self._always)
        index = self._index
        for i in range(len(folded)):
            for key in (folded[i], folded[i:i + 2]):
                for item in index.get(key, ()):
                    candidates[item] = None
        found = []
        for rx, group, value, sign, korean in candidates:
            for m in rx.finditer(folded):
                if m.end() > m.start():
                    found.append((m.start(), m.end(), group, value, sign, korean))
        found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
        out, last_end = [], -1
        for item in found:  # leftmost-longest, no overlaps
            if item[0] >= last_end:
                out.append(item)
                last_end = item[1]
        return out


def _literal_prefix(pattern: str) -> str:
    """The first one or two literal characters every match starts with ('' if unknown)."""
    p = pattern
    while True:
        if p.startswith("\\b"):
            p = p[2:]
        elif p.startswith(("(?<!", "(?<=")):
            depth, j = 0, 0
            for j, ch in enumerate(p):
                depth += ch == "("
                depth -= ch == ")"
                if depth == 0:
                    break
            p = p[j + 1:]
        else:
            break
    lit = ""
    for j, ch in enumerate(p):
        if not ch.isalnum():
            break
        nxt = p[j + 1:j + 2]
        if nxt in ("?", "*"):
            break
        lit += ch.lower()
        if len(lit) == 2:
            break
    if len(lit) == 2 and _HANGUL.match(lit[0]) is None and p[:2].lower() != lit:
        return lit[:1]
    return lit


# -------------------------------------------------------------------- analysis


def english_stem(word: str) -> str:
    word = word.replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and (word.endswith(("xes", "zes", "ches", "shes", "sses"))):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def canonical(term: str) -> str:
    first = lex.SYNONYMS.get(term, term)
    return lex.SYNONYMS.get(first, first)  # "amount" -> 금액 -> 가격


def analyze(text: str, morph: Morphology, vocab: Vocabulary, list_counts: bool = False) -> TextFacts:
    """Facts of one sentence or evidence line; ``list_counts`` adds spec-list item counts."""
    folded = fold_width(text).lower()
    morphemes = _merge_prefix_negation(morph.morphemes(text)) if _HANGUL.search(text) else []
    quantities = extract_quantities(text)
    quantities += [Quantity("money", 0.0, "KRW", m.start(), m.end(), None, None, m.group()) for m in _FREE.finditer(folded)]
    label_m = _LABEL.match(text)
    label = label_m["label"].strip() if label_m else None
    q_spans = [(q.start, q.end) for q in quantities if q.kind != "number"]
    amount_spans = [(q.start, q.end) for q in quantities]  # before the list count, which spans a whole line
    if list_counts and label_m:
        quantities += _list_count(text, label_m.end())

    # Clause breaks and negators, from Korean morphemes and English words.
    breaks: set[int] = {m.end() for m in _PUNCT_BREAK.finditer(text)}
    negators: list[int] = []
    cancels: list[int] = []
    conditional_at: list[int] = []
    terms_at: list[tuple[int, str]] = []
    neg_heads: list[tuple[int, set[str]]] = []
    nouns: set[int] = set()  # positions of noun-like terms: only they name what a number measures
    for k, mo in enumerate(morphemes):
        tag = mo.tag
        if tag == "EC" and _is_cotton(mo, text):
            terms_at.append((mo.start, "면"))  # Kiwi reads "55%에 면 45%" as a conditional ending
            nouns.add(mo.start)
            continue
        if tag == "EC":
            # Clause-linking endings ("-고", "-지만", "-며", "-라서", "-면") end a clause; serial
            # ones ("따라", "되어 있어요", "되지 않아요") do not.
            if mo.form in lex.KO_CLAUSE_ENDINGS or mo.form in _CONDITIONAL_ENDINGS:
                breaks.add(mo.end)
            if mo.form in _CONDITIONAL_ENDINGS:
                conditional_at.append(mo.start)
            continue
        if (mo.form, tag[:2]) in lex.KO_NEG_CANCEL:
            cancels.append(mo.start)
        if _is_negator(mo):
            # "부담 없이 입어요" says nothing negative about the clause, only about 부담
            if mo.form != "없이":
                negators.append(mo.start)
            neg_heads.append((mo.start, _korean_neg_heads(morphemes, k)))
            if mo.form in ("불가", "불가능"):
                terms_at.append((mo.start, "가능"))  # "반품 불가" is the negation of "반품 가능"
            continue
        if not tag.startswith(_CONTENT_TAGS) or tag == "SL":
            continue
        if any(s <= mo.start < e for s, e in q_spans):
            continue  # units and digits belong to the quantity
        terms_at.append((mo.start, canonical(mo.form.lower())))
        if tag.startswith(_NOUNISH):
            nouns.add(mo.start)
    words = [(m.start() + off, part) for m in _EN_WORD.finditer(folded) for off, part in _hyphen_parts(m.group())]
    for j, (pos, word) in enumerate(words):
        if word in lex.EN_CLAUSE_WORDS:
            breaks.add(pos)
            continue
        if word in _EN_CONDITIONAL:
            breaks.add(pos)
            conditional_at.append(pos)
            continue
        if word in lex.EN_NEGATORS or word.endswith(("n't", "n’t")):
            negators.append(pos)
            nxt = next((canonical(english_stem(w)) for _, w in words[j + 1:j + 4] if w not in _EN_STOP and w not in lex.EN_NEGATORS), None)
            neg_heads.append((pos, {nxt} if nxt else set()))
            continue
        if word in _EN_STOP or any(s <= pos < e for s, e in q_spans):
            continue
        term = canonical(english_stem(word))
        if j and terms_at and words[j - 1][0] == terms_at[-1][0] and terms_at[-1][1] in lex.EN_COMPOUNDS.get(term, {}):
            term = lex.EN_COMPOUNDS[term][terms_at[-1][1]]  # "shipping costs" is the shipping fee, not a price
        terms_at.append((pos, term))
        nouns.add(pos)

    clauses = _clauses(text, sorted(breaks), negators, cancels, conditional_at, terms_at)
    for c in clauses:
        c.neg_heads = frozenset(h for p, hs in neg_heads if c.start <= p < c.end for h in hs)
    # the items of a spec line ("세탁/관리: 손세탁, 표백제는 사용 금지") are separate statements
    mentions = _mentions(folded, morphemes, vocab, clauses, negators, lists=label_m is None)
    # A mention replaces its words by one language-neutral term ("@waterproof" for 방수 and
    # waterproof alike), and so does a quantity ("#money:29000"); a bare number becomes "=100"
    # (size "100" in "100(총장 75.5cm...)"): overlap then works across languages and layouts.
    spans = [(m.start, m.end) for m in mentions]
    terms_at = [(p, t) for p, t in terms_at if not any(s <= p < e for s, e in spans)]
    terms_at += [(m.start, "@" + m.value) for m in mentions]
    terms_at += [(q.start, f"#{q.kind}:{q.value:g}") for q in quantities if q.kind not in ("number", "count")]
    terms_at += [(q.start, f"={q.value:g}") for q in quantities if q.kind == "number"]
    terms_at.sort()
    for c in clauses:
        c.terms = [t for p, t in terms_at if c.start <= p < c.end]
    facts = TextFacts(text, [t for _, t in terms_at], clauses, quantities, [], mentions, label, terms_at)
    # units are part of their amount ("3,000 KRW"), not names: skip mentions and quantities
    named_spans = spans + amount_spans
    facts.entities = [(p, t) for p, t in _entities(text, morphemes) if not any(s <= p < e for s, e in named_spans)]
    facts.glosses = {p: head for p, _ in facts.entities if (head := _gloss_head(text, p))}
    facts.q_clauses = [facts.clause_at(q.start) for q in quantities]
    label_terms = frozenset(t for p, t in terms_at if label_m and p < label_m.end() and not t.startswith("#"))
    named = {m.start for m in mentions} | {q.start for q in quantities if q.kind == "number"}
    plain_terms = [(p, t) for p, t in terms_at if not t.startswith("#") and (p in nouns or p in named)]
    facts.q_context = [
        _quantity_context(text, q, plain_terms, facts.clauses[ci], quantities) | label_terms
        for q, ci in zip(quantities, facts.q_clauses)
    ]
    return facts


_PUNCT_BREAK = re.compile(r",(?!\d)|;|\s·\s|\s/\s|[.!?](?=\s)|[()]")


_EN_NAME = re.compile(r"(?<![\w'])[A-Z][a-z]{2,}(?:[A-Z][a-z]+)?\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n\-–—\"“(]\s*)$")
_EN_NOT_NAMES = frozenset(
    "the this that these those its our your their you we they she he his her it there here what which who "
    "and but or also please note yes no free size sizes color colour price monday tuesday wednesday thursday "
    "friday saturday sunday korean english korea won".split()
)
# An English gloss in brackets right after a Korean word translates it ("일반 상품(standard)"):
# it is as new as that word is.
_GLOSS = re.compile(r".*?(?P<head>(?:[가-힣]+\s)?[가-힣]+)\s?\(\s?[A-Za-z][A-Za-z _-]*\)$", re.DOTALL)


def _gloss_head(text: str, pos: int) -> str | None:
    """The Korean words a bracketed English word at ``pos`` glosses, if it is a gloss."""
    close = text.find(")", pos)
    m = _GLOSS.match(text[:close + 1]) if close >= 0 else None
    return m["head"] if m else None


def _merge_prefix_negation(morphemes: list) -> list:
    """Kiwi cuts "불가능" into 불 (prefix) + 가능: one negator word again, as "불가" is."""
    out = []
    for m in morphemes:
        prev = out[-1] if out else None
        if prev is not None and prev.form == "불" and prev.tag == "XPN" and m.form == "가능" and prev.end == m.start:
            out[-1] = type(m)("불가능", "NNG", prev.start, m.end)
            continue
        out.append(m)
    return out


def _entities(text: str, morphemes: list) -> list[tuple[int, str]]:
    """Names a claim must not invent: Latin words in Korean text ("DHL로"), proper nouns (NNP),
    and acronyms in English ones ("via DHL")."""
    out: list[tuple[int, str]] = []
    if _HANGUL.search(text):
        out += [(m.start, m.form.lower()) for m in morphemes if m.tag in ("NNP", "SL") and len(m.form) >= 2
                and m.form not in lex.KO_NOT_NAMES]
    else:  # English: acronyms ("DHL") and capitalised words inside a sentence ("at Walmart"); a name
        # spelt in the evidence's other script is matched later by its consonant skeleton
        out += [(m.start(), m.group().lower()) for m in re.finditer(r"\b[A-Z]{2,}\b", text)]
        out += [(m.start(), m.group().lower()) for m in _EN_NAME.finditer(text)
                if m.group().lower() not in _EN_NOT_NAMES and not _SENTENCE_START.search(text[:m.start()])]
    # currency codes and unit symbols ("prices in KRW", "KRW 3,000") measure, they do not name
    return [(p, t) for p, t in out if t not in lex.UNIT_WORDS]


def _hyphen_parts(word: str) -> list[tuple[int, str]]:
    """'paid-shipping' -> its parts with offsets; 'non-iron' stays whole (the lexicon knows it)."""
    if "-" not in word or word.startswith("non-"):
        return [(0, word)]
    out, off = [], 0
    for part in word.split("-"):
        if part:
            out.append((off, part))
        off += len(part) + 1
    return out


# Predicates too light to name what is negated: "출고가 진행되지 않습니다" negates 출고.
_LIGHT_PREDICATES = frozenset("진행 되 하 있 가능 처리 적용 이루어지 제공".split())


def _korean_neg_heads(morphemes: list, k: int, back_only: bool = False) -> set[str]:
    """The content term(s) a negator at index k negates.

    "안 V" -> V; "V지 않다" / "N이 없다" / "N 불가" -> the content word before it; when that
    word is a light predicate ("진행되지 않습니다"), the noun before it as well.
    """
    mo = morphemes[k]
    heads: set[str] = set()
    if mo.form in ("불가", "불가능", "불가하"):
        heads.add("가능")  # "불가" is "가능" negated
    if mo.tag == "MAG" and mo.form in ("안", "못", "덜") and not back_only:
        for m in morphemes[k + 1:k + 4]:
            if m.tag.startswith(_CONTENT_TAGS):
                term = canonical(m.form.lower())
                heads.add(term)
                if term in _LIGHT_PREDICATES or m.form in _LIGHT_PREDICATES:
                    heads |= _korean_neg_heads(morphemes, k, back_only=True)  # "교환이 안 돼요"
                break
        return heads
    for m in reversed(morphemes[max(0, k - 7):k]):
        if m.tag.startswith(("J", "XS", "EC", "EP", "SP", "VCP", "ETM", "VX")) or (m.tag == "NNB" and m.form in ("수", "것")):
            continue  # "사용할 수 없어요" negates 사용
        if m.tag.startswith(_CONTENT_TAGS) and m.tag != "MAG":
            term = canonical(m.form.lower())
            heads.add(term)
            if term not in _LIGHT_PREDICATES and m.form not in _LIGHT_PREDICATES:
                break
            continue
        if m.tag == "MAG":
            continue
        break
    return heads


_NOUNISH = ("NNG", "NNP", "NR", "XR", "SL", "SH", "NP")


def _is_cotton(mo, text: str) -> bool:
    """'면' parsed as an ending but followed by a number ("면 45%") is the material."""
    return mo.form == "면" and bool(re.match(r"\s?\d", text[mo.end:mo.end + 2])) and (mo.start == 0 or not text[mo.start - 1].isalpha() or text[mo.start - 1] in " ,(")


_NEGATOR_TAGS: dict[str, tuple[str, ...]] = {}
for _form, _tag in lex.KO_NEGATORS:
    _NEGATOR_TAGS[_form] = _NEGATOR_TAGS.get(_form, ()) + (_tag,)


def _is_negator(mo) -> bool:
    tags = _NEGATOR_TAGS.get(mo.form)
    return bool(tags) and mo.tag.startswith(tags)


def _clauses(text, breaks, negators, cancels, conditional_at, terms_at) -> list[Clause]:
    bounds = [0] + [b for b in breaks if 0 < b < len(text)] + [len(text)]
    clauses = []
    for s, e in zip(bounds, bounds[1:]):
        if e <= s:
            continue
        n_neg = sum(1 for p in negators if s <= p < e)
        if any(s <= p < e for p in cancels):
            n_neg = max(0, n_neg - 1)
        cond = any(s <= p < e for p in conditional_at)
        clauses.append(Clause(s, e, [t for p, t in terms_at if s <= p < e], n_neg % 2 == 1, cond))
    return clauses or [Clause(0, len(text), [t for _, t in terms_at], len(negators) % 2 == 1)]


_NOUN_TAGS = ("NN", "XR", "SL", "SH", "NR", "XPN", "NP")  # Kiwi reads a lone "울" as a pronoun
_PRED_TAGS = _NOUN_TAGS + ("VV", "VA", "MAG")
# An attribute value is denied only right at its mention: "울이 아닙니다", "블랙은 없어요", "not wool".
_VALUE_DENIED_AFTER = re.compile(r"^\s?(?:색상|색|컬러|소재|핏|사이즈|시즌|color|colou?r)?\s?(?:은|는|이|가|도)?\s?(?:아니|아닌|없|x\b)")
_VALUE_DENIED_BEFORE = re.compile(r"(?:\bnot|\bno|\bnon-?|\bwithout)\s*(?:made\s+(?:of|from)\s+|in\s+|a\s+|an\s+)?$")


def _on_boundary(start: int, end: int, morphemes: list, folded: str, tags: tuple[str, ...]) -> bool:
    """Korean aliases must start on a content morpheme and end on a boundary ("면" is not "면접")."""
    if not morphemes:
        return True
    first = next((m for m in morphemes if m.start == start), None)
    if first is None:
        return False
    if end - start == 1 and not first.tag.startswith(tags) and not re.match(r"\s?\d", folded[end:end + 2]):
        return False  # one syllable is ambiguous: "더울" is 덥다, not 울 (wool); "면 45%" is cotton
    if end >= len(folded) or not _HANGUL.match(folded[end]):
        return True
    for m in morphemes:
        if m.end == end:
            return True
        if m.start == end and m.tag.startswith(("J", "E", "VCP", "XS", "SP", "SF")):
            return True
        if m.start < end < m.end:
            return m.tag.startswith(("VV", "VA"))  # "비치"+"어요" share a syllable
    return False


def _mentions(folded: str, morphemes: list, vocab: Vocabulary, clauses: list[Clause], negators: list[int], lists: bool = True) -> list[Mention]:
    out = []
    found = [
        x for x in vocab.find(folded)
        if not x[5] or _on_boundary(x[0], x[1], morphemes, folded, _PRED_TAGS if x[2] == "polar" else _NOUN_TAGS)
    ]
    spans = [(x[0], x[1]) for x in found]  # other list items are words of the lexicon ("지퍼 여밈")
    for start, end, group, value, sign, korean in found:
        polar = group == "polar"
        ci = next((i for i, c in enumerate(clauses) if c.start <= start < c.end), len(clauses) - 1)
        clause = clauses[ci]
        if clause.conditional:
            polarity = 0  # "방수가 필요하시면": mentioned, not asserted
        elif polar and korean and morphemes:
            local, shared_at = _local_polarity(start, end, morphemes, lists, spans)
            polarity = sign * local
            if shared_at is not None and clauses[next((i for i, c in enumerate(clauses) if c.start <= shared_at < c.end), ci)].conditional:
                polarity = 0  # "방수, 방풍 기능이 필요하시면": a list item of a conditional
            if polarity and not value.startswith("care_") and _modifies_other_noun(end, morphemes):
                polarity = 0  # "방수 스프레이를 뿌려 주세요" is about the spray
        elif polar:
            polarity = sign * (-1 if sum(clause.start <= p < clause.end for p in negators) % 2 else 1)
        else:
            denied = _VALUE_DENIED_AFTER.match(folded[end:end + 12]) or _VALUE_DENIED_BEFORE.search(folded[max(0, start - 24):start])
            polarity = -1 if denied else 1
        out.append(Mention(group, value, start, end, ci, polarity))
    english = [m for m, x in zip(out, found) if m.group == "polar" and not x[5]]
    if english:
        _english_or_lists(folded, clauses, english, spans)
    return out


_EN_LIST_WORDS = frozenset({"or", "nor", "and"})


def _english_or_lists(folded: str, clauses: list[Clause], mentions: list[Mention], spans: list[tuple[int, int]]) -> None:
    """English polarity is the clause's, and a comma ends a clause: in "it is not see-through,
    wrinkle-resistant or machine washable" the items after the comma share the negation. A
    clause of nothing but lexicon words and "or/nor/and" continues a negated clause that ends
    in a feature; an "or"/"nor" list denies every item ("not A, B or C"), an "and" list does
    not ("breathable, not see-through, and machine washable"). Sets the items' polarity."""
    masked = list(folded)
    for s, e in spans:
        masked[s:e] = " " * (e - s)
    masked = "".join(masked)
    by_clause: dict[int, list[Mention]] = {}
    for m in mentions:
        by_clause.setdefault(m.clause, []).append(m)
    chain: list[int] = []
    open_list = False  # the previous clause is negated and ends in a feature word
    for ci, c in enumerate(clauses):
        words = set(re.findall(r"[a-z0-9가-힣']+", masked[c.start:c.end]))
        items = by_clause.get(ci, [])
        if open_list and items and words <= _EN_LIST_WORDS:
            chain.append(ci)
            if words & {"or", "nor"}:
                for k in chain:
                    for m in by_clause[k]:
                        if m.polarity > 0:
                            m.polarity = -1
                chain, open_list = [], False
            continue
        chain = []
        last = max(items, key=lambda m: m.end, default=None)
        open_list = bool(
            last and last.polarity < 0 and c.negated and not c.conditional
            and not re.search(r"[a-z0-9가-힣]", masked[last.end:c.end])
        )


# Nouns after a feature word that make it about another object: "방수 스프레이를 뿌려 주세요".
_OTHER_OBJECT_HEADS = frozenset("스프레이 커버 파우치 팩 케이스 테이프 용품 제 약 액 시트 봉투 백".split())


def _modifies_other_noun(end: int, morphemes: list) -> bool:
    nxt = next((m for m in morphemes if m.start >= end), None)
    return bool(nxt and nxt.tag.startswith(("NNG", "NNP")) and nxt.start - end <= 1 and nxt.form in _OTHER_OBJECT_HEADS)


# Morphemes that start a noun phrase: the next item of a comma list ("비침, 안감은 없어요").
_ITEM_START = ("NN", "XPN", "XR", "SL", "SH")


def _local_polarity(start: int, end: int, morphemes: list, lists: bool = True, items: list[tuple[int, int]] = ()) -> tuple[int, int | None]:
    """Negation of the predicate a Korean feature word belongs to, not of its whole clause.

    "몸판에 안감을 더해 한 장만 입어도 비치지 않아요": 않 negates 비치, not 안감.
    Walks from the mention through its noun phrase and predicate until the
    predicate ends (a final or connective ending that is not followed by an
    auxiliary verb), counting negators; "안/못" right before it count too.

    A bare noun phrase followed by a comma is an item of a list whose predicate
    comes after the last item: in "통기성 기능이 있으며, 비침, 구김 방지, 세탁기
    사용 기능은 없습니다" 없 negates 비침 and 구김 방지 too. The list must end in a
    particle before its predicate ("..., 세탁기 사용 기능은 없습니다"); when the next
    item has a predicate of its own ("손세탁, 표백제 사용 금지") the walk stops at the
    comma as before. ``items`` are the spans of lexicon words, read as nouns inside
    a list ("방수, 지퍼 여밈 기능은 없어요": Kiwi reads 여밈 as a verb). Returns the
    polarity and, for such a list item, where the shared predicate starts (None otherwise).
    """
    neg = 0
    before = [m for m in morphemes if m.end <= start]
    if before and before[-1].form in ("안", "못") and before[-1].tag == "MAG":
        neg += 1
    after = [m for m in morphemes if m.start >= end]
    cancel = False
    bare = True  # nothing but the noun phrase (and its particles) so far
    saved: tuple[int, bool] | None = None  # state at the first list comma crossed
    marked = False  # a particle after the last list comma: "..., 세탁기 사용 기능은"
    shared_at: int | None = None
    for k, m in enumerate(after):
        tag = m.tag
        if saved is not None and shared_at is None and any(s <= m.start < e for s, e in items):
            continue  # another item of the list
        predicate = _is_negator(m) or tag.startswith(("V", "E", "MAG", "XSV", "XSA"))
        if predicate:
            if saved is not None and shared_at is None:
                if not marked:
                    neg, cancel = saved  # the next item is a statement of its own
                    saved = None
                    break
                shared_at = m.start
            bare = False
        if _is_negator(m):
            neg += 1
            if m.form == "없이":
                break  # "안감 없이도 비치지 않아요": "without N" ends N's predicate
            continue
        if (m.form, tag[:2]) in lex.KO_NEG_CANCEL:
            cancel = True
            continue
        if tag == "JKB" and m.form in ("으로", "로") and bare:
            break  # "방수 기능으로 젖지 않아요": the feature is the means, asserted; the negation is another predicate's
        if tag == "EC":
            nxt = after[k + 1] if k + 1 < len(after) else None
            if nxt is not None and nxt.tag.startswith("VX"):
                continue
            break
        if tag == "SP" and m.form == "," and lists and bare:
            nxt = after[k + 1] if k + 1 < len(after) else None
            if nxt is not None and nxt.tag.startswith(_ITEM_START):
                if saved is None:
                    saved = (neg, cancel)
                marked = False
                continue
        if saved is not None and tag.startswith("J") and tag != "JC":
            marked = True
        if tag == "ETM" and k + 1 < len(after) and after[k + 1].form == "수" and after[k + 1].tag == "NNB":
            continue  # "사용할 수 없습니다": the predicate goes on through 수 to 없
        if tag.startswith(("EF", "ETM", "ETN", "SF", "SS")) or (tag == "SP" and m.form in (",", ";")):
            break
    if saved is not None and shared_at is None:
        neg, cancel = saved  # no predicate after the list ("기능: 방수, 방풍"): as before
        saved = None
    if cancel and neg:
        neg -= 1  # "드라이클리닝밖에 안 돼요" = only dry cleaning
    return (-1 if neg % 2 else 1), (shared_at if saved is not None else None)


_SEP = re.compile(r"[,;:()\[\]]|(?<=[.!?])\s")


def _quantity_context(text: str, q: Quantity, terms_at: list[tuple[int, str]], clause: Clause, quantities: list[Quantity]) -> frozenset[str]:
    """Terms naming a quantity: its own segment ('총장 72cm') and the head of its group ('M(...)').
    The segment starts after the previous number: in "울 90%에 캐시미어 10%" 10% is cashmere's."""
    seps = [m.start() for m in _SEP.finditer(text)]
    prev_ends = [o.end - 1 for o in quantities if o.end <= q.start and o.kind not in ("number",)]
    left = max([p for p in seps if p < q.start] + [clause.start - 1] + prev_ends)
    right = min([p for p in seps if p >= q.end] + [clause.end])
    # Korean names a number before it ("배송비는 3,000원으로 도서산간과 다르게"): the words after
    # it belong to it only in English or when nothing precedes it in its segment.
    ctx = {t for p, t in terms_at if left < p < q.start}
    if not ctx or not _HANGUL.search(text[left + 1:right]):
        ctx |= {t for p, t in terms_at if q.end <= p < right}
    depth, i = 0, q.start - 1
    while i >= 0:  # inside "M(총장 74cm, ...)": add the words before the "("
        ch = text[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                head_left = max((p for p in seps if p < i), default=-1)
                ctx |= {t for p, t in terms_at if head_left < p < i}
                break
            depth -= 1
        i -= 1
    return frozenset(ctx)


def _list_count(text: str, body_start: int) -> list[Quantity]:
    """'색상: 블랙, 네이비, 그레이' states a count of 3 items."""
    body = text[body_start:]
    depth, items, cur = 0, 0, ""
    for ch in body:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if depth == 0 and ch in ",;":
            items += 1 if cur.strip() else 0
            cur = ""
        else:
            cur += ch
    items += 1 if cur.strip() else 0
    if items < 1 or re.search(r"[.!?]\s", body):
        return []
    return [Quantity("count", float(items), "kind", body_start, len(text), None, None, body)]
