"""Outfits from in-stock complementary catalog products and the style guides."""

from __future__ import annotations

from typing import Any

from service.llm.offline.common import Evidence, cite, sentences

MAX_OUTFITS = 3
ITEMS_PER_OUTFIT = 2  # added to the anchor product, when the catalog has them
MIN_ADDED = 1


def compose(inputs: dict[str, Any], evidence: Evidence, data: dict[str, Any]) -> dict[str, Any]:
    anchor = evidence["product"][0]
    if not anchor.metadata.get("in_stock"):
        return {"outfits": []}
    guides = evidence.get("guides", [])
    by_category: dict[str, list] = {}
    for hit in evidence.get("candidates", []):
        if hit.id != anchor.id and hit.metadata.get("in_stock"):
            by_category.setdefault(hit.metadata["category"], []).append(hit)
    order = [c for c in data["complements"].get(anchor.metadata["category"], []) if by_category.get(c)]
    budget = inputs.get("budget")
    used: set[str] = set()
    outfits = []
    for i in range(MAX_OUTFITS):
        items = _pick(order[i:] + order[:i], by_category, used, budget)
        if len(items) < MIN_ADDED or not guides:
            break
        used.update(h.id for h in items)
        guide = guides[i % len(guides)]
        outfits.append({
            # The guide's title, not the customer's words: free text never lands in our copy.
            "title": f"코디 {i + 1}: {guide.title}",
            "items": [anchor.id] + [h.id for h in items],
            "reason": cite(_first_sentence(guide), guide.id),
        })
    return {"outfits": outfits}


def _pick(categories: list[str], by_category: dict[str, list], used: set[str], budget: int | None) -> list:
    chosen, spent = [], 0
    for category in categories:
        for hit in by_category[category]:
            price = int(hit.metadata.get("price", 0))
            if hit.id in used or (budget is not None and spent + price > budget):
                continue
            chosen.append(hit)
            spent += price
            break
        if len(chosen) == ITEMS_PER_OUTFIT:
            break
    return chosen


def _first_sentence(guide) -> str:
    body = guide.text[len(guide.title):].strip() if guide.text.startswith(guide.title) else guide.text
    return (sentences(body) or [guide.title])[0]
