"""One per-IP login throttle for every login path; failures, successes and logouts audited."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from audit.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _admin_login(client, password):
    return client.post("/admin/login/?next=/admin/", {"username": "olga", "password": password})


def test_the_admin_login_is_throttled_and_the_right_password_then_fails(client, olga, settings):
    settings.SPARK_LOGIN_ATTEMPTS_PER_MINUTE = 5
    for _ in range(5):
        assert _admin_login(client, "wrong").status_code == 200
    blocked = _admin_login(client, PASSWORD)
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login


def test_admin_and_site_logins_share_one_counter(client, olga, settings):
    settings.SPARK_LOGIN_ATTEMPTS_PER_MINUTE = 4
    for _ in range(2):
        assert client.post("/login/", {"username": "olga", "password": "x"}).status_code == 200
    for _ in range(2):
        assert _admin_login(client, "wrong").status_code == 200
    assert client.post("/login/", {"username": "olga", "password": PASSWORD}).status_code == 429
    assert _admin_login(client, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_failures_successes_and_logout_are_audited(client, olga):
    assert _admin_login(client, "wrong").status_code == 200
    failed = AuditEntry.objects.get(action="auth.login", outcome="failed")
    assert failed.target == "olga" and failed.payload["path"] == "/admin/login/"
    assert "wrong" not in str(failed.payload)
    assert _admin_login(client, PASSWORD).status_code == 302
    ok = AuditEntry.objects.get(action="auth.login", outcome="ok")
    assert ok.actor == olga and ok.payload["path"] == "/admin/login/"
    client.post("/admin/logout/")
    assert AuditEntry.objects.filter(action="auth.logout", actor=olga).exists()


def test_a_throttled_admin_attempt_is_audited_as_denied(client, olga, settings):
    settings.SPARK_LOGIN_ATTEMPTS_PER_MINUTE = 1
    _admin_login(client, "wrong")
    _admin_login(client, PASSWORD)
    denied = AuditEntry.objects.get(action="auth.login", outcome="denied")
    assert denied.payload["reason"] == "rate_limited"
