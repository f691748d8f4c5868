"""Request inputs per task, with the limits the API enforces."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ProductId = Field(pattern=r"^P\d{3,6}$", examples=["P001"], description="Catalog product id.")


class TaskInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def free_text_fields(self) -> list[str]:
        """Fields written by people: redacted for PII and screened for injection."""
        return []


class SummaryInput(TaskInput):
    product_id: str = ProductId


class StylingInput(TaskInput):
    product_id: str = ProductId
    occasion: str | None = Field(None, min_length=1, max_length=40, examples=["출근"])
    season: Literal["봄", "여름", "가을", "겨울"] | None = Field(None, examples=["가을"])
    budget: int | None = Field(None, ge=1000, le=5_000_000, description="KRW for the added items of one outfit.")

    def free_text_fields(self) -> list[str]:
        return ["occasion"]


class CsAnswerInput(TaskInput):
    question: str = Field(min_length=2, max_length=1000, examples=["사이즈 교환하면 배송비가 얼마인가요?"])
    order_context: str | None = Field(None, max_length=1000, examples=["주문 3일 전, 배송 완료"])

    def free_text_fields(self) -> list[str]:
        return ["question", "order_context"]


INPUT_MODELS: dict[str, type[TaskInput]] = {
    "SummaryInput": SummaryInput,
    "StylingInput": StylingInput,
    "CsAnswerInput": CsAnswerInput,
}
