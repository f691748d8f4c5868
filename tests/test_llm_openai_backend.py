"""OpenAIBackend over real HTTP, with the real openai client, against FakeOpenAI."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate

import httpx
import openai
import pytest

from service.llm.base import LLMBackend, LLMError, LLMRequest
from service.llm.circuit_breaker import CircuitBreaker
from service.llm.openai_backend import OpenAIBackend, _retry_after
from tests.fakes.fake_openai import (
    EmptyChoices,
    FakeOpenAI,
    HTTPError,
    RawBody,
    Reply,
    echo,
    estimate_tokens,
    malformed_json,
    truncated_json,
)
from tests.fakes.fixtures import fake_openai  # noqa: F401  (fixture)

SCHEMA = {"title": "Answer", "type": "object", "properties": {"answer": {"type": "string"}}}
ASK = LLMRequest(messages=[{"role": "user", "content": "이 셔츠 방수 되나요?"}])
ASK_JSON = LLMRequest(messages=ASK.messages, json_schema=SCHEMA)


class Sleeps(list):
    """Records back-off waits (and really sleeps, so Retry-After is honoured on the wire)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(seconds)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def make_backend(fake_openai: FakeOpenAI) -> Iterator[Callable[..., OpenAIBackend]]:  # noqa: F811
    made: list[OpenAIBackend] = []

    def make(**overrides: object) -> OpenAIBackend:
        options: dict = {
            "base_url": fake_openai.base_url,
            "api_key": "test-key",
            "model": "qwen-test",
            "timeout_s": 2.0,
            "max_retries": 2,
            "breaker": CircuitBreaker(failure_threshold=100, reset_timeout_s=60),
            "backoff_initial_s": 0.01,  # keep retries fast; the policy, not the numbers, is under test
            "backoff_max_s": 0.02,
        }
        options.update(overrides)
        backend = OpenAIBackend(**options)  # type: ignore[arg-type]
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


def error_of(backend: OpenAIBackend, request: LLMRequest = ASK) -> LLMError:
    with pytest.raises(LLMError) as info:
        backend.generate(request)
    return info.value


# --- success paths ------------------------------------------------------------------


def test_success_reads_text_and_usage(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    answer = "아니요, 이 셔츠는 방수 기능이 없습니다 [p2]"
    fake_openai.script(Reply(answer, model="qwen-test-2026-01-01.gguf"))
    backend = make_backend()
    request = LLMRequest(messages=ASK.messages, temperature=0.2, max_tokens=64, seed=7)

    result = backend.generate(request)

    assert isinstance(backend, LLMBackend)
    assert result.text == answer
    assert result.completion_tokens == estimate_tokens(answer) > 0
    assert result.prompt_tokens == estimate_tokens(ASK.messages[0]["content"]) > 0
    assert (result.model, result.backend) == ("qwen-test", "openai")  # configured, not served, name
    assert result.latency_ms > 0
    sent = fake_openai.requests[0]
    assert sent["model"] == "qwen-test"
    assert sent["messages"] == request.messages
    assert (sent["temperature"], sent["max_tokens"], sent["seed"]) == (0.2, 64, 7)
    assert "response_format" not in sent
    assert backend.healthy()


def test_missing_usage_counts_as_zero_tokens(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.script(Reply("hi", usage=False))
    result = make_backend().generate(ASK)
    assert (result.text, result.prompt_tokens, result.completion_tokens) == ("hi", 0, 0)


def test_content_can_be_built_from_the_request(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.set_default(echo())
    assert make_backend().generate(ASK).text == ASK.messages[0]["content"]


def test_json_object_mode_sends_response_format(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.script({"answer": "방수 기능이 없습니다"})
    result = make_backend(json_mode="json_object").generate(ASK_JSON)
    assert json.loads(result.text) == {"answer": "방수 기능이 없습니다"}
    assert fake_openai.requests[0]["response_format"] == {"type": "json_object"}


def test_json_schema_mode_sends_openai_json_schema(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.script({"answer": "no"})
    make_backend(json_mode="json_schema").generate(ASK_JSON)
    assert fake_openai.requests[0]["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Answer", "schema": SCHEMA, "strict": False},
    }


def test_json_mode_none_sends_no_format_and_returns_the_text(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.script('```json\n{"answer": "no"}\n```')
    result = make_backend(json_mode="none").generate(ASK_JSON)
    assert result.text == '```json\n{"answer": "no"}\n```'  # read tolerantly by the caller
    assert "response_format" not in fake_openai.requests[0]


def test_auto_mode_starts_with_json_schema(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.script({"answer": "no"}, {"answer": "no"})
    backend = make_backend()
    backend.generate(ASK_JSON)
    backend.generate(ASK_JSON)
    assert [r["response_format"]["type"] for r in fake_openai.requests] == ["json_schema", "json_schema"]
    assert backend.active_json_mode == "json_schema"


def test_concurrent_calls_share_one_backend(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.set_default(lambda body: Reply(body["messages"][-1]["content"], latency_s=0.05))
    fake_openai.script(*[HTTPError(503)] * 4)  # some callers retry while others succeed
    backend = make_backend(max_retries=4)  # even one unlucky caller meeting all four 503s succeeds
    prompts = [f"질문 {i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(lambda p: backend.generate(LLMRequest([{"role": "user", "content": p}])).text, prompts))
    assert texts == prompts
    assert len(fake_openai.requests) == 12
    assert backend.breaker.consecutive_failures == 0


# --- retries ------------------------------------------------------------------------


def test_429_is_retried_after_retry_after(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.script(HTTPError(429, "slow down", retry_after=0.2), Reply("ok"))
    sleeps = Sleeps()
    backend = make_backend(sleep=sleeps)
    started = time.perf_counter()

    result = backend.generate(ASK)

    assert result.text == "ok"
    assert len(fake_openai.requests) == 2
    assert sleeps == [pytest.approx(0.2)]  # the header, not the 0.01 s jittered back-off
    assert time.perf_counter() - started >= 0.2
    assert backend.breaker.consecutive_failures == 0


def test_retry_after_is_capped(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.script(HTTPError(429, retry_after=3600), Reply("ok"))
    sleeps = Sleeps()
    assert make_backend(sleep=sleeps, retry_after_cap_s=0.05).generate(ASK).text == "ok"
    assert sleeps == [pytest.approx(0.05)]


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_gives_up_after_bounded_attempts(fake_openai: FakeOpenAI, make_backend, status: int) -> None:  # noqa: F811
    fake_openai.set_default(HTTPError(status))
    sleeps = Sleeps()
    backend = make_backend(max_retries=2, sleep=sleeps)

    err = error_of(backend)

    assert (err.kind, err.status_code) == ("server_error", status)
    assert len(fake_openai.requests) == 3  # 1 attempt + 2 retries
    assert len(sleeps) == 2 and all(0 <= s <= 0.02 for s in sleeps)  # jittered exponential back-off
    assert backend.breaker.consecutive_failures == 1  # one failure per generate(), not per attempt


@pytest.mark.parametrize(
    "behaviour, kind",
    [(HTTPError(400, "context too long"), "bad_request"), (HTTPError(404), "bad_request"), (HTTPError(401), "auth")],
)
def test_4xx_is_not_retried(fake_openai: FakeOpenAI, make_backend, behaviour: HTTPError, kind: str) -> None:  # noqa: F811
    fake_openai.set_default(behaviour)
    backend = make_backend(max_retries=3)
    assert error_of(backend).kind == kind
    assert len(fake_openai.requests) == 1


def test_bad_request_does_not_trip_the_breaker(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.set_default(HTTPError(400))
    backend = make_backend(breaker=CircuitBreaker(failure_threshold=1, reset_timeout_s=60))
    for _ in range(3):
        assert error_of(backend).kind == "bad_request"
    assert backend.breaker.state == "closed"


def test_timeout_is_retried_then_reported(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    fake_openai.set_default(Reply("too late", latency_s=1.0))
    backend = make_backend(timeout_s=0.1, max_retries=1)
    started = time.perf_counter()

    err = error_of(backend)

    assert err.kind == "timeout"
    assert len(fake_openai.requests) == 2
    assert time.perf_counter() - started < 0.9  # gave up well before the server would answer


def test_dead_endpoint_is_a_connection_error(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    backend = make_backend(max_retries=1)
    assert backend.generate(ASK).text == "ok"  # leaves a pooled keep-alive connection behind
    fake_openai.stop()
    assert error_of(backend).kind == "connection"
    assert len(fake_openai.requests) == 1


# --- unusable answers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "behaviour",
    [
        Reply("   "),
        EmptyChoices(),
        RawBody("<html>bad gateway</html>", content_type="text/html"),
        RawBody('{"choices": [', content_type="application/json"),
    ],
    ids=["blank", "no-choices", "html-body", "broken-body"],
)
def test_unusable_answer_is_malformed_and_not_retried(
    fake_openai: FakeOpenAI,  # noqa: F811
    make_backend,
    behaviour: object,
) -> None:
    fake_openai.set_default(behaviour)
    backend = make_backend()
    assert error_of(backend, ASK_JSON).kind == "malformed"
    assert len(fake_openai.requests) == 1
    assert backend.breaker.consecutive_failures == 1


@pytest.mark.parametrize("behaviour", [malformed_json(), truncated_json({"answer": "네, 방수 기능이 없습니다", "citations": ["p2"]})],
                         ids=["malformed", "truncated"])
def test_broken_json_text_is_returned_for_the_tolerant_reader(fake_openai: FakeOpenAI, make_backend,  # noqa: F811
                                                             behaviour: Reply) -> None:
    # The endpoint worked: reading (or rejecting) the JSON is the caller's job, not an outage.
    fake_openai.set_default(behaviour)
    backend = make_backend()
    result = backend.generate(ASK_JSON)
    assert result.text == behaviour.content and result.finish_reason == behaviour.finish_reason
    assert backend.breaker.consecutive_failures == 0


def test_hallucination_is_not_the_backends_business(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    # Well-formed but wrong answers pass through: catching them is the guards' job.
    fake_openai.script({"answer": "네, 방수 기능이 있습니다 [p2]"})
    assert "방수 기능이 있습니다" in make_backend().generate(ASK_JSON).text


# --- circuit breaker ----------------------------------------------------------------


def test_breaker_opens_fails_fast_then_half_opens_and_closes(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=30, clock=clock)
    backend = make_backend(breaker=breaker, max_retries=0)
    fake_openai.script(HTTPError(500), HTTPError(503))

    assert error_of(backend).kind == "server_error"
    assert backend.healthy()
    assert error_of(backend).kind == "server_error"
    assert breaker.state == "open" and not backend.healthy()

    err = error_of(backend)
    assert err.kind == "circuit_open"
    assert err.retry_after == pytest.approx(30)
    assert len(fake_openai.requests) == 2  # the third call never reached the endpoint

    clock.now += 30
    assert breaker.state == "half_open" and backend.healthy()
    assert backend.generate(ASK).text == "ok"  # the probe succeeds
    assert breaker.state == "closed"
    assert len(fake_openai.requests) == 3


def test_failed_probe_reopens_the_breaker(fake_openai: FakeOpenAI, make_backend) -> None:  # noqa: F811
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=30, clock=clock)
    backend = make_backend(breaker=breaker, max_retries=0)
    fake_openai.set_default(Reply("   "))

    assert error_of(backend, ASK_JSON).kind == "malformed"
    clock.now += 30
    assert error_of(backend, ASK_JSON).kind == "malformed"  # the half-open probe
    assert breaker.state == "open"
    assert error_of(backend, ASK_JSON).kind == "circuit_open"
    assert len(fake_openai.requests) == 2


# --- Retry-After parsing ------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({}, None),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "150", "retry-after": "9"}, 0.15),
        ({"retry-after": "soon"}, None),
    ],
)
def test_retry_after_header_parsing(headers: dict, expected: float | None) -> None:
    assert _retry_after(httpx.Headers(headers)) == expected


def test_retry_after_http_date() -> None:
    value = _retry_after(httpx.Headers({"retry-after": formatdate(time.time() + 60, usegmt=True)}))
    assert value is not None and 55 <= value <= 61


# --- the fake's Batch API, with the real client -------------------------------------


def test_batch_api_round_trip_with_real_client() -> None:
    with FakeOpenAI(default=echo(), batch_polls_to_complete=2) as fake:
        client = openai.OpenAI(base_url=fake.base_url, api_key="test-key", max_retries=0, timeout=5)
        fake.script(echo(), HTTPError(500, "boom"), {"answer": "no"})
        lines = [
            {
                "custom_id": f"q{i}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": "qwen-test", "messages": [{"role": "user", "content": f"질문 {i}"}]},
            }
            for i in range(3)
        ]
        payload = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()

        uploaded = client.files.create(file=("requests.jsonl", payload, "application/jsonl"), purpose="batch")
        assert uploaded.bytes == len(payload)
        assert client.files.content(uploaded.id).content == payload

        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        statuses = [batch.status]
        while batch.status not in ("completed", "failed", "cancelled", "expired") and len(statuses) < 10:
            batch = client.batches.retrieve(batch.id)
            statuses.append(batch.status)

        assert statuses == ["validating", "in_progress", "completed"]
        assert batch.request_counts is not None
        assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (3, 2, 1)
        assert batch.output_file_id and batch.error_file_id

        out = [json.loads(x) for x in client.files.content(batch.output_file_id).text.splitlines()]
        by_id = {row["custom_id"]: row["response"] for row in out}
        assert by_id["q0"]["status_code"] == 200
        assert by_id["q0"]["body"]["choices"][0]["message"]["content"] == "질문 0"
        assert json.loads(by_id["q2"]["body"]["choices"][0]["message"]["content"]) == {"answer": "no"}
        assert by_id["q0"]["body"]["usage"]["completion_tokens"] > 0

        errors = [json.loads(x) for x in client.files.content(batch.error_file_id).text.splitlines()]
        assert [(e["custom_id"], e["response"]["status_code"]) for e in errors] == [("q1", 500)]
        assert len(fake.batch_requests) == 3 and fake.requests == []
