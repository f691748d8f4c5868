"""Generation: the configured LLM when there is one, the offline composer otherwise
or when the LLM fails. Either way the output is parsed and schema-checked here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from jsonschema import Draft202012Validator

from service.envelope import BackendInfo, Usage
from service.evidence import EvidenceSet
from service.llm import offline
from service.llm.base import LLMBackend, LLMError, LLMRequest, LLMResult
from service.llm.id_names import ids_from_names
from service.llm.json_reply import UnreadableReply, drop_cut_items, read_json_reply
from service.llm.metering import price
from service.prompting.evidence_view import prompt_items
from service.prompting.fit import ContextOverflow, FittedPrompt, budget_for, fit_prompt
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


@dataclass
class ParsedOutput:
    output: dict[str, Any]
    repairs: list[str] = field(default_factory=list)


class Generator:
    def __init__(self, llm: LLMBackend | None, prices: dict[str, tuple[float, float]]):
        self.llm = llm
        self.prices = prices
        # Eval runs keep the model's raw (pre-guard) replies as an artefact; never set in serving,
        # so no customer text reaches a log.
        self.recorder: Callable[[dict[str, Any]], None] | None = None

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
        try:
            fitted = self.fit(spec, prompt, inputs, evidence)
        except ContextOverflow as exc:
            return self.compose(spec, inputs, evidence, reason=f"llm error: context ({exc})")
        return self._call(spec, prompt, fitted.messages, inputs, evidence, left_out=fitted.left_out)

    def fit(self, spec: TaskSpec, prompt: PromptTemplate, inputs: dict[str, Any], evidence: EvidenceSet) -> FittedPrompt:
        """The prompt's messages, evidence left out by rank until they fit the model's context."""
        items = prompt_items(spec, evidence)

        def render(kept):
            return prompt.render(inputs, [item.as_dict() for item in kept])

        count = getattr(self.llm, "count_tokens", None)
        context = getattr(self.llm, "context_tokens", None)
        if count is None or not context:
            return FittedPrompt(render(items))  # a backend that cannot count (test doubles)
        return fit_prompt(render, items, count, budget_for(context, self._max_tokens(prompt)))

    def reask(self, spec: TaskSpec, prompt: PromptTemplate, previous: Generation, feedback: str,
              inputs: dict[str, Any], evidence: EvidenceSet) -> Generation:
        messages = self._reask_messages(previous, feedback)
        return self._call(spec, prompt, messages, inputs, evidence, left_out=previous.backend.evidence_left_out,
                          purpose="reask")

    def reask_fits(self, prompt: PromptTemplate, previous: Generation, feedback: str) -> bool:
        """Whether the conversation with the feedback still fits the model's context window."""
        count = getattr(self.llm, "count_tokens", None)
        context = getattr(self.llm, "context_tokens", None)
        if not (count and context):
            return True
        return count(self._reask_messages(previous, feedback)) <= budget_for(context, self._max_tokens(prompt))

    @staticmethod
    def _reask_messages(previous: Generation, feedback: str) -> list[dict]:
        return list(previous.messages or []) + [
            {"role": "assistant", "content": previous.raw_text or json.dumps(previous.output, ensure_ascii=False)},
            {"role": "user", "content": "검증에서 다음 문제가 발견되었습니다. 근거에 있는 내용만으로 다시 작성하세요.\n" + feedback},
        ]

    def compose(self, spec: TaskSpec, inputs: dict[str, Any], evidence: EvidenceSet, reason: str | None) -> Generation:
        output = offline.compose(spec.name, inputs, evidence.steps, spec.data)
        fallback = self.llm is not None
        return Generation(output, BackendInfo(name=offline.NAME, model=offline.MODEL, fallback=fallback,
                                              fallback_reason=reason if fallback else None))

    def _max_tokens(self, prompt: PromptTemplate) -> int:
        return int(prompt.params.get("max_tokens", 800))

    def _call(self, spec, prompt, messages, inputs, evidence, left_out: list[str] | None = None,
              purpose: str = "generation") -> Generation:
        request = LLMRequest(messages=messages, json_schema=prompt.schema,
                             temperature=float(prompt.params.get("temperature", 0.0)), max_tokens=self._max_tokens(prompt),
                             task=spec.name, purpose=purpose)  # the meter charges the task's ledger line
        try:
            result = self.llm.generate(request)
        except LLMError as exc:
            return self.compose(spec, inputs, evidence, reason=f"llm error: {exc.kind}")
        usage = self.usage_of(result)
        if self.recorder is not None:
            self.recorder({"task": spec.name, "messages": messages, "raw_reply": result.text,
                           "finish_reason": result.finish_reason, "latency_ms": round(result.latency_ms, 1),
                           "usage": usage.model_dump(), "json_mode": getattr(self.llm, "active_json_mode", None)})
        try:
            parsed = parse_output(result.text, prompt.schema,
                                  prepare=lambda value: ids_from_names(value, spec.id_fields, evidence.hits))
        except InvalidOutput as exc:
            cut = " (cut at max_tokens)" if result.finish_reason == "length" else ""
            fallback = self.compose(spec, inputs, evidence, reason=f"invalid llm output: {exc}{cut}")
            fallback.usage = usage  # the tokens were spent all the same
            fallback.raw_text = result.text
            return fallback
        info = BackendInfo(name=self.llm.name, model=result.model or self.llm.model, reply_repairs=parsed.repairs,
                           evidence_left_out=left_out or [])
        return Generation(vetted_handoff(spec, parsed.output), info, usage, messages=messages, raw_text=result.text)

    def usage_of(self, result: LLMResult) -> Usage:
        model = result.model or self.llm.model
        return Usage(prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                     cost=self.cost(model, result.prompt_tokens, result.completion_tokens))

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int, discount: float = 1.0) -> float:
        return price(self.prices, model, prompt_tokens, completion_tokens, discount)


def parse_output(text: str, schema: dict, prepare: Callable[[dict[str, Any]], list[str]] | None = None) -> ParsedOutput:
    """The reply read tolerantly (fences, prose around, a copied schema, a cut at max_tokens,
    ``prepare``: e.g. ids written as names) and then held to the schema strictly."""
    try:
        reading = read_json_reply(text)
    except UnreadableReply as exc:
        raise InvalidOutput(f"not JSON ({exc})") from None
    output, repairs = reading.value, reading.repairs
    if prepare is not None:
        repairs += prepare(output)
    validator = Draft202012Validator(schema)
    errors = list(validator.iter_errors(output))
    if errors and "truncated" in repairs and drop_cut_items(output, [list(e.absolute_path) for e in errors]):
        repairs.append("dropped_cut_item")
        errors = list(validator.iter_errors(output))
    if errors:
        first = sorted(errors, key=lambda e: list(e.path))[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        raise InvalidOutput(f"schema: {where}: {first.message[:200]}")
    return ParsedOutput(output, repairs)


def vetted_handoff(spec: TaskSpec, output: dict[str, Any]) -> dict[str, Any]:
    """A handoff carries the task's vetted reply, never text the LLM wrote."""
    if output.get("handoff") is True and "handoff_reply" in spec.data:
        return {**output, "answer": spec.data["handoff_reply"]}
    return output

