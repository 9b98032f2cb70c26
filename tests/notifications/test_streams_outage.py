"""Streams down for longer than the threshold are one notification, their return another; a
short blip or a deliberate stop is none. The end-to-end test cuts the stand-in's sockets under a
real Daphne with the embedded streams, worker and Telegram desk."""

from __future__ import annotations

import pytest

from futures.stream_health import OutageWatch
from notifications.models import Channel, Event, Kind, TelegramLink
from notifications.services import link_code_create, preference_set
from tests.support.waiting import poll

pytestmark = [pytest.mark.django_db]


def _status(*states: str, running: bool = True) -> dict:
    return {
        "running": running,
        "connections": [{"name": f"conn{i}", "state": s} for i, s in enumerate(states)],
    }


@pytest.fixture
def watch(settings):
    settings.SPARK_NOTIFY_STREAMS_DOWN_SECONDS = 60
    return OutageWatch()


def kinds() -> list[str]:
    return list(Event.objects.values_list("kind", flat=True))


def test_an_outage_longer_than_the_threshold_is_told_once_and_its_end_once(watch):
    t0 = 1_800_000_000.0
    assert watch.observe(_status("up", "connecting"), t0) is None
    assert watch.observe(_status("up", "connecting"), t0 + 59) is None
    assert watch.observe(_status("up", "connecting"), t0 + 60) == Kind.STREAMS_DOWN
    for s in range(61, 90):
        assert watch.observe(_status("connecting", "connecting"), t0 + s) is None
    assert watch.observe(_status("up", "up"), t0 + 90) == Kind.STREAMS_UP
    assert watch.observe(_status("up", "up"), t0 + 91) is None
    assert kinds() == [Kind.STREAMS_DOWN, Kind.STREAMS_UP]
    down, up = Event.objects.order_by("id")
    assert down.payload["connections"] == ["conn1"]
    assert up.payload["downSeconds"] == "90"
    assert down.owner is None  # desk-wide: every role that may view gets it


def test_a_blip_shorter_than_the_threshold_tells_nobody(watch):
    t0 = 1_800_000_000.0
    watch.observe(_status("connecting"), t0)
    watch.observe(_status("connecting"), t0 + 59.9)
    assert watch.observe(_status("up"), t0 + 60.5) is None
    assert kinds() == []


def test_a_deliberate_stop_ends_the_watch_without_a_message(watch):
    t0 = 1_800_000_000.0
    watch.observe(_status("connecting"), t0)
    watch.observe(_status("connecting"), t0 + 61)
    assert watch.observe(_status(running=False), t0 + 62) is None
    assert watch.observe(_status("up"), t0 + 70) is None
    assert kinds() == [Kind.STREAMS_DOWN]


def test_two_watchers_seeing_the_same_outage_write_one_event(watch, settings):
    """A second supervisor (a restart that read the same start) adds nothing."""
    other = OutageWatch()
    t0 = 1_800_000_000.0
    for w in (watch, other):
        w.observe(_status("connecting"), t0)
        w.observe(_status("connecting"), t0 + 61)
    assert kinds() == [Kind.STREAMS_DOWN]


@pytest.mark.timeout(240)
def test_cutting_the_stand_ins_streams_reaches_telegram_once_down_and_once_back(
    daphne, sim, alice, bob, telegram, token_for
):
    server = daphne(
        SPARK_STREAMS_EMBEDDED="true",
        SPARK_STREAM_SYMBOLS="BTCUSDT,ETHUSDT",
        SPARK_NOTIFIER_EMBEDDED="true",
        SPARK_NOTIFY_STREAMS_DOWN_SECONDS="3",
        SPARK_NOTIFY_POLL_SECONDS="0.2",
        TELEGRAM_API_URL=telegram.url,
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_POLL_TIMEOUT_SECONDS="1",
        **sim.spark_env(),
    )
    for user, chat in ((alice, 601), (bob, 602)):
        code, _row = link_code_create(user=user)
        telegram.say(chat, f"/start {code}")
        poll(lambda u=user: TelegramLink.objects.filter(user=u).exists(), 30, what="linked")
    preference_set(
        user=alice,
        channel=Channel.TELEGRAM,
        kinds=[Kind.STREAMS_DOWN, Kind.STREAMS_UP],
        enabled=True,
    )
    preference_set(user=bob, channel=Channel.TELEGRAM, kinds=[Kind.FILL], enabled=True)
    token = token_for(alice)
    poll(
        lambda: (c := _connections(server, token)) and all(x["state"] == "up" for x in c),
        60,
        what="streams up",
    )
    sim.control.faults(ws_refuse=1)
    down = poll(lambda: _texts(telegram, 601, "Canlı akışlar kesildi"), 60, what="down message")
    sim.control.faults(ws_refuse=0)
    back = poll(lambda: _texts(telegram, 601, "Canlı akışlar geri geldi"), 90, what="back")
    assert len(down) == 1 and len(back) == 1
    assert "İstanbul" in down[0]
    # Nobody who did not choose the kinds heard of it.
    assert [m for m in telegram.sent(602) if "akış" in m["text"]] == []
    assert sorted(kinds()) == sorted([Kind.STREAMS_DOWN, Kind.STREAMS_UP])


def _connections(server, token: str) -> list[dict]:
    import requests

    status = requests.get(
        f"{server.url}/futures/ws.status",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return status.json().get("connections", []) if status.status_code == 200 else []


def _texts(telegram, chat: int, start: str) -> list[str]:
    return [m["text"] for m in telegram.sent(chat) if m["text"].startswith(start)]
