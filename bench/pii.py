"""PII benchmark: precision/recall per type on bench/data/pii_labelled.jsonl.

    OMP_NUM_THREADS=1 .venv/bin/python bench/pii.py

A predicted hit is correct when it overlaps an expected span of the same type.
Not a timed test: it prints figures (and the errors, for reading).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _corpora import all_clean_docs  # noqa: E402
from service.guards.pii import PII_TYPES, find_pii  # noqa: E402

DATA = ROOT / "bench" / "data" / "pii_labelled.jsonl"


def ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def main() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    stats = Counter()
    errors = []
    for row in rows:
        text = row["text"]
        expected = [(e["type"], [(m.start(), m.end()) for m in re.finditer(re.escape(e["span_text"]), text)])
                    for e in row["expected"]]
        hits = find_pii(text)
        for h in hits:
            ok = any(t == h.type and any(a < h.end and h.start < b for a, b in spans) for t, spans in expected)
            stats[(h.type, "tp" if ok else "fp")] += 1
            if not ok:
                errors.append(f"FP {row['id']} {h.type}: {text[h.start:h.end]!r} in {text!r}")
        for t, spans in expected:
            found = any(h.type == t and any(a < h.end and h.start < b for a, b in spans) for h in hits)
            stats[(t, "found" if found else "fn")] += 1
            if not found:
                got = [(h.type, text[h.start:h.end]) for h in hits]
                errors.append(f"FN {row['id']} {t}: expected {row['expected']} got {got} in {text!r}")
    n_neg = sum(1 for r in rows if not r["expected"])
    print(f"pii labelled set: {len(rows)} lines ({len(rows) - n_neg} with PII, {n_neg} without)")
    print(f"  {'type':<13} {'precision':>9} {'recall':>7} {'expected':>8} {'predicted':>9}")
    for t in PII_TYPES + ("all",):
        keys = PII_TYPES if t == "all" else (t,)
        tp = sum(stats[(k, "tp")] for k in keys)
        fp = sum(stats[(k, "fp")] for k in keys)
        found = sum(stats[(k, "found")] for k in keys)
        fn = sum(stats[(k, "fn")] for k in keys)
        print(f"  {t:<13} {ratio(tp, tp + fp):>9.3f} {ratio(found, found + fn):>7.3f} {found + fn:>8} {tp + fp:>9}")
    print(f"  errors ({len(errors)}):")
    for e in errors:
        print("   ", e)
    clean = all_clean_docs()
    flagged = [(doc, [(h.type, doc[h.start:h.end]) for h in find_pii(doc)]) for doc in clean]
    flagged = [(doc, hits) for doc, hits in flagged if hits]
    print(f"false positives on PII-free text (knowledge base, clean copy, DummyJSON): "
          f"{len(flagged)}/{len(clean)} documents")
    for doc, hits in flagged:
        print(f"    {hits} in {doc[:80]!r}")
    texts = [r["text"] for r in rows]
    times = []
    for k in range(3000):
        t0 = time.perf_counter()
        find_pii(" ".join(texts[(k + i) % len(texts)] for i in range(5)))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(f"latency per 5-line text: p50 {statistics.median(times):.3f} ms, p95 {times[int(0.95 * len(times)) - 1]:.3f} ms")


if __name__ == "__main__":
    main()
