"""--mode batch-api: the online path's exact requests through the OpenAI Batch API (half price),
then every answer through the pipeline's own guard path.

1. Requests: each product runs through the pipeline up to its LLM call, where a
   recording backend captures the request body instead of sending it. So the
   inputs screening, evidence, rendered prompt, params and JSON mode are the
   pipeline's, not a copy of them.
2. Upload the JSONL (custom_id = product id), create the batch, poll with backoff.
   The batch id is kept in the run directory: a re-run resumes polling instead
   of paying twice.
3. Answers: a pipeline whose backend replays the downloaded answers runs each
   product with cache="refresh": parse, output guard, fix, the offline composer
   when a line failed or the output does not pass, envelope, cache, audit. An
   answer is matched by the exact messages it was asked with, so one computed
   from evidence that has changed since does not match and falls back.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from rich.console import Console

from service.batch.summaries import TASK, BatchError
from service.generation import Generator
from service.llm.base import LLMError, LLMRequest, LLMResult
from service.pipeline import Pipeline

STATE, INPUT = "batch_api.json", "batch_input.jsonl"
TERMINAL = ("completed", "failed", "expired", "cancelled")
MAX_POLL_S = 60.0


def answering_pipeline(container, ids: list[str], run_dir: Path, console: Console, poll_s: float,
                       stop: threading.Event) -> Pipeline | None:
    """Submit (or resume) the run's batch, wait for it, and return a pipeline that answers from it.
    None when stopped while waiting."""
    client = _client(container.settings)
    state = _load(run_dir)
    if state is None:
        lines = build_requests(container, ids)
        console.print(f"batch-api: {len(lines)} requests for {len(ids)} products")
        if not lines:
            return _pipeline(container, {})
        state = _submit(client, lines, run_dir)
    else:
        console.print(f"batch-api: resuming batch {state['batch_id']}")
    batch = _wait(client, state["batch_id"], console, poll_s, stop)
    if batch is None:
        return None
    if batch.status == "failed":
        (run_dir / STATE).unlink()  # a re-run submits a new batch
        raise BatchError(f"batch {batch.id} failed: {batch.errors}")
    answers, paid = _answers(client, batch, run_dir, container.llm)
    _meter_once(container, paid, state, run_dir)
    return _pipeline(container, answers)


def _meter_once(container, paid: list[tuple[int, int]], state: dict[str, Any], run_dir: Path) -> None:
    """Every line the batch answered was paid for, used or not (unparseable, or asked with evidence
    that has changed since): its tokens go to the LLM meter here, at the Batch API price, once per
    batch (the run state remembers it, so a resumed run does not count them again). The replayed
    answers are then not metered a second time."""
    if state.get("metered"):
        return
    meter = container.meter.with_discount(container.settings.batch_discount)
    for prompt_tokens, completion_tokens in paid:
        meter.record(TASK, "batch", container.llm.model, prompt_tokens, completion_tokens)
    state["metered"] = True
    (run_dir / STATE).write_text(json.dumps(state), encoding="utf-8")


# --- 1. requests ----------------------------------------------------------------------


class _Captured(Exception):
    def __init__(self, body: dict[str, Any]):
        self.body = body


class _Recorder:
    """A backend that captures the chat body the configured backend would send, and stops there."""

    def __init__(self, real):
        self.real, self.name, self.model = real, real.name, real.model

    def generate(self, request: LLMRequest) -> LLMResult:
        # _request_kwargs is the one place that turns a request into a chat body (JSON mode included).
        raise _Captured(self.real._request_kwargs(request))

    def healthy(self) -> bool:
        return True


def build_requests(container, ids: list[str]) -> list[dict[str, Any]]:
    pipeline = Pipeline(container)
    pipeline.generator = Generator(_Recorder(container.llm), container.settings.prices)
    lines = []
    for pid in ids:
        try:
            pipeline.run(TASK, {"product_id": pid}, cache="bypass")
        except _Captured as captured:
            lines.append({"custom_id": pid, "method": "POST", "url": "/v1/chat/completions", "body": captured.body})
        except Exception:
            pass  # e.g. an unknown product: it fails again, and is recorded, in the answer phase
        # No capture: answered without the LLM (handoff, no evidence); the answer phase does the same.
    return lines


# --- 2. submit and wait -----------------------------------------------------------------


def _client(settings):
    import openai

    key = settings.llm_api_key.get_secret_value() or "not-needed"  # local servers ignore it; the client wants one
    return openai.OpenAI(base_url=settings.llm_base_url, api_key=key, timeout=settings.llm_timeout_s,
                         max_retries=settings.llm_max_retries)


def _load(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / STATE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _submit(client, lines: list[dict[str, Any]], run_dir: Path) -> dict[str, Any]:
    data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
    (run_dir / INPUT).write_bytes(data)  # kept: the answers are matched against it
    uploaded = client.files.create(file=(INPUT, data, "application/jsonl"), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h",
                                  metadata={"job": "summaries", "run": run_dir.name})
    state = {"batch_id": batch.id, "input_file_id": uploaded.id}
    (run_dir / STATE).write_text(json.dumps(state), encoding="utf-8")
    return state


def _wait(client, batch_id: str, console: Console, poll_s: float, stop: threading.Event):
    interval = poll_s
    with console.status(f"batch {batch_id}: submitted") as status:
        while True:
            batch = client.batches.retrieve(batch_id)
            counts = batch.request_counts
            done = f"{counts.completed + counts.failed}/{counts.total}" if counts else "?"
            status.update(f"batch {batch_id}: {batch.status}, {done} requests done (next poll in {interval:.0f}s)")
            if batch.status in TERMINAL:
                console.print(f"batch {batch_id}: {batch.status}, {done} requests done")
                return batch
            if stop.wait(interval):
                console.print(f"stopped while batch {batch_id} runs: re-run to resume polling it")
                return None
            interval = min(interval * 1.5, MAX_POLL_S)


# --- 3. answers -------------------------------------------------------------------------


def _messages_key(messages: list[dict]) -> str:
    return hashlib.sha256(json.dumps(messages, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _answers(client, batch, run_dir: Path, real) -> tuple[dict[str, LLMResult | tuple[str, str]], list[tuple[int, int]]]:
    """messages key -> the answer, or (error kind, message) for a failed line; and the
    (prompt, completion) tokens of every line that reported usage (what the batch cost)."""
    from openai.types.chat import ChatCompletion

    from service.llm.openai_backend import _content  # the online path's text extraction (fences, empty, JSON)

    asked = {}
    for line in (run_dir / INPUT).read_text(encoding="utf-8").splitlines():
        request = json.loads(line)
        asked[request["custom_id"]] = _messages_key(request["body"]["messages"])
    answers: dict[str, LLMResult | tuple[str, str]] = {}
    paid: list[tuple[int, int]] = []
    for file_id in (batch.output_file_id, batch.error_file_id):
        if not file_id:
            continue
        for line in client.files.content(file_id).text.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item.get("custom_id") not in asked:
                continue
            response = item.get("response") or {}
            status, body = response.get("status_code"), response.get("body")
            usage = (body.get("usage") if isinstance(body, dict) else None) or {}
            if usage:
                paid.append((int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)))
            if item.get("error") or status != 200 or not isinstance(body, dict):
                kind = "rate_limited" if status == 429 else "server_error" if (status or 500) >= 500 else "bad_request"
                answers[asked[item["custom_id"]]] = (kind, str(item.get("error") or body)[:300])
                continue
            try:
                text = _content(ChatCompletion.model_validate(body))
            except LLMError as exc:
                answers[asked[item["custom_id"]]] = (exc.kind, str(exc))
                continue
            except ValueError as exc:  # not a chat completion
                answers[asked[item["custom_id"]]] = ("malformed", str(exc)[:300])
                continue
            answers[asked[item["custom_id"]]] = LLMResult(
                text=text, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                model=real.model, backend=real.name, latency_ms=0.0)
    return answers, paid


class _Replay:
    """A backend that answers from the downloaded batch. Name and model are the configured
    backend's, so the cache keys are the ones the online path and GET compute. Not metered:
    its answers were counted when the batch was downloaded (_meter_once)."""

    def __init__(self, real, answers: dict[str, LLMResult | tuple[str, str]]):
        self.name, self.model = real.name, real.model
        self._answers = answers

    def generate(self, request: LLMRequest) -> LLMResult:
        found = self._answers.get(_messages_key(request.messages))
        if found is None:
            raise LLMError("malformed", "no batch answer for this request")
        if isinstance(found, tuple):
            raise LLMError(found[0], found[1])
        return found

    def healthy(self) -> bool:
        return True


class _BatchPriced(Generator):
    """The generator's own path, at the Batch API price."""

    def __init__(self, llm, prices, discount: float):
        super().__init__(llm, prices)
        self.discount = discount

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int, discount: float = 1.0) -> float:
        return super().cost(model, prompt_tokens, completion_tokens, discount=discount * self.discount)


def _pipeline(container, answers) -> Pipeline:
    settings = container.settings
    pipeline = Pipeline(container)
    pipeline.generator = _BatchPriced(_Replay(container.llm, answers), settings.prices, settings.batch_discount)
    spec = pipeline.spec(TASK)
    # No reask: it would be an online call at full price. An answer that a fix cannot save
    # goes to the offline composer (the pipeline's refrain), and is not cached.
    no_reask = spec.model_copy(update={"guard": spec.guard.model_copy(update={"max_reasks": 0})})
    pipeline.specs = {**pipeline.specs, TASK: no_reask}
    return pipeline
