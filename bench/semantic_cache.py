"""Semantic cache precision and recall on labelled CS question pairs, per threshold.

For each pair (a, b) of bench/data/semantic_pairs.jsonl the real pipeline (full
sample knowledge base, private data dir, offline composer) answers a, then b,
with the response cache purged before each pair; whether b came back as a
semantic hit is recorded. For the offline threshold sweep, the cosine between
a and b is computed exactly as the pipeline does (the container's embedder on
inputs["question"] after the input guard) and the evidence signature of both
(service.cache.keys.evidence_signature over the evidence hits) is compared: b is
a semantic hit at threshold t when a was stored, b reached the cache lookup
without an exact hit, the signatures are equal and the cosine >= t. The sweep is
checked against the live outcome at the configured threshold.

    OMP_NUM_THREADS=1 .venv/bin/python bench/semantic_cache.py [--pairs bench/data/semantic_pairs.jsonl] [--target 0.97]

Precision: share of semantic hits whose pair is labelled same_answer. Recall:
share of all same_answer pairs served as a semantic hit. "served≠fresh": hits
whose cited evidence differs from what b gets with the cache bypassed.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DATA, private_settings, table  # noqa: E402

from service.cache.keys import cache_key, evidence_signature  # noqa: E402
from service.container import Container  # noqa: E402
from service.evidence import collect  # noqa: E402
from service.pipeline import _handoff_cue  # noqa: E402
from service.prompting.templates import load_prompt  # noqa: E402
from service.retrieval.ingest import run_ingest  # noqa: E402
from service.retrieval.loaders import default_sources  # noqa: E402

TASK = "cs_answer"
THRESHOLDS = [round(0.80 + 0.01 * i, 2) for i in range(19)]  # 0.80 .. 0.98
EXTRA = [0.99, 1.0]  # shown below the requested range, for context


def load_pairs(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def build() -> Container:
    container = Container(private_settings("semantic-cache"))
    container.settings.data_dir.mkdir(parents=True, exist_ok=True)
    run_ingest(container, default_sources(container.settings.knowledge_dir), show_progress=False)
    return container


class Probe:
    """What the pipeline sees for one question: redacted inputs, refusal, evidence, key, vector."""

    def __init__(self, container: Container):
        self.c = container
        self.pipeline = container.pipeline
        self.spec = self.pipeline.spec(TASK)
        self.prompt = load_prompt(container.settings.prompts_dir, self.spec.prompt)
        info = self.pipeline.generator.info
        self.backend_id = f"{info.name}:{info.model}"

    def __call__(self, question: str) -> dict:
        model = self.spec.input_model.model_validate({"question": question})
        screen = self.c.guards.screen_input(self.spec, model)
        inputs = screen.inputs
        refused = screen.blocked or _handoff_cue(self.spec, inputs)
        out = {"refused": refused, "insufficient": None, "signature": None, "key": None, "vector": None, "top": None}
        if refused:
            return out
        evidence = collect(self.spec, inputs, self.c.retriever)
        signature = evidence_signature(evidence.hits)
        field = self.spec.data["semantic_field"]
        out.update(insufficient=evidence.insufficient, signature=signature,
                   key=cache_key(TASK, inputs, self.prompt.version, self.backend_id, signature),
                   vector=self.c.embedder.embed([str(inputs[field])])[0],
                   top=evidence.hits[0].id if evidence.hits else None,
                   order=[h.id for h in evidence.hits])
        return out


def cited(envelope) -> tuple[str, ...]:
    return tuple(c.id for c in envelope.citations)


def measure(container: Container, pairs: list[dict]) -> list[dict]:
    pipeline, cache, probe = container.pipeline, container.cache, Probe(container)
    rows = []
    for pair in pairs:
        cache.purge()
        env_a = pipeline.run(TASK, {"question": pair["a"]})
        env_b = pipeline.run(TASK, {"question": pair["b"]})
        fresh_b = pipeline.run(TASK, {"question": pair["b"]}, cache="bypass")
        pa, pb = probe(pair["a"]), probe(pair["b"])
        # a is in the semantic index only when the pipeline looked it up and kept the output.
        a_stored = (env_a.cache.status == "miss" and env_a.guard.verdict in ("pass", "fixed")
                    and not env_a.backend.fallback and pa["vector"] is not None)
        b_reaches = not pb["refused"] and not pb["insufficient"]
        cosine = None
        if pa["vector"] is not None and pb["vector"] is not None:
            # the index keeps a's vector rounded to 5 decimals; b's is compared as computed
            cosine = float(np.round(pa["vector"], 5).astype(np.float32) @ pb["vector"])
        rows.append({
            **pair, "a_stored": a_stored, "b_reaches": b_reaches, "exact": bool(pa["key"] and pa["key"] == pb["key"]),
            "same_sig": bool(pa["signature"] and pa["signature"] == pb["signature"]),
            "same_top": pa["top"] is not None and pa["top"] == pb["top"], "cosine": cosine,
            "live": env_b.cache.status, "served_differs": cited(env_b) != cited(fresh_b),
            "a_cites": cited(env_a), "b_fresh_cites": cited(fresh_b),
            "same_terms": _terms(container, pair["a"]) == _terms(container, pair["b"]),
            "why_not": _why_not(pa, pb, env_a, a_stored),
        })
    return rows


def _terms(container: Container, text: str) -> tuple[frozenset, frozenset]:
    return frozenset(container.analyzer.content_terms(text)), frozenset(NUMBER.findall(text))


def _why_not(pa, pb, env_a, a_stored) -> str | None:
    if pa["refused"] or pb["refused"]:
        return "handoff/blocked"
    if pa["insufficient"] or pb["insufficient"]:
        return "insufficient evidence"
    if not a_stored:
        return f"a not stored ({env_a.guard.verdict})"
    return None


def candidate(row: dict) -> bool:
    """b can be a semantic hit at some threshold."""
    return row["a_stored"] and row["b_reaches"] and not row["exact"] and row["same_sig"]


GATES = {  # what-if gates, computed offline from the same measurements
    "evidence set (as built)": lambda r: r["same_sig"],
    "same top passage": lambda r: r["same_top"],
    "none (cosine only)": lambda r: True,
    "same top + equal content morphemes and numbers": lambda r: r["same_top"] and r["same_terms"],
}
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def sweep(rows: list[dict], thresholds: list[float], gate=candidate) -> list[dict]:
    n_same = sum(r["same_answer"] for r in rows)
    out = []
    for t in thresholds:
        hits = [r for r in rows if gate(r) and r["cosine"] >= t - 1e-9]
        good = sum(r["same_answer"] for r in hits)
        differs = sum(r["served_differs"] for r in hits)
        out.append({"threshold": f"{t:.2f}", "t": t, "hits": len(hits), "correct": good, "wrong": len(hits) - good,
                    "precision": good / len(hits) if hits else float("nan"),
                    "prec_lo95": wilson_low(good, len(hits)),
                    "recall": good / n_same if n_same else float("nan"),
                    "served≠fresh": differs})
    return out


def wilson_low(k: int, n: int, z: float = 1.96) -> float:
    if n == 0:
        return float("nan")
    p = k / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / (1 + z * z / n)


def fmt(row: dict) -> dict:
    return {**row, "precision": _pct(row["precision"]), "prec_lo95": _pct(row["prec_lo95"]), "recall": _pct(row["recall"])}


def _pct(x: float) -> str:
    return "-" if x != x else f"{100 * x:.1f}%"


def recommend(rows: list[dict], target: float) -> dict | None:
    """Best recall among thresholds meeting the precision target (no hit at all counts as meeting it)."""
    ok = [r for r in rows if not r["hits"] or r["precision"] >= target]
    if not ok:
        return None
    best = max(r["recall"] for r in ok)
    # among thresholds with the best recall, the highest one keeps the most margin
    return max((r for r in ok if r["recall"] == best), key=lambda r: r["t"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, default=BENCH_DATA / "semantic_pairs.jsonl")
    parser.add_argument("--target", type=float, default=0.97, help="required hit precision")
    parser.add_argument("--show", type=int, default=40, help="list at most this many wrong/near-miss pairs")
    args = parser.parse_args()

    pairs = load_pairs(args.pairs)
    t0 = time.perf_counter()
    container = build()
    configured = container.settings.semantic_cache_threshold
    try:
        rows = measure(container, pairs)
    finally:
        shutil.rmtree(container.settings.data_dir, ignore_errors=True)
    elapsed = time.perf_counter() - t0

    n, n_same = len(rows), sum(r["same_answer"] for r in rows)
    excluded = [r for r in rows if r["why_not"]]
    cands = [r for r in rows if candidate(r)]
    print(f"\nSemantic cache on {n} labelled pairs ({n_same} same_answer, {n - n_same} different), "
          f"embedder {container.embedder.name}, backend {container.pipeline.generator.info.name}, {elapsed:.0f}s")
    print(f"  not cacheable (never reach the semantic lookup): {len(excluded)}"
          + "".join(f"\n    {r['id']}: {r['why_not']}" for r in excluded))
    print(f"  exact-key hits (normalised inputs equal): {sum(r['exact'] for r in rows)}")
    same_sig = [r for r in rows if r["a_stored"] and r["b_reaches"] and not r["exact"]]
    print(f"  same evidence signature: {sum(r['same_sig'] for r in same_sig)}/{len(same_sig)} eligible pairs "
          f"(same_answer {sum(r['same_sig'] for r in same_sig if r['same_answer'])}/{sum(r['same_answer'] for r in same_sig)}, "
          f"different {sum(r['same_sig'] for r in same_sig if not r['same_answer'])}/{sum(not r['same_answer'] for r in same_sig)})")
    print(f"  -> recall ceiling set by the evidence gate: {_pct(sum(r['same_answer'] for r in cands) / n_same)}; "
          f"look-alikes that the evidence gate alone lets through: {sum(not r['same_answer'] for r in cands)}")
    elig = [r for r in rows if r["a_stored"] and r["b_reaches"] and not r["exact"] and r["cosine"] is not None]
    for label, want in (("same_answer", True), ("different", False)):
        cos = sorted(r["cosine"] for r in elig if r["same_answer"] is want)
        if cos:
            print(f"  cosine of {label} pairs (n={len(cos)}): min {cos[0]:.3f}, median {cos[len(cos) // 2]:.3f}, "
                  f"p90 {cos[int(0.9 * (len(cos) - 1))]:.3f}, max {cos[-1]:.3f}")
    print(f"  same signature but different top passage (order-free signature): "
          f"{sum(not r['same_top'] for r in cands)} of {len(cands)}")

    # live outcome vs the offline model at the configured threshold
    predicted = {r["id"] for r in cands if r["cosine"] >= configured - 1e-9}
    live = {r["id"] for r in rows if r["live"] == "semantic_hit"}
    print(f"\nLive run at the configured threshold {configured:.2f}: {len(live)} semantic hits; "
          f"offline recomputation agrees on {n - len(predicted ^ live)}/{n} pairs"
          + (f" (disagree: {sorted(predicted ^ live)})" if predicted ^ live else ""))

    table_rows = sweep(rows, THRESHOLDS + EXTRA)
    cols = ["threshold", "hits", "correct", "wrong", "precision", "prec_lo95", "recall", "served≠fresh"]
    print(f"\nThreshold sweep (hits = semantic hits among {n} pairs; precision = hits labelled same_answer; "
          f"recall = of {n_same} same_answer pairs; prec_lo95 = Wilson 95% lower bound)")
    print(table([fmt(r) for r in table_rows], cols))
    at_conf = next(r for r in sweep(rows, [configured]))
    print(f"\nAt the configured threshold {configured:.2f}: {at_conf['hits']} hits, precision {_pct(at_conf['precision'])}, "
          f"recall {_pct(at_conf['recall'])}, wrong {at_conf['wrong']}")
    in_range = [r for r in table_rows if r["t"] <= 0.98 + 1e-9]
    rec = recommend(in_range, args.target)
    worst = max((r["cosine"] for r in cands if not r["same_answer"]), default=float("nan"))
    if rec is None:
        print(f"Recommendation: no threshold in 0.80..0.98 reaches {args.target:.0%} precision on this set.")
    elif rec["hits"] == 0:
        with_hits = [r for r in in_range if r["hits"]]
        print(f"Recommendation: {rec['threshold']}. No threshold with any semantic hit reaches {args.target:.0%} precision "
              f"(best: {max((_pct(r['precision']) for r in with_hits), default='-')}); from "
              f"{min(r['t'] for r in in_range if not r['hits']):.2f} up no pair is served at all (recall 0%, precision "
              f"vacuous), i.e. the semantic layer is effectively off; {rec['threshold']} keeps the most margin above the "
              f"worst look-alike sharing the evidence set (cosine {worst:.3f}). Turning it off outright "
              f"(cache.semantic: false in the cs_answer spec) is the honest equivalent.")
    else:
        print(f"Recommendation: threshold {rec['threshold']} -> precision {_pct(rec['precision'])} "
              f"({rec['correct']}/{rec['hits']}, Wilson 95% low {_pct(rec['prec_lo95'])}), recall {_pct(rec['recall'])}")

    print("\nWhat-if: other evidence gates (not what the service does; same pairs, same cosines)")
    whatif = []
    for label, gate in GATES.items():
        def gated(r, gate=gate):
            return r["a_stored"] and r["b_reaches"] and not r["exact"] and r["cosine"] is not None and gate(r)
        sw = sweep(rows, THRESHOLDS, gated)
        best = recommend(sw, args.target)
        conf = sweep(rows, [configured], gated)[0]
        top = max((r["cosine"] for r in rows if gated(r) and not r["same_answer"]), default=float("nan"))
        whatif.append({"gate": label, f"at {configured:.2f}": f"{conf['hits']} hits, P {_pct(conf['precision'])}, R {_pct(conf['recall'])}",
                       f"best t with P>={args.target:.0%}": "-" if best is None else
                       f"{best['threshold']}: {best['hits']} hits, P {_pct(best['precision'])}, R {_pct(best['recall'])}",
                       "max look-alike cos": f"{top:.3f}"})
    print(table(whatif, list(whatif[0])))

    wrong = sorted((r for r in cands if not r["same_answer"]), key=lambda r: -r["cosine"])
    print(f"\nLook-alikes sharing the evidence set, by cosine (a hit at any threshold <= cosine):")
    for r in wrong[: args.show]:
        print(f"  {r['cosine']:.3f} {r['id']} [{r['note']}] {r['a']!r} / {r['b']!r}"
              f"{'  (served answer differs from fresh)' if r['served_differs'] else ''}")
    missed = sorted((r for r in rows if r["same_answer"] and not candidate(r) and not r["why_not"] and not r["exact"]),
                    key=lambda r: r["id"])
    print(f"\nsame_answer pairs kept apart by the evidence gate (different evidence sets): {len(missed)}")
    for r in missed[: args.show]:
        print(f"  {r['id']} cos={r['cosine']:.3f} {r['a']!r} / {r['b']!r}")


if __name__ == "__main__":
    main()
