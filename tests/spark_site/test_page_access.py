"""One access rule for pages: logged in with at least the viewer role (spark_site/access.py)."""

from __future__ import annotations

import pytest

from accounts.roles import OPERATOR, TRADER, VIEWER
from audit.models import AuditEntry
from tests.support.pages import page_urls

pytestmark = pytest.mark.django_db

OPERATOR_ONLY = {"limits"}


@pytest.fixture
def urls(olga):
    return page_urls(olga)


@pytest.mark.parametrize("public_reads", [True, False])
def test_anonymous_visitors_of_every_page_go_to_the_login_page(
    client, urls, settings, public_reads
):
    settings.SPARK_PUBLIC_READS = public_reads  # it opens the read API only, never pages
    for url in urls.values():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url
    assert client.get("/no-such-page").status_code == 302  # which pages exist is not told


def test_anonymous_page_visits_do_not_fill_the_audit_log(client, urls):
    for url in urls.values():
        client.get(url)
    assert not AuditEntry.objects.exists()


def test_a_user_without_a_role_is_refused_every_page_and_it_is_audited(client, urls, mallory):
    client.force_login(mallory)
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 403, url
        assert "izleyici rolünü" in response.content.decode(), url
    denied = AuditEntry.objects.filter(actor_name="mallory", outcome="denied")
    assert denied.count() == len(urls)
    assert set(denied.values_list("action", flat=True)) == {"page.view"}


@pytest.mark.parametrize("role", [VIEWER, TRADER, OPERATOR])
def test_every_role_sees_every_page_it_may(client, make_user, urls, role):
    client.force_login(make_user(f"kisi{len(role)}", role))
    for name, url in urls.items():
        expected = 403 if name in OPERATOR_ONLY and role != OPERATOR else 200
        assert client.get(url).status_code == expected, (role, url)


def test_public_pages_stay_open(client):
    assert client.get("/login/").status_code == 200
    assert client.get("/health").status_code in (200, 503)
    assert client.get("/metrics").status_code == 200
    assert client.get("/api/docs").status_code == 200
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")


def test_the_api_keeps_its_own_rule(client, settings):
    settings.SPARK_PUBLIC_READS = True
    assert client.get("/futures/risk/status").status_code != 302
    settings.SPARK_PUBLIC_READS = False
    answer = client.get("/futures/risk/status")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_the_login_page_sends_a_visitor_back_where_they_were_going(client, bob):
    from tests.conftest import PASSWORD

    target = client.get("/portfolio")["Location"]
    answer = client.post(target, {"username": "bob", "password": PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == "/portfolio"
