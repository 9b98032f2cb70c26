"""Tokens and permissions are read afresh on every request: a revocation counts at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from accounts.backends import PermissionBackend
from accounts.models import ApiToken, hash_token
from accounts.roles import OPERATOR
from risk.models import CircuitBreaker

pytestmark = [pytest.mark.django_db, pytest.mark.backends]

OPEN = "/futures/risk/circuit-breaker/open"
CLOSE = "/futures/risk/circuit-breaker/close"


def _toggle(api, raw: str):
    """An operator-only write: open the breaker, or close it when it is open."""
    path = CLOSE if CircuitBreaker.load().state == CircuitBreaker.State.OPEN else OPEN
    return api.post(path, {"reason": "drill"}, token=raw)


def _row(raw: str) -> ApiToken:
    return ApiToken.objects.get(token_hash=hash_token(raw))


def test_a_revoked_token_is_refused_on_the_very_next_request_after_a_success(api, olga, token_for):
    raw = token_for(olga)
    assert _toggle(api, raw).status_code == 200
    assert api.get("/api/me", token=raw).json()["authenticated"] is True
    response = api.post("/api/tokens/revoke", {"prefix": _row(raw).prefix}, token=token_for(olga))
    assert response.json() == {"revoked": 1}
    state = CircuitBreaker.load().state
    assert _toggle(api, raw).status_code == 401
    # a read with the revoked token is refused too, never answered as anonymous
    assert api.get("/api/me", token=raw).status_code == 401
    assert CircuitBreaker.load().state == state


def test_a_token_that_expires_is_refused_from_that_moment(api, olga, token_for):
    raw = token_for(olga)
    assert _toggle(api, raw).status_code == 200
    ApiToken.objects.filter(pk=_row(raw).pk).update(expires_at=timezone.now())
    assert _toggle(api, raw).status_code == 401


def test_a_deactivated_user_is_refused_on_the_very_next_request(api, olga, token_for):
    raw = token_for(olga)
    assert _toggle(api, raw).status_code == 200
    olga.is_active = False
    olga.save(update_fields=["is_active"])
    assert _toggle(api, raw).status_code == 401


def test_a_removed_role_is_refused_on_the_very_next_request(api, olga, token_for):
    raw = token_for(olga)
    assert _toggle(api, raw).status_code == 200
    olga.groups.clear()
    state = CircuitBreaker.load().state
    response = _toggle(api, raw)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "PERMISSION_DENIED"
    assert CircuitBreaker.load().state == state
    assert api.get("/api/me", token=raw).json()["permissions"] == []


def test_a_permission_taken_from_the_role_is_refused_on_the_very_next_request(api, olga, token_for):
    raw = token_for(olga)
    assert api.post(OPEN, {"reason": "drill"}, token=raw).status_code == 200
    perm = Permission.objects.get(content_type__app_label="risk", codename="close_circuit_breaker")
    Group.objects.get(name=OPERATOR).permissions.remove(perm)
    response = api.post(CLOSE, {"reason": "drill"}, token=raw)
    assert response.status_code == 403
    assert response.json()["error"]["details"]["permission"] == "risk.close_circuit_breaker"
    assert CircuitBreaker.load().state == CircuitBreaker.State.OPEN


def test_a_permission_granted_to_one_user_counts_at_once(api, mallory, token_for):
    raw = token_for(mallory)
    assert api.post(OPEN, {"reason": "drill"}, token=raw).status_code == 403
    perm = Permission.objects.get(content_type__app_label="risk", codename="open_circuit_breaker")
    mallory.user_permissions.add(perm)
    assert api.post(OPEN, {"reason": "drill"}, token=raw).status_code == 200
    assert api.get("/api/me", token=raw).json()["permissions"] == ["risk.open_circuit_breaker"]


def test_the_backend_answers_as_djangos_model_backend(make_user, alice, bob, olga, mallory):
    mallory.user_permissions.add(Permission.objects.get(codename="open_circuit_breaker"))
    bob.user_permissions.add(Permission.objects.get(codename="view_platform"))  # also his role's
    root = make_user("root", is_superuser=True)
    gone = make_user("gone", OPERATOR, is_active=False)
    for user in (alice, bob, olga, mallory, root, gone):
        fresh = type(user).objects.get(pk=user.pk)
        expected = ModelBackend().get_all_permissions(type(user).objects.get(pk=user.pk))
        assert PermissionBackend().get_all_permissions(fresh) == expected, user.username


def test_a_permission_check_reads_once_per_request_and_a_refusal_reads_no_more(
    olga, django_assert_num_queries
):
    user = type(olga).objects.get(pk=olga.pk)
    with django_assert_num_queries(1):
        assert user.has_perm("risk.close_circuit_breaker")
        assert user.has_perm("futures.place_order")
        assert not user.has_perm("risk.no_such_permission")


def test_the_last_use_of_a_token_is_written_at_most_once_a_minute(api, bob, token_for):
    raw = token_for(bob)
    assert api.get("/api/me", token=raw).status_code == 200
    first = _row(raw).last_used_at
    assert first is not None
    assert api.get("/api/me", token=raw).status_code == 200
    assert _row(raw).last_used_at == first
    ApiToken.objects.filter(pk=_row(raw).pk).update(last_used_at=first - timedelta(seconds=61))
    assert api.get("/api/me", token=raw).status_code == 200
    assert _row(raw).last_used_at > first
