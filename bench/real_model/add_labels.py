"""Append hand labels to labels.json: lines of `key<TAB>label<TAB>note` on stdin."""
import json
import sys
from pathlib import Path

p = Path(__file__).resolve().parent / "labels.json"
labels = json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        continue
    key, label, note = line.split("\t", 2)
    assert label in {"supported", "unsupported", "contradicted", "skip"}, line
    labels[key] = [label, note]
p.write_text(json.dumps(labels, ensure_ascii=False, indent=1), encoding="utf-8")
print(len(labels), "labels")
