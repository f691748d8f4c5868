"""Latency of the whole output guard (banned words + PII + per-claim grounding, through
guardrails-ai) for a 5-sentence Korean answer against 5 evidence passages, one thread.

Answers are built from real FAQ/policy evidence (sentences with their citations,
one altered number in every third answer so that failures are timed too).

    .venv/bin/python bench/guard_latency.py [--answers 60]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DATA, pct, private_settings  # noqa: E402

from service.container import Container  # noqa: E402
from service.evidence import EvidenceSet  # noqa: E402
from service.llm.offline.common import sentences  # noqa: E402
from service.retrieval.ingest import run_ingest  # noqa: E402
from service.retrieval.loaders import default_sources  # noqa: E402


def answers(container: Container, n: int) -> list[tuple[dict, EvidenceSet]]:
    import json

    queries = [json.loads(l) for l in (BENCH_DATA / "retrieval_queries.jsonl").read_text().splitlines()]
    out = []
    for q in queries:
        hits = container.retriever.search(q["text"], ["faq"], k=5, min_evidence=0).hits
        if len(hits) < 5:
            continue
        picked = [f"{s} [{h.id}]" for h in hits for s in sentences(h.text.split("\n", 1)[-1])[:1]][:5]
        if len(picked) < 5:
            continue
        if len(out) % 3 == 2:  # a hallucinated number
            picked[0] = re.sub(r"\d[\d,]*", lambda m: str(int(m.group().replace(",", "")) + 1), picked[0], count=1)
        out.append(({"answer": " ".join(picked), "handoff": False, "confidence": 0.8}, EvidenceSet({"answers": hits})))
        if len(out) == n:
            break
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answers", type=int, default=60)
    args = parser.parse_args()
    container = Container(private_settings("guard"))
    container.settings.data_dir.mkdir(parents=True, exist_ok=True)
    run_ingest(container, default_sources(container.settings.knowledge_dir), show_progress=False)
    spec = container.pipeline.spec("cs_answer")
    cases = answers(container, args.answers)
    guards = container.guards

    def timed() -> tuple[list[float], int]:
        times, failed = [], 0
        for output, evidence in cases:
            t0 = time.perf_counter()
            result = guards.check_output(spec, output, evidence)
            times.append((time.perf_counter() - t0) * 1000)
            failed += not result.passed
        return times, failed

    guards.grounding_checker.clear_cache()
    cold, _ = timed()  # evidence analysed on first sight, as without warm-up
    t0 = time.perf_counter()
    documents = container.warm_up()
    warm_up_s = time.perf_counter() - t0
    warm, failed = timed()
    print(f"\nOutput guard on {len(cases)} five-sentence Korean answers x 5 evidence passages "
          f"({failed} failed the guards)")
    print(f"warm (after startup warm-up of {documents} documents, {warm_up_s:.1f} s): "
          f"p50 {pct(warm, 50):.1f} ms, p95 {pct(warm, 95):.1f} ms")
    print(f"cold (evidence not analysed before): p50 {pct(cold, 50):.1f} ms, p95 {pct(cold, 95):.1f} ms")


if __name__ == "__main__":
    main()
