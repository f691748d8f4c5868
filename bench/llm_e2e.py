"""End to end with a real local model: every task through the one pipeline, and the stream.

Runs the eval cases (the first N of each task) through ``Pipeline.run`` against a real
OpenAI-compatible server, plus N streamed CS answers, and prints:
- per task: requests/s, time in retrieval / generation / guards (and guard/generation),
  the share of requests whose model reply was parsed and reached the guards, and of those
  the share passed / fixed / reasked / refrained, fallbacks by reason, eval scores;
- for the stream: TTFT, TPOT and the time to the first released sentence.
The raw (pre-guard) model replies go to ``bench/results/llm_e2e-<stamp>/raw_outputs.jsonl``
for labelling (they are not logged anywhere else).

    # a model server: started here from `make llm`'s files unless CG_LLM_BASE_URL is set
    .venv/bin/python bench/llm_e2e.py [--per-task 10] [--stream 5] [--tasks cs_answer,summary,styling]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import pct, private_settings, table  # noqa: E402

from service.config import PROJECT_ROOT  # noqa: E402

MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct-q4_k_m"
N_CTX = 4096
TIMEOUT_S = 180.0
STREAM_QUESTIONS = ["교환 배송비는 얼마인가요?", "반품은 언제까지 신청할 수 있나요?", "제주도도 배송되나요? 추가 배송비가 있나요?",
                    "적립금은 언제 소멸되나요?", "How long does delivery usually take?", "세일 상품도 교환이 되나요?",
                    "속옷도 반품할 수 있나요?"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_server() -> tuple[str, object | None]:
    """The endpoint: CG_LLM_BASE_URL when set, else a llama.cpp server started from `make llm`'s files."""
    if os.environ.get("CG_LLM_BASE_URL"):
        return os.environ["CG_LLM_BASE_URL"], None
    from service.llm import local_model, local_server
    from service.llm.cli import LLM_PYTHON

    path = local_model.model_path(local_model.DEFAULT_MODEL, PROJECT_ROOT / "var" / "models")
    if not LLM_PYTHON.exists() or not path.exists():
        sys.exit("no model server: run `make llm` first, or set CG_LLM_BASE_URL to a running one")
    port = free_port()
    proc = local_server.start(path, MODEL_ALIAS, port, LLM_PYTHON, n_ctx=N_CTX, threads=1)
    base = f"http://127.0.0.1:{port}/v1"
    local_server.wait_ready(base, 300, proc=proc)
    return base, proc


def run(args) -> dict:
    from service.container import Container
    from service.evals import runner
    from service.retrieval.ingest import run_ingest
    from service.retrieval.loaders import default_sources

    base_url, proc = model_server()
    try:
        settings = private_settings("llm-e2e", llm_base_url=base_url,
                                    llm_model=os.environ.get("CG_LLM_MODEL", MODEL_ALIAS), llm_timeout_s=TIMEOUT_S,
                                    llm_max_retries=0, llm_context_tokens=int(os.environ.get("CG_LLM_CONTEXT_TOKENS", N_CTX)),
                                    breaker_failures=1000)
        container = Container(settings)
        run_ingest(container, default_sources(settings.knowledge_dir), show_progress=False)
        plans = runner.plan(args.tasks, args.per_task)
        done = {"n": 0}
        total = sum(len(p.cases) for p in plans)

        def progress(task, case_id):
            done["n"] += 1
            print(f"  [{done['n']}/{total}] {task}/{case_id} ({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)

        started = time.perf_counter()
        ev = runner.run(container, plans, baseline_path=None, baseline_name="llm", limit=args.per_task,
                        on_case=progress).to_dict()
        ev["wall_s"] = time.perf_counter() - started
        ev["stream"] = stream_runs(container, args.stream)
        return ev
    finally:
        if proc is not None:
            from service.llm import local_server

            local_server.stop(proc)


def stream_runs(container, n: int) -> list[dict]:
    from service.streaming import GuardedStream

    rows = []
    for i, question in enumerate((STREAM_QUESTIONS * 3)[:n]):
        stream = GuardedStream(container.pipeline, "cs_answer", {"question": question}, request_id=f"stream-{i}")
        t0, events = time.perf_counter(), []
        for event in stream.events():
            events.append(event)
        envelope = events[-1].data
        rows.append({"question": question, "wall_ms": (time.perf_counter() - t0) * 1000,
                     "timings": envelope["timings_ms"], "backend": envelope["backend"],
                     "sentences": sum(e.name == "sentence" for e in events),
                     "withheld": sum(e.name == "withheld" for e in events)})
        print(f"  stream {i + 1}/{n}: {rows[-1]['sentences']} released, {rows[-1]['withheld']} withheld", file=sys.stderr)
    return rows


def summarize(ev: dict) -> str:
    rows, lines = [], []
    for task, data in ev["tasks"].items():
        cases = [c for c in data["cases"] if c["envelope"]]
        timings = [c["envelope"]["timings_ms"] for c in cases]
        gen = sum(t.get("generate", 0) for t in timings)
        guard = sum(t.get("guard", 0) for t in timings)
        o = data["outcomes"]
        reached = o["reply_reached_guards"]
        rows.append({
            "task": task, "n": len(cases),
            "req/s": f"{len(cases) / max(1e-9, sum(t['total'] for t in timings) / 1000):.3f}",
            "retrieve p50 ms": f"{pct([t.get('retrieve', 0) for t in timings], 50):.0f}",
            "generate p50 s": f"{pct([t.get('generate', 0) for t in timings], 50) / 1000:.1f}",
            "guard p50 ms": f"{pct([t.get('guard', 0) for t in timings], 50):.0f}",
            "guard/gen": f"{100 * guard / max(1e-9, gen):.2f}%",
            "model called": o["model_called"],
            "reply reached guards": f"{reached}/{o['model_called']}",
            "served from model": o["answered_by_model"],
            "fixed": o["fixed"], "reasked": o["reasked"], "refrained": o["refrained"],
            "overall score": f"{data['overall']:.3f}" if data["overall"] is not None else "-",
        })
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(o["fallback_reasons"].items())) or "none"
        lines.append(f"{task} fallbacks: {reasons}")
        lines.append(f"{task} scores: " + ", ".join(f"{c['id']} {c['mean']:.3f}" for c in data["criteria"] if c["mean"] is not None))
    out = [table(rows, list(rows[0])), "", *lines]
    streams = ev.get("stream") or []
    if streams:
        ttft = [s["timings"].get("ttft") for s in streams if s["timings"].get("ttft") is not None]
        tpot = [s["timings"].get("tpot") for s in streams if s["timings"].get("tpot") is not None]
        first = [s["timings"].get("first_sentence") for s in streams if s["timings"].get("first_sentence") is not None]
        model = sum(not s["backend"]["fallback"] for s in streams)
        out += ["", f"stream (cs_answer, n={len(streams)}, {model} from the model): "
                    f"TTFT p50 {pct(ttft, 50) / 1000:.1f} s, TPOT p50 {pct(tpot, 50):.0f} ms, "
                    f"first released sentence p50 {pct(first, 50) / 1000:.1f} s, "
                    f"withheld sentences {sum(s['withheld'] for s in streams)} of "
                    f"{sum(s['withheld'] + s['sentences'] for s in streams)}"]
    return "\n".join(out)


def write_llm_baseline(ev: dict) -> Path:
    """The real model's scores as the `eval --backend llm` baseline (merged: a bench run covers
    the first cases of each task)."""
    from types import SimpleNamespace

    from service.evals import gate as G
    from service.evals.dataset import EVALS_DIR

    path = EVALS_DIR / "baselines" / "llm.json"
    per_task = {t: {"prompt_version": d["prompt_version"], "cases": d["cases"],
                    "criteria": [SimpleNamespace(id=c["id"]) for c in d["criteria"]]} for t, d in ev["tasks"].items()}
    G.write_baseline(path, G.baseline_payload("llm", ev["backend"], per_task, old=G.load_baseline(path), partial=True))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-task", type=int, default=10)
    parser.add_argument("--stream", type=int, default=5)
    parser.add_argument("--tasks", default="cs_answer,summary,styling")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--update-baseline", action="store_true", help="Write the scores to evals/baselines/llm.json.")
    parser.add_argument("--baseline-from", type=Path, help="Only write the baseline from an earlier run's report.json.")
    args = parser.parse_args()
    if args.baseline_from:
        print(f"baseline written: {write_llm_baseline(json.loads(args.baseline_from.read_text(encoding='utf-8')))}")
        return
    args.tasks = args.tasks.split(",")
    ev = run(args)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = args.out or PROJECT_ROOT / "bench" / "results" / f"llm_e2e-{stamp}"
    from service.evals.report import write_all

    paths = write_all(ev, out_dir)
    text = summarize(ev)
    (out_dir / "summary.txt").write_text(text + "\n", encoding="utf-8")
    (out_dir / "stream.json").write_text(json.dumps(ev.get("stream"), ensure_ascii=False, indent=1), encoding="utf-8")
    print(text)
    print(f"\nreport: {paths['html']}; raw model replies: {paths.get('raw')}")
    if args.update_baseline:
        print(f"baseline written: {write_llm_baseline(ev)}")


if __name__ == "__main__":
    main()
