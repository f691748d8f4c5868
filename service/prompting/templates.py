"""Prompt templates as data (prompts/<task>/): Jinja2 with StrictUndefined.

The reported prompt version is the declared version plus a hash of every
source the rendering depends on (templates, shared partials, params, schema),
so an edited template can never hide behind an old version string.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, meta


@dataclass(frozen=True)
class PromptTemplate:
    task: str
    declared_version: str
    params: dict[str, Any]
    schema: dict[str, Any]
    system_name: str
    user_name: str
    digest: str
    env: Environment

    @property
    def version(self) -> str:
        return f"{self.declared_version}+{self.digest}"

    def render(self, inputs: dict[str, Any], evidence: list[dict[str, str]]) -> list[dict[str, str]]:
        context = {
            "inputs": inputs,
            "evidence": evidence,
            "schema_json": json.dumps(self.schema, ensure_ascii=False),
        }
        return [
            {"role": "system", "content": self.env.get_template(self.system_name).render(context).strip()},
            {"role": "user", "content": self.env.get_template(self.user_name).render(context).strip()},
        ]


class PromptError(ValueError):
    pass


def _sources(env: Environment, root: Path, name: str, seen: set[str]) -> set[str]:
    """The template and every template it includes, recursively."""
    if name in seen:
        return seen
    seen.add(name)
    source = (root / name).read_text(encoding="utf-8")
    for child in meta.find_referenced_templates(env.parse(source)):
        if child:
            _sources(env, root, child, seen)
    return seen


@lru_cache(maxsize=32)
def load_prompt(prompts_dir: Path, task: str) -> PromptTemplate:
    task_dir = prompts_dir / task
    spec_path = task_dir / "prompt.yaml"
    if not spec_path.exists():
        raise PromptError(f"no prompt for task {task!r}: {spec_path} is missing")
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    env = Environment(loader=FileSystemLoader(str(prompts_dir)), undefined=StrictUndefined,
                      autoescape=False, keep_trailing_newline=False)
    system_name, user_name = f"{task}/{spec['system']}", f"{task}/{spec['user']}"
    schema = json.loads((task_dir / spec["schema"]).read_text(encoding="utf-8"))
    files = _sources(env, prompts_dir, system_name, set()) | _sources(env, prompts_dir, user_name, set())
    digest = hashlib.sha256()
    for name in sorted(files) + [f"{task}/prompt.yaml", f"{task}/{spec['schema']}"]:
        digest.update(name.encode())
        digest.update((prompts_dir / name).read_bytes())
    return PromptTemplate(
        task=task, declared_version=str(spec["version"]), params=dict(spec.get("params", {})),
        schema=schema, system_name=system_name, user_name=user_name,
        digest=digest.hexdigest()[:10], env=env,
    )
