"""POST /api/tokens mints only for yourself, or for a new user at a role no higher than yours."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from accounts.models import ApiToken
from accounts.roles import OPERATOR
from audit.models import AuditEntry

pytestmark = pytest.mark.backends


@pytest.fixture
def root(make_user):
    return make_user("root", is_superuser=True, is_staff=True)


def _denied(username: str) -> int:
    return AuditEntry.objects.filter(
        action="token.create", target=username, outcome="denied"
    ).count()


def test_it_refuses_a_token_for_the_superuser(api, olga, root, token_for):
    response = api.post(
        "/api/tokens", {"username": "root", "role": "viewer"}, token=token_for(olga)
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"]["permission"] == "accounts.manage_tokens"
    assert not ApiToken.objects.filter(user=root).exists()
    root.refresh_from_db()
    assert root.is_superuser and root.is_staff and not root.groups.exists()  # not re-roled
    assert _denied("root") == 1


def test_it_refuses_a_token_for_another_operator(api, olga, make_user, token_for):
    otto = make_user("otto", OPERATOR)
    response = api.post(
        "/api/tokens", {"username": "otto", "role": "operator"}, token=token_for(olga)
    )
    assert response.status_code == 403
    assert not ApiToken.objects.filter(user=otto).exists()
    assert _denied("otto") == 1


def test_it_refuses_a_token_for_an_existing_trader(api, olga, alice, token_for):
    response = api.post(
        "/api/tokens", {"username": "alice", "role": "trader"}, token=token_for(olga)
    )
    assert response.status_code == 403
    assert not ApiToken.objects.filter(user=alice).exists()
    assert _denied("alice") == 1


def test_it_refuses_to_change_your_own_role_through_a_token(api, olga, token_for):
    response = api.post(
        "/api/tokens", {"username": "olga", "role": "viewer"}, token=token_for(olga)
    )
    assert response.status_code == 403
    assert api.get("/api/me", token=token_for(olga)).json()["roles"] == ["operator"]
    assert _denied("olga") == 1


def test_it_issues_a_second_token_for_yourself(api, olga, token_for):
    response = api.post(
        "/api/tokens", {"username": "olga", "role": "operator"}, token=token_for(olga)
    )
    assert response.status_code == 201
    me = api.get("/api/me", token=response.json()["token"]).json()
    assert me["username"] == "olga" and me["roles"] == ["operator"]


def test_it_creates_a_new_user_at_a_role_up_to_yours(api, olga, token_for):
    response = api.post(
        "/api/tokens", {"username": "nina", "role": "trader"}, token=token_for(olga)
    )
    assert response.status_code == 201
    assert api.get("/api/me", token=response.json()["token"]).json()["roles"] == ["trader"]
    entry = AuditEntry.objects.get(action="token.create", target="nina", outcome="ok")
    assert entry.actor_name == "olga"


def test_it_refuses_a_new_user_above_your_role(api, alice, token_for):
    # alice holds the token permission by itself, not the operator role.
    alice.user_permissions.add(Permission.objects.get(codename="manage_tokens"))
    alice = get_user_model().objects.get(pk=alice.pk)
    response = api.post(
        "/api/tokens", {"username": "opal", "role": "operator"}, token=token_for(alice)
    )
    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="opal").exists()
    assert _denied("opal") == 1
