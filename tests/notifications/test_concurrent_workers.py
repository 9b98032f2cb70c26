"""Several workers at once (scale-out, or a restart overlapping the old process): the leases
and compare-and-set claims send every message once. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from notifications.models import Delivery, Kind
from notifications.services import event_emit
from notifications.worker import Worker

pytestmark = pytest.mark.backends


def test_four_workers_racing_send_each_message_once(transactional_db, alice, telegram, link):
    link(alice, 501)
    greeting = len(telegram.sent(501))
    for i in range(40):
        event_emit(kind=Kind.BREAKER_OPENED, dedupe_key=f"race-{i}", payload={"reason": f"r{i}#"})
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            worker = Worker(name=f"w{n}")
            start.wait()
            for _ in range(60):
                worker.run_once()
                if not Delivery.objects.exclude(status=Delivery.Status.SENT).exists() and (
                    Delivery.objects.count() == 40
                ):
                    break
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    texts = [m["text"] for m in telegram.sent(501)[greeting:]]
    for i in range(40):
        assert sum(f"r{i}#" in t for t in texts) == 1, i
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 40
