"""The request budget after a 429 (portal/butterflymx/budget.py): AIMD and the pacing headroom.

Checked on both stores (Redis and the embedded flock'ed file), which implement the same rules. The
assertions read the slots the budget hands out (their computed delays), not how long anything took.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from portal.butterflymx import budget as budget_module
from portal.butterflymx.budget import HEADROOM, Budget, FileStore, RedisStore, shared_budget
from tests.plugins.workers import redis_url_for_tests


@pytest.fixture(params=["redis", "file"])
def budget(request, tmp_path):
    """A budget of 100 req/s (burst 1) on one store, under a key of its own."""
    key = f"portal:test-budget:{uuid.uuid4().hex}"
    store = RedisStore(redis_url_for_tests()) if request.param == "redis" else FileStore(tmp_path)
    made = Budget(rps=100, burst=1, key=key, store=store)
    yield made
    made.reset()


@pytest.fixture
def limited(budget, monkeypatch):
    """The same budget where every 429 reads as a rate limit, as one with a long ``Retry-After`` does, so
    the AIMD tests below can pause for fractions of a second."""
    monkeypatch.setattr(budget_module, "LONG_RETRY_AFTER_S", 0.0)
    return budget


def use(budget: Budget, requests: int) -> None:
    """``requests`` interactive calls now: counted as the rate used, never delayed."""
    for _ in range(requests):
        assert budget.acquire(background=False).delay == 0


def used_lately(budget: Budget, per_second: int) -> None:
    """As if ``per_second`` requests a second had been sent over the last minute (the budget's own
    count of the rate used), without moving the bucket on as that many real calls would."""
    budget.acquire(background=False)  # the state exists
    set_state(budget, w_start=time.time(), w_count=per_second * 60)


def gaps(budget: Budget, slots: int) -> list[float]:
    delays = [budget.acquire(background=True).delay for _ in range(slots)]
    return [b - a for a, b in zip(delays, delays[1:], strict=False)]


def set_state(budget: Budget, **fields: float) -> None:
    if isinstance(budget.store, RedisStore):
        budget.store.client.hset(budget.key, mapping=fields)
    else:
        path = budget.store.directory / f"{budget.key}.json"
        state = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**state, **fields}))


def test_after_a_rate_limit_traffic_resumes_at_half_the_rate_used_before_it(limited):
    budget = limited
    # given 50 requests a second over the last minute, half the budget of 100 a second
    used_lately(budget, 50)
    assert all(gap < 0.02 for gap in gaps(budget, 3))  # slots 1/100 s apart before

    # when ButterflyMX answers 429 with a short Retry-After
    budget.pause(0.3)

    # then the slots after the pause are 1/25 s apart (half the 50 a second used), not 1/100 s nor 1/12.5 s.
    # A gap is the slot interval minus the time between the two calls, which a loaded machine stretches
    # to several ms: hence the lower bound's margin (the upper bound is exact).
    after = gaps(budget, 4)
    assert all(0.025 < gap < 0.0401 for gap in after), after
    assert 24.9 < budget.rate() < 25.2


def test_the_reduced_rate_climbs_back_to_the_rate_used_then_to_the_budget(limited):
    budget = limited
    # given the reduced rate after a 429 (50 a second used before it: 25 a second after)
    used_lately(budget, 50)
    budget.pause(0.01)
    slope = max(50 / 240, 100 / 300)

    # when the pause ended two minutes ago, then an hour ago
    set_state(budget, limit_at=time.time() - 120)
    two_minutes = budget.rate()
    set_state(budget, limit_at=time.time() - 3600)
    an_hour = budget.rate()

    # then it climbed linearly (back above the 5 a second used before), and later to the whole budget
    assert 25 + slope * 119 < two_minutes < 25 + slope * 121
    assert two_minutes > 50
    assert an_hour == 100
    # and once back at the budget the reduction is forgotten: slots are 1/100 s apart again
    budget.acquire(background=True)
    assert all(gap < 0.02 for gap in gaps(budget, 3))


def test_a_429_during_the_pause_does_not_halve_again_but_one_after_it_does(limited):
    budget = limited
    used_lately(budget, 50)
    budget.pause(0.3)
    first = budget.rate()

    # when requests that were in flight meet 429s while the pause runs
    budget.pause(0.3)
    budget.pause(0.1)
    assert budget.rate() == pytest.approx(first, abs=0.01)

    # when the pause is over and the limit is still on: the next 429 halves the rate again
    time.sleep(0.4)
    budget.pause(0.1)
    assert budget.rate() == pytest.approx(first / 2, abs=0.05)


def test_a_429_never_cuts_the_rate_below_a_tenth_of_the_budget(limited):
    budget = limited
    # given almost no traffic before the 429
    use(budget, 3)
    budget.pause(0.01)
    assert budget.rate() == pytest.approx(10.0, abs=0.05)


def test_429s_in_a_row_stop_halving_at_the_floor_and_the_budget_is_back_within_five_minutes(limited):
    budget = limited
    # given 50 a second used, then a gateway's burst limit answering 429 (Retry-After 1 s) five times
    used_lately(budget, 50)
    for _ in range(5):
        budget.pause(0.05)
        time.sleep(0.06)  # each 429 after the previous pause ended: each may halve

    # then the rate stopped at a tenth of the budget instead of 50 / 32
    assert budget.rate() == pytest.approx(10.0, abs=0.1)
    # and climbs at least budget / 300 a second: the whole budget five minutes after the last pause
    set_state(budget, limit_at=time.time() - 300)
    assert budget.rate() == 100


def test_a_long_retry_after_is_a_rate_limit_and_halves_at_once(budget):
    # given 50 requests a second used over the last minute
    used_lately(budget, 50)

    # when ButterflyMX answers 429 asking for a wait of LONG_RETRY_AFTER_S (an account's rate limit)
    budget.pause(budget_module.LONG_RETRY_AFTER_S)

    # then the rate after the pause is half the rate used
    assert 24.9 < budget.rate() < 25.2


def test_a_short_burst_of_429s_pauses_without_cutting_the_rate(budget):
    # given 50 requests a second used, and a gateway's burst window: two 429s with a short Retry-After
    used_lately(budget, 50)
    budget.pause(0.05)
    time.sleep(0.06)
    budget.pause(0.05)
    time.sleep(0.06)

    # then nothing was cut: the slots are 1/100 s apart as before (the pause emptied the bucket: no burst)
    assert budget.rate() == 100
    assert all(gap < 0.02 for gap in gaps(budget, 3))


def test_bursts_apart_from_each_other_are_each_an_episode_of_their_own(budget, monkeypatch):
    # given episodes that end 0.2 s after a pause and are a rate limit after 0.5 s
    monkeypatch.setattr(budget_module, "QUIET_S", 0.2)
    monkeypatch.setattr(budget_module, "SUSTAINED_S", 0.5)
    used_lately(budget, 50)

    # when short 429s come as bursts 0.4 s apart, over longer than SUSTAINED_S in all
    for _ in range(3):
        budget.pause(0.05)
        time.sleep(0.45)

    # then none of them cut the rate (as a backfill meeting a burst every ten seconds keeps its pace)
    assert budget.rate() == 100


def test_short_429s_that_keep_coming_are_a_rate_limit_and_halve(budget, monkeypatch):
    # given episodes that are a rate limit once they last 0.3 s
    monkeypatch.setattr(budget_module, "QUIET_S", 1.0)
    monkeypatch.setattr(budget_module, "SUSTAINED_S", 0.3)
    used_lately(budget, 50)

    # when 429s with a short Retry-After keep coming, each right after the previous pause, for 0.4 s
    started = time.monotonic()
    while time.monotonic() - started < 0.4:
        budget.pause(0.05)
        time.sleep(0.06)
    budget.pause(0.05)

    # then the rate was cut below the 50 a second used (and never below the floor, a tenth of 100)
    assert 10 <= budget.rate() <= 25.2


def test_the_portal_paces_below_its_budget_so_no_second_sees_more(settings, tmp_path):
    # given a budget of 20 requests a second
    settings.BMX_REQUEST_BUDGET_RPS, settings.BMX_REQUEST_BUDGET_BURST = 20, 1
    settings.REDIS_URL, settings.BMX_BUDGET_DIR = "", tmp_path
    shared = shared_budget()
    shared.reset()

    # when 60 background requests take their slots back to back
    slots = [shared.acquire(background=True).delay + time.time() for _ in range(60)]  # when each may go

    # then no second ButterflyMX counts holds more than 20, even when some are sent up to 40 ms later
    # than their slot and others on time (slots exactly 1/20 s apart would put 21 in such a second)
    assert shared.rps == pytest.approx(20 * HEADROOM)
    most = max(sum(1 for s in slots if start <= s < start + 1.04) for start in slots)
    assert most <= 20
