"""The portal-wide fixed-window counter (``portal.core.limits``): atomic claims, refunds, pruning."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from portal.core.limits import (
    rate_count,
    rate_count_max,
    rate_counters_prune,
    rate_hit,
    rate_refund,
    retry_after,
    window_start,
)
from portal.core.models import RateCounter

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2030, 5, 6, 12, 0, 30, tzinfo=dt.UTC)


def test_a_limit_allows_exactly_its_count_per_window_then_refuses():
    results = [rate_hit(key="k", limit=3, window_s=60, now=NOON) for _ in range(5)]

    assert results == [True, True, True, False, False]
    assert rate_count(key="k", window_s=60, now=NOON) == 3


def test_a_new_window_starts_from_zero():
    for _ in range(2):
        rate_hit(key="k", limit=2, window_s=60, now=NOON)

    assert not rate_hit(key="k", limit=2, window_s=60, now=NOON)
    assert rate_hit(key="k", limit=2, window_s=60, now=NOON + dt.timedelta(seconds=60))


def test_a_claim_of_several_is_all_or_nothing():
    assert rate_hit(key="k", limit=5, window_s=60, now=NOON, amount=3)

    assert not rate_hit(key="k", limit=5, window_s=60, now=NOON, amount=3)  # 6 > 5: nothing counted
    assert rate_count(key="k", window_s=60, now=NOON) == 3
    assert not rate_hit(key="other", limit=2, window_s=60, now=NOON, amount=3)
    assert rate_count(key="other", window_s=60, now=NOON) == 0


def test_a_refund_gives_back_what_was_claimed_in_that_window():
    rate_hit(key="k", limit=2, window_s=60, now=NOON, amount=2)

    rate_refund(key="k", window_s=60, now=NOON, amount=2)

    assert rate_count(key="k", window_s=60, now=NOON) == 0
    assert rate_hit(key="k", limit=2, window_s=60, now=NOON, amount=2)


def test_retry_after_is_the_rest_of_the_window():
    assert window_start(window_s=3600, now=NOON) == NOON.replace(minute=0, second=0)
    assert retry_after(window_s=3600, now=NOON) == 3600 - 30
    assert retry_after(window_s=60, now=NOON.replace(second=59, microsecond=900_000)) == 1


def test_the_busiest_key_under_a_prefix_is_found():
    for key, n in (("p:1", 2), ("p:2", 5), ("q:1", 9)):
        rate_hit(key=key, limit=10, window_s=60, now=NOON, amount=n)

    assert rate_count_max(prefix="p:", window_s=60, now=NOON) == 5
    assert rate_count_max(prefix="z:", window_s=60, now=NOON) == 0


def test_old_windows_are_pruned_and_current_ones_kept():
    now = timezone.now()
    rate_hit(key="old", limit=5, window_s=60, now=now - dt.timedelta(hours=3))
    rate_hit(key="new", limit=5, window_s=60, now=now)

    assert rate_counters_prune(older_than=dt.timedelta(hours=1)) == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_claims_never_pass_the_limit():
    outcomes: list[bool] = []
    barrier = threading.Barrier(20)

    def claim():
        try:
            barrier.wait()
            with transaction.atomic():
                outcomes.append(rate_hit(key="race", limit=5, window_s=3600))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count(True) == 5 and len(outcomes) == 20
    assert rate_count(key="race", window_s=3600) == 5
