"""What a failure does: block-listed words refrain, a fix never serves an empty answer
or raises, and the audit log names the failures behind every action and fallback."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.fakes.fake_openai import HTTPError, Reply

GOOD = "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]"
HALLUCINATED = "사이즈 교환 시 왕복 배송비 3,000원이 부과됩니다. [FAQ-T-001]"
QUESTION = {"question": "교환 배송비는 얼마인가요?"}
NEUTRAL = "베이지와 아이보리, 차콜은 서로 잘 어울리는 뉴트럴 컬러입니다. [SG-901]"


def cs(answer: str) -> Reply:
    return Reply({"answer": answer, "handoff": False, "confidence": 0.9})


def outfit(title: str, items: list[str], reason: str = NEUTRAL) -> dict:
    return {"title": title, "items": items, "reason": reason}


def banned(env) -> dict:
    return next(c for c in env.guard.output if c.check == "banned_words")


def last_audit(container, env) -> dict:
    row = container.audit.recent(1)[0]
    assert row["request_id"] == env.request_id
    return row


# --- action: block in the banned-word lists ----------------------------------------------


def test_a_block_listed_word_refrains_instead_of_dropping_its_sentence(llm_container, fake_llm):
    # internal.yaml says action: block ("do not publish the text"); dropping the sentence
    # and serving the rest would publish it all the same.
    fake_llm.set_default(cs(GOOD + " 해당 금액은 내부 전용 기준입니다. [FAQ-T-001]"))
    env = llm_container.pipeline.run("cs_answer", QUESTION)
    assert env.guard.actions == ["refrain"] and env.guard.verdict == "fallback"
    assert env.backend.name == "offline-composer" and "내부" not in env.output["answer"]
    assert len(fake_llm.requests) == 1  # no reask either
    row = last_audit(llm_container, env)
    refrain = next(f for f in row["failures"] if f["check"] == "banned_words")
    assert refrain["action"] == "refrain" and refrain["details"][0]["list_action"] == "block"


def test_a_fix_listed_word_is_still_fixed(llm_container, fake_llm):
    fake_llm.set_default(Reply({"outfits": [outfit("출근 코디", ["P901", "P904"], NEUTRAL + " 무신사에서 인기 있는 조합입니다. [SG-901]")]}))
    env = llm_container.pipeline.run("styling", {"product_id": "P901"})
    assert env.guard.actions == ["fix"] and env.guard.verdict == "fixed"
    assert env.output["outfits"][0]["reason"] == NEUTRAL


def test_a_block_listed_word_in_a_title_refrains(llm_container, fake_llm):
    fake_llm.set_default(Reply({"outfits": [outfit("원가 수준 코디", ["P901", "P904"]), outfit("출근 코디", ["P901", "P904"])]}))
    env = llm_container.pipeline.run("styling", {"product_id": "P901"})
    assert env.guard.actions == ["refrain"] and env.guard.verdict in ("fallback", "blocked")
    assert all("원가" not in o["title"] for o in env.output["outfits"])


def test_a_composer_output_with_a_block_listed_word_is_blocked_not_fixed(small_container, monkeypatch):
    from service.llm import offline

    real = offline.COMPOSERS["cs_answer"]
    monkeypatch.setitem(offline.COMPOSERS, "cs_answer",
                        lambda *a: {**real(*a), "answer": GOOD + " 마진율은 공개하지 않습니다. [FAQ-T-001]"})
    env = small_container.pipeline.run("cs_answer", QUESTION)
    assert env.guard.verdict == "blocked" and env.output["handoff"] is True
    assert env.guard.actions == ["refrain"]


def test_guard_check_reports_the_list_action(small_container):
    report = small_container.guards.check_text("업계 최고 품질, 원가 이하로 팝니다.", None, ["banned_words"])
    assert {h["category"]: h["list_action"] for h in report["banned_words"]} == {"advertising": "fix", "internal": "block"}


# --- a fix never raises, never serves nothing --------------------------------------------


def test_an_unknown_product_and_a_competitor_in_another_title_are_fixed_not_a_500(llm_container, fake_llm):
    fake_llm.set_default(Reply({"outfits": [outfit("출근 코디", ["P901", "P999"]),
                                            outfit("무신사 감성 코디", ["P901", "P904"]),
                                            outfit("주말 코디", ["P901", "P904"])]}))
    with TestClient(create_app(llm_container)) as client:
        r = client.post("/v1/styling", json={"product_id": "P901"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [o["title"] for o in body["output"]["outfits"]] == ["주말 코디"]
    assert body["guard"]["verdict"] == "fixed" and body["guard"]["actions"] == ["fix"]


def test_a_summary_whose_every_sentence_fails_is_the_handoff_reply_not_empty(small_container, monkeypatch):
    from service.llm import offline

    real = offline.COMPOSERS["summary"]
    every_sentence_banned = "업계 최고의 셔츠입니다. [P901] 무조건 만족하실 겁니다. [P901]"
    monkeypatch.setitem(offline.COMPOSERS, "summary", lambda *a: {**real(*a), "summary": every_sentence_banned})
    env = small_container.pipeline.run("summary", {"product_id": "P901"})
    spec = small_container.pipeline.spec("summary")
    assert env.output["summary"] == spec.data["handoff_reply"] and env.output["summary"].strip()
    assert env.guard.verdict == "blocked" and env.guard.actions == ["refrain"]
    assert env.reason and "banned_words" in env.reason
    row = last_audit(small_container, env)
    assert ("banned_words", "refrain") in {(f["check"], f["action"]) for f in row["failures"] if f["direction"] == "output"}


def test_a_summary_of_citations_only_is_refrained_with_a_reason(llm_container, fake_llm):
    fake_llm.set_default(Reply({"summary": "[P901]", "key_facts": []}))
    env = llm_container.pipeline.run("summary", {"product_id": "P901"})
    assert env.guard.actions == ["refrain"] and env.guard.verdict == "fallback"
    assert env.reason == "no prose left in summary" and env.backend.fallback_reason == env.reason
    assert "47,200원" in env.output["summary"]  # the offline composer's summary
    row = last_audit(llm_container, env)
    prose = next(f for f in row["failures"] if f["check"] == "prose")
    assert prose["action"] == "refrain" and prose["details"] == [{"field": "summary", "reason": "no prose left"}]


def test_a_fix_drops_adjacent_failing_sentences_both(small_container):
    # The second sentence starts with the first one's citation: the overlapping drop spans
    # used to be skipped, leaving a failing sentence in the "fixed" output.
    from service.guards import fields as F
    from service.guards.policy import _apply, _Edits

    output = {"summary": "업계 최고의 셔츠입니다. [P901] 무조건 만족하실 겁니다. [P901] 린넨 55%입니다. [P901]"}
    prose = F.extract(output, ["summary"])
    fixed = _apply(output, prose, _Edits(drops=[(3, 5), (21, 24)]), None)
    assert fixed == {"summary": "린넨 55%입니다. [P901]"}


# --- the audit names the failures behind every action ------------------------------------


def test_a_fixed_row_names_the_failed_check_and_claim(llm_container, fake_llm):
    fake_llm.set_default(Reply({"outfits": [outfit("출근 코디", ["P901", "P904"],
                                                   NEUTRAL + " 이 조합은 키가 10cm 커 보이게 합니다. [SG-901]")]}))
    env = llm_container.pipeline.run("styling", {"product_id": "P901"})
    assert env.guard.verdict == "fixed"
    failures = last_audit(llm_container, env)["failures"]
    assert failures, "a fixed row must say what was fixed"
    grounding = next(f for f in failures if f["check"] == "grounding")
    assert grounding["action"] == "fix" and grounding["step"] == 1
    assert any("10cm" in d.get("text", "") and d["verdict"] != "supported" for d in grounding["details"])


def test_reask_and_refrain_rows_name_each_attempts_failures(llm_container, fake_llm):
    fake_llm.set_default(cs(HALLUCINATED + " 문의는 010-2222-3333 으로 주세요."))
    env = llm_container.pipeline.run("cs_answer", QUESTION)
    assert env.guard.actions == ["reask", "refrain"] and env.guard.verdict == "fallback"
    failures = last_audit(llm_container, env)["failures"]
    steps = {(f["step"], f["action"], f["check"]) for f in failures if f["direction"] == "output"}
    assert {(1, "reask", "grounding"), (2, "refrain", "grounding")} <= steps
    claim = next(d for f in failures if f["check"] == "grounding" for d in f["details"] if "3,000원" in d.get("text", ""))
    assert claim["reason"]
    blob = json.dumps(failures, ensure_ascii=False)
    assert "010-2222-3333" not in blob  # claims are redacted
    assert {"direction": "backend", "check": "llm", "action": "fallback",
            "details": [{"reason": env.backend.fallback_reason}]} in failures


def test_every_llm_fallback_gets_an_audit_row_with_its_reason(llm_container, fake_llm):
    fake_llm.set_default(HTTPError(500))
    env = llm_container.pipeline.run("cs_answer", QUESTION)
    assert env.backend.fallback and env.guard.verdict == "pass" and not env.guard.actions
    row = last_audit(llm_container, env)
    assert row["failures"] == [{"direction": "backend", "check": "llm", "action": "fallback",
                                "details": [{"reason": env.backend.fallback_reason}]}]
    assert "server_error" in env.backend.fallback_reason


def test_long_claims_are_shortened_in_the_audit():
    from service.envelope import CheckResult
    from service.guards.audit import CLAIM_CHARS, _failure

    long_claim = "가" * 300
    item = _failure("output", CheckResult(check="grounding", verdict="fail",
                                          details=[{"text": long_claim, "verdict": "unsupported", "reason": "r"}]))
    assert len(item["details"][0]["text"]) == CLAIM_CHARS
