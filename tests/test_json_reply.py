"""The tolerant reader, on every reply a real model (Qwen2.5 1.5B on llama.cpp) gave the service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from service.generation import InvalidOutput, parse_output
from service.llm.json_reply import UnreadableReply, read_json_reply

ROOT = Path(__file__).resolve().parent.parent
RECORDING = ROOT / "bench" / "real_model" / "recording-2026-12-02.jsonl"
SCHEMAS = {t: json.loads((ROOT / "prompts" / t / "schema.json").read_text()) for t in ("summary", "cs_answer")}


def recorded_replies():
    for line in RECORDING.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        reply = record["reply"] if isinstance(record["reply"], dict) else json.loads(record["reply"])
        task = "cs_answer" if "customer_question" in json.dumps(record["request"], ensure_ascii=False) else "summary"
        choice = reply["choices"][0]
        yield pytest.param(task, choice["message"]["content"], choice["finish_reason"], id=f"seq{record['seq']}-{task}")


@pytest.mark.parametrize("task, text, finish", list(recorded_replies()))
def test_every_recorded_real_reply_is_read_and_fits_the_schema(task, text, finish):
    parsed = parse_output(text, SCHEMAS[task])
    assert not list(Draft202012Validator(SCHEMAS[task]).iter_errors(parsed.output))
    if finish == "length":
        assert "truncated" in parsed.repairs


def test_schema_copy_is_unwrapped():
    text = ('{"type": "object", "required": ["answer", "handoff", "confidence"], "properties": '
            '{"answer": "사이즈 교환은 왕복 6,000원이 발생합니다.", "handoff": false, "confidence": 1}}')
    parsed = parse_output(text, SCHEMAS["cs_answer"])
    assert parsed.output == {"answer": "사이즈 교환은 왕복 6,000원이 발생합니다.", "handoff": False, "confidence": 1}
    assert parsed.repairs == ["schema_copy"]


def test_a_real_schema_is_not_mistaken_for_an_answer():
    with pytest.raises(InvalidOutput, match="schema"):
        parse_output(json.dumps(SCHEMAS["cs_answer"]), SCHEMAS["cs_answer"])


def test_fences_and_prose_around_are_tolerated():
    reading = read_json_reply('Here is the JSON:\n```json\n{"answer": "네"}\n```\nHope this helps.')
    assert reading.value == {"answer": "네"} and "fence" in reading.repairs


def test_a_cut_string_is_dropped_not_closed():
    # Half a sentence is a different claim; the cut key fact goes, the complete ones stay.
    text = ('{"summary": "면 100% 티셔츠입니다. [P001]", "key_facts": [{"label": "소재", "value": "면 100%", '
            '"citation": "P001"}, {"label": "가격", "value": "29,0')
    parsed = parse_output(text, SCHEMAS["summary"])
    assert parsed.output["key_facts"] == [{"label": "소재", "value": "면 100%", "citation": "P001"}]
    assert "truncated" in parsed.repairs


def test_a_cut_inside_the_required_prose_is_invalid():
    with pytest.raises(InvalidOutput):
        parse_output('{"summary": "면 100% 티셔츠입니다. 가격은 29,', SCHEMAS["summary"])


@pytest.mark.parametrize("text", ["", "죄송합니다, 답변할 수 없습니다.", "[1, 2]"])
def test_no_object_is_unreadable(text):
    with pytest.raises(UnreadableReply):
        read_json_reply(text)
