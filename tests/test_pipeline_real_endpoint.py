"""The pipeline against an endpoint that behaves like llama-cpp-python's server: replies
that copy the schema or are cut at max_tokens still reach the guards, prompts fit the
context window, and the tokens of unusable replies are still accounted."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import container_with
from tests.fakes.fake_openai import Reply


def test_a_schema_copying_reply_is_read_and_guarded(llama_container, llama):
    copied = {"type": "object", "required": ["answer", "handoff", "confidence"],
              "properties": {"answer": "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]",
                             "handoff": False, "confidence": 1}}
    llama.set_default(Reply(copied))
    env = llama_container.pipeline.run("cs_answer", {"question": "교환 배송비 얼마예요?"})
    assert not env.backend.fallback and env.backend.name == "openai"
    assert env.backend.reply_repairs == ["schema_copy"]
    assert env.output["answer"].startswith("사이즈 교환 시 왕복 배송비 6,000원")
    assert [r["response_format"]["type"] for r in llama.requests] == ["json_schema", "json_object"]
    assert "schema" in llama.requests[1]["response_format"]  # llama.cpp's grammar-constrained mode


def test_a_cut_summary_keeps_its_complete_part(llama_container, llama):
    full = json.dumps({"summary": "린넨 블렌드 오버핏 셔츠입니다. [P901]",
                       "key_facts": [{"label": "가격", "value": "59,000원", "citation": "P901"},
                                     {"label": "소재", "value": "린넨 55%, 면 45%", "citation": "P901"}]},
                      ensure_ascii=False)
    llama.set_default(Reply(full[: full.index("린넨 55%") + 3], finish_reason="length"))
    env = llama_container.pipeline.run("summary", {"product_id": "P901"})
    assert not env.backend.fallback, env.backend.fallback_reason
    assert "truncated" in env.backend.reply_repairs
    assert [f["value"] for f in env.output["key_facts"]] == ["59,000원"]


def test_an_unusable_reply_falls_back_with_a_reason_and_its_tokens_are_counted(llama_container, llama):
    llama.set_default(Reply("죄송합니다. 잘 모르겠습니다."))
    env = llama_container.pipeline.run("cs_answer", {"question": "교환 배송비 얼마예요?"})
    assert env.backend.fallback and env.backend.fallback_reason.startswith("invalid llm output: not JSON")
    assert env.usage.prompt_tokens > 0 and env.usage.completion_tokens > 0  # spent, so counted


def _evidence_ids(request: dict) -> list[str]:
    prompt = request["messages"][-1]["content"]
    block = prompt[prompt.index("<evidence>"): prompt.index("</evidence>")]
    return re.findall(r"^\[([A-Z][A-Z0-9-]+)\]", block, flags=re.M)


def test_prompts_fit_a_small_context_by_leaving_out_low_ranked_evidence(small_container, llama):
    shown = {}
    for window in (8192, 960):
        llama.reset()
        container = container_with(small_container, llm_base_url=llama.base_url, llm_model="local",
                                   llm_max_retries=0, llm_timeout_s=5.0, llm_context_tokens=window)
        llama.set_default(Reply("not json"))
        container.pipeline.run("styling", {"product_id": "P901"}, cache="bypass")
        shown[window] = _evidence_ids(llama.requests[0])
    assert shown[960][0] == "P901"  # the anchor product is pinned
    assert len(shown[960]) < len(shown[8192])
    assert shown[960] == shown[8192][: len(shown[960])]  # the lowest-ranked go first


def test_a_prompt_that_cannot_fit_falls_back_without_calling_the_model(small_container, llama):
    llama.reset()
    container = container_with(small_container, llm_base_url=llama.base_url, llm_model="local", llm_max_retries=0,
                               llm_timeout_s=5.0, llm_context_tokens=700)
    env = container.pipeline.run("summary", {"product_id": "P901"})
    assert env.backend.fallback and env.backend.fallback_reason.startswith("llm error: context")
    assert llama.requests == []


def test_supported_sentences_without_markers_get_their_source_cited(llama_container, llama):
    # Real models wrote no [ID] markers at all; every answer must still cite its evidence.
    llama.set_default(Reply({"handoff": False, "answer": "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다.",
                             "confidence": 0.9}))
    env = llama_container.pipeline.run("cs_answer", {"question": "교환 배송비 얼마예요?"})
    assert not env.backend.fallback
    assert env.output["answer"] == "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]"
    assert [c.id for c in env.citations] == ["FAQ-T-001"]


def test_outfit_items_written_as_names_are_mapped_to_their_ids(llama_container, llama):
    # A real model wrote "Oxford Button-down Shirt" where the schema wants "P019".
    llama.set_default(Reply({"outfits": [{"title": "데일리", "items": ["P901", "Cashmere Crew Knit"],
                                          "reason": "베이지와 아이보리, 차콜은 서로 잘 어울리는 뉴트럴 컬러입니다. [SG-901]"}]}))
    env = llama_container.pipeline.run("styling", {"product_id": "P901"})
    assert "ids_from_names" in env.backend.reply_repairs, env.backend
    assert env.output["outfits"][0]["items"] == ["P901", "P904"]


def test_a_citation_of_an_id_never_retrieved_is_corrected_not_dropped(llama_container, llama):
    # The model wrote a right fact with a made-up source; the passage that states it is cited instead.
    llama.set_default(Reply({"handoff": False, "answer": "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [P001]",
                             "confidence": 0.9}))
    env = llama_container.pipeline.run("cs_answer", {"question": "교환 배송비 얼마예요?"})
    assert env.output["answer"] == "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]", env.backend
    assert env.guard.verdict == "fixed" and not env.backend.fallback
