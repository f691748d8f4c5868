"""The grounding checker on labelled sets it was not written against.

    OMP_NUM_THREADS=1 python bench/grounding_sets.py xnli --split dev|test [--limit N]
    OMP_NUM_THREADS=1 python bench/grounding_sets.py mutations --split dev|test [--errors]
    OMP_NUM_THREADS=1 python bench/grounding_sets.py heldout [--errors]
    OMP_NUM_THREADS=1 python bench/grounding_sets.py real [--errors]
    ... --rules-only   (the checker without the learned entailment scorer)

- xnli: XNLI-ko (KorNLI, Ham et al. 2020, Kakao Brain; CC BY-SA 4.0) premise -> hypothesis.
  Balanced accuracy of entailment vs contradiction, and of entailment vs neutral +
  contradiction. The dev file trains the scorer; the test file is for reporting only.
- mutations: bench/mutations (catalog, FAQ/policy, DummyJSON): share of mutations caught
  (verdict not supported) per kind, and share of the correct sentences flagged.
- heldout: bench/data/grounding_claims_heldout.jsonl (written after the rules and the
  scorer's choices; no choice looked at it): balanced accuracy supported vs not.
- real: bench/data/real_model_claims.jsonl and real_model_claims_2.jsonl (a real local model's output, labelled claim by
  claim): recall of hallucinated claims and share of correct claims removed.

The labels are the sets' own; the score here is computed from the checker's verdicts only.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

import service  # noqa: E402,F401  (offline, single-thread environment)
from service.grounding import Evidence, GroundingChecker  # noqa: E402
from service.nlp.korean import get_analyzer  # noqa: E402
from service.retrieval.embedder import get_embedder  # noqa: E402
from service.retrieval.loaders import load_knowledge  # noqa: E402

KNOWLEDGE = ROOT / "knowledge"


def checker(rules_only: bool) -> GroundingChecker:
    analyzer = get_analyzer(KNOWLEDGE / "user_dict.tsv")
    kw = {"entailment": None} if rules_only else {}
    return GroundingChecker.from_knowledge(analyzer, get_embedder("use"), KNOWLEDGE, **kw)


def supported(check: GroundingChecker, claim: str, evidence: list[Evidence]) -> tuple[bool, str]:
    report = check.check(claim, evidence)
    bad = [c for c in report.claims if c.verdict != "supported"]
    return report.verdict == "supported", (bad[0].reason if bad else "")


def balanced(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    """(balanced accuracy, TPR, TNR) of (gold supported, predicted supported) pairs."""
    pos = [p for g, p in pairs if g]
    neg = [p for g, p in pairs if not g]
    tpr = sum(pos) / len(pos) if pos else float("nan")
    tnr = sum(not p for p in neg) / len(neg) if neg else float("nan")
    return (tpr + tnr) / 2, tpr, tnr


def run_xnli(check, split: str, limit: int | None) -> None:
    path = SHARED / "kor-nli" / f"xnli.{split}.ko.tsv"
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)][:limit]
    pred = {}
    for k, r in enumerate(rows):
        pred[k] = supported(check, r["sentence2"], [Evidence("premise", r["sentence1"])])[0]
    ec = [(r["gold_label"] == "entailment", pred[k]) for k, r in enumerate(rows) if r["gold_label"] != "neutral"]
    er = [(r["gold_label"] == "entailment", pred[k]) for k, r in enumerate(rows)]
    for name, pairs in (("entailment vs contradiction", ec), ("entailment vs neutral+contradiction", er)):
        ba, tpr, tnr = balanced(pairs)
        print(f"XNLI-ko {split}, {name} ({len(pairs)} pairs): balanced accuracy {ba:.3f} (TPR {tpr:.3f}, TNR {tnr:.3f})")
    neutral = [pred[k] for k, r in enumerate(rows) if r["gold_label"] == "neutral"]
    print(f"  neutral judged supported: {sum(neutral) / max(1, len(neutral)):.3f}")


def mutation_records(split: str) -> list[dict]:
    from bench.mutations.generate import generate

    return [r for r in generate(KNOWLEDGE, SHARED / "dummyjson-products" / "products.json") if r["split"] == split]


def evidence_of(item: dict, docs: dict) -> list[Evidence]:
    if item.get("evidence"):
        return [Evidence(e["id"], e["text"]) for e in item["evidence"]]
    return [Evidence(i, docs[i].text) for i in item["evidence_ids"]]


def run_mutations(check, split: str, errors: bool) -> None:
    docs = load_knowledge(KNOWLEDGE)
    caught: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for item in mutation_records(split):
        ok, reason = supported(check, item["claim"], evidence_of(item, docs))
        flagged = not ok
        caught[(item["source"], item["mutation"])].append(flagged)
        wrong = flagged if item["mutation"] == "original" else not flagged
        if errors and wrong:
            print(f"  MISS {item['id']}: {item['claim']}  -> {'flagged: ' + reason if flagged else 'passed'}")
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for (source, kind), flags in sorted(caught.items()):
        by_kind[kind] += flags
    originals = by_kind.pop("original", [])
    muts = [f for flags in by_kind.values() for f in flags]
    print(f"mutations {split}: caught {sum(muts)}/{len(muts)} = {sum(muts) / max(1, len(muts)):.3f}; "
          f"correct sentences flagged {sum(originals)}/{len(originals)} = {sum(originals) / max(1, len(originals)):.3f}")
    for kind, flags in sorted(by_kind.items()):
        print(f"  {kind:18s} caught {sum(flags)}/{len(flags)} = {sum(flags) / len(flags):.3f}")
    for source in sorted({s for s, _ in caught}):
        orig = caught.get((source, "original"), [])
        m = [f for (s, k), flags in caught.items() if s == source and k != "original" for f in flags]
        print(f"  {source:10s} caught {sum(m) / max(1, len(m)):.3f} of {len(m)}; correct flagged {sum(orig) / max(1, len(orig)):.3f} of {len(orig)}")


def run_labelled(check, path: Path, errors: bool, inline: bool) -> None:
    docs = None if inline else load_knowledge(KNOWLEDGE)
    items = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    items = [it for it in items if not it.get("duplicate_of")]  # a reask can repeat a claim word for word
    pairs, by_lang, kinds = [], defaultdict(list), Counter()
    for it in items:
        ev = evidence_of(it, docs) if not inline else [Evidence(e["id"], e["text"]) for e in it["evidence"]]
        ok, reason = supported(check, it["claim"], ev)
        gold = it["label"] == "supported"
        pairs.append((gold, ok))
        by_lang[it.get("lang", "?")].append((gold, ok))
        kinds[(it["label"], "supported" if ok else "flagged")] += 1
        if errors and gold != ok:
            print(f"  MISS {it['id']} [{it['label']}]: {it['claim']}  -> {'flagged: ' + reason if not ok else 'passed'}")
    ba, tpr, tnr = balanced(pairs)
    print(f"{path.name} ({len(items)} claims): balanced accuracy {ba:.3f}; correct claims kept {tpr:.3f} "
          f"(removed {1 - tpr:.3f}); hallucinated claims caught {tnr:.3f}")
    for lang, p in sorted(by_lang.items()):
        print(f"  {lang}: balanced accuracy {balanced(p)[0]:.3f} ({len(p)} claims)")
    print("  " + ", ".join(f"{g}->{p}: {n}" for (g, p), n in sorted(kinds.items())))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("set", choices=["xnli", "mutations", "heldout", "real"])
    ap.add_argument("--split", default="dev", choices=["dev", "test"])
    ap.add_argument("--limit", type=int)
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("--rules-only", action="store_true")
    args = ap.parse_args()
    check = checker(args.rules_only)
    if args.set == "xnli":
        run_xnli(check, args.split, args.limit)
    elif args.set == "mutations":
        run_mutations(check, args.split, args.errors)
    elif args.set == "heldout":
        run_labelled(check, ROOT / "bench" / "data" / "grounding_claims_heldout.jsonl", args.errors, inline=False)
    else:
        for name in ("real_model_claims.jsonl", "real_model_claims_2.jsonl"):  # two recordings, two labellers
            if (ROOT / "bench" / "data" / name).exists():
                run_labelled(check, ROOT / "bench" / "data" / name, args.errors, inline=True)


if __name__ == "__main__":
    main()
