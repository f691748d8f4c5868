"""The nightly batch beside the live server, as separate processes.

More than one process needs a Chroma server (CG_CHROMA_URL) and a shared cache:
diskcache under one data dir on one host, or Redis. While CS tools call the
server, `batch summaries` runs, is stopped with SIGTERM and resumed. Nothing may
be lost (every product summarised exactly once, every token counted exactly
once) and nothing corrupted (every answer guarded and cited, every cache entry
and the audit database readable). With the embedded store a second process is
refused with a clear error instead (Chroma's embedded store is single-process).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from bench._fake_llm import respond
from service.config import PROJECT_ROOT, Settings
from service.container import Container
from tests.fakes.fake_openai import FakeOpenAI, Reply
from tests.servers import BIN, commerce_guard, redis_server, start_chroma, start_redis, start_service, stop

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data"
COPIES = 6  # x 4 fixture products: enough for the batch to overlap with live traffic
GROUNDED = Reply(lambda body: json.dumps(respond({**body, "messages": body["messages"][:2]}), ensure_ascii=False),
                 latency_s=0.05)


def write_knowledge(root: Path) -> list[str]:
    """The fixture catalog cloned under new ids, in the default file layout; returns the product ids."""
    root.mkdir(parents=True)
    records = [json.loads(line) for line in (DATA / "products_small.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()]
    products = [{**r, "id": f"P{500 + n}", "name": f"{r['name']} {copy + 1}"}
                for n, (copy, r) in enumerate((c, r) for c in range(COPIES) for r in records)]
    (root / "products.jsonl").write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in products),
                                         encoding="utf-8")
    shutil.copy(DATA / "faq_small.jsonl", root / "faq.jsonl")
    shutil.copy(DATA / "style_small.md", root / "style_guides.md")
    shutil.copy(PROJECT_ROOT / "knowledge" / "user_dict.tsv", root / "user_dict.tsv")
    shutil.copytree(PROJECT_ROOT / "knowledge" / "banned_words", root / "banned_words")
    return [p["id"] for p in products]


class Traffic(threading.Thread):
    """A CS tool calling the server until stopped: summaries (some of them the batch is
    writing right now), cached and new CS questions, and the spend endpoint."""

    def __init__(self, url: str, product_ids: list[str]):
        super().__init__(daemon=True)
        self.url, self.product_ids = url, product_ids
        self.responses: list[tuple[str, httpx.Response]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            i = 0
            while not self.halt.is_set():
                kind = ("summary", "cs_answer", "cs_answer", "stats")[i % 4]
                if kind == "summary":
                    r = client.get(f"/v1/products/{self.product_ids[(i * 7) % len(self.product_ids)]}/summary")
                elif kind == "cs_answer":  # every other one is new: it misses and spends tokens
                    suffix = f" 문의 번호 {i}" if i % 8 == 1 else ""
                    r = client.post("/v1/answers", json={"question": "교환 배송비는 얼마인가요?" + suffix})
                else:
                    r = client.get("/v1/stats")
                self.responses.append((kind, r))
                i += 1


def progress_lines(data_dir: Path) -> list[str]:
    files = list((data_dir / "batch").glob("summaries-*/progress.jsonl"))
    return files[0].read_text(encoding="utf-8").splitlines() if files else []


def start_batch(env: dict[str, str], report: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "commerce-guard"), "batch", "summaries", "--concurrency", "2", "--quiet",
                             "--report", str(report)], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def interrupted_then_resumed(env: dict[str, str], data_dir: Path, reports: Path, total: int) -> dict:
    """Run the batch, SIGTERM it a few products in, re-run it to the end; the resumed run's report."""
    first = start_batch(env, reports / "first.json")
    deadline = time.monotonic() + 120
    while len(progress_lines(data_dir)) < 5 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGTERM)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 128 + signal.SIGTERM, err[-2000:]
    stopped = json.loads((reports / "first.json").read_text())
    assert stopped["interrupted"] and 0 < stopped["remaining"] < total, stopped
    second = start_batch(env, reports / "second.json")
    _, err = second.communicate(timeout=180)
    assert second.returncode == 0, err[-2000:]
    return json.loads((reports / "second.json").read_text())


def assert_every_response_guarded(traffic: Traffic) -> None:
    kinds = {kind for kind, _ in traffic.responses}
    assert kinds == {"summary", "cs_answer", "stats"}, kinds
    for kind, r in traffic.responses:
        assert r.status_code == 200, (kind, r.status_code, r.text[:300])
        if kind != "stats":
            body = r.json()
            assert body["guard"]["verdict"] in ("pass", "fixed") and body["citations"], body


def spent(traffic: Traffic, task: str, field: str) -> int:
    return sum(r.json()["usage"][field] for kind, r in traffic.responses if kind == task)


def assert_nothing_corrupted(settings: Settings, keys: list[str]) -> None:
    with sqlite3.connect(settings.data_dir / "audit.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    container = Container(settings)
    store = container.cache.store
    if settings.redis_url is None:
        assert store._cache.check() == [] and store._counters.check() == []  # diskcache's own consistency check
    for key in keys:
        assert store.get(key) is not None, key  # readable JSON (a corrupted entry would read as None)


@pytest.mark.parametrize("cache", ["diskcache", "redis"])
def test_batch_beside_the_live_server_loses_nothing_and_corrupts_nothing(cache, tmp_path):
    if cache == "redis" and redis_server() is None:
        pytest.skip("redis-server is not installed (make test installs it from Debian's packages)")
    product_ids = write_knowledge(tmp_path / "knowledge")
    data_dir = tmp_path / "var"
    children: list[subprocess.Popen] = []
    try:
        chroma, chroma_url = start_chroma(tmp_path / "chroma")
        children.append(chroma)
        env = {"CG_DATA_DIR": str(data_dir), "CG_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
               "CG_CHROMA_URL": chroma_url, "CG_AUTH_MODE": "off", "CG_LLM_MODEL": "fake-model",
               "CG_LLM_MAX_RETRIES": "0", "OMP_NUM_THREADS": "1"}
        if cache == "redis":
            redis, env["CG_REDIS_URL"] = start_redis(tmp_path)
            children.append(redis)
        with FakeOpenAI(default=GROUNDED) as fake:
            env["CG_LLM_BASE_URL"] = fake.base_url
            ingest = commerce_guard("ingest", "-q", env=env)
            assert ingest.returncode == 0, ingest.stderr[-2000:]
            server, url = start_service(env, tmp_path / "server.log")
            children.append(server)
            traffic = Traffic(url, product_ids)
            traffic.start()
            report = interrupted_then_resumed(env, data_dir, tmp_path, len(product_ids))
            traffic.halt.set()
            traffic.join(timeout=60)
            stats = httpx.get(f"{url}/v1/stats", timeout=30).json()["tasks"]
            after = [httpx.get(f"{url}/v1/products/{pid}/summary", timeout=30).json() for pid in product_ids]

        # Lost nothing: every product exactly once, across the stop and the resume.
        assert report["resumed"] and report["total"] == len(product_ids)
        assert report["remaining"] == 0 and report["failed"] == 0
        records = [json.loads(line) for line in progress_lines(data_dir)]
        assert sorted(r["id"] for r in records) == sorted(product_ids)
        assert all(r["outcome"] == "generated" and r["cached"] for r in records)
        # ... the server now serves every batch result from the cache ...
        # (the cache key itself stays internal: a response names the status only)
        batch_versions = {r["id"]: r["prompt_version"] for r in records}
        batch_keys = [r["key"] for r in records]  # the batch's own report still names them
        assert [(a["cache"], a["prompt_version"]) for a in after] == [({"status": "hit"}, batch_versions[p])
                                                                      for p in product_ids]
        # ... and every token spent by either process is in the shared ledger, once.
        for field in ("prompt_tokens", "completion_tokens"):
            batch_spend = sum(r[field] for r in records)
            assert batch_spend > 0
            assert stats["summary"]["usage"][field] == batch_spend + spent(traffic, "summary", field)
            assert stats["cs_answer"]["usage"][field] == spent(traffic, "cs_answer", field) > 0
        # Corrupted nothing; and the traffic during the run was all answered, guarded and cited.
        assert len(traffic.responses) >= 20
        assert_every_response_guarded(traffic)
        settings = Settings(data_dir=data_dir, knowledge_dir=tmp_path / "knowledge", chroma_url=chroma_url,
                            redis_url=env.get("CG_REDIS_URL"))
        assert_nothing_corrupted(settings, batch_keys)
        assert "unhandled error" not in (tmp_path / "server.log").read_text()
    finally:
        for proc in reversed(children):
            stop(proc)


def test_a_second_process_is_refused_the_embedded_index_while_the_server_has_it(tmp_path):
    write_knowledge(tmp_path / "knowledge")
    env = {"CG_DATA_DIR": str(tmp_path / "var"), "CG_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
           "CG_AUTH_MODE": "off", "OMP_NUM_THREADS": "1"}
    assert commerce_guard("ingest", "-q", env=env).returncode == 0
    server, url = start_service(env, tmp_path / "server.log")
    try:
        for command in (("batch", "summaries", "--quiet"), ("ingest", "-q")):
            refused = commerce_guard(*command, env=env)
            assert refused.returncode == 5, (command, refused.stderr[-1000:])
            message = " ".join(refused.stderr.split())
            assert f"pid {server.pid}" in message and "CG_CHROMA_URL" in message and "Traceback" not in message
        assert not (tmp_path / "var" / "batch").exists()  # refused before starting a run
        answer = httpx.post(f"{url}/v1/answers", json={"question": "교환 배송비는 얼마인가요?"}, timeout=60)
        assert answer.status_code == 200 and answer.json()["citations"]
    finally:
        stop(server)  # SIGKILL: the kernel releases the lock with the process
    done = commerce_guard("batch", "summaries", "--quiet", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
