"""Rate limits across real worker processes: `serve --workers 2` on a Chroma server and Redis.

Each request goes over a fresh connection, several at once, so both workers answer. With
Redis the two workers draw from one budget: exactly N of 2N requests pass a key limited
to N/min, and the failed-key budget of an address is shared the same way. With Redis
stopped each worker falls back to its own counters: more than N pass (which also shows
that both workers were answering), and nothing fails with a 5xx.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from service.api.keys import KeyStore
from service.config import PROJECT_ROOT
from tests.servers import commerce_guard, redis_server, start_chroma, start_redis, start_service, stop, stop_tree

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data"
RATE = 20  # per key and minute
FAILURES = 5  # unknown-key attempts per address and minute


def write_knowledge(root: Path) -> None:
    root.mkdir(parents=True)
    for src, dst in (("products_small.jsonl", "products.jsonl"), ("faq_small.jsonl", "faq.jsonl"),
                     ("style_small.md", "style_guides.md")):
        shutil.copy(DATA / src, root / dst)
    shutil.copy(PROJECT_ROOT / "knowledge" / "user_dict.tsv", root / "user_dict.tsv")
    shutil.copytree(PROJECT_ROOT / "knowledge" / "banned_words", root / "banned_words")


def burst(url: str, key: str, n: int) -> Counter:
    """``n`` requests, eight at a time, each on its own connection; counts by status."""
    def one(_):
        return httpx.get(f"{url}/openapi.json", headers={"X-API-Key": key}, timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        return Counter(pool.map(one, range(n)))


def test_rate_limits_are_shared_by_the_workers_through_redis(tmp_path):
    if redis_server() is None:
        pytest.skip("redis-server is not installed (make test installs it from Debian's packages)")
    write_knowledge(tmp_path / "knowledge")
    data_dir = tmp_path / "var"
    children: list[subprocess.Popen] = []
    server = None
    try:
        chroma, chroma_url = start_chroma(tmp_path / "chroma", timeout_s=120)  # slow on a busy machine
        children.append(chroma)
        redis, redis_url = start_redis(tmp_path)
        children.append(redis)
        env = {"CG_DATA_DIR": str(data_dir), "CG_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
               "CG_CHROMA_URL": chroma_url, "CG_REDIS_URL": redis_url, "CG_AUTH_MODE": "keys",
               "CG_AUTH_FAILURES_PER_MINUTE": str(FAILURES), "OMP_NUM_THREADS": "1"}
        ingest = commerce_guard("ingest", "-q", env=env)
        assert ingest.returncode == 0, ingest.stderr[-2000:]
        keys = KeyStore(data_dir / "api_keys.json")
        first = keys.create("shared", ["cs"], rate_per_minute=RATE)
        server, url = start_service(env, tmp_path / "server.log", workers=2)

        shared = burst(url, first, 2 * RATE)
        guesses = burst(url, "cg_not-a-key", 2 * FAILURES)
        assert shared == {200: RATE, 429: RATE}, shared  # one budget, not one per worker
        assert guesses == {401: FAILURES, 429: FAILURES}, guesses

        stop(redis)  # Redis gone: each worker keeps limiting with its own counters
        second = keys.create("after-outage", ["cs"], rate_per_minute=RATE)
        degraded = burst(url, second, 2 * RATE)
        assert set(degraded) <= {200, 429} and degraded[200] > RATE, degraded
    finally:
        if server is not None:
            stop_tree(server)
        for proc in reversed(children):
            stop(proc)
    log = (tmp_path / "server.log").read_text()
    assert "Redis unavailable" in log and "Traceback" not in log
