"""Streaming with guards: an answer is released sentence by sentence, each one only after
it has passed the output guards against the evidence. A failing sentence is replaced by
its fix when the fix passes, else withheld; nothing unchecked is ever shown.

The stream runs the one pipeline: ``Pipeline.prepare`` (input guard, retrieval, cache)
before it and ``Pipeline.conclude`` (envelope, cache, ledger, audit) after it. Without a
model to stream from (offline composer, refusal, cache hit, a failed call) the finished,
guarded answer is released sentence by sentence the same way.

Events (server-sent): ``sentence`` {index, text}, ``withheld`` {index, checks}, and one
final ``done`` carrying the envelope; ``error`` if the request fails midway.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from service.envelope import BackendInfo, Envelope, Usage
from service.generation import Generation, InvalidOutput, parse_output, vetted_handoff
from service.guards.audit import Trail
from service.llm.base import LLMError, LLMRequest, LLMResult
from service.pipeline import Pipeline, Prepared
from service.prompting.fit import ContextOverflow

log = logging.getLogger("commerce_guard.stream")

# A sentence ends at . ! ? 。 plus any [ID] markers after it, once the next sentence has begun.
_SENTENCE_END = re.compile(r"[.!?。]+(?:\s*\[[A-Za-z][A-Za-z0-9_-]{0,40}\])*(?=\s+[^\s\[])")


@dataclass
class Event:
    name: str
    data: dict[str, Any]

    def sse(self) -> str:
        return f"event: {self.name}\ndata: {json.dumps(self.data, ensure_ascii=False)}\n\n"


@dataclass
class _Released:
    sentences: list[str] = field(default_factory=list)
    withheld: int = 0
    first_at: float | None = None


class GuardedStream:
    """One streamed request. ``prepare()`` raises the request's 4xx errors before any byte is
    sent; ``events()`` then yields the stream."""

    def __init__(self, pipeline: Pipeline, task: str, inputs: dict[str, Any], request_id: str | None = None) -> None:
        self.pipeline = pipeline
        self.task = task
        self.raw_inputs = inputs
        self.request_id = request_id
        self.prepared: Envelope | Prepared | None = None
        self.started = time.perf_counter()
        self.shown = 0  # sentence and withheld events so far: indices never repeat

    def prepare(self) -> None:
        spec = self.pipeline.spec(self.task)  # checked first: nothing is retrieved or audited for a task that cannot stream
        if len(spec.text_fields) != 1 or "[" in spec.text_fields[0] or "." in spec.text_fields[0]:
            raise ValueError(f"task {self.task!r} cannot stream: it needs exactly one top-level text field")
        self.prepared = self.pipeline.prepare(self.task, self.raw_inputs, request_id=self.request_id)

    def events(self) -> Iterator[Event]:
        if self.prepared is None:
            self.prepare()
        if isinstance(self.prepared, Envelope):  # refusal or cache hit: already guarded
            yield from self._replay(self.prepared)
            return
        p = self.prepared
        if self.pipeline.generator.llm is None or self.pipeline.skip_llm(p) or not hasattr(self.pipeline.generator.llm, "stream"):
            yield from self._replay(self.pipeline.run(self.task, self.raw_inputs, request_id=p.request_id))
            return
        yield from self._from_model(p)

    # --- a model stream ------------------------------------------------------------
    def _from_model(self, p: Prepared) -> Iterator[Event]:
        generator, field_name = self.pipeline.generator, p.spec.text_fields[0]
        try:
            fitted = generator.fit(p.spec, p.prompt, p.inputs, p.evidence)
        except ContextOverflow as exc:
            yield from self._fallback(p, f"llm error: context ({exc})", None)
            return
        request = LLMRequest(messages=fitted.messages, json_schema=p.prompt.schema,
                             temperature=float(p.prompt.params.get("temperature", 0.0)),
                             max_tokens=int(p.prompt.params.get("max_tokens", 800)), task=p.spec.name, purpose="stream")
        released, trail, text, result = _Released(), Trail(), "", None
        done_upto, handoff = 0, False
        try:
            with p.timer("generate"):
                for item in generator.llm.stream(request):
                    if isinstance(item, LLMResult):
                        result = item
                        break
                    text += item.text
                    handoff = handoff or partial_bool(text, "handoff") is True
                    if handoff:
                        continue  # a handoff gets the task's vetted reply, never the model's words
                    answer, closed = partial_string(text, field_name)
                    for sentence, done_upto in complete_sentences(answer, done_upto, closed):
                        yield from self._release(p, sentence, released, trail)
        except LLMError as exc:
            if released.sentences:
                yield from self._conclude_stream(p, released, trail, None, text, fitted.left_out, error=exc.kind)
            else:
                yield from self._fallback(p, f"llm error: {exc.kind}", None)
            return
        if result is not None and not handoff:
            answer, closed = partial_string(text, field_name)
            for sentence, done_upto in complete_sentences(answer, done_upto, True):
                yield from self._release(p, sentence, released, trail)
        yield from self._conclude_stream(p, released, trail, result, text, fitted.left_out, handoff=handoff)

    def _release(self, p: Prepared, sentence: str, released: _Released, trail: Trail) -> Iterator[Event]:
        index = self.shown
        self.shown += 1
        with p.timer("guard"):
            candidate = {p.spec.text_fields[0]: sentence}
            check = self.pipeline.guards.check_output(p.spec, candidate, p.evidence)
            if not check.passed and check.fixed is not None:
                trail.add("fix", check.checks)
                fixed = check.fixed
                check = self.pipeline.guards.check_output(p.spec, fixed, p.evidence)
                sentence = str(fixed.get(p.spec.text_fields[0]) or "").strip() if check.passed else ""
            elif not check.passed:
                trail.add("withhold", check.checks)
        if check.passed and check.cited is not None:
            sentence = str(check.cited.get(p.spec.text_fields[0]) or sentence).strip()
        if check.passed and sentence:
            released.sentences.append(sentence)
            if released.first_at is None:
                released.first_at = time.perf_counter()
            yield Event("sentence", {"index": index, "text": sentence})
        else:
            released.withheld += 1
            failed = sorted({c.check.split(":")[0] for c in check.checks if c.verdict == "fail"})
            yield Event("withheld", {"index": index, "checks": failed})

    def _conclude_stream(self, p: Prepared, released: _Released, trail: Trail, result: LLMResult | None, text: str,
                         left_out: list[str], *, handoff: bool = False, error: str | None = None) -> Iterator[Event]:
        generator = self.pipeline.generator
        if handoff or not released.sentences:
            why = "model handed off" if handoff else "output failed the guards: no sentence passed"
            yield from self._fallback(p, why, result, handoff=handoff, trail=trail)
            return
        output = self._final_output(p, released, text)
        with p.timer("guard"):
            check = self.pipeline.guards.check_output(p.spec, output, p.evidence)
        p.report.output = check.checks
        if released.withheld or trail.failures():
            p.report.actions.append("fix")
            p.report.verdict = "fixed"
        info_model = generator.llm.model
        generation = Generation(output, BackendInfo(name=generator.llm.name, model=info_model, evidence_left_out=left_out,
                                                    fallback=error is not None,
                                                    fallback_reason=f"llm error: {error} (stream cut)" if error else None),
                                generator.usage_of(result) if result else Usage(), messages=[],
                                raw_text=text)
        self._timings(p, released, result)
        envelope = self.pipeline.conclude(p, generation, output, None, trail)
        yield Event("done", envelope.model_dump(mode="json"))

    def _final_output(self, p: Prepared, released: _Released, text: str) -> dict[str, Any]:
        """The released sentences are the answer; the other fields come from the reply when it parses."""
        field_name = p.spec.text_fields[0]
        try:
            parsed = parse_output(text, p.prompt.schema).output
        except InvalidOutput:
            parsed = {}
        defaults = p.spec.data.get("stream_defaults", {})
        return {**defaults, **{k: v for k, v in parsed.items() if k != field_name},
                field_name: " ".join(released.sentences)}

    def _fallback(self, p: Prepared, why: str, result: LLMResult | None, *, handoff: bool = False,
                  trail: Trail | None = None) -> Iterator[Event]:
        """The offline composer (or, for a handoff, the vetted reply), guarded like any output,
        then released sentence by sentence."""
        generator = self.pipeline.generator
        with p.timer("generate"):
            if handoff:
                output = vetted_handoff(p.spec, {"handoff": True, p.spec.text_fields[0]: "", "confidence": 0.0})
                generation = Generation(output, BackendInfo(name=generator.llm.name, model=generator.llm.model))
            else:
                generation = generator.compose(p.spec, p.inputs, p.evidence, reason=why)
        if result is not None:
            generation.usage = generator.usage_of(result)
        trail = trail or Trail()
        refused = why.startswith("output failed the guards")
        if refused:
            p.report.actions.append("refrain")  # as without streaming: the model's output was refrained
            trail.add("refrain", [])
        with p.timer("guard"):
            generation, output, refrained = self.pipeline._guarded(p.spec, p.prompt, p.inputs, p.evidence, generation,
                                                                   p.report, p.timer, trail)
        if refused and p.report.verdict in ("pass", "fixed"):
            p.report.verdict = "fallback"
        self._timings(p, _Released(first_at=time.perf_counter()), result)
        yield from self._replay(self.pipeline.conclude(p, generation, output, refrained, trail))

    def _replay(self, envelope: Envelope) -> Iterator[Event]:
        """A finished envelope's answer, sentence by sentence, then the envelope."""
        field_name = self.pipeline.spec(envelope.task).text_fields[0]
        answer = str(envelope.output.get(field_name) or "")
        for sentence, _ in complete_sentences(answer, 0, True):
            yield Event("sentence", {"index": self.shown, "text": sentence})
            self.shown += 1
        envelope.timings_ms.setdefault("first_sentence", envelope.timings_ms.get("total", 0.0))
        yield Event("done", envelope.model_dump(mode="json"))

    def _timings(self, p: Prepared, released: _Released, result: LLMResult | None) -> None:
        """TTFT and TPOT of the model, and the time to the first released sentence, in ms."""
        extra = p.timer.ms
        if released.first_at is not None:
            extra["first_sentence"] = round((released.first_at - self.started) * 1000, 3)
        if result is not None and result.ttft_ms is not None:
            extra["ttft"] = round(result.ttft_ms, 3)
            if result.completion_tokens > 1:
                extra["tpot"] = round((result.latency_ms - result.ttft_ms) / (result.completion_tokens - 1), 3)


def sse(stream: GuardedStream) -> Iterator[str]:
    """The stream as server-sent event text; a failure midway is an ``error`` event, never a
    traceback in the body (the status line has already gone out)."""
    try:
        for event in stream.events():
            yield event.sse()
    except Exception as exc:  # noqa: BLE001 - the client must learn the stream ended badly
        log.exception("stream failed", extra={"request_id": stream.request_id})
        yield Event("error", {"error": "stream_failed", "message": type(exc).__name__}).sse()


def complete_sentences(text: str, start: int, closed: bool) -> Iterator[tuple[str, int]]:
    """Sentences of ``text`` from ``start`` that are complete (the next one has begun, or the
    text is closed), with the offset after each."""
    pos = start
    for match in _SENTENCE_END.finditer(text, start):
        sentence = text[pos:match.end()].strip()
        pos = match.end()
        if sentence:
            yield sentence, pos
    if closed and text[pos:].strip():
        yield text[pos:].strip(), len(text)


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def partial_string(text: str, key: str) -> tuple[str, bool]:
    """The value of ``"key": "..."`` in JSON still being written: (decoded so far, closed?)."""
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*"', text)
    if not match:
        return "", False
    out: list[str] = []
    i = match.end()
    while i < len(text):
        ch = text[i]
        if ch == '"':
            return "".join(out), True
        if ch == "\\":
            if i + 1 >= len(text):
                break
            nxt = text[i + 1]
            if nxt == "u":
                if i + 6 > len(text):
                    break
                try:
                    out.append(chr(int(text[i + 2:i + 6], 16)))
                except ValueError:
                    pass
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), False


def partial_bool(text: str, key: str) -> bool | None:
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*(true|false)', text)
    return None if match is None else match.group(1) == "true"
