"""The task spec: retrieval steps, prompt, guard policy, cache policy (loaded from YAML)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.tasks.inputs import INPUT_MODELS, TaskInput
from service.tasks.validation import SpecError, check_spec

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
    # Labelled lines the prompt shows of each passage (e.g. [가격, 시즌, 재고]); default: all of it.
    prompt_lines: list[str] | None = None


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


class FactField(BaseModel):
    """List items that state one fact each ("key_facts[]": label, value, citation): grounding
    checks "label: value [citation]" as one claim against the cited evidence, so a bare value
    ("19,000원") is read with what it is and where it comes from; a failing item is removed."""

    model_config = ConfigDict(extra="forbid")
    items: str  # e.g. "key_facts[]"
    label: str = "label"
    value: str = "value"
    citation: str = "citation"

    def paths(self) -> list[str]:
        return [f"{self.items}.{name}" for name in (self.label, self.value, self.citation)]


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    prompt: str
    input: str
    retrieval: list[Step]
    text_fields: list[str]  # output fields holding prose that must be grounded
    label_fields: list[str] = Field(default_factory=list)  # short labels: banned words and PII only
    fact_fields: list[FactField] = Field(default_factory=list)  # label/value/citation items, grounded as one claim
    id_fields: list[str] = Field(default_factory=list)  # ids (outfit items): must name retrieved evidence
    guard: GuardPolicy = Field(default_factory=GuardPolicy)
    cache: CachePolicy = Field(default_factory=CachePolicy)
    data: dict[str, Any] = Field(default_factory=dict)  # task-specific tables (complements, handoff cues)

    @property
    def input_model(self) -> type[TaskInput]:
        return INPUT_MODELS[self.input]


def load_specs(spec_dir: Path = SPEC_DIR, prompts_dir: Path | None = None) -> dict[str, TaskSpec]:
    """Every spec, validated against the guards and its prompt's output schema
    (``prompts_dir`` default: the configured one). Raises SpecError."""
    if prompts_dir is None:
        from service.config import get_settings

        prompts_dir = get_settings().prompts_dir
    return _load_specs(Path(spec_dir), Path(prompts_dir))


@lru_cache(maxsize=8)
def _load_specs(spec_dir: Path, prompts_dir: Path) -> dict[str, TaskSpec]:
    specs: dict[str, TaskSpec] = {}
    for path in sorted(spec_dir.glob("*.yaml")):
        spec = _parse(path)
        if spec.name in specs:
            raise SpecError(f"{path}: name: task {spec.name!r} is already defined by another spec")
        check_spec(spec, path, _output_schema(spec, path, prompts_dir))
        specs[spec.name] = spec
    return specs


def _parse(path: Path) -> TaskSpec:
    try:
        spec = TaskSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        raise SpecError(f"{path}: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                                                for e in exc.errors())) from None
    if spec.input not in INPUT_MODELS:
        raise SpecError(f"{path}: input: unknown input model {spec.input!r} (allowed: {', '.join(INPUT_MODELS)})")
    return spec


def _output_schema(spec: TaskSpec, path: Path, prompts_dir: Path) -> dict[str, Any]:
    from service.prompting.templates import PromptError, load_prompt

    try:
        return load_prompt(prompts_dir, spec.prompt).schema
    except (PromptError, OSError, KeyError, ValueError) as exc:
        raise SpecError(f"{path}: prompt: cannot load prompt {spec.prompt!r} from {prompts_dir} ({exc})") from None
