"""The task spec: retrieval steps, prompt, guard policy, cache policy (loaded from YAML)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from service.tasks.inputs import INPUT_MODELS, TaskInput

SPEC_DIR = Path(__file__).parent / "specs"


class Step(BaseModel):
    """One retrieval step. Strings are Jinja templates over ``inputs`` and earlier steps."""

    model_config = ConfigDict(extra="forbid")
    name: str
    collection: str
    get: str | None = None  # fetch one document by id
    query: str | None = None  # hybrid search
    k: int = 5
    filters: dict[str, Any] = Field(default_factory=dict)
    each_category: str | None = None  # name of a spec.data map: anchor category -> categories
    required: bool = False  # a missing document is a 404 (get) or no answer (query)
    gate: bool = False  # insufficient evidence here means "no evidence, no answer"
    require_in_stock: bool = False  # a fetched product sold out in every size means no answer
    min_evidence: float | None = None


class GuardPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    input_checks: list[str] = Field(default_factory=lambda: ["pii"])
    output_checks: list[str] = Field(default_factory=lambda: ["banned_words", "pii", "grounding"])
    on_fail: dict[str, Literal["fix", "reask", "refrain"]] = Field(default_factory=dict)
    max_reasks: int = 1


class CachePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ttl_s: int = 86400
    semantic: bool = False


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    prompt: str
    input: str
    retrieval: list[Step]
    text_fields: list[str]  # output fields holding prose that must be grounded
    label_fields: list[str] = Field(default_factory=list)  # short labels: banned words and PII only
    guard: GuardPolicy = Field(default_factory=GuardPolicy)
    cache: CachePolicy = Field(default_factory=CachePolicy)
    data: dict[str, Any] = Field(default_factory=dict)  # task-specific tables (complements, handoff cues)

    @property
    def input_model(self) -> type[TaskInput]:
        return INPUT_MODELS[self.input]


@lru_cache(maxsize=1)
def load_specs(spec_dir: Path = SPEC_DIR) -> dict[str, TaskSpec]:
    specs = {}
    for path in sorted(spec_dir.glob("*.yaml")):
        spec = TaskSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        specs[spec.name] = spec
    return specs
