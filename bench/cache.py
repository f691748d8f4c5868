"""Cached request latency and throughput through HTTP, and where a cached request spends its time.

Starts the real service (bench/pipeline.py's start_service: uvicorn, default
single worker, private data dir, full sample knowledge base, pointed at the fake
LLM unless --backend offline), warms the response cache, then drives cached
requests over loopback with a Python asyncio client (httpx.AsyncClient with a
connection limit) at 1, 50 and 200 concurrent connections, closed loop: each
connection sends its next request when the previous one returned. Every level
is bounded by --requests and --max-seconds and stops by itself.

Uncached latency: distinct questions / product ids that miss (each is sent
once; responses whose cache status is not "miss" are discarded), sequentially
on one connection, compared with cached requests on one connection.

Open loop: the same cached requests offered at a fixed rate over 200
connections (latency counted from the scheduled send time, so queueing in the
client is included), to show latency below saturation.

Profile: in-process cProfile of the cached path (Pipeline.run on exact hits)
plus the stage split the pipeline reports (timings_ms).

    OMP_NUM_THREADS=1 .venv/bin/python bench/cache.py [--requests 2000] [--max-seconds 30] [--levels 1,50,200]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH_DATA, pct, private_settings, table  # noqa: E402
from pipeline import start_service  # noqa: E402  (bench/pipeline.py)
from token_savings import start_fake  # noqa: E402  (bench/_fake_llm's responder, reask-safe)

CS_PATH, SUMMARY_PATH = "/v1/answers", "/v1/summaries"
TARGET_P99_MS = 15.0
CACHED_QUESTIONS = [
    "사이즈 교환하면 배송비가 얼마인가요?", "반품 배송비 얼마예요?", "적립금 유효기간이 어떻게 되나요?",
    "해외 배송 기간은요?", "무통장입금 기한 알려주세요", "오늘 주문하면 언제 출고되나요?",
    "제주도로 주문하면 배송비 더 붙나요?", "카드 할부 되나요?", "쿠폰 두 장 한꺼번에 쓸 수 있나요?",
    "리뷰 쓰면 적립금 얼마 받아요?", "고객센터 몇 시까지 해요?", "반품하면 환불은 언제 되나요?",
    "이미 출고됐다는데 지금 취소할 수 있나요?", "골드 등급 되려면 얼마나 사야 하나요?",
    "린넨 셔츠는 세탁 어떻게 해야 해요?", "불량품 반품 배송비는 누가 내요?",
]
CACHED_PRODUCTS = [f"P{i:03d}" for i in range(1, 17)]
WARMUP_QUESTIONS = ["실크 블라우스 세탁은 어떻게 해요?", "고객센터 점심시간이 언제예요?", "신규 가입 쿠폰 할인율이 얼마예요?"]


# --- load generation -------------------------------------------------------------------
async def _send(client: httpx.AsyncClient, path: str, body: dict) -> tuple[int, dict | None]:
    r = await client.post(path, json=body)
    return r.status_code, (r.json() if r.status_code == 200 else None)


def proc_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used so far, all threads."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


async def closed_loop(url: str, path: str, bodies: list[dict], conc: int, n: int, max_s: float, server_pid: int) -> dict:
    """conc workers, each on its own connection, loop without pause; the first conc + len(bodies)
    completions open the connections and are not recorded (no idle gap before measuring)."""
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    timeout = httpx.Timeout(60.0, pool=None)
    warmup = conc + len(bodies)
    e2e, server, statuses, errors = [], [], Counter(), Counter()
    state = {"issued": 0, "completed": 0, "t0": None, "cpu0": None, "srv0": None}
    deadline = time.perf_counter() + max_s
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:

        async def worker() -> None:
            while state["issued"] < n + warmup and time.perf_counter() < deadline:
                i = state["issued"]
                state["issued"] += 1
                t0 = time.perf_counter()
                try:
                    code, body = await _send(client, path, bodies[i % len(bodies)])
                except httpx.HTTPError as exc:
                    code, body = type(exc).__name__, None
                state["completed"] += 1
                if state["completed"] == warmup:
                    state.update(t0=time.perf_counter(), cpu0=time.process_time(), srv0=proc_cpu_s(server_pid))
                if state["completed"] <= warmup:
                    continue
                if body is None:
                    errors[code if isinstance(code, str) else f"HTTP {code}"] += 1
                    continue
                e2e.append((time.perf_counter() - t0) * 1000)
                server.append(body["timings_ms"].get("total", float("nan")))
                statuses[body["cache"]["status"]] += 1

        await asyncio.gather(*(worker() for _ in range(conc)))
    end = time.perf_counter()
    wall = end - (state["t0"] or end)
    return {"e2e": e2e, "server": server, "statuses": statuses, "errors": errors, "wall": max(wall, 1e-9),
            "client_cpu": time.process_time() - (state["cpu0"] or time.process_time()),
            "server_cpu": proc_cpu_s(server_pid) - (state["srv0"] if state["srv0"] is not None else float("nan")),
            "stopped_by": "count" if state["issued"] >= n + warmup else "time"}


async def open_loop(url: str, path: str, bodies: list[dict], conc: int, rate: float, duration: float) -> dict:
    n = max(1, int(rate * duration))
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=httpx.Timeout(60.0, pool=None)) as client:
        lat, statuses, errors = [], Counter(), Counter()
        start = time.perf_counter() + 0.1

        async def one(i: int) -> None:
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            try:
                code, body = await _send(client, path, bodies[i % len(bodies)])
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
                return
            if body is None:
                errors[f"HTTP {code}"] += 1
                return
            lat.append((time.perf_counter() - scheduled) * 1000)
            statuses[body["cache"]["status"]] += 1

        t0 = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), timeout=duration + 120)
        wall = time.perf_counter() - t0
    return {"lat": lat, "statuses": statuses, "errors": errors, "wall": wall, "n": n}


def sequential(url: str, path: str, bodies: list[dict], want: int, status: str) -> tuple[list[float], list[float], Counter]:
    """Send each body once; keep the latencies of responses with the wanted cache status."""
    e2e, server, seen = [], [], Counter()
    with httpx.Client(base_url=url, timeout=60) as client:
        for body in bodies:
            if len(e2e) >= want:
                break
            t0 = time.perf_counter()
            r = client.post(path, json=body)
            elapsed = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                seen[f"HTTP {r.status_code}"] += 1
                continue
            got = r.json()
            seen[got["cache"]["status"]] += 1
            if got["cache"]["status"] == status:
                e2e.append(elapsed)
                server.append(got["timings_ms"].get("total", float("nan")))
    return e2e, server, seen


WRK_SCRIPT = """
local bodies = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json"}, bodies[(i %% #bodies) + 1])
end
"""
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, path: str, bodies: list[dict], conc: int, seconds: float, server_pid: int) -> dict | None:
    """The same closed loop with wrk (C, one thread): less client CPU on a 2-core machine."""
    import re
    import subprocess
    import tempfile

    if not shutil.which("wrk"):
        return None
    lua = ", ".join("[[" + json.dumps(b, ensure_ascii=False) + "]]" for b in bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(WRK_SCRIPT % (lua, path))
    srv0, t0 = proc_cpu_s(server_pid), time.perf_counter()
    out = subprocess.run(["wrk", "-t1", f"-c{conc}", f"-d{int(seconds)}s", "--timeout", "30s", "--latency", "-s", f.name, url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    wall = time.perf_counter() - t0
    os.unlink(f.name)

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    errs = re.search(r"Socket errors: (.*)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"n": int(total.group(1)) if total else 0, "rps": float(rps.group(1)) if rps else float("nan"),
            "p50": ms("50%"), "p90": ms("90%"), "p99": ms("99%"),
            "errors": (errs.group(1) if errs else "0") + (f"; non-2xx {non2xx.group(1)}" if non2xx else ""),
            "server_cpu": (proc_cpu_s(server_pid) - srv0) / wall}


def warm(url: str, path: str, bodies: list[dict]) -> Counter:
    with httpx.Client(base_url=url, timeout=60) as client:
        for body in bodies:
            client.post(path, json=body)
        return Counter(client.post(path, json=body).json()["cache"]["status"] for body in bodies)


def uncached_questions(exclude: set[str]) -> list[str]:
    seen: dict[str, None] = {}
    for line in (BENCH_DATA / "semantic_pairs.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            pair = json.loads(line)
            for q in (pair["a"], pair["b"]):
                if q not in exclude:
                    seen.setdefault(q, None)
    return list(seen)


# --- profile ---------------------------------------------------------------------------
def profile_cached(n: int) -> tuple[list[dict], str]:
    """cProfile of Pipeline.run on exact cache hits, in-process (no HTTP)."""
    from service.container import Container
    from service.envelope import Envelope
    from service.retrieval.ingest import run_ingest
    from service.retrieval.loaders import default_sources

    container = Container(private_settings("cache-profile"))
    container.settings.data_dir.mkdir(parents=True, exist_ok=True)
    run_ingest(container, default_sources(container.settings.knowledge_dir), show_progress=False)
    pipeline = container.pipeline
    for q in CACHED_QUESTIONS:
        pipeline.run("cs_answer", {"question": q})
    stages: dict[str, list[float]] = {}
    serialise: list[float] = []
    for i in range(n):  # stage split without the profiler's overhead
        env = pipeline.run("cs_answer", {"question": CACHED_QUESTIONS[i % len(CACHED_QUESTIONS)]})
        assert env.cache.status == "hit", env.cache.status
        for k, v in env.timings_ms.items():
            stages.setdefault(k, []).append(v)
        t0 = time.perf_counter()  # what FastAPI does with a response_model: validate, then dump to JSON
        Envelope.model_validate(env.model_dump()).model_dump_json()
        serialise.append((time.perf_counter() - t0) * 1000)
    # what-if: the exact lookup done first, keyed without the evidence signature (e.g. on the index generation)
    from service.cache.keys import cache_key

    keys = [pipeline.run("cs_answer", {"question": q}).cache.key for q in CACHED_QUESTIONS]
    early: list[float] = []
    for i in range(n):
        t0 = time.perf_counter()
        cache_key("cs_answer", {"question": CACHED_QUESTIONS[i % len(CACHED_QUESTIONS)], "order_context": None},
                  "cs_answer-v1", "backend:model", "index-generation-id")
        Envelope.model_validate(container.cache.get(keys[i % len(keys)]))
        early.append((time.perf_counter() - t0) * 1000)
    rows = [{"stage": k, "p50 ms": f"{statistics.median(v):.2f}", "p99 ms": f"{pct(v, 99):.2f}"} for k, v in stages.items()]
    rows.insert(-1, {"stage": "(response model re-validate + JSON, outside pipeline)",
                     "p50 ms": f"{statistics.median(serialise):.2f}", "p99 ms": f"{pct(serialise, 99):.2f}"})
    rows.append({"stage": "(what-if) exact lookup before guard + retrieval: key + store get + validate",
                 "p50 ms": f"{statistics.median(early):.2f}", "p99 ms": f"{pct(early, 99):.2f}"})
    prof = cProfile.Profile()
    prof.enable()
    for i in range(n):
        pipeline.run("cs_answer", {"question": CACHED_QUESTIONS[i % len(CACHED_QUESTIONS)]})
    prof.disable()
    shutil.rmtree(container.settings.data_dir, ignore_errors=True)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(28)
    return rows, out.getvalue()


# --- report ----------------------------------------------------------------------------
def _row(label: str, res: dict) -> dict:
    e2e, server = res["e2e"], res["server"]
    return {"load": label, "n": len(e2e), "req/s": f"{len(e2e) / res['wall']:.0f}",
            "p50": f"{pct(e2e, 50):.1f}", "p90": f"{pct(e2e, 90):.1f}", "p99": f"{pct(e2e, 99):.1f}",
            "max": f"{max(e2e):.1f}" if e2e else "-",
            "server p50": f"{pct(server, 50):.1f}", "server p99": f"{pct(server, 99):.1f}",
            "statuses": dict(res["statuses"]), "errors": dict(res["errors"]) or 0,
            "client cpu": f"{100 * res['client_cpu'] / res['wall']:.0f}%",
            "server cpu": f"{100 * res['server_cpu'] / res['wall']:.0f}%", "stop": res["stopped_by"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per concurrency level (upper bound)")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="time bound per concurrency level")
    parser.add_argument("--levels", default="1,50,200")
    parser.add_argument("--uncached", type=int, default=60, help="uncached requests to measure per task")
    parser.add_argument("--backend", choices=["fake", "offline"], default="fake",
                        help="fake: the fake OpenAI-compatible LLM answering instantly; offline: the offline composer")
    parser.add_argument("--open-loop", default="0.5,0.8", help="offered rates as fractions of the 200-connection throughput")
    parser.add_argument("--open-seconds", type=float, default=10.0)
    parser.add_argument("--wrk-seconds", type=float, default=10.0, help="wrk cross-check per level when wrk is installed (0: skip)")
    parser.add_argument("--profile", type=int, default=300, help="cached pipeline runs to profile in-process (0: skip)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",") if x]

    load_before = os.getloadavg()
    fake = start_fake() if args.backend == "fake" else None
    data_dir = private_settings("cache").data_dir
    proc, url = start_service(data_dir, fake.base_url if fake else None)
    cs_bodies = [{"question": q} for q in CACHED_QUESTIONS]
    sum_bodies = [{"product_id": p} for p in CACHED_PRODUCTS]
    rows, open_rows, ratio_rows, wrk_rows = [], [], [], []
    try:
        # uncached first (the cache is empty), after a few throwaway requests that pay one-time lazy loading
        sequential(url, CS_PATH, [{"question": q} for q in WARMUP_QUESTIONS], len(WARMUP_QUESTIONS), "miss")
        sequential(url, SUMMARY_PATH, [{"product_id": p} for p in ("P158", "P159", "P160")], 3, "miss")
        un_cs = sequential(url, CS_PATH, [{"question": q} for q in uncached_questions(set(CACHED_QUESTIONS) | set(WARMUP_QUESTIONS))],
                           args.uncached, "miss")
        un_sum = sequential(url, SUMMARY_PATH, [{"product_id": f"P{i:03d}"} for i in range(17, 158)], args.uncached, "miss")
        warm_cs, warm_sum = warm(url, CS_PATH, cs_bodies), warm(url, SUMMARY_PATH, sum_bodies)
        for task, path, bodies in (("cs_answer", CS_PATH, cs_bodies), ("summary", SUMMARY_PATH, sum_bodies)):
            for conc in levels:
                res = asyncio.run(closed_loop(url, path, bodies, conc, args.requests, args.max_seconds, proc.pid))
                rows.append({"task": task, **_row(f"{conc} conn", res)})
                if conc == 1:
                    cached_1 = res
            un_e2e, un_server, un_seen = un_cs if task == "cs_answer" else un_sum
            ratio_rows.append({
                "task": task, "uncached n": len(un_e2e), "uncached p50": f"{pct(un_e2e, 50):.1f}",
                "uncached p99": f"{pct(un_e2e, 99):.1f}", "cached p50": f"{pct(cached_1['e2e'], 50):.1f}",
                "cached p99": f"{pct(cached_1['e2e'], 99):.1f}",
                "ratio p50": f"{pct(un_e2e, 50) / pct(cached_1['e2e'], 50):.2f}x",
                "server-side ratio p50": f"{pct(un_server, 50) / pct(cached_1['server'], 50):.2f}x",
                "discarded (not miss)": {k: v for k, v in un_seen.items() if k != "miss"} or 0})
        if args.wrk_seconds > 0:
            for task, path, bodies in (("cs_answer", CS_PATH, cs_bodies), ("summary", SUMMARY_PATH, sum_bodies)):
                for conc in levels:
                    res = run_wrk(url, path, bodies, conc, args.wrk_seconds, proc.pid)
                    if res is None:
                        break
                    wrk_rows.append({"task": task, "load": f"{conc} conn", "n": res["n"], "req/s": f"{res['rps']:.0f}",
                                     "p50": f"{res['p50']:.1f}", "p90": f"{res['p90']:.1f}", "p99": f"{res['p99']:.1f}",
                                     "errors": res["errors"], "server cpu": f"{100 * res['server_cpu']:.0f}%"})
        tops = [float(r["req/s"]) for r in rows + wrk_rows if r["task"] == "cs_answer" and r["load"] == f"{max(levels)} conn"]
        if tops:
            capacity = max(tops)  # the better of the two clients' closed-loop throughput
            for frac in [float(x) for x in args.open_loop.split(",") if x]:
                rate = max(1.0, frac * capacity)
                res = asyncio.run(open_loop(url, CS_PATH, cs_bodies, max(levels), rate, args.open_seconds))
                lat = res["lat"]
                open_rows.append({"offered": f"{rate:.0f} req/s ({frac:.0%} of {capacity:.0f})", "conns": max(levels),
                                  "n": len(lat), "achieved req/s": f"{len(lat) / res['wall']:.0f}",
                                  "p50": f"{pct(lat, 50):.1f}", "p99": f"{pct(lat, 99):.1f}",
                                  "statuses": dict(res["statuses"]), "errors": dict(res["errors"]) or 0})
    finally:
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)
        if fake:
            fake.stop()

    backend = "fake LLM (answers instantly)" if fake else "offline composer"
    print(f"\nMachine: {os.cpu_count()} CPUs; load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} "
          f"(other processes on the machine share the CPUs with the client and the service)")
    print(f"\nWarm-up second pass statuses: cs_answer {dict(warm_cs)}, summary {dict(warm_sum)}")
    print(f"\nCached requests through HTTP, closed loop, loopback, one uvicorn worker, backend {backend} (ms)")
    print(table(rows, ["task", "load", "n", "req/s", "p50", "p90", "p99", "max", "server p50", "server p99",
                       "statuses", "errors", "client cpu", "server cpu", "stop"]))
    print("server p50/p99 = the pipeline's own timings_ms.total (excludes HTTP, framework and queueing)")
    if wrk_rows:
        print(f"\nSame cached requests with wrk (-t1, {args.wrk_seconds:.0f} s per level, closed loop, ms)")
        print(table(wrk_rows, ["task", "load", "n", "req/s", "p50", "p90", "p99", "errors", "server cpu"]))
    if open_rows:
        print("\nOpen loop, cached cs_answer requests at a fixed offered rate, python client, as a share of the best "
              "closed-loop throughput at 200 connections (latency from the scheduled send time, ms)")
        print(table(open_rows, list(open_rows[0])))
    print(f"\nUncached vs cached, sequential on one connection (ms), backend {backend}")
    print(table(ratio_rows, list(ratio_rows[0])))
    print()
    for source, rs in (("python client", rows), ("wrk", wrk_rows)):
        at200 = next((r for r in rs if r["task"] == "cs_answer" and r["load"] == "200 conn"), None)
        if not at200:
            continue
        p99 = float(at200["p99"])
        verdict = "met" if p99 <= TARGET_P99_MS else "MISSED"
        print(f"Target cached p99 <= {TARGET_P99_MS:.0f} ms at 200 connections ({source}): {verdict} "
              f"(cs_answer p99 {p99:.1f} ms, {at200['req/s']} req/s).")
    if rows:
        print(f"Little's law for a closed loop: latency ~= connections / throughput, "
              f"so 15 ms at 200 connections needs >= {200 / (TARGET_P99_MS / 1000):.0f} req/s from one worker.")

    if args.profile:
        stage_rows, profile_text = profile_cached(args.profile)
        print(f"\nWhere a cached cs_answer request spends its time, in-process, {args.profile} exact hits (ms)")
        print(table(stage_rows, ["stage", "p50 ms", "p99 ms"]))
        print("\ncProfile of the cached path (cumulative, top entries)")
        print("\n".join(line for line in profile_text.splitlines() if line.strip())[:6000])


if __name__ == "__main__":
    main()
