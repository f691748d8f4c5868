"""CircuitBreaker state machine, driven by an injected clock (no sleeping)."""

from __future__ import annotations

import threading

import pytest

from service.llm.circuit_breaker import CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def open_breaker(clock: FakeClock, threshold: int = 3, cool_down: float = 10.0) -> CircuitBreaker:
    breaker = CircuitBreaker(failure_threshold=threshold, reset_timeout_s=cool_down, clock=clock)
    for _ in range(threshold):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "open"
    return breaker


def test_starts_closed_and_allows(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=10, clock=clock)
    assert breaker.state == "closed"
    assert breaker.allow()
    assert breaker.retry_after() == 0.0


def test_opens_only_after_consecutive_failures(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # a success in between resets the streak
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed"
    assert breaker.consecutive_failures == 2
    breaker.record_failure()
    assert breaker.state == "open"


def test_open_rejects_until_cool_down(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    assert not breaker.allow()
    clock.advance(4)
    assert not breaker.allow()
    assert breaker.retry_after() == pytest.approx(6.0)
    clock.advance(6)
    assert breaker.state == "half_open"
    assert breaker.retry_after() == 0.0


def test_half_open_allows_a_single_probe_and_closes_on_success(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.advance(10)
    assert breaker.allow()
    assert not breaker.allow()  # a second caller waits for the probe's outcome
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.consecutive_failures == 0
    assert breaker.allow() and breaker.allow()


def test_half_open_probe_failure_reopens_for_a_full_cool_down(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.advance(10)
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert breaker.retry_after() == pytest.approx(10.0)
    clock.advance(9.9)
    assert not breaker.allow()
    clock.advance(0.1)
    assert breaker.allow()


def test_a_lost_probe_does_not_wedge_the_breaker(clock: FakeClock) -> None:
    breaker = open_breaker(clock)
    clock.advance(10)
    assert breaker.allow()  # probe granted, outcome never recorded
    clock.advance(5)
    assert not breaker.allow()
    clock.advance(5)
    assert breaker.allow()


def test_concurrent_failures_are_all_counted() -> None:
    breaker = CircuitBreaker(failure_threshold=10_000, reset_timeout_s=10)
    threads = [threading.Thread(target=lambda: [breaker.record_failure() for _ in range(500)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert breaker.consecutive_failures == 4000
    assert breaker.state == "closed"


@pytest.mark.parametrize("threshold, cool_down", [(0, 1.0), (1, -1.0)])
def test_rejects_nonsense_settings(threshold: int, cool_down: float) -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=threshold, reset_timeout_s=cool_down)
