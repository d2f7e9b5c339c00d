"""/healthz tells the truth about its dependencies; logs never carry secrets."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from portal.core.logging import RedactSecretsFilter, redact
from portal.core.models import Heartbeat
from portal.core.services import heartbeat_record


def test_healthz_is_ok_when_database_broker_and_beat_are(client, db):
    heartbeat_record(name="beat")

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) >= {"database", "broker", "beat"}


def test_healthz_is_degraded_not_503_when_beat_has_never_ticked(client, db):
    response = client.get("/healthz")

    # pages still answer without beat: monitoring alerts on "degraded", the load balancer keeps routing
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["degraded"] == ["beat"]
    assert response.json()["checks"]["beat"]["ok"] is False


def test_healthz_is_degraded_when_beat_stopped_ticking(client, db, settings):
    Heartbeat.objects.create(
        name="beat", seen_at=timezone.now() - timedelta(seconds=10 * settings.HEARTBEAT_INTERVAL_S)
    )

    response = client.get("/healthz")

    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert "ago" in response.json()["checks"]["beat"]["detail"]


def test_healthz_is_degraded_when_the_broker_is_down(client, db, settings):
    from portal.celery import app

    heartbeat_record(name="beat")
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original

    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["degraded"] == ["broker"]
    assert response.json()["checks"]["broker"]["ok"] is False


def test_healthz_is_degraded_when_the_cache_is_down(client, db, settings):
    heartbeat_record(name="beat")
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.core.rediscache.PortalRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "CONNECTION_POOL_CLASS": "portal.core.rediscache.BreakerConnectionPool",
            },
        }
    }

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and "cache" in response.json()["degraded"]
    assert response.json()["checks"]["cache"]["ok"] is False


def test_healthz_is_503_unhealthy_only_when_a_critical_check_fails():
    from portal.core.health import Check, health_status

    fine, cache_down = Check("cache", True, ""), Check("cache", False, "down")
    database_down = Check("database", False, "unreachable", critical=True)

    assert health_status([fine, Check("database", True, "", critical=True)]) == "ok"
    assert health_status([cache_down, Check("database", True, "", critical=True)]) == "degraded"
    assert health_status([cache_down, database_down]) == "unhealthy"


def test_redaction_masks_tokens_pins_and_snapshot_urls():
    line = (
        'POST /oauth/token code=abc123&client_secret=s3cr3t refresh_token=rt-999 {"pin": "482913"} '
        "Authorization: Bearer eyJabc.def https://bmx.s3.amazonaws.com/snap/1.jpg?X-Amz-Signature=zz"
    )

    cleaned = redact(line)

    for secret in ("abc123", "s3cr3t", "rt-999", "482913", "eyJabc.def", "X-Amz-Signature"):
        assert secret not in cleaned
    assert "[redacted]" in cleaned and "[snapshot-url]" in cleaned


def test_redaction_masks_the_secret_of_a_webhook_url():
    line = "Internal Server Error: /webhooks/bmx/12/gZfULm0M-dRG-xNhOjhfoGeCfsks5volLM2mqPweHBc/"

    assert redact(line) == "Internal Server Error: /webhooks/bmx/12/[redacted]/"


def test_redaction_masks_the_token_of_a_guest_pass_link():
    line = "WARNING django.request Too Many Requests: /p/6b-aa9hnRP-Kgd9q7XW05-9QPAuXCXBr0bWspZwYUNE/"

    assert redact(line) == "WARNING django.request Too Many Requests: /p/[redacted]/"


def test_the_log_filter_rewrites_records_in_place():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token refresh access_token=%s", ("tok-1",), None)

    RedactSecretsFilter().filter(record)

    assert "tok-1" not in record.getMessage()
