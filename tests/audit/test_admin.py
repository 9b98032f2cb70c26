"""The audit log is visible, read-only, to staff in admin."""

import pytest
from django.contrib.auth import get_user_model

from audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("root", password="pw-root-123456")


def test_admin_lists_audit_entries_with_actor(client, admin_user, alice):
    record(actor=alice, action="order.place", target="BTCUSDT", payload={"qty": "0.01"})
    client.force_login(admin_user)
    response = client.get("/admin/audit/auditentry/")
    assert response.status_code == 200
    assert b"order.place" in response.content and b"alice" in response.content


def test_admin_cannot_add_or_delete_audit_entries(client, admin_user):
    entry = record(actor="system", action="x")
    client.force_login(admin_user)
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403


def test_admin_is_staff_only(client, alice):
    client.force_login(alice)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_record_removes_secrets_from_payload(alice, settings):
    entry = record(
        actor=alice,
        action="x",
        payload={
            "api_secret": "s3cr3t",
            "nested": {"signature": "abc"},
            "note": f"key {settings.BINANCE_API_KEY}",
        },
    )
    assert entry.payload["api_secret"] == "***"
    assert entry.payload["nested"]["signature"] == "***"
    assert settings.BINANCE_API_KEY not in entry.payload["note"]
