"""Benchmark of the per-claim grounding guard on a labelled commerce claim set.

    OMP_NUM_THREADS=1 python bench/grounding.py [--errors A|B|all] [--no-embedder] [--latency-runs N]

Prints balanced accuracy of supported vs not supported (overall, Korean,
English, and per split: A is the half of batch 1 the rules were tuned on, B the
other half, C = batch 2 written after the rules were frozen; see split_of),
3-way accuracy, the confusion matrix, and p50/p95 latency of ``check()`` for
5-claim answers against 5 evidence passages, single thread: "warm" with the
evidence analysis cache filled (the steady state of a service that sees the
same documents all day) and "cold" with every cache cleared before each call.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy is imported

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import service  # noqa: E402,F401  (offline, single-thread environment)
from service.grounding import Evidence, GroundingChecker  # noqa: E402
from service.nlp.korean import get_analyzer  # noqa: E402
from service.retrieval.embedder import get_embedder  # noqa: E402
from service.retrieval.loaders import load_knowledge  # noqa: E402

DATA = ROOT / "bench" / "data" / "grounding_claims.jsonl"
KNOWLEDGE = ROOT / "knowledge"
LABELS = ("supported", "contradicted", "unsupported")


def split_of(item: dict) -> str:
    """Batch 1 is halved by a hash of the id: A (rules tuned on it) and B (held out until the
    rules were frozen, then looked at once). Batch 2 ("C") was written after that and run once."""
    if item.get("batch", 1) == 2:
        return "C"
    return "A" if hashlib.sha1(item["id"].encode()).digest()[0] % 2 == 0 else "B"


def balanced_accuracy(pairs: list[tuple[str, str]]) -> float:
    """Mean of recall on 'supported' and recall on 'not supported'."""
    pos = [(g, p) for g, p in pairs if g == "supported"]
    neg = [(g, p) for g, p in pairs if g != "supported"]
    if not pos or not neg:
        return float("nan")
    tpr = sum(p == "supported" for _, p in pos) / len(pos)
    tnr = sum(p != "supported" for _, p in neg) / len(neg)
    return (tpr + tnr) / 2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", choices=["A", "B", "C", "all"], help="print misjudged items of a split")
    ap.add_argument("--no-embedder", action="store_true", help="lexical and fact checks only")
    ap.add_argument("--latency-runs", type=int, default=200)
    args = ap.parse_args()

    items = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = load_knowledge(KNOWLEDGE)
    analyzer = get_analyzer(KNOWLEDGE / "user_dict.tsv")
    embedder = None if args.no_embedder else get_embedder("use")
    checker = GroundingChecker.from_knowledge(analyzer, embedder, KNOWLEDGE)

    rows = []
    for it in items:
        evidence = [Evidence(i, docs[i].text) for i in it["evidence_ids"]]
        report = checker.check(it["claim"], evidence)
        claim = report.claims[0] if report.claims else None
        rows.append({**it, "pred": report.verdict, "split": split_of(it), "reason": claim.reason if claim else "no claim"})

    def pairs(pred=lambda r: True) -> list[tuple[str, str]]:
        return [(r["label"], r["pred"]) for r in rows if pred(r)]

    print(f"grounding benchmark: {len(rows)} claims ({Counter(r['lang'] for r in rows)}), labels {dict(Counter(r['label'] for r in rows))}")
    print(f"embedder: {'none' if embedder is None else getattr(embedder, 'name', 'use')}")
    print("\nbalanced accuracy, supported vs not supported")
    for name, pred in [
        ("overall", lambda r: True),
        ("Korean", lambda r: r["lang"] == "ko"),
        ("English", lambda r: r["lang"] == "en"),
        ("split A (tuning half)", lambda r: r["split"] == "A"),
        ("split B (other half)", lambda r: r["split"] == "B"),
        ("batch 2 (fresh, run once)", lambda r: r["split"] == "C"),
        ("A+B (batch 1)", lambda r: r["split"] in "AB"),
    ]:
        p = pairs(pred)
        print(f"  {name:24s} n={len(p):3d}  {balanced_accuracy(p):.3f}")
    all_pairs = pairs()
    acc3 = sum(g == p for g, p in all_pairs) / len(all_pairs)
    per_split = ", ".join(
        f"{sp} {sum(g == p for g, p in pairs(lambda r, sp=sp: r['split'] == sp)) / max(1, len(pairs(lambda r, sp=sp: r['split'] == sp))):.3f}"
        for sp in "ABC"
    )
    print(f"\n3-way accuracy: {acc3:.3f}  ({per_split})")
    print("\nconfusion matrix (rows gold, columns predicted)")
    print(" " * 14 + "".join(f"{l[:12]:>14s}" for l in LABELS))
    for g in LABELS:
        print(f"{g:14s}" + "".join(f"{sum(1 for a, b in all_pairs if a == g and b == p):14d}" for p in LABELS))

    if args.errors:
        print("\nmisjudged items")
        for r in rows:
            if r["label"] != r["pred"] and (args.errors == "all" or r["split"] == args.errors):
                print(f"  {r['id']} [{r['split']} {r['lang']}] gold={r['label']} pred={r['pred']} :: {r['claim']} :: {r['reason']} ({r['note']})")

    latency(checker, items, docs, args.latency_runs)


def latency(checker: GroundingChecker, items: list[dict], docs: dict, runs: int) -> None:
    """p50/p95 of check() on 5-sentence Korean answers with 5 evidence passages."""
    rng = random.Random(7)
    ko = [it for it in items if it["lang"] == "ko" and "[" not in it["claim"]]
    doc_ids = sorted(docs)
    cases = []
    for _ in range(runs):
        picked = rng.sample(ko, 5)
        ev_ids = list(dict.fromkeys(i for it in picked for i in it["evidence_ids"]))[:5]
        while len(ev_ids) < 5:
            extra = rng.choice(doc_ids)
            if extra not in ev_ids:
                ev_ids.append(extra)
        cases.append((" ".join(it["claim"] for it in picked), [Evidence(i, docs[i].text) for i in ev_ids]))
    for text, ev in cases[:5]:
        checker.check(text, ev)  # warm up Kiwi and the embedder
    warm, cold = [], []
    for text, ev in cases:
        checker.check(text, ev)  # fill the evidence cache for this answer
        t0 = time.perf_counter()
        checker.check(text, ev)
        warm.append((time.perf_counter() - t0) * 1000)
    for text, ev in cases:
        checker.clear_cache()
        t0 = time.perf_counter()
        checker.check(text, ev)
        cold.append((time.perf_counter() - t0) * 1000)
    n_chars = statistics.mean(sum(len(e.text) for e in ev) for _, ev in cases)

    def q(xs: list[float], p: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]

    print(f"\nlatency of check(), 5-claim Korean answers x 5 evidence passages (mean {n_chars:.0f} evidence chars), "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, {len(cases)} runs")
    print(f"  warm (evidence analysis cached): p50 {q(warm, 0.5):6.1f} ms  p95 {q(warm, 0.95):6.1f} ms")
    print(f"  cold (all caches cleared):       p50 {q(cold, 0.5):6.1f} ms  p95 {q(cold, 0.95):6.1f} ms")


if __name__ == "__main__":
    main()
