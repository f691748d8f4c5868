"""PII benchmark: precision/recall per type on two labelled sets, reported separately.

    OMP_NUM_THREADS=1 .venv/bin/python bench/pii.py [--baseline-rev 41677d5]

- bench/data/pii_labelled.jsonl: the original set (the detector was written against it);
- bench/data/pii_heldout.jsonl: the issue 13 set, written from the issue's quoted forms
  (Hangul and spaced digits, mixed forms, dashless resident numbers, obfuscated e-mails,
  passports) plus its author's own positives and look-alikes (driver's licences, +82,
  foreigner numbers, product codes, sizes, Korean words made of digit syllables). Its lines with
  "section": "round2" (four classes a red-team run still got through) and "round3" (five classes a
  fresh-eyes tester still got through: any punctuation between digit groups, letters for digits,
  spoken dashes, obfuscated/spaced e-mails, passport letters in Hangul) are also reported per class.

A predicted hit is correct when it overlaps an expected span of the same type.
``--baseline-rev REV`` also scores service/guards/pii.py as it was at git revision REV
(the before figures). Not a timed test: it prints figures (and the errors, for reading).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _corpora import all_clean_docs  # noqa: E402
from service.guards.pii import PII_TYPES, find_pii  # noqa: E402

DATA = ROOT / "bench" / "data" / "pii_labelled.jsonl"
HELDOUT = ROOT / "bench" / "data" / "pii_heldout.jsonl"


def ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(name: str, rows: list[dict], find) -> None:
    stats = Counter()
    errors = []
    for row in rows:
        text = row["text"]
        expected = [(e["type"], [(m.start(), m.end()) for m in re.finditer(re.escape(e["span_text"]), text)])
                    for e in row["expected"]]
        hits = find(text)
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
    print(f"{name}: {len(rows)} lines ({len(rows) - n_neg} with PII, {n_neg} without)")
    print(f"  {'type':<14} {'precision':>9} {'recall':>7} {'expected':>8} {'predicted':>9}")
    for t in PII_TYPES + ("all",):
        keys = PII_TYPES if t == "all" else (t,)
        tp = sum(stats[(k, "tp")] for k in keys)
        fp = sum(stats[(k, "fp")] for k in keys)
        found = sum(stats[(k, "found")] for k in keys)
        fn = sum(stats[(k, "fn")] for k in keys)
        if t == "all" or tp + fp + found + fn:
            print(f"  {t:<14} {ratio(tp, tp + fp):>9.3f} {ratio(found, found + fn):>7.3f} {found + fn:>8} {tp + fp:>9}")
    clean_flagged = sum(1 for r in rows if not r["expected"] and find(r["text"]))
    print(f"  PII-free lines flagged: {clean_flagged}/{n_neg}")
    print(f"  errors ({len(errors)}):")
    for e in errors:
        print("   ", e)


def per_class(rows: list[dict], find, section: str = "round2") -> None:
    """The lines of one round (forms a red-team run got through) per class: positives found, look-alikes flagged."""
    print(f"pii issue-13 {section} lines per class (part of the issue-13 set):")
    for cls in sorted({r["class"] for r in rows}):
        pos = [r for r in rows if r["class"] == cls and r["expected"]]
        neg = [r for r in rows if r["class"] == cls and not r["expected"]]
        found = sum(1 for r in pos if all(any(h.type == e["type"] for h in find(r["text"])) for e in r["expected"]))
        flagged = sum(1 for r in neg if find(r["text"]))
        print(f"  {cls:<26} positives found {found}/{len(pos)}, look-alikes flagged {flagged}/{len(neg)}")


def baseline(rev: str):
    """find_pii of service/guards/pii.py at a git revision (loaded from a temp file)."""
    source = subprocess.run(["git", "show", f"{rev}:service/guards/pii.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "pii_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("pii_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["pii_baseline"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.find_pii


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-rev", help="also score pii.py at this git revision")
    args = parser.parse_args()
    rows, heldout = read(DATA), read(HELDOUT)
    score("pii labelled set", rows, find_pii)
    score("pii issue-13 set (separate; not part of the set above)", heldout, find_pii)
    round2 = [r for r in heldout if r.get("section") == "round2"]
    if round2:
        per_class(round2, find_pii)
    round3 = [r for r in heldout if r.get("section") == "round3"]
    if round3:
        per_class(round3, find_pii, "round3")
    if args.baseline_rev:
        old = baseline(args.baseline_rev)
        score(f"pii issue-13 set, detector at {args.baseline_rev}", heldout, old)
        score(f"pii labelled set, detector at {args.baseline_rev}", rows, old)
    clean = all_clean_docs()
    flagged = [(doc, [(h.type, doc[h.start:h.end]) for h in find_pii(doc)]) for doc in clean]
    flagged = [(doc, hits) for doc, hits in flagged if hits]
    print(f"false positives on PII-free text (knowledge base, clean copy, DummyJSON): "
          f"{len(flagged)}/{len(clean)} documents")
    for doc, hits in flagged:
        print(f"    {hits} in {doc[:80]!r}")
    for name, data in (("labelled set", rows), ("issue-13 set (dense in spelled-out numbers)", heldout)):
        texts = [r["text"] for r in data]
        times = []
        for k in range(3000):
            t0 = time.perf_counter()
            find_pii(" ".join(texts[(k + i) % len(texts)] for i in range(5)))
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(f"latency per 5-line text, {name}: p50 {statistics.median(times):.3f} ms, "
              f"p95 {times[int(0.95 * len(times)) - 1]:.3f} ms")

if __name__ == "__main__":
    main()
