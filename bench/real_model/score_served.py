"""What the guards did with a real model's labelled claims, end to end: a hallucinated claim is
caught when it is not in what the service served; a correct claim is falsely removed when it
is missing from a served answer that the model's reply reached.

    python bench/real_model/score_served.py --claims bench/data/real_model_claims_2.jsonl \
        --report bench/results/llm_e2e-run1/report.json

Claims come from the model's raw replies (``raw_outputs.jsonl`` of an eval or llm_e2e run),
labelled by hand against the evidence of their prompt; the served output is the envelope in
that run's report. Matching ignores [ID] markers and whitespace.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from service.evals.scorers import all_text  # noqa: E402

MARK = re.compile(r"\s*\[[A-Za-z0-9][A-Za-z0-9_,\s-]*\]")


def norm(text: str) -> str:
    return re.sub(r"[\s:]+", "", MARK.sub("", text or ""))


def served_text(envelope: dict) -> str:
    """Every string the service served for the case, markers removed."""
    return norm(" ".join(all_text(envelope.get("output") or {}).splitlines()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--claims", type=Path, required=True)
    ap.add_argument("--report", type=Path, required=True)
    args = ap.parse_args()
    report = json.loads(args.report.read_text(encoding="utf-8"))
    envelopes = {(task, c["id"]): c["envelope"] for task, t in report["tasks"].items() for c in t["cases"] if c["envelope"]}
    claims = [json.loads(line) for line in args.claims.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts: Counter = Counter()
    by_task: dict[str, Counter] = {}
    misses = []
    for claim in claims:
        env = envelopes.get((claim["task"], claim["case"]))
        if env is None:
            continue
        fallback = env["backend"]["fallback"]
        shipped = (not fallback or env["backend"]["name"] != "offline-composer") and norm(claim["claim"]) in served_text(env)
        hallucinated = claim["label"] != "supported"
        key = ("hallucinated" if hallucinated else "correct", "shipped" if shipped else "not shipped")
        counts[key] += 1
        by_task.setdefault(claim["task"], Counter())[key] += 1
        if hallucinated and shipped:
            misses.append(f"  SHIPPED {claim['task']}/{claim['case']} [{claim['label']}]: {claim['claim']}")
    bad = counts[("hallucinated", "shipped")] + counts[("hallucinated", "not shipped")]
    good = counts[("correct", "shipped")] + counts[("correct", "not shipped")]
    print(f"{args.claims.name}: {len(claims)} claims; hallucinated {bad}, caught (not served) "
          f"{counts[('hallucinated', 'not shipped')]}/{bad} = {counts[('hallucinated', 'not shipped')] / max(1, bad):.3f}; "
          f"correct {good}, not served {counts[('correct', 'not shipped')]}/{good} = "
          f"{counts[('correct', 'not shipped')] / max(1, good):.3f}")
    for task, c in sorted(by_task.items()):
        print(f"  {task}: " + ", ".join(f"{a} {b}: {n}" for (a, b), n in sorted(c.items())))
    print("\n".join(misses))


if __name__ == "__main__":
    main()
