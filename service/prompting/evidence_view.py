"""The evidence as the prompt shows it: in rank order, pinned or droppable, full or compact.

A step's ``prompt_lines`` (spec data) keeps only the labelled lines a task needs from
each passage: a styling candidate needs its price, season and stock, not its size
chart and reviews. The lines are kept verbatim, so what the model reads is still
evidence the guards check against.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.evidence import EvidenceSet
from service.tasks.spec import TaskSpec


@dataclass(frozen=True)
class PromptItem:
    id: str
    title: str
    text: str
    pinned: bool  # fetched by id (the product asked about): never left out to fit the context

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "title": self.title, "text": self.text}


def prompt_items(spec: TaskSpec, evidence: EvidenceSet) -> list[PromptItem]:
    """Every passage once, in step order and rank order within a step."""
    seen: set[str] = set()
    items: list[PromptItem] = []
    steps = {s.name: s for s in spec.retrieval}
    for name, hits in evidence.steps.items():
        step = steps.get(name)
        labels = step.prompt_lines if step is not None else None
        for hit in hits:
            if hit.id in seen:
                continue
            seen.add(hit.id)
            text = compact(hit.text, labels) if labels else hit.text
            items.append(PromptItem(hit.id, hit.title, text, pinned=bool(step and step.get)))
    return items


def compact(text: str, labels: list[str]) -> str:
    """The passage's first line (its name) and the lines whose label is listed ("가격: ...",
    "브랜드: ... / 카테고리: ..." counts for 브랜드)."""
    lines = text.splitlines()
    kept = lines[:1] + [line for line in lines[1:] if line.split(":", 1)[0].strip() in labels]
    return "\n".join(kept)
