"""POST /v1/answers?stream=true: sentences are released only after they pass the guards."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.streaming import complete_sentences, partial_bool, partial_string
from tests.fakes.fake_openai import HTTPError, Reply

QUESTION = {"question": "교환 배송비 얼마예요?"}


@pytest.fixture
def stream_client(llama_container):
    with TestClient(create_app(llama_container), raise_server_exceptions=False) as client:
        yield client


def events_of(client, body=QUESTION, params="?stream=true"):
    with client.stream("POST", "/v1/answers" + params, json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join(response.iter_text())
    events = []
    for block in raw.strip().split("\n\n"):
        name = block.split("\n")[0].removeprefix("event: ")
        data = json.loads(block.split("\n", 1)[1].removeprefix("data: "))
        events.append((name, data))
    return events


def test_sentences_pass_the_guards_before_they_are_shown(stream_client, llama):
    answer = ("사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001] "
              "교환 배송비는 무료이며 평생 무상 교환을 보장합니다. [FAQ-T-001] "
              "자세한 내용은 교환 안내를 참고해 주세요.")
    llama.set_default(Reply({"handoff": False, "answer": answer, "confidence": 0.9}, latency_s=0.3))
    events = events_of(stream_client)
    names = [n for n, _ in events]
    shown = [d["text"] for n, d in events if n == "sentence"]
    assert names[-1] == "done"
    assert shown[0] == "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]"
    assert not any("무료" in s or "평생" in s for s in shown)  # the contradicted sentence never shows
    assert ("withheld", {"index": 1, "checks": ["grounding"]}) in events
    envelope = events[-1][1]
    assert envelope["output"]["answer"] == " ".join(shown)  # the envelope says what was shown, no more
    assert envelope["guard"]["verdict"] == "fixed" and envelope["backend"]["name"] == "openai"
    assert {"ttft", "tpot", "first_sentence"} <= set(envelope["timings_ms"])
    assert envelope["usage"]["completion_tokens"] > 0 and envelope["usage"]["prompt_tokens"] > 0
    assert llama.requests[-1]["stream"] is True


def test_a_model_handoff_streams_the_vetted_reply(stream_client, llama):
    llama.set_default(Reply({"handoff": True, "answer": "고객님 주문은 제가 취소했습니다.", "confidence": 0.2}))
    events = events_of(stream_client)
    shown = " ".join(d["text"] for n, d in events if n == "sentence")
    assert "취소했습니다" not in shown and "상담원" in shown
    assert events[-1][1]["output"]["handoff"] is True


def test_a_failed_model_streams_the_offline_answer(stream_client, llama):
    llama.set_default(HTTPError(503))
    events = events_of(stream_client)
    envelope = events[-1][1]
    assert envelope["backend"]["fallback"] and "server_error" in envelope["backend"]["fallback_reason"]
    assert any(n == "sentence" and "6,000원" in d["text"] for n, d in events)


def test_bad_input_is_a_4xx_before_the_stream(stream_client):
    response = stream_client.post("/v1/answers?stream=true", json={"question": ""})
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/json")


def test_offline_default_streams_too(client):
    events = events_of(client)
    assert events[-1][0] == "done" and events[-1][1]["backend"]["name"] == "offline-composer"
    assert " ".join(d["text"] for n, d in events if n == "sentence") == events[-1][1]["output"]["answer"]


@pytest.fixture(scope="module")
def client(small_container):
    with TestClient(create_app(small_container), raise_server_exceptions=False) as c:
        yield c


def test_incremental_json_reading():
    text = '{"handoff": false, "answer": "첫 문장입니다. [A-1] 둘째 \\"문장\\"'
    assert partial_bool(text, "handoff") is False
    assert partial_string(text, "answer") == ('첫 문장입니다. [A-1] 둘째 "문장"', False)
    assert list(complete_sentences('첫 문장입니다. [A-1] 둘째 "문장"', 0, False)) == [("첫 문장입니다. [A-1]", 14)]
    assert partial_string('{"answer": "끝\\u', "answer") == ("끝", False)  # a cut escape waits


def test_when_no_model_sentence_passes_the_offline_answer_follows_with_new_indices(stream_client, llama):
    llama.set_default(Reply({"handoff": False, "answer": "교환 배송비는 전액 무료입니다. [FAQ-T-001]", "confidence": 0.9}))
    events = events_of(stream_client)
    shown = [(n, d["index"]) for n, d in events if n in ("sentence", "withheld")]
    assert shown[0] == ("withheld", 0) and [i for _, i in shown] == list(range(len(shown)))
    envelope = events[-1][1]
    assert envelope["guard"]["verdict"] == "fallback" and "refrain" in envelope["guard"]["actions"]
    assert envelope["backend"]["fallback_reason"].startswith("output failed the guards")
    assert envelope["guard"]["repairs"]  # the withheld sentence's failed check is on record
