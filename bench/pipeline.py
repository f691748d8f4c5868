"""The service's own overhead per request, through HTTP, with an LLM that answers instantly.

Starts the real service (uvicorn, a private data dir, the full sample knowledge
base) pointed at the fake OpenAI-compatible server, sends sequential requests
per task and prints p50/p95 of the end-to-end latency and of the service's
own share (end-to-end minus the generate stage that waits for the LLM).

    .venv/bin/python bench/pipeline.py [--requests 60]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _fake_llm  # noqa: E402
from _common import pct, private_settings, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(data_dir: Path, llm_url: str | None) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "CG_DATA_DIR": str(data_dir)}
    if llm_url:
        env.update(CG_LLM_BASE_URL=llm_url, CG_LLM_MODEL="fake-model")
    subprocess.run([BIN / "commerce-guard", "ingest", "--quiet"], env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([BIN / "commerce-guard", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("service did not become ready")


REQUESTS = {
    "summary": ("/v1/summaries", lambda i: {"product_id": f"P{(i % 160) + 1:03d}"}),
    "styling": ("/v1/styling", lambda i: {"product_id": f"P{(i % 160) + 1:03d}", "occasion": "출근"}),
    "cs_answer": ("/v1/answers", lambda i: {"question": ["반품 배송비 얼마예요?", "적립금 유효기간이 어떻게 되나요?",
                                                         "해외 배송 기간은요?", "무통장입금 기한 알려주세요"][i % 4] + f" ({i})"}),
}


def measure(url: str, n: int) -> list[dict]:
    rows = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for task, (path, make) in REQUESTS.items():
            for i in range(3):
                client.post(path, json=make(i))  # warm-up
            total, own, backends = [], [], set()
            for i in range(n):
                t0 = time.perf_counter()
                r = client.post(path, json=make(i))
                elapsed = (time.perf_counter() - t0) * 1000
                body = r.json()
                total.append(elapsed)
                own.append(elapsed - body["timings_ms"].get("generate", 0.0))
                backends.add(body["backend"]["name"] + ("(fallback)" if body["backend"]["fallback"] else ""))
            rows.append({"task": task, "backend": ",".join(sorted(backends)), "n": n,
                         "e2e p50": f"{pct(total, 50):.1f}", "e2e p95": f"{pct(total, 95):.1f}",
                         "own p50": f"{pct(own, 50):.1f}", "own p95": f"{pct(own, 95):.1f}"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    fake = _fake_llm.start()
    proc, url = start_service(private_settings("pipeline").data_dir, fake.base_url)
    try:
        rows = measure(url, args.requests)
    finally:
        proc.kill()
        fake.stop()
    print(f"\nPipeline overhead through HTTP, fake LLM answering instantly, sequential requests (ms)")
    print(table(rows, ["task", "backend", "n", "e2e p50", "e2e p95", "own p50", "own p95"]))


if __name__ == "__main__":
    main()
