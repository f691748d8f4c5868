"""Metadata filters shared by the dense (Chroma ``where``) and BM25 (in Python) sides."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Filters(BaseModel):
    # An unknown key (a typo, "$where") is a 422, not a filter silently ignored.
    model_config = ConfigDict(extra="forbid")

    category: str | None = None
    brand: str | None = None
    kind: str | None = Field(None, description="product | faq | policy | note")
    in_stock: bool | None = None
    price_min: int | None = Field(None, ge=0)
    price_max: int | None = Field(None, ge=0)

    def is_empty(self) -> bool:
        return not self.model_dump(exclude_none=True)

    def to_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        for key in ("category", "brand", "kind", "in_stock"):
            value = getattr(self, key)
            if value is not None:
                clauses.append({key: value})
        if self.price_min is not None:
            clauses.append({"price": {"$gte": self.price_min}})
        if self.price_max is not None:
            clauses.append({"price": {"$lte": self.price_max}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, metadata: dict[str, Any]) -> bool:
        for key in ("category", "brand", "kind", "in_stock"):
            value = getattr(self, key)
            if value is not None and metadata.get(key) != value:
                return False
        price = metadata.get("price")
        if self.price_min is not None and (price is None or price < self.price_min):
            return False
        if self.price_max is not None and (price is None or price > self.price_max):
            return False
        return True
