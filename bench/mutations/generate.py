#!/usr/bin/env python3
"""Mutation set for measuring a grounding checker.

Builds CORRECT single-fact sentences (label "supported") from three sources:

* the MOA catalog (``knowledge/products.jsonl``, Korean),
* the MOA FAQ/policy file (``knowledge/faq.jsonl``, Korean, hand-written facts
  below, each checked against the entry text),
* DummyJSON products (English; MIT licence, "DummyJSON, github.com/Ovi/DummyJSON"),

and for each of them MUTATED variants (label "not_supported"): wrong_number,
wrong_unit, other_attribute, negation, antonym, dropped_condition,
wrong_citation, novel_entity.

Pure stdlib and deterministic: every random choice comes from a
``random.Random`` seeded with ``f"{seed}:{source_id}:..."`` (string seeds are
hashed with SHA-512 by CPython, independent of PYTHONHASHSEED).

Usage:  python bench/mutations/generate.py --out FILE [--seed 13]
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_KNOWLEDGE = REPO / "knowledge"
DEFAULT_DUMMYJSON = Path("/work/shared/data/dummyjson-products/products.json")

MUTATION_KINDS = (
    "wrong_number", "wrong_unit", "other_attribute", "negation", "antonym",
    "dropped_condition", "wrong_citation", "novel_entity",
)

# --------------------------------------------------------------------------
# Korean helpers
# --------------------------------------------------------------------------

_DIGIT_BATCHIM = {"0": True, "1": True, "2": False, "3": True, "4": False,
                  "5": False, "6": True, "7": True, "8": True, "9": False}
_LATIN_BATCHIM = {"L": True, "M": True, "N": True, "R": True}
_UNIT_NO_BATCHIM = ("cm", "mm", "%", "℃", "kg")


def batchim(word: str) -> bool:
    """Whether the (Korean reading of the) last syllable has a final consonant."""
    w = word.strip()
    if w.endswith(")") and "(" in w:
        w = w[: w.rindex("(")].strip()
    for u in _UNIT_NO_BATCHIM:
        if w.endswith(u):
            return False
    if not w:
        return False
    ch = w[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28 != 0
    if ch in _DIGIT_BATCHIM:
        return _DIGIT_BATCHIM[ch]
    return _LATIN_BATCHIM.get(ch.upper(), False)


def rieul(word: str) -> bool:
    ch = word.strip()[-1]
    if "가" <= ch <= "힣":
        return (ord(ch) - 0xAC00) % 28 == 8
    return ch in "178" or ch.upper() in ("L", "R")


def topic(w: str) -> str:
    return w + ("은" if batchim(w) else "는")


def subj(w: str) -> str:
    return w + ("이" if batchim(w) else "가")


def obj(w: str) -> str:
    return w + ("을" if batchim(w) else "를")


def ro(w: str) -> str:
    return w + ("으로" if batchim(w) and not rieul(w) else "로")


def cop(w: str, style: str) -> str:
    """Copula in 합쇼체 ("hs") or 해요체 ("hy")."""
    if style == "hs":
        return w + "입니다"
    return w + ("이에요" if batchim(w) else "예요")


def won(n: int) -> str:
    return f"{n:,}원"


def num(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def cite(sentence: str, ids) -> str:
    return f"{sentence} [{', '.join(ids)}]"


def split_of(source_id: str) -> str:
    return "dev" if hashlib.sha1(source_id.encode("utf-8")).digest()[0] % 2 == 0 else "test"


# --------------------------------------------------------------------------
# Catalog (products.jsonl)
# --------------------------------------------------------------------------

FEATURES = {
    # key: (positive hs, positive hy, negative hs, negative hy)
    "waterproof": ("방수 기능이 있습니다", "방수 기능이 있어요", "방수 기능은 없습니다", "방수 기능은 없어요"),
    "water_repellent": ("생활방수(발수) 기능이 있습니다", "생활방수(발수)가 돼요",
                        "생활방수(발수) 기능은 없습니다", "생활방수(발수) 기능은 없어요"),
    "windproof": ("방풍 기능이 있습니다", "바람을 막아 주는 방풍 기능이 있어요",
                  "방풍 기능은 없습니다", "방풍 기능은 없어요"),
    "stretch": ("신축성이 있습니다", "신축성이 있어요", "신축성은 없습니다", "신축성이 없어요"),
    "lining": ("안감이 있습니다", "안감이 덧대어져 있어요", "안감이 없습니다", "안감은 없어요"),
    "see_through": ("비침이 있습니다", "비침이 있는 편이에요", "비침이 없습니다", "속이 비치지 않아요"),
    "pockets": ("주머니가 있습니다", "주머니가 있어요", "주머니가 없습니다", "주머니는 없어요"),
    "machine_washable": ("세탁기 사용이 가능합니다", "세탁기로 빨 수 있어요",
                         "세탁기 사용이 불가능합니다", "세탁기로는 빨 수 없어요"),
    "wrinkle_resistant": ("구김 방지 기능이 있습니다", "구김이 잘 가지 않는 구김 방지 기능이 있어요",
                          "구김 방지 기능은 없습니다", "구김 방지 기능은 없어요"),
    "fleece_lined": ("안쪽에 기모가 있습니다", "안쪽이 기모 처리되어 있어요",
                     "기모는 없습니다", "기모 처리는 되어 있지 않아요"),
    "uv_protection": ("자외선 차단 기능이 있습니다", "자외선 차단 기능이 있어요",
                      "자외선 차단 기능은 없습니다", "자외선 차단 기능은 없어요"),
    "adjustable_strap": ("길이 조절 스트랩이 있습니다", "스트랩 길이를 조절할 수 있어요",
                         "길이 조절 스트랩은 없습니다", "스트랩 길이 조절은 안 돼요"),
    "zipper_closure": ("지퍼로 여미는 방식입니다", "지퍼 여밈이에요",
                       "지퍼 여밈은 없습니다", "지퍼 여밈은 없어요"),
    "breathable": ("통기성이 좋습니다", "통기성이 좋아요", "통기성이 좋지 않습니다", "통기성은 좋지 않아요"),
}

RETURN_CLASSES = {
    "standard": "일반 상품(standard)",
    "final_sale": "파이널 세일(final_sale)",
    "hygiene": "위생 상품(hygiene)",
    "made_to_order": "주문 제작(made_to_order)",
}

# Fits that are plain labels (no parenthesised ranges); substring pairs are never swapped.
CLEAN_FITS = {"레귤러핏", "슬림핏", "정사이즈", "오버핏", "루즈핏", "A라인", "H라인", "세미오버핏",
              "스트레이트핏", "와이드핏", "반 치수 크게 나옴", "세미와이드핏", "테이퍼드핏", "부츠컷"}
FIT_ANTONYM = {"오버핏": "슬림핏", "세미오버핏": "슬림핏", "루즈핏": "슬림핏", "와이드핏": "슬림핏",
               "세미와이드핏": "슬림핏", "슬림핏": "루즈핏", "반 치수 크게 나옴": "반 치수 작게 나옴",
               "정사이즈": "반 치수 작게 나옴", "A라인": "H라인", "H라인": "A라인"}


def fit_phrase(fit: str) -> str:
    if fit == "반 치수 크게 나옴":
        return "반 치수 크게 나와요"
    if fit == "반 치수 작게 나옴":
        return "반 치수 작게 나와요"
    return fit


# Care lines we can state and mutate safely.
# line -> (hs sentence, hy sentence, [(kind, hs mutant, hy mutant), ...])
CARE = {
    "건조기 사용 금지": ("건조기를 사용할 수 없습니다", "건조기를 사용하면 안 돼요",
                    [("negation", "건조기를 사용해도 됩니다", "건조기를 사용해도 괜찮아요")]),
    "표백제 사용 금지": ("표백제를 사용하면 안 됩니다", "표백제를 쓰면 안 돼요",
                    [("negation", "표백제를 사용해도 됩니다", "표백제를 써도 괜찮아요")]),
    "건조기 사용 시 수축 가능": ("건조기를 사용하면 수축될 수 있습니다", "건조기를 쓰면 줄어들 수 있어요",
                         [("negation", "건조기를 사용해도 수축되지 않습니다", "건조기를 써도 줄어들지 않아요")]),
    "30℃ 이하 세탁기 사용 가능 (세탁망 권장)": (
        "30℃ 이하에서 세탁기 사용이 가능하며 세탁망 사용을 권장합니다",
        "30℃ 이하라면 세탁기로 빨 수 있고 세탁망을 쓰는 게 좋아요",
        [("wrong_number", "60℃ 이하에서 세탁기 사용이 가능하며 세탁망 사용을 권장합니다",
          "60℃ 이하라면 세탁기로 빨 수 있고 세탁망을 쓰는 게 좋아요"),
         ("antonym", "30℃ 이하에서도 세탁기 사용이 불가하며 손세탁만 가능합니다",
          "30℃ 이하라도 세탁기로는 빨 수 없고 손세탁만 돼요")]),
    "30℃ 이하 세탁망 넣어 세탁기 사용 가능": (
        "세탁망에 넣으면 30℃ 이하에서 세탁기 사용이 가능합니다",
        "세탁망에 넣으면 30℃ 이하에서 세탁기로 빨 수 있어요",
        [("wrong_number", "세탁망에 넣으면 50℃ 이하에서 세탁기 사용이 가능합니다",
          "세탁망에 넣으면 50℃ 이하에서 세탁기로 빨 수 있어요"),
         ("antonym", "세탁망에 넣더라도 세탁기 사용은 불가합니다",
          "세탁망에 넣더라도 세탁기로는 빨 수 없어요")]),
    "어두운 색상은 단독 세탁": ("어두운 색상은 단독으로 세탁해야 합니다", "어두운 색상은 따로 단독 세탁해 주세요",
                       [("negation", "어두운 색상도 다른 옷과 함께 세탁해도 됩니다",
                         "어두운 색상도 다른 옷이랑 같이 빨아도 괜찮아요")]),
    "세탁기·건조기 사용 금지": ("세탁기와 건조기는 사용할 수 없습니다", "세탁기와 건조기는 쓰면 안 돼요",
                        [("antonym", "세탁기와 건조기 사용이 가능합니다", "세탁기와 건조기를 써도 돼요")]),
    "비틀어 짜지 말고 뉘어서 건조": ("비틀어 짜지 말고 뉘어서 건조해야 합니다", "비틀어 짜지 말고 눕혀서 말려 주세요",
                           [("antonym", "비틀어 짠 뒤 옷걸이에 걸어 건조해야 합니다",
                             "비틀어 짠 다음 옷걸이에 걸어서 말려 주세요")]),
    "중온 다림질": ("중온으로 다림질할 수 있습니다", "다림질은 중온으로 해 주세요",
               [("negation", "다림질은 할 수 없습니다", "다림질은 하면 안 돼요")]),
    "드라이클리닝 권장": ("드라이클리닝을 권장합니다", "드라이클리닝을 권장해요",
                   [("antonym", "드라이클리닝은 금지되어 있습니다", "드라이클리닝은 하면 안 돼요")]),
    "다림질 금지": ("다림질을 할 수 없습니다", "다림질을 하면 안 돼요",
               [("negation", "다림질을 해도 됩니다", "다림질해도 괜찮아요")]),
    "30℃ 이하 찬물 단독 손세탁": ("30℃ 이하 찬물에 단독으로 손세탁해야 합니다", "30℃ 이하 찬물에 따로 손세탁해 주세요",
                           [("wrong_number", "50℃ 이하 물에 단독으로 손세탁해야 합니다",
                             "50℃ 이하 물에 따로 손세탁해 주세요"),
                            ("antonym", "다른 옷과 함께 세탁기로 세탁해도 됩니다",
                             "다른 옷이랑 같이 세탁기에 돌려도 돼요")]),
    "드라이클리닝 전용": ("드라이클리닝만 가능합니다", "드라이클리닝 전용이에요",
                   [("antonym", "드라이클리닝은 금지되어 있습니다", "드라이클리닝은 하면 안 돼요")]),
    "드라이클리닝 금지": ("드라이클리닝을 할 수 없습니다", "드라이클리닝을 하면 안 돼요",
                   [("antonym", "드라이클리닝을 권장합니다", "드라이클리닝을 권장해요")]),
    "30℃ 이하 중성세제 손세탁": ("30℃ 이하에서 중성세제로 손세탁해야 합니다", "30℃ 이하 물에 중성세제로 손세탁해 주세요",
                          [("wrong_number", "60℃ 이하에서 중성세제로 손세탁해야 합니다",
                            "60℃ 이하 물에 중성세제로 손세탁해 주세요")]),
    "중성세제로 30℃ 이하 손세탁": ("중성세제로 30℃ 이하에서 손세탁해야 합니다", "중성세제로 30℃ 이하에서 손세탁해 주세요",
                           [("wrong_number", "중성세제로 60℃ 이하에서 손세탁해야 합니다",
                             "중성세제로 60℃ 이하에서 손세탁해 주세요")]),
    "저온 다림질": ("저온으로 다림질해야 합니다", "다림질은 저온으로 해 주세요",
               [("antonym", "고온으로 다림질해야 합니다", "다림질은 고온으로 해 주세요")]),
    "손세탁 시 울 전용 세제로 찬물 단독 세탁": (
        "손세탁할 때는 울 전용 세제로 찬물에 단독 세탁해야 합니다",
        "손세탁할 땐 울 전용 세제로 찬물에 따로 빨아 주세요",
        [("antonym", "손세탁할 때는 울 전용 세제로 뜨거운 물에 단독 세탁해야 합니다",
          "손세탁할 땐 울 전용 세제로 뜨거운 물에 따로 빨아 주세요")]),
    "섬유유연제 사용 자제 (기능 저하)": ("기능이 저하될 수 있어 섬유유연제 사용은 자제해야 합니다",
                              "기능이 떨어질 수 있어서 섬유유연제는 자제해 주세요",
                              [("negation", "섬유유연제를 사용해도 기능이 저하되지 않습니다",
                                "섬유유연제를 써도 기능은 떨어지지 않아요")]),
}

MATERIAL_ORIGIN = ["이탈리아산", "일본산", "페루산", "포르투갈산"]
CERTS = ["OEKO-TEX 인증", "GRS(글로벌 리사이클 스탠다드) 인증", "블루사인(bluesign) 인증"]
COLLABS = ["디즈니", "뉴발란스", "메종 키츠네", "리바이스"]
COURIERS = ["CJ대한통운", "DHL", "우체국택배", "한진택배"]


def comp_str(mats) -> str:
    return ", ".join(f"{m['name']} {num(m['percent'])}%" for m in mats)


def text_of(p) -> str:
    return json.dumps(p, ensure_ascii=False)


def related(a: str, b: str) -> bool:
    return a in b or b in a


def measure_unit(key: str) -> str:
    return "mm" if key == "발길이" else "cm"


class Catalog:
    def __init__(self, products):
        self.products = products
        self.by_id = {p["id"]: p for p in products}
        self.by_cat = collections.defaultdict(list)
        for p in products:
            self.by_cat[p["category"]].append(p)
        self.all_materials = sorted({m["name"] for p in products for m in p["materials"]})
        self.all_colors = sorted({c for p in products for c in p["colors"]})
        self.all_brands = sorted({p["brand"] for p in products})
        self.all_fits = sorted({p["fit"] for p in products if p["fit"] in CLEAN_FITS})

    def pool(self, p, getter):
        """Values of the same category first (plausible), then of the whole catalog."""
        same = sorted({v for q in self.by_cat[p["category"]] if q["id"] != p["id"] for v in getter(q)})
        rest = sorted({v for q in self.products for v in getter(q)} - set(same))
        return same, rest

    # ---- truth of a structured fact for a product (used for distractors) ----
    @staticmethod
    def holds(p, fact) -> bool:
        t, v = fact["type"], fact["value"]
        if t == "price":
            return p["price"] == v
        if t == "sale_price":
            return p["sale_price"] == v
        if t == "material_full":
            return sorted((m["name"], m["percent"]) for m in p["materials"]) == sorted(v)
        if t == "material_main":
            return any((m["name"], m["percent"]) == tuple(v) for m in p["materials"])
        if t == "fit":
            return p["fit"] == v
        if t == "colors_all":
            return sorted(p["colors"]) == sorted(v)
        if t == "colors_subset":
            return all(c in p["colors"] for c in v)
        if t == "color_absent":
            return v not in p["colors"]
        if t == "size":
            size, key, val = v
            return any(s["size"] == size and s["measurements_cm"].get(key) == val for s in p["sizes"])
        if t == "care":
            return v in p["care"]
        if t == "season":
            return sorted(p["season"]) == sorted(v)
        if t == "feature":
            key, val = v
            return p["features"].get(key) == val
        if t == "shipping":
            return p["shipping_days"] == v
        if t == "return":
            return p["return_policy"] == v
        if t == "brand":
            return p["brand"] == v
        raise ValueError(t)

    def distractors(self, p, rng):
        pool = [q for q in self.by_cat[p["category"]] if q["id"] != p["id"]]
        return rng.sample(pool, 2)

    # ---- fact builders: each returns (fact, original_sentence, [(kind, sentence)]) ----
    def facts_for(self, p, rng):
        builders = [self.f_price, self.f_material, self.f_fit, self.f_colors, self.f_size,
                    self.f_care, self.f_season, self.f_feature, self.f_shipping, self.f_return,
                    self.f_brand]
        if p["sale_price"]:
            builders.append(self.f_sale)
        rng.shuffle(builders)
        out = []
        n_target = rng.choice([3, 4, 4, 5])
        for b in builders:
            r = b(p, rng)
            if r is None:
                continue
            fact, orig, muts = r
            muts = [(k, s) for k, s in muts if s and s != orig]
            if len(muts) < 1:
                continue
            out.append((fact, orig, muts))
            if len(out) >= n_target:
                break
        return out

    def _subject(self, p, rng, style_choices=("hs", "hy")):
        return rng.random() < 0.35, rng.choice(style_choices)

    def f_price(self, p, rng):
        price = p["price"]
        use_name, style = self._subject(p, rng)
        label = "정가" if p["sale_price"] else "가격"

        def render(v):
            if use_name:
                return f"{p['name']}의 {topic(label)} {cop(won(v), style)}."
            return f"{topic(label)} {cop(won(v), style)}."

        cands = [price + d for d in (10000, -5000, 5000, 20000, -10000, 3000) if price + d > 0
                 and price + d not in (price, p["sale_price"])]
        wrong = rng.choice(cands)
        ent = rng.choice(MATERIAL_ORIGIN)
        novel = (f"{ent} 수입 상품으로 {topic(label)} {cop(won(price), style)}." if not use_name else
                 f"{ent} 수입 상품인 {p['name']}의 {topic(label)} {cop(won(price), style)}.")
        return ({"type": "price", "value": price}, render(price),
                [("wrong_number", render(wrong)), ("novel_entity", novel if ent not in text_of(p) else None)])

    def f_sale(self, p, rng):
        sale, price = p["sale_price"], p["price"]
        use_name, style = self._subject(p, rng)
        tpl = rng.randrange(2)

        def render(v):
            if tpl == 0:
                s = f"할인가는 {cop(won(v), style)}."
                return f"{p['name']}의 {s}" if use_name else s
            end = "판매 중입니다" if style == "hs" else "판매 중이에요"
            pre = f"{topic(p['name'])} " if use_name else ""
            return f"{pre}현재 할인된 가격 {won(v)}에 {end}."

        other = rng.choice([d for d in (sale - 3000, sale + 4000, sale - 5000) if d > 0 and d not in (sale, price)])
        return ({"type": "sale_price", "value": sale}, render(sale),
                [("wrong_number", render(price)),  # the list price stated as the sale price
                 ("wrong_number", render(other))])

    def f_material(self, p, rng):
        mats = p["materials"]
        use_name, style = self._subject(p, rng)
        ptext = text_of(p)
        present = {m["name"] for m in mats}
        main = max(mats, key=lambda m: m["percent"])
        full = rng.random() < 0.6 or len(mats) == 1

        def render(ms):
            if full:
                body = f"소재는 {cop(comp_str(ms), style)}."
                return f"{p['name']}의 {body}" if use_name else body
            m = ms[0]
            end = "사용했습니다" if style == "hs" else "썼어요"
            pre = f"{p['name']}에는 " if use_name else ""
            return f"{pre}{m['name']} {num(m['percent'])}% 소재를 {end}."

        base = mats if full else [main]
        fact = ({"type": "material_full", "value": [(m["name"], m["percent"]) for m in mats]} if full
                else {"type": "material_main", "value": (main["name"], main["percent"])})
        muts = []
        # wrong_number: swap two different percentages, or shift by 10
        if full and len(mats) >= 2 and mats[0]["percent"] != mats[1]["percent"]:
            ms = [dict(m) for m in mats]
            ms[0]["percent"], ms[1]["percent"] = ms[1]["percent"], ms[0]["percent"]
            muts.append(("wrong_number", render(ms)))
        elif not full and main["percent"] < 100:
            ms = [dict(main, percent=main["percent"] + (10 if main["percent"] <= 85 else -15))]
            muts.append(("wrong_number", render(ms)))
        # other_attribute: a material of another product of the catalog, absent here
        ok = (lambda m: not any(related(m, x) for x in present) and m not in ptext)
        same, rest = self.pool(p, lambda q: [m["name"] for m in q["materials"]])
        cand = [m for m in same if ok(m)] or [m for m in rest if ok(m) and m not in (
            "고무", "EVA", "TPU", "스테인리스 스틸", "폴리카보네이트", "종이 라피아")]
        if cand:
            newm = rng.choice(cand)
            ms = [dict(m) for m in base]
            idx = base.index(main) if main in base else 0
            ms[idx]["name"] = newm
            muts.append(("other_attribute", render(ms)))
        # novel_entity: origin or certification
        ent = rng.choice(MATERIAL_ORIGIN + CERTS)
        if ent not in ptext and "인증" not in ptext and "산 " not in p["description"]:
            if ent in MATERIAL_ORIGIN:
                ms = [dict(m) for m in base]
                ms[0]["name"] = f"{ent} {ms[0]['name']}"
                muts.append(("novel_entity", render(ms)))
            else:
                end = "사용했습니다" if style == "hs" else "썼어요"
                muts.append(("novel_entity", f"{ent}을 받은 {comp_str(base)} 소재를 {end}."))
        return fact, render(base), muts

    def f_fit(self, p, rng):
        fit = p["fit"]
        if fit not in CLEAN_FITS:
            return None
        use_name, style = self._subject(p, rng)
        ptext = text_of(p)

        def render(f):
            ph = fit_phrase(f)
            if ph.endswith("나와요"):
                if style == "hs":
                    ph = ph.replace("나와요", "나옵니다")
                pre = f"{topic(p['name'])} " if use_name else "사이즈는 "
                return f"{pre}{ph}."
            if use_name:
                return f"{topic(p['name'])} {cop(ph, style)}."
            return f"{topic('핏')} {cop(ph, style)}."

        muts = []
        shoes = p["category"] == "shoes"
        if shoes:
            pool = ["정사이즈", "반 치수 크게 나옴"]
        else:
            same, _ = self.pool(p, lambda q: [q["fit"]] if q["fit"] in CLEAN_FITS else [])
            pool = [f for f in same if f not in ("정사이즈", "반 치수 크게 나옴")]
        ant = FIT_ANTONYM.get(fit)
        cand = [f for f in pool if not related(f, fit) and f not in ptext and f != ant]
        if cand:
            muts.append(("other_attribute", render(rng.choice(cand))))
        if ant and ant not in ptext and (not shoes or ant.startswith("반 치수")):
            muts.append(("antonym", render(ant)))
        return {"type": "fit", "value": fit}, render(fit), muts

    def f_colors(self, p, rng):
        colors = p["colors"]
        use_name, style = self._subject(p, rng)
        ptext = text_of(p)
        all_tpl = len(colors) == 1 or rng.random() < 0.5
        muts = []
        okc = (lambda c: not any(related(c, x) for x in colors) and c not in ptext)
        same, rest = self.pool(p, lambda q: q["colors"])
        absent = [c for c in same if okc(c)] or [c for c in rest if okc(c)]
        if all_tpl:
            def render(cs, n):
                if use_name:
                    return f"{topic(p['name'])} {', '.join(cs)} 총 {n}가지 색상으로 " + (
                        "출시되었습니다." if style == "hs" else "나와요.")
                return f"색상은 {', '.join(cs)} 총 {cop(f'{n}가지', style)}."
            orig = render(colors, len(colors))
            fact = {"type": "colors_all", "value": list(colors)}
            if absent:
                cs = list(colors)
                cs[rng.randrange(len(cs))] = rng.choice(absent)
                muts.append(("other_attribute", render(cs, len(cs))))
                cs2 = list(colors) + [rng.choice(absent)]
                muts.append(("wrong_number", render(cs2, len(cs2))))
            return fact, orig, muts
        k = rng.choice([1, 2]) if len(colors) >= 3 else 1
        sub = rng.sample(colors, k)

        def render(cs):
            joined = "과 ".join(cs) if len(cs) == 2 and batchim(cs[0]) else "와 ".join(cs)
            if style == "hs":
                return (f"{topic(p['name'])} " if use_name else "") + f"{joined} 색상으로 구매할 수 있습니다."
            return (f"{topic(p['name'])} " if use_name else "") + f"{joined} 색상이 있어요."
        orig = render(sub)
        if absent:
            cs = list(sub)
            cs[-1] = rng.choice(absent)
            muts.append(("other_attribute", render(cs)))
        c0 = sub[0]
        pre = f"{topic(p['name'])} " if use_name else ""
        muts.append(("negation", pre + f"{c0} 색상은 " + ("없습니다." if style == "hs" else "없어요.")))
        return {"type": "colors_subset", "value": list(sub)}, orig, muts

    def f_size(self, p, rng):
        sizes = p["sizes"]
        names = [s["size"] for s in sizes]
        s = next((x for x in sizes if x["size"] == "M"), sizes[len(sizes) // 2])
        key = rng.choice(sorted(s["measurements_cm"]))
        val = s["measurements_cm"][key]
        unit = measure_unit(key)
        use_name, style = self._subject(p, rng)
        tpl = rng.randrange(2)
        size_label = "FREE 사이즈" if s["size"] == "FREE" else f"{s['size']} 사이즈"

        def render(v, u):
            q = f"{num(v)}{u}"
            if tpl == 0:
                pre = f"{p['name']} " if use_name else ""
                return f"{pre}{size_label} {topic(key)} {cop(q, style)}."
            pre = f"{topic(p['name'])} " if use_name else ""
            return f"{pre}{size_label} 기준 {subj(key)} {cop(q, style)}."

        muts = []
        if unit == "mm":
            dv = rng.choice([10, 15, -10])
        elif val >= 20:
            dv = rng.choice([4, 5, 6, -4, -5])
        elif val >= 5:
            dv = rng.choice([2, 3, -2])
        else:
            dv = rng.choice([1, 1.5, 2])
        nv = round(val + dv, 1)
        if nv > 0 and nv != val:
            muts.append(("wrong_number", render(nv, unit)))
        if unit == "cm":
            muts.append(("wrong_unit", render(val, "mm")))
        return {"type": "size", "value": (s["size"], key, val)}, render(val, unit), muts

    def f_care(self, p, rng):
        lines = [c for c in p["care"] if c in CARE]
        if not lines:
            return None
        line = rng.choice(lines)
        hs, hy, muts_def = CARE[line]
        use_name, style = self._subject(p, rng)
        pre = f"{topic(p['name'])} " if use_name else ""
        pick = (lambda a, b: a) if style == "hs" else (lambda a, b: b)
        muts = []
        for kind, mhs, mhy in muts_def:
            m = pick(mhs, mhy)
            # never "mutate" into something another care line states
            others = [c for c in p["care"] if c != line]
            if any(t in m and any(t in c for c in others) for t in ("드라이클리닝", "다림질")):
                continue
            machine_ok = "세탁기" in m and not any(x in m for x in ("불가", "없", "안 돼"))
            mw = p["features"].get("machine_washable")
            if machine_ok and (mw is True or any("세탁기" in c and "금지" not in c for c in others)):
                continue
            if "세탁기" in m and not machine_ok and mw is False:
                continue
            muts.append((kind, pre + m + "."))
        return {"type": "care", "value": line}, pre + pick(hs, hy) + ".", muts

    def f_season(self, p, rng):
        seasons = p["season"]
        use_name, style = self._subject(p, rng)
        ptext_desc = p["description"] + " ".join(r["text"] for r in p["reviews"]) + " ".join(p["tags"])

        def render(ss):
            body = "사계절" if ss == ["사계절"] else "·".join(ss)
            if use_name:
                return f"{topic(p['name'])} {body}용 " + ("상품입니다." if style == "hs" else "상품이에요.")
            when = "사계절 내내" if ss == ["사계절"] else f"{body} 시즌에"
            return f"{when} " + ("착용하기 좋은 상품입니다." if style == "hs" else "쓰기 좋은 상품이에요.")
        if seasons == ["사계절"]:
            return None
        muts = []
        options = [["여름"], ["겨울"], ["봄", "여름"], ["가을", "겨울"], ["사계절"], ["봄", "가을"]]
        cand = [o for o in options if not set(o) & set(seasons) and not any(x in ptext_desc for x in o)
                and o != ["사계절"]]
        if cand:
            muts.append(("other_attribute", render(rng.choice(cand))))
        if "사계절" not in ptext_desc and len(seasons) <= 2:
            muts.append(("other_attribute", render(["사계절"])))
        return {"type": "season", "value": list(seasons)}, render(seasons), muts

    def f_feature(self, p, rng):
        feats = sorted(p["features"].items())
        key, val = rng.choice(feats)
        pos_hs, pos_hy, neg_hs, neg_hy = FEATURES[key]
        use_name, style = self._subject(p, rng)
        pre = f"{topic(p['name'])} " if use_name else ""
        if style == "hs":
            pos, neg = pos_hs, neg_hs
        else:
            pos, neg = pos_hy, neg_hy
        if use_name:
            neg = neg.replace("기능은 없", "기능이 없").replace("신축성은 없", "신축성이 없").replace(
                "기모는 없", "기모가 없").replace("주머니는 없", "주머니가 없").replace("안감은 없", "안감이 없").replace(
                "스트랩은 없", "스트랩이 없").replace("여밈은 없", "여밈이 없").replace("통기성은", "통기성이")
        orig = pre + (pos if val else neg) + "."
        flipped = pre + (neg if val else pos) + "."
        kind = "antonym" if key == "machine_washable" else "negation"
        muts = [(kind, flipped)]
        if val and key in ("waterproof", "windproof") and "고어텍스" not in text_of(p):
            muts.append(("novel_entity", pre + "고어텍스(GORE-TEX) 멤브레인을 사용해 " + pos + "."))
        elif "인증" not in text_of(p):
            ent = rng.choice(CERTS)
            muts.append(("novel_entity", pre + f"{ent} 원단을 사용했고 " + (pos if val else neg) + "."))
        return {"type": "feature", "value": (key, val)}, orig, muts

    def f_shipping(self, p, rng):
        d = p["shipping_days"]
        use_name, style = self._subject(p, rng)
        tpl = rng.randrange(2)
        pre = f"{topic(p['name'])} " if use_name else ""

        def render(n, unit="영업일", extra=""):
            q = f"{n}{unit}"
            if tpl == 0:
                return pre + f"결제 후 출고까지 {extra}{subj(q)} " + ("소요됩니다." if style == "hs" else "걸려요.")
            lead = f"{p['name']}의 출고 소요일은" if use_name else "출고 소요일은"
            return f"{lead} {extra}{cop(q, style)}."

        wrong = {1: 3, 2: 5, 3: 7, 7: 3, 10: 4, 12: 5, 14: 7}.get(d, d + 3)
        courier = rng.choice(COURIERS)
        muts = [("wrong_number", render(wrong)), ("wrong_unit", render(d, "주"))]
        muts.append(("novel_entity", pre + f"{ro(courier)} 보내며 결제 후 출고까지 {d}영업일이 " +
                     ("소요됩니다." if style == "hs" else "걸려요.")))
        return {"type": "shipping", "value": d}, render(d), muts

    def f_return(self, p, rng):
        rp = p["return_policy"]
        use_name, style = self._subject(p, rng)
        pre = f"{topic(p['name'])} " if use_name else "이 상품은 "

        def render(c):
            return pre + f"{RETURN_CLASSES[c]} 반품 정책이 " + ("적용됩니다." if style == "hs" else "적용돼요.")
        others = rng.sample([c for c in RETURN_CLASSES if c != rp], 2)
        return {"type": "return", "value": rp}, render(rp), [("other_attribute", render(c)) for c in others]

    def f_brand(self, p, rng):
        b = p["brand"]
        use_name, style = self._subject(p, rng)
        ptext = text_of(p)

        def render(x):
            if use_name:
                return f"{topic(p['name'])} {x} 브랜드의 " + ("상품입니다." if style == "hs" else "상품이에요.")
            return f"브랜드는 {cop(x, style)}."
        muts = []
        cand = [x for x in self.all_brands if x != b and x not in ptext]
        muts.append(("other_attribute", render(rng.choice(cand))))
        col = rng.choice(COLLABS)
        if col not in ptext:
            body = f"{b}와 {col}의 협업 " if not batchim(b) else f"{b}과 {col}의 협업 "
            muts.append(("novel_entity", (f"{topic(p['name'])} " if use_name else "이 상품은 ") + body +
                         ("상품입니다." if style == "hs" else "상품이에요.")))
        return {"type": "brand", "value": b}, render(b), muts


def gen_catalog(products, seed):
    cat = Catalog(products)
    records = []
    for p in products:
        rng = random.Random(f"{seed}:{p['id']}:facts")
        facts = cat.facts_for(p, rng)
        type_count = collections.Counter()
        for fact, orig, muts in facts:
            frng = random.Random(f"{seed}:{p['id']}:{fact['type']}:{type_count[fact['type']]}")
            ftype = fact["type"].split("_")[0] if fact["type"].startswith(("material", "colors")) else fact["type"]
            k = type_count[fact["type"]]
            type_count[fact["type"]] += 1
            ds = cat.distractors(p, frng)
            ev = [p["id"]] + [d["id"] for d in ds]
            frng.shuffle(ev)
            base_id = f"mut-{p['id']}-{ftype}-{k}"
            common = dict(source="catalog", source_id=p["id"], split=split_of(p["id"]), lang="ko",
                          evidence_ids=ev, evidence=None, original_id=f"{base_id}-original")
            records.append(dict(id=f"{base_id}-original", claim=cite(orig, [p["id"]]), cited=[p["id"]],
                                label="supported", mutation="original", **common))
            seen = collections.Counter()
            for kind, sent in muts:
                seen[kind] += 1
                suffix = kind if seen[kind] == 1 else f"{kind}{seen[kind]}"
                records.append(dict(id=f"{base_id}-{suffix}", claim=cite(sent, [p["id"]]), cited=[p["id"]],
                                    label="not_supported", mutation=kind, **common))
            wrong = [d for d in ds if not Catalog.holds(d, fact)]
            if wrong:
                d = frng.choice(wrong)
                records.append(dict(id=f"{base_id}-wrong_citation", claim=cite(orig, [d["id"]]), cited=[d["id"]],
                                    label="not_supported", mutation="wrong_citation", **common))
    return records


# --------------------------------------------------------------------------
# FAQ / policy (faq.jsonl): hand-written facts, each restating the entry text.
# (source_id, claim, keys, {kind: mutated claim})
# keys: strings carrying the fact; a distractor containing none of them is a safe
# wrong_citation target.
# --------------------------------------------------------------------------

FAQ_FACTS = [
    ("POL-RETURN-STANDARD", "일반 상품은 상품 수령 후 7일 이내에 반품을 신청할 수 있습니다.", ["7일"], {
        "wrong_number": "일반 상품은 상품 수령 후 14일 이내에 반품을 신청할 수 있습니다.",
        "wrong_unit": "일반 상품은 상품 수령 후 7주 이내에 반품을 신청할 수 있습니다.",
        "antonym": "일반 상품은 상품 수령 후 7일이 지난 이후에 반품을 신청할 수 있습니다.",
        "novel_entity": "일반 상품은 상품 수령 후 7일 이내에 CJ대한통운 방문 회수로 반품을 신청할 수 있습니다."}),
    ("POL-RETURN-STANDARD", "무료배송으로 받은 주문을 단순 변심으로 반품하면 반품 배송비는 왕복 6,000원입니다.", ["6,000원"], {
        "wrong_number": "무료배송으로 받은 주문을 단순 변심으로 반품하면 반품 배송비는 왕복 9,000원입니다.",
        "dropped_condition": "배송비 3,000원을 결제한 유료배송 주문을 단순 변심으로 반품하면 반품 배송비는 왕복 6,000원입니다.",
        "antonym": "무료배송으로 받은 주문은 단순 변심으로 반품해도 반품 배송비가 무료입니다."}),
    ("POL-RETURN-STANDARD", "배송비 3,000원을 결제한 유료배송 주문은 단순 변심 반품 시 반품 배송비가 편도 3,000원입니다.", ["편도"], {
        "wrong_number": "배송비 3,000원을 결제한 유료배송 주문은 단순 변심 반품 시 반품 배송비가 편도 5,000원입니다.",
        "dropped_condition": "무료배송으로 받은 주문도 단순 변심 반품 시 반품 배송비가 편도 3,000원입니다."}),
    ("POL-RETURN-STANDARD", "상품 불량 또는 오배송은 수령 후 30일 이내에 신청할 수 있으며 배송비는 전액 회사가 부담합니다.", ["30일"], {
        "wrong_number": "상품 불량 또는 오배송은 수령 후 60일 이내에 신청할 수 있으며 배송비는 전액 회사가 부담합니다.",
        "wrong_unit": "상품 불량 또는 오배송은 수령 후 30시간 이내에 신청할 수 있으며 배송비는 전액 회사가 부담합니다.",
        "antonym": "상품 불량 또는 오배송은 수령 후 30일 이내에 신청할 수 있으며 배송비는 전액 고객이 부담합니다.",
        "dropped_condition": "모든 반품은 수령 후 30일 이내에 신청할 수 있으며 배송비는 전액 회사가 부담합니다."}),
    ("POL-RETURN-STANDARD", "환불은 반품 상품 입고·검수 완료 후 3영업일 이내에 처리됩니다.", ["3영업일"], {
        "wrong_number": "환불은 반품 상품 입고·검수 완료 후 7영업일 이내에 처리됩니다.",
        "wrong_unit": "환불은 반품 상품 입고·검수 완료 후 3시간 이내에 처리됩니다.",
        "novel_entity": "환불은 반품 상품 입고·검수 완료 후 3영업일 이내에 네이버페이 포인트로 처리됩니다."}),
    ("POL-RETURN-FINAL-SALE", "파이널 세일 상품은 단순 변심에 의한 반품과 교환이 모두 불가합니다.", ["파이널 세일"], {
        "negation": "파이널 세일 상품도 단순 변심에 의한 반품과 교환이 가능합니다.",
        "dropped_condition": "파이널 세일 상품은 어떤 경우에도 반품과 교환이 불가합니다.",
        "novel_entity": "파이널 세일 상품은 블랙프라이데이 기간 구매분에 한해 단순 변심에 의한 반품과 교환이 불가합니다."}),
    ("POL-RETURN-FINAL-SALE", "파이널 세일 상품도 불량 또는 오배송인 경우에는 수령 후 30일 이내에 반품·교환을 신청할 수 있습니다.", ["30일"], {
        "wrong_number": "파이널 세일 상품도 불량 또는 오배송인 경우에는 수령 후 14일 이내에 반품·교환을 신청할 수 있습니다.",
        "dropped_condition": "파이널 세일 상품도 수령 후 30일 이내라면 사유와 관계없이 반품·교환을 신청할 수 있습니다.",
        "negation": "파이널 세일 상품은 불량 또는 오배송인 경우에도 반품·교환이 불가합니다."}),
    ("POL-RETURN-HYGIENE", "위생 상품은 착용 흔적이 있거나 택을 제거한 경우 반품·교환이 불가합니다.", ["택"], {
        "negation": "위생 상품은 착용 흔적이 있거나 택을 제거한 경우에도 반품·교환이 가능합니다.",
        "dropped_condition": "위생 상품은 상품 상태와 관계없이 반품·교환이 불가합니다."}),
    ("POL-RETURN-HYGIENE", "위생 상품은 미착용 상태이고 택이 부착되어 있으면 상품 수령 후 7일 이내에 반품·교환을 신청할 수 있습니다.", ["7일"], {
        "wrong_number": "위생 상품은 미착용 상태이고 택이 부착되어 있으면 상품 수령 후 30일 이내에 반품·교환을 신청할 수 있습니다.",
        "wrong_unit": "위생 상품은 미착용 상태이고 택이 부착되어 있으면 상품 수령 후 7주 이내에 반품·교환을 신청할 수 있습니다.",
        "dropped_condition": "위생 상품은 택을 제거했더라도 상품 수령 후 7일 이내에 반품·교환을 신청할 수 있습니다."}),
    ("POL-RETURN-MADE-TO-ORDER", "주문 제작 상품의 제작 기간은 7~14영업일입니다.", ["7~14영업일"], {
        "wrong_number": "주문 제작 상품의 제작 기간은 3~5영업일입니다.",
        "wrong_unit": "주문 제작 상품의 제작 기간은 7~14주입니다.",
        "novel_entity": "주문 제작 상품은 이탈리아 공방에서 제작되며 제작 기간은 7~14영업일입니다."}),
    ("POL-RETURN-MADE-TO-ORDER", "주문 제작 상품은 결제 후 24시간 이내, 제작 시작 전에는 취소할 수 있습니다.", ["24시간"], {
        "wrong_number": "주문 제작 상품은 결제 후 72시간 이내, 제작 시작 전에는 취소할 수 있습니다.",
        "wrong_unit": "주문 제작 상품은 결제 후 24일 이내에는 취소할 수 있습니다.",
        "antonym": "주문 제작 상품은 결제 후 24시간이 지난 이후에도 취소할 수 있습니다.",
        "dropped_condition": "주문 제작 상품은 제작 진행 여부와 관계없이 언제든 취소할 수 있습니다."}),
    ("POL-RETURN-MADE-TO-ORDER", "주문 제작 상품은 해외 배송이 불가합니다.", ["해외"], {
        "negation": "주문 제작 상품도 해외 배송이 가능합니다.",
        "novel_entity": "주문 제작 상품은 일본과 미국을 제외한 국가로는 해외 배송이 불가합니다."}),
    ("FAQ-RET-001", "파이널 세일 상품은 단순 변심 반품이 불가합니다.", ["파이널 세일"], {
        "negation": "파이널 세일 상품도 단순 변심 반품이 가능합니다.",
        "dropped_condition": "파이널 세일 상품은 불량이나 오배송이어도 반품이 불가합니다."}),
    ("FAQ-RET-002", "불량이나 오배송으로 인한 반품이라면 배송비는 전액 회사가 부담합니다.", ["회사"], {
        "antonym": "불량이나 오배송으로 인한 반품이라도 배송비는 전액 고객이 부담합니다.",
        "dropped_condition": "반품 사유와 관계없이 반품 배송비는 전액 회사가 부담합니다."}),
    ("FAQ-RET-003", "교환은 주문 시 배송비와 관계없이 왕복 6,000원이 적용됩니다.", ["교환"], {
        "wrong_number": "교환은 주문 시 배송비와 관계없이 왕복 8,000원이 적용됩니다.",
        "antonym": "교환 배송비는 주문 시 배송비와 관계없이 무료입니다."}),
    ("FAQ-RET-004", "파이널 세일 상품에 불량이 있거나 다른 상품이 배송된 경우 수령 후 30일 이내에 반품·교환을 신청할 수 있고 배송비는 회사가 부담합니다.", ["회사"], {
        "antonym": "파이널 세일 상품에 불량이 있거나 다른 상품이 배송된 경우 수령 후 30일 이내에 반품·교환을 신청할 수 있고 배송비는 고객이 부담합니다.",
        "wrong_number": "파이널 세일 상품에 불량이 있거나 다른 상품이 배송된 경우 수령 후 10일 이내에 반품·교환을 신청할 수 있고 배송비는 회사가 부담합니다.",
        "dropped_condition": "파이널 세일 상품은 수령 후 30일 이내에 반품·교환을 신청할 수 있고 배송비는 회사가 부담합니다."}),
    ("FAQ-RET-005", "위생 상품은 택을 제거했거나 착용 흔적이 있으면 반품과 교환이 불가합니다.", ["택"], {
        "negation": "위생 상품은 택을 제거했거나 착용 흔적이 있어도 반품과 교환이 가능합니다.",
        "dropped_condition": "속옷·양말·수영복 같은 위생 상품은 반품과 교환이 일절 불가합니다."}),
    ("FAQ-RET-006", "주문 제작 상품은 결제 후 24시간이 지나 제작이 시작된 이후에는 단순 변심 반품이 불가합니다.", ["제작"], {
        "negation": "주문 제작 상품은 제작이 시작된 이후에도 단순 변심 반품이 가능합니다.",
        "wrong_number": "주문 제작 상품은 결제 후 48시간이 지나 제작이 시작된 이후에는 단순 변심 반품이 불가합니다."}),
    ("FAQ-RET-007", "반품은 마이페이지 > 주문내역에서 해당 주문을 선택해 신청할 수 있습니다.", ["마이페이지"], {
        "negation": "반품은 마이페이지에서는 신청할 수 없습니다.",
        "novel_entity": "반품은 마이페이지 > 주문내역 또는 카카오톡 채널에서 신청할 수 있습니다."}),
    ("FAQ-RET-007", "불량·오배송은 수령 후 30일 이내에 사진을 첨부해 1:1 문의로 접수하면 됩니다.", ["30일"], {
        "wrong_number": "불량·오배송은 수령 후 15일 이내에 사진을 첨부해 1:1 문의로 접수하면 됩니다.",
        "dropped_condition": "모든 반품은 수령 후 30일 이내에 사진을 첨부해 1:1 문의로 접수하면 됩니다."}),
    ("POL-EXCHANGE", "단순 변심 교환의 배송비는 주문 시 배송비 결제 여부와 관계없이 왕복 6,000원입니다.", ["6,000원"], {
        "wrong_number": "단순 변심 교환의 배송비는 주문 시 배송비 결제 여부와 관계없이 왕복 5,000원입니다.",
        "antonym": "단순 변심 교환의 배송비는 유료배송 주문이라면 편도 3,000원입니다.",
        "novel_entity": "단순 변심 교환의 배송비는 왕복 6,000원이며 회수는 롯데택배가 담당합니다."}),
    ("POL-EXCHANGE", "위생 상품은 미착용·택 부착 상태에서만 7일 이내에 교환할 수 있습니다.", ["위생"], {
        "wrong_number": "위생 상품은 미착용·택 부착 상태에서만 3일 이내에 교환할 수 있습니다.",
        "dropped_condition": "위생 상품은 착용 여부와 관계없이 7일 이내에 교환할 수 있습니다."}),
    ("FAQ-EXC-001", "사이즈 교환은 단순 변심에 해당하여 왕복 6,000원의 교환 배송비가 발생합니다.", ["6,000원"], {
        "wrong_number": "사이즈 교환은 단순 변심에 해당하여 왕복 4,000원의 교환 배송비가 발생합니다.",
        "antonym": "사이즈 교환은 교환 배송비가 무료입니다."}),
    ("FAQ-EXC-001", "받은 상품에 불량이 있는 경우 교환 배송비는 회사가 부담합니다.", ["회사"], {
        "antonym": "받은 상품에 불량이 있는 경우에도 교환 배송비는 고객이 부담합니다.",
        "dropped_condition": "사이즈 교환을 포함한 모든 교환의 배송비는 회사가 부담합니다."}),
    ("FAQ-EXC-002", "편도 3,000원은 유료배송 주문을 단순 변심으로 반품할 때에만 적용되고 교환에는 적용되지 않습니다.", ["편도"], {
        "dropped_condition": "유료배송 주문은 교환할 때도 편도 3,000원만 내면 됩니다.",
        "wrong_number": "편도 2,000원은 유료배송 주문을 단순 변심으로 반품할 때에만 적용되고 교환에는 적용되지 않습니다."}),
    ("FAQ-EXC-003", "색상 교환은 상품 수령 후 7일 이내에 신청하면 됩니다.", ["7일"], {
        "wrong_number": "색상 교환은 상품 수령 후 10일 이내에 신청하면 됩니다.",
        "wrong_unit": "색상 교환은 상품 수령 후 7주 이내에 신청하면 됩니다."}),
    ("FAQ-EXC-003", "파이널 세일 상품은 색상 교환이 불가합니다.", ["파이널"], {
        "negation": "파이널 세일 상품도 색상 교환이 가능합니다.",
        "dropped_condition": "색상 교환은 모든 상품에서 불가합니다."}),
    ("FAQ-EXC-005", "불량이나 오배송으로 인한 교환은 수령 후 30일 이내에 신청할 수 있습니다.", ["30일"], {
        "wrong_number": "불량이나 오배송으로 인한 교환은 수령 후 14일 이내에 신청할 수 있습니다.",
        "wrong_unit": "불량이나 오배송으로 인한 교환은 수령 후 30시간 이내에 신청할 수 있습니다.",
        "dropped_condition": "교환은 사유와 관계없이 수령 후 30일 이내에 신청할 수 있습니다."}),
    ("FAQ-EXC-006", "수영복은 착용 흔적이 있거나 택을 제거한 경우 교환과 반품이 불가합니다.", ["수영복"], {
        "negation": "수영복은 착용 흔적이 있거나 택을 제거한 경우에도 교환과 반품이 가능합니다.",
        "dropped_condition": "수영복은 미착용 상태라도 교환과 반품이 불가합니다."}),
    ("POL-REFUND", "신용카드 결제 건은 환불 처리 후 카드사에 따라 취소 반영까지 3~5영업일이 걸릴 수 있습니다.", ["3~5영업일"], {
        "wrong_number": "신용카드 결제 건은 환불 처리 후 카드사에 따라 취소 반영까지 7~10영업일이 걸릴 수 있습니다.",
        "wrong_unit": "신용카드 결제 건은 환불 처리 후 카드사에 따라 취소 반영까지 3~5시간이 걸릴 수 있습니다.",
        "novel_entity": "신용카드 결제 건은 환불 처리 후 카드사에 따라 취소 반영까지 3~5영업일이 걸리며 진행 상황은 토스 알림으로 안내됩니다."}),
    ("POL-REFUND", "적립금으로 결제한 금액은 환불 시 적립금으로 복원됩니다.", ["적립금"], {
        "negation": "적립금으로 결제한 금액은 환불 시 적립금으로 복원되지 않습니다.",
        "antonym": "적립금으로 결제한 금액은 환불 시 현금으로 돌려받습니다."}),
    ("FAQ-REF-001", "환불 처리 기간은 영업일 기준이라 주말과 공휴일은 제외됩니다.", ["주말"], {
        "negation": "환불 처리 기간에는 주말과 공휴일도 포함됩니다."}),
    ("FAQ-REF-005", "복원된 적립금은 다음 주문 시 결제 금액의 최대 50%까지 사용할 수 있습니다.", ["50%"], {
        "wrong_number": "복원된 적립금은 다음 주문 시 결제 금액의 최대 30%까지 사용할 수 있습니다.",
        "antonym": "복원된 적립금은 다음 주문 시 결제 금액의 최소 50% 이상 사용해야 합니다."}),
    ("POL-SHIPPING-FEE", "국내 기본 배송비는 3,000원이며 주문 금액 50,000원 이상이면 무료배송입니다.", ["50,000원"], {
        "wrong_number": "국내 기본 배송비는 3,000원이며 주문 금액 30,000원 이상이면 무료배송입니다.",
        "dropped_condition": "국내 배송은 주문 금액과 관계없이 무료배송입니다.",
        "novel_entity": "국내 기본 배송비는 3,000원이며 주문 금액 50,000원 이상이면 우체국택배로 무료배송됩니다."}),
    ("POL-SHIPPING-FEE", "도서산간 지역은 5,000원의 추가 배송비가 부과됩니다.", ["도서산간"], {
        "wrong_number": "도서산간 지역은 7,000원의 추가 배송비가 부과됩니다.",
        "negation": "도서산간 지역도 추가 배송비 없이 배송됩니다."}),
    ("FAQ-SHP-002", "제주 지역은 추가 배송비 3,000원이 부과됩니다.", ["제주"], {
        "wrong_number": "제주 지역은 추가 배송비 5,000원이 부과됩니다.",
        "negation": "제주 지역은 추가 배송비가 부과되지 않습니다."}),
    ("FAQ-SHP-004", "50,000원 이상 주문으로 무료배송이 되더라도 제주 지역 추가 배송비 3,000원은 별도로 부과됩니다.", ["제주"], {
        "negation": "50,000원 이상 주문으로 무료배송이 되면 제주 지역 추가 배송비도 부과되지 않습니다.",
        "wrong_number": "50,000원 이상 주문으로 무료배송이 되더라도 제주 지역 추가 배송비 5,000원은 별도로 부과됩니다."}),
    ("POL-SHIPPING-DISPATCH", "평일 오후 2시 이전에 결제가 완료된 주문은 당일 출고됩니다.", ["오후 2시"], {
        "wrong_number": "평일 오후 5시 이전에 결제가 완료된 주문은 당일 출고됩니다.",
        "antonym": "평일 오후 2시 이후에 결제가 완료된 주문도 당일 출고됩니다.",
        "dropped_condition": "결제가 완료된 주문은 요일과 시간에 관계없이 당일 출고됩니다."}),
    ("POL-SHIPPING-DISPATCH", "출고 후 택배 배송은 1~2영업일이 소요됩니다.", ["1~2영업일"], {
        "wrong_number": "출고 후 택배 배송은 3~4영업일이 소요됩니다.",
        "wrong_unit": "출고 후 택배 배송은 1~2주가 소요됩니다.",
        "novel_entity": "출고 후 CJ대한통운 택배 배송은 1~2영업일이 소요됩니다."}),
    ("FAQ-SHP-006", "평일 오후 2시 이후 결제 건은 다음 영업일에 출고됩니다.", ["다음 영업일", "오후 2시"], {
        "negation": "평일 오후 2시 이후 결제 건도 당일 출고됩니다.",
        "wrong_number": "평일 오후 6시 이후 결제 건부터 다음 영업일에 출고됩니다."}),
    ("FAQ-SHP-007", "주말과 공휴일에는 출고가 진행되지 않습니다.", ["주말"], {
        "negation": "주말과 공휴일에도 출고가 진행됩니다.",
        "novel_entity": "토요일 오전에는 쿠팡 로켓배송으로 출고가 진행됩니다."}),
    ("POL-CANCEL", "결제 완료 후 상품이 출고되기 전까지는 마이페이지에서 즉시 주문을 취소할 수 있습니다.", ["출고"], {
        "dropped_condition": "상품이 출고된 후에도 마이페이지에서 즉시 주문을 취소할 수 있습니다.",
        "negation": "결제가 완료되면 출고 전이라도 주문을 취소할 수 없습니다."}),
    ("POL-CANCEL", "무통장입금 주문은 주문 후 24시간 이내에 입금되지 않으면 자동 취소됩니다.", ["무통장"], {
        "wrong_number": "무통장입금 주문은 주문 후 48시간 이내에 입금되지 않으면 자동 취소됩니다.",
        "wrong_unit": "무통장입금 주문은 주문 후 24일 이내에 입금되지 않으면 자동 취소됩니다.",
        "novel_entity": "무통장입금 주문은 국민은행 가상계좌로 주문 후 24시간 이내에 입금되지 않으면 자동 취소됩니다."}),
    ("FAQ-CAN-002", "출고 후에는 주문 취소가 불가하며 상품 수령 후 7일 이내에 반품을 신청하면 됩니다.", ["7일"], {
        "negation": "출고 후에도 주문 취소가 가능합니다.",
        "wrong_number": "출고 후에는 주문 취소가 불가하며 상품 수령 후 14일 이내에 반품을 신청하면 됩니다."}),
    ("FAQ-CAN-004", "주문 제작 상품은 결제 후 24시간이 지나 제작이 시작되면 취소와 단순 변심 반품이 모두 불가합니다.", ["제작"], {
        "negation": "주문 제작 상품은 제작이 시작된 후에도 취소할 수 있습니다.",
        "wrong_number": "주문 제작 상품은 결제 후 12시간이 지나 제작이 시작되면 취소와 단순 변심 반품이 모두 불가합니다."}),
    ("POL-SIZE-MEASURE", "실측 사이즈는 측정 방법과 원단 특성에 따라 1~3cm의 오차가 있을 수 있습니다.", ["오차"], {
        "wrong_number": "실측 사이즈는 측정 방법과 원단 특성에 따라 5~7cm의 오차가 있을 수 있습니다.",
        "wrong_unit": "실측 사이즈는 측정 방법과 원단 특성에 따라 1~3mm의 오차가 있을 수 있습니다."}),
    ("FAQ-SIZ-002", "실측은 단면 기준이므로 가슴단면 55cm는 가슴둘레 약 110cm에 해당합니다.", ["110cm", "2를 곱"], {
        "wrong_number": "실측은 단면 기준이므로 가슴단면 55cm는 가슴둘레 약 100cm에 해당합니다.",
        "antonym": "실측은 둘레 기준이므로 가슴단면 55cm는 가슴둘레 55cm에 해당합니다."}),
    ("FAQ-SIZ-003", "실측 사이즈가 표기보다 2cm 다른 것은 1~3cm 오차 범위 안에 해당합니다.", ["오차"], {
        "negation": "실측 사이즈가 표기보다 2cm 다른 것은 오차 범위를 벗어난 불량에 해당합니다."}),
    ("POL-MEMBERSHIP", "회원 등급은 최근 6개월 구매 확정 금액을 기준으로 정해지며 매월 1일에 갱신됩니다.", ["6개월"], {
        "wrong_number": "회원 등급은 최근 12개월 구매 확정 금액을 기준으로 정해지며 매월 1일에 갱신됩니다.",
        "wrong_unit": "회원 등급은 최근 6주 구매 확정 금액을 기준으로 정해지며 매월 1일에 갱신됩니다."}),
    ("FAQ-MEM-002", "최근 6개월 동안의 구매 확정 금액이 60만원 이상이면 골드 등급이 됩니다.", ["골드"], {
        "wrong_number": "최근 6개월 동안의 구매 확정 금액이 50만원 이상이면 골드 등급이 됩니다.",
        "antonym": "최근 6개월 동안의 구매 확정 금액이 60만원 이하이면 골드 등급이 됩니다."}),
    ("FAQ-MEM-003", "실버 등급은 구매 확정 시 결제 금액의 2%가 적립됩니다.", ["실버"], {
        "wrong_number": "실버 등급은 구매 확정 시 결제 금액의 3%가 적립됩니다."}),
    ("FAQ-MEM-004", "VIP 등급은 최근 6개월 구매 확정 금액이 150만원 이상인 경우입니다.", ["VIP"], {
        "wrong_number": "VIP 등급은 최근 6개월 구매 확정 금액이 100만원 이상인 경우입니다.",
        "antonym": "VIP 등급은 최근 6개월 구매 확정 금액이 150만원 미만인 경우입니다."}),
    ("FAQ-MEM-005", "사진을 첨부한 포토 리뷰를 작성하면 1,000원이 적립됩니다.", ["포토"], {
        "wrong_number": "사진을 첨부한 포토 리뷰를 작성하면 2,000원이 적립됩니다.",
        "novel_entity": "포토 리뷰를 작성해 인스타그램에 공유하면 1,000원이 적립됩니다."}),
    ("FAQ-MEM-006", "텍스트 리뷰는 500원이 적립됩니다.", ["텍스트"], {
        "wrong_number": "텍스트 리뷰는 300원이 적립됩니다."}),
    ("FAQ-MEM-007", "적립금의 유효기간은 1년이며 기간이 지난 적립금은 사용할 수 없습니다.", ["유효기간"], {
        "wrong_number": "적립금의 유효기간은 2년이며 기간이 지난 적립금은 사용할 수 없습니다.",
        "wrong_unit": "적립금의 유효기간은 1개월이며 기간이 지난 적립금은 사용할 수 없습니다.",
        "negation": "적립금의 유효기간이 지나도 적립금을 사용할 수 있습니다."}),
    ("FAQ-MEM-008", "적립금은 1,000원 이상부터 사용할 수 있습니다.", ["1,000원"], {
        "wrong_number": "적립금은 5,000원 이상부터 사용할 수 있습니다.",
        "dropped_condition": "적립금은 금액과 관계없이 1원부터 사용할 수 있습니다."}),
    ("FAQ-MEM-008", "결제 금액이 40,000원이라면 적립금은 최대 20,000원까지 사용할 수 있습니다.", ["40,000원"], {
        "wrong_number": "결제 금액이 40,000원이라면 적립금은 최대 30,000원까지 사용할 수 있습니다.",
        "antonym": "결제 금액이 40,000원이라면 적립금은 최소 20,000원 이상 사용해야 합니다."}),
    ("FAQ-MEM-009", "VIP 등급은 구매 확정 시 결제 금액의 5%가 적립됩니다.", ["VIP"], {
        "wrong_number": "VIP 등급은 구매 확정 시 결제 금액의 10%가 적립됩니다.",
        "antonym": "VIP 등급은 결제 즉시 결제 금액의 5%가 적립됩니다."}),
    ("POL-PAYMENT", "5만원 이상 카드 결제 시 2~12개월 할부를 이용할 수 있습니다.", ["할부"], {
        "wrong_number": "3만원 이상 카드 결제 시 2~12개월 할부를 이용할 수 있습니다.",
        "dropped_condition": "카드 결제 시 금액과 관계없이 2~12개월 할부를 이용할 수 있습니다.",
        "novel_entity": "5만원 이상 현대카드 결제 시 2~12개월 무이자 할부를 이용할 수 있습니다."}),
    ("FAQ-PAY-002", "결제 금액이 5만원 미만이면 일시불로만 결제됩니다.", ["일시불"], {
        "negation": "결제 금액이 5만원 미만이어도 할부 결제가 가능합니다."}),
    ("FAQ-PAY-005", "휴대폰 결제의 월 한도는 이용하는 통신사 기준에 따라 정해집니다.", ["휴대폰"], {
        "novel_entity": "휴대폰 결제의 월 한도는 SK텔레콤 기준 50만원입니다."}),
    ("FAQ-PAY-006", "카카오페이, 네이버페이, 토스페이로 결제할 수 있습니다.", ["토스페이"], {
        "novel_entity": "카카오페이, 네이버페이, 토스페이, 페이코로 결제할 수 있습니다.",
        "negation": "토스페이로는 결제할 수 없습니다."}),
    ("POL-DEFECT", "불량·오배송 접수 시 불량 부위나 잘못 받은 상품의 사진을 함께 보내야 합니다.", ["사진"], {
        "novel_entity": "불량·오배송 접수 시 불량 부위 사진을 카카오톡 채널로 함께 보내야 합니다.",
        "negation": "불량·오배송 접수 시 사진은 보내지 않아도 됩니다."}),
    ("FAQ-DEF-004", "단순 변심 반품 기한(수령 후 7일)이 지났더라도 상품 불량은 수령 후 30일 이내라면 접수할 수 있습니다.", ["7일"], {
        "wrong_number": "단순 변심 반품 기한(수령 후 7일)이 지났더라도 상품 불량은 수령 후 20일 이내라면 접수할 수 있습니다.",
        "dropped_condition": "단순 변심 반품도 수령 후 7일이 지났더라도 30일 이내라면 접수할 수 있습니다."}),
    ("FAQ-DEF-006", "1:1 문의는 영업일 기준 24시간 이내에 답변을 받을 수 있습니다.", ["24시간"], {
        "wrong_number": "1:1 문의는 영업일 기준 48시간 이내에 답변을 받을 수 있습니다.",
        "dropped_condition": "1:1 문의는 주말과 공휴일을 포함해 언제든 24시간 이내에 답변을 받을 수 있습니다."}),
    ("POL-INTERNATIONAL", "해외 배송은 22개국에 EMS로 발송합니다.", ["22개국"], {
        "wrong_number": "해외 배송은 30개국에 EMS로 발송합니다.",
        "novel_entity": "해외 배송은 22개국에 EMS와 DHL로 발송합니다."}),
    ("POL-INTERNATIONAL", "해외 배송비는 국가별로 18,000~35,000원입니다.", ["18,000"], {
        "wrong_number": "해외 배송비는 국가별로 12,000~25,000원입니다."}),
    ("FAQ-INT-003", "해외 배송은 출고 후 보통 7~14영업일 내에 도착합니다.", ["7~14영업일"], {
        "wrong_number": "해외 배송은 출고 후 보통 3~5영업일 내에 도착합니다.",
        "wrong_unit": "해외 배송은 출고 후 보통 7~14주 내에 도착합니다."}),
    ("FAQ-INT-004", "해외 배송 시 발생하는 관세와 부가세는 수령인이 부담합니다.", ["관세", "관부가세"], {
        "antonym": "해외 배송 시 발생하는 관세와 부가세는 회사가 부담합니다."}),
    ("FAQ-INT-005", "해외 주문을 단순 변심으로 반품하는 경우 반품 배송비는 고객이 부담합니다.", ["반품"], {
        "antonym": "해외 주문을 단순 변심으로 반품하는 경우 반품 배송비는 회사가 부담합니다.",
        "novel_entity": "해외 주문을 단순 변심으로 반품하는 경우 FedEx로 보내야 하며 반품 배송비는 고객이 부담합니다."}),
    ("POL-COUPON", "신규 가입 회원에게는 최대 10,000원까지 할인되는 10% 할인 쿠폰이 발급됩니다.", ["10%"], {
        "wrong_number": "신규 가입 회원에게는 최대 10,000원까지 할인되는 20% 할인 쿠폰이 발급됩니다.",
        "antonym": "신규 가입 회원에게는 최소 10,000원이 할인되는 10% 할인 쿠폰이 발급됩니다."}),
    ("FAQ-CPN-002", "150,000원 주문에 신규 가입 쿠폰을 쓰면 최대 한도가 적용되어 10,000원이 할인됩니다.", ["150,000원"], {
        "wrong_number": "150,000원 주문에 신규 가입 쿠폰을 쓰면 10%인 15,000원이 할인됩니다."}),
    ("FAQ-CPN-003", "쿠폰은 한 주문에 한 장만 사용할 수 있으며 쿠폰끼리 중복 사용은 불가합니다.", ["중복"], {
        "negation": "쿠폰은 한 주문에 여러 장을 중복 사용할 수 있습니다.",
        "wrong_number": "쿠폰은 한 주문에 두 장까지 사용할 수 있습니다."}),
    ("FAQ-CPN-005", "신규 가입 10% 할인 쿠폰은 발급 후 30일 동안 사용할 수 있습니다.", ["30일"], {
        "wrong_number": "신규 가입 10% 할인 쿠폰은 발급 후 14일 동안 사용할 수 있습니다.",
        "wrong_unit": "신규 가입 10% 할인 쿠폰은 발급 후 30주 동안 사용할 수 있습니다."}),
    ("POL-CS-HOURS", "고객센터는 평일 10:00~17:00에 운영하며 점심시간은 12:30~13:30입니다.", ["10:00"], {
        "wrong_number": "고객센터는 평일 09:00~18:00에 운영하며 점심시간은 12:00~13:00입니다.",
        "dropped_condition": "고객센터는 주말을 포함해 매일 10:00~17:00에 운영합니다."}),
    ("FAQ-CUS-004", "주말과 공휴일은 고객센터 휴무입니다.", ["휴무", "평일", "주말"], {
        "negation": "토요일과 공휴일에도 고객센터가 운영됩니다."}),
    ("FAQ-ACC-002", "상담 도우미는 고객의 개인 주문 정보나 배송 현황을 조회할 수 없습니다.", ["도우미"], {
        "negation": "상담 도우미가 고객의 개인 주문 정보와 배송 현황을 조회해 드릴 수 있습니다."}),
    ("FAQ-ACC-005", "회원정보의 주소와 연락처는 마이페이지 > 회원정보 수정에서 변경할 수 있습니다.", ["회원정보 수정"], {
        "novel_entity": "회원정보의 주소와 연락처는 마이페이지 > 회원정보 수정 또는 카카오톡 채널에서 변경할 수 있습니다."}),
    ("FAQ-CAR-002", "울 니트는 뜨거운 물과 건조기가 수축의 주요 원인이니 피해야 합니다.", ["울"], {
        "negation": "울 니트는 뜨거운 물이나 건조기를 사용해도 수축되지 않습니다."}),
    ("FAQ-CAR-003", "데님은 지퍼와 단추를 잠그고 뒤집은 상태로 찬물에 단독 세탁하면 물빠짐을 줄일 수 있습니다.", ["데님"], {
        "antonym": "데님은 지퍼와 단추를 잠그고 뒤집은 상태로 뜨거운 물에 단독 세탁하면 물빠짐을 줄일 수 있습니다."}),
    ("FAQ-CAR-001", "린넨은 비틀어 짜지 않고 그늘에서 말리는 것이 좋습니다.", ["린넨"], {
        "antonym": "린넨은 비틀어 짠 뒤 햇볕에서 말리는 것이 좋습니다."}),
]


def gen_faq(entries, seed):
    by_id = {e["id"]: e for e in entries}
    by_cat = collections.defaultdict(list)
    for e in entries:
        by_cat[e["category"]].append(e)
    records = []
    per_src = collections.Counter()
    for src, claim, keys, muts in FAQ_FACTS:
        e = by_id[src]
        k = per_src[src]
        per_src[src] += 1
        rng = random.Random(f"{seed}:{src}:{k}")
        others = [x for x in by_cat[e["category"]] if x["id"] != src]
        safe = [x for x in others if not any(key in x["text"] or key in x["title"] for key in keys)]
        if safe:
            d1 = rng.choice(safe)
            d2 = rng.choice([x for x in others if x["id"] != d1["id"]])
        else:
            d1, d2 = rng.sample(others, 2)
        ev = [src, d1["id"], d2["id"]]
        rng.shuffle(ev)
        base_id = f"mut-{src}-fact-{k}"
        common = dict(source="faq", source_id=src, split=split_of(src), lang="ko",
                      evidence_ids=ev, evidence=None, original_id=f"{base_id}-original")
        records.append(dict(id=f"{base_id}-original", claim=cite(claim, [src]), cited=[src],
                            label="supported", mutation="original", **common))
        for kind, sent in muts.items():
            records.append(dict(id=f"{base_id}-{kind}", claim=cite(sent, [src]), cited=[src],
                                label="not_supported", mutation=kind, **common))
        wrong = [d for d in (d1, d2) if d in safe]
        if wrong:
            d = wrong[0]
            records.append(dict(id=f"{base_id}-wrong_citation", claim=cite(claim, [d["id"]]), cited=[d["id"]],
                                label="not_supported", mutation="wrong_citation", **common))
    return records


# --------------------------------------------------------------------------
# DummyJSON (English)
# --------------------------------------------------------------------------

DJ_PRIORITY = ["tops", "mens-shirts", "womens-dresses", "mens-shoes", "womens-shoes", "womens-bags",
               "beauty", "fragrances", "skin-care", "sunglasses", "mens-watches", "womens-watches",
               "womens-jewellery"]
DJ_TARGET = 62


def dj_id(p) -> str:
    return f"dj-{p['id']}"


def dj_money(v: float) -> str:
    return f"${v:,.2f}"


def dj_render(p) -> str:
    d = p["dimensions"]
    lines = [f"Title: {p['title']}"]
    if p.get("brand"):
        lines.append(f"Brand: {p['brand']}")
    lines += [
        f"Category: {p['category']}",
        f"Price: {dj_money(p['price'])}",
        f"Discount: {p['discountPercentage']}%",
        f"Stock: {p['stock']} ({p['availabilityStatus']})",
        f"Warranty: {p['warrantyInformation']}",
        f"Shipping: {p['shippingInformation']}",
        f"Return policy: {p['returnPolicy']}",
        f"Dimensions: {d['width']} x {d['height']} x {d['depth']} cm",
        f"Weight: {p['weight']}",
        f"Description: {p['description']}",
    ]
    return "\n".join(lines)


def _split_amount(s: str):
    """'1 year warranty' -> (1, 'year'); '30 days return policy' -> (30, 'days')."""
    parts = s.split()
    if parts and parts[0].isdigit():
        return int(parts[0]), parts[1]
    return None, None


def _unit(n: int, base: str) -> str:
    """DummyJSON's own spelling: '2 year warranty', '3 months warranty', '1 week warranty'."""
    base = base.rstrip("s")
    return base if n == 1 or base == "year" else base + "s"


class Dummy:
    def __init__(self, products):
        self.products = products
        self.by_cat = collections.defaultdict(list)
        for p in products:
            self.by_cat[p["category"]].append(p)
        self.brands = sorted({p["brand"] for p in products if p.get("brand")})
        self.cats = sorted(self.by_cat)

    def select(self):
        chosen = []
        for c in DJ_PRIORITY:
            chosen += sorted(self.by_cat.get(c, []), key=lambda p: p["id"])
        rest = [c for c in self.cats if c not in DJ_PRIORITY]
        for c in rest:
            if len(chosen) >= DJ_TARGET:
                break
            chosen += sorted(self.by_cat[c], key=lambda p: p["id"])[: DJ_TARGET - len(chosen)]
        return chosen[:DJ_TARGET]

    @staticmethod
    def holds(p, fact):
        t, v = fact["type"], fact["value"]
        if t == "price":
            return p["price"] == v
        if t == "discount":
            return p["discountPercentage"] == v
        if t == "brand":
            return p.get("brand") == v
        if t == "category":
            return p["category"] == v
        if t == "stock_count":
            return p["stock"] == v
        if t == "availability":
            return p["availabilityStatus"] == v
        if t == "warranty":
            return p["warrantyInformation"] == v
        if t == "shipping":
            return p["shippingInformation"] == v
        if t == "return":
            return p["returnPolicy"] == v
        if t == "dimensions":
            d = p["dimensions"]
            return (d["width"], d["height"], d["depth"]) == tuple(v)
        if t == "weight":
            return p["weight"] == v
        raise ValueError(t)

    def facts_for(self, p, rng):
        builders = [self.f_price, self.f_warranty, self.f_shipping, self.f_return, self.f_dimensions,
                    self.f_stock, self.f_category, self.f_discount, self.f_weight]
        if p.get("brand"):
            builders.append(self.f_brand)
        rng.shuffle(builders)
        # prefer the richer fact types first
        rich = {self.f_price, self.f_warranty, self.f_shipping, self.f_return, self.f_dimensions, self.f_brand,
                self.f_stock}
        builders.sort(key=lambda b: 0 if b in rich else 1)
        out = []
        for b in builders:
            r = b(p, rng)
            if r and r[2]:
                out.append(r)
            if len(out) == 3:
                break
        return out

    def _subj(self, p, rng):
        return f"The {p['title']}" if rng.random() < 0.4 else "It"

    def f_price(self, p, rng):
        s = self._subj(p, rng)
        tpl = rng.randrange(2)
        ptext = json.dumps(p)

        def render(v, extra=""):
            if tpl == 0:
                return f"{s} costs {dj_money(v)}{extra}."
            return f"{s} is priced at {dj_money(v)}{extra}."
        price = p["price"]
        factor = rng.choice([1.25, 1.5, 0.7, 2.0])
        wrong = round(int(price * factor) + 0.99, 2)
        if wrong == price:
            wrong = round(price + 10, 2)
        muts = [("wrong_number", render(wrong))]
        ent = rng.choice([" on Amazon", " at Walmart", " at Target"])
        if ent.split()[-1].lower() not in ptext.lower():
            muts.append(("novel_entity", render(price, ent)))
        return {"type": "price", "value": price}, render(price), muts

    def f_discount(self, p, rng):
        s = self._subj(p, rng)
        d = p["discountPercentage"]

        def render(v):
            return f"{s} is discounted by {v}%."
        nd = round(d + rng.choice([5, 7.5, -3]), 2)
        if nd <= 0:
            nd = round(d + 6, 2)
        return {"type": "discount", "value": d}, render(d), [("wrong_number", render(nd))]

    def f_brand(self, p, rng):
        s = self._subj(p, rng)
        b = p["brand"]
        ptext = json.dumps(p).lower()
        tpl = rng.randrange(2)

        def render(x):
            return f"{s} is made by {x}." if tpl == 0 else f"{s} is a {x} product."
        same = sorted({q["brand"] for q in self.by_cat[p["category"]] if q.get("brand")})
        group = sorted({q["brand"] for c in DJ_PRIORITY for q in self.by_cat.get(c, []) if q.get("brand")})
        ok = (lambda x: x != b and x.lower() not in ptext)
        cand = [x for x in same if ok(x)] or ([x for x in group if ok(x)] if p["category"] in DJ_PRIORITY else []) \
            or [x for x in self.brands if ok(x)]
        muts = [("other_attribute", render(rng.choice(cand)))]
        col = rng.choice(["Disney", "Nike", "Supreme", "Hello Kitty"])
        if col.lower() not in ptext:
            muts.append(("novel_entity", f"{s} is made by {b} in collaboration with {col}."))
        return {"type": "brand", "value": b}, render(b), muts

    def f_category(self, p, rng):
        s = self._subj(p, rng)
        c = p["category"]

        def render(x):
            return f"{s} is listed in the {x} category."
        cand = [x for x in self.cats if x != c and not related(x, c)]
        return {"type": "category", "value": c}, render(c), [("other_attribute", render(rng.choice(cand)))]

    def f_stock(self, p, rng):
        s = self._subj(p, rng)
        st, n = p["availabilityStatus"], p["stock"]
        if st == "Out of Stock":
            return ({"type": "availability", "value": st}, f"{s} is currently out of stock.",
                    [("negation", f"{s} is currently in stock.")])
        nn = n + rng.choice([25, 40, 60]) if st == "In Stock" else n + rng.choice([10, 15])
        if st == "Low Stock":
            def render(v):
                return f"Only {v} units of it are left in stock." if s == "It" else \
                    f"Only {v} units of the {p['title']} are left in stock."
        else:
            def render(v):
                return f"{s} is in stock with {v} units available."
        return ({"type": "stock_count", "value": n}, render(n),
                [("wrong_number", render(nn)), ("negation", f"{s} is currently out of stock.")])

    def f_warranty(self, p, rng):
        s = self._subj(p, rng)
        w = p["warrantyInformation"]
        ptext = json.dumps(p).lower()

        def render(x):
            if x == "No warranty":
                return f"{s} comes with no warranty."
            if x == "Lifetime warranty":
                return f"{s} comes with a lifetime warranty."
            return f"{s} comes with a {x}."
        muts = []
        n, unit = _split_amount(w)
        if n is not None:
            nn = {1: 2, 2: 5, 3: 1, 5: 2, 6: 3}.get(n, n + 1)
            muts.append(("wrong_number", render(f"{nn} {_unit(nn, unit)} warranty")))
            nu = {"week": "year", "weeks": "years", "month": "year", "months": "year", "year": "month"}[unit]
            muts.append(("wrong_unit", render(f"{n} {_unit(n, nu)} warranty")))
            muts.append(("negation", render("No warranty")))
        elif w == "No warranty":
            muts.append(("negation", render(rng.choice(["1 year warranty", "2 year warranty", "6 months warranty"]))))
        else:  # Lifetime
            muts.append(("other_attribute", render(rng.choice(["1 year warranty", "3 months warranty"]))))
            muts.append(("negation", render("No warranty")))
        if w != "No warranty" and "best buy" not in ptext:
            muts.append(("novel_entity", render(w)[:-1] + " serviced by Best Buy Geek Squad."))
        return {"type": "warranty", "value": w}, render(w), muts

    def f_shipping(self, p, rng):
        s = self._subj(p, rng)
        sh = p["shippingInformation"]
        ptext = json.dumps(p).lower()

        def render(x):
            return f"{s} {x[0].lower()}{x[1:]}."  # "Ships in 1 week" -> "It ships in 1 week."
        table = {
            "Ships overnight": [("negation", f"{s} does not ship overnight."),
                                ("other_attribute", render("Ships in 2 weeks"))],
            "Ships in 1-2 business days": [("wrong_number", render("Ships in 5-7 business days")),
                                           ("wrong_unit", render("Ships in 1-2 weeks"))],
            "Ships in 3-5 business days": [("wrong_number", render("Ships in 7-10 business days")),
                                           ("wrong_unit", render("Ships in 3-5 weeks"))],
            "Ships in 1 week": [("wrong_number", render("Ships in 3 weeks")),
                                ("wrong_unit", render("Ships in 1 day"))],
            "Ships in 2 weeks": [("wrong_number", render("Ships in 4 weeks")),
                                 ("wrong_unit", render("Ships in 2 days"))],
            "Ships in 1 month": [("wrong_number", render("Ships in 3 months")),
                                 ("wrong_unit", render("Ships in 1 week"))],
        }
        muts = list(table[sh])
        courier = rng.choice(["FedEx", "DHL Express"])
        if courier.split()[0].lower() not in ptext:
            muts.append(("novel_entity", render(sh)[:-1] + f" via {courier}."))
        return {"type": "shipping", "value": sh}, render(sh), muts

    def f_return(self, p, rng):
        s = self._subj(p, rng)
        r = p["returnPolicy"]
        ptext = json.dumps(p).lower()
        tpl = rng.randrange(2)

        def render(n, unit="days"):
            if tpl == 0:
                return f"{s} can be returned within {n} {unit}."
            return f"{s} has a {n}-{unit.rstrip('s')} return policy."
        if r == "No return policy":
            return ({"type": "return", "value": r}, f"{s} has no return policy.",
                    [("negation", render(rng.choice([30, 60])))])
        n, _ = _split_amount(r)
        nn = {7: 14, 30: 45, 60: 90, 90: 120}.get(n, n + 10)
        muts = [("wrong_number", render(nn)), ("wrong_unit", render(n, "weeks")),
                ("negation", f"{s} cannot be returned.")]
        if "walmart" not in ptext:
            muts.append(("novel_entity", render(n)[:-1] + " at any Walmart store."))
        return {"type": "return", "value": r}, render(n), muts

    def f_dimensions(self, p, rng):
        s = self._subj(p, rng)
        d = p["dimensions"]
        w, h, dp = d["width"], d["height"], d["depth"]
        tpl = rng.randrange(2)

        def render(a, b, c, unit="cm"):
            if tpl == 0:
                return f"{s} measures {a} x {b} x {c} {unit}."
            return f"{s} measures {a} {unit} wide, {b} {unit} high and {c} {unit} deep."
        which = rng.randrange(3)
        vals = [w, h, dp]
        vals[which] = round(vals[which] + rng.choice([3.5, 5.2, -2.4]) if vals[which] > 3 else vals[which] + 4.1, 2)
        return ({"type": "dimensions", "value": (w, h, dp)}, render(w, h, dp),
                [("wrong_number", render(*vals)), ("wrong_unit", render(w, h, dp, "inches"))])

    def f_weight(self, p, rng):
        s = self._subj(p, rng)
        wt = p["weight"]

        def render(v):
            return f"{s} has a listed weight of {v}."
        return {"type": "weight", "value": wt}, render(wt), [("wrong_number", render(wt + rng.choice([3, 5, 7])))]


def gen_dummyjson(products, seed):
    dj = Dummy(products)
    records = []
    for p in dj.select():
        pid = dj_id(p)
        rng = random.Random(f"{seed}:{pid}:facts")
        pool = [q for q in dj.by_cat[p["category"]] if q["id"] != p["id"]]
        ds = rng.sample(pool, 2)
        ev_products = [p] + ds
        rng.shuffle(ev_products)
        evidence = [{"id": dj_id(q), "text": dj_render(q)} for q in ev_products]
        tcount = collections.Counter()
        for fact, orig, muts in dj.facts_for(p, rng):
            k = tcount[fact["type"]]
            tcount[fact["type"]] += 1
            base_id = f"mut-{pid}-{fact['type']}-{k}"
            common = dict(source="dummyjson", source_id=pid, split=split_of(pid), lang="en",
                          evidence_ids=None, evidence=evidence, original_id=f"{base_id}-original")
            records.append(dict(id=f"{base_id}-original", claim=cite(orig, [pid]), cited=[pid],
                                label="supported", mutation="original", **common))
            seen = collections.Counter()
            for kind, sent in muts:
                seen[kind] += 1
                suffix = kind if seen[kind] == 1 else f"{kind}{seen[kind]}"
                records.append(dict(id=f"{base_id}-{suffix}", claim=cite(sent, [pid]), cited=[pid],
                                    label="not_supported", mutation=kind, **common))
            # wrong_citation only when the claim's subject is not the source title
            if p["title"] not in orig:
                wrong = [d for d in ds if not Dummy.holds(d, fact)]
                if wrong:
                    d = rng.choice(wrong)
                    records.append(dict(id=f"{base_id}-wrong_citation", claim=cite(orig, [dj_id(d)]),
                                        cited=[dj_id(d)], label="not_supported", mutation="wrong_citation",
                                        **common))
    return records


# --------------------------------------------------------------------------

KEY_ORDER = ["id", "source", "source_id", "split", "lang", "claim", "cited", "evidence_ids", "evidence",
             "label", "mutation", "original_id"]


def _load_jsonl(path: Path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def generate(knowledge_dir: Path, dummyjson_path: Path, seed: int = 13) -> list[dict]:
    knowledge_dir = Path(knowledge_dir)
    products = _load_jsonl(knowledge_dir / "products.jsonl")
    faq = _load_jsonl(knowledge_dir / "faq.jsonl")
    with open(dummyjson_path, encoding="utf-8") as f:
        dj = json.load(f)
    if isinstance(dj, dict):
        dj = dj["products"]
    records = gen_catalog(products, seed) + gen_faq(faq, seed) + gen_dummyjson(dj, seed)
    out = [{k: r[k] for k in KEY_ORDER} for r in records]
    ids = [r["id"] for r in out]
    dup = [i for i, c in collections.Counter(ids).items() if c > 1]
    if dup:
        raise RuntimeError(f"duplicate ids: {dup[:5]}")
    # a mutation must never repeat its original's claim with the same citation
    orig_claim = {r["id"]: r["claim"] for r in out if r["mutation"] == "original"}
    for r in out:
        if r["mutation"] != "original" and r["claim"] == orig_claim[r["original_id"]]:
            raise RuntimeError(f"mutation equal to original: {r['id']}")
    return out


def summary(records) -> str:
    lines = [f"records: {len(records)}"]
    for field in ("source", "split", "lang", "label", "mutation"):
        c = collections.Counter(r[field] for r in records)
        lines.append(f"{field}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items())))
    by = collections.Counter((r["source"], r["mutation"]) for r in records)
    for src in ("catalog", "faq", "dummyjson"):
        lines.append(f"  {src}: " + ", ".join(f"{m}={by[(src, m)]}" for m in ("original",) + MUTATION_KINDS
                                                if by[(src, m)]))
    srcs = collections.Counter((r["source"], r["split"]) for r in records if r["mutation"] == "original")
    lines.append("originals by source/split: " + ", ".join(f"{a}/{b}={v}" for (a, b), v in sorted(srcs.items())))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output JSONL file")
    ap.add_argument("--knowledge", default=str(DEFAULT_KNOWLEDGE))
    ap.add_argument("--dummyjson", default=str(DEFAULT_DUMMYJSON))
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    records = generate(Path(args.knowledge), Path(args.dummyjson), args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(summary(records))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
