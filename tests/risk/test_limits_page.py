"""The operators' limits editor page: the admin's validation and audit, every other role refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEntry
from risk.models import RiskLimits

pytestmark = pytest.mark.django_db

GOOD = {
    "max_notional_usd": "250",
    "default_max_position_usd": "1000",
    "daily_loss_limit_usd": "75,5",  # a Turkish decimal comma, as typed on a Turkish page
    "trading_day_timezone": "Europe/Istanbul",
    "trading_day_start_hour": "3",
}


def test_an_operator_changes_the_limits_and_it_is_audited_with_old_and_new(client, olga):
    before = RiskLimits.load().as_dict()
    client.force_login(olga)
    answer = client.post("/limits/", GOOD, follow=True)
    assert answer.status_code == 200
    assert "Limitler kaydedildi." in answer.content.decode()
    limits = RiskLimits.load()
    assert limits.max_notional_usd == Decimal("250")
    assert limits.daily_loss_limit_usd == Decimal("75.5")
    assert (limits.trading_day_timezone, limits.trading_day_start_hour) == ("Europe/Istanbul", 3)
    entry = AuditEntry.objects.get(action="risk.limits.change", outcome="ok")
    assert entry.actor_name == "olga"
    assert entry.payload["old"] == before
    assert entry.payload["new"]["maxNotionalUsd"] == "250"
    assert "maxNotionalUsd" in entry.payload["changed"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_notional_usd", "-1"),
        ("max_notional_usd", "abc"),
        ("max_notional_usd", "1" * 30),
        ("max_notional_usd", "NaN"),
        ("daily_loss_limit_usd", ""),
        ("trading_day_timezone", "Mars/Olympus_Mons"),
        ("trading_day_start_hour", "24"),
        ("trading_day_start_hour", "-1"),
    ],
)
def test_a_bad_value_changes_nothing_and_names_the_field(client, olga, field, value):
    before = RiskLimits.load().as_dict()
    client.force_login(olga)
    answer = client.post("/limits/", {**GOOD, field: value})
    assert answer.status_code == 422
    assert f'data-field="{field}"' in answer.content.decode()
    assert RiskLimits.load().as_dict() == before
    refused = AuditEntry.objects.get(action="risk.limits.change")
    assert refused.outcome == "rejected" and refused.payload["invalid"] == [field]


@pytest.mark.parametrize("who", ["bob", "alice", "mallory"])
def test_viewers_traders_and_users_without_a_role_are_refused(client, bob, alice, mallory, who):
    user = {"bob": bob, "alice": alice, "mallory": mallory}[who]
    before = RiskLimits.load().as_dict()
    client.force_login(user)
    assert client.get("/limits/").status_code == 403
    assert client.post("/limits/", GOOD).status_code == 403
    assert RiskLimits.load().as_dict() == before
    denied = AuditEntry.objects.filter(actor_name=who, outcome="denied")
    # Without any role the page rule refuses first (spark_site/access.py), else the limits page.
    action = "page.view" if who == "mallory" else "risk.limits.view"
    assert list(denied.values_list("action", flat=True)) == [action] * 2
    assert not AuditEntry.objects.filter(action="risk.limits.change", outcome="ok").exists()


def test_the_form_shows_the_current_limits_in_the_page_language(client, olga):
    RiskLimits.load()
    RiskLimits.objects.filter(pk=1).update(max_notional_usd=Decimal("1234.5"))
    client.force_login(olga)
    page = client.get("/limits/").content.decode()
    assert 'value="1234,5' in page  # Turkish decimal comma
    assert "Emir başına azami tutar (USD)" in page


def test_the_page_needs_a_csrf_token(olga):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(olga)
    before = RiskLimits.load().as_dict()
    assert strict.post("/limits/", GOOD).status_code == 403
    assert RiskLimits.load().as_dict() == before
