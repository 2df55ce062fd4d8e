from __future__ import annotations

import pytest

from connectors.ratelimit import ClientRateLimited, RateLimit, RateLimiter

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_requests_within_the_limit_go_at_once_and_the_next_waits():
    clock = Clock()
    limiter = RateLimiter("hubspot:1", clock=clock)
    burst = [RateLimit("burst", 3, 10.0)]
    assert [limiter.wait_time(burst) for _ in range(3)] == [0, 0, 0]
    assert limiter.wait_time(burst) > 0


def test_buckets_are_shared_between_limiters_of_the_same_scope():
    clock = Clock()
    burst = [RateLimit("burst", 2, 10.0)]
    RateLimiter("hubspot:1", clock=clock).wait_time(burst)
    RateLimiter("hubspot:1", clock=clock).wait_time(burst)
    assert RateLimiter("hubspot:1", clock=clock).wait_time(burst) > 0
    assert RateLimiter("hubspot:2", clock=clock).wait_time(burst) == 0


def test_rolling_window_holds_exactly_over_any_span():
    clock = Clock(1_000_000.0)
    limiter = RateLimiter("hubspot:1", clock=clock)
    burst = [RateLimit("burst", 4, 10.0)]
    clock.now += 9  # a burst at the end of one fixed window...
    for _ in range(4):
        assert limiter.wait_time(burst) == 0
    clock.now += 2  # ...still counts in the next one: no room until it has slid past
    wait = limiter.wait_time(burst)
    assert wait == pytest.approx(8.1, abs=0.01)  # 10 s after the burst, plus the edge margin
    clock.now += wait
    assert limiter.wait_time(burst) == 0


def test_rolling_log_counts_across_processes_sharing_the_database():
    clock = Clock()
    burst = [RateLimit("burst", 3, 10.0)]
    limiters = [RateLimiter("hubspot:9", clock=clock) for _ in range(3)]
    assert [limiter.wait_time(burst) for limiter in limiters] == [0, 0, 0]
    assert RateLimiter("hubspot:9", clock=clock).wait_time(burst) > 0


def test_fixed_daily_window_resets_at_midnight_utc():
    clock = Clock(86400 * 20000 + 86000)  # 400 s before midnight UTC
    limiter = RateLimiter("zoom:1", clock=clock)
    daily = [RateLimit("meeting-writes:u1", 2, 86400, rolling=False)]
    assert limiter.wait_time(daily) == 0
    assert limiter.wait_time(daily) == 0
    assert limiter.wait_time(daily) == pytest.approx(400)
    clock.now += 401
    assert limiter.wait_time(daily) == 0


def test_a_refused_request_does_not_use_up_other_buckets():
    clock = Clock()
    limiter = RateLimiter("zoom:1", clock=clock)
    light, daily = RateLimit("light", 100, 1.0), RateLimit("daily", 1, 86400, rolling=False)
    assert limiter.wait_time([light, daily]) == 0
    assert limiter.wait_time([light, daily]) > 0
    assert limiter.wait_time([light]) == 0  # the refused request gave its light slot back


def test_acquire_raises_when_the_wait_exceeds_the_budget():
    clock = Clock()
    limiter = RateLimiter("zoom:1", clock=clock, sleep=lambda s: None)
    daily = [RateLimit("daily", 1, 86400, rolling=False)]
    limiter.acquire(daily, max_wait=30)
    with pytest.raises(ClientRateLimited) as raised:
        limiter.acquire(daily, max_wait=30)
    assert raised.value.wait > 30


def test_acquire_sleeps_until_there_is_room():
    clock = Clock()
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock.now += seconds

    limiter = RateLimiter("zoom:1", clock=clock, sleep=sleep)
    per_second = [RateLimit("light", 1, 1.0, rolling=False)]
    limiter.acquire(per_second, max_wait=5)
    limiter.acquire(per_second, max_wait=5)
    assert slept and sum(slept) <= 1.0
