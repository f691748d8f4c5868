"""The nightly summaries batch: throughput against a 200 ms LLM, and the incremental re-run.

1. Throughput: the sample catalog (166 products) through `batch summaries` at
   concurrency 1, 8 and 32 against the fake OpenAI-compatible server answering
   valid summaries after a fixed 200 ms (in its own process, so the CPU time
   measured here is the batch's alone). Prints items/s, % of the ideal
   (concurrency / latency) and the process CPU per item: the guards are CPU work
   under one GIL, which caps throughput long before 32 workers fill up. Also
   checks that concurrency 1 and 32 produce identical outputs (thread safety).
2. Incremental: 10,000 synthetic products, their summaries already cached, then
   the CLI `batch summaries --changed-only` over the unchanged catalog (target
   <= 10 s), timed as a whole process and as the job itself.

    OMP_NUM_THREADS=1 .venv/bin/python bench/batch.py [--products 10000] [--workdir DIR] [--skip-throughput]

--workdir keeps the 10k catalog's index between runs (building it takes minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import private_settings, table  # noqa: E402

from service.config import PROJECT_ROOT, Settings  # noqa: E402

LATENCY_S = 0.2
LEVELS = ((1, 30), (8, 120), (32, 166))  # (concurrency, products): each level runs >= ~6 s
BIN = Path(sys.executable).parent


# --- the fake LLM in its own process ---------------------------------------------------


def serve_fake(latency_s: float) -> None:
    import _fake_llm
    from tests.fakes.fake_openai import FakeOpenAI, Reply

    def answer(body: dict) -> str:
        # A reask repeats the first answer (the evidence is in the first user message), as a stubborn model would.
        return json.dumps(_fake_llm.respond({**body, "messages": body["messages"][:2]}), ensure_ascii=False)

    fake = FakeOpenAI(default=Reply(answer, latency_s=latency_s)).start()
    print(fake.base_url, flush=True)
    sys.stdin.read()  # until the parent closes the pipe
    fake.stop()


def start_fake(latency_s: float) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, __file__, "--serve-fake", str(latency_s)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


# --- 1. throughput ------------------------------------------------------------------------


def throughput() -> None:
    from rich.console import Console

    from service.batch.summaries import Options, run, select
    from service.container import Container
    from service.retrieval.ingest import run_ingest
    from service.retrieval.loaders import default_sources

    quiet = Console(file=open(os.devnull, "w"))
    fake, url = start_fake(LATENCY_S)
    try:
        settings = private_settings("batch", llm_base_url=url, llm_model="fake-model")
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        container = Container(settings)
        run_ingest(container, default_sources(settings.knowledge_dir), show_progress=False)
        ids = select(container, Options())
        run(container, Options(ids=ids[:4], progress=False), quiet)  # warm-up: Kiwi, guards, the grounding checker
        rows, exports = [], {}
        for concurrency, n in LEVELS:
            exports[concurrency] = settings.data_dir / f"export-{concurrency}.jsonl"
            cpu0, t0 = time.process_time(), time.perf_counter()
            report = run(container, Options(concurrency=concurrency, ids=ids[:n], fresh=True, progress=False,
                                            export=exports[concurrency]), quiet)
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            ideal = concurrency / LATENCY_S
            passed = report.generated - report.fixed - report.fallback - report.blocked
            rows.append({"concurrency": concurrency, "items": n, "wall s": f"{wall:.1f}", "items/s": f"{n / wall:.1f}",
                         "ideal/s": f"{ideal:.0f}", "% of ideal": f"{100 * n / wall / ideal:.0f}%",
                         "CPU ms/item": f"{1000 * cpu / n:.0f}", "CPU-bound cap/s": f"{n / cpu:.1f}",
                         "pass/fixed/fallback/blocked": f"{passed}/{report.fixed}/{report.fallback}/{report.blocked}"})
        same = _same_outputs(exports[1], exports[32])
    finally:
        fake.stdin.close()
        fake.wait(10)
    print(f"\nbatch summaries, online mode, fake LLM with a fixed {LATENCY_S * 1000:.0f} ms latency "
          f"({os.cpu_count()} cores, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')})")
    print(table(rows, list(rows[0])))
    print("CPU-bound cap = items / process CPU seconds: the rate at which one core's worth of guard work runs out.")
    print(f"outputs at concurrency 1 and 32 identical for the {same[1]} products both ran: {same[0]}")


def _same_outputs(a: Path, b: Path) -> tuple[bool, int]:
    def load(path: Path) -> dict:
        return {r["id"]: (r.get("verdict"), r.get("output")) for r in map(json.loads, path.read_text().splitlines())}

    left, right = load(a), load(b)
    common = set(left) & set(right)
    return all(left[i] == right[i] for i in common), len(common)


# --- 2. incremental over 10k --------------------------------------------------------------


def synthetic_products(n: int) -> list[dict]:
    """n valid records in the sample schema: the 166 samples cycled, with new ids, names and prices."""
    templates = [json.loads(line) for line in (PROJECT_ROOT / "knowledge" / "products.jsonl").read_text().splitlines()]
    editions = ["베이직", "에센셜", "데일리", "시그니처", "리미티드", "클래식", "모던", "어반"]
    out = []
    for i in range(n):
        t = templates[i % len(templates)]
        bump = 1000 * (i // len(templates) % 9)  # sale_price stays below price
        name = f"{t['name']} {editions[i % len(editions)]} {i // len(templates) + 1}"
        out.append({**t, "id": f"P{i + 1:05d}", "name": name, "price": t["price"] + bump})
    return out


def setup_catalog(workdir: Path, n: int) -> None:
    """Runs in its own process: the timed CLI run must be the only one to open the embedded Chroma."""
    import shutil

    from service.container import Container
    from service.retrieval.ingest import run_ingest
    from service.retrieval.loaders import default_sources

    knowledge, data = workdir / "knowledge", workdir / "var"
    knowledge.mkdir(parents=True, exist_ok=True)
    (knowledge / "products.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in synthetic_products(n)), encoding="utf-8")
    for name in ("faq.jsonl", "style_guides.md", "user_dict.tsv"):
        shutil.copy(PROJECT_ROOT / "knowledge" / name, knowledge / name)
    container = Container(Settings(data_dir=data, knowledge_dir=knowledge))
    data.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    run_ingest(container, default_sources(knowledge), show_progress=sys.stderr.isatty())
    ingest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    container.retriever.get("products", "P00001")  # the in-memory retrieval index, built once per process
    index_s = time.perf_counter() - t0
    pipeline = container.pipeline
    pipeline.run("summary", {"product_id": "P00001"}, cache="bypass")  # warm-up: models, guards
    t0 = time.perf_counter()
    sample = [pipeline.run("summary", {"product_id": f"P{i:05d}"}, cache="bypass") for i in range(1, 21)]
    composer_ms = (time.perf_counter() - t0) / len(sample) * 1000
    # Generating 10k real summaries would take composer_ms x 10k (printed below), so the cache is
    # filled directly, BENCHMARK SETUP ONLY: the key comes from the pipeline's own computation
    # (_cache_lookup over the real evidence and prompt version), the value is one real envelope
    # reused as a placeholder. The timed run only asks whether the key is present.
    from service.evidence import collect
    from service.prompting.templates import load_prompt

    spec = pipeline.spec("summary")
    version = load_prompt(container.settings.prompts_dir, spec.prompt).version
    placeholder = sample[0].model_dump(mode="json")
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        inputs = pipeline.guards.screen_input(spec, spec.input_model(product_id=f"P{i:05d}")).inputs
        lookup = pipeline._cache_lookup(spec, inputs, version, collect(spec, inputs, container.retriever))
        container.cache.put(lookup.key, placeholder, spec.cache.ttl_s)
    fill_s = time.perf_counter() - t0
    check_ms = _check_ms(pipeline, n)
    # What-if, this process only: the retrieval steps' Jinja templates compiled once instead of
    # on every call (service/evidence.py _render recompiles them; ~90% of a skip check).
    import functools

    import service.evidence as evidence

    compiled = functools.lru_cache(maxsize=256)(evidence._jinja.from_string)
    evidence._render = lambda template, context: compiled(template).render(context).strip()
    check_ms_compiled = _check_ms(pipeline, n)
    print(json.dumps({"ingest_s": ingest_s, "index_s": index_s, "composer_ms": composer_ms, "fill_s": fill_s,
                      "check_ms": check_ms, "check_ms_compiled": check_ms_compiled}))


def _check_ms(pipeline, n: int, sample: int = 1000) -> float:
    """ms per `Pipeline.cached` (the --changed-only skip check), one thread."""
    step = max(1, n // sample)
    ids = [f"P{i:05d}" for i in range(1, n + 1, step)]
    t0 = time.perf_counter()
    present = sum(pipeline.cached("summary", {"product_id": pid}) for pid in ids)
    if present != len(ids):
        raise RuntimeError(f"only {present} of {len(ids)} sampled products are cached")
    return (time.perf_counter() - t0) / len(ids) * 1000


def incremental(n: int, workdir: Path | None) -> None:
    workdir = workdir or Path(tempfile.mkdtemp(prefix="cg-bench-batch10k-"))
    env = {k: v for k, v in os.environ.items() if k != "CG_LLM_BASE_URL"}  # offline composer keys, as filled
    env["CG_KNOWLEDGE_DIR"] = str(workdir / "knowledge")
    setup = subprocess.run([sys.executable, __file__, "--setup-catalog", str(workdir), "--products", str(n)],
                           env=env, check=True, stdout=subprocess.PIPE, text=True)
    timings = json.loads(setup.stdout.strip().splitlines()[-1])
    rows = []
    for concurrency in (4, 1):
        report_path = workdir / f"report-{concurrency}.json"
        cmd = [str(BIN / "commerce-guard"), "--data-dir", str(workdir / "var"), "batch", "summaries", "--changed-only",
               "--concurrency", str(concurrency), "--quiet", "--report", str(report_path)]
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        report = json.loads(report_path.read_text())
        rows.append({"concurrency": concurrency, "products": report["total"], "skipped": report["skipped"],
                     "generated": report["generated"], "process wall s": f"{wall:.1f}",
                     "job s": f"{report['duration_s']:.1f}",
                     "ms/product": f"{1000 * report['duration_s'] / report['total']:.2f}",
                     "target <= 10 s": "met" if wall <= 10 else "NOT met"})
    print(f"\nincremental re-run over an unchanged catalog of {n:,} synthetic products (data dir {workdir})")
    print(f"setup: ingest {timings['ingest_s']:.0f} s; the offline composer takes {timings['composer_ms']:.0f} ms a "
          f"product (x {n:,} = {timings['composer_ms'] * n / 1000:.0f} s), so the cache was filled directly in "
          f"{timings['fill_s']:.1f} s (benchmark setup only)")
    print(table(rows, list(rows[0])))
    print(f"where the job's time goes (one process, one thread): building the in-memory retrieval index of "
          f"{n:,} products {timings['index_s']:.1f} s (once per process, on first use); a skip check "
          f"{timings['check_ms']:.2f} ms a product (x {n:,} = {timings['check_ms'] * n / 1000:.1f} s); with the "
          f"retrieval steps' templates compiled once (what-if, not in the code) {timings['check_ms_compiled']:.2f} ms "
          f"(x {n:,} = {timings['check_ms_compiled'] * n / 1000:.1f} s)")
    print("command: OMP_NUM_THREADS=1 commerce-guard --data-dir DIR batch summaries --changed-only --concurrency C -q")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--serve-fake", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--setup-catalog", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake is not None:
        return serve_fake(args.serve_fake)
    if args.setup_catalog is not None:
        return setup_catalog(args.setup_catalog, args.products)
    if not args.skip_throughput:
        throughput()
    if not args.skip_incremental:
        incremental(args.products, args.workdir)


if __name__ == "__main__":
    main()
