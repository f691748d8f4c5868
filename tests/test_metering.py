"""Every LLM call is metered once, by the wrapper around the backend (service/llm/metering.py):
generation, reask, an invalid or empty reply, the LLM grounding judge, the eval judge, a
stream (also one the reader stops), and the Batch API. The fake OpenAI server reports usage
as ``estimate_tokens`` of the prompt and of the reply, so each test knows what was charged."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rich.console import Console

from service.batch.summaries import Options, run
from service.streaming import GuardedStream
from tests.conftest import container_with
from tests.fakes.fake_openai import Reply, _text, estimate_tokens

QUESTION = {"question": "교환 배송비는 얼마인가요?"}
GOOD = {"answer": "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]", "handoff": False, "confidence": 0.9}
# A claim the evidence contradicts: the cs_answer policy reasks it.
WRONG = {"answer": "사이즈 교환 시 배송비는 무료입니다. [FAQ-T-001]", "handoff": False, "confidence": 0.9}


def charged(body: dict, reply: str) -> tuple[int, int]:
    """What the fake reports for one call: estimate_tokens of the prompt and of the reply."""
    prompt = "\n".join(_text(m.get("content")) for m in body.get("messages", []) if isinstance(m, dict))
    return estimate_tokens(prompt), estimate_tokens(reply)


def spent(container, task: str) -> tuple[int, int]:
    row = container.ledger.spend().get(task, {})
    return int(row.get("prompt_tokens", 0)), int(row.get("completion_tokens", 0))


def delta(after: tuple[int, int], before: tuple[int, int]) -> tuple[int, int]:
    return after[0] - before[0], after[1] - before[1]


def total(pairs) -> tuple[int, int]:
    pairs = list(pairs)
    return sum(p for p, _ in pairs), sum(c for _, c in pairs)


def metric(container, name: str, **labels) -> float:
    for family in container.metrics.registry.collect():
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_generation_and_its_reask_are_metered_once(llm_container, fake_llm):
    fake_llm.script(Reply(WRONG), Reply(GOOD))
    before = spent(llm_container, "cs_answer")
    env = llm_container.pipeline.run("cs_answer", QUESTION, cache="bypass")
    assert env.guard.actions == ["reask"] and len(fake_llm.requests) == 2
    replies = [json.dumps(WRONG, ensure_ascii=False), json.dumps(GOOD, ensure_ascii=False)]
    expected = total(charged(body, reply) for body, reply in zip(fake_llm.requests, replies))
    assert delta(spent(llm_container, "cs_answer"), before) == expected
    assert (env.usage.prompt_tokens, env.usage.completion_tokens) == expected  # the envelope says the same
    assert metric(llm_container, "cg_llm_calls_total", task="cs_answer", purpose="reask") == 1
    assert metric(llm_container, "cg_tokens_total", task="cs_answer", kind="prompt") == expected[0]


def test_an_invalid_reply_is_metered(llm_container, fake_llm):
    fake_llm.script(Reply("이건 JSON이 아닙니다"))
    before = spent(llm_container, "cs_answer")
    env = llm_container.pipeline.run("cs_answer", QUESTION, cache="bypass")
    assert env.backend.fallback and env.backend.fallback_reason.startswith("invalid llm output")
    assert delta(spent(llm_container, "cs_answer"), before) == charged(fake_llm.requests[0], "이건 JSON이 아닙니다")


def test_an_empty_reply_is_metered_from_the_usage_it_reported(llm_container, fake_llm):
    # Before: the backend raised 'malformed: empty completion' and the tokens the endpoint
    # reported (and charged) were dropped with the reply.
    fake_llm.script(Reply("   "))
    before = spent(llm_container, "cs_answer")
    env = llm_container.pipeline.run("cs_answer", QUESTION, cache="bypass")
    assert env.backend.fallback_reason == "llm error: malformed"
    used = delta(spent(llm_container, "cs_answer"), before)
    assert used == charged(fake_llm.requests[0], "   ") and used[0] > 0


def test_the_llm_grounding_judge_is_charged_to_the_task(small_container, fake_llm):
    # Before: the judge's calls went straight to the backend and only the generation's
    # tokens (the envelope's usage) reached the ledger.
    fake_llm.reset()
    container = container_with(small_container, llm_base_url=fake_llm.base_url, llm_model="fake-model",
                               grounding_judge="llm")
    verdict = {"claims": [{"index": 1, "label": "supported", "evidence_id": "FAQ-T-001", "reason": "r"}]}
    fake_llm.script(Reply(GOOD), Reply(verdict))
    before = spent(container, "cs_answer")
    env = container.pipeline.run("cs_answer", QUESTION, cache="bypass")
    assert env.guard.verdict == "pass" and len(fake_llm.requests) == 2
    generation = charged(fake_llm.requests[0], json.dumps(GOOD, ensure_ascii=False))
    judge = charged(fake_llm.requests[1], json.dumps(verdict, ensure_ascii=False))
    assert delta(spent(container, "cs_answer"), before) == total([generation, judge])
    assert metric(container, "cg_llm_calls_total", task="cs_answer", purpose="grounding_judge") == 1


def test_the_eval_judge_is_metered(llm_container, fake_llm):
    from service.evals import judge

    fake_llm.set_default(Reply({"score": 4, "reason": "ok"}))
    before = spent(llm_container, "eval_judge")
    verdict = judge.judge(llm_container.llm, "grade this", n=2)
    assert verdict.samples == [0.75, 0.75]
    expected = total(charged(body, json.dumps({"score": 4, "reason": "ok"})) for body in fake_llm.requests)
    assert delta(spent(llm_container, "eval_judge"), before) == expected and expected[0] > 0


def test_a_stream_the_reader_stops_is_metered(llama_container, llama):
    # Before: the ledger was written when the stream concluded, so a client that went away
    # after the first sentence left the tokens it had been sent uncounted.
    answer = ("사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001] "
              "교환 신청은 마이페이지에서 하실 수 있습니다. [FAQ-T-001] 감사합니다.")
    llama.set_default(Reply({"handoff": False, "answer": answer, "confidence": 0.9}))
    before = spent(llama_container, "cs_answer")
    events = GuardedStream(llama_container.pipeline, "cs_answer", dict(QUESTION)).events()
    first = next(e for e in events if e.name in ("sentence", "withheld"))
    assert first.name == "sentence"
    events.close()  # the client disconnected
    prompt, completion = delta(spent(llama_container, "cs_answer"), before)
    assert prompt > 0 and completion > 0
    assert metric(llama_container, "cg_llm_calls_total", task="cs_answer", purpose="stream") == 1


def test_a_whole_stream_is_metered_once(llama_container, llama):
    llama.set_default(Reply(GOOD))
    before = spent(llama_container, "cs_answer")
    events = list(GuardedStream(llama_container.pipeline, "cs_answer", dict(QUESTION)).events())
    envelope = events[-1].data
    used = delta(spent(llama_container, "cs_answer"), before)
    assert used == (envelope["usage"]["prompt_tokens"], envelope["usage"]["completion_tokens"]) and used[0] > 0


def test_the_batch_api_meters_every_answered_line_once(llm_container, fake_llm, tmp_path):
    # Before: only answers that were replayed into a usable output reached the ledger; a line
    # the Batch API answered (and billed) with an empty completion was lost.
    container = container_with(llm_container, data_dir=tmp_path / "var", prices={"fake-model": (1.0, 2.0)})
    container.settings.data_dir.mkdir(parents=True, exist_ok=True)
    valid = Reply(lambda body: json.dumps(_summary(body), ensure_ascii=False))
    fake_llm.set_default(valid)
    fake_llm.script(Reply("   "))  # the first line comes back empty
    before = spent(container, "summary")
    quiet = Console(file=open(os.devnull, "w"))
    report = run(container, Options(progress=False, mode="batch-api", poll_s=0.01), quiet)
    assert report.generated == 4 and report.fallback >= 1 and fake_llm.requests == []
    lines = fake_llm.batch_requests
    replies = ["   "] + [json.dumps(_summary(body), ensure_ascii=False) for body in lines[1:]]
    expected = total(charged(body, reply) for body, reply in zip(lines, replies))
    assert delta(spent(container, "summary"), before) == expected
    # The run state remembers the batch was metered, so a resumed run does not count it again.
    state = json.loads((next(Path(tmp_path / "var").rglob("batch_api.json"))).read_text())
    assert state["metered"] is True


def _summary(body: dict) -> dict:
    from bench._fake_llm import respond

    return respond({**body, "messages": body["messages"][:2]})


def test_a_resumed_batch_is_not_metered_twice(llm_container, tmp_path):
    from service.batch.batch_api import STATE, _meter_once

    container = container_with(llm_container, data_dir=tmp_path / "var", prices={"fake-model": (1.0, 2.0)})
    state = {"batch_id": "batch_1"}
    (tmp_path / STATE).write_text(json.dumps(state))
    before = spent(container, "summary")
    _meter_once(container, [(100, 10), (50, 5)], state, tmp_path)
    resumed = json.loads((tmp_path / STATE).read_text())  # what a re-run loads
    _meter_once(container, [(100, 10), (50, 5)], resumed, tmp_path)
    assert delta(spent(container, "summary"), before) == (150, 15)
