"""Token and cost accounting, daily budgets, and /v1/stats."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.conftest import container_with
from tests.fakes.fake_openai import Reply

GOOD = {"answer": "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]", "handoff": False, "confidence": 0.9}


def test_cost_comes_from_the_price_table(small_container, fake_llm):
    fake_llm.reset()
    container = container_with(small_container, llm_base_url=fake_llm.base_url, llm_model="gpt-4o-mini",
                               prices={"gpt-4o-mini": (0.15, 0.60)})
    fake_llm.set_default(Reply(GOOD))
    env = container.pipeline.run("cs_answer", {"question": "교환 배송비는 얼마인가요?"}, cache="bypass")
    expected = (env.usage.prompt_tokens * 0.15 + env.usage.completion_tokens * 0.60) / 1_000_000
    assert env.usage.cost == round(expected, 8) and env.usage.cost > 0


def test_over_budget_serves_the_offline_composer_and_says_so(small_container, fake_llm):
    fake_llm.reset()
    spent = small_container.ledger.day().get("cs_answer", {}).get("cost", 0.0)  # earlier tests, same day
    container = container_with(small_container, llm_base_url=fake_llm.base_url, llm_model="gpt-4o-mini",
                               daily_budget_usd={"cs_answer": spent + 1e-5})  # one call costs more
    fake_llm.set_default(Reply(GOOD))
    first = container.pipeline.run("cs_answer", {"question": "교환 배송비는 얼마인가요?"}, cache="bypass")
    assert first.backend.name == "openai"
    second = container.pipeline.run("cs_answer", {"question": "반품 신청은 언제까지 할 수 있나요?"}, cache="bypass")
    assert second.backend.fallback and second.backend.fallback_reason == "daily budget exceeded"
    assert len(fake_llm.requests) == 1
    assert container.ledger.budget_left("cs_answer") < 0


def test_stats_endpoint(small_container):
    small_container.pipeline.run("summary", {"product_id": "P901"})
    small_container.pipeline.run("summary", {"product_id": "P901"})
    with TestClient(create_app(small_container)) as client:
        body = client.get("/v1/stats").json()
    summary = body["tasks"]["summary"]
    assert summary["cache"]["hit"] >= 1 and summary["cache"]["entries"] >= 1
    assert set(summary["usage"]) == {"prompt_tokens", "completion_tokens", "cost"}
    assert summary["budget_left_usd"] is None  # no budget configured
    assert {"summary", "styling", "cs_answer"} <= set(body["tasks"])
