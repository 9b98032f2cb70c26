"""An operator in /admin/ manages viewers and traders only; every change and refusal audited."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from accounts.roles import OPERATOR
from audit.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.backends]


@pytest.fixture
def root(make_user):
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def as_olga(client, olga):
    client.force_login(olga)
    return client


def _user_form(user, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


def _change(client, user, **overrides):
    return client.post(f"/admin/auth/user/{user.pk}/change/", _user_form(user, **overrides))


def _password(client, user):
    return client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {
            "password1": "Xq9-new-secret-pass",
            "password2": "Xq9-new-secret-pass",
            "usable_password": "true",
        },
    )


def _denied(action: str, target: str) -> bool:
    return AuditEntry.objects.filter(action=action, target=target, outcome="denied").exists()


def test_an_operator_cannot_make_herself_superuser(as_olga, olga):
    response = _change(as_olga, olga, is_superuser="on", is_staff="on")
    assert response.status_code == 403
    olga.refresh_from_db()
    assert not olga.is_superuser
    assert _denied("admin.user.change", "olga")


def test_an_operator_cannot_make_a_trader_superuser_or_grant_permissions(as_olga, alice):
    perm = Permission.objects.get(codename="manage_tokens")
    response = _change(
        as_olga, alice, is_superuser="on", is_staff="on", user_permissions=[str(perm.pk)]
    )
    assert response.status_code == 302  # the rest of the form is saved; the privileges are not
    alice.refresh_from_db()
    assert not alice.is_superuser and not alice.is_staff
    assert not alice.user_permissions.exists()


def test_an_operator_cannot_give_a_trader_the_operator_role(as_olga, alice):
    operator = Group.objects.get(name=OPERATOR)
    response = _change(as_olga, alice, groups=[str(operator.pk)])
    assert response.status_code == 200  # the form refuses the choice
    assert list(alice.groups.values_list("name", flat=True)) == ["trader"]


def test_an_operator_cannot_reset_the_superusers_password(as_olga, root):
    response = _password(as_olga, root)
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password(PASSWORD)
    assert _denied("admin.user.password", "root")


def test_an_operator_cannot_edit_another_operator(as_olga, make_user):
    otto = make_user("otto", OPERATOR)
    response = _change(as_olga, otto, is_active="")
    assert response.status_code == 403
    otto.refresh_from_db()
    assert otto.is_active
    assert _password(as_olga, otto).status_code == 403
    assert _denied("admin.user.change", "otto")


def test_an_operator_cannot_change_group_permissions(as_olga):
    trader = Group.objects.get(name="trader")
    before = set(trader.permissions.values_list("pk", flat=True))
    perm = Permission.objects.get(codename="manage_tokens")
    response = as_olga.post(
        f"/admin/auth/group/{trader.pk}/change/",
        {"name": "trader", "permissions": [str(pk) for pk in before | {perm.pk}]},
    )
    assert response.status_code == 403
    assert set(trader.permissions.values_list("pk", flat=True)) == before
    assert _denied("admin.group.change", str(trader.pk))


def test_an_operator_deactivates_a_trader_and_the_audit_has_old_and_new(as_olga, alice):
    response = _change(as_olga, alice, is_active="")
    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    entry = AuditEntry.objects.get(action="admin.user.change", target="alice", outcome="ok")
    assert entry.actor_name == "olga"
    assert entry.payload["old"]["is_active"] is True and entry.payload["new"]["is_active"] is False
    assert entry.payload["changed"] == ["is_active"]


def test_an_operator_resets_a_traders_password_and_no_secret_is_audited(as_olga, alice):
    assert _password(as_olga, alice).status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Xq9-new-secret-pass")
    entry = AuditEntry.objects.get(action="admin.user.password", target="alice")
    assert entry.payload == {"note": "password changed"}
    assert "Xq9" not in str(entry.payload) and alice.password not in str(entry.payload)


def test_a_superuser_may_change_roles_and_it_is_audited(client, root, olga):
    client.force_login(root)
    viewer = Group.objects.get(name="viewer")
    response = _change(client, olga, groups=[str(viewer.pk)], is_staff="")
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.user.change", target="olga")
    assert entry.payload["old"]["groups"] == ["operator"]
    assert entry.payload["new"]["groups"] == ["viewer"]
    assert get_user_model().objects.get(pk=olga.pk).groups.get().name == "viewer"


def test_an_operator_cannot_move_a_token_to_the_superuser(as_olga, olga, root, token_for):
    from accounts.models import ApiToken

    token_for(olga)
    token = ApiToken.objects.get(user=olga)
    as_olga.post(
        f"/admin/accounts/apitoken/{token.pk}/change/",
        {"user": str(root.pk), "name": "moved", "expires_at_0": "", "expires_at_1": ""},
    )
    token.refresh_from_db()
    assert token.user_id == olga.pk


def test_a_superuser_changes_a_roles_permissions_and_the_audit_has_old_and_new(client, root):
    client.force_login(root)
    viewer = Group.objects.get(name="viewer")
    before = set(viewer.permissions.values_list("pk", flat=True))
    perm = Permission.objects.get(codename="manage_tokens")
    response = client.post(
        f"/admin/auth/group/{viewer.pk}/change/",
        {"name": "viewer", "permissions": [str(pk) for pk in before | {perm.pk}]},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin.group.change", target="viewer", outcome="ok")
    assert entry.actor_name == "root"
    added = sorted(
        set(entry.payload["new"]["permissions"]) - set(entry.payload["old"]["permissions"])
    )
    assert added == ["accounts.manage_tokens"]
    assert entry.payload["changed"] == ["permissions"]


def test_an_operator_adds_a_user_and_the_audit_notes_the_password_but_not_its_value(as_olga):
    response = as_olga.post(
        "/admin/auth/user/add/",
        {
            "username": "newbie",
            "password1": "Xq9-first-secret-pass",
            "password2": "Xq9-first-secret-pass",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    newbie = get_user_model().objects.get(username="newbie")
    entry = AuditEntry.objects.get(action="admin.user.add", target="newbie", outcome="ok")
    assert entry.payload["old"] == {} and entry.payload["new"]["username"] == "newbie"
    assert entry.payload["note"] == "password changed"
    assert "Xq9" not in str(entry.payload) and newbie.password not in str(entry.payload)
