"""A fake LLM for benchmarks: answers instantly, building valid output from the prompt's evidence.

It reuses the test fake server (real HTTP, real openai client) with a responder
that copies evidence lines, so the guards pass and no reask or fallback adds
work that the real service would not do on a good answer.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.fakes.fake_openai import FakeOpenAI, Reply  # noqa: E402

BLOCK = re.compile(r"^\[(?P<id>[A-Za-z0-9_-]+)\] (?P<title>.*)\n(?P<text>(?:(?!\[[A-Za-z0-9_-]+\] ).*\n?)*)", re.M)


def _evidence(body: dict) -> list[dict]:
    # The last message holding evidence: a reask appends feedback after it.
    user = next(m["content"] for m in reversed(body["messages"]) if "<evidence>" in m["content"])
    inner = user.split("<evidence>", 1)[1].split("</evidence>", 1)[0]
    return [m.groupdict() for m in BLOCK.finditer(inner.strip() + "\n")]


def respond(body: dict) -> dict:
    system = body["messages"][0]["content"]
    evidence = _evidence(body)
    first = evidence[0]
    lines = [line for line in first["text"].splitlines() if line.strip()]
    if "고객센터" in system:
        sentence = lines[-1].split(". ")[0].rstrip(".") + "."
        return {"answer": f"{sentence} [{first['id']}]", "handoff": False, "confidence": 0.8}
    if "스타일리스트" in system:
        products = [e["id"] for e in evidence if e["id"].startswith("P")]
        guides = [e for e in evidence if e["id"].startswith("SG-")]
        guide_line = guides[0]["text"].splitlines()[1].split(". ")[0].rstrip(".") + "."
        return {"outfits": [{"title": "코디", "items": products[:3], "reason": f"{guide_line} [{guides[0]['id']}]"}]}
    facts = [line for line in lines if line.startswith(("소재:", "핏:", "가격:"))]
    return {"summary": " ".join(f"{fact} [{first['id']}]" for fact in facts),
            "key_facts": [{"label": f.split(":")[0], "value": f.split(":", 1)[1].strip(), "citation": first["id"]} for f in facts]}


def start() -> FakeOpenAI:
    fake = FakeOpenAI(default=Reply(lambda body: json.dumps(respond(body), ensure_ascii=False)))
    return fake.start()
