"""Rate limits (the `limits` package): key guessing is throttled per client address, per-key
limits are shared through Redis by every process, and a Redis outage degrades to per-process
counters instead of failing requests."""

from __future__ import annotations

import logging
import time

import pytest
from fastapi.testclient import TestClient
from limits import RateLimitItemPerSecond

from service.api.app import create_app
from service.api.rate_limits import RateLimits, per_minute
from tests.conftest import container_with
from tests.servers import redis_server, start_redis, stop

LOCAL, OTHER = ("127.0.0.1", 40000), ("198.51.100.4", 40000)


@pytest.fixture
def secured(small_container, tmp_path):
    def make(**overrides):
        container = container_with(small_container, auth_mode="auto", data_dir=tmp_path / "var", **overrides)
        container.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return container

    return make


def test_unknown_key_guesses_are_throttled_per_client_address(secured):
    container = secured(auth_failures_per_minute=5)
    valid = container.api_keys.create("ops", ["admin"])
    app = create_app(container)
    with TestClient(app, client=LOCAL) as guesser, TestClient(app, client=OTHER) as other:
        guesses = [guesser.get("/v1/stats", headers={"X-API-Key": f"cg_guess{n}"}) for n in range(8)]
        missing = guesser.get("/v1/stats")
        # while throttled even a right key is refused: a 200 would tell the guesser which key works
        right_key = guesser.get("/v1/stats", headers={"X-API-Key": valid})
        elsewhere = other.get("/v1/stats", headers={"X-API-Key": "cg_guess"})
        owner = other.get("/v1/stats", headers={"X-API-Key": valid})
    assert [r.status_code for r in guesses] == [401] * 5 + [429] * 3
    throttled = guesses[-1]
    assert int(throttled.headers["retry-after"]) >= 1 and throttled.json()["error"]["code"] == "rate_limited"
    assert missing.status_code == 429 and right_key.status_code == 429
    assert elsewhere.status_code == 401 and owner.status_code == 200


def test_per_key_limit_counts_every_request_in_the_window(secured):
    container = secured()
    key = container.api_keys.create("burst", ["admin"], rate_per_minute=3)
    with TestClient(create_app(container), client=LOCAL) as client:
        codes = [client.get("/v1/stats", headers={"X-API-Key": key}).status_code for _ in range(5)]
        limited = client.get("/v1/stats", headers={"X-API-Key": key})
    assert codes == [200, 200, 200, 429, 429]
    assert 1 <= int(limited.headers["retry-after"]) <= 60 and "3/min" in limited.json()["error"]["message"]
    assert "burst" not in limited.text


def test_the_window_frees_as_requests_age():
    limits = RateLimits()
    per_second = RateLimitItemPerSecond(2)
    assert [limits.hit(per_second, "k") for _ in range(2)] == [0, 0]
    assert limits.hit(per_second, "k") >= 1 and limits.wait(per_second, "k") >= 1
    time.sleep(1.1)
    assert limits.wait(per_second, "k") == 0 and limits.hit(per_second, "k") == 0


def test_two_apps_on_one_redis_share_each_key_budget(secured, redis_url):
    """Two app instances stand for two workers or replicas: the key's 4/min is shared."""
    container = secured(redis_url=redis_url)
    key = container.api_keys.create("shared", ["admin"], rate_per_minute=4)
    first, second = create_app(container), create_app(container)
    with TestClient(first, client=LOCAL) as a, TestClient(second, client=LOCAL) as b:
        codes = [(a if n % 2 else b).get("/v1/stats", headers={"X-API-Key": key}).status_code for n in range(8)]
        guesses = [(a if n % 2 else b).get("/v1/stats", headers={"X-API-Key": "cg_nope"}).status_code
                   for n in range(12)]
    assert codes.count(200) == 4 and codes.count(429) == 4
    assert guesses == [401] * 10 + [429] * 2  # the failure budget per address is shared too


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_redis_outage_degrades_to_this_process_counters(tmp_path):
    if redis_server() is None:
        pytest.skip("redis-server is not installed")
    proc, url = start_redis(tmp_path)
    limits = RateLimits(url, namespace="outage")
    three = per_minute(3)
    assert limits.shared and limits.hit(three, "k") == 0
    stop(proc)
    records, logger = _Records(), logging.getLogger("commerce_guard.rate_limits")
    logger.addHandler(records)  # the service's log config may stop propagation to pytest's handler
    try:
        results = [limits.hit(three, "k") for _ in range(4)]
    finally:
        logger.removeHandler(records)
    assert results[:3] == [0, 0, 0] and results[3] >= 1  # still limited, per process, and no exception
    assert any("Redis unavailable" in m for m in records.messages)
