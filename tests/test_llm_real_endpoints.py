"""What real OpenAI-compatible servers do, against a fake that behaves like llama-cpp-python:
JSON-mode negotiation, its schema extension, token counting, the context window, streaming."""

from __future__ import annotations

import json

import pytest

from service.llm.base import LLMError, LLMRequest, LLMResult, StreamDelta
from service.llm.circuit_breaker import CircuitBreaker
from service.llm.openai_backend import OpenAIBackend, grammar_schema
from tests.fakes.fake_openai import FakeOpenAI, Reply, estimate_tokens, like_llama_cpp

SCHEMA = {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string", "maxLength": 1500}}}
ASK_JSON = LLMRequest(messages=[{"role": "user", "content": "반품 기간은?"}], json_schema=SCHEMA, max_tokens=100)


@pytest.fixture
def llama():
    with like_llama_cpp() as fake:
        yield fake


def backend_for(fake: FakeOpenAI, **options) -> OpenAIBackend:
    return OpenAIBackend(base_url=fake.base_url, api_key="", model="local", timeout_s=5, max_retries=0,
                         breaker=CircuitBreaker(failure_threshold=2, reset_timeout_s=60), **options)


def test_auto_mode_falls_back_to_json_object_with_schema_and_keeps_it(llama: FakeOpenAI) -> None:
    llama.set_default(Reply({"answer": "수령 후 7일 이내입니다."}))
    backend = backend_for(llama)
    first = backend.generate(ASK_JSON)
    backend.generate(ASK_JSON)
    formats = [r["response_format"] for r in llama.requests]
    assert formats[0]["type"] == "json_schema"  # tried, refused with a 500
    assert formats[1] == {"type": "json_object", "schema": grammar_schema(SCHEMA)}
    assert formats[2] == formats[1]  # settled: no second probe
    assert json.loads(first.text) == {"answer": "수령 후 7일 이내입니다."}
    assert backend.active_json_mode == "json_object_schema"
    assert backend.breaker.consecutive_failures == 0  # a refused format is not an outage


def test_grammar_schema_drops_the_bounds_llama_cpp_unrolls() -> None:
    # maxLength 1500 became a grammar that crashed llama-cpp-python's server (measured).
    assert grammar_schema(SCHEMA) == {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}}


def test_a_settled_mode_is_not_dropped_by_a_later_server_error(llama: FakeOpenAI) -> None:
    from tests.fakes.fake_openai import HTTPError

    backend = backend_for(llama, json_mode="json_object_schema")
    llama.script(HTTPError(500))
    with pytest.raises(LLMError) as info:
        backend.generate(ASK_JSON)
    assert info.value.kind == "server_error" and backend.active_json_mode == "json_object_schema"


def test_tokens_are_counted_by_the_server_and_the_context_is_configured(llama: FakeOpenAI) -> None:
    backend = backend_for(llama, context_tokens=4096)
    text = "반품은 수령 후 7일 이내에 신청하세요."
    assert backend.tokens.count(text) == estimate_tokens(text)  # the fake's tokenizer, not the estimate
    assert backend.tokens.exact
    assert backend.context_tokens == 4096


def test_without_a_tokenize_route_the_estimate_is_on_the_high_side() -> None:
    with FakeOpenAI() as fake:
        backend = backend_for(fake)
        assert not backend.tokens.exact
        text = "반품은 수령 후 7일 이내에 신청하세요. Returns within 7 days."
        assert backend.tokens.count(text) >= len(text) // 2
        assert backend.context_tokens == 8192  # neither configured nor discoverable


def test_context_overflow_is_its_own_kind_and_does_not_open_the_circuit(llama: FakeOpenAI) -> None:
    backend = backend_for(llama, json_mode="json_object")
    big = LLMRequest(messages=[{"role": "user", "content": "가" * 20000}], max_tokens=900)
    for _ in range(3):
        with pytest.raises(LLMError) as info:
            backend.generate(big)
        assert info.value.kind == "context"
    assert backend.healthy()


def test_stream_yields_deltas_then_a_counted_result(llama: FakeOpenAI) -> None:
    reply = {"answer": "수령 후 7일 이내에 반품을 신청할 수 있습니다. [FAQ-RET-001]"}
    llama.script(Reply(reply))
    backend = backend_for(llama, json_mode="json_object_schema")
    events = list(backend.stream(ASK_JSON))
    deltas, result = events[:-1], events[-1]
    assert all(isinstance(d, StreamDelta) for d in deltas) and len(deltas) > 5
    assert isinstance(result, LLMResult)
    assert "".join(d.text for d in deltas) == result.text == json.dumps(reply, ensure_ascii=False)
    assert result.completion_tokens == estimate_tokens(result.text)  # no usage in the stream: counted
    assert result.prompt_tokens > 0 and result.ttft_ms is not None
    assert llama.requests[0]["stream"] is True
