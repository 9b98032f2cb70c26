"""The daily summary: once per user and Istanbul day at the chosen time, the user's own orders
and fills with the desk's PnL, budget and positions, in the reader's language."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from notifications.models import Channel, Event, Kind, SummarySchedule
from notifications.services import preference_set, summary_time_set
from notifications.summary import summaries_due
from notifications.worker import Worker
from spark_site.errors import ValidationFailed

IST = zoneinfo.ZoneInfo("Europe/Istanbul")


def _ist(hour: int, minute: int = 0, day: int = 0) -> datetime:
    today = datetime.now(IST).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return today + timedelta(days=day)


def _wants_summary(user, channel=Channel.TELEGRAM):
    preference_set(user=user, channel=channel, kinds=[Kind.DAILY_SUMMARY], enabled=True)


def _due_now(user) -> None:
    """Write user's summary now: the trading day is the UTC day, which between 00:00 and 03:00
    Istanbul is still yesterday's, so a fixed Istanbul hour of today can miss today's orders."""
    summary_time_set(user=user, at="00:00")
    summaries_due(timezone.now())


def _place(api, token, qty="0.01"):
    body = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": qty, "dryRun": True}
    response = api.post("/futures/order.place", body, token=token)
    assert response.status_code == 200, response.content


def test_it_is_written_once_a_day_at_the_chosen_istanbul_time(exchange, alice):
    _wants_summary(alice)
    summary_time_set(user=alice, at="07:30")
    assert summaries_due(_ist(7, 29)) == 0
    assert summaries_due(_ist(7, 30)) == 1
    assert summaries_due(_ist(7, 31)) == 0
    assert summaries_due(_ist(23, 59)) == 0
    assert summaries_due(_ist(7, 30, day=1)) == 1
    assert Event.objects.filter(kind=Kind.DAILY_SUMMARY, owner=alice).count() == 2


def test_only_users_who_chose_it_get_one(exchange, alice, bob, olga):
    _wants_summary(alice)
    preference_set(user=bob, channel=Channel.TELEGRAM, kinds=[Kind.FILL], enabled=True)
    preference_set(user=olga, channel=Channel.TELEGRAM, kinds=[Kind.DAILY_SUMMARY], enabled=False)
    assert summaries_due(_ist(23, 0)) == 1
    assert list(Event.objects.values_list("owner__username", flat=True)) == ["alice"]


def test_it_counts_the_users_own_orders_and_fills_only(exchange, alice, olga, api, token_for):
    _wants_summary(alice)
    _place(api, token_for(alice))
    _place(api, token_for(alice), qty="0.02")
    _place(api, token_for(olga))
    _due_now(alice)
    payload = Event.objects.get(kind=Kind.DAILY_SUMMARY).payload
    assert (payload["orders"], payload["fills"]) == (2, 2)
    assert payload["budgetLimit"] and payload["breakerOpen"] is False
    assert payload["environment"] == "sim"


def test_it_reaches_telegram_in_turkish(exchange, alice, telegram, link, api, token_for):
    link(alice, 501)
    _wants_summary(alice)
    _place(api, token_for(alice))
    _due_now(alice)
    Worker().run_once()
    text = telegram.sent(501)[-1]["text"]
    assert text.startswith("Günlük özet ")
    assert "Emirleriniz: 1, gerçekleşmeleriniz: 1." in text
    assert "İstanbul" in text and "USD" in text


def test_a_role_without_the_view_permission_never_gets_it(exchange, alice, telegram, link):
    link(alice, 501)
    _wants_summary(alice)
    summaries_due(_ist(23, 0))
    alice.groups.clear()
    alice.user_permissions.clear()
    alice.is_active = True
    alice.save()
    Worker().run_once()
    assert [m for m in telegram.sent(501) if m["text"].startswith("Günlük özet")] == []


@pytest.mark.parametrize("bad", ["", "24:00", "7", "07:60", "aa:bb", "07:30:00", " 1:2 x"])
def test_a_bad_time_is_refused_and_changes_nothing(db, alice, bad):
    summary_time_set(user=alice, at="08:00")
    with pytest.raises(ValidationFailed):
        summary_time_set(user=alice, at=bad)
    assert SummarySchedule.objects.get(user=alice).at.strftime("%H:%M") == "08:00"


def test_the_profile_page_sets_the_time_and_audits_it(client, alice):
    client.force_login(alice)
    assert "21:00" in client.get("/profile/").content.decode()
    assert client.post("/profile/summary-time", {"at": "06:45"}).status_code == 302
    assert SummarySchedule.objects.get(user=alice).at.strftime("%H:%M") == "06:45"
    assert 'value="06:45"' in client.get("/profile/").content.decode()
    assert AuditEntry.objects.filter(action="notifications.summary_time", actor=alice).exists()


def test_anonymous_cannot_set_a_time(client, db):
    assert client.post("/profile/summary-time", {"at": "06:45"}).status_code in (302, 401, 403)
    assert not SummarySchedule.objects.exists()


@pytest.mark.parametrize("on", [True, False])
def test_the_worker_writes_a_due_summary_only_when_summaries_are_on(
    exchange, alice, telegram, link, settings, on
):
    settings.SPARK_NOTIFY_DAILY_SUMMARIES = on
    link(alice, 501)
    _wants_summary(alice)
    summary_time_set(user=alice, at="00:00")  # due at any moment of the Istanbul day
    Worker().run_once()
    summaries = [m for m in telegram.sent(501) if m["text"].startswith("Günlük özet")]
    assert len(summaries) == (1 if on else 0)
    assert Event.objects.filter(kind=Kind.DAILY_SUMMARY, owner=alice).count() == (1 if on else 0)
