"""LLM-as-judge: a rubric prompt through the container's LLM backend, sampled n times.

Sampling is the point (a judge's spread says how much to trust its mean), so
this scorer is never deterministic and never gates by default; it is skipped
when no endpoint is configured.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, StrictUndefined

from service.llm.base import LLMError, LLMRequest

DEFAULT_PROMPT = """\
You grade one output of a guarded assistant of a Korean fashion marketplace (task: {{ task }}).
Criterion: {{ criterion }}
Score 1 (fails the criterion) to 5 (fully meets it). Judge only against the evidence below;
anything not in the evidence counts as invented.

Inputs:
{{ inputs }}

Evidence:
{% for e in evidence %}[{{ e.id }}] {{ e.text }}
{% else %}(none: the right behaviour is to hand over or refuse)
{% endfor %}
Output:
{{ output }}

Reply with JSON only: {"score": <1-5>, "reason": "<one sentence>"}"""

SCHEMA = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5},
                                           "reason": {"type": "string"}}, "required": ["score"]}
_SCORE = re.compile(r'"score"\s*:\s*([1-5])')
_jinja = Environment(undefined=StrictUndefined, autoescape=False)


@dataclass
class Verdict:
    mean: float | None  # 0..1 (score 1 -> 0, 5 -> 1)
    spread: float | None  # max - min of the normalised samples
    samples: list[float]
    errors: list[str]


def render(template: str | None, **values: Any) -> str:
    return _jinja.from_string(template or DEFAULT_PROMPT).render(**values)


def judge(llm, prompt: str, n: int = 3, temperature: float = 0.7, max_tokens: int = 200) -> Verdict:
    samples, errors = [], []
    for i in range(n):
        request = LLMRequest(messages=[{"role": "user", "content": prompt}], json_schema=SCHEMA,
                             temperature=temperature, max_tokens=max_tokens, seed=i,
                             purpose="eval_judge")
        try:
            text = llm.generate(request).text
        except LLMError as exc:
            errors.append(exc.kind)
            continue
        score = _parse(text)
        if score is None:
            errors.append("unparsable")
            continue
        samples.append((score - 1) / 4)
    if not samples:
        return Verdict(None, None, [], errors)
    return Verdict(round(statistics.fmean(samples), 4), round(max(samples) - min(samples), 4), samples, errors)


def _parse(text: str) -> int | None:
    try:
        value = json.loads(text).get("score")
        return int(value) if int(value) in range(1, 6) else None
    except (ValueError, TypeError, AttributeError):
        m = _SCORE.search(text or "")
        return int(m.group(1)) if m else None
