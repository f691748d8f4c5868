"""Cost limits (issue 13, part 4): a guard check has a size budget (413 naming the limit),
expensive work runs in a bounded pool (429 `busy` with Retry-After when its queue is
full), and liveness and cache hits never wait for that pool."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.conftest import container_with

EVIDENCE = ["소재: 면 80%, 린넨 20%. 가격: 39,000원. 세탁: 찬물 손세탁."]


@pytest.fixture(scope="module")
def client(small_container):
    with TestClient(create_app(small_container), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("body, limit", [
    # 5,000 characters in short sentences: inside the old 20,000-character limit, about 0.5-1 s of CPU
    ({"text": "이 셔츠는 면 80%입니다. " * 320}, "CG_GUARD_MAX_TEXT_CHARS"),
    ({"text": "면 80%입니다.", "evidence": ["소재: 면 80%. " * 100] * 10}, "CG_GUARD_MAX_EVIDENCE_CHARS"),
    # one 600-character "sentence" of spaced digits: grounding cost grows with its square
    ({"text": "0 1 0 2 3 4 5 6 7 8 8 " * 28, "evidence": EVIDENCE}, "CG_GUARD_MAX_SENTENCE_CHARS"),
])
def test_guard_check_over_its_size_budget_is_413_naming_the_limit(client, body, limit):
    r = client.post("/v1/guard/check", json=body)
    assert r.status_code == 413, r.text
    error = r.json()["error"]
    assert error["code"] == "payload_too_large" and limit in error["message"] and error["request_id"]


def test_guard_check_inside_the_budget_runs(client):
    text = "이 셔츠는 면 80%입니다. 가격은 39,000원입니다.\n" * 40  # 1,280 characters, 80 claims
    r = client.post("/v1/guard/check", json={"text": text, "evidence": EVIDENCE})
    assert r.status_code == 200, r.text
    assert r.json()["grounding"]["claims"] and r.json()["skipped"] == []


class _Blocked:
    """Stands in for the guard work: holds its pool slot until released."""

    def __init__(self):
        self.release, self.started = threading.Event(), threading.Semaphore(0)

    def __call__(self, *args, **kwargs):
        self.started.release()
        assert self.release.wait(60), "never released"
        return {"verdict": "pass", "banned_words": [], "pii": [], "grounding": {"verdict": "skipped"}, "skipped": []}


def test_full_pool_answers_429_busy_while_health_and_cache_hits_still_answer(small_container, monkeypatch):
    container = container_with(small_container, work_pool_workers=1, work_pool_queue=1)
    blocked = _Blocked()
    monkeypatch.setattr(container.guards, "check_text", blocked)  # this container's own guard runner
    with TestClient(create_app(container), raise_server_exceptions=False) as c, ThreadPoolExecutor(2) as pool:
        assert c.post("/v1/summaries", json={"product_id": "P901"}).status_code == 200  # cached now
        body = {"text": "이 셔츠는 면 80%입니다.", "evidence": EVIDENCE}
        running = pool.submit(c.post, "/v1/guard/check", json=body)
        assert blocked.started.acquire(timeout=60)  # one worker busy ...
        queued = pool.submit(c.post, "/v1/guard/check", json=body)  # ... one waiting in the queue
        while c.app.state.work_pool.admitted < 2:
            threading.Event().wait(0.01)

        refused = c.post("/v1/guard/check", json=body)
        assert refused.status_code == 429, refused.text
        assert refused.headers["retry-after"] == "1"
        error = refused.json()["error"]
        assert error["code"] == "busy" and "queue is full" in error["message"]

        # Liveness, readiness and a cache hit are answered while the pool is full.
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").status_code == 200
        hit = c.post("/v1/summaries", json={"product_id": "P901"})
        assert hit.status_code == 200 and hit.json()["cache"]["status"] == "hit"
        # A miss needs the pool: it is refused too, never served unguarded.
        miss = c.post("/v1/summaries", json={"product_id": "P902"})
        assert miss.status_code == 429 and miss.json()["error"]["code"] == "busy"
        assert not blocked.release.is_set()

        blocked.release.set()
        assert running.result(60).status_code == 200 and queued.result(60).status_code == 200
        assert c.app.state.work_pool.admitted == 0
        assert c.post("/v1/guard/check", json=body).status_code == 200
