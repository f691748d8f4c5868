"""Key facts are facts: "label: value [citation]" is grounded as one claim, and the spec
must name a guard for every string field its output can carry."""

from __future__ import annotations

import pytest

from tests.fakes.fake_openai import Reply

SUMMARY = "린넨 블렌드 오버핏 셔츠는 린넨 55%, 면 45% 소재입니다. [P901]"


def summary(*facts: tuple[str, str, str]) -> Reply:
    return Reply({"summary": SUMMARY, "key_facts": [{"label": l, "value": v, "citation": c} for l, v, c in facts]})


def facts_check(env) -> dict:
    return next(c for c in env.guard.output if c.check == "grounding:facts")


def test_a_wrong_price_in_a_key_fact_does_not_ship(llm_container, fake_llm):
    fake_llm.set_default(summary(("가격", "59,000원", "P901"), ("소재", "린넨 55%, 면 45%", "P901"), ("할인가", "19,000원", "P901")))
    env = llm_container.pipeline.run("summary", {"product_id": "P901"})
    assert "19,000원" not in [f["value"] for f in env.output["key_facts"]]
    assert env.guard.actions  # repaired, not passed as it came
    row = llm_container.audit.recent(1)[0]
    failure = next(f for f in row["failures"] if f["check"] == "grounding:facts")
    assert any(d.get("field") == "key_facts.2.value" for d in failure["details"])


def test_a_wrong_material_share_is_caught_with_its_label(llm_container, fake_llm):
    fake_llm.set_default(summary(("소재", "면 80%", "P901"), ("가격", "59,000원", "P901")))
    env = llm_container.pipeline.run("summary", {"product_id": "P901"})
    assert "면 80%" not in [f["value"] for f in env.output["key_facts"]]


def test_a_key_fact_citing_a_document_that_was_not_retrieved_goes(llm_container, fake_llm):
    fake_llm.set_default(summary(("가격", "59,000원", "P999"), ("가격", "59,000원", "P901")))
    env = llm_container.pipeline.run("summary", {"product_id": "P901"})
    assert "P999" not in [f["citation"] for f in env.output["key_facts"]]


def test_right_key_facts_pass_untouched(llm_container, fake_llm):
    facts = [("가격", "59,000원", "P901"), ("소재", "린넨 55%, 면 45%", "P901")]
    fake_llm.set_default(summary(*facts))
    env = llm_container.pipeline.run("summary", {"product_id": "P901"})
    assert [(f["label"], f["value"], f["citation"]) for f in env.output["key_facts"]] == facts
    assert facts_check(env).verdict == "pass"


def test_an_invented_outfit_item_is_not_served(llm_container, fake_llm):
    reason = "베이지와 아이보리, 차콜은 서로 잘 어울리는 뉴트럴 컬러입니다. [SG-901]"
    fake_llm.set_default(Reply({"outfits": [{"title": "출근 코디", "items": ["P901", "P904"], "reason": reason},
                                            {"title": "주말 코디", "items": ["P901", "P777"], "reason": reason}]}))
    env = llm_container.pipeline.run("styling", {"product_id": "P901"})
    assert all("P777" not in o["items"] for o in env.output["outfits"])


def test_a_spec_that_leaves_a_string_field_unchecked_is_refused(tmp_path):
    import shutil
    from pathlib import Path

    from service.tasks.spec import load_specs
    from service.tasks.validation import SpecError

    root = Path(__file__).resolve().parents[1]
    specs = tmp_path / "specs"
    shutil.copytree(root / "service" / "tasks" / "specs", specs)
    text = (specs / "summary.yaml").read_text(encoding="utf-8")
    text = text.replace('label_fields: ["key_facts[].label"]\n', "").split("fact_fields:")[0] + "guard:" + text.split("guard:", 1)[1]
    (specs / "summary.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match="key_facts\\[\\].citation.*checked by nothing"):
        load_specs(specs, root / "prompts")


def test_a_right_sentence_with_the_wrong_citation_is_recited_not_dropped(llm_container, fake_llm):
    # styling fixes grounding failures; the sentence is SG-901's, cited as SG-902
    wrong = "베이지와 아이보리, 차콜은 서로 잘 어울리는 뉴트럴 컬러입니다. [SG-902]"
    fake_llm.set_default(Reply({"outfits": [{"title": "출근 코디", "items": ["P901", "P904"], "reason": wrong}]}))
    env = llm_container.pipeline.run("styling", {"product_id": "P901"})
    assert not env.backend.fallback and env.guard.actions == ["fix"]
    assert env.output["outfits"][0]["reason"] == wrong.replace("SG-902", "SG-901")


def test_the_envelope_names_the_failures_behind_a_fix(llm_container, fake_llm):
    wrong = "베이지와 아이보리, 차콜은 서로 잘 어울리는 뉴트럴 컬러입니다. [SG-902]"
    fake_llm.set_default(Reply({"outfits": [{"title": "출근 코디", "items": ["P901", "P904"], "reason": wrong}]}))
    env = llm_container.pipeline.run("styling", {"product_id": "P901"})
    assert env.guard.actions == ["fix"] and all(c.verdict == "pass" for c in env.guard.output)
    repair = next(r for r in env.guard.repairs if r["check"] == "grounding")
    assert repair["action"] == "fix" and "SG-901" in repair["details"][0]["reason"]
