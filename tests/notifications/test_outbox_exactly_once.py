"""The outbox across a worker killed mid-delivery: nothing lost, nothing sent twice.

The worker runs as its own process (`manage.py run_notifier`) against the Bot API stand-in,
which counts every message it receives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Channel, Delivery, Kind
from notifications.services import event_emit, preference_set
from notifications.worker import Worker
from tests.support import servers
from tests.support.waiting import poll

S = Delivery.Status
pytestmark = pytest.mark.backends


def _worker_process(telegram) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": servers.test_database_url(),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "TELEGRAM_API_URL": telegram.url,
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_POLL_TIMEOUT_SECONDS": "1",
            "SPARK_NOTIFY_LEASE_SECONDS": "2",
            "SPARK_NOTIFY_POLL_SECONDS": "0.05",
            "SPARK_NOTIFY_HTTP_TIMEOUT_SECONDS": "60",
        }
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_notifier", "--metrics-port", "0"],
        cwd=servers.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _fills(n: int, owner) -> list[str]:
    refs = [f"ORDER-{i}" for i in range(n)]
    for i, ref in enumerate(refs):
        event_emit(
            kind=Kind.FILL,
            dedupe_key=f"fill:test:{i}",
            owner=owner,
            payload={
                "symbol": "ETHUSDT",
                "side": "BUY",
                "qty": "0.01",
                "price": "3400",
                "clientOrderId": ref,
                "tradedAt": timezone.now().isoformat(),
            },
        )
    return refs


def test_a_worker_killed_mid_delivery_neither_loses_nor_repeats_a_message(
    transactional_db, alice, telegram, link
):
    link(alice, 501)
    greeting = len(telegram.sent(501))
    refs = _fills(5, alice)
    telegram.hold.clear()  # the first sendMessage is received, its answer held back
    first = _worker_process(telegram)
    try:
        poll(lambda: len(telegram.sent(501)) > greeting, 60, what="the first message sent")
        poll(
            lambda: Delivery.objects.filter(status=S.SENDING).exists(),
            30,
            what="the delivery marked sending",
        )
    finally:
        first.kill()  # SIGKILL mid-request: no clean-up runs
        first.wait()
    telegram.hold.set()
    second = _worker_process(telegram)
    try:
        poll(
            lambda: (
                not Delivery.objects.filter(status__in=[S.PENDING, S.CLAIMED, S.SENDING]).exists()
                and Delivery.objects.count() == 5
            ),
            60,
            what="every delivery settled",
        )
    finally:
        second.terminate()
        second.wait(30)
    texts = [m["text"] for m in telegram.sent(501)[greeting:]]
    for ref in refs:
        assert sum(ref in t for t in texts) == 1, (ref, texts)
    # The one in flight at the kill was seen by Telegram: it is uncertain, never resent.
    assert Delivery.objects.filter(status=S.UNCERTAIN).count() == 1
    assert Delivery.objects.filter(status=S.SENT).count() == 4


def test_a_claim_whose_worker_died_before_sending_is_sent_once_by_another(alice, telegram, link):
    link(alice, 501)
    greeting = len(telegram.sent(501))
    _fills(1, alice)
    from notifications.services import fan_out

    fan_out()
    dead = Worker(name="dead")
    assert len(dead.claim()) == 1  # claimed, then the process died before sending
    Delivery.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert Worker().run_once() == 1
    assert len(telegram.sent(501)) == greeting + 1
    assert Delivery.objects.get().attempts == 2


def test_a_webhook_in_flight_at_a_crash_is_resent_with_the_same_idempotency_key(alice, settings):
    from tests.notifications.test_delivery import Receiver

    receiver = Receiver()
    try:
        preference_set(
            user=alice, channel=Channel.WEBHOOK, kinds=[Kind.FILL], enabled=True, url=receiver.url
        )
        _fills(1, alice)
        from notifications.services import fan_out

        fan_out()
        delivery = Delivery.objects.get()
        # As a worker killed after writing the request leaves it:
        Delivery.objects.update(
            status=S.SENDING, lease_owner="dead", lease_until=timezone.now() - timedelta(seconds=1)
        )
        assert Worker().run_once() == 1
    finally:
        receiver.stop()
    assert receiver.calls[0][0]["X-Spark-Idempotency-Key"] == str(delivery.idempotency_key)
    assert Delivery.objects.get().status == S.SENT
