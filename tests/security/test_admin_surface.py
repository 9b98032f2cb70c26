"""The admin, page by page: every registered model's list and add page is staff-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _admin_pages() -> list[str]:
    pages = []
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    return sorted(pages)


PAGES = _admin_pages()


def test_the_admin_registers_the_platform_models():
    assert any("/risk/" in p for p in PAGES) and any("/futures/" in p for p in PAGES)


@pytest.mark.parametrize("role", ["trader", "viewer", None])
def test_every_admin_page_sends_a_non_staff_user_to_the_login(client, make_user, role):
    client.force_login(make_user(f"user-{role}", role))
    refused = []
    for page in PAGES:
        response = client.get(page)
        if not (response.status_code == 302 and "/admin/login/" in response["Location"]):
            refused.append((page, response.status_code))
    assert refused == []
    # and a POST (a change attempt) changes nothing either
    response = client.post(reverse("admin:risk_risklimits_changelist"), {})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_anonymous_visitors_are_sent_to_the_login(client):
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], page


def test_an_operator_is_staff_and_reaches_the_admin(client, olga):
    client.force_login(olga)
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("admin:risk_risklimits_changelist")).status_code == 200
