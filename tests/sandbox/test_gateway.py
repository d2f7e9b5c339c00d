"""The gateway in front of /v4: a per-client rate limit (off by default), the account-wide 429 period made
with a fault rule, and the per-second traffic statistics."""

import time

import requests

BUILDINGS = "/v4/buildings"


def _burst(sandbox, token, n):
    return [sandbox.api("GET", BUILDINGS, token) for _ in range(n)]


def test_no_rate_limit_by_default(sandbox):
    assert sandbox.configure()["rate_limit"] is None
    token = sandbox.password_token("admin@sandbox.test")
    assert {r.status_code for r in _burst(sandbox, token, 30)} == {200}


def test_the_rate_limit_answers_429_with_an_integer_retry_after_per_account(sandbox):
    admin = sandbox.password_token("admin@sandbox.test")
    same_account = sandbox.password_token("admin@sandbox.test")  # a second token of the same account
    other = sandbox.password_token("lakeshore-admin@sandbox.test")
    # 0.01 requests per second: the bucket cannot refill during the test, so the count is exact.
    assert sandbox.rate_limit(0.01, burst=3)["rate_limit"] == {"rps": 0.01, "burst": 3, "per": "account"}
    statuses = [r.status_code for r in _burst(sandbox, admin, 2)] + [
        r.status_code for r in _burst(sandbox, same_account, 2)
    ]
    assert statuses == [200, 200, 200, 429]
    limited = sandbox.api("GET", "/v4/tenants", admin)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"].isdigit() and int(limited.headers["Retry-After"]) >= 1
    assert limited.json() == {
        "errors": [{"field": "base", "code": "too_many_requests", "message": "Too many requests"}]
    }
    assert sandbox.api("GET", BUILDINGS, other).status_code == 200  # another account has its own budget
    # The control surface is never limited.
    assert requests.get(f"{sandbox.url}/_sandbox/health", timeout=5).status_code == 200
    sandbox.rate_limit(None)
    assert sandbox.api("GET", BUILDINGS, admin).status_code == 200


def test_per_token_budgets_and_refill(sandbox):
    first = sandbox.password_token("admin@sandbox.test")
    second = sandbox.password_token("admin@sandbox.test")
    sandbox.rate_limit(0.01, burst=1, per="token")
    assert sandbox.api("GET", BUILDINGS, first).status_code == 200
    assert sandbox.api("GET", BUILDINGS, first).status_code == 429
    assert sandbox.api("GET", BUILDINGS, second).status_code == 200
    # A fast refill: after the announced wait, a request passes again.
    sandbox.rate_limit(5, burst=1)
    assert sandbox.api("GET", BUILDINGS, first).status_code == 200
    limited = sandbox.api("GET", BUILDINGS, first)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    time.sleep(int(limited.headers["Retry-After"]))
    assert sandbox.api("GET", BUILDINGS, first).status_code == 200


def test_bad_rate_limits_are_refused(sandbox):
    for value in ({"rps": 0}, {"rps": "fast"}, {"burst": 3}, {"rps": 5, "per": "ip"}, {"rps": 5, "x": 1}, 5):
        response = requests.post(f"{sandbox.url}/_sandbox/config", json={"rate_limit": value}, timeout=5)
        assert response.status_code == 400, value
    assert sandbox.configure()["rate_limit"] is None


def test_the_reset_switches_the_limit_off(sandbox):
    sandbox.rate_limit(0.01, burst=1)
    token = sandbox.password_token("admin@sandbox.test")
    _burst(sandbox, token, 2)
    sandbox.reset()
    assert sandbox.configure()["rate_limit"] is None
    assert sandbox.api("GET", BUILDINGS, sandbox.password_token("admin@sandbox.test")).status_code == 200


def test_an_account_wide_429_period_is_a_fault_rule_on_every_v4_path(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    other = sandbox.password_token("lakeshore-admin@sandbox.test")
    sandbox.fault("/v4/*", status=429, retry_after=30)
    for path, who in ((BUILDINGS, token), ("/v4/buildings/11743/access_logs", token), ("/v4/tenants", other)):
        response = sandbox.api("GET", path, who)
        assert response.status_code == 429 and response.headers["Retry-After"] == "30", path
        assert response.json()["errors"][0]["code"] == "too_many_requests"
    # OAuth and the control surface are not part of the period.
    assert sandbox.password_token("resident@sandbox.test")
    sandbox.clear_faults()
    assert sandbox.api("GET", BUILDINGS, token).status_code == 200


def test_traffic_counts_v4_requests_per_second_and_429s(sandbox):
    token = sandbox.password_token("admin@sandbox.test")
    sandbox.clear_traffic()
    started = time.time()
    _burst(sandbox, token, 6)
    sandbox.rate_limit(0.01, burst=1)
    statuses = [r.status_code for r in _burst(sandbox, token, 3)]
    assert statuses == [200, 429, 429]
    requests.get(f"{sandbox.url}/_sandbox/health", timeout=5)  # not /v4: not counted
    stats = sandbox.traffic()
    assert stats["totals"]["requests"] == 9 and stats["totals"]["status_429"] == 2
    assert stats["totals"]["by_status"] == {"200": 7, "429": 2}
    assert sum(row["requests"] for row in stats["seconds"]) == 9 == stats["requests"]
    assert stats["rps_max"] == max(row["requests"] for row in stats["seconds"]) >= 1
    assert all(row["t"] >= int(started) for row in stats["seconds"])
    assert stats["rate_limit"] == {"rps": 0.01, "burst": 1, "per": "account"}
    # A window in the future holds nothing; the reset empties the totals.
    assert sandbox.traffic(since=time.time() + 60)["requests"] == 0
    assert sandbox.clear_traffic()["totals"]["requests"] == 0
