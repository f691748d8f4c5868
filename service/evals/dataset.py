"""Eval data: rubric sets (``evals/rubrics/<task>.yaml``) and cases (``evals/cases/<task>.jsonl``).

Both are validated on load so a typo in a case file fails loudly with its line
number instead of silently scoring nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.config import PROJECT_ROOT

EVALS_DIR = PROJECT_ROOT / "evals"
TASKS = ("summary", "styling", "cs_answer")


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,80}$")
    inputs: dict[str, Any]  # exactly what Pipeline.run takes for the task
    must_include: list[str] = Field(default_factory=list)  # facts, matched with number/unit normalisation
    must_not_include: list[str] = Field(default_factory=list)
    expect_handoff: bool | None = None  # True: should refuse / hand over; None: either is fine
    reference: str | None = None  # a good answer, for similarity
    tags: list[str] = Field(default_factory=list)
    source: dict[str, Any] | None = None  # provenance of draft cases (feedback id, request id)


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    description: str
    weight: float = Field(1.0, ge=0)
    scorer: str
    threshold: float = Field(ge=0, le=1)  # pass bar for the criterion's mean over cases
    gate: bool = True
    tolerance: float = Field(0.0, ge=0, le=1)  # allowed drop against the baseline mean
    params: dict[str, Any] = Field(default_factory=dict)


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    task: str
    description: str = ""
    criteria: list[Criterion]


class DataError(ValueError):
    pass


def load_rubric(task: str, root: Path = EVALS_DIR) -> Rubric:
    path = root / "rubrics" / f"{task}.yaml"
    if not path.exists():
        raise DataError(f"{path}: no rubric for task {task!r}")
    try:
        rubric = Rubric.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise DataError(f"{path}: {exc}") from None
    from service.evals.scorers import SCORERS  # late: scorers import the heavy NLP modules

    unknown = [c.scorer for c in rubric.criteria if c.scorer not in SCORERS]
    if unknown:
        raise DataError(f"{path}: unknown scorer(s) {unknown}; known: {sorted(SCORERS)}")
    return rubric


def load_cases(task: str, root: Path = EVALS_DIR, limit: int | None = None) -> list[Case]:
    path = root / "cases" / f"{task}.jsonl"
    if not path.exists():
        raise DataError(f"{path}: no cases for task {task!r}")
    return read_cases(path, limit)


def read_cases(path: Path, limit: int | None = None) -> list[Case]:
    cases, seen = [], set()
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = Case.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise DataError(f"{path}:{line_no}: {exc}") from None
        if case.id in seen:
            raise DataError(f"{path}:{line_no}: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
        if limit is not None and len(cases) >= limit:
            break
    return cases
