"""A revoked, expired or unknown bearer token is 401 on every request, never anonymous."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiToken, hash_token

pytestmark = pytest.mark.backends


def _revoke(raw: str) -> None:
    ApiToken.objects.filter(token_hash=hash_token(raw)).update(revoked_at=timezone.now())


@pytest.mark.parametrize("path", ["/api/me", "/strategies/backtests"])
def test_a_revoked_token_on_a_get_is_401_not_anonymous(api, alice, token_for, path, settings):
    settings.SPARK_PUBLIC_READS = True
    raw = token_for(alice)
    _revoke(raw)
    response = api.get(path, token=raw)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_an_expired_token_on_a_get_is_401(api, alice, token_for, settings):
    settings.SPARK_PUBLIC_READS = True
    raw = token_for(alice, expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get("/api/me", token=raw)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_an_unknown_token_on_a_get_is_401(api, db, settings):
    settings.SPARK_PUBLIC_READS = True
    response = api.get("/api/me", token="spk_not-a-token")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_a_revoked_token_on_a_post_is_401_token_invalid(api, olga, token_for):
    raw = token_for(olga)
    _revoke(raw)
    response = api.post("/api/tokens", {"username": "zed"}, token=raw)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def test_a_get_without_a_token_still_reads_anonymously_when_reads_are_public(api, db, settings):
    settings.SPARK_PUBLIC_READS = True
    response = api.get("/api/me")
    assert response.status_code == 200
    assert response.json()["authenticated"] is False
