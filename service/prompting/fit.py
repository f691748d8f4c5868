"""Prompts that fit the model's context window: evidence is left out by rank, never overflowed.

The budget is the context window minus the completion's ``max_tokens`` and a margin.
Pinned passages (the product asked about) always stay; if they alone do not fit, the
request cannot be made and the caller falls back with reason ``context``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from service.llm.tokens import estimate_tokens
from service.prompting.evidence_view import PromptItem

MARGIN_TOKENS = 32


class ContextOverflow(ValueError):
    pass


@dataclass
class FittedPrompt:
    messages: list[dict]
    prompt_tokens: int | None = None  # counted, when the backend counts
    left_out: list[str] = field(default_factory=list)  # evidence ids not shown to the model


def fit_prompt(render: Callable[[list[PromptItem]], list[dict]], items: list[PromptItem],
               count: Callable[[list[dict]], int], budget: int) -> FittedPrompt:
    """Render with as many passages as fit in ``budget`` tokens, dropping the lowest-ranked
    droppable ones first. Counting may be a network call: the number to drop is predicted
    from the estimate scaled to the exact count, then checked."""
    kept = list(items)
    left_out: list[str] = []
    for _ in range(len(items) + 1):
        messages = render(kept)
        tokens = count(messages)
        if tokens <= budget:
            return FittedPrompt(messages, tokens, left_out)
        droppable = [i for i, item in enumerate(kept) if not item.pinned]
        if not droppable:
            raise ContextOverflow(f"prompt needs {tokens} tokens with only the pinned evidence; budget {budget}")
        scale = tokens / max(1, sum(estimate_tokens(m.get("content") or "") for m in messages))
        excess = tokens - budget
        for index in reversed(droppable):
            excess -= scale * estimate_tokens(kept[index].text) + 4
            left_out.append(kept[index].id)
            del kept[index]
            if excess <= 0:
                break
    raise ContextOverflow(f"prompt does not fit {budget} tokens")


def budget_for(context_tokens: int, max_tokens: int) -> int:
    return context_tokens - max_tokens - MARGIN_TOKENS
