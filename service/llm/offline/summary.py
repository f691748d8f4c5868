"""Product summary from the structured attributes and review highlights."""

from __future__ import annotations

from typing import Any

from service.llm.offline.common import Evidence, cite, josa, product_of, sentences
from service.retrieval.records import FEATURES
from service.retrieval.render import CATEGORY_LABELS, RETURN_POLICY_LABELS, won


def compose(inputs: dict[str, Any], evidence: Evidence, data: dict[str, Any]) -> dict[str, Any]:
    hit = evidence["product"][0]
    p, pid = product_of(hit), hit.id
    policy_ids = [h.id for h in evidence.get("return_policy", [])]
    materials = ", ".join(f"{m.name} {m.percent}%" for m in p.materials)

    parts = [cite(f"{josa(p.name, '은', '는')} {p.brand}의 {CATEGORY_LABELS[p.category]} 상품으로, "
                  f"소재는 {materials}이며 {p.fit}입니다.", pid)]
    if p.sale_price is not None:
        parts.append(cite(f"가격은 {won(p.price)}이며 현재 할인가 {won(p.sale_price)}에 판매 중입니다.", pid))
    else:
        parts.append(cite(f"가격은 {won(p.price)}입니다.", pid))
    feature_sentence = _features(p.features)
    if feature_sentence:
        parts.append(cite(feature_sentence, pid))
    parts.append(cite(f"결제 후 {p.shipping_days}영업일 이내 출고되며, 반품 정책은 {RETURN_POLICY_LABELS[p.return_policy]}입니다.",
                      pid, *policy_ids))
    best = max(p.reviews, key=lambda r: (r.rating, -len(r.text)), default=None)
    if best is not None and len(parts) < 5:
        # One sentence of the review, in the evidence's own form: quoting a whole review
        # would split into fragments that no longer say who said what.
        parts.append(cite(f"구매 고객 리뷰(★{best.rating}): {sentences(best.text)[0]}", pid))
    elif p.care and len(parts) < 5:
        parts.append(cite(f"세탁/관리는 {', '.join(p.care)} 기준을 따라 주세요.", pid))

    facts = [
        {"label": "소재", "value": materials, "citation": pid},
        {"label": "핏", "value": p.fit, "citation": pid},
        {"label": "가격", "value": won(p.sale_price or p.price) + (" (할인가)" if p.sale_price else ""), "citation": pid},
        {"label": "배송", "value": f"결제 후 {p.shipping_days}영업일 이내 출고", "citation": pid},
        # the record names the policy class; the policy text elaborates on it, in other words
        {"label": "반품", "value": RETURN_POLICY_LABELS[p.return_policy], "citation": pid},
    ]
    if p.care:
        facts.insert(2, {"label": "세탁", "value": ", ".join(p.care), "citation": pid})
    return {"summary": " ".join(parts), "key_facts": facts}


def _features(features: dict[str, bool]) -> str:
    """Each feature with its own polarity, in the evidence's own "label: 있음/없음" form:
    a list sharing one predicate ("A, B 있으며, C 없습니다") leaves the negation's scope
    ambiguous for a reader and for the grounding check."""
    if not features:
        return ""
    return "기능 정보는 " + ", ".join(f"{FEATURES[k][0]}: {'있음' if v else '없음'}" for k, v in features.items()) + "입니다."
