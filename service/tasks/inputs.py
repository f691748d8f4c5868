"""Request inputs per task, with the limits the API enforces."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from service.guards.normalize import clean_input

PRODUCT_ID_PATTERN = r"^P\d{3,6}$"


def exact_id(value: object) -> object:
    """An id is taken as written: the models strip whitespace from text, so without this
    "P001\\n" was accepted as P001. Surrounding whitespace or a control character is an error."""
    if isinstance(value, str) and (value != value.strip() or any(not c.isprintable() for c in value)):
        raise ValueError("must not contain spaces, line breaks or control characters")
    return value


ProductId = Annotated[str, BeforeValidator(exact_id),
                      Field(pattern=PRODUCT_ID_PATTERN, examples=["P001"], description="Catalog product id.")]


def _clean_text(value: object) -> object:
    """Zero-width and look-alike characters hid words from retrieval, handoff cues and the
    guards (a question split by zero-width spaces was handed off): gone before length checks."""
    return clean_input(value) if isinstance(value, str) else value


FreeText = Annotated[str, BeforeValidator(_clean_text)]


class TaskInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def free_text_fields(self) -> list[str]:
        """Fields written by people: redacted for PII and screened for injection."""
        return []


class SummaryInput(TaskInput):
    product_id: ProductId


class StylingInput(TaskInput):
    product_id: ProductId
    occasion: FreeText | None = Field(None, min_length=1, max_length=40, examples=["출근"])
    season: Literal["봄", "여름", "가을", "겨울"] | None = Field(None, examples=["가을"])
    budget: int | None = Field(None, ge=1000, le=5_000_000, description="KRW for the added items of one outfit.")

    def free_text_fields(self) -> list[str]:
        return ["occasion"]


class CsAnswerInput(TaskInput):
    question: FreeText = Field(min_length=2, max_length=1000, examples=["사이즈 교환하면 배송비가 얼마인가요?"])
    order_context: FreeText | None = Field(None, max_length=1000, examples=["주문 3일 전, 배송 완료"])

    def free_text_fields(self) -> list[str]:
        return ["question", "order_context"]


INPUT_MODELS: dict[str, type[TaskInput]] = {
    "SummaryInput": SummaryInput,
    "StylingInput": StylingInput,
    "CsAnswerInput": CsAnswerInput,
}
