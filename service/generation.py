"""Generation: the configured LLM when there is one, the offline composer otherwise
or when the LLM fails. Either way the output is parsed and schema-checked here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from service.envelope import BackendInfo, Usage
from service.evidence import EvidenceSet
from service.llm import offline
from service.llm.base import LLMBackend, LLMError, LLMRequest
from service.prompting.templates import PromptTemplate
from service.tasks.spec import TaskSpec


@dataclass
class Generation:
    output: dict[str, Any]
    backend: BackendInfo
    usage: Usage = field(default_factory=Usage)
    messages: list[dict] | None = None  # what the LLM saw (for a reask)
    raw_text: str | None = None

    @property
    def from_llm(self) -> bool:
        return self.messages is not None


class InvalidOutput(ValueError):
    pass


class Generator:
    def __init__(self, llm: LLMBackend | None, prices: dict[str, tuple[float, float]]):
        self.llm = llm
        self.prices = prices

    @property
    def info(self) -> BackendInfo:
        if self.llm is None:
            return BackendInfo(name=offline.NAME, model=offline.MODEL)
        return BackendInfo(name=self.llm.name, model=self.llm.model)

    def generate(self, spec: TaskSpec, prompt: PromptTemplate, inputs: dict[str, Any], evidence: EvidenceSet,
                 *, skip_llm: str | None = None) -> Generation:
        """``skip_llm`` names why the LLM must not be called (no evidence, budget spent)."""
        if self.llm is None or skip_llm:
            return self.compose(spec, inputs, evidence, reason=skip_llm)
        messages = prompt.render(inputs, [_evidence_item(h) for h in evidence.hits])
        return self._call(spec, prompt, messages, inputs, evidence)

    def reask(self, spec: TaskSpec, prompt: PromptTemplate, previous: Generation, feedback: str,
              inputs: dict[str, Any], evidence: EvidenceSet) -> Generation:
        messages = list(previous.messages or []) + [
            {"role": "assistant", "content": previous.raw_text or json.dumps(previous.output, ensure_ascii=False)},
            {"role": "user", "content": "검증에서 다음 문제가 발견되었습니다. 근거에 있는 내용만으로 다시 작성하세요.\n" + feedback},
        ]
        return self._call(spec, prompt, messages, inputs, evidence)

    def compose(self, spec: TaskSpec, inputs: dict[str, Any], evidence: EvidenceSet, reason: str | None) -> Generation:
        output = offline.compose(spec.name, inputs, evidence.steps, spec.data)
        fallback = self.llm is not None
        return Generation(output, BackendInfo(name=offline.NAME, model=offline.MODEL, fallback=fallback,
                                              fallback_reason=reason if fallback else None))

    def _call(self, spec, prompt, messages, inputs, evidence) -> Generation:
        params = prompt.params
        request = LLMRequest(messages=messages, json_schema=prompt.schema,
                             temperature=float(params.get("temperature", 0.0)), max_tokens=int(params.get("max_tokens", 800)))
        try:
            result = self.llm.generate(request)
            output = _vetted_handoff(spec, parse_output(result.text, prompt.schema))
        except LLMError as exc:
            return self.compose(spec, inputs, evidence, reason=f"llm error: {exc.kind}")
        except InvalidOutput as exc:
            return self.compose(spec, inputs, evidence, reason=f"invalid llm output: {exc}")
        usage = Usage(prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                      cost=self.cost(result.model or self.llm.model, result.prompt_tokens, result.completion_tokens))
        return Generation(output, BackendInfo(name=self.llm.name, model=result.model or self.llm.model),
                          usage, messages=messages, raw_text=result.text)

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int, discount: float = 1.0) -> float:
        price_in, price_out = self.prices.get(model, (0.0, 0.0))
        return round((prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000 * discount, 8)


def parse_output(text: str, schema: dict) -> dict[str, Any]:
    try:
        output = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidOutput(f"not JSON ({exc.msg} at {exc.pos})") from None
    errors = sorted(Draft202012Validator(schema).iter_errors(output), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        raise InvalidOutput(f"schema: {where}: {first.message[:200]}")
    return output


def _vetted_handoff(spec: TaskSpec, output: dict[str, Any]) -> dict[str, Any]:
    """A handoff carries the task's vetted reply, never text the LLM wrote."""
    if output.get("handoff") is True and "handoff_reply" in spec.data:
        return {**output, "answer": spec.data["handoff_reply"]}
    return output


def _evidence_item(hit) -> dict[str, str]:
    return {"id": hit.id, "title": hit.title, "text": hit.text}
