"""LLM tokens and cost saved by the response cache on a replayed CS question stream.

Replays bench/data/cs_question_stream.jsonl (popular questions asked many times
with small variations, a long tail, exact repeats, paraphrases, look-alikes and
a few handoffs) through the real pipeline (full sample knowledge base) against
the fake OpenAI-compatible LLM server (bench/_fake_llm.py), which reports token
usage. One run with the cache bypassed, then one run per semantic threshold with
the caches on (exact + semantic), each in its own private data dir. Costs use
the configured price table for gpt-4o-mini (the model name sent to the fake).

A semantic hit is "wrong" when its cited evidence ids differ from what the same
question gets with the cache bypassed (the fake LLM is deterministic, so a
fresh run is the reference). As a second opinion, a hit is also checked against
the stream's intent labels: wrong when no earlier question that produced the
served answer has the same intent.

    OMP_NUM_THREADS=1 .venv/bin/python bench/token_savings.py [--stream bench/data/cs_question_stream.jsonl] [--thresholds 0.9,0.98,1.0]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _fake_llm  # noqa: E402
from _common import BENCH_DATA, private_settings, table  # noqa: E402

from service.container import Container  # noqa: E402
from service.retrieval.ingest import run_ingest  # noqa: E402
from service.retrieval.loaders import default_sources  # noqa: E402
from tests.fakes.fake_openai import FakeOpenAI, Reply  # noqa: E402

TASK = "cs_answer"
MODEL = "gpt-4o-mini"


def start_fake() -> FakeOpenAI:
    """bench/_fake_llm's responder, answering a reask from the original evidence message
    (its own respond() reads the last message, which on a reask carries no <evidence>)."""

    def respond(body: dict) -> str:
        messages = body["messages"]
        last = max(i for i, m in enumerate(messages) if "<evidence>" in str(m.get("content") or ""))
        return json.dumps(_fake_llm.respond({**body, "messages": messages[: last + 1]}), ensure_ascii=False)

    return FakeOpenAI(default=Reply(respond)).start()


def load_stream(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def replay(name: str, stream: list[dict], fake: FakeOpenAI, cache: str, threshold: float | None = None) -> dict:
    overrides = {"llm_base_url": fake.base_url, "llm_model": MODEL}
    if threshold is not None:
        overrides["semantic_cache_threshold"] = threshold
    container = Container(private_settings(f"tokens-{name}", **overrides))
    container.settings.data_dir.mkdir(parents=True, exist_ok=True)
    run_ingest(container, default_sources(container.settings.knowledge_dir), show_progress=False)
    calls0 = len(fake.requests)
    t0 = time.perf_counter()
    envelopes = [container.pipeline.run(TASK, {"question": item["question"]}, cache=cache) for item in stream]
    shutil.rmtree(container.settings.data_dir, ignore_errors=True)
    return {"name": name, "envelopes": envelopes, "llm_calls": len(fake.requests) - calls0,
            "seconds": time.perf_counter() - t0, "threshold": threshold}


def kind_of(env) -> str:
    status = env.cache.status
    if status in ("hit", "semantic_hit"):
        return "exact hit" if status == "hit" else "semantic hit"
    if status == "miss":
        stored = env.guard.verdict in ("pass", "fixed") and not env.backend.fallback
        return "miss (stored)" if stored else f"miss (not stored: {env.guard.verdict}{', fallback' if env.backend.fallback else ''})"
    if env.reason and env.reason.startswith("handoff"):
        return "no lookup: handoff"
    if env.reason and env.reason.startswith("blocked"):
        return "no lookup: input blocked"
    if env.insufficient_evidence:
        return "no lookup: insufficient evidence"
    return "cache bypassed"


def totals(run: dict) -> dict:
    envs = run["envelopes"]
    p = sum(e.usage.prompt_tokens for e in envs)
    c = sum(e.usage.completion_tokens for e in envs)
    cost = sum(e.usage.cost for e in envs)
    return {"prompt": p, "completion": c, "total": p + c, "cost": cost}


def cites(env) -> tuple[str, ...]:
    return tuple(c.id for c in env.citations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stream", type=Path, default=BENCH_DATA / "cs_question_stream.jsonl")
    parser.add_argument("--thresholds", default=None,
                        help="semantic thresholds for the cached runs (default: the configured one, 0.98 and 1.0 = exact only)")
    parser.add_argument("--show", type=int, default=25, help="list at most this many wrong semantic hits per run")
    args = parser.parse_args()

    stream = load_stream(args.stream)
    from service.config import Settings

    configured = Settings().semantic_cache_threshold
    # default: the configured threshold, the one bench/semantic_cache.py recommends (0.98), and exact only
    thresholds = [float(x) for x in args.thresholds.split(",")] if args.thresholds else sorted({configured, 0.98, 1.0})
    fake = start_fake()
    try:
        fresh = replay("bypass", stream, fake, cache="bypass")
        cached = [replay(f"cache-{t:.2f}", stream, fake, cache="use", threshold=t) for t in thresholds]
    finally:
        fake.stop()

    base = totals(fresh)
    n, distinct = len(stream), len({s["question"] for s in stream})
    print(f"\nToken savings on {n} replayed CS questions ({distinct} distinct; "
          f"{dict(Counter(s['kind'] for s in stream))}), fake LLM, priced as {MODEL}")
    rows = [{"run": "no cache (bypass)", "LLM calls": fresh["llm_calls"], "prompt tok": base["prompt"],
             "completion tok": base["completion"], "total tok": base["total"], "cost USD": f"{base['cost']:.6f}",
             "token saving": "-", "cost saving": "-", "s": f"{fresh['seconds']:.1f}"}]
    for run in cached:
        t = totals(run)
        rows.append({"run": f"exact + semantic @ {run['threshold']:.2f}" + (" (exact only)" if run["threshold"] >= 1 else ""),
                     "LLM calls": run["llm_calls"], "prompt tok": t["prompt"], "completion tok": t["completion"],
                     "total tok": t["total"], "cost USD": f"{t['cost']:.6f}",
                     "token saving": f"{100 * (1 - t['total'] / base['total']):.1f}%" if base["total"] else "-",
                     "cost saving": f"{100 * (1 - t['cost'] / base['cost']):.1f}%" if base["cost"] else "-",
                     "s": f"{run['seconds']:.1f}"})
    print(table(rows, list(rows[0])))

    kinds = sorted({kind_of(e) for run in cached for e in run["envelopes"]} | {kind_of(e) for e in fresh["envelopes"]})
    print("\nRequests by cache outcome")
    outcome_rows = []
    for run in [fresh, *cached]:
        counts = Counter(kind_of(e) for e in run["envelopes"])
        outcome_rows.append({"run": run["name"], **{k: counts.get(k, 0) for k in kinds}})
    print(table(outcome_rows, ["run", *kinds]))

    for run in cached:
        envs = run["envelopes"]
        by_stream_kind = defaultdict(Counter)
        sources: dict[str, set[str]] = defaultdict(set)  # served output -> intents of the misses that produced it
        origin: dict[str, str] = {}
        wrong_cites, wrong_intent, exact_differs, listed = [], [], 0, []
        for item, env, ref in zip(stream, envs, fresh["envelopes"]):
            kind = kind_of(env)
            by_stream_kind[item["kind"]][kind] += 1
            out = json.dumps(env.output, ensure_ascii=False, sort_keys=True)
            if kind.startswith("miss"):
                sources[out].add(item["intent"])
                origin.setdefault(out, item["question"])
            elif kind == "exact hit":
                exact_differs += cites(env) != cites(ref)
            elif kind == "semantic hit":
                bad_c = cites(env) != cites(ref)
                bad_i = item["intent"] not in sources.get(out, set())
                wrong_cites.append(bad_c)
                wrong_intent.append(bad_i)
                if bad_c or bad_i:
                    listed.append((item, env, ref, origin.get(out, "?"), bad_c, bad_i))
        sem = len(wrong_cites)
        print(f"\nRun {run['name']}: semantic hits {sem}, wrong by citations vs a fresh run {sum(wrong_cites)}"
              f" ({100 * sum(wrong_cites) / sem:.1f}% of semantic hits)" if sem else f"\nRun {run['name']}: no semantic hits",
              end="")
        if sem:
            print(f"; wrong by intent label {sum(wrong_intent)} ({100 * sum(wrong_intent) / sem:.1f}%)", end="")
        print(f"; exact hits whose citations differ from a fresh run: {exact_differs}")
        print(table([{"stream kind": k, **{c: v for c, v in sorted(cnt.items())}} for k, cnt in sorted(by_stream_kind.items())],
                    ["stream kind", *sorted({c for cnt in by_stream_kind.values() for c in cnt})]))
        for item, env, ref, src, bad_c, bad_i in listed[: args.show]:
            flags = ",".join(f for f, on in (("citations", bad_c), ("intent", bad_i)) if on)
            print(f"  [{flags}] {item['id']} {item['question']!r} ({item['intent']}) <- served from {src!r}: "
                  f"cites {list(cites(env))}, fresh {list(cites(ref))}")


if __name__ == "__main__":
    main()
