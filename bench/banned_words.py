"""Banned-words benchmark: precision/recall, false alarms and latency.

    OMP_NUM_THREADS=1 .venv/bin/python bench/banned_words.py [--show-errors]

Labelled set: bench/data/banned_words_labelled.jsonl. A predicted hit is correct
when it overlaps an expected span of the same category (span level); a sentence
is positive when it has at least one expected span (sentence level). False
alarms: share of clean documents with any hit, on the hand-written clean copy
and on the knowledge base (each product, FAQ entry and style-guide section is
one document). Not a timed test: it prints figures.

Evasion set (held out, reported on its own): bench/data/banned_words_evasion.jsonl,
banned words disguised by spacing with a particle after the last letter, uneven
splits, typed jamo, leetspeak, look-alike letters of other scripts and invisible
characters, plus hard clean negatives (spaced emphasis, words that contain a banned
term, Latin codes with digits, genuine Cyrillic/Greek, invisible characters in clean
text). It was written before the matcher was changed for it; no choice was tuned
on the clean sets above item by item. The "round2" section (source "round2", kinds
r2_*) holds the classes a later red-team run found: words mixing Hangul and Latin,
stray jamo, lengthened vowels, Latin terms one edit away, spaced Latin letters with a
particle, "99.9 %", numbers such as 11위, and two-letter terms before a one-syllable
particle (a known miss, see knowledge/banned_words/README.md); also written before
the code changed, with the figures before and after in the README.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _corpora import dummyjson_docs, knowledge_docs  # noqa: E402
from service.guards.banned_words import BannedWordMatcher, default_matcher  # noqa: E402

DATA = ROOT / "bench" / "data"
KNOWLEDGE = ROOT / "knowledge"


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def spans_of(text: str, needle: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(needle), text)]


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def evaluate_labelled(m: BannedWordMatcher, rows: list[dict], show: bool) -> None:
    tp_s = fp_s = fn_s = 0
    per_cat = Counter()
    errors = []
    for row in rows:
        text = row["text"]
        expected = [(e["term_category"], spans_of(text, e["span_text"])) for e in row["expected"]]
        hits = m.find(text)
        # sentence level
        if expected and hits:
            tp_s += 1
        elif hits:
            fp_s += 1
        elif expected:
            fn_s += 1
        # span level
        for h in hits:
            ok = any(cat == h.category and any(overlaps((h.start, h.end), s) for s in spans)
                     for cat, spans in expected)
            per_cat[(h.category, "tp" if ok else "fp")] += 1
            if not ok:
                errors.append(("FP", row["id"], h.category, text[h.start:h.end], text))
        for cat, spans in expected:
            found = any(h.category == cat and any(overlaps((h.start, h.end), s) for s in spans) for h in hits)
            per_cat[(cat, "found" if found else "fn")] += 1
            if not found:
                errors.append(("FN", row["id"], cat, row["expected"], text))
    n_pos = sum(1 for r in rows if r["expected"])
    print(f"labelled set: {len(rows)} sentences ({n_pos} with banned words, {len(rows) - n_pos} clean)")
    print(f"  sentence level: precision {ratio(tp_s, tp_s + fp_s):.3f}  recall {ratio(tp_s, tp_s + fn_s):.3f}"
          f"  (tp {tp_s}, fp {fp_s}, fn {fn_s})")
    tp = sum(v for (c, k), v in per_cat.items() if k == "tp")
    fp = sum(v for (c, k), v in per_cat.items() if k == "fp")
    found = sum(v for (c, k), v in per_cat.items() if k == "found")
    fn = sum(v for (c, k), v in per_cat.items() if k == "fn")
    print(f"  span level:     precision {ratio(tp, tp + fp):.3f}  recall {ratio(found, found + fn):.3f}"
          f"  (hits ok {tp}, wrong {fp}; expected found {found}, missed {fn})")
    for cat in sorted({c for c, _ in per_cat}):
        c_tp, c_fp = per_cat[(cat, "tp")], per_cat[(cat, "fp")]
        c_found, c_fn = per_cat[(cat, "found")], per_cat[(cat, "fn")]
        print(f"    {cat:<12} precision {ratio(c_tp, c_tp + c_fp):.3f}  recall {ratio(c_found, c_found + c_fn):.3f}"
              f"  (expected {c_found + c_fn})")
    if show or errors:
        print(f"  errors ({len(errors)}):")
        for kind, rid, cat, what, text in errors:
            print(f"    {kind} {rid} {cat}: {what!r} in {text!r}")


def false_alarms(m: BannedWordMatcher, name: str, docs: list[str]) -> None:
    flagged = []
    for doc in docs:
        hits = m.find(doc)
        if hits:
            flagged.append([(doc[h.start:h.end], h.category) for h in hits])
    print(f"false alarms, {name}: {len(flagged)}/{len(docs)} documents = {ratio(len(flagged), len(docs)):.2%}")
    for f in flagged:
        print(f"    {f}")


def evasion(m: BannedWordMatcher, rows: list[dict]) -> None:
    """Per kind: disguised terms found (span overlaps, same category) and clean texts flagged."""
    found, total, flagged, clean = Counter(), Counter(), Counter(), Counter()
    by_source: dict[str, Counter] = {}
    misses = []
    for row in rows:
        text, kind = row["text"], row["kind"]
        hits = m.find(text)
        src = by_source.setdefault(row.get("source", "own"), Counter())
        if not row["expected"]:
            clean[kind] += 1
            src["clean"] += 1
            if hits:
                flagged[kind] += 1
                src["flagged"] += 1
                misses.append(("FP", row["id"], [(text[h.start:h.end], h.category) for h in hits], text))
            continue
        for e in row["expected"]:
            total[kind] += 1
            src["total"] += 1
            spans = spans_of(text, e["span_text"])
            if any(h.category == e["term_category"] and any(overlaps((h.start, h.end), s) for s in spans)
                   for h in hits):
                found[kind] += 1
                src["found"] += 1
            else:
                misses.append(("FN", row["id"], e["span_text"], text))
    n_pos, n_neg = sum(total.values()), sum(clean.values())
    print(f"evasion set (held out): {n_pos} disguised terms, {n_neg} hard clean texts")
    print(f"  disguised found {sum(found.values())}/{n_pos} = {ratio(sum(found.values()), n_pos):.3f};"
          f" clean flagged {sum(flagged.values())}/{n_neg} = {ratio(sum(flagged.values()), n_neg):.3f}")
    for name, c in sorted(by_source.items()):
        print(f"  source {name:<7} disguised found {c['found']}/{c['total']}; clean flagged {c['flagged']}/{c['clean']}")
    for kind in sorted(total):
        print(f"    {kind:<16} found {found[kind]}/{total[kind]}")
    for kind in sorted(clean):
        print(f"    {kind:<16} flagged {flagged[kind]}/{clean[kind]}")
    if misses:
        print(f"  errors ({len(misses)}):")
        for kind, rid, what, text in misses:
            print(f"    {kind} {rid}: {what!r} in {text!r}")


def latency(m: BannedWordMatcher, sentences: list[str], rounds: int = 2000) -> None:
    rng = random.Random(7)
    texts = [" ".join(rng.sample(sentences, 5)) for _ in range(200)]
    for t in texts[:20]:
        m.find(t)  # warm up
    times = []
    for k in range(rounds):
        t = texts[k % len(texts)]
        t0 = time.perf_counter()
        m.find(t)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[int(0.95 * len(times)) - 1]
    avg_len = statistics.mean(len(t) for t in texts)
    print(f"latency per 5-sentence text (avg {avg_len:.0f} chars, {rounds} calls): "
          f"p50 {statistics.median(times):.3f} ms, p95 {p95:.3f} ms, max {times[-1]:.3f} ms")


def main() -> None:
    show = "--show-errors" in sys.argv
    t0 = time.perf_counter()
    m = default_matcher()
    n_terms = sum(len(c.terms) for c in m.categories)
    print(f"matcher: {len(m.categories)} categories, {n_terms} terms, built in {time.perf_counter() - t0:.3f} s")
    rows = load_jsonl(DATA / "banned_words_labelled.jsonl")
    evaluate_labelled(m, rows, show)
    clean = [r["text"] for r in load_jsonl(DATA / "clean_commerce_copy.jsonl")]
    false_alarms(m, "clean_commerce_copy.jsonl", clean)
    kb = knowledge_docs()
    for name, docs in kb.items():
        false_alarms(m, name, docs)
    english = dummyjson_docs()
    if english:
        false_alarms(m, "dummyjson-products (English, title + description + reviews)", english)
    for missing in ("products.jsonl", "faq.jsonl", "style_guides.md"):
        if not (KNOWLEDGE / missing).exists():
            print(f"false alarms, {missing}: skipped (file missing)")
    evasion(m, load_jsonl(DATA / "banned_words_evasion.jsonl"))
    latency(m, [r["text"] for r in rows] + clean)


if __name__ == "__main__":
    main()
