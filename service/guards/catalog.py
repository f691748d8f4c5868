"""Catalog check for outfit suggestions: every item is a retrieved, in-stock product.

An LLM may name a product id it invented, one that sold out, or one that was
not among the retrieved candidates; none of those may reach a customer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from guardrails.validators import FailResult, PassResult, Validator, register_validator

MIN_ITEMS = 2


@dataclass(frozen=True)
class CatalogProblem:
    outfit: int
    item: str
    reason: str  # "unknown" | "out of stock"


def find_problems(outfits: list[dict[str, Any]], in_stock: set[str], known: set[str]) -> list[CatalogProblem]:
    problems = []
    for n, outfit in enumerate(outfits):
        for item in outfit.get("items", []):
            if item not in known:
                problems.append(CatalogProblem(n, item, "unknown"))
            elif item not in in_stock:
                problems.append(CatalogProblem(n, item, "out of stock"))
    return problems


def without_problems(outfits: list[dict[str, Any]], problems: list[CatalogProblem]) -> list[dict[str, Any]]:
    """Drop bad items; an outfit left with fewer than two items is dropped whole."""
    bad = {(p.outfit, p.item) for p in problems}
    kept = []
    for n, outfit in enumerate(outfits):
        items = [i for i in outfit.get("items", []) if (n, i) not in bad]
        if len(items) >= MIN_ITEMS:
            kept.append({**outfit, "items": items})
    return kept


@register_validator(name="commerce-guard/catalog", data_type="string")
class CatalogItems(Validator):
    """Validates the JSON list of outfits against metadata ``in_stock_ids`` and ``known_ids``."""

    def _validate(self, value: Any, metadata: dict[str, Any]) -> PassResult | FailResult:
        outfits = json.loads(value) if isinstance(value, str) else value
        problems = find_problems(outfits, set(metadata.get("in_stock_ids", ())), set(metadata.get("known_ids", ())))
        metadata.setdefault("details", {})["catalog"] = [p.__dict__ for p in problems]
        if not problems:
            return PassResult()
        fixed = without_problems(outfits, problems)
        listed = ", ".join(f"{p.item} ({p.reason})" for p in problems)
        return FailResult(error_message=f"items not in stock or not in the catalog: {listed}",
                          fix_value=json.dumps(fixed, ensure_ascii=False))
