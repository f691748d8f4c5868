"""A fix never raises: fields replaced, emptied and list items removed in any order
(property tests over nested outputs), and the catalog removal of outfits combined
with emptied titles."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from service.guards import fields as F
from service.guards.policy import _apply, _Edits

TEXT = st.text(alphabet="가나다 abc.[]", max_size=12)
NOTE = st.fixed_dictionaries({"text": TEXT, "tags": st.lists(TEXT, max_size=3)})
ITEM = st.fixed_dictionaries({"title": TEXT, "reason": TEXT, "items": st.lists(TEXT, max_size=3),
                              "notes": st.lists(NOTE, max_size=3)})
OUTPUT = st.fixed_dictionaries({"summary": TEXT, "outfits": st.lists(ITEM, max_size=4),
                                "key_facts": st.lists(st.fixed_dictionaries({"label": TEXT, "value": TEXT}), max_size=3)})
NEW_TEXT = st.sampled_from(["", "  ", "새 문장.", "[P001]"])


def string_paths(node, path=()):
    if isinstance(node, str):
        return [path]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in string_paths(v, path + (k,))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in string_paths(v, path + (i,))]
    return []


def expected(node, new_texts, doomed, path=()):
    """Reference model: replaced strings, and list items dropped where a field inside them
    (whose innermost list is theirs) was emptied; everything else as it was."""
    if isinstance(node, str):
        return new_texts.get(path, node)
    if isinstance(node, dict):
        return {k: expected(v, new_texts, doomed, path + (k,)) for k, v in node.items()}
    return [expected(v, new_texts, doomed, path + (i,)) for i, v in enumerate(node) if path + (i,) not in doomed]


def innermost_item(path):
    last = max((i for i, k in enumerate(path) if isinstance(k, int)), default=None)
    return None if last is None else path[: last + 1]


@st.composite
def edits(draw):
    output = draw(OUTPUT)
    paths = string_paths(output)
    chosen = draw(st.lists(st.sampled_from(paths), unique=True)) if paths else []
    new_texts = {p: draw(NEW_TEXT) for p in chosen}
    order = draw(st.permutations(list(new_texts)))
    return output, {p: new_texts[p] for p in order}


@settings(max_examples=300, deadline=None)
@given(edits())
def test_replace_never_raises_and_keeps_every_untouched_field(case):
    output, new_texts = case
    doomed = {innermost_item(p) for p, t in new_texts.items() if not t.strip()} - {None}
    assert F.replace(output, new_texts) == expected(output, new_texts, doomed)


@settings(max_examples=200, deadline=None)
@given(edits(), st.randoms(use_true_random=False))
def test_replace_does_not_depend_on_the_order_of_the_edits(case, rnd):
    output, new_texts = case
    shuffled = list(new_texts.items())
    rnd.shuffle(shuffled)
    assert F.replace(output, dict(shuffled)) == F.replace(output, new_texts)


def exists(node, path) -> bool:
    for key in path:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return False
    return True


MISSING_INDEX = st.integers(-3, -1) | st.integers(10, 20)
MISSING_PATH = st.one_of(
    st.tuples(st.just("outfits"), MISSING_INDEX, st.sampled_from(["title", "reason"])),
    st.tuples(st.just("outfits"), st.integers(0, 3), st.just("items"), MISSING_INDEX),
    st.tuples(st.just("outfits"), st.integers(0, 3), st.just("nope")),
    st.tuples(st.just("summary"), st.integers(0, 3)),  # into a string
    st.tuples(st.just("x")),
)


@settings(max_examples=100, deadline=None)
@given(OUTPUT, st.lists(MISSING_PATH, max_size=4), NEW_TEXT)
def test_paths_that_are_not_in_the_output_are_skipped(output, paths, text):
    paths = [p for p in paths if not exists(output, p)]
    assert F.replace(output, {p: text for p in paths}) == output


def test_an_emptied_field_of_a_removed_item_does_not_shift_another_item():
    output = {"outfits": [{"title": "a", "reason": "r0"}, {"title": "b", "reason": "r1"}, {"title": "c", "reason": "r2"}]}
    fixed = F.replace(output, {("outfits", 0, "title"): "", ("outfits", 2, "reason"): "R2"})
    assert fixed == {"outfits": [{"title": "b", "reason": "r1"}, {"title": "c", "reason": "R2"}]}


# --- the catalog path of the policy's fix ------------------------------------------------


@dataclass
class Hit:
    id: str
    metadata: dict = field(default_factory=dict)


@dataclass
class Evidence:
    hits: list


KNOWN = ["P1", "P2", "P3", "P4"]
EVIDENCE = Evidence([Hit(i, {"kind": "product", "in_stock": i != "P4"}) for i in KNOWN])
REASON = "잘 어울리는 조합입니다. [SG-1]"


def styling_prose(output):
    return F.extract(output, ["outfits[].reason"])


def test_an_unknown_product_and_a_banned_title_in_another_outfit_are_both_removed():
    # The reported 500: the catalog fix removed outfit 0, then the emptied title of outfit 1
    # was applied by its old index.
    output = {"outfits": [{"title": "출근", "items": ["P1", "P999"], "reason": REASON},
                          {"title": "무신사 스타일", "items": ["P1", "P2"], "reason": REASON},
                          {"title": "주말", "items": ["P1", "P3"], "reason": REASON}]}
    fixed = _apply(output, styling_prose(output), _Edits(), EVIDENCE, {("outfits", 1, "title"): ""})
    assert fixed == {"outfits": [{"title": "주말", "items": ["P1", "P3"], "reason": REASON}]}


OUTFIT = st.fixed_dictionaries({"title": st.sampled_from(["a", "b"]), "reason": st.just(REASON),
                                "items": st.lists(st.sampled_from(KNOWN + ["P999"]), min_size=2, max_size=4, unique=True)})


@settings(max_examples=200, deadline=None)
@given(st.lists(OUTFIT, min_size=1, max_size=4), st.data())
def test_catalog_removal_with_emptied_labels_and_reasons_never_raises(outfits, data):
    output = {"outfits": outfits}
    n = len(outfits)
    titles = data.draw(st.sets(st.integers(0, n - 1)))
    reasons = data.draw(st.sets(st.integers(0, n - 1)))
    prose = styling_prose(output)
    edits = _Edits(drops=[(f.start, f.start + len(f.text)) for f in prose if f.path[1] in reasons])
    fixed = _apply(output, prose, edits, EVIDENCE, {("outfits", i, "title"): "" for i in titles})
    survivors = []
    for i, outfit in enumerate(outfits):
        items = [x for x in outfit["items"] if x in KNOWN and x != "P4"]
        if i not in titles | reasons and len(items) >= 2:
            survivors.append({**outfit, "items": items})
    assert fixed == ({"outfits": survivors} if survivors else None)
