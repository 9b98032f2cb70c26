"""API tokens: issued once, stored hashed, refused when revoked or expired."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiToken, hash_token
from audit.models import AuditEntry

pytestmark = pytest.mark.backends


@pytest.mark.django_db
def test_create_api_token_prints_only_the_token_and_creates_the_user():
    out = StringIO()
    call_command("create_api_token", "--user", "carol", "--role", "trader", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("spk_") and "\n" not in raw
    user = get_user_model().objects.get(username="carol")
    assert list(user.groups.values_list("name", flat=True)) == ["trader"]
    token = ApiToken.objects.get(user=user)
    assert token.token_hash == hash_token(raw)
    assert raw not in str(list(ApiToken.objects.values()))


@pytest.mark.django_db
def test_staff_flag_is_a_synonym_of_operator():
    out = StringIO()
    call_command("create_api_token", "--user", "ops", "--staff", stdout=out)
    user = get_user_model().objects.get(username="ops")
    assert list(user.groups.values_list("name", flat=True)) == ["operator"]
    assert user.is_staff


def test_a_valid_token_is_accepted(api, alice, token_for):
    response = api.get("/api/me", token=token_for(alice))
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert response.json()["roles"] == ["trader"]


def test_a_revoked_token_gets_401(api, olga, alice, token_for):
    raw = token_for(alice)
    row = ApiToken.objects.get(token_hash=hash_token(raw))
    response = api.post("/api/tokens/revoke", {"prefix": row.prefix}, token=token_for(olga))
    assert response.json() == {"revoked": 1}
    assert api.post("/api/tokens", {"username": "z"}, token=raw).status_code == 401


def test_an_expired_token_gets_401(api, olga, token_for):
    raw = token_for(olga, expires_at=timezone.now() - timedelta(seconds=1))
    assert api.post("/api/tokens", {"username": "z"}, token=raw).status_code == 401


def test_an_operator_issues_a_token_through_the_api_and_it_is_audited(api, olga, token_for):
    response = api.post(
        "/api/tokens", {"username": "dave", "role": "trader"}, token=token_for(olga)
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    assert api.get("/api/me", token=raw).json()["roles"] == ["trader"]
    entry = AuditEntry.objects.get(action="token.create", target="dave")
    assert entry.actor_name == "olga"
    assert raw not in str(entry.payload)


def test_a_trader_may_not_issue_tokens(api, alice, token_for):
    response = api.post("/api/tokens", {"username": "eve"}, token=token_for(alice))
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"permission": "accounts.manage_tokens"}
    assert not get_user_model().objects.filter(username="eve").exists()
    assert AuditEntry.objects.filter(action="token.create", outcome="denied").count() == 1


def test_a_session_post_without_csrf_is_refused(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/tokens", data="{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "CSRF_FAILED"
