"""A few requests through a real local model (llama.cpp server, Qwen2.5 1.5B): the tasks, the
stream and the LLM judge. Skipped unless `make llm` has installed the server and the weights;
slow (about a minute per request on one CPU thread)."""

from __future__ import annotations

import socket

import pytest

from service.config import PROJECT_ROOT
from service.grounding import Evidence
from service.llm import local_model, local_server
from service.llm.cli import LLM_PYTHON
from tests.conftest import container_with

MODEL = local_model.model_path(local_model.DEFAULT_MODEL, PROJECT_ROOT / "var" / "models")
ALIAS = "qwen2.5-coder-1.5b-instruct-q4_k_m"

pytestmark = [
    pytest.mark.real_llm,
    pytest.mark.slow,
    pytest.mark.skipif(not (LLM_PYTHON.exists() and MODEL.exists()),
                       reason="no local model: `make llm` installs the llama.cpp server and the weights"),
]


@pytest.fixture(scope="module")
def real_llm_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = local_server.start(MODEL, ALIAS, port, LLM_PYTHON, n_ctx=4096, threads=1)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        local_server.wait_ready(url, 300, proc=proc)
        yield url
    finally:
        local_server.stop(proc)


@pytest.fixture
def real_container(small_container, real_llm_url):
    return container_with(small_container, llm_base_url=real_llm_url, llm_model=ALIAS, llm_max_retries=0,
                          llm_timeout_s=300.0, llm_context_tokens=4096)


def test_a_real_model_answers_through_the_guards(real_container):
    env = real_container.pipeline.run("cs_answer", {"question": "교환 배송비는 얼마인가요?"}, cache="bypass")
    # Transport, context and format must not cause a fallback; the guards may still act on the text.
    reason = env.backend.fallback_reason or ""
    assert not reason.startswith(("llm error", "invalid llm output")), reason
    assert env.usage.prompt_tokens > 0 and env.usage.completion_tokens > 0
    assert env.output["answer"] and env.guard.verdict in ("pass", "fixed", "fallback")
    if env.guard.verdict in ("pass", "fixed") and not env.output["handoff"]:
        assert env.citations, "every served answer cites its evidence"


def test_a_real_model_streams_guarded_sentences(real_container):
    from service.streaming import GuardedStream

    events = list(GuardedStream(real_container.pipeline, "cs_answer", {"question": "반품은 언제까지 신청할 수 있나요?"}).events())
    assert events[-1].name == "done"
    envelope = events[-1].data
    shown = [e.data["text"] for e in events if e.name == "sentence"]
    assert " ".join(shown) == envelope["output"]["answer"]
    if not envelope["backend"]["fallback"]:
        assert envelope["timings_ms"]["ttft"] > 0 and "first_sentence" in envelope["timings_ms"]


def test_the_llm_judge_labels_claims_with_a_real_model(real_container):
    from service.grounding.llm_judge import LLMJudge

    judge = LLMJudge(real_container.llm, max_tokens=200)
    evidence = [Evidence("FAQ-T-002", "상품 수령 후 7일 이내에 마이페이지에서 반품 신청하실 수 있습니다.")]
    report = judge.check("반품은 수령 후 7일 이내에 신청할 수 있습니다. [FAQ-T-002]", evidence)
    assert len(report.claims) == 1 and report.claims[0].verdict in ("supported", "contradicted", "unsupported")
