"""What one guard check costs, and whether liveness stays fast while big ones run.

Starts `commerce-guard serve` (one worker, no auth, a private empty data dir) as its own
process, then:

1. CPU seconds per KB of request body: the server process's CPU time (from /proc) for one
   maximal `POST /v1/guard/check` (ordinary product prose as long as the server accepts,
   evidence at its limit) and for an adversarial one (spaced digits, the longest sentence
   accepted), each run alone;
2. `/healthz` latency (p50/p95 over --probes sequential probes) idle, and while 3 clients
   send maximal guard checks back to back; how many of those checks got 200 / 413 / 429.

The limits are read from the code under test (Settings.guard_max_*); code without them
(before issue 13) gets the old 20,000-character text limit, filled up to the 64 KiB body.

    .venv/bin/python bench/cost_limits.py [--probes 50] [--clients 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import httpx  # noqa: E402

from _common import pct  # noqa: E402
from service.config import Settings  # noqa: E402

PROSE = ("이 린넨 셔츠는 면 80%, 린넨 20%로 만들어져 통기성이 좋습니다. 가격은 39,000원이며 S, M, L 사이즈가 있습니다. "
         "찬물에 손세탁을 권장하고, 건조기는 사용하지 마세요.\n")
EVIDENCE_UNIT = "소재: 면 80%, 린넨 20%. 가격: 39,000원. 사이즈: S, M, L. 세탁: 찬물 손세탁, 건조기 사용 금지. "
DIGITS = "0 1 0 2 3 4 5 6 7 8 8 "


def limits() -> dict[str, int]:
    s = Settings()
    body = s.max_body_bytes
    return {"text": getattr(s, "guard_max_text_chars", 19_000), "sentence": getattr(s, "guard_max_sentence_chars", 0),
            "evidence": getattr(s, "guard_max_evidence_chars", 0), "body": body}


def payloads(lim: dict[str, int]) -> dict[str, dict]:
    text = (PROSE * (lim["text"] // len(PROSE) + 1))[:lim["text"]]
    room = lim["evidence"] or max(0, (lim["body"] - len(json.dumps({"text": text}).encode()) - 2000) // 3)
    per = min(2000, room // 4)  # four distinct passages, each under the old 5,000-character cap
    evidence = [f"({i}) " + (EVIDENCE_UNIT * (per // len(EVIDENCE_UNIT) + 1))[:per - 4] for i in range(4)]
    sentence = lim["sentence"] or 2_000  # before: nothing bounded one sentence
    line = (DIGITS * (sentence // len(DIGITS) + 1))[:sentence - 1].rstrip() + "."
    digits = "\n".join([line] * max(1, min(lim["text"], 2_000) // (len(line) + 1)))
    return {"maximal prose": {"text": text, "evidence": evidence},
            "adversarial digits": {"text": digits, "evidence": evidence[:1]}}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CG_DATA_DIR": str(data_dir), "CG_AUTH_MODE": "off", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(data_dir / "server.log", "w"))
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"server did not start; see {data_dir / 'server.log'}")


def probe(url: str, n: int) -> list[float]:
    out = []
    with httpx.Client(timeout=120) as c:
        for _ in range(n):
            t0 = time.perf_counter()
            c.get(f"{url}/healthz").raise_for_status()
            out.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.05)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--clients", type=int, default=3)
    args = parser.parse_args()
    lim = limits()
    bodies = payloads(lim)
    data_dir = Path(tempfile.mkdtemp(prefix="cg-bench-cost-"))
    proc, url = start_server(data_dir)
    try:
        with httpx.Client(timeout=300) as c:
            c.post(f"{url}/v1/guard/check", json={"text": "안녕하세요. 면 80%입니다.", "evidence": ["면 80%"]})  # warm-up
            print(f"limits: text {lim['text']:,} chars, sentence {lim['sentence'] or 'none'}, "
                  f"evidence {lim['evidence'] or 'none (body limit)'}, body {lim['body']:,} bytes")
            for name, body in bodies.items():
                size = len(json.dumps(body, ensure_ascii=False).encode()) / 1024
                before = cpu_seconds(proc.pid)
                r = c.post(f"{url}/v1/guard/check", json=body)
                spent = cpu_seconds(proc.pid) - before
                print(f"{name:20s} {size:6.1f} KB -> {r.status_code}: {spent:.2f} s CPU, {spent / size * 1000:.0f} ms CPU per KB")
        idle = probe(url, args.probes)
        stop, statuses = threading.Event(), Counter()

        def hammer() -> None:
            with httpx.Client(timeout=300) as c:
                while not stop.is_set():
                    statuses[c.post(f"{url}/v1/guard/check", json=bodies["maximal prose"]).status_code] += 1

        threads = [threading.Thread(target=hammer, daemon=True) for _ in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        loaded = probe(url, args.probes)
        stop.set()
        for t in threads:
            t.join(300)
        print(f"/healthz idle:      p50 {pct(idle, 50):.1f} ms, p95 {pct(idle, 95):.1f} ms ({len(idle)} probes)")
        print(f"/healthz under {args.clients} maximal checks: p50 {pct(loaded, 50):.1f} ms, p95 {pct(loaded, 95):.1f} ms, "
              f"max {max(loaded):.1f} ms; the checks answered {dict(statuses)}")
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
