"""Clean text corpora for false-alarm measurements, shared by the guard benchmarks.

One document per product (name + description + reviews), FAQ entry, style-guide
section and policy-facts section, the team's clean commerce copy, and DummyJSON's
English product text (MIT, github.com/Ovi/DummyJSON) from shared/data when present.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
DUMMYJSON = ROOT.parent / "shared" / "data" / "dummyjson-products" / "products.json"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def knowledge_docs() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if (KNOWLEDGE / "products.jsonl").exists():
        out["products.jsonl (name + description + reviews)"] = [
            " ".join([p.get("name", ""), p.get("description", "")] + [r.get("text", "") for r in p.get("reviews") or []])
            for p in _jsonl(KNOWLEDGE / "products.jsonl")]
    if (KNOWLEDGE / "faq.jsonl").exists():
        out["faq.jsonl (title + text)"] = [f"{r.get('title', '')} {r.get('text', '')}" for r in _jsonl(KNOWLEDGE / "faq.jsonl")]
    for name in ("style_guides.md", "POLICY_FACTS.md"):
        if (KNOWLEDGE / name).exists():
            sections = re.split(r"^## ", (KNOWLEDGE / name).read_text(encoding="utf-8"), flags=re.M)
            out[f"{name} (one doc per section)"] = [s.strip() for s in sections if s.strip()]
    return out


def clean_copy_docs() -> list[str]:
    return [row["text"] for row in _jsonl(ROOT / "bench" / "data" / "clean_commerce_copy.jsonl")]


def dummyjson_docs() -> list[str]:
    if not DUMMYJSON.exists():
        return []
    data = json.loads(DUMMYJSON.read_text(encoding="utf-8"))
    products = data["products"] if isinstance(data, dict) else data
    return [" ".join([p.get("title", ""), p.get("description", "")] + [r.get("comment", "") for r in p.get("reviews", [])])
            for p in products]


def all_clean_docs() -> list[str]:
    docs = [d for group in knowledge_docs().values() for d in group] + clean_copy_docs() + dummyjson_docs()
    return [d for d in docs if d.strip()]
