"""State shared by several processes: the circuit breaker in Redis, the ledger failing closed
for budgets when its store is down, and Prometheus multiprocess mode under `serve --workers 2`.

Real things: a redis-server on loopback, the fake OpenAI server over HTTP, and for the
workers a Chroma server plus the service as a child process."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.cache.ledger import BUDGET_UNKNOWN, Ledger
from service.cache.stores import RedisStore
from service.llm.circuit_breaker import SharedCircuitBreaker
from tests.conftest import DATA, container_with
from tests.fakes.fake_openai import HTTPError, Reply
from tests.servers import commerce_guard, free_port, redis_server, start_chroma, start_redis, start_service, stop, \
    stop_tree, wait_until

QUESTION = {"question": "교환 배송비는 얼마인가요?"}
GOOD = {"answer": "사이즈 교환 시 왕복 배송비 6,000원이 부과됩니다. [FAQ-T-001]", "handoff": False, "confidence": 0.9}
NOTHING_LISTENS = "redis://127.0.0.1:1/0"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    if redis_server() is None:
        pytest.skip("redis-server is not installed (make test installs it from Debian's packages)")
    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    stop(proc)


def shared(url: str, key: str, clock: FakeClock, threshold: int = 3, cool_down: float = 10.0) -> SharedCircuitBreaker:
    import redis

    return SharedCircuitBreaker(redis.Redis.from_url(url), key, failure_threshold=threshold, reset_timeout_s=cool_down,
                                clock=clock)


# --- the circuit breaker in Redis ---------------------------------------------------------


def test_one_workers_failures_open_the_circuit_for_every_worker(redis_url):
    clock = FakeClock()
    a, b = shared(redis_url, "cg:breaker:t1", clock), shared(redis_url, "cg:breaker:t1", clock)
    for _ in range(2):
        assert a.allow()
        a.record_failure()
    assert b.allow()
    b.record_failure()  # the third consecutive failure, counted across both
    assert a.state == b.state == "open" and not a.allow() and not b.allow()
    assert b.retry_after() == pytest.approx(10.0)
    clock.now += 10
    assert a.state == b.state == "half_open"
    assert [a.allow(), b.allow()] == [True, False]  # one probe for the whole service
    a.record_success()
    assert b.state == "closed" and b.allow() and b.consecutive_failures == 0


def test_a_failed_probe_reopens_for_everyone(redis_url):
    clock = FakeClock()
    a, b = shared(redis_url, "cg:breaker:t2", clock, threshold=1), shared(redis_url, "cg:breaker:t2", clock, threshold=1)
    a.record_failure()
    clock.now += 10
    assert b.allow()
    b.record_failure()
    assert a.state == "open" and not a.allow()


def test_replicas_share_the_open_circuit_end_to_end(small_container, fake_llm, redis_url):
    # Before: each process had its own breaker, so a second worker kept calling an endpoint
    # the first one had already found down.
    fake_llm.reset()
    settings = dict(llm_base_url=fake_llm.base_url, llm_model="fake-model", llm_max_retries=0, llm_timeout_s=2.0,
                    redis_url=redis_url, breaker_failures=2, breaker_cooldown_s=60.0)
    worker_a, worker_b = container_with(small_container, **settings), container_with(small_container, **settings)
    worker_a.llm.breaker.record_success()  # a clean start for this endpoint's shared state
    fake_llm.set_default(HTTPError(503))
    for question in ("교환 배송비는 얼마인가요?", "반품 신청은 언제까지 할 수 있나요?"):
        env = worker_a.pipeline.run("cs_answer", {"question": question}, cache="bypass")
        assert env.backend.fallback_reason == "llm error: server_error"
    asked = len(fake_llm.requests)
    env = worker_b.pipeline.run("cs_answer", QUESTION, cache="bypass")
    assert env.backend.fallback_reason == "llm error: circuit_open"
    assert len(fake_llm.requests) == asked  # the other worker did not call the endpoint
    assert worker_b.llm.breaker.state == "open"
    worker_a.llm.breaker.record_success()  # leave the endpoint closed for other tests


def test_without_redis_the_breaker_uses_its_own_state_and_says_so(caplog):
    clock = FakeClock()
    breaker = shared(NOTHING_LISTENS, "cg:breaker:t3", clock, threshold=2)
    with caplog.at_level(logging.WARNING, logger="commerce_guard.llm"):
        assert breaker.allow()
        breaker.record_failure()
        breaker.record_failure()
        assert breaker.state == "open" and not breaker.allow()
    assert any("using this process's state" in r.getMessage() for r in caplog.records)
    clock.now += 10
    assert breaker.allow() and not breaker.allow()  # the local half-open probe


# --- the ledger fails closed for budgets ------------------------------------------------


def ledger_down_container(small_container, fake_llm, **overrides):
    fake_llm.reset()
    container = container_with(small_container, llm_base_url=fake_llm.base_url, llm_model="gpt-4o-mini",
                               redis_url=NOTHING_LISTENS, daily_budget_usd={"cs_answer": 5.0}, **overrides)
    container.__dict__.pop("cache", None)  # its own (unreachable) Redis store, as a replica would have
    fake_llm.set_default(Reply(GOOD))
    return container


def test_a_budget_that_cannot_be_read_refuses_the_llm(small_container, fake_llm):
    # Before: the ledger read as empty during the outage and the budget was not enforced.
    container = ledger_down_container(small_container, fake_llm)
    with TestClient(create_app(container)) as client:
        response = client.post("/v1/answers", json=QUESTION)
    assert response.status_code == 200
    body = response.json()
    assert body["backend"]["fallback"] and body["backend"]["fallback_reason"] == BUDGET_UNKNOWN
    assert body["backend"]["name"] == "offline-composer" and body["citations"]
    assert fake_llm.requests == []
    # A task without a budget needs no ledger read, so it still uses the LLM.
    env = container.pipeline.run("summary", {"product_id": "P901"}, cache="bypass")
    assert env.backend.fallback_reason != BUDGET_UNKNOWN and len(fake_llm.requests) >= 1


def test_fail_open_is_a_setting(small_container, fake_llm):
    container = ledger_down_container(small_container, fake_llm, budget_fail_closed=False)
    env = container.pipeline.run("cs_answer", QUESTION, cache="bypass")
    assert not env.backend.fallback and len(fake_llm.requests) == 1


def test_spend_written_during_an_outage_reaches_the_ledger_after_it(tmp_path):
    if redis_server() is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    ledger = Ledger(RedisStore(url, namespace="outage"), {"cs_answer": 1.0})
    ledger.record("cs_answer", 100, 10, 0.25)  # nothing listens yet: kept in memory
    assert ledger.budget_refusal("cs_answer") == BUDGET_UNKNOWN
    proc = _redis_on(port, tmp_path)
    try:
        ledger.record("cs_answer", 1, 1, 0.5)
        row = ledger.spend()["cs_answer"]
        assert (row["prompt_tokens"], row["completion_tokens"], row["cost"]) == (101, 11, 0.75)
        assert ledger.budget_refusal("cs_answer") is None
        ledger.record("cs_answer", 1, 1, 0.25)
        assert ledger.budget_refusal("cs_answer") == "daily budget exceeded"
    finally:
        stop(proc)


def _redis_on(port: int, directory: Path) -> subprocess.Popen:
    import redis

    proc = subprocess.Popen([redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(directory)], stdout=subprocess.DEVNULL)
    wait_until(lambda: redis.Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=1).ping(), proc,
               "redis-server", 10)
    return proc


# --- Prometheus multiprocess mode under serve --workers 2 ------------------------------------


@pytest.mark.slow
def test_metrics_add_up_every_worker(tmp_path):
    # Before: each worker had its own registry, so /metrics showed whichever worker answered.
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    for name, target in (("products_small.jsonl", "products.jsonl"), ("faq_small.jsonl", "faq.jsonl"),
                         ("style_small.md", "style_guides.md")):
        shutil.copy(DATA / name, knowledge / target)
    from service.config import PROJECT_ROOT

    shutil.copy(PROJECT_ROOT / "knowledge" / "user_dict.tsv", knowledge / "user_dict.tsv")
    shutil.copytree(PROJECT_ROOT / "knowledge" / "banned_words", knowledge / "banned_words")
    data_dir = tmp_path / "var"
    stale = data_dir / "prometheus-multiproc"
    stale.mkdir(parents=True)
    (stale / "counter_1.db").write_bytes(b"left over from an earlier run")
    chroma, chroma_url = start_chroma(tmp_path / "chroma", timeout_s=120)  # a loaded machine starts it slowly
    children = [chroma]
    try:
        env = {"CG_DATA_DIR": str(data_dir), "CG_KNOWLEDGE_DIR": str(knowledge), "CG_CHROMA_URL": chroma_url,
               "CG_AUTH_MODE": "off", "OMP_NUM_THREADS": "1"}
        ingest = commerce_guard("ingest", "-q", env=env)
        assert ingest.returncode == 0, ingest.stderr[-2000:]
        server, url = start_service(env, tmp_path / "server.log", workers=2)
        children.append(server)
        multiproc = data_dir / "prometheus-multiproc"
        assert not (multiproc / "counter_1.db").exists()  # cleaned at start
        sent = 0
        while sent < 300 and len(_pids(multiproc, "counter_")) < 2:
            with httpx.Client() as fresh:  # a new connection: either worker may accept it
                assert fresh.get(f"{url}/healthz", timeout=10).status_code == 200
            sent += 1
        assert len(_pids(multiproc, "counter_")) == 2, "both workers answered"
        with httpx.Client() as client:
            answer = client.post(f"{url}/v1/answers", json=QUESTION, timeout=60)
            text = client.get(f"{url}/metrics", timeout=10).text
        assert answer.status_code == 200
        healthz = _sample(text, "cg_http_requests_total", route="/healthz", status="200")
        assert healthz == sent  # every worker's requests, added up
        assert _sample(text, "cg_task_requests_total", task="cs_answer", cache="miss") == 1
    finally:
        for proc in reversed(children):
            stop_tree(proc) if proc is not chroma else stop(proc)


def _pids(directory: Path, prefix: str) -> set[str]:
    return {p.stem.rsplit("_", 1)[-1] for p in directory.glob(f"{prefix}*.db")}


def _sample(text: str, name: str, **labels) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
