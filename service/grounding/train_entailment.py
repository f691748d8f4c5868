"""Reproduce ``entailment_weights.npz`` from labelled pairs (fixed seed, one thread).

    OMP_NUM_THREADS=1 python -m service.grounding.train_entailment [--shared ../shared/data] [--cv]

Training data (dev data only; nothing here is a reported test split):
- XNLI-ko dev (KorNLI, Ham et al. 2020, Kakao Brain; CC BY-SA 4.0): premise -> hypothesis,
  entailment vs neutral + contradiction;
- optionally (``--korsts``) KorSTS train (same source): pairs scored >= 4.0 as paraphrases,
  <= 1.0 as unrelated; off by default: it lowered the other sources' cross-validated scores;
- our labelled commerce claims (bench/data/grounding_claims.jsonl) against their knowledge documents;
- the dev half of the mutation set (bench/mutations, split by product/FAQ id).

Every example goes through the checker itself (``GroundingChecker.judge_claims`` with no
learned scorer), so the features are exactly those the service computes; the row of the
evidence line the checker aligns best is the training row. The regularisation strength and
the probability threshold, and whether the scorer decides open content alone or alongside the
rules' content bar ("either"), are chosen by grouped cross-validation on these dev sources
(groups: XNLI premise, product/FAQ id), maximising the mean balanced accuracy of the whole
checker (rules + scorer) over the sources.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SEED = 13


@dataclass
class Example:
    claim: str
    evidence: list[tuple[str, str]]  # (id, text)
    label: int  # 1 = entailed / supported
    source: str
    group: str
    cited: tuple[str, ...] = ()


# ------------------------------------------------------------------ data sources


def xnli_examples(path: Path, source: str = "xnli") -> list[Example]:
    out = []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["gold_label"] not in ("entailment", "neutral", "contradiction"):
                continue
            out.append(Example(row["sentence2"], [("premise", row["sentence1"])],
                               int(row["gold_label"] == "entailment"), source, row["sentence1"]))
    return out


def korsts_examples(path: Path, high: float = 4.0, low: float = 1.0) -> list[Example]:
    out = []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            score = float(row["score"])
            if score >= high or score <= low:
                out.append(Example(row["sentence2"], [("premise", row["sentence1"])], int(score >= high),
                                   "korsts", row["sentence1"]))
    return out


def claim_examples(path: Path, docs: dict) -> list[Example]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            it = json.loads(line)
            ev = [(i, docs[i].text) for i in it["evidence_ids"]]
            out.append(Example(it["claim"], ev, int(it["label"] == "supported"), "claims", it["evidence_ids"][0]))
    return out


def mutation_examples(records: list[dict], docs: dict, split: str = "dev") -> list[Example]:
    out = []
    for it in records:
        if it["split"] != split:
            continue
        if it.get("evidence"):
            ev = [(e["id"], e["text"]) for e in it["evidence"]]
        else:
            ev = [(i, docs[i].text) for i in it["evidence_ids"]]
        out.append(Example(it["claim"], ev, int(it["label"] == "supported"), f"mutations-{it['source']}",
                           it["source_id"]))
    return out


# --------------------------------------------------------------------- features


@dataclass
class Featurised:
    rows: np.ndarray  # one row per example (the best-aligned evidence line)
    hard_fail: np.ndarray  # the rules alone reject the claim (a fact, a name, a citation)
    labels: np.ndarray
    sources: np.ndarray
    groups: np.ndarray


def featurise(examples: list[Example], checker) -> Featurised:
    from service.grounding import Evidence
    from service.nlp.claims import find_citations, strip_citations, Claim

    rows, hard, keep = [], [], []
    for k, ex in enumerate(examples):
        cited = [i for _, _, ids in find_citations(ex.claim) for i in ids]
        text = strip_citations(ex.claim).strip()
        claim = Claim(text, 0, len(text), cited)
        (verdict, r), = checker.judge_claims([claim], [Evidence(i, t) for i, t in ex.evidence])
        if r is None or not len(r):
            continue
        rows.append(r[0])
        hard.append(verdict.verdict != "supported" and "content support" not in verdict.reason)
        keep.append(k)
    pick = [examples[k] for k in keep]
    return Featurised(np.vstack(rows), np.array(hard), np.array([e.label for e in pick]),
                      np.array([e.source for e in pick]), np.array([e.group for e in pick]))


def build_checker():
    import service  # noqa: F401  (offline, single-thread environment)
    from service.grounding import GroundingChecker
    from service.nlp.korean import get_analyzer
    from service.retrieval.embedder import get_embedder

    knowledge = ROOT / "knowledge"
    analyzer = get_analyzer(knowledge / "user_dict.tsv")
    return GroundingChecker.from_knowledge(analyzer, get_embedder("use"), knowledge, entailment=None)


def load_sources(shared: Path, with_korsts: bool = False) -> list[Example]:
    from service.retrieval.loaders import load_knowledge

    docs = load_knowledge(ROOT / "knowledge")
    examples = xnli_examples(shared / "kor-nli" / "xnli.dev.ko.tsv")
    if with_korsts:
        examples += korsts_examples(shared / "kor-nli" / "korsts.train.tsv")
    examples += claim_examples(ROOT / "bench" / "data" / "grounding_claims.jsonl", docs)
    try:
        sys.path.insert(0, str(ROOT))
        from bench.mutations.generate import generate

        examples += mutation_examples(generate(ROOT / "knowledge", shared / "dummyjson-products" / "products.json"), docs)
    except ImportError:
        print("note: bench/mutations not found; training without the mutation set", file=sys.stderr)
    return examples


# --------------------------------------------------------------------- training


def balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    pos, neg = y == 1, y == 0
    if not pos.any() or not neg.any():
        return float("nan")
    return 0.5 * (pred[pos].mean() + (1 - pred[neg]).mean())


def fit(X: np.ndarray, y: np.ndarray, weights: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-6
    model = LogisticRegression(C=C, max_iter=2000, random_state=SEED)
    model.fit((X - mean) / scale, y, sample_weight=weights)
    return mean, scale, model.coef_[0].astype(np.float32), float(model.intercept_[0])


def source_weights(sources: np.ndarray) -> np.ndarray:
    """Each source weighs the same in total, whatever its size."""
    names, counts = np.unique(sources, return_counts=True)
    per = {n: len(sources) / (len(names) * c) for n, c in zip(names, counts)}
    return np.array([per[s] for s in sources])


def out_of_fold(data: Featurised, C: float, folds: int = 5) -> np.ndarray:
    from sklearn.model_selection import GroupKFold

    probs = np.zeros(len(data.labels))
    w = source_weights(data.sources)
    for train, test in GroupKFold(n_splits=folds).split(data.rows, data.labels, data.groups):
        mean, scale, coef, b = fit(data.rows[train], data.labels[train], w[train], C)
        probs[test] = 1 / (1 + np.exp(-(((data.rows[test] - mean) / scale) @ coef + b)))
    return probs


MODES = ("learned", "either")  # the scorer decides open content alone, or either it or the rules' content bar


def rule_supported(rows: np.ndarray) -> np.ndarray:
    """The rules' own content decision, from the appended rule features (see checker.Thresholds)."""
    from service.grounding.checker import Thresholds

    t = Thresholds()
    content, strong = rows[:, -3], rows[:, -1]
    return content >= np.where(strong > 0, t.support_with_facts, t.support)


def decide(data: Featurised, probs: np.ndarray, threshold: float, mode: str) -> np.ndarray:
    ok = probs >= threshold
    if mode == "either":
        ok |= rule_supported(data.rows)
    return ok & ~data.hard_fail


def score_by_source(data: Featurised, probs: np.ndarray, threshold: float, mode: str = "learned") -> dict[str, float]:
    pred = decide(data, probs, threshold, mode).astype(float)
    return {s: balanced_accuracy(data.labels[data.sources == s], pred[data.sources == s]) for s in np.unique(data.sources)}


def choose(data: Featurised, grid_c=(0.001, 0.003, 0.01, 0.03), grid_t=np.arange(0.1, 0.81, 0.02)):
    """(mean BA, C, threshold, mode, BA by source): the best mean over sources, out of fold."""
    best = None
    for C in grid_c:
        probs = out_of_fold(data, C)
        for mode in MODES:
            for t in grid_t:
                by = score_by_source(data, probs, float(t), mode)
                mean = float(np.mean(list(by.values())))
                if best is None or mean > best[0]:
                    best = (mean, C, float(t), mode, by)
        print(f"C={C}: best so far mean BA {best[0]:.3f} at C={best[1]} t={best[2]:.2f} {best[3]}", file=sys.stderr)
    return best


def load_featurised(path: Path) -> Featurised:
    z = np.load(path, allow_pickle=False)
    return Featurised(z["rows"], z["hard"], z["labels"], z["sources"], z["groups"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("entailment_weights.npz"))
    ap.add_argument("--korsts", action="store_true", help="add KorSTS pairs to the training data")
    ap.add_argument("--cache", type=Path, help="reuse featurised data from this .npz (made if missing)")
    args = ap.parse_args()

    from service.grounding.entailment import FEATURE_VERSION, RULE_FEATURES, SCALAR_FEATURES

    if args.cache and args.cache.exists():
        data = load_featurised(args.cache)
    else:
        checker = build_checker()
        data = featurise(load_sources(args.shared, args.korsts), checker)
        if args.cache:
            np.savez(args.cache, rows=data.rows, hard=data.hard_fail, labels=data.labels, sources=data.sources, groups=data.groups)
    for s in np.unique(data.sources):
        m = data.sources == s
        print(f"{s}: {m.sum()} examples, {data.labels[m].mean():.2f} positive, rules reject {data.hard_fail[m].mean():.2f}", file=sys.stderr)
    mean_ba, C, threshold, mode, by = choose(data)
    print(f"chosen C={C} threshold={threshold:.2f} mode={mode}; out-of-fold balanced accuracy " +
          ", ".join(f"{k} {v:.3f}" for k, v in by.items()) + f" (mean {mean_ba:.3f})")
    mean, scale, coef, b = fit(data.rows, data.labels, source_weights(data.sources), C)
    dim = (data.rows.shape[1] - len(SCALAR_FEATURES) - len(RULE_FEATURES)) // 3
    np.savez_compressed(args.out, mean=mean.astype(np.float32), scale=scale.astype(np.float32), coef=coef,
                        intercept=np.float32(b), threshold=np.float32(threshold), dim=np.int32(dim), mode=np.str_(mode),
                        feature_version=np.int32(FEATURE_VERSION), version=np.str_(f"lr-C{C}-t{threshold:.2f}-{mode}-n{len(data.labels)}"))
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
