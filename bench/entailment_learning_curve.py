"""Learning curve of the entailment scorer: how XNLI-ko balanced accuracy grows with training pairs.

    OMP_NUM_THREADS=1 python bench/entailment_learning_curve.py [--cache /tmp/entail_feat.npz]

Five grouped folds over the scorer's dev training data (see
service/grounding/train_entailment.py); in each fold the training part keeps every other
source and a growing share of the XNLI dev premises (with their three hypotheses). The
held-out XNLI part is scored with the scorer alone (no rules: the learned signal's own
curve) and with the whole checker (rules + scorer, as chosen by the training script).
A curve still rising at the right edge says more labelled pairs would move the figure;
a flat one says the features are the floor.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.grounding import train_entailment as T  # noqa: E402
from service.grounding.entailment import EntailmentScorer  # noqa: E402

FRACTIONS = (0.1, 0.25, 0.5, 0.75, 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/entail_feat.npz"))
    ap.add_argument("--shared", type=Path, default=T.ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    if args.cache.exists():
        data = T.load_featurised(args.cache)
    else:
        data = T.featurise(T.load_sources(args.shared), T.build_checker())
        np.savez(args.cache, rows=data.rows, hard=data.hard_fail, labels=data.labels, sources=data.sources, groups=data.groups)
    shipped = EntailmentScorer.load()
    C = float(shipped.version.split("-C")[1].split("-")[0])
    with (args.shared / "kor-nli" / "xnli.dev.ko.tsv").open(encoding="utf-8") as f:
        fine = np.array([r["gold_label"] for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)])
    xnli = np.where(data.sources == "xnli")[0]
    label_of = dict(zip(xnli, fine))
    rng = np.random.default_rng(T.SEED)
    from sklearn.model_selection import GroupKFold

    w = T.source_weights(data.sources)
    print(f"C={C}, threshold={shipped.threshold:.2f}, mode={shipped.mode}; XNLI-ko dev out of fold, 5 grouped folds")
    print("XNLI pairs in training | scorer alone: e/c   e/rest | whole checker: e/c   e/rest")
    for frac in FRACTIONS:
        res = {k: [] for k in ("se", "sr", "ce", "cr")}
        pairs = 0
        for train, test in GroupKFold(n_splits=5).split(data.rows, data.labels, data.groups):
            x_train = [i for i in train if data.sources[i] == "xnli"]
            premises = sorted({data.groups[i] for i in x_train})
            keep = set(rng.permutation(premises)[: max(1, int(round(frac * len(premises))))])
            train = np.array([i for i in train if data.sources[i] != "xnli" or data.groups[i] in keep])
            pairs += sum(1 for i in train if data.sources[i] == "xnli")
            mean, scale, coef, b = T.fit(data.rows[train], data.labels[train], w[train], C)
            test_x = np.array([i for i in test if data.sources[i] == "xnli"])
            probs = 1 / (1 + np.exp(-(((data.rows[test_x] - mean) / scale) @ coef + b)))
            sub = T.Featurised(data.rows[test_x], data.hard_fail[test_x], data.labels[test_x], data.sources[test_x], data.groups[test_x])
            alone = probs >= shipped.threshold
            whole = T.decide(sub, probs, shipped.threshold, shipped.mode)
            gold = np.array([label_of[i] for i in test_x])
            ec = gold != "neutral"
            ent = (gold == "entailment").astype(int)
            res["se"].append(T.balanced_accuracy(ent[ec], alone[ec].astype(float)))
            res["sr"].append(T.balanced_accuracy(ent, alone.astype(float)))
            res["ce"].append(T.balanced_accuracy(ent[ec], whole[ec].astype(float)))
            res["cr"].append(T.balanced_accuracy(ent, whole.astype(float)))
        m = {k: float(np.mean(v)) for k, v in res.items()}
        print(f"{pairs // 5:>22d} | {m['se']:19.3f} {m['sr']:8.3f} | {m['ce']:19.3f} {m['cr']:8.3f}")


if __name__ == "__main__":
    main()
