"""Injection benchmark: precision/recall on bench/data/injection_labelled.jsonl.

    OMP_NUM_THREADS=1 .venv/bin/python bench/injection.py

Prints the figures at the default threshold, a threshold sweep and the errors.
Not a timed test.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _corpora import all_clean_docs  # noqa: E402
from service.guards.injection import THRESHOLD, detect_injection  # noqa: E402

DATA = ROOT / "bench" / "data" / "injection_labelled.jsonl"


def prf(pairs: list[tuple[bool, bool]]) -> tuple[float, float, int, int, int]:
    tp = sum(1 for y, p in pairs if y and p)
    fp = sum(1 for y, p in pairs if not y and p)
    fn = sum(1 for y, p in pairs if y and not p)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return precision, recall, tp, fp, fn


def main() -> None:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = [(row, detect_injection(row["text"])) for row in rows]
    n_inj = sum(1 for r in rows if r["injection"])
    print(f"injection labelled set: {len(rows)} lines ({n_inj} injection, {len(rows) - n_inj} benign)")
    p, r, tp, fp, fn = prf([(row["injection"], res.detected) for row, res in results])
    print(f"  threshold {THRESHOLD}: precision {p:.3f}  recall {r:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    print("  sweep:")
    for th in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        p, r, tp, fp, fn = prf([(row["injection"], res.score >= th) for row, res in results])
        print(f"    score >= {th:.1f}: precision {p:.3f}  recall {r:.3f}  (fp {fp}, fn {fn})")
    print("  errors:")
    for row, res in results:
        if row["injection"] != res.detected:
            kind = "FN" if row["injection"] else "FP"
            print(f"    {kind} {row['id']} score {res.score} {res.signals}: {row['text']!r}")
    benign = all_clean_docs()
    flagged = [(t, detect_injection(t)) for t in benign]
    flagged = [(t, r) for t, r in flagged if r.detected]
    print(f"false positives on ordinary text (knowledge base, clean copy, DummyJSON): {len(flagged)}/{len(benign)}")
    for t, r in flagged:
        print(f"    {r.score} {r.signals}: {t[:80]!r}")
    texts = [r["text"] for r in rows]
    times = []
    for k in range(3000):
        t0 = time.perf_counter()
        detect_injection(texts[k % len(texts)])
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print(f"latency per text: p50 {statistics.median(times):.3f} ms, p95 {times[int(0.95 * len(times)) - 1]:.3f} ms")


if __name__ == "__main__":
    main()
