"""Runs a task's retrieval steps and returns the evidence for one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import Environment, StrictUndefined

from service.retrieval.filters import Filters
from service.retrieval.hybrid import Hit, HybridRetriever
from service.tasks.spec import Step, TaskSpec

_jinja = Environment(undefined=StrictUndefined, autoescape=False)


class NotFound(LookupError):
    """A required document (e.g. the requested product) does not exist."""


@dataclass
class EvidenceSet:
    steps: dict[str, list[Hit]] = field(default_factory=dict)
    insufficient: bool = False
    reason: str | None = None

    @property
    def hits(self) -> list[Hit]:
        """All evidence, first occurrence kept, in step order."""
        seen, out = set(), []
        for hits in self.steps.values():
            for hit in hits:
                if hit.id not in seen:
                    seen.add(hit.id)
                    out.append(hit)
        return out

    def by_id(self) -> dict[str, Hit]:
        return {h.id: h for h in self.hits}


@lru_cache(maxsize=256)
def _compiled(template: str):
    return _jinja.from_string(template)  # compiling costs ~1 ms; specs have a handful of templates


def _render(template: str, context: dict[str, Any]) -> str:
    return _compiled(template).render(context).strip()


def collect(spec: TaskSpec, inputs: dict[str, Any], retriever: HybridRetriever) -> EvidenceSet:
    evidence = EvidenceSet()
    context: dict[str, Any] = {"inputs": inputs}
    for step in spec.retrieval:
        hits, reason = _run_step(step, spec, context, retriever)
        if step.get and step.required and not hits:
            raise NotFound(f"{step.collection} has no document {_render(step.get, context)!r}")
        if step.require_in_stock and hits and not hits[0].metadata.get("in_stock", True):
            reason = f"{hits[0].id} is sold out in every size"
        if reason and (step.gate or step.required or step.require_in_stock):
            evidence.insufficient, evidence.reason = True, f"{step.name}: {reason}"
        evidence.steps[step.name] = hits
        context[step.name] = hits[0] if step.get and hits else hits
    return evidence


def _run_step(step: Step, spec: TaskSpec, context: dict[str, Any], retriever: HybridRetriever) -> tuple[list[Hit], str | None]:
    if step.get:
        doc_id = _render(step.get, context)
        hit = retriever.get(step.collection, doc_id) if doc_id else None
        return ([hit] if hit else []), (None if hit else f"no document {doc_id!r}")
    query = " ".join(_render(step.query or "", context).split())
    filters = {k: _render(v, context) if isinstance(v, str) else v for k, v in step.filters.items()}
    filters = {k: v for k, v in filters.items() if v not in ("", None)}
    if not step.each_category:
        result = retriever.search(query, [step.collection], k=step.k, filters=Filters(**filters), min_evidence=step.min_evidence)
        return result.hits, result.reason if result.insufficient else None
    anchor = context["product"]
    hits: list[Hit] = []
    for category in spec.data[step.each_category].get(anchor.metadata["category"], []):
        result = retriever.search(query, [step.collection], k=step.k,
                                  filters=Filters(**filters, category=category), min_evidence=step.min_evidence)
        hits += result.hits
    return hits, None if hits else "no matching documents"
