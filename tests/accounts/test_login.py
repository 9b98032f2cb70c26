"""The login page: audited success, rate-limited failures."""

import pytest
from django.core.cache import cache

from audit.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_good_login_redirects_to_the_dashboard_and_is_audited(client, alice):
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert AuditEntry.objects.filter(action="auth.login", actor=alice, outcome="ok").exists()


def test_login_attempts_are_rate_limited_per_ip(client, alice, settings):
    settings.SPARK_LOGIN_ATTEMPTS_PER_MINUTE = 3
    for _ in range(3):
        assert client.post("/login/", {"username": "alice", "password": "nope"}).status_code == 200
    blocked = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "60"
    # Even the right password is refused while blocked, and nobody is logged in.
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.login", outcome="denied").count() == 1


def test_a_burst_across_the_minute_boundary_is_still_limited(client, alice, settings, monkeypatch):
    """Two attempts at hh:mm:59 and one at the next minute's :00 are three in two seconds."""
    settings.SPARK_LOGIN_ATTEMPTS_PER_MINUTE = 3
    minute = {"n": 29_000_000}
    monkeypatch.setattr("accounts.ratelimit._minute", lambda: minute["n"])
    for _ in range(2):
        assert client.post("/login/", {"username": "alice", "password": "nope"}).status_code == 200
    minute["n"] += 1
    assert client.post("/login/", {"username": "alice", "password": "nope"}).status_code == 200
    assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 429
    minute["n"] += 2  # two minutes on: the block has lifted
    assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
