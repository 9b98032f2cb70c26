"""POST /api/tokens/revoke is rank-limited like minting (finding 4, the revoking half).

Before the fix an operator could revoke the superuser's or another operator's tokens (locking
them out of the API) by prefix. Now you revoke your own tokens, or those of users strictly
below your role; anything else is 403, audited, and revokes nothing.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from accounts.models import ApiToken, hash_token
from accounts.roles import OPERATOR, TRADER
from audit.models import AuditEntry

pytestmark = pytest.mark.backends


@pytest.fixture
def root(make_user):
    return make_user("root", is_superuser=True, is_staff=True)


def _issue(user) -> tuple[str, str]:
    """A token of user: (raw, prefix)."""
    token, raw = ApiToken.issue(user)
    return raw, token.prefix


def _revoke(api, actor_raw: str, prefix: str):
    return api.post("/api/tokens/revoke", {"prefix": prefix}, token=actor_raw)


def _live(raw: str) -> bool:
    return ApiToken.objects.get(token_hash=hash_token(raw)).revoked_at is None


def _works(api, raw: str) -> bool:
    return api.get("/api/me", token=raw).status_code == 200


def _refused(response, reason: str) -> None:
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert error["code"] == "PERMISSION_DENIED"
    assert error["details"] == {"permission": "accounts.manage_tokens", "reason": reason}


def test_an_operator_cannot_revoke_the_superusers_token(api, olga, root):
    actor, _ = _issue(olga)
    raw, prefix = _issue(root)

    _refused(_revoke(api, actor, prefix), "superuser")

    assert _live(raw) and _works(api, raw)
    entry = AuditEntry.objects.get(action="token.revoke", outcome="denied")
    assert entry.actor_name == "olga" and entry.payload["owner"] == "root"
    assert entry.target == prefix


def test_an_operator_cannot_revoke_another_operators_token(api, olga, make_user):
    otto = make_user("otto", OPERATOR)
    actor, _ = _issue(olga)
    raw, prefix = _issue(otto)

    _refused(_revoke(api, actor, prefix), "staff")  # operators hold admin access

    assert _live(raw) and _works(api, raw)
    assert AuditEntry.objects.filter(action="token.revoke", outcome="denied").count() == 1


def test_an_operator_revokes_a_traders_and_a_viewers_token(api, olga, alice, bob):
    actor, _ = _issue(olga)
    for user in (alice, bob):
        raw, prefix = _issue(user)
        response = _revoke(api, actor, prefix)
        assert response.status_code == 200, response.content
        assert response.json() == {"revoked": 1}
        assert not _live(raw)
        assert api.get("/api/me", token=raw).status_code == 401
    entries = AuditEntry.objects.filter(action="token.revoke", outcome="ok", actor_name="olga")
    assert sorted(e.payload["owners"][0] for e in entries) == ["alice", "bob"]


def test_you_may_revoke_your_own_token(api, olga):
    actor, _ = _issue(olga)
    raw, prefix = _issue(olga)

    assert _revoke(api, actor, prefix).json() == {"revoked": 1}
    assert not _live(raw) and _works(api, actor)


def test_a_prefix_shared_with_a_superusers_token_revokes_nothing(api, olga, alice, root):
    actor, _ = _issue(olga)
    alice_raw, prefix = _issue(alice)
    root_raw, _ = _issue(root)
    # Prefixes are ten characters, so two tokens can share one: the refusal must be all or none.
    ApiToken.objects.filter(token_hash=hash_token(root_raw)).update(prefix=prefix)

    _refused(_revoke(api, actor, prefix), "superuser")

    assert _live(alice_raw) and _live(root_raw)


def test_a_trader_holding_the_token_permission_reaches_only_below_trader(
    api, alice, bob, make_user
):
    # alice holds accounts.manage_tokens by itself, not the operator role.
    alice.user_permissions.add(Permission.objects.get(codename="manage_tokens"))
    alice = get_user_model().objects.get(pk=alice.pk)
    actor, _ = _issue(alice)
    tom_raw, tom_prefix = _issue(make_user("tom", TRADER))
    olga_raw, olga_prefix = _issue(make_user("olga", OPERATOR))
    bob_raw, bob_prefix = _issue(bob)  # a viewer

    _refused(_revoke(api, actor, tom_prefix), "role_not_below_yours")
    _refused(_revoke(api, actor, olga_prefix), "staff")
    assert _revoke(api, actor, bob_prefix).json() == {"revoked": 1}
    assert _live(tom_raw) and _live(olga_raw) and not _live(bob_raw)


def test_a_trader_without_the_permission_cannot_revoke_even_a_viewers_token(api, alice, bob):
    actor, _ = _issue(alice)
    raw, prefix = _issue(bob)

    response = _revoke(api, actor, prefix)

    assert response.status_code == 403
    assert response.json()["error"]["details"]["permission"] == "accounts.manage_tokens"
    assert _live(raw)


def test_a_superuser_revokes_an_operators_token_but_not_another_superusers(
    api, olga, root, make_user
):
    actor, _ = _issue(root)
    olga_raw, olga_prefix = _issue(olga)
    other_raw, other_prefix = _issue(make_user("root2", is_superuser=True, is_staff=True))

    assert _revoke(api, actor, olga_prefix).json() == {"revoked": 1}
    _refused(_revoke(api, actor, other_prefix), "superuser")
    assert not _live(olga_raw) and _live(other_raw)


def test_a_staff_user_below_your_role_is_still_out_of_an_operators_reach(api, olga, make_user):
    # Admin access is power beyond the role table; the admin refuses it the same way.
    vic = make_user("vic", "viewer", is_staff=True)
    vic.is_staff = True
    vic.save(update_fields=["is_staff"])
    actor, _ = _issue(olga)
    raw, prefix = _issue(vic)

    _refused(_revoke(api, actor, prefix), "staff")
    assert _live(raw)
