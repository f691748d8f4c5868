"""Schemas of the knowledge records (see knowledge/README.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CATEGORIES = (
    "tops", "shirts", "knitwear", "bottoms", "skirts", "dresses",
    "outerwear", "shoes", "bags", "accessories", "innerwear", "sportswear",
)
RETURN_POLICIES = ("standard", "final_sale", "hygiene", "made_to_order")
SEASONS = ("봄", "여름", "가을", "겨울", "사계절")

# Feature vocabulary: key -> (Korean label, English label).
FEATURES: dict[str, tuple[str, str]] = {
    "waterproof": ("방수", "waterproof"),
    "water_repellent": ("생활방수(발수)", "water-repellent"),
    "windproof": ("방풍", "windproof"),
    "stretch": ("신축성", "stretch"),
    "lining": ("안감", "lining"),
    "see_through": ("비침", "see-through"),
    "pockets": ("주머니", "pockets"),
    "machine_washable": ("세탁기 사용", "machine washable"),
    "wrinkle_resistant": ("구김 방지", "wrinkle-resistant"),
    "fleece_lined": ("기모", "fleece-lined"),
    "uv_protection": ("자외선 차단", "UV protection"),
    "adjustable_strap": ("길이 조절 스트랩", "adjustable strap"),
    "zipper_closure": ("지퍼 여밈", "zipper closure"),
    "breathable": ("통기성", "breathable"),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Material(Strict):
    name: str = Field(min_length=1)
    percent: int = Field(gt=0, le=100)


class Size(Strict):
    size: str = Field(min_length=1)
    measurements_cm: dict[str, float]


class Review(Strict):
    rating: int = Field(ge=1, le=5)
    text: str = Field(min_length=1)
    size_bought: str | None = None


class ProductRecord(Strict):
    id: str = Field(pattern=r"^P\d{3,}$")
    name: str = Field(min_length=1)
    name_en: str = ""
    brand: str = Field(min_length=1)
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    gender: Literal["women", "men", "unisex"]
    price: int = Field(gt=0)
    sale_price: int | None = Field(None, gt=0)
    materials: list[Material] = Field(min_length=1)
    fit: str
    sizes: list[Size] = Field(min_length=1)
    colors: list[str] = Field(min_length=1)
    care: list[str]
    season: list[Literal[SEASONS]]  # type: ignore[valid-type]
    stock: dict[str, int]
    shipping_days: int = Field(ge=0, le=60)
    return_policy: Literal[RETURN_POLICIES]  # type: ignore[valid-type]
    features: dict[str, bool]
    description: str = Field(min_length=1)
    reviews: list[Review] = Field(default_factory=list, max_length=5)
    tags: list[str] = Field(default_factory=list)

    @field_validator("materials")
    @classmethod
    def _percent_sum(cls, materials: list[Material]) -> list[Material]:
        total = sum(m.percent for m in materials)
        if total != 100:
            raise ValueError(f"material percentages add up to {total}, not 100")
        return materials

    @field_validator("features")
    @classmethod
    def _known_features(cls, features: dict[str, bool]) -> dict[str, bool]:
        unknown = sorted(set(features) - set(FEATURES))
        if unknown:
            raise ValueError(f"unknown feature(s) {unknown}; known: {sorted(FEATURES)}")
        return features

    @model_validator(mode="after")
    def _consistent(self) -> "ProductRecord":
        if self.sale_price is not None and self.sale_price >= self.price:
            raise ValueError("sale_price must be lower than price")
        size_names = {s.size for s in self.sizes}
        if set(self.stock) != size_names:
            raise ValueError(f"stock keys {sorted(self.stock)} differ from sizes {sorted(size_names)}")
        if any(v < 0 for v in self.stock.values()):
            raise ValueError("stock cannot be negative")
        return self

    @property
    def effective_price(self) -> int:
        return self.sale_price if self.sale_price is not None else self.price

    @property
    def in_stock(self) -> bool:
        return any(v > 0 for v in self.stock.values())


class FaqRecord(Strict):
    id: str = Field(min_length=1)
    kind: Literal["faq", "policy"]
    category: str = Field(min_length=1)
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)


class GenericRecord(Strict):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=200)
    title: str = ""
    text: str = Field(min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)
