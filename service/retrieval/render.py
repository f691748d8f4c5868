"""Render structured records as the evidence text that is indexed and cited.

The text states every fact explicitly (negative features too: "방수: 없음"),
because the grounding guard can only support claims that the evidence says.
"""

from __future__ import annotations

import json

from service.retrieval.document import Document
from service.retrieval.records import FEATURES, FaqRecord, ProductRecord

RETURN_POLICY_LABELS = {
    "standard": "일반 반품 규정(수령 후 7일 이내)",
    "final_sale": "파이널 세일(단순 변심 반품·교환 불가)",
    "hygiene": "위생 상품(착용·택 제거 시 반품 불가)",
    "made_to_order": "주문 제작(제작 시작 후 취소·단순 변심 반품 불가)",
}
CATEGORY_LABELS = {
    "tops": "상의", "shirts": "셔츠/블라우스", "knitwear": "니트", "bottoms": "하의/팬츠",
    "skirts": "스커트", "dresses": "원피스", "outerwear": "아우터", "shoes": "신발",
    "bags": "가방", "accessories": "액세서리", "innerwear": "이너웨어", "sportswear": "스포츠웨어",
}
POLICY_DOC_IDS = {
    "standard": "POL-RETURN-STANDARD",
    "final_sale": "POL-RETURN-FINAL-SALE",
    "hygiene": "POL-RETURN-HYGIENE",
    "made_to_order": "POL-RETURN-MADE-TO-ORDER",
}


def won(amount: int) -> str:
    return f"{amount:,}원"


def product_lines(p: ProductRecord) -> list[str]:
    """One fact per line, in a fixed order (the composer cites these lines)."""
    sizes = "; ".join(
        f"{s.size}(" + ", ".join(f"{k} {v:g}" + ("mm" if k == "발길이" else "cm") for k, v in s.measurements_cm.items()) + ")"
        for s in p.sizes
    )
    stock = ", ".join(f"{size} {n}개" if n > 0 else f"{size} 품절" for size, n in p.stock.items())
    features = ", ".join(f"{FEATURES[k][0]}: {'있음' if v else '없음'}" for k, v in p.features.items())
    price = f"가격: {won(p.price)}"
    if p.sale_price is not None:
        price += f", 할인가 {won(p.sale_price)}"
    lines = [
        f"{p.name} ({p.name_en})" if p.name_en else p.name,
        f"브랜드: {p.brand} / 카테고리: {CATEGORY_LABELS[p.category]}",
        price,
        "소재: " + ", ".join(f"{m.name} {m.percent}%" for m in p.materials),
        f"핏: {p.fit}",
        f"색상: {', '.join(p.colors)}",
        f"사이즈 실측: {sizes}",
        f"재고: {stock}" + ("" if p.in_stock else " (전 사이즈 품절)"),
        f"세탁/관리: {', '.join(p.care)}" if p.care else "세탁/관리: 정보 없음",
        f"시즌: {', '.join(p.season)}",
        f"기능: {features}" if features else "",
        f"출고: 결제 후 {p.shipping_days}영업일 이내 출고",
        f"반품 정책: {RETURN_POLICY_LABELS[p.return_policy]}",
        f"설명: {p.description}",
    ]
    lines += [f"리뷰(★{r.rating}): {r.text}" for r in p.reviews]
    return [line for line in lines if line]


def render_product(p: ProductRecord, collection: str = "products") -> Document:
    metadata = {
        "kind": "product",
        "category": p.category,
        "brand": p.brand,
        "gender": p.gender,
        "price": p.effective_price,
        "list_price": p.price,
        "on_sale": p.sale_price is not None,
        "in_stock": p.in_stock,
        "season": ",".join(p.season),
        "return_policy": p.return_policy,
        "policy_doc": POLICY_DOC_IDS[p.return_policy],
        "category_label": CATEGORY_LABELS[p.category],
        "record": p.model_dump_json(),
    }
    return Document(p.id, collection, p.name, "\n".join(product_lines(p)), metadata)


def render_faq(r: FaqRecord, collection: str = "faq") -> Document:
    metadata = {"kind": r.kind, "category": r.category, "tags": ",".join(r.tags)}
    return Document(r.id, collection, r.title, f"{r.title}\n{r.text}", metadata)


def product_from_metadata(metadata: dict) -> ProductRecord:
    return ProductRecord.model_validate(json.loads(metadata["record"]))
