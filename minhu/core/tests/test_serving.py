"""Production plumbing inside one process: probes, the 503 while the database is down, 500s
logged with DEBUG=0, and the cache backend chosen by MINHU_REDIS_URL."""

import io
import logging
import os
import subprocess
import sys

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from minhu.orgs.testing import PASSWORD


@pytest.fixture
def database_down(monkeypatch):
    """Every new cursor fails the way a stopped PostgreSQL does."""

    def refuse(self):
        raise OperationalError("connection refused: is the server running?")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)


@pytest.mark.django_db
def test_healthz_and_readyz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["cache"]["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_probes_while_database_down(client, database_down):
    assert client.get("/healthz").status_code == 200  # liveness needs no database
    r = client.get("/readyz")
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["database"]["status"] == "error"
    assert "OperationalError" in checks["database"]["error"]
    assert checks["cache"]["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_api_gets_503_with_code_and_retry_after(org, database_down):
    api = Client(raise_request_exception=False)
    r = api.post(
        "/api/v1/public/appeals/",
        {"subject": "路灯不亮", "detail": "小区门口路灯坏了", "phone": "13800000000"},
        content_type="application/json",
    )
    assert r.status_code == 503
    assert r["Retry-After"] == "5"
    assert r.json()["error"]["code"] == "database_unavailable"
    # Token authentication reaches the database first: the same 503, not a 500.
    r = api.get("/api/v1/appeals/", HTTP_AUTHORIZATION="Token abc")
    assert r.status_code == 503 and r.json()["error"]["code"] == "database_unavailable"


@pytest.mark.django_db(transaction=True)
def test_pages_get_503_page_not_500(org, monkeypatch):
    web = Client(raise_request_exception=False)
    assert web.login(username="dispatcher", password=PASSWORD)

    def refuse(self):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    for path in ("/", "/h5/"):
        r = web.get(path)
        assert r.status_code == 503, path
        assert r["Retry-After"] == "5"
        text = r.content.decode()
        assert "服务暂时不可用" in text and "database_unavailable" in text


@pytest.mark.django_db(transaction=True)
def test_error_in_a_middleware_also_becomes_503(org, monkeypatch):
    """The session is saved by a middleware after the view: a database error there is turned
    into a 500 by Django before our middleware sees it; the signal marks it and it is a 503."""
    from django.contrib.sessions.backends.db import SessionStore

    def refuse(self, must_create=False):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(SessionStore, "save", refuse)
    web = Client(raise_request_exception=False)
    r = web.post("/login/", {"username": "dispatcher", "password": PASSWORD})
    assert r.status_code == 503
    assert "database_unavailable" in r.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("minhu.core.tests.boom_urls")
def test_unhandled_exception_is_logged_with_debug_off(settings):
    """Django's default logging prints 500s only with DEBUG=1; ours always does."""
    settings.DEBUG = False
    handlers = logging.getLogger("django.request").handlers
    stream_handlers = [h for h in handlers if isinstance(h, logging.StreamHandler)]
    assert stream_handlers, "django.request has no console handler"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in stream_handlers]
    try:
        r = Client(raise_request_exception=False).get("/boom")
    finally:
        for h, stream in zip(stream_handlers, previous, strict=True):
            h.setStream(stream)
    assert r.status_code == 500
    logged = buffer.getvalue()
    assert "Internal Server Error: /boom" in logged
    assert "kaboom-in-view" in logged  # with the traceback


def _settings_in_subprocess(env: dict, expr: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expr})"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "minhu.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_cache_backend_follows_minhu_redis_url():
    env = {"MINHU_REDIS_URL": ""}
    assert _settings_in_subprocess(env, "settings.CACHES['default']['BACKEND']").endswith(
        "LocMemCache"
    )
    url = "redis://127.0.0.1:6399/3"
    got = _settings_in_subprocess(
        {"MINHU_REDIS_URL": url},
        "settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION']",
    )
    assert got == f"django.core.cache.backends.redis.RedisCache {url}"
