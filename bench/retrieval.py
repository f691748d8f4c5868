"""Retrieval quality and speed on the sample knowledge base.

Prints Recall@1/5/10 and MRR@10 for BM25 alone, each dense backend alone and
the hybrid (as configured and over a small weight sweep), the false
"insufficient evidence" rate on answerable queries and the refusal rate on
out-of-scope ones, ingest throughput and hybrid query latency p50/p95.

    .venv/bin/python bench/retrieval.py [--queries bench/data/retrieval_queries.jsonl] [--ingest-docs 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DATA, pct, private_settings, table  # noqa: E402

from service.container import Container  # noqa: E402
from service.retrieval.document import Document  # noqa: E402
from service.retrieval.hybrid import FusionWeights, HybridRetriever  # noqa: E402
from service.retrieval.ingest import run_ingest  # noqa: E402
from service.retrieval.loaders import Source, default_sources  # noqa: E402

COLLECTIONS = ["products", "faq", "style"]


def load_queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def metrics(ranked: list[list[str]], queries: list[dict]) -> dict:
    r1 = r5 = r10 = mrr = 0.0
    for ids, q in zip(ranked, queries):
        relevant = set(q["relevant"])
        r1 += bool(relevant & set(ids[:1]))
        r5 += bool(relevant & set(ids[:5]))
        r10 += bool(relevant & set(ids[:10]))
        mrr += next((1 / rank for rank, i in enumerate(ids[:10], start=1) if i in relevant), 0.0)
    n = len(queries)
    return {"R@1": round(r1 / n, 3), "R@5": round(r5 / n, 3), "R@10": round(r10 / n, 3), "MRR@10": round(mrr / n, 3)}


def ranked_ids(retriever: HybridRetriever, queries: list[dict]) -> list[list[str]]:
    return [[h.id for h in retriever.search(q["text"], COLLECTIONS, k=10, min_evidence=0).hits] for q in queries]


def build(embedder: str) -> Container:
    container = Container(private_settings(f"retrieval-{embedder}", embedder=embedder))
    container.settings.data_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    run_ingest(container, default_sources(container.settings.knowledge_dir), show_progress=False)
    container.ingest_s = time.perf_counter() - t0
    return container


def variant(container: Container, **weights) -> HybridRetriever:
    base = container.retriever
    return HybridRetriever(base.store, base.embedder, base.analyzer, FusionWeights(**weights),
                           candidates=base.candidates, evidence_min=base.evidence_min)


def quality_rows(container: Container, queries: list[dict], runs: dict[str, dict]) -> list[dict]:
    ko = [q for q in queries if q.get("lang", "ko") == "ko"]
    en = [q for q in queries if q.get("lang") == "en"]
    halves = (queries[0::2], queries[1::2])
    rows = []
    for label, weights in runs.items():
        retriever = variant(container, **weights)
        row = {"retriever": label, **metrics(ranked_ids(retriever, queries), queries)}
        row["R@5 ko"] = metrics(ranked_ids(retriever, ko), ko)["R@5"]
        row["R@5 en"] = metrics(ranked_ids(retriever, en), en)["R@5"] if en else ""
        row["R@1 halves"] = "/".join(str(metrics(ranked_ids(retriever, h), h)["R@1"]) for h in halves)
        rows.append(row)
    return rows


def quality(queries: list[dict], out_of_scope: list[dict]) -> None:
    configured = private_settings("cfg")
    weights = dict(bm25=configured.bm25_weight, bigram=configured.bigram_weight, dense=configured.dense_weight,
                   dense_latin_boost=configured.dense_latin_boost)
    rows = []
    for embedder in ("use", "minilm"):
        container = build(embedder)
        runs = {f"dense {embedder}": dict(bm25=0, bigram=0, dense=1, dense_latin_boost=0),
                f"hybrid (configured weights) + {embedder}": weights}
        if embedder == "use":
            runs = {"bm25 morphemes": dict(bm25=1, bigram=0, dense=0, dense_latin_boost=0),
                    "bm25 char bigrams": dict(bm25=0, bigram=1, dense=0, dense_latin_boost=0),
                    "bm25 morphemes + bigrams": dict(bm25=1, bigram=configured.bigram_weight, dense=0, dense_latin_boost=0),
                    **runs,
                    "hybrid, dense 0.25": {**weights, "dense": 0.25},
                    "hybrid, dense 0.8": {**weights, "dense": 0.8},
                    "hybrid, no Latin boost": {**weights, "dense_latin_boost": 0}}
        rows += quality_rows(container, queries, runs)
        if embedder == configured.embedder:
            gate(container, queries, out_of_scope)
            latency(container, queries)
    print(f"\nQuality on {len(queries)} labelled answerable queries; configured: {weights}, embedder {configured.embedder}")
    print(table(rows, ["retriever", "R@1", "R@5", "R@10", "MRR@10", "R@5 ko", "R@5 en", "R@1 halves"]))


def gate(container: Container, queries: list[dict], out_of_scope: list[dict]) -> None:
    r = container.retriever
    best = lambda q: (r.search(q["text"], COLLECTIONS, k=1, min_evidence=0).hits or [None])[0]
    answerable = [h.evidence if h else 0.0 for h in map(best, queries)]
    unanswerable = [h.evidence if h else 0.0 for h in map(best, out_of_scope)]
    print(f"\nEvidence gate (top hit evidence score vs threshold; configured {r.evidence_min}):")
    rows = [{"threshold": t, "answerable refused": f"{sum(e < t for e in answerable)}/{len(answerable)}",
             "out-of-scope refused": f"{sum(e < t for e in unanswerable)}/{len(unanswerable)}"}
            for t in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)]
    print(table(rows, ["threshold", "answerable refused", "out-of-scope refused"]))


def latency(container: Container, queries: list[dict]) -> None:
    r = container.retriever
    for q in queries[:5]:
        r.search(q["text"], COLLECTIONS, k=5)  # warm
    times = []
    for q in queries * 2:
        t0 = time.perf_counter()
        r.search(q["text"], COLLECTIONS, k=5)
        times.append((time.perf_counter() - t0) * 1000)
    print(f"\nHybrid query latency over {len(times)} queries (3 collections, k=5): "
          f"p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms")
    print(f"Sample knowledge base ingest ({container.settings.embedder}): {container.ingest_s:.1f} s")


def synthetic_products(n: int) -> list[Document]:
    rng = random.Random(7)
    words = "린넨 코튼 울 캐시미어 니트 셔츠 팬츠 스커트 재킷 코트 오버핏 슬림핏 블랙 화이트 베이지 네이비 봄 여름 가을 겨울 방수 신축성 안감 드라이클리닝 손세탁".split()
    docs = []
    for i in range(n):
        text = f"가격 {rng.randint(19, 300) * 1000:,}원 재고 {rng.randint(0, 40)}개 "
        while len(text) < 300:
            text += rng.choice(words) + " "
        docs.append(Document(f"S{i:05d}", "synthetic", f"상품 {i}", text[:300].strip(), {"kind": "product", "price": rng.randint(19, 300) * 1000}))
    return docs


def ingest_throughput(n: int) -> None:
    container = Container(private_settings("ingest"))
    container.settings.data_dir.mkdir(parents=True, exist_ok=True)
    docs = synthetic_products(n)
    path = container.settings.data_dir / "synthetic.jsonl"
    path.write_text("\n".join(json.dumps({"id": d.id, "title": d.title, "text": d.text, "metadata": d.metadata},
                                         ensure_ascii=False) for d in docs) + "\n", encoding="utf-8")
    _ = container.embedder, container.analyzer  # model loading is not ingest time
    t0 = time.perf_counter()
    run_ingest(container, [Source(path, "synthetic", "generic")], show_progress=False)
    elapsed = time.perf_counter() - t0
    t1 = time.perf_counter()
    run_ingest(container, [Source(path, "synthetic", "generic")], show_progress=False)
    again = time.perf_counter() - t1
    print(f"\nIngest of {n} synthetic ~300-char product documents: {elapsed:.1f} s ({n / elapsed:.0f} docs/s); "
          f"unchanged re-ingest {again:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=Path, default=BENCH_DATA / "retrieval_queries.jsonl")
    parser.add_argument("--ingest-docs", type=int, default=10_000, help="0 skips the ingest throughput run")
    args = parser.parse_args()
    all_queries = load_queries(args.queries)
    answerable = [q for q in all_queries if q["relevant"]]
    out_of_scope = [q for q in all_queries if not q["relevant"]]
    quality(answerable, out_of_scope)
    if args.ingest_docs:
        ingest_throughput(args.ingest_docs)


if __name__ == "__main__":
    main()
