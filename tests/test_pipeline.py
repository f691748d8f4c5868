"""The one pipeline: offline composer by default, the LLM over real HTTP, fallbacks, contracts."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from service.evidence import NotFound
from service.pipeline import UnknownTask, cited_ids
from tests.fakes.fake_openai import HTTPError, Reply, malformed_json


@pytest.fixture
def evidence_spy(monkeypatch):
    """Records the evidence ids the pipeline retrieved for each request."""
    import service.pipeline as pipeline_module

    seen: list[set[str]] = []
    real = pipeline_module.collect

    def spy(*args, **kwargs):
        evidence = real(*args, **kwargs)
        seen.append(set(evidence.by_id()))
        return evidence

    monkeypatch.setattr(pipeline_module, "collect", spy)
    return seen


# --- offline composer (the default) ------------------------------------------------


def test_summary_is_grounded_and_cited(small_container):
    env = small_container.pipeline.run("summary", {"product_id": "P901"})
    assert env.backend.name == "offline-composer" and not env.backend.fallback
    summary = env.output["summary"]
    assert "린넨 55%" in summary and "59,000원" in summary and "47,200원" in summary
    assert 3 <= summary.count("[P901]") <= 5
    assert {f["label"] for f in env.output["key_facts"]} >= {"소재", "핏", "가격", "배송", "반품"}
    assert [c.id for c in env.citations] == ["P901"]
    assert env.guard.verdict == "pass"
    assert env.prompt_version.startswith("summary-v2+")
    assert {"retrieve", "generate", "guard", "total"} <= set(env.timings_ms)


def test_unknown_product_is_not_found(small_container):
    with pytest.raises(NotFound):
        small_container.pipeline.run("summary", {"product_id": "P999"})


def test_invalid_input_and_unknown_task_are_rejected(small_container):
    with pytest.raises(ValidationError):
        small_container.pipeline.run("summary", {"product_id": "shirt"})
    with pytest.raises(UnknownTask):
        small_container.pipeline.run("poem", {})


def test_cs_answer_cites_the_matching_faq(small_container):
    env = small_container.pipeline.run("cs_answer", {"question": "사이즈 교환하면 배송비 얼마예요?"})
    assert env.output["handoff"] is False
    assert "6,000원" in env.output["answer"]
    assert [c.id for c in env.citations][0] == "FAQ-T-001"
    assert 0 < env.output["confidence"] <= 1


def test_cs_question_outside_the_knowledge_base_is_handed_off(small_container):
    env = small_container.pipeline.run("cs_answer", {"question": "주식 투자 어떻게 시작하나요?"})
    assert env.output["handoff"] is True and env.insufficient_evidence
    assert env.citations == []


def test_cs_question_about_personal_order_is_handed_off_without_generation(small_container):
    env = small_container.pipeline.run("cs_answer", {"question": "제 주문 언제 도착하나요? 주문번호 20261121-0001"})
    assert env.output["handoff"] is True
    assert env.backend.name == "handoff"
    assert "account_data" in env.reason


def test_styling_uses_only_in_stock_complements(small_container):
    env = small_container.pipeline.run("styling", {"product_id": "P901", "occasion": "출근"})
    outfits = env.output["outfits"]
    assert outfits, env.reason
    for outfit in outfits:
        assert outfit["items"][0] == "P901"
        assert "P903" not in outfit["items"]  # sold out everywhere
        assert "[SG-90" in outfit["reason"]
    assert {c.id for c in env.citations} <= {"P901", "P902", "P904", "SG-901", "SG-902"}


# --- the LLM over real HTTP ------------------------------------------------------------


def _cs(answer, handoff=False, confidence=0.9):
    return {"answer": answer, "handoff": handoff, "confidence": confidence}


def test_llm_answer_is_used_when_it_passes_the_guards(llm_container, fake_llm):
    fake_llm.script(Reply(_cs("사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]")))
    env = llm_container.pipeline.run("cs_answer", {"question": "교환 배송비 얼마예요?"})
    assert env.backend.name == "openai" and env.backend.model == "fake-model" and not env.backend.fallback
    assert env.output["answer"].startswith("사이즈 교환 시 왕복 배송비 6,000원")
    assert env.usage.prompt_tokens > 0 and env.usage.completion_tokens > 0
    sent = fake_llm.requests[0]
    assert sent["response_format"]["type"] == "json_schema"  # auto: the best mode first
    prompt = json.dumps(sent["messages"], ensure_ascii=False)
    assert "[FAQ-T-001]" in prompt and "교환 배송비 얼마예요?" in prompt


def test_llm_failure_falls_back_to_the_offline_composer(llm_container, fake_llm):
    fake_llm.set_default(HTTPError(500))
    env = llm_container.pipeline.run("cs_answer", {"question": "교환 배송비 얼마예요?"})
    assert env.backend.name == "offline-composer" and env.backend.fallback
    assert "server_error" in env.backend.fallback_reason
    assert "6,000원" in env.output["answer"] and env.citations


def test_malformed_llm_output_falls_back(llm_container, fake_llm):
    fake_llm.set_default(malformed_json())
    env = llm_container.pipeline.run("summary", {"product_id": "P902"})
    assert env.backend.fallback and "189,000원" in env.output["summary"]


def test_schema_violating_llm_output_falls_back(llm_container, fake_llm):
    fake_llm.set_default(Reply({"answer": "네", "handoff": "maybe"}))
    env = llm_container.pipeline.run("cs_answer", {"question": "반품 신청은 언제까지 할 수 있나요?"})
    assert env.backend.fallback and "schema" in env.backend.fallback_reason


def test_no_evidence_means_the_llm_is_not_called(llm_container, fake_llm):
    env = llm_container.pipeline.run("cs_answer", {"question": "주식 투자 어떻게 시작하나요?"})
    assert env.output["handoff"] is True
    assert fake_llm.requests == []


def test_llm_handoff_text_is_replaced_by_the_vetted_reply(llm_container, fake_llm):
    fake_llm.script(Reply(_cs("환불은 무조건 100% 해드립니다!", handoff=True, confidence=0.2)))
    env = llm_container.pipeline.run("cs_answer", {"question": "반품 신청은 언제까지 할 수 있나요?"})
    spec = llm_container.pipeline.spec("cs_answer")
    assert env.output["handoff"] is True and env.output["answer"] == spec.data["handoff_reply"]


def test_styling_never_names_unknown_or_sold_out_products(llm_container, fake_llm):
    fake_llm.script(Reply({"outfits": [
        {"title": "출근 코디", "items": ["P901", "P903", "P777", "P904"], "reason": "베이지와 아이보리, 차콜은 서로 잘 어울리는 뉴트럴 컬러입니다. [SG-901]"},
        {"title": "비 오는 날", "items": ["P901", "P777"], "reason": "비 오는 날에는 방수 아우터와 레인부츠를 추천합니다. [SG-902]"},
    ]}))
    env = llm_container.pipeline.run("styling", {"product_id": "P901"})
    named = {item for outfit in env.output["outfits"] for item in outfit["items"]}
    assert "P903" not in named and "P777" not in named
    assert env.output["outfits"] and env.output["outfits"][0]["items"] == ["P901", "P904"]


def test_cited_ids_reads_markers_fields_and_items():
    output = {"answer": "a [FAQ-1] b [P001]", "key_facts": [{"citation": "POL-X"}], "outfits": [{"items": ["P002"]}]}
    assert cited_ids(output) == ["FAQ-1", "P001", "POL-X", "P002"]


@pytest.mark.parametrize("task, inputs", [
    ("summary", {"product_id": "P904"}),
    ("styling", {"product_id": "P904", "season": "겨울"}),
    ("cs_answer", {"question": "반품은 언제까지 신청할 수 있나요?"}),
])
def test_offline_citations_point_at_retrieved_evidence(small_container, evidence_spy, task, inputs):
    env = small_container.pipeline.run(task, inputs)
    assert env.citations and {c.id for c in env.citations} <= evidence_spy[-1]


def test_llm_citing_unretrieved_evidence_never_reaches_the_client(llm_container, fake_llm, evidence_spy):
    fake_llm.set_default(Reply(_cs("사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001] "
                                   "교환은 30일 이내에 가능합니다. [FAQ-T-999]")))
    env = llm_container.pipeline.run("cs_answer", {"question": "교환 배송비 얼마예요?"})
    assert "FAQ-T-999" not in env.output["answer"] and "30일" not in env.output["answer"]
    assert {c.id for c in env.citations} <= evidence_spy[-1]
    assert env.guard.verdict in ("fixed", "fallback")


def test_handoff_cues_must_start_a_word(small_container):
    env = small_container.pipeline.run("cs_answer", {"question": "국내 주문 교환 배송비는 얼마인가요?"})
    assert env.output["handoff"] is False  # "내 주문" inside "국내 주문" is not a personal-order cue


def test_a_stage_inside_another_counts_for_itself_only(monkeypatch):
    # A reask's generation runs inside the guard stage; guard/generation ratios need them apart.
    from service import pipeline as P

    clock = iter([0.0, 1.0, 1.5, 4.5, 5.0])  # start, guard in, generate in, generate out, guard out
    monkeypatch.setattr(P.time, "perf_counter", lambda: next(clock))
    timer = P.StageTimer()
    with timer("guard"):
        with timer("generate"):
            pass
    assert timer.ms == {"guard": 1000.0, "generate": 3000.0}
