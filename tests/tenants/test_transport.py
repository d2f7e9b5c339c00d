"""The shared ButterflyMX transport against the real sandbox: the request budget across processes,
interactive calls never delayed, the portal-wide 429 pause, retries inside a page walk, one pooled
session per process.

The budget is checked on both of its stores (Redis and the embedded flock'ed file), whichever the run
is configured with, because CI runs the suite once with Redis and once without.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from portal.butterflymx import BmxClient, BmxError, transport
from portal.butterflymx.budget import shared_budget
from tests.plugins.sandbox import worker_env
from tests.plugins.workers import redis_url_for_tests

ROOT = Path(__file__).resolve().parents[2]
CRIMSON = 11743


@pytest.fixture(params=["redis", "file"])
def store(request, settings, sandbox, tmp_path):
    """The budget on one store, in this process and in the environment given to child processes."""
    env = worker_env(sandbox, BMX_BUDGET_DIR=str(tmp_path / "budget"), DJANGO_SETTINGS_MODULE="portal.settings.test")
    settings.BMX_BUDGET_DIR = tmp_path / "budget"
    if request.param == "redis":
        settings.REDIS_URL = env["REDIS_URL"] = redis_url_for_tests()
    else:
        settings.REDIS_URL = env["REDIS_URL"] = ""
    shared_budget().reset()
    yield env
    shared_budget().reset()


def children(env: dict, *args_list: list[str]) -> list[str]:
    """Run ``tests.tenants.bmx_hammer`` once per argument list, at the same time; their output."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.tenants.bmx_hammer", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in args_list
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        outputs.append(out)
    return outputs


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_the_budget_holds_across_two_processes(store, settings, sandbox):
    # given a budget of 8 requests a second (burst 1) shared by two processes that each want 20 at once
    import time

    env = {**store, "BMX_REQUEST_BUDGET_RPS": "8", "BMX_REQUEST_BUDGET_BURST": "1"}
    env["HAMMER_TOKEN"] = sandbox.password_token("admin@sandbox.test")
    start_at = f"{time.time() + 3:.3f}"  # both start together, after Django has loaded

    # when both walk as fast as the budget lets them
    outputs = children(env, ["walk", "20", start_at], ["walk", "20", start_at])

    # then every request was answered and no second saw more than the budget (plus the two in flight:
    # the times are when answers arrived, which two slow answers can bunch)
    times = [float(line.split()[1]) for out in outputs for line in out.splitlines() if line.startswith("answer")]
    assert len(times) == 40
    assert most_in_any_second(times) <= 8 + 2


def test_interactive_calls_are_never_delayed_but_background_traffic_yields_to_them(store, settings, sandbox):
    # given a budget of one request every ten seconds
    settings.BMX_REQUEST_BUDGET_RPS = 0.1
    token = sandbox.password_token("admin@sandbox.test")
    slept: list[float] = []
    person = BmxClient(token, sleep=slept.append)
    sync = BmxClient(token, background=True, sleep=slept.append)

    # when a person makes three calls in a row
    for _ in range(3):
        assert person.buildings()

    # then none waited, and the next background call waits for the slots they took (about 30 s;
    # its sleep is recorded, not slept)
    assert slept == []
    sync.buildings()
    assert len(slept) == 1 and slept[0] > 20


def test_a_429_pauses_background_traffic_of_every_process(store, settings, sandbox, bmx_requests):
    # given another process that meets an account-wide 429 with Retry-After: 60
    sandbox.fault("/v4/buildings", status=429, retry_after=60, count=1)
    env = {**store, "HAMMER_TOKEN": sandbox.password_token("admin@sandbox.test")}
    (out,) = children(env, ["meet429", "1", "0"])
    assert out.split()[:2] == ["error", "429"]

    # when this process's sync wants to read
    token = sandbox.password_token("admin@sandbox.test")
    with pytest.raises(BmxError) as paused:
        BmxClient(token, background=True, max_wait=5).buildings()

    # then it is not sent but refused with what remains of the pause (for the task to reschedule),
    # while a person's call still goes through
    assert paused.value.status == 429 and paused.value.code == "paused"
    assert 50 < paused.value.retry_after <= 60
    assert bmx_requests.find("GET", "/v4/buildings") == []
    assert BmxClient(token).buildings()
    assert len(bmx_requests.find("GET", "/v4/buildings")) == 1


def test_a_short_429_is_waited_out_inside_the_call_and_traffic_resumes_at_the_budget(store, settings, sandbox):
    # given a budget of 2 requests a second with a burst of 5, and a 429 asking for 3 s
    settings.BMX_REQUEST_BUDGET_RPS, settings.BMX_REQUEST_BUDGET_BURST = 2, 5
    sandbox.fault("/v4/buildings", status=429, retry_after=3, count=1)
    slept: list[float] = []
    sync = BmxClient(sandbox.password_token("admin@sandbox.test"), background=True, sleep=slept.append)

    # when a sync reads through it
    assert sync.buildings()

    # then it waited for the pause (recorded, not slept) and the call succeeded without raising
    assert len(slept) == 1 and 2.5 < slept[0] <= 3
    # and the slots after the pause are one interval apart: no burst when the limit lifts
    delays = [shared_budget().acquire(background=True).delay for _ in range(4)]
    gaps = [b - a for a, b in zip(delays, delays[1:], strict=False)]
    assert all(gap > 0.4 for gap in gaps), delays


def test_a_page_walk_recovers_from_20_percent_503s_without_raising(sandbox, settings, bmx_requests):
    # given 5,000 entries (50 pages) behind a ButterflyMX that answers 20% of them with 503
    sandbox.generate(CRIMSON, access_logs=5000, days=30, seed=5)
    sandbox.fault(f"/v4/buildings/{CRIMSON}/access_logs", status=503, rate=0.2)
    slept: list[float] = []
    sync = BmxClient(sandbox.password_token("admin@sandbox.test"), background=True, sleep=slept.append)

    # when a background client walks every page
    records = [r for items, _ in sync.access_log_pages(CRIMSON) for r in items]

    # then the walk finished with every entry exactly once, retrying inside the calls
    sandbox.clear_faults()
    expected = BmxClient(sandbox.password_token("admin@sandbox.test")).all(f"/v4/buildings/{CRIMSON}/access_logs")
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in expected)
    assert len({r["id"] for r in records}) == len(records) >= 5000
    walked = bmx_requests.find("GET", f"/v4/buildings/{CRIMSON}/access_logs")
    pages = -(-len(expected) // 100)
    assert len(walked) > pages  # the 503s were retried (about a fifth of the requests sent)


def test_a_background_write_is_not_retried(sandbox, bmx_requests):
    sandbox.fault("/v4/access_tools/pins", method="POST", status=503, count=1)
    slept: list[float] = []
    client = BmxClient(sandbox.password_token("resident@sandbox.test"), background=True, sleep=slept.append)

    with pytest.raises(BmxError) as raised:
        client.create_pin(129201, "502718")

    assert raised.value.status == 503
    assert len(bmx_requests.find("POST", "/v4/access_tools/pins")) == 1
    pins = [t for t in sandbox.state()["access_tools"] if t["tenant_id"] == 129201 and t["type"] == "pin"]
    assert [p["code"] for p in pins] == ["483920"]


def test_threads_share_one_client_and_one_pooled_session(sandbox):
    sandbox.generate(CRIMSON, access_logs=1000, days=30, seed=9)
    client = BmxClient(sandbox.password_token("admin@sandbox.test"), background=True)
    path = f"/v4/buildings/{CRIMSON}/access_logs"

    def page(number: int) -> list[int]:
        return [r["id"] for r in client.request("GET", path, params={"page": number, "per": 100})["data"]]

    total_pages = client.request("GET", path, params={"page": 1, "per": 100})["page_info"]["total_pages"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = [i for ids in pool.map(page, range(1, total_pages + 1)) for i in ids]

    assert parallel == [r["id"] for r in client.all(path)]
    assert client.session is transport.session() is BmxClient("t").session


def test_a_forked_child_gets_a_session_of_its_own():
    parent = transport.session()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer whether it got a fresh session, then leave at once
        os.write(write, b"fresh" if transport.session() is not parent else b"shared")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.waitpid(pid, 0)
    assert answer == b"fresh"
    assert transport.session() is parent


def test_a_budget_whose_redis_is_down_falls_back_to_the_machines_file(tmp_path):
    from portal.butterflymx.budget import Budget, FileStore, RedisStore

    files = FileStore(tmp_path)
    budget = Budget(rps=1, burst=1, key="k", store=RedisStore("redis://127.0.0.1:9/0"), fallback=files)

    first = budget.acquire(background=True)
    second = budget.acquire(background=True)

    # both were decided (no error), by the file: the second waits for its slot a second after the first
    assert first.granted and second.granted and 0.5 < second.delay - first.delay <= 1.0
    assert (tmp_path / "k.json").exists()


def test_a_gateway_rate_limit_does_not_raise_the_request_rate(sandbox, settings):
    # given a budget of 20 requests a second, and ButterflyMX's gateway allowing 5 a second per account
    settings.BMX_REQUEST_BUDGET_RPS = 20
    sandbox.generate(CRIMSON, access_logs=3000, days=30, seed=11)
    sandbox.rate_limit(5, burst=5)
    sandbox.clear_traffic()
    client = BmxClient(sandbox.password_token("admin@sandbox.test"), background=True)
    path = f"/v4/buildings/{CRIMSON}/access_logs"

    # when four threads share one background client to read 30 pages
    def page(number: int) -> list[int]:
        return [r["id"] for r in client.request("GET", path, params={"page": number, "per": 100})["data"]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = [i for chunk in pool.map(page, range(1, 31)) for i in chunk]
    traffic = sandbox.traffic()
    sandbox.rate_limit(None)

    # then every page came (the 429s were waited out inside the calls, no error reached the caller) and
    # no second saw more than the gateway's 5 plus the 4 requests in flight when a pause began: the
    # 429s paused the threads instead of making them retry faster (the budget alone would allow 20)
    assert len(ids) == len(set(ids)) == 3000
    assert traffic["totals"]["status_429"] > 0
    assert traffic["rps_max"] <= 5 + 4 + 1
